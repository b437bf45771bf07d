"""Bad input at every public boundary: clear ValueError/TypeError naming expected and given."""
from __future__ import annotations

import numpy as np
import pytest

from backprop_lib import datasets
from backprop_lib.checkpoint import CheckpointedSequential, activation_bytes, measure_peak_bytes
from backprop_lib.gradcheck import check_layer, numerical_gradient, rel_error
from backprop_lib.layers import Linear, ReLU, Residual, Sequential, Tanh
from backprop_lib.losses import MSELoss, SoftmaxCrossEntropy, logsumexp, softmax
from backprop_lib.monitor import record_pass
from backprop_lib.optim import SGD, Adam, Momentum
from backprop_lib.training import Trainer, accuracy


# ---------------------------------------------------------------- shapes
def test_linear_transposed_input_gets_a_hint():
    with pytest.raises(ValueError, match=r"^Linear\(2, 16\) expects input of shape \(N, 2\), got \(2, 16\); "
                                         r"rows are examples: did you pass the transpose\?"):
        Linear(2, 16).forward(np.zeros((16, 2)).T)


def test_linear_shape_message_plain():
    with pytest.raises(ValueError) as info:
        Linear(2, 16).forward(np.zeros((16, 3)))
    assert str(info.value) == "Linear(2, 16) expects input of shape (N, 2), got (16, 3)"


def test_linear_one_dimensional_input_gets_a_hint():
    with pytest.raises(ValueError, match=r"got \(2,\); a single example must be a row"):
        Linear(2, 3).forward(np.zeros(2))


def test_sequential_says_which_layer():
    net = Sequential(Linear(2, 4), ReLU(), Linear(5, 1))
    with pytest.raises(ValueError, match=r"layer 2 of Sequential: Linear\(5, 1\) expects input of shape \(N, 5\), got \(3, 4\)"):
        net.forward(np.zeros((3, 2)))


def test_backward_checks_dout_shape():
    layer = Linear(2, 3)
    layer.forward(np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"expects dout of shape \(4, 3\), got \(4, 2\)"):
        layer.backward(np.zeros((4, 2)))


# ---------------------------------------------------------------- dtypes and NaN
def test_integer_input_is_converted_not_truncated():
    layer = Linear(2, 3, seed=0)
    Xi = np.array([[1, 2], [3, -4]])
    out = layer.forward(Xi)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, layer.forward(Xi.astype(np.float64)))
    assert Tanh().forward([[1, 2]]).dtype == np.float64     # lists too


@pytest.mark.parametrize("bad", [np.array([["a", "b"]]), np.array([[1 + 2j, 0]]), np.array([[None, 1.0]])])
def test_non_real_input_is_a_type_error(bad):
    with pytest.raises(TypeError, match="real numbers"):
        Linear(2, 1).forward(bad)


def test_nan_and_inf_inputs_are_rejected():
    X = np.zeros((3, 2))
    X[1, 0] = np.nan
    with pytest.raises(ValueError, match=r"1 non-finite value\(s\) \(first: NaN at index \(1, 0\)\)"):
        Linear(2, 2).forward(X)
    X[1, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        Sequential(Linear(2, 2)).forward(X)
    with pytest.raises(ValueError, match="NaN"):
        SoftmaxCrossEntropy().forward(np.array([[np.nan, 1.0]]), np.array([0]))


def test_torch_tensor_input_is_named(torch):
    with pytest.raises(TypeError, match="torch tensor"):
        Linear(2, 1).forward(torch.zeros(1, 2))


def test_layer_constructor_arguments():
    with pytest.raises(ValueError, match="n_in must be >= 1, got 0"):
        Linear(0, 3)
    with pytest.raises(TypeError, match="n_out must be an int"):
        Linear(2, 2.5)
    with pytest.raises(ValueError, match="unknown init 'lecun'"):
        Linear(2, 2, init="lecun")
    with pytest.raises(ValueError, match=">= 0"):
        Linear(2, 2, init=-1.0)
    with pytest.raises(TypeError):
        Linear(2, 2, init=True)
    with pytest.raises(TypeError, match="float32 or float64, got int32"):
        Linear(2, 2, dtype=np.int32)
    with pytest.raises(ValueError, match="seed or rng, not both"):
        Linear(2, 2, seed=1, rng=np.random.default_rng(1))
    with pytest.raises(TypeError, match="instantiate it"):
        Sequential(Linear(2, 2), ReLU)
    with pytest.raises(ValueError, match="at least one layer"):
        Sequential()


# ---------------------------------------------------------------- losses
def test_cross_entropy_label_checks():
    ce = SoftmaxCrossEntropy()
    logits = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"labels must be in \[0, 4\) for 4 classes, got 4"):
        ce.forward(logits, np.array([0, 4, 1]))
    with pytest.raises(ValueError, match=r"got -1"):
        ce.forward(logits, np.array([0, -1, 1]))
    with pytest.raises(TypeError, match=r"integer class labels.*float64.*astype"):
        ce.forward(logits, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(TypeError, match="bool"):
        ce.forward(logits, np.array([True, False, True]))
    with pytest.raises(ValueError, match=r"labels y of shape \(3,\).*got \(2,\)"):
        ce.forward(logits, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"logits of shape \(N, C\).*got \(4,\); for one example"):
        ce.forward(np.zeros(4), np.array([1]))


def test_mse_shape_checks():
    mse = MSELoss()
    with pytest.raises(ValueError, match=r"same shape as pred \(4, 2\), got \(4,\)"):
        mse.forward(np.zeros((4, 2)), np.zeros(4))
    # (N, 1) prediction with (N,) target: accepted and equal to the (N, 1) target
    pred, target = np.arange(4.0)[:, None], np.array([1.0, 1.0, 1.0, 5.0])
    assert mse.forward(pred, target) == mse.forward(pred, target[:, None]) == pytest.approx((1 + 0 + 1 + 4) / 4)
    # integer targets become float64, not truncated
    assert MSELoss().forward(np.array([[0.5]]), np.array([[1]])) == 0.25


def test_softmax_rejects_nan():
    with pytest.raises(ValueError):
        softmax(np.array([1.0, np.nan]))
    with pytest.raises(ValueError):
        logsumexp(np.array([np.inf, 1.0]))


# ---------------------------------------------------------------- optimizers, training, tools
def test_optimizer_arguments():
    params = Linear(2, 2).parameters()
    with pytest.raises(ValueError, match="lr must be > 0, got 0.0"):
        SGD(params, lr=0)
    with pytest.raises(ValueError, match="finite"):
        SGD(params, lr=float("nan"))
    with pytest.raises(ValueError, match="empty"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match=r"params\[0\] must be a Parameter"):
        SGD([np.zeros(3)], lr=0.1)
    with pytest.raises(ValueError, match="beta must be in"):
        Momentum(params, lr=0.1, beta=1.0)
    with pytest.raises(ValueError, match="beta2 must be in"):
        Adam(params, betas=(0.9, 1.5))
    with pytest.raises(TypeError, match="betas must be a pair"):
        Adam(params, betas=0.9)
    with pytest.raises(ValueError, match="weight_decay must be >= 0"):
        SGD(params, lr=0.1, weight_decay=-1)
    with pytest.raises(ValueError, match="appears twice"):
        SGD(params + params, lr=0.1)


def test_trainer_arguments():
    net = Sequential(Linear(2, 2))
    X, y = np.zeros((5, 2)), np.zeros(5, dtype=int)
    opt = SGD(net.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="5 rows but y has shape"):
        Trainer(net, SoftmaxCrossEntropy(), opt, X, y[:4])
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        Trainer(net, SoftmaxCrossEntropy(), opt, X, y, batch_size=0)
    with pytest.raises(TypeError, match="loss_fn"):
        Trainer(net, "ce", opt, X, y)
    with pytest.raises(ValueError, match="2-D"):
        Trainer(net, SoftmaxCrossEntropy(), opt, np.zeros(5), y)
    with pytest.raises(TypeError, match="integer class labels"):
        Trainer(net, SoftmaxCrossEntropy(), opt, X, y.astype(float)).step()
    with pytest.raises(ValueError, match=r"accuracy: y must have shape \(5,\)"):
        accuracy(net, X, y[:3])


def test_tool_arguments():
    with pytest.raises(TypeError, match="float64"):
        numerical_gradient(lambda v: float(v.sum()), np.zeros(3, dtype=np.float32))
    with pytest.raises(ValueError, match="shapes differ"):
        rel_error(np.zeros(3), np.zeros(4))
    with pytest.raises(TypeError, match="float64 parameters"):
        check_layer(Linear(2, 2, dtype=np.float32), np.zeros((1, 2)))
    with pytest.raises(ValueError, match="segments must be <= the number of layers"):
        CheckpointedSequential(Linear(2, 2), Tanh(), segments=3)
    with pytest.raises(TypeError, match="function of no arguments"):
        measure_peak_bytes(3)
    with pytest.raises(TypeError):
        activation_bytes("net")
    with pytest.raises(TypeError, match=".layers"):
        record_pass(Residual(Linear(2, 2)), np.zeros((1, 2)), np.zeros(1, int), SoftmaxCrossEntropy())
    with pytest.raises(ValueError, match="unknown dataset 'mnist'"):
        datasets.load("mnist")
    with pytest.raises(ValueError, match="noise must be >= 0"):
        datasets.make_moons(10, noise=-0.1)
    with pytest.raises(TypeError, match="n must be an int"):
        datasets.make_xor(10.0)
