"""record_pass: per-layer statistics equal those computed by hand from a plain pass."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from backprop_lib.layers import Linear, ReLU, Sequential, Tanh
from backprop_lib.losses import MSELoss, SoftmaxCrossEntropy
from backprop_lib.monitor import LayerRecord, record_pass

RNG = np.random.default_rng(3)


def test_record_fields_are_the_documented_interface():
    names = [f.name for f in dataclasses.fields(LayerRecord)]
    assert names == ["index", "name", "out_mean", "out_std", "frac_zero", "grad_out_norm",
                     "param_grad_norm", "param_norm", "weight_grad_norm"]


def test_records_match_a_hand_computed_pass():
    net = Sequential(Linear(3, 6, seed=0), ReLU(), Linear(6, 6, seed=1), Tanh(), Linear(6, 4, seed=2))
    X, y = RNG.standard_normal((10, 3)), RNG.integers(0, 4, 10)
    ce = SoftmaxCrossEntropy()
    for p in net.parameters():
        p.grad[...] = 7.0                        # stale gradients must not leak into the records
    loss, records = record_pass(net, X, y, ce)
    filled = [p.grad.copy() for p in net.parameters()]

    # the same pass by hand
    net.zero_grad()
    outs, h = [], X
    for layer in net.layers:
        h = layer.forward(h)
        outs.append(h)
    ce2 = SoftmaxCrossEntropy()
    assert loss == ce2.forward(h, y)
    d = ce2.backward()
    douts = [None] * len(net.layers)
    for i in range(len(net.layers) - 1, -1, -1):
        douts[i] = d
        d = net.layers[i].backward(d)
    assert [r.index for r in records] == list(range(5))
    assert [r.name for r in records] == ["Linear(3, 6)", "ReLU()", "Linear(6, 6)", "Tanh()", "Linear(6, 4)"]
    for r, out, dout, layer in zip(records, outs, douts, net.layers):
        assert r.out_mean == pytest.approx(out.mean(), rel=1e-12, abs=1e-15)
        assert r.out_std == pytest.approx(out.std(), rel=1e-12)
        assert r.frac_zero == np.mean(out == 0)
        assert r.grad_out_norm == pytest.approx(np.linalg.norm(dout), rel=1e-12)
        if layer.parameters():
            grads = np.concatenate([p.grad.ravel() for p in layer.parameters()])
            datas = np.concatenate([p.data.ravel() for p in layer.parameters()])
            assert r.param_grad_norm == pytest.approx(np.linalg.norm(grads), rel=1e-12)
            assert r.param_norm == pytest.approx(np.linalg.norm(datas), rel=1e-12)
        else:
            assert r.param_grad_norm is None and r.param_norm is None
    assert 0 < records[1].frac_zero < 1                     # some ReLUs are off
    for g, p in zip(filled, net.parameters()):               # record_pass left this batch's grads
        np.testing.assert_array_equal(g, p.grad)


def test_param_grads_are_filled_with_this_batch_only():
    net = Sequential(Linear(2, 3, seed=0), Tanh(), Linear(3, 1, seed=1))
    X, y = RNG.standard_normal((5, 2)), RNG.standard_normal((5, 1))
    record_pass(net, X, y, MSELoss())
    first = [p.grad.copy() for p in net.parameters()]
    record_pass(net, X, y, MSELoss())
    for g, p in zip(first, net.parameters()):
        np.testing.assert_array_equal(g, p.grad)
    assert any(g.any() for g in first)


def test_small_init_makes_activations_vanish_with_depth():
    depth, width = 12, 64
    X, y = RNG.standard_normal((128, width)), RNG.integers(0, 10, 128)

    def stds(init):
        layers = []
        for i in range(depth):
            layers += [Linear(width, width, init=init, seed=i), Tanh()]
        layers.append(Linear(width, 10, init=init, seed=depth))
        _, recs = record_pass(Sequential(*layers), X, y, SoftmaxCrossEntropy())
        return [r.out_std for r in recs if r.name == "Tanh()"]

    small, good = stds(0.01), stds("xavier")
    assert small[-1] < 1e-10 * small[0]          # shrinks by ~ 0.01 * sqrt(64) = 0.08 per layer
    assert good[-1] > 0.3 * good[0]              # Xavier keeps it in the same range


def test_overflowing_network_reports_nan_instead_of_raising():
    net = Sequential(Linear(2, 2, init=1e200, seed=0), Linear(2, 2, init=1e200, seed=1))
    loss, recs = record_pass(net, np.ones((3, 2)), np.zeros(3, dtype=int), SoftmaxCrossEntropy())
    assert np.isnan(loss)
    assert all(np.isnan(r.grad_out_norm) and np.isnan(r.param_grad_norm) for r in recs)
    assert np.isinf(recs[-1].out_std) or np.isnan(recs[-1].out_std)


def test_weight_grad_norm_leaves_the_bias_out():
    import numpy as np

    from backprop_lib.layers import Linear, Sequential, Tanh
    from backprop_lib.losses import SoftmaxCrossEntropy
    from backprop_lib.monitor import record_pass

    rng = np.random.default_rng(0)
    net = Sequential(Linear(3, 4, seed=0), Tanh(), Linear(4, 2, seed=1))
    X, y = rng.standard_normal((5, 3)), np.array([0, 1, 1, 0, 1])
    _, records = record_pass(net, X, y, SoftmaxCrossEntropy())
    for record, layer in zip(records, net.layers):
        if isinstance(layer, Linear):
            assert record.weight_grad_norm == np.linalg.norm(layer.W.grad)
            both = np.sqrt(np.sum(layer.W.grad ** 2) + np.sum(layer.b.grad ** 2))
            assert np.isclose(record.param_grad_norm, both)
            assert record.weight_grad_norm < record.param_grad_norm
        else:
            assert record.weight_grad_norm is None
