"""JupyterHub configuration for the hub integration test (tests/hub).

A hub on 127.0.0.1 only, with the two test-only classes built into JupyterHub: the dummy
authenticator (any user name logs in) and the simple local-process spawner (each user's
server is a local process with its own home folder, run as the hub's own Unix user).
The test fills in the machine-specific parts through environment variables:

    BACKPROP_HUB_DIR          the hub's working folder (database, cookie secret, pid file)
    BACKPROP_HUB_PORT         public port (the proxy), chosen by the OS
    BACKPROP_HUB_API_PORT     the hub's own port, chosen by the OS
    BACKPROP_PROXY_API_PORT   the proxy's REST API port, chosen by the OS
    BACKPROP_HUB_PROXY        the configurable-http-proxy command (npm, tests/hub/node_modules)
    BACKPROP_HUB_HOMES        folder holding one home folder per user
    BACKPROP_HUB_SINGLEUSER   the jupyterhub-singleuser command of the test environment
    BACKPROP_HUB_JUPYTER_PATH extra Jupyter config folder for every user (as /etc/jupyter
                              on a real hub): it holds the shared nbgrader_config.py
"""
from __future__ import annotations

import os

c = get_config()  # noqa: F821 - provided by JupyterHub when it reads this file

env = os.environ
workdir = env["BACKPROP_HUB_DIR"]

c.JupyterHub.bind_url = f"http://127.0.0.1:{env['BACKPROP_HUB_PORT']}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(env["BACKPROP_HUB_API_PORT"])
c.JupyterHub.db_url = f"sqlite:///{os.path.join(workdir, 'jupyterhub.sqlite')}"
c.JupyterHub.cookie_secret_file = os.path.join(workdir, "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = os.path.join(workdir, "jupyterhub.pid")
# stop the users' servers and the proxy when the hub stops (the defaults, stated)
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True
# wait for a starting server instead of showing the "server is starting" page,
# whose redirect needs JavaScript
c.JupyterHub.tornado_settings = {"slow_spawn_timeout": 60}

c.ConfigurableHTTPProxy.command = [env["BACKPROP_HUB_PROXY"]]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{env['BACKPROP_PROXY_API_PORT']}"
c.ConfigurableHTTPProxy.pid_file = os.path.join(workdir, "jupyterhub-proxy.pid")

c.JupyterHub.authenticator_class = "dummy"
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = os.path.join(env["BACKPROP_HUB_HOMES"], "{username}")
c.Spawner.ip = "127.0.0.1"
c.Spawner.cmd = [env["BACKPROP_HUB_SINGLEUSER"]]
c.Spawner.default_url = "/lab"
# the simple spawner runs every server as the hub's own user: root on CI containers
c.Spawner.args = ["--allow-root"] if os.getuid() == 0 else []
c.Spawner.start_timeout = 90
c.Spawner.http_timeout = 60
# stopping a server: SIGINT only makes a Jupyter server without a terminal ask "Shut down
# (y/[n])?" and carry on, so go on to SIGTERM (a clean shutdown) after 2 s, not 10
c.LocalProcessSpawner.interrupt_timeout = 2
c.Spawner.environment = {
    # as in binder/start: one BLAS thread per kernel
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "JUPYTER_CONFIG_PATH": env["BACKPROP_HUB_JUPYTER_PATH"],
    # the servers run as root but the homes belong to the students' Unix accounts (made
    # for the nbgrader part): let git (nbgitpuller) work in folders root does not own
    "GIT_CONFIG_COUNT": "1",
    "GIT_CONFIG_KEY_0": "safe.directory",
    "GIT_CONFIG_VALUE_0": "*",
}
