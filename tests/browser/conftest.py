"""Fixtures for the browser tests: one isolated JupyterLab server and one headless
Chromium per test session.

The server runs with its own config, data, runtime and IPython directories in a
temporary folder (so nothing from the user's ~/.jupyter leaks in) and still finds the
environment's ``python3`` kernel and the ipywidgets lab extension, which live under
``sys.prefix``. Chromium is Debian's package, driven by the PyPI ``playwright`` package
(Playwright's own browser download is not used).

Chromium and Playwright are optional dependencies (tests/optional_deps.py): without them the
tests are skipped with the install command, unless BACKPROP_REQUIRE_BROWSER=1 (set on CI),
where a missing browser is a failure.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from optional_deps import OPTIONAL, missing, optional_import

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = Path(os.environ.get("BACKPROP_NOTEBOOK_DIR", ROOT / "notebooks")).resolve()
SCREENSHOT_DIR = ROOT / "screenshots"
CHROMIUM_CANDIDATES = ["/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser"]
# Flags that stop Chromium from making network calls the sandboxed machines refuse.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_TIMEOUT = 90


def find_chromium() -> str | None:
    explicit = os.environ.get("BACKPROP_CHROMIUM")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    for candidate in CHROMIUM_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        missing("Chromium (looked for " + ", ".join(CHROMIUM_CANDIDATES) + " and $BACKPROP_CHROMIUM)",
                OPTIONAL["playwright"].require_var,
                "install it with `sudo apt-get install chromium` (Debian/Ubuntu)")
    return path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """A running JupyterLab: ``url``, ``token`` and a small REST helper."""

    def __init__(self, root_dir: Path, workdir: Path):
        self.root_dir = root_dir
        self.workdir = workdir
        self.port = _free_port()
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "lab.log"
        self.proc: subprocess.Popen | None = None

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        for var, sub in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                         ("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython")]:
            (self.workdir / sub).mkdir(parents=True, exist_ok=True)
            env[var] = str(self.workdir / sub)
        env.pop("JUPYTER_PATH", None)
        env.pop("JUPYTER_CONFIG_PATH", None)
        env["JUPYTER_PLATFORM_DIRS"] = "1"
        env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
        env["PYTHONHASHSEED"] = "0"
        return env

    def _settings_dir(self) -> Path:
        settings = self.workdir / "user-settings"
        notification = settings / "@jupyterlab" / "apputils-extension"
        notification.mkdir(parents=True, exist_ok=True)
        # No "would you like to receive news?" pop-up, no update checks.
        (notification / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False})
        )
        return settings

    def start(self) -> None:
        cmd = [
            sys.executable, "-m", "jupyterlab",
            "--no-browser",
            f"--port={self.port}",
            "--ServerApp.port_retries=0",
            "--ServerApp.ip=127.0.0.1",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root_dir}",
            f"--LabApp.user_settings_dir={self._settings_dir()}",
            f"--LabApp.workspaces_dir={self.workdir / 'workspaces'}",
            "--expose-app-in-browser",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd, env=self._env(), stdout=self._log, stderr=subprocess.STDOUT,
                                     cwd=self.workdir)
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {self.proc.returncode}:\n{self.log()}")
            try:
                self.api("GET", "/api/status")
                return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.3)
        raise RuntimeError(f"JupyterLab did not answer within {SERVER_START_TIMEOUT} s:\n{self.log()}")

    def log(self) -> str:
        try:
            return self.log_path.read_text()[-5000:]
        except OSError:
            return ""

    def api(self, method: str, path: str):
        request = urllib.request.Request(
            self.url + path, method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def delete_sessions(self) -> None:
        """Shut down every session and kernel, so the next notebook starts a fresh kernel."""
        for session in self.api("GET", "/api/sessions"):
            self.api("DELETE", f"/api/sessions/{session['id']}")
        for kernel in self.api("GET", "/api/kernels"):
            self.api("DELETE", f"/api/kernels/{kernel['id']}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "_log", None):
            self._log.close()


@pytest.fixture(scope="module")
def lab_server(chromium_path):
    """One JupyterLab for the browser tests, serving the notebook directory.

    Module-scoped, like `browser`: Playwright's sync API keeps an event loop running in
    this thread while it lives, so it must stop before other tests use asyncio.
    """
    workdir = Path(tempfile.mkdtemp(prefix="backprop-lab-"))
    server = LabServer(NOTEBOOK_DIR, workdir)
    try:
        server.start()
        specs = server.api("GET", "/api/kernelspecs")["kernelspecs"]
        assert "python3" in specs, f"the isolated server does not see a python3 kernel: {sorted(specs)}"
        yield server
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def browser(chromium_path):
    sync_playwright = optional_import("playwright.sync_api").sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def lab_page(browser, lab_server):
    """A fresh browser page (own context, 1280x900) on a server with no running sessions."""
    lab_server.delete_sessions()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()
        lab_server.delete_sessions()
