#!/usr/bin/env python3
"""Peak memory of a kernel running each notebook, for sizing a JupyterHub's users.

    .venv/bin/python tools/measure_memory.py                 # every notebooks/NN_*.ipynb
    .venv/bin/python tools/measure_memory.py notebooks/05_*.ipynb
    .venv/bin/python tools/measure_memory.py --update-docs   # the table in docs/jupyterhub.md

Each notebook runs top to bottom in a fresh ``python3`` kernel in its own folder, with one
BLAS thread (as binder/start sets). Before the kernel is shut down, its peak resident
memory (VmHWM in /proc/PID/status: Linux only) is read; so is a JupyterLab server's after
it has served the JupyterLab page, the fixed cost of each user. The user image has neither
PyTorch nor JAX (binder/environment.yml), so they are hidden from the kernels unless
--with-optional (notebooks 10 and 11 then show their stored results, as on the hub).

The table ends with the sizes the Zero to JupyterHub snippet in docs/jupyterhub.md uses:
guarantee = server + the largest notebook peak; limit = server + three kernels at that
peak (students leave kernels of earlier notebooks running until the kernel culler stops
them), each rounded up to a multiple of 128 MiB.
"""
from __future__ import annotations

import argparse
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from docs_block import BlockMissing, replace_block

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.run_notebooks import CELL_TIMEOUT, collect  # noqa: E402

DOCS = ROOT / "docs" / "jupyterhub.md"
DOCS_START, DOCS_END = "<!-- memory-table: start -->\n", "<!-- memory-table: end -->"
ONE_BLAS_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
MIB = 1024 * 1024
# optional packages of the notebooks that the hub image does not have
NOT_IN_IMAGE = ("torch", "jax")
STEP = 128  # MiB: sizes are rounded up to a multiple of this
KERNELS_IN_LIMIT = 3


def peak_rss(pid: int) -> int:
    """Peak resident memory of a process in bytes (VmHWM)."""
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^VmHWM:\s+(\d+) kB$", status, re.MULTILINE)
    if not match:
        raise RuntimeError(f"no VmHWM in /proc/{pid}/status: peak memory is measured on Linux only")
    return int(match.group(1)) * 1024


@dataclass
class Measurement:
    notebook: str
    idle: int  # bytes, the kernel before the first cell
    peak: int  # bytes, the kernel's peak over the whole notebook
    seconds: float


def _kernel_env(with_optional: bool, hide_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY_"))}
    env.update(ONE_BLAS_THREAD)
    if not with_optional:
        env.pop("BACKPROP_REQUIRE_TORCH", None)
        env["PYTHONPATH"] = os.pathsep.join(p for p in [str(hide_dir), env.get("PYTHONPATH", "")] if p)
    return env


def measure_notebook(path: Path, with_optional: bool, hide_dir: Path) -> Measurement:
    import nbformat
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    nb = nbformat.read(str(path), as_version=4)
    km = KernelManager(kernel_name="python3")
    client = NotebookClient(nb, km=km, timeout=CELL_TIMEOUT, allow_errors=False,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    with client.setup_kernel(env=_kernel_env(with_optional, hide_dir), cwd=str(path.parent)):
        pid = km.provisioner.process.pid
        idle = peak_rss(pid)
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        peak = peak_rss(pid)
    return Measurement(path.name, idle, peak, time.perf_counter() - start)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure_server() -> int:
    """Peak memory of a JupyterLab server (this environment's, with its extensions) that
    has started and served the JupyterLab page once, with no kernel running."""
    port, token = _free_port(), secrets.token_hex(16)
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY_"))}
        env.update(JUPYTER_CONFIG_DIR=f"{tmp}/config", JUPYTER_RUNTIME_DIR=f"{tmp}/runtime",
                   JUPYTER_DATA_DIR=f"{tmp}/data", IPYTHONDIR=f"{tmp}/ipython")
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={ROOT}"]
        if os.geteuid() == 0:
            cmd.append("--allow-root")
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                stdin=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token={token}", timeout=10) as r:
                        r.read()
                        break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("JupyterLab did not start for the server measurement") from None
                    time.sleep(0.5)
            return peak_rss(proc.pid)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _mib(n: int) -> int:
    return -(-n // MIB)


def _round_up(mib: int) -> int:
    return -(-mib // STEP) * STEP


def sizes(server: int, measurements: list[Measurement]) -> tuple[int, int]:
    """(guarantee, limit) in MiB, from the measured bytes (see the module docstring)."""
    largest = max(m.peak for m in measurements)
    guarantee = _round_up(_mib(server + largest))
    limit = _round_up(_mib(server + KERNELS_IN_LIMIT * largest))
    return guarantee, limit


def table(server: int, measurements: list[Measurement], with_optional: bool) -> str:
    guarantee, limit = sizes(server, measurements)
    lines = ["| notebook | kernel at start (MiB) | kernel peak (MiB) |",
             "|---|---:|---:|"]
    for m in measurements:
        lines.append(f"| {m.notebook} | {_mib(m.idle)} | {_mib(m.peak)} |")
    lines += ["", f"JupyterLab server, no kernel: {_mib(server)} MiB.",
              f"Suggested sizes: guarantee {guarantee}M (server + the largest peak), "
              f"limit {limit}M (server + {KERNELS_IN_LIMIT} kernels at the largest peak)."]
    if with_optional:
        lines.append(f"Measured with {', '.join(NOT_IN_IMAGE)} importable where installed (not as in the hub image).")
    return "\n".join(lines) + "\n"


def update_docs(text: str, docs: Path = DOCS) -> None:
    try:
        replace_block(docs, DOCS_START, DOCS_END, text)
    except BlockMissing as exc:
        raise SystemExit(f"error: {exc}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebooks (default: every notebooks/NN_*.ipynb)")
    parser.add_argument("--with-optional", action="store_true",
                        help=f"let the kernels import {' and '.join(NOT_IN_IMAGE)} (hidden by default)")
    parser.add_argument("--update-docs", action="store_true", help="write the table into docs/jupyterhub.md")
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in collect([str(p) for p in args.notebooks])]
    if args.update_docs and args.notebooks:
        print("error: --update-docs measures every notebook: give no notebook names", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as hide:
        for package in NOT_IN_IMAGE:
            (Path(hide) / package).mkdir()
            (Path(hide) / package / "__init__.py").write_text(
                f'raise ImportError("{package} is hidden: the hub image has none (tools/measure_memory.py)")\n')
        measurements = []
        for path in paths:
            m = measure_notebook(path, args.with_optional, Path(hide))
            print(f"{m.notebook}: peak {_mib(m.peak)} MiB ({m.seconds:.0f} s)", file=sys.stderr)
            measurements.append(m)
    server = measure_server()
    text = table(server, measurements, args.with_optional)
    if args.update_docs:
        update_docs(text)
        print(f"updated the memory table in {DOCS.relative_to(ROOT)}", file=sys.stderr)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
