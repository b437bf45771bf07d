"""`make bench` code still runs (tiny sizes). Speed itself is measured by `make bench`,
never asserted in a unit test; this only checks that every table is produced and that
the counts the tables rely on are right."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_quick_benchmark_run_prints_every_table():
    result = subprocess.run([sys.executable, "-m", "benchmarks.run", "--quick"], cwd=ROOT,
                            capture_output=True, text=True, timeout=600,
                            env={"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
                                 "PATH": "/usr/bin:/bin", "HOME": str(Path.home())})
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    for title in ("Scalar engine: micrograd's demo step", "Vectorized MLP train step",
                  "Textbook claims", "Cost of one gradient", "within 100 ms"):
        assert title in out, f"missing table {title!r}:\n{out[-2000:]}"
    assert "follow the same loss trajectory: True" in out


def test_finite_differences_count_two_passes_per_parameter():
    from benchmarks import cost_of_gradients

    _, rows = cost_of_gradients.run(hidden=(1, 3), repeats=1)
    for P, row in rows.items():
        assert row["passes"] == 2 * P
