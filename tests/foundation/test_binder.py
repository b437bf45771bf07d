"""The Binder and conda configurations agree with the pinned lock file.

repo2docker (Binder's image builder) is asked for the Dockerfile it would build, which
needs no Docker and takes about a second; the environment files are compared pin by pin
with constraints.txt, the lock file the Makefile installs from.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BINDER_ENV = ROOT / "binder" / "environment.yml"
POSTBUILD = ROOT / "binder" / "postBuild"
ROOT_ENV = ROOT / "environment.yml"
NOT_FOR_STUDENTS = {"nbgrader", "torch", "pytorch", "jax", "jaxlib"}
# conda-forge packages pinned under another name than the PyPI package in the lock file
CONDA_TO_PYPI = {"jupyterhub-singleuser": "jupyterhub"}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)$")
CONDA_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(==|=)\s*([^\s=<>!*,|]+)$")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _lock_path() -> Path:
    text = (ROOT / "Makefile").read_text()
    match = re.search(r"^LOCK\s*:?=\s*(\S+)\s*$", text, re.M)
    assert match, "the Makefile defines no LOCK := <file>"
    return ROOT / match.group(1)


def _lock() -> dict[str, str]:
    pins = {}
    for line in _lock_path().read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = PIN.match(line)
        assert match, f"{_lock_path().name}: not an exact pin: {line!r}"
        pins[_norm(match.group(1))] = match.group(2)
    return pins


def _conda_env(path: Path) -> tuple[dict, dict[str, str], list[str]]:
    """(the parsed file, {conda package: version} with exact pins, [pip lines])."""
    env = yaml.safe_load(path.read_text())
    pins: dict[str, str] = {}
    pip_lines: list[str] = []
    for dep in env.get("dependencies", []):
        if isinstance(dep, dict):
            pip_lines.extend(dep.get("pip", []))
            continue
        dep = str(dep)
        assert "::" not in dep, f"{_rel(path)}: {dep!r} names a channel: use conda-forge only"
        match = CONDA_PIN.match(dep)
        assert match, f"{_rel(path)}: {dep!r} is not an exact pin (name=version)"
        pins[_norm(match.group(1))] = match.group(3)
    return env, pins, pip_lines


def test_lock_file_exact_pins():
    pins = _lock()
    for package in ["numpy", "matplotlib", "ipywidgets", "jupyterlab", "ipykernel", "nbval", "pip"]:
        assert package in pins, f"{_lock_path().name} does not pin {package}"


def test_repo2docker_uses_binder_files():
    repo2docker = Path(sys.executable).parent / "repo2docker"
    assert repo2docker.exists(), "repo2docker is missing: install the test extras (make test)"
    result = subprocess.run(
        [str(repo2docker), "--no-build", "--debug", "."],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    dockerfile = result.stdout + result.stderr
    assert re.search(r'env update -p \S+ --file "binder/environment\.yml"', dockerfile), (
        "the Binder image would not install binder/environment.yml"
    )
    assert "RUN ./binder/postBuild" in dockerfile, "the Binder image would not run binder/postBuild"
    assert "Building conda environment for python=3.11" in dockerfile, "Binder would not use Python 3.11"
    assert 'R2D_ENTRYPOINT="${REPO_DIR}/binder/start"' in dockerfile, "binder/start would not wrap sessions"


def test_start_script_limits_blas_threads():
    start = ROOT / "binder" / "start"
    text = start.read_text()
    assert start.stat().st_mode & 0o111, "binder/start must be executable"
    assert "OPENBLAS_NUM_THREADS=1" in text and text.rstrip().endswith('exec "$@"')


@pytest.mark.parametrize("path", [BINDER_ENV, ROOT_ENV], ids=["binder", "root"])
def test_environment_matches_lock(path):
    env, pins, pip_lines = _conda_env(path)
    assert env.get("channels") == ["conda-forge"], f"{_rel(path)}: channels must be exactly [conda-forge]"
    assert "nodefaults" not in str(env.get("channels"))
    lock = _lock()
    assert pins.get("python") == "3.11", f"{_rel(path)}: pin python=3.11 (found {pins.get('python')!r})"
    for package in ["numpy", "matplotlib", "ipywidgets", "jupyterlab", "ipykernel"]:
        assert package in pins, f"{_rel(path)}: {package} is not pinned"
    mismatches = [
        f"{name}: {_rel(path)} has {version}, {_lock_path().name} has {lock[CONDA_TO_PYPI.get(name, name)]}"
        for name, version in pins.items()
        if CONDA_TO_PYPI.get(name, name) in lock and lock[CONDA_TO_PYPI.get(name, name)] != version
    ]
    assert not mismatches, "\n".join(mismatches)
    for name in pins:
        assert name not in NOT_FOR_STUDENTS, f"{_rel(path)}: {name} does not belong in the student environment"
    for line in pip_lines:
        assert not any(_norm(word).startswith(bad) for word in line.split() for bad in NOT_FOR_STUDENTS), line


def test_binder_image_serves_a_jupyterhub():
    # docs/jupyterhub.md uses the Binder image as the hub's user image: it needs the
    # single-user server and nbgitpuller, at the versions the hub test (tests/hub) runs
    _env, pins, _pip = _conda_env(BINDER_ENV)
    lock = _lock()
    for package in ["jupyterhub-singleuser", "nbgitpuller"]:
        assert package in pins, f"binder/environment.yml does not pin {package}"
        assert pins[package] == lock[CONDA_TO_PYPI.get(package, package)], package


def test_binder_environment_has_no_local_paths():
    # A local path (pip `-e .`) would defer the install until after the repository is
    # copied into the image (no caching), and `.` would resolve relative to binder/.
    _env, _pins, pip_lines = _conda_env(BINDER_ENV)
    text = BINDER_ENV.read_text()
    assert not pip_lines, f"binder/environment.yml has a pip section {pip_lines}: install in postBuild"
    assert not re.search(r"(^|\s)(-e\s|\.{1,2}/|/|file:)", text.split("dependencies:", 1)[1]), (
        "binder/environment.yml refers to a local path"
    )


def test_root_environment_name_and_local_install():
    env, _pins, pip_lines = _conda_env(ROOT_ENV)
    assert env.get("name") == "backprop-ground-up"
    assert pip_lines and pip_lines[-1] == "-e .", "environment.yml should install the package with `-e .`"


def test_postbuild_installs_the_package():
    text = POSTBUILD.read_text()
    lines = [line.strip() for line in text.splitlines()]
    assert lines[0] == "#!/bin/bash"
    assert "set -euo pipefail" in lines, "postBuild must stop at the first failure"
    assert POSTBUILD.stat().st_mode & 0o111, "postBuild must be executable"
    installs = [line for line in lines if re.match(r"(python -m )?pip install\b", line)]
    assert installs, "postBuild does not pip install the package"
    assert any("--no-deps" in line and re.search(r"(\s-e\s+\.|\s\.)$", line) for line in installs), (
        f"postBuild must install the repository with --no-deps (keep the conda pins): {installs}"
    )
    assert not any(_norm(word) in NOT_FOR_STUDENTS for line in installs for word in line.split())


def test_postbuild_pins_agree_with_the_lock():
    """A package postBuild adds with pip (the Spanish JupyterLab language pack) has the
    lock file's version, so Binder and `make lab` give the same interface."""
    pins = _lock()
    named = re.findall(r'"([A-Za-z0-9_.-]+)==([^"\s]+)"', POSTBUILD.read_text())
    assert any(_norm(name) == _norm("jupyterlab-language-pack-es-ES") for name, _v in named)
    for name, version in named:
        assert pins.get(_norm(name)) == version, f"postBuild installs {name}=={version}, the lock has {pins.get(_norm(name))}"


def test_the_spanish_interface_is_installed():
    """JupyterLab can switch its interface to Spanish (Settings > Language)."""
    from jupyterlab_server.translation_utils import get_language_packs
    packs = get_language_packs()
    packs = packs[0] if isinstance(packs, tuple) else packs
    assert "es_ES" in packs, f"JupyterLab's language packs: {sorted(packs)}"
