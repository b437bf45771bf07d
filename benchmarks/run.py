"""`make bench`: run every benchmark and print its tables.

    python -m benchmarks.run            # everything (a few minutes)
    python -m benchmarks.run --quick    # tiny sizes, to check the code runs
    python -m benchmarks.run --only scalar mlp tensor cost widgets
"""
from __future__ import annotations

import argparse
import time

from .common import machine_summary

SECTIONS = ("scalar", "mlp", "tensor", "cost", "widgets")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes and few repeats (a smoke run)")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    args = parser.parse_args(argv)
    print(f"Machine: {machine_summary()}\n")
    for section in args.only:
        t0 = time.perf_counter()
        if section == "scalar":
            from . import scalar_vs_micrograd

            table, _ = scalar_vs_micrograd.run(steps=2 if args.quick else 5, n_points=20 if args.quick else 100)
        elif section == "mlp":
            from . import mlp_vs_torch

            if args.quick:
                table, _ = mlp_vs_torch.run(batches=(16,), widths=(32,), repeats=2)
            else:
                table, _ = mlp_vs_torch.run()
        elif section == "tensor":
            from . import tensor_vs_layers

            if args.quick:
                table, _ = tensor_vs_layers.run(batches=(16,), widths=(32,), repeats=2)
            else:
                table, _ = tensor_vs_layers.run()
        elif section == "cost":
            from . import cost_of_gradients

            table, _ = cost_of_gradients.run(hidden=(1, 7) if args.quick else (1, 7, 28, 96),
                                             repeats=2 if args.quick else 5)
        else:
            from . import widget_latency

            table = widget_latency.render(widget_latency.run(quick=args.quick))
        print(table)
        print(f"({section}: {time.perf_counter() - t0:.1f} s)\n", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
