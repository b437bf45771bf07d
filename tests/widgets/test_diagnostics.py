"""The diagnostics explorer: snapshots computed once, probe passes that leave the network unchanged."""
from __future__ import annotations

import numpy as np
import pytest

from backprop_lib.datasets import load
from backprop_lib.normalization import BatchNorm1d
from backprop_lib.widgets.diagnostics import DiagnosticsExplorer, DiagnosticsModel, deep_mlp, probe


@pytest.fixture(scope="module")
def model():
    return DiagnosticsModel(steps=30, every=10, depth=4)


def test_snapshots_and_histograms(model):
    assert model.steps == [0, 10, 20, 30] and model.n_hidden == 3
    for norm in ("none", "batchnorm"):
        snap = model.snapshot(norm, -1)
        assert len(snap.activations) == 3 and len(snap.weight_grads) == 3
        assert snap.update_ratio.shape == (4,) and snap.dead.shape == (3,)
        for layer in range(3):
            act, grad = model.histograms(norm, 2, layer)
            assert act.shape == grad.shape == (30,)
            assert abs(act.sum() - 1) < 1e-12 and abs(grad.sum() - 1) < 1e-12
    # the plain network's deepest activations start much smaller than the normalized one's
    plain, normed = model.snapshot("none", 0), model.snapshot("batchnorm", 0)
    assert plain.activations[-1].std() < 0.1 * normed.activations[-1].std()


def test_probe_leaves_the_network_unchanged():
    X, y = load("spirals", n=60, seed=0)
    net = deep_mlp(True, depth=3, width=8, init=0.5, seed=0)
    before = [p.data.copy() for p in net.parameters()]
    snap = probe(net, X, y, lr=0.1, step=0)
    assert all(np.array_equal(a, p.data) for a, p in zip(before, net.parameters()))
    assert all(np.all(p.grad == 0) for p in net.parameters())
    assert snap.dead.shape == (2,) and np.all(snap.update_ratio > 0)
    assert any(isinstance(layer, BatchNorm1d) for layer in net.layers)


def test_bad_state_is_refused(model):
    with pytest.raises(ValueError, match="step in 0..30"):
        DiagnosticsExplorer(step=15, model=model)
    with pytest.raises(ValueError, match="1 <= layer <= 3"):
        DiagnosticsExplorer(layer=7, model=model)
    with pytest.raises(ValueError, match="norm must be one of"):
        model.snapshot("layernorm", 0)


def test_dead_units_are_counted():
    X, y = load("spirals", n=60, seed=0)
    net = deep_mlp(False, depth=3, width=8, init=0.5, seed=0)
    net.layers[0].W.data[:, :4] = 0.0          # four units of hidden layer 1 get input 0 ...
    net.layers[0].b.data[:4] = -1.0            # ... and a negative bias: never active
    net.layers[0].b.data[4:] = 10.0            # the others always active
    assert probe(net, X, y, 0.1, 0).dead[0] == 0.5
