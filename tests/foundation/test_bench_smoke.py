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
                  "Textbook claims", "Tensor engine vs hand-written layers", "Cost of one gradient",
                  "within 100 ms"):
        assert title in out, f"missing table {title!r}:\n{out[-2000:]}"
    assert "follow the same loss trajectory: True" in out


def test_finite_differences_count_two_passes_per_parameter():
    from benchmarks import cost_of_gradients

    _, rows = cost_of_gradients.run(hidden=(1, 3), repeats=1)
    for P, row in rows.items():
        assert row["passes"] == 2 * P


def test_tensor_step_trains_like_the_layers():
    """The benchmark's Tensor step does the same update as the hand-written step."""
    import numpy as np

    from backprop_lib.layers import Linear
    from backprop_lib.losses import SoftmaxCrossEntropy
    from backprop_lib.optim import SGD
    from benchmarks import tensor_vs_layers
    from benchmarks.mlp_vs_torch import build

    rng = np.random.default_rng(0)
    net, _ = build(16, np.float64)
    X, y = rng.standard_normal((8, 16)), rng.integers(0, 10, size=8)
    before = [layer.W.data.copy() for layer in net.layers if isinstance(layer, Linear)]
    step, params = tensor_vs_layers.tensor_step_fn(net, X, y)
    step()
    loss_fn, opt = SoftmaxCrossEntropy(), SGD(net.parameters(), lr=tensor_vs_layers.LR)
    loss_fn.forward(net.forward(X), y)
    net.backward(loss_fn.backward(), input_grad=False)
    opt.step()
    after = [layer.W.data for layer in net.layers if isinstance(layer, Linear)]
    tensor_W = [W.data for W, _ in params]
    for w0, w1, wt in zip(before, after, tensor_W):
        assert not np.allclose(w0, w1)
        np.testing.assert_allclose(wt, w1, rtol=1e-12, atol=1e-15)
