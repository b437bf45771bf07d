"""Static checks on the stored notebooks: what `make notebooks` guarantees.

A notebook must be stored executed in order by a fresh python3 kernel, with no errors
(except cells tagged ``raises-exception``), no stderr, and nothing that differs per run
or per machine (timings, widget state). The notebook directory defaults to notebooks/
and can be changed with BACKPROP_NOTEBOOK_DIR.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = Path(os.environ.get("BACKPROP_NOTEBOOK_DIR", ROOT / "notebooks")).resolve()
# the Spanish and Hindi editions are held to the same rules
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb")) + [
    p for lang in ("es", "hi") for p in sorted((NOTEBOOK_DIR / lang).glob("*.ipynb"))]
NAME = re.compile(r"^\d\d_[a-z0-9]+(_[a-z0-9]+)*\.ipynb$")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

each_notebook = pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.relative_to(NOTEBOOK_DIR).as_posix() for p in NOTEBOOKS])


def _load(path: Path):
    return nbformat.read(path, as_version=nbformat.NO_CONVERT)


def _code_cells(nb):
    return [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]


def _tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def _where(index, cell):
    return f"cell {index} (id {cell.get('id', '?')})"


@each_notebook
def test_file_name(path):
    assert NAME.match(path.name), f"{path.name}: notebook names look like NN_lower_case_words.ipynb"


@each_notebook
def test_valid_nbformat_with_unique_ids(path):
    nb = _load(path)
    assert nb.nbformat == 4 and nb.nbformat_minor >= 5, (
        f"nbformat {nb.nbformat}.{nb.nbformat_minor}: cell ids need 4.5 or later"
    )
    nbformat.validate(nb)  # raises ValidationError with the offending part
    ids = [cell.get("id") for cell in nb.cells]
    assert all(ids), "every cell needs an id"
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"duplicate cell ids: {duplicates}"


@each_notebook
def test_kernelspec(path):
    spec = _load(path).metadata.get("kernelspec")
    assert spec, "no kernelspec metadata: JupyterLab would ask the reader to select a kernel"
    assert spec.get("name") == "python3", f"kernelspec name is {spec.get('name')!r}, expected 'python3'"
    assert spec.get("language") == "python"


@each_notebook
def test_executed_in_order(path):
    cells = _code_cells(_load(path))
    empty = [_where(i, c) for i, c in cells if not c.source.strip()]
    assert not empty, f"empty code cells (never executed, remove them): {empty}"
    counts = [c.execution_count for _, c in cells]
    assert None not in counts, (
        f"not executed: {[_where(i, c) for i, c in cells if c.execution_count is None]}; run `make notebooks`"
    )
    assert counts == list(range(1, len(cells) + 1)), (
        f"execution counts {counts} are not 1..{len(cells)}: re-run the notebook top to bottom (`make notebooks`)"
    )
    for i, cell in cells:
        for out in cell.outputs:
            if "execution_count" in out:
                assert out["execution_count"] == cell.execution_count, f"{_where(i, cell)}: stale output"


@each_notebook
def test_no_errors_or_stderr(path):
    problems = []
    for i, cell in _code_cells(_load(path)):
        expected = "raises-exception" in _tags(cell)
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if errors and not expected:
            problems.append(f"{_where(i, cell)}: {errors[0].ename}: {errors[0].evalue}")
        if expected and not errors:
            problems.append(f"{_where(i, cell)}: tagged raises-exception but stores no error")
        for out in cell.outputs:
            if out.output_type == "stream" and out.name == "stderr":
                problems.append(f"{_where(i, cell)}: stderr output {out.text[:200]!r}")
    assert not problems, "\n".join(problems)


@each_notebook
def test_no_timing_or_widget_state(path):
    nb = _load(path)
    problems = []
    if "widgets" in nb.metadata:
        problems.append("notebook metadata stores widget state ('widgets')")
    for i, cell in enumerate(nb.cells):
        if "execution" in cell.get("metadata", {}):
            problems.append(f"{_where(i, cell)}: per-cell timing metadata ('execution')")
        for out in cell.get("outputs", []):
            if WIDGET_VIEW in out.get("data", {}):
                problems.append(f"{_where(i, cell)}: stored widget view (shows 'model not found' without a kernel)")
    assert not problems, "\n".join(problems) + "\nrun `make notebooks` to normalize"



def test_notebooks_exist():
    assert NOTEBOOKS, f"no notebooks in {NOTEBOOK_DIR.name}/: the parametrized checks would pass vacuously"
