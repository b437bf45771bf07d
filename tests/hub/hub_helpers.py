"""Helpers for the hub integration test: a real JupyterHub with its proxy, a student's
browser session on it, a kernel driven over its websocket, and Unix accounts for the
nbgrader exchange.

Nothing here is specific to one notebook: the test chooses what to run.
"""
from __future__ import annotations

import asyncio
import configparser
import contextlib
import html
import json
import os
import pwd
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import requests

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
HUB_CONFIG = HERE / "jupyterhub_config.py"
# installed by `make test` (npm ci in tests/hub, from the committed package-lock.json)
PROXY = HERE / "node_modules" / ".bin" / "configurable-http-proxy"
SANITIZE = REPO / "tests" / "nbval_sanitize.cfg"
BINDIR = Path(sys.executable).parent

# hub users, and for the nbgrader exchange also Unix accounts: unique per run, so that
# two test runs on one machine never share a student
TAG = uuid.uuid4().hex[:6]
STUDENTS = (f"ada-{TAG}", f"ben-{TAG}")
# the folder the links pull the course into (named after the repository)
COURSE_FOLDER = "backprop-ground-up"

HUB_START_TIMEOUT = 60
SPAWN_TIMEOUT = 120
PULL_TIMEOUT = 120
CELL_TIMEOUT = 120


def free_port() -> int:
    """A port on 127.0.0.1 that the OS reports free."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def git(*args: str, cwd: Path | None = None) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LANG": "C"})
    if proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}")
    return proc.stdout


# ----------------------------------------------------------------------------- the hub


@dataclass
class Hub:
    """JupyterHub and configurable-http-proxy on 127.0.0.1, in ``root``."""

    root: Path
    jupyter_path: Path  # extra Jupyter config folder every user's server reads (as /etc/jupyter)
    port: int = 0
    api_port: int = 0
    proxy_api_port: int = 0
    proc: subprocess.Popen | None = None
    seen_pids: set[int] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def homes(self) -> Path:
        return self.root / "homes"

    @property
    def workdir(self) -> Path:
        return self.root / "hub"

    @property
    def log_path(self) -> Path:
        return self.workdir / "hub.log"

    def log_tail(self, chars: int = 6000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no hub log)"

    def home(self, user: str) -> Path:
        return self.homes / user

    def start(self) -> None:
        if not os.access(PROXY, os.X_OK):
            raise RuntimeError(
                f"configurable-http-proxy is not installed at {PROXY.relative_to(REPO)}: run `make test`, "
                "which installs it with `npm ci` in tests/hub (Node.js 20 and npm are needed)")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.homes.mkdir(parents=True, exist_ok=True)
        self.port, self.api_port, self.proxy_api_port = free_port(), free_port(), free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY_", "CONFIGPROXY"))}
        env.update({
            "PATH": os.pathsep.join([str(BINDIR), env.get("PATH", "")]),
            "BACKPROP_HUB_DIR": str(self.workdir),
            "BACKPROP_HUB_PORT": str(self.port),
            "BACKPROP_HUB_API_PORT": str(self.api_port),
            "BACKPROP_PROXY_API_PORT": str(self.proxy_api_port),
            "BACKPROP_HUB_PROXY": str(PROXY),
            "BACKPROP_HUB_HOMES": str(self.homes),
            "BACKPROP_HUB_SINGLEUSER": str(BINDIR / "jupyterhub-singleuser"),
            "BACKPROP_HUB_JUPYTER_PATH": str(self.jupyter_path),
        })
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "jupyterhub", "-f", str(HUB_CONFIG)], cwd=self.workdir, env=env,
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        self.seen_pids.add(self.proc.pid)
        deadline = time.monotonic() + HUB_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterHub exited with {self.proc.returncode}:\n{self.log_tail()}")
            with contextlib.suppress(requests.RequestException):
                # through the proxy: both the proxy and the hub answer
                if requests.get(f"{self.url}/hub/api", timeout=2).status_code == 200:
                    self.remember_processes()
                    return
            time.sleep(0.3)
        raise RuntimeError(f"JupyterHub did not answer on {self.url} within {HUB_START_TIMEOUT} s:\n{self.log_tail()}")

    def remember_processes(self) -> None:
        """Note the hub's process tree (proxy, users' servers, kernels) for the cleanup check."""
        with contextlib.suppress(psutil.NoSuchProcess):
            hub = psutil.Process(self.proc.pid)
            self.seen_pids.update(p.pid for p in hub.children(recursive=True))
        self.seen_pids.update(p.pid for p in self.processes_in_root())

    def processes_in_root(self) -> list[psutil.Process]:
        """Processes whose working folder is inside this test's folder (the hub, the proxy,
        the users' servers and their kernels all are)."""
        found, root = [], str(self.root)
        for p in psutil.process_iter(["pid", "cwd"]):
            cwd = p.info.get("cwd") or ""
            if p.pid != os.getpid() and (cwd == root or cwd.startswith(root + os.sep)):
                found.append(p)
        return found

    def leftovers(self) -> list[str]:
        """Everything of this hub still running: processes and listening ports."""
        alive = []
        for pid in sorted(self.seen_pids):
            with contextlib.suppress(psutil.NoSuchProcess):
                p = psutil.Process(pid)
                if p.status() != psutil.STATUS_ZOMBIE:
                    alive.append(f"pid {pid}: {' '.join(p.cmdline())[:160]}")
        for p in self.processes_in_root():
            with contextlib.suppress(psutil.NoSuchProcess):
                if p.pid not in self.seen_pids and p.status() != psutil.STATUS_ZOMBIE:
                    alive.append(f"pid {p.pid}: {' '.join(p.cmdline())[:160]}")
        ports = [f"port {port} still listening" for port in (self.port, self.api_port, self.proxy_api_port)
                 if port and listening(port)]
        return alive + ports

    def stop(self, timeout: float = 60) -> list[str]:
        """Stop the hub as an admin would (SIGTERM: it stops the users' servers and the
        proxy), then return what is still running after a grace period (nothing, when
        all is well). Whatever is left is killed, so a failed check leaves nothing behind."""
        if self.proc is None:
            return []
        if self.proc.poll() is None:
            self.remember_processes()
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        deadline = time.monotonic() + 10
        left = self.leftovers()
        while left and time.monotonic() < deadline:
            time.sleep(0.3)
            left = self.leftovers()
        if self.proc.poll() is None:
            left.insert(0, f"the hub (pid {self.proc.pid}) did not stop within {timeout} s of SIGTERM")
        self.kill_everything()
        return left

    def kill_everything(self) -> None:
        for pid in sorted(self.seen_pids | {p.pid for p in self.processes_in_root()}):
            with contextlib.suppress(psutil.NoSuchProcess, ProcessLookupError, PermissionError):
                psutil.Process(pid).kill()
        if self.proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=10)


# ------------------------------------------------------------- a student's browser


@dataclass
class PullResult:
    """What the student's browser saw after following an nbgitpuller link."""

    page_status: int
    events: list[dict]
    landing_status: int | None = None  # the page the link sends to once the pull is done

    @property
    def phase(self) -> str:
        return self.events[-1].get("phase", "") if self.events else ""

    @property
    def message(self) -> str:
        return self.events[-1].get("message", "") if self.events else ""

    @property
    def output(self) -> str:
        return "".join(e.get("output", "") or "" for e in self.events)


class Browser:
    """One student's browser on the hub: cookies, logins and the requests a page's
    JavaScript would make (JupyterHub's spawn page, nbgitpuller's status page)."""

    def __init__(self, hub: Hub, user: str):
        self.hub, self.user = hub, user
        self.session = requests.Session()

    @property
    def server(self) -> str:
        return f"{self.hub.url}/user/{self.user}/"

    def login(self) -> None:
        page = self.session.get(f"{self.hub.url}/hub/login", timeout=30)
        page.raise_for_status()
        xsrf = re.search(r'name="_xsrf"\s+value="([^"]+)"', page.text)
        assert xsrf, "the hub's login page has no _xsrf field"
        # the dummy authenticator takes any password
        r = self.session.post(f"{self.hub.url}/hub/login", timeout=60, data={
            "username": self.user, "password": "any", "_xsrf": html.unescape(xsrf.group(1))})
        r.raise_for_status()
        assert "jupyterhub-session-id" in self.session.cookies, f"{self.user} was not logged in: {r.url}"

    def open(self, url: str, timeout: float = SPAWN_TIMEOUT) -> requests.Response:
        """GET ``url`` like a browser: follow redirects, and wait on JupyterHub's
        "your server is starting" page (which a browser leaves by JavaScript) until the
        server is up and the hub sends us on."""
        deadline = time.monotonic() + timeout
        while True:
            r = self.session.get(url, timeout=60)
            if "/hub/spawn-pending/" not in r.url:
                return r
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.user}'s server did not start within {timeout} s:\n{self.hub.log_tail()}")
            time.sleep(0.5)

    def follow_pull_link(self, link: str, timeout: float = PULL_TIMEOUT) -> PullResult:
        """Follow an nbgitpuller link: the hub starts the server if needed and sends the
        browser to nbgitpuller's status page, whose script opens the event stream that
        runs the pull and then goes to the link's ``urlpath``. This does the same requests."""
        page = self.open(link)
        if page.status_code != 200 or "/git-pull" not in urllib.parse.urlparse(page.url).path:
            return PullResult(page.status_code, [{"phase": "error", "message": f"no git-pull page: {page.url}"}])
        data = {k: urllib.parse.unquote(html.unescape(v))
                for k, v in re.findall(r'data-([a-z-]+)="([^"]*)"', page.text)}
        params = {"_xsrf": data.get("xsrf", ""), "repo": data["repo"], "targetpath": data["targetpath"]}
        for key in ("depth", "branch", "backup"):
            if key in data:
                params[key] = data[key]
        base = urllib.parse.urljoin(self.hub.url, data["base-url"])
        events: list[dict] = []
        with self.session.get(base + "git-pull/api?" + urllib.parse.urlencode(params),
                              stream=True, timeout=timeout) as stream:
            if stream.status_code != 200:
                return PullResult(stream.status_code, [{"phase": "error", "message": f"HTTP {stream.status_code}"}])
            for line in stream.iter_lines(decode_unicode=True):
                if line and line.startswith("data:"):
                    events.append(json.loads(line[len("data:"):]))
                    if events[-1].get("phase") in ("finished", "error"):
                        break
        result = PullResult(page.status_code, events)
        if result.phase == "finished":
            result.landing_status = self.session.get(base + data["path"], timeout=60).status_code
        return result

    # -- the server's REST API, as JupyterLab uses it

    def _xsrf(self) -> str:
        for cookie in self.session.cookies:
            if cookie.name == "_xsrf" and (cookie.path or "/").startswith(f"/user/{self.user}"):
                return cookie.value
        self.session.get(self.server + "lab", timeout=60)  # a page of the server sets it
        return next(c.value for c in self.session.cookies
                    if c.name == "_xsrf" and (c.path or "/").startswith(f"/user/{self.user}"))

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"X-XSRFToken": self._xsrf(), **kwargs.pop("headers", {})}
        return self.session.request(method, self.server + "api/" + path, headers=headers, timeout=60, **kwargs)

    def get_notebook(self, path: str) -> dict:
        r = self.api("GET", "contents/" + urllib.parse.quote(path), params={"content": "1"})
        r.raise_for_status()
        return r.json()["content"]

    def save_notebook(self, path: str, nb: dict) -> None:
        r = self.api("PUT", "contents/" + urllib.parse.quote(path),
                     json={"type": "notebook", "format": "json", "content": nb})
        r.raise_for_status()

    def run_notebook(self, path: str) -> list[tuple[dict, list[dict]]]:
        """Open ``path`` in a new kernel of the student's server (as JupyterLab does: a
        session for the notebook, so the kernel starts in the notebook's folder), run its
        code cells in order over the kernel's websocket, shut the kernel down, and return
        (the cell, its outputs) per code cell."""
        nb = self.get_notebook(path)
        r = self.api("POST", "sessions", json={"path": path, "type": "notebook", "name": "",
                                                "kernel": {"name": "python3"}})
        r.raise_for_status()
        session = r.json()
        try:
            cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
            cookie = "; ".join(f"{c.name}={c.value}" for c in self.session.cookies
                               if (c.path or "/") == "/" or f"/user/{self.user}".startswith((c.path or "/").rstrip("/")))
            ws_url = (f"ws://127.0.0.1:{self.hub.port}/user/{self.user}/api/kernels/{session['kernel']['id']}"
                      f"/channels?session_id={uuid.uuid4().hex}")
            runs = [("".join(c["source"]) if isinstance(c["source"], list) else c["source"],
                     "raises-exception" in c.get("metadata", {}).get("tags", [])) for c in cells]
            outputs = asyncio.run(_execute(ws_url, {"Cookie": cookie, "X-XSRFToken": self._xsrf()}, runs))
            return list(zip(cells, outputs))
        finally:
            self.api("DELETE", f"sessions/{session['id']}")


async def _execute(ws_url: str, headers: dict, runs: list[tuple[str, bool]]) -> list[list[dict]]:
    """Run each (source, error expected) on the kernel behind ``ws_url`` (Jupyter's JSON
    websocket protocol); stop at the first unexpected error, as "run all" does."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    conn = await websocket_connect(HTTPRequest(ws_url, headers=headers, request_timeout=60))
    session, results = uuid.uuid4().hex, []
    try:
        for source, error_expected in runs:
            msg_id = uuid.uuid4().hex
            await conn.write_message(json.dumps({
                "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "student",
                           "session": session, "date": "", "version": "5.3"},
                "parent_header": {}, "metadata": {}, "buffers": [], "channel": "shell",
                "content": {"code": source, "silent": False, "store_history": True, "user_expressions": {},
                            "allow_stdin": False, "stop_on_error": True},
            }))
            outputs, replied, idle = [], False, False
            while not (replied and idle):
                raw = await asyncio.wait_for(conn.read_message(), CELL_TIMEOUT)
                if raw is None:
                    raise RuntimeError("the kernel's websocket closed while a cell was running")
                if not isinstance(raw, str):
                    continue  # a binary frame: widget buffers
                msg = json.loads(raw)
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind, content = msg["header"]["msg_type"], msg["content"]
                if msg.get("channel") == "shell" and kind == "execute_reply":
                    replied = True
                elif kind == "status" and content.get("execution_state") == "idle":
                    idle = True
                elif kind in ("stream", "execute_result", "display_data", "error"):
                    outputs.append({"output_type": kind, **content})
            results.append(outputs)
            if not error_expected and any(o["output_type"] == "error" for o in outputs):
                break
    finally:
        conn.close()
    return results


# --------------------------------------------------------------- comparing outputs


def _sanitizers() -> list[tuple[re.Pattern, str]]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(SANITIZE)
    return [(re.compile(parser[s]["regex"]), parser[s]["replace"]) for s in parser.sections()]


def comparable(outputs: list[dict]) -> list[str]:
    """The parts of a cell's outputs that nbval compares (stream text, text/plain,
    text/html, error names), sanitized like nbval does for the series."""
    subs, parts, streams = _sanitizers(), [], {}
    for o in outputs:
        kind = o["output_type"]
        if kind == "stream":
            text = o["text"] if isinstance(o["text"], str) else "".join(o["text"])
            streams[o["name"]] = streams.get(o["name"], "") + text
        elif kind in ("execute_result", "display_data"):
            for mime in ("text/plain", "text/html"):
                if mime in o.get("data", {}):
                    value = o["data"][mime]
                    parts.append(f"{mime}: " + (value if isinstance(value, str) else "".join(value)))
        elif kind == "error":
            parts.append(f"error: {o['ename']}")
    parts = [f"{name}: {text}" for name, text in sorted(streams.items())] + parts
    out = []
    for part in parts:
        for regex, replace in subs:
            part = regex.sub(replace, part)
        out.append(part)
    return out


# ---------------------------------------------------------------- Unix accounts


ACCOUNT_MARK = "backprop hub test"


@dataclass
class Account:
    name: str
    uid: int
    gid: int
    home: Path


def _alive(pid: int) -> bool:
    return psutil.pid_exists(pid)


def _run_admin(*cmd: str) -> None:
    """useradd/userdel, retried while another one holds the lock on /etc/passwd."""
    for attempt in range(20):
        proc = subprocess.run(list(cmd), capture_output=True, text=True)
        if proc.returncode == 0:
            return
        if "lock" not in (proc.stderr + proc.stdout).lower():
            raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()}")
        time.sleep(0.25 * (attempt + 1))
    raise RuntimeError(f"{' '.join(cmd)}: /etc/passwd stayed locked")


def remove_stale_accounts() -> list[str]:
    """Delete accounts this test created in an earlier run that died before its cleanup
    (marked in the comment field with the pid of their test run, no longer alive)."""
    removed = []
    for entry in pwd.getpwall():
        m = re.fullmatch(re.escape(ACCOUNT_MARK) + r" pid=(\d+)", entry.pw_gecos)
        if m and not _alive(int(m.group(1))):
            for p in psutil.process_iter(["uids"]):
                with contextlib.suppress(psutil.NoSuchProcess):
                    if p.info["uids"] and p.info["uids"].real == entry.pw_uid:
                        p.kill()
            _run_admin("userdel", entry.pw_name)
            removed.append(entry.pw_name)
    return removed


def create_account(name: str, home: Path) -> Account:
    """A Unix account for one student, home ``home`` (created and owned by them).
    Idempotent for accounts of this test run; refuses to touch anyone else's account."""
    mark = f"{ACCOUNT_MARK} pid={os.getpid()}"
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        _run_admin("useradd", "--no-create-home", "--home-dir", str(home), "--shell", "/usr/sbin/nologin",
                   "--user-group", "--comment", mark, name)
        entry = pwd.getpwnam(name)
    if entry.pw_gecos != mark:
        raise RuntimeError(f"a Unix account {name!r} already exists and was not made by this test run "
                           f"(comment {entry.pw_gecos!r}): not touching it")
    home.mkdir(parents=True, exist_ok=True)
    home.chmod(0o755)
    # everything in a home is its owner's (the simple spawner's server runs as root and
    # has already written some of it)
    for path in [home, *home.rglob("*")]:
        os.chown(path, entry.pw_uid, entry.pw_gid, follow_symlinks=False)
    return Account(name, entry.pw_uid, entry.pw_gid, home)


def delete_account(account: Account) -> None:
    with contextlib.suppress(KeyError):
        if pwd.getpwnam(account.name).pw_gecos.startswith(ACCOUNT_MARK):
            _run_admin("userdel", account.name)


@dataclass
class Ran:
    returncode: int
    output: str


def run_as(account: Account, func, *args, cwd: Path | None = None, env: dict | None = None,
           timeout: float = 300) -> Ran:
    """Run ``func(*args)`` in a child process with the student's uid, gid and no other
    groups, HOME and USER set to theirs: a process of that student, as on a hub where
    every student is a Unix user. The returncode is func's return value (0 if None).

    The child is forked rather than started fresh because the interpreter may live in a
    folder other users cannot read (a Python under /root, as on CI): everything ``func``
    uses must be imported before the call (at the top of its module), since the child
    drops root for good before calling it."""
    with tempfile.TemporaryFile(mode="w+b") as out:
        pid = os.fork()
        if pid == 0:  # the child: never returns
            code = 1
            try:
                os.dup2(out.fileno(), 1)
                os.dup2(out.fileno(), 2)
                sys.stdout = open(1, "w", buffering=1, closefd=False)
                sys.stderr = open(2, "w", buffering=1, closefd=False)
                os.setgroups([])
                os.setgid(account.gid)
                os.setuid(account.uid)
                assert os.getuid() == account.uid and os.geteuid() == account.uid
                for k in [k for k in os.environ if k.startswith(("JUPYTER", "JPY_", "IPYTHON"))]:
                    del os.environ[k]
                os.environ.update({"HOME": str(account.home), "USER": account.name, "LOGNAME": account.name,
                                   **(env or {})})
                os.umask(0o022)
                os.chdir(cwd or account.home)
                result = func(*args)
                code = 0 if result is None else int(result)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            except BaseException:
                traceback.print_exc()
                code = 1
            finally:
                with contextlib.suppress(Exception):
                    sys.stdout.flush()
                    sys.stderr.flush()
                os._exit(code)
        deadline = time.monotonic() + timeout
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                raise TimeoutError(f"{func.__name__} as {account.name} did not finish within {timeout} s")
            time.sleep(0.05)
        out.seek(0)
        text = out.read().decode(errors="replace")
    return Ran(os.waitstatus_to_exitcode(status), text)
