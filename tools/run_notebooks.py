#!/usr/bin/env python3
"""Re-execute the notebooks in order and normalize what is stored (``make notebooks``).

Usage::

    python tools/run_notebooks.py                      # every notebooks/NN_*.ipynb
    python tools/run_notebooks.py notebooks            # the same, directory given
    python tools/run_notebooks.py notebooks/03_*.ipynb # a subset, in the order given
    python tools/run_notebooks.py --jobs 2 notebooks/es notebooks/hi   # the translated editions, two at a time

Each notebook runs in a fresh ``python3`` kernel with its own directory as the working
directory (120 s limit per cell, no per-cell timing metadata). Afterwards the notebook is
normalized so that a run on another machine rewrites nothing but real changes:

* ``kernelspec`` is set to python3 (JupyterLab then never asks "Select Kernel");
* per-cell ``execution`` timing metadata and notebook-level widget state are dropped;
* ``application/vnd.jupyter.widget-view+json`` outputs are dropped, together with the
  widget's ``text/plain`` repr, so JupyterLab never shows "model not found" for a stale
  view; other representations in the same output are kept;
* consecutive pieces of one stream (stdout or stderr) are joined into one output, as a kernel
  under load may flush a print in several pieces;
* cell ids and cell order are kept as they are: cells are never regenerated.

This is also the one step that rewrites the results a notebook stores for readers
without an optional framework (``notebooks/data/*_results.json``, see
:class:`backprop_lib.frameworks.StoredResults`): it sets ``BACKPROP_WRITE_RESULTS=1`` for
the kernels it starts. Any other run of a notebook (nbval, a student) only reads them.

A cell that raises fails the run (exit status 1, naming the notebook and the cell) unless
it is tagged ``raises-exception``; a cell with that tag that does *not* raise fails too.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError

from backprop_lib.frameworks import WRITE_RESULTS

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_NAME = re.compile(r"^\d\d_[a-z0-9_]+\.ipynb$")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
CELL_TIMEOUT = 120


class NotebookFailed(Exception):
    """A notebook could not be executed cleanly."""


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _describe(cell, index: int) -> str:
    first = next((line for line in cell.source.splitlines() if line.strip()), "")
    return f"cell {index} (id {cell.get('id', '?')}): {first[:70]!r}"


def normalize(nb) -> None:
    """Normalize an executed notebook in place (see the module docstring)."""
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.outputs:
            data = output.get("data")
            if data is not None and WIDGET_VIEW in data:
                del data[WIDGET_VIEW]
                # The text/plain beside a widget view is only the widget's repr.
                data.pop("text/plain", None)
                if not data:
                    continue
                for key in list(output.get("metadata", {})):
                    if key not in data:
                        del output["metadata"][key]
            if (kept and output.get("output_type") == "stream" and kept[-1].get("output_type") == "stream"
                    and kept[-1].get("name") == output.get("name")):
                # a kernel under load may flush one print in pieces: store it as one output
                kept[-1]["text"] = _text(kept[-1]) + _text(output)
                continue
            kept.append(output)
        cell.outputs = kept


def _text(output) -> str:
    text = output.get("text", "")
    return "".join(text) if isinstance(text, list) else text


def _check_expected_errors(nb, path: Path) -> None:
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "raises-exception" not in _tags(cell):
            continue
        if not any(out.get("output_type") == "error" for out in cell.outputs):
            raise NotebookFailed(
                f"{path.name}: {_describe(cell, index)} is tagged raises-exception but did not raise"
            )


def run_notebook(path: Path) -> None:
    """Execute one notebook in place, normalize it, and write it back."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        record_timing=False,
        allow_errors=False,  # cells tagged raises-exception may still raise
        resources={"metadata": {"path": str(path.parent)}},
    )
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError) as exc:
        index = next(
            (i for i, c in enumerate(nb.cells)
             if c.cell_type == "code" and any(o.get("output_type") == "error" for o in c.outputs)
             and "raises-exception" not in _tags(c)),
            None,
        )
        where = _describe(nb.cells[index], index) if index is not None else "a cell"
        summary = ANSI.sub("", str(exc)).strip().splitlines()
        raise NotebookFailed(f"{path.name}: {where} failed:\n" + "\n".join(summary[-15:])) from None
    _check_expected_errors(nb, path)
    normalize(nb)
    nbformat.validate(nb)
    nbformat.write(nb, path)


def collect(args: list[str]) -> list[Path]:
    """The notebooks named by the arguments: files as given, directories sorted by name."""
    if not args:
        args = [str(ROOT / "notebooks")]
    paths: list[Path] = []
    for arg in args:
        p = Path(arg)
        if p.is_dir():
            paths.extend(sorted(q for q in p.glob("*.ipynb") if NOTEBOOK_NAME.match(q.name)))
        elif p.is_file() and p.suffix == ".ipynb":
            paths.append(p)
        else:
            raise SystemExit(f"not a notebook or a directory: {arg}")
    if not paths:
        raise SystemExit(f"no notebooks found in {' '.join(args)}")
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", help="notebooks or directories (default: notebooks/)")
    parser.add_argument("--jobs", type=int, default=1, help="notebooks run at once, each in its own kernel")
    args = parser.parse_args(argv)
    # Quiet the debugger's frozen-modules warning and keep hashing deterministic.
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    os.environ.setdefault("PYTHONHASHSEED", "0")
    os.environ[WRITE_RESULTS] = "1"      # the kernels may rewrite notebooks/data/*_results.json
    def run(path: Path) -> str | None:
        label = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        print(f"running {label} ...", flush=True)
        try:
            run_notebook(path)
        except NotebookFailed as exc:
            print(f"FAILED {label}: {exc}", file=sys.stderr, flush=True)
            return str(label)
        return None

    paths = [p.resolve() for p in collect(args.paths)]
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        failed = [name for name in pool.map(run, paths) if name]
    if failed:
        print(f"{len(failed)} notebook(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
