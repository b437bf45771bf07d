"""Small timing and table helpers shared by the benchmarks.

Every row of every table is measured side by side in one run: the peer and our
code alternate inside the same loop, so a busy machine slows both alike.
"""
from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence


def median_time(fn: Callable[[], object], repeats: int, warmup: int = 1) -> float:
    """Median wall time of ``fn()`` in seconds over ``repeats`` calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def interleaved_medians(fns: dict[str, Callable[[], object]], repeats: int, warmup: int = 1) -> dict[str, float]:
    """Median times of several functions measured in alternation (A B C A B C ...)."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(ts) for name, ts in times.items()}


def machine_summary() -> str:
    import numpy as np

    parts = [
        f"Python {platform.python_version()}",
        f"numpy {np.__version__}",
        f"{platform.machine()}",
        f"{os.cpu_count()} cores",
    ]
    try:
        import torch

        parts.append(f"torch {torch.__version__} ({torch.get_num_threads()} threads)")
    except ImportError:
        parts.append("torch not installed")
    return ", ".join(parts)


def format_table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub-flavoured Markdown table (prints well in a terminal too)."""
    cells = [[str(h) for h in header]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = [f"### {title}", ""]
    lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(cells[0], widths)) + " |")
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in cells[1:]:
        lines.append("| " + " | ".join(c.rjust(w) for c, w in zip(row, widths)) + " |")
    return "\n".join(lines) + "\n"


def _fmt(x: object) -> str:
    if isinstance(x, float):
        if x == 0:
            return "0"
        if abs(x) >= 100:
            return f"{x:.0f}"
        if abs(x) >= 1:
            return f"{x:.2f}"
        return f"{x:.3g}"
    return str(x)


def ms(seconds: float) -> float:
    return seconds * 1e3


def block_medians(fns: dict[str, Callable[[], object]], rounds: int = 3, min_seconds: float = 0.15,
                  max_calls: int = 200, warmup: int = 2) -> dict[str, float]:
    """Median time per call, measured in blocks that take turns: A-block, B-block, ... per round.

    Within a round each function runs in a block of its own, after ``warmup`` untimed
    calls, until the block has taken ``min_seconds`` (or ``max_calls`` calls). Blocks,
    rather than alternating single calls, matter when the peers use different thread
    pools (OpenBLAS for numpy, OpenMP for PyTorch): a pool that was just busy keeps
    spinning for a moment and would slow whichever call came right after it.
    """
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            for _ in range(warmup):
                fn()
            spent, calls = 0.0, 0
            while (spent < min_seconds and calls < max_calls) or calls < 3:
                t0 = time.perf_counter()
                fn()
                dt = time.perf_counter() - t0
                times[name].append(dt)
                spent += dt
                calls += 1
    return {name: statistics.median(ts) for name, ts in times.items()}
