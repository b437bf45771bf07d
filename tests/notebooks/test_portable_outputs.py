"""Stored outputs must not depend on floating-point rounding, BLAS kernels or timing.

``make test`` runs nbval, which re-executes every notebook and compares each stored output
with the fresh one, character for character. The last bits of a floating-point result are
not the same on every machine: numpy's OpenBLAS picks its matrix kernels (Haswell,
SkylakeX, Zen, ...) from the CPU at run time, numpy's math functions have SIMD variants,
the C library and PyTorch have their own. Two correct machines agree to rounding, not bit
for bit, so an output that shows rounding makes ``make test`` fail on a student's laptop.

This module scans what nbval compares (stream text, text/plain, text/html, ..., error
values; after the sanitize patterns of tests/nbval_sanitize.cfg) in every cell that nbval
checks, and rejects three kinds of numbers:

* **rounding-level measurements**: in an output about errors, differences or agreement,
  a nonzero number below :data:`ROUNDING_LEVEL`. The error between two computations that
  agree up to rounding (backprop against finite differences, two engines, ours against
  PyTorch) is rounding noise whatever its size; print a bound (``< 1e-12``) and assert it.
* **more digits than the computation can guarantee**: more than :data:`MAX_DIGITS`
  significant digits (trailing zeros do not count: a value printed as ``6.000000000000``
  is an exact result, far from where its last digit would flip).
* **timings**: a number with a unit of time.

Not rejected: numbers in cells nbval does not compare (tagged ``nbval-ignore-output`` or
``nbval-skip``: keep the claim asserted there), numbers written in the cell's own source
(constants such as a tolerance), bounds (a number right after ``<``, ``<=``, ``>``, ...),
and the entries of :data:`ALLOWED`, each with its reason.

``test_the_scan_catches_rounding_level_outputs`` keeps the scanner honest on outputs that
once made nbval fail on another CPU.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import nbformat
import pytest
from nbval.plugin import find_comment_markers, find_metadata_tags, get_sanitize_patterns

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = Path(os.environ.get("BACKPROP_NOTEBOOK_DIR", ROOT / "notebooks")).resolve()
# the Spanish and Hindi editions are held to the same rules
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb")) + [
    p for lang in ("es", "hi") for p in sorted((NOTEBOOK_DIR / lang).glob("*.ipynb"))]
SANITIZE = get_sanitize_patterns((ROOT / "tests" / "nbval_sanitize.cfg").read_text())

#: An agreement measure below this is set by rounding (float64 rounding is ~1e-16 relative,
#: and finite differences with h = 1e-5 are accurate to ~1e-10).
ROUNDING_LEVEL = 1e-6
#: float64 results carry about 16 significant digits, and a few rounding errors per operation
#: accumulate: 10 printed digits leave a margin of about 10^4 over rounding noise.
MAX_DIGITS = 10

#: Outputs nbval does not compare (nbval 0.11's skip list, without nbdime).
NOT_COMPARED = {"metadata", "traceback", "prompt_number", "output_type", "name", "execution_count",
                "application/vnd.jupyter.widget-view+json", "image/png", "image/jpeg"}
#: A decimal number: not part of a name (``0.W``, ``x1``), a version (``3.11.2``) or a hex address.
NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)(?![\w]|\.\d)")
FLOAT = re.compile(r"[.eE]")
BOUND_BEFORE = re.compile(r"(<=?|>=?|≤|≥|<<|>>)\s*[-+]?$")
AGREEMENT = re.compile(r"err(?:or)?s?\b|differ|\bdiff\b|discrepanc|mismatch|agree|deviat|\bvs\b|versus"
                       r"|\|[^|\n]*\s-\s[^|\n]*\|", re.IGNORECASE)
TIME_UNIT = re.compile(r"\s?(?:ns|µs|us|ms|s|sec|secs|seconds?|min|minutes?|h|hours?)\b")

#: (notebook file stem, cell id) -> {number as printed: why it is not machine-dependent}.
ALLOWED: dict[tuple[str, str], dict[str, str]] = {}


@dataclass(frozen=True)
class Finding:
    notebook: str
    cell_id: str
    number: str
    rule: str
    line: str

    def __str__(self) -> str:
        return f"{self.notebook} cell {self.cell_id}: {self.number!r} {self.rule}\n    in: {self.line.strip()[:120]!r}"


def is_compared(cell) -> bool:
    """True when nbval compares this code cell's outputs (``--nbval``, not lax)."""
    options = dict(find_metadata_tags(cell.get("metadata", {})) or ())
    options.update(dict(find_comment_markers(cell.source)))
    return options.get("check", True) and not options.get("skip", False)


def compared_texts(cell) -> list[str]:
    """The strings of this cell's outputs that nbval compares, sanitized as nbval does."""
    texts = []
    for output in cell.get("outputs", []):
        for key, value in output.items():
            if key in NOT_COMPARED:
                continue
            values = value.items() if key == "data" else [(key, value)]
            for sub_key, text in values:
                if sub_key in NOT_COMPARED or not isinstance(text, str):
                    continue
                for regex, replace in SANITIZE:
                    text = re.sub(regex, replace, text)
                texts.append(text)
    return texts


def significant_digits(number: str) -> int:
    """Digits of the printed mantissa, without leading or trailing zeros (``6.000`` has 1)."""
    mantissa = re.split("[eE]", number)[0].replace(".", "").strip("0")
    return len(mantissa)


def scan_cell(notebook: str, cell) -> list[Finding]:
    """Numbers in the compared outputs of ``cell`` that may differ on another machine."""
    if cell.cell_type != "code" or not is_compared(cell):
        return []
    allowed = ALLOWED.get((notebook, cell.get("id")), {})
    constants = set(NUMBER.findall(cell.source))
    findings = []
    for text in compared_texts(cell):
        about_agreement = bool(AGREEMENT.search(text))
        for line in text.splitlines():
            for match in NUMBER.finditer(line):
                number = match.group(1)
                if number in constants or number in allowed:
                    continue
                if BOUND_BEFORE.search(line[:match.start()]):
                    continue
                rule = None
                if TIME_UNIT.match(line, match.end()):
                    rule = "is a time (machine-dependent: tag the cell nbval-ignore-output)"
                elif FLOAT.search(number):
                    value = Decimal(number)
                    if about_agreement and 0 < value < Decimal(str(ROUNDING_LEVEL)):
                        rule = (f"is a rounding-level error or difference (< {ROUNDING_LEVEL:g}): "
                                "print a bound such as '< 1e-12' and assert it")
                    elif significant_digits(number) > MAX_DIGITS:
                        rule = (f"has {significant_digits(number)} significant digits "
                                f"(more than {MAX_DIGITS}): rounding can change the last ones")
                if rule:
                    findings.append(Finding(notebook, cell.get("id", "?"), number, rule, line))
    return findings


def scan_notebook(path: Path) -> list[Finding]:
    nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    return [finding for cell in nb.cells for finding in scan_cell(path.stem, cell)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.relative_to(NOTEBOOK_DIR).as_posix() for p in NOTEBOOKS])
def test_no_stored_output_depends_on_rounding(path):
    findings = scan_notebook(path)
    assert not findings, (
        "stored outputs that another CPU (other BLAS kernels) would print differently:\n"
        + "\n".join(map(str, findings))
    )


def test_every_allowance_is_still_needed():
    stale = []
    for (stem, cell_id), numbers in ALLOWED.items():
        path = NOTEBOOK_DIR / f"{stem}.ipynb"
        if not path.exists():
            continue
        nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
        cells = [cell for cell in nb.cells if cell.get("id") == cell_id]
        printed = {n for cell in cells for text in compared_texts(cell) for n in NUMBER.findall(text)}
        stale += [f"{stem} cell {cell_id}: {number!r}" for number in numbers if number not in printed]
    assert not stale, f"ALLOWED entries that no stored output prints any more (remove them): {stale}"


# --------------------------------------------------------------------- the scanner itself

def _cell(source: str, text: str, tags: tuple[str, ...] = ()) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source, id="probe")
    cell.metadata["tags"] = list(tags)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
    return cell


@pytest.mark.parametrize("source, text, number", [
    # outputs that made nbval fail on another CPU, or would have
    ('print(f"relative error {e:.1e}")', "layer 1: dW of shape (2, 5), relative error 5.7e-16\n", "5.7e-16"),
    ('print(f"error {e:.1e}")', "best h, centered: 5.6e-06, error 3.8e-13\n", "3.8e-13"),
    ("print(report)", "x     rel error 1.37e-11  good\n", "1.37e-11"),
    ("print(diffs)", "exact largest differences:\n  0.W  2.8e-17\n", "2.8e-17"),
    ('print(f"{loss:.12f}")', "loss = 1.080653476709, P = 371 parameters\n", "1.080653476709"),
    ("print(p.sum())", "sum: 0.9999999999999999\n", "0.9999999999999999"),
    ('print(f"forward {t:8.2f} ms")', "forward    8.33 ms\n", "8.33"),
])
def test_the_scan_catches_rounding_level_outputs(source, text, number):
    findings = scan_cell("probe", _cell(source, text))
    assert [f.number for f in findings] == [number]


@pytest.mark.parametrize("source, text, tags", [
    ('print(f"relative error < 1e-12")', "relative error < 1e-12\n", ()),
    ('print(f"rel error < {tol:g}")', "rel error < 1e-09\n", ()),
    ('print(f"error {e:.1e}")', "error 3.8e-13\n", ("nbval-ignore-output",)),
    ("# NBVAL_IGNORE_OUTPUT\nprint(t)", "took 0.9 s\n", ()),
    ('print(f"{g**49:.2e}")', "after 49 more layers g**49 = 4.21e-57\n", ()),   # tiny, but no comparison
    ('print(f"centered = {c:.12f}")', "h = 0.1   centered = 6.000000000000\n", ()),
    ('print("an input at 1e-6")', "an input at 1e-6: rel error 0.18\n", ()),   # a constant of the source
    ('print(f"{x:.3f}")', "Python 3.11.2, shape (2, 5), 0.W, loss 0.273\n", ()),
])
def test_the_scan_accepts_portable_outputs(source, text, tags):
    assert scan_cell("probe", _cell(source, text, tags)) == []
