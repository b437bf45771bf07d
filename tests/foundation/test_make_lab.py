"""`make lab` serves JupyterLab with the start notebook (the README's first command).

The test runs the real Makefile target on a free port with a known token, waits for
the server, and asks for the start notebook's page: it must answer HTTP 200.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, ConnectionError, socket.timeout):
        return 0


@pytest.mark.slow
def test_make_lab_serves_the_start_notebook(tmp_path):
    port, token = _free_port(), "make-lab-test"
    env = dict(os.environ)
    for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        env.pop(var, None)
    env.update(JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), IPYTHONDIR=str(tmp_path / "ipython"),
               JUPYTER_CONFIG_DIR=str(tmp_path / "config"))
    args = f"--no-browser --ServerApp.ip=127.0.0.1 --IdentityProvider.token={token}"
    proc = subprocess.Popen(["make", "-s", "lab", f"PORT={port}", f"LAB_ARGS={args}"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/lab/tree/notebooks/00_start_here.ipynb?token={token}"
    try:
        status, deadline = 0, time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            status = _get(url)
            if status == 200:
                break
            time.sleep(0.5)
        if status != 200:
            os.killpg(proc.pid, signal.SIGTERM)
            output = proc.communicate(timeout=30)[0].decode(errors="replace")
            pytest.fail(f"make lab did not serve {url} (last status {status}):\n{output[-3000:]}")
        api = _get(f"http://127.0.0.1:{port}/api/contents/notebooks/00_start_here.ipynb?token={token}")
        assert api == 200, f"the start notebook is not reachable through the contents API ({api})"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
