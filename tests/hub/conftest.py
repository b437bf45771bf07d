"""Fixtures for the hub integration test: one JupyterHub for the module, a local bare
clone of this repository for nbgitpuller to pull from, and the links to it made by
tools/hub_links.py, as an instructor would make them."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import hub_helpers as hh  # noqa: E402

# the node modules are the proxy's, not tests
collect_ignore_glob = ["node_modules/*"]


@dataclass
class Remote:
    """The course repository as the instructor publishes it (a bare repository)."""

    path: Path
    branch: str = "main"

    @property
    def url(self) -> str:
        return self.path.as_uri()  # file://: nbgitpuller makes a shallow clone, as from a server


@pytest.fixture(scope="module")
def root():
    """A folder for everything the test makes. World-readable: the students' Unix
    accounts must reach the nbgrader exchange inside it (pytest's tmp_path is private)."""
    path = Path(tempfile.mkdtemp(prefix="backprop-hub-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def remote(root) -> Remote:
    """A bare clone of this repository's current commit, as branch main."""
    bare = root / "remote" / f"{hh.COURSE_FOLDER}.git"
    hh.git("init", "--quiet", "--bare", "--initial-branch=main", str(bare))
    hh.git("-C", str(bare), "fetch", "--quiet", "--no-tags", str(hh.REPO), "HEAD:refs/heads/main")
    return Remote(bare)


@pytest.fixture(scope="module")
def hub(root):
    jupyter_path = root / "etc-jupyter"
    jupyter_path.mkdir()
    h = hh.Hub(root, jupyter_path)
    try:
        h.start()
    except BaseException:
        h.stop()
        raise
    yield h
    left = h.stop()
    assert not left, "still running after the hub was stopped:\n" + "\n".join(left)


@pytest.fixture(scope="module")
def links(hub, remote) -> dict[str, str]:
    """{notebook path: link} from `tools/hub_links.py --format tsv`, for this hub and remote."""
    proc = subprocess.run(
        [sys.executable, str(hh.REPO / "tools" / "hub_links.py"), "--hub", hub.url, "--repo", remote.url,
         "--branch", remote.branch, "--format", "tsv"], capture_output=True, text=True, cwd=hh.REPO)
    assert proc.returncode == 0, proc.stderr
    rows = [line.split("\t") for line in proc.stdout.splitlines()]
    return {path: url for lang, path, url in rows if lang == "en"}


@pytest.fixture(scope="module")
def browsers(hub) -> dict:
    """One logged-in browser per student, with their server running."""
    out = {}
    for name in hh.STUDENTS:  # logging in starts each server; they start side by side
        b = hh.Browser(hub, name)
        b.login()
        out[name] = b
    for b in out.values():
        page = b.open(b.server)  # the hub's "starting" page until the server answers
        assert page.status_code == 200 and page.url.startswith(b.server), f"{b.user}: {page.status_code} {page.url}"
    return out


def _required(var: str) -> bool:
    return os.environ.get(var, "").strip().lower() in {"1", "true", "yes"}


@pytest.fixture(scope="module")
def accounts(hub, browsers):
    """A Unix account per student (nbgrader's exchange tells students apart by their
    Unix user), home = their hub home. Needs root; on CI (BACKPROP_REQUIRE_ROOT=1) a
    machine without it is a failure, elsewhere the nbgrader part is skipped."""
    missing = [tool for tool in ("useradd", "userdel") if not shutil.which(tool)]
    if os.geteuid() != 0 or missing:
        why = (f"the nbgrader exchange test creates Unix accounts for two students: it needs root "
               f"and useradd/userdel (uid {os.geteuid()}, missing: {missing or 'nothing'})")
        if _required("BACKPROP_REQUIRE_ROOT"):
            pytest.fail(why + "; BACKPROP_REQUIRE_ROOT=1 makes it mandatory here")
        pytest.skip(why)
    hh.remove_stale_accounts()
    made = []
    try:
        for name in hh.STUDENTS:
            made.append(hh.create_account(name, hub.home(name)))
        yield {a.name: a for a in made}
    finally:
        for account in made:
            hh.delete_account(account)
        left = [a.name for a in made if _account_exists(a.name)]
        assert not left, f"Unix accounts not removed: {left}"


def _account_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False
