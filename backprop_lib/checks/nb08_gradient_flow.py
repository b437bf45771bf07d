r"""Checkers for notebook 08, "Gradient flow".

* Exercise 8.1 ``output_grad_norms(layers, dout)``: run the backward pass through ``layers``
  (after a forward pass), from ``dout`` = :math:`\partial L/\partial(\text{output})`, and return
  :math:`\|\partial L/\partial H_k\|` for the output :math:`H_k` of every layer, in forward order
  (what :func:`~backprop_lib.monitor.record_pass` records as ``grad_out_norm``).
* Exercise 8.2 ``leaky_relu_std(fan_in, slope)``: the weight standard deviation that keeps the
  spread of the signal through ``Linear -> LeakyReLU(slope)`` layers:
  :math:`\sqrt{2 / ((1 + a^2)\, n_\text{in})}` (He's derivation, redone for a leaky ReLU).
* Exercise 8.3 ``sigmoid_chain_grad(x, w)``: for the chain :math:`h_0 = x`,
  :math:`z_k = w_k h_{k-1}`, :math:`h_k = \sigma(z_k)` (:math:`k = 1..n`), the derivative
  :math:`dh_n/dx = \prod_k w_k\,\sigma'(z_k)` with :math:`\sigma' = \sigma(1-\sigma) \le 1/4`.
* Exercise 8.4 ``residual_backward(X, W, b, dout)``: the gradients of the residual block
  :math:`H = X + \operatorname{relu}(XW + b)`: ``(dX, dW, db)`` with
  :math:`\bar X = \bar H + \bar Z W^\top` (skip path plus block path).
* Exercise 8.5 ``RowNorm``: a layer (a :class:`~backprop_lib.layers.ArrayModule`) that normalizes
  each row to mean 0 and standard deviation 1, with the backward pass the student derives;
  checked against centered finite differences, with the common wrong derivations named.
* Exercise 8.6 ``clip_grad_norm(params, max_norm)``: scale all gradients by one factor so
  that their global norm is at most ``max_norm``, in place; return the norm before clipping.
"""
from __future__ import annotations

import copy
import math

import numpy as np

from ..gradcheck import numerical_gradient
from ..i18n import N_, _
from ..layers import ArrayModule, Linear, Parameter, ReLU, Sequential, Sigmoid, Tanh, sigmoid
from ..losses import SoftmaxCrossEntropy
from ..monitor import record_pass
from ..normalization import RowNorm
from ..optim import clip_grad_norm
from .framework import exercise

__all__ = ["check_output_grad_norms", "check_leaky_relu_std", "check_sigmoid_chain_grad",
           "check_residual_backward", "check_row_norm", "check_clip_grad_norm"]


# ------------------------------------------------------------------ Exercise 8.1


def _grad_norm_net(kind: str) -> Sequential:
    acts = {"tanh": Tanh, "relu": ReLU, "sigmoid": Sigmoid}
    if kind == "small":
        return Sequential(Linear(3, 5, seed=1), Tanh(), Linear(5, 4, seed=2), ReLU(), Linear(4, 2, seed=3))
    act, depth, width = kind.split("-")
    layers: list[ArrayModule] = []
    n_in = 4
    for i in range(int(depth)):
        layers += [Linear(n_in, int(width), seed=10 + i), acts[act]()]
        n_in = int(width)
    layers.append(Linear(n_in, 3, seed=99))
    return Sequential(*layers)


@exercise(N_("Exercise 8.1"), "output_grad_norms")
def check_output_grad_norms(c):
    """``output_grad_norms(layers, dout)`` must return ``[||dL/dH_k|| for every layer k]``."""
    for kind in c.cases(["small", "relu-3-6"], hidden=["sigmoid-6-5", "tanh-2-8", "relu-1-3"]):
        net = _grad_norm_net(kind)
        n_in = net.layers[0].n_in
        X = c.rng.normal(size=(7, n_in))
        y = c.rng.integers(0, 2 if kind == "small" else 3, size=7)
        loss_fn = SoftmaxCrossEntropy()
        _loss, records = record_pass(net, X, y, loss_fn)   # forward, backward; caches stay
        dout = loss_fn.backward()
        expected = np.array([r.grad_out_norm for r in records])
        # a wrong answer: the gradient each layer passes back (w.r.t. its input)
        spare = copy.deepcopy(list(net.layers))
        passed_back, d = [], dout
        for layer in reversed(spare):
            d = layer.backward(d)
            passed_back.append(float(np.linalg.norm(d)))
        passed_back = np.array(passed_back[::-1])
        names = ", ".join(repr(layer) for layer in net.layers)
        with c.case(_("the layers [{names}] after a forward pass on 7 examples").format(names=names)):
            got = c.call(list(net.layers), dout)
            if isinstance(got, (list, tuple, np.ndarray)) and np.ndim(got) == 1 and len(got) != len(expected):
                c.fail(_("one norm per layer: there are {n_layers} layers, but you returned "
                         "{n_returned} numbers.").format(n_layers=len(expected), n_returned=len(got)))
            c.compare(_("the list of norms"), got, expected, mistakes={
                _("your list is in backward order (last layer first): reverse it, so that item k "
                  "belongs to layer k"): expected[::-1],
                _("you recorded the gradient each layer passes back (with respect to its input), one "
                  "step too late: record the norm of dout *before* passing it through the layer's "
                  "backward"): passed_back,
                _("you recorded the gradient each layer passes back (with respect to its input), and "
                  "in backward order: record the norm of dout before the layer's backward, and reverse "
                  "the list at the end"): passed_back[::-1],
                _("these are squared norms: the norm is the square root of the sum of squares "
                  "(np.linalg.norm)"): expected ** 2,
            })


# ------------------------------------------------------------------ Exercise 8.2


def _leaky_stack_spread(std: float, slope: float, width: int = 64, depth: int = 30, seed: int = 8) -> float:
    """Root mean square of the signal after ``depth`` Linear+LeakyReLU layers with weights of
    scale ``std``, divided by its value after the first layer (1 means: the size is kept).
    Written out because the package has no leaky ReLU."""
    rng = np.random.default_rng(seed)
    H = rng.standard_normal((32, width))
    first = None
    for _layer in range(depth):
        Z = H @ (std * rng.standard_normal((width, width)))
        H = np.where(Z > 0, Z, slope * Z)
        if first is None:
            first = float(np.sqrt(np.mean(H ** 2)))
    return float(np.sqrt(np.mean(H ** 2))) / first


@exercise(N_("Exercise 8.2"), "leaky_relu_std")
def check_leaky_relu_std(c):
    """``leaky_relu_std(fan_in, slope)`` must return :math:`\\sqrt{2 / ((1 + a^2) n_\\text{in})}`."""
    public = [(100, 0.01), (64, 0.2), (3, 0.5)]
    hidden = [(1000, 0.1), (7, 0.3), (50, 1.0), (256, 0.0), (1, 0.05)]
    for fan_in, a in c.cases(public, hidden=hidden):
        right = math.sqrt(2.0 / ((1 + a * a) * fan_in))
        with c.case(f"fan_in = {fan_in}, slope = {a}"):
            got = c.call(fan_in, a)
            c.compare("leaky_relu_std(fan_in, slope)", got, right, mistakes={
                _("that is He's sqrt(2 / fan_in), which assumes the negative half is zeroed: here it "
                  "keeps a fraction `slope` of its values, so it keeps slope**2 of their square"):
                    math.sqrt(2.0 / fan_in),
                _("the slope enters squared: the negative half keeps slope**2 of its mean square, "
                  "so mean(H**2) = (1 + slope**2) / 2 * mean(Z**2)"): math.sqrt(2.0 / ((1 + a) * fan_in)),
                _("(1 + slope)**2 squares the sum; each half keeps its own share: the positive half all "
                  "of its mean square, the negative half slope**2 of it, (1 + slope**2) / 2 in all"):
                    math.sqrt(2.0 / ((1 + a) ** 2 * fan_in)),
                _("each half of the inputs keeps only its own share of the mean square: "
                  "mean(H**2) = (1 + slope**2) / 2 * mean(Z**2), with a 1/2"): math.sqrt(1.0 / ((1 + a * a) * fan_in)),
                _("this is the variance; the standard deviation is its square root"):
                    2.0 / ((1 + a * a) * fan_in),
                _("the factor is upside down: a layer that keeps more of the signal (larger slope) "
                  "needs smaller weights, so (1 + slope**2) goes in the denominator"):
                    math.sqrt(2.0 * (1 + a * a) / fan_in),
                _("the square root must cover the whole fraction, fan_in included"):
                    math.sqrt(2.0 / (1 + a * a)) / fan_in,
            })
    with c.case(_("a 30-layer leaky-ReLU stack (slope 0.2, width 48) built with your standard deviation")):
        std = float(np.asarray(c.call(48, 0.2), dtype=float))
        spread = _leaky_stack_spread(std, 0.2, width=48)
        c.check(0.05 < spread < 20.0,
                _("after 30 layers the signal's size changed by a factor of {spread:.3g}: the "
                  "initialization should keep it near 1 (the right one stays within a factor of 20)").format(
                    spread=spread))


# ------------------------------------------------------------------ Exercise 8.3


def _chain(x: float, w: np.ndarray):
    """Forward through the chain: the pre-activations z_k and outputs h_k."""
    zs, hs = [], []
    h = float(x)
    for wk in w:
        z = float(wk) * h
        h = float(sigmoid(z))
        zs.append(z)
        hs.append(h)
    return np.array(zs), np.array(hs)


@exercise(N_("Exercise 8.3"), "sigmoid_chain_grad")
def check_sigmoid_chain_grad(c):
    """``sigmoid_chain_grad(x, w)`` must return :math:`dh_n/dx = \\prod_k w_k \\sigma'(z_k)`."""
    public = [(0.5, [1.0, 2.0, -1.5]), (-1.0, [3.0, 0.5, 2.0, -1.0, 4.0]), (2.0, [-2.0])]
    hidden = [(float(c.rng.normal()), list(c.rng.normal(scale=2.0, size=n))) for n in (2, 6, 10, 1)]
    for x, w in c.cases(public, hidden=hidden):
        w = np.array(w, dtype=float)
        zs, hs = _chain(x, w)
        deriv = hs * (1.0 - hs)                       # sigma'(z_k) = h_k (1 - h_k)
        expected = float(np.prod(w * deriv))
        first_only_z = w * np.array([x] * len(w))     # every z computed from x
        s = sigmoid(first_only_z)
        with c.case(f"x = {x:g}, w = {np.round(w, 3).tolist()}"):
            got = c.call(x, w.copy())
            c.compare("dh_n/dx", got, expected, rtol=1e-6, atol=1e-12, mistakes={
                _("you multiplied by sigma(z_k), the output, where the derivative "
                  "sigma'(z_k) = sigma(z_k) * (1 - sigma(z_k)) belongs"): float(np.prod(w * hs)),
                _("each link also multiplies by its weight w_k (z_k = w_k * h_(k-1), so "
                  "dz_k/dh_(k-1) = w_k)"): float(np.prod(deriv)),
                _("along a chain the local derivatives multiply (chain rule); they add only "
                  "where paths fork"): float(np.sum(w * deriv)),
                _("only the last link counts here: the chain rule multiplies the local derivatives "
                  "of every link, from x to h_n"): float(w[-1] * deriv[-1]),
                _("z_k = w_k * h_(k-1) uses the previous output h_(k-1), not x"): float(np.prod(w * s * (1 - s))),
                _("this is the bound prod |w_k| / 4^n, not the derivative itself: use "
                  "sigma'(z_k) = h_k (1 - h_k) at each link"): float(np.prod(np.abs(w)) / 4.0 ** len(w)),
            })


# ------------------------------------------------------------------ Exercise 8.4


def _residual_reference(X, W, b, dout):
    """Residual(Sequential(Linear, ReLU)).backward written out (a test feeds those layers
    themselves): the mistakes below need Z and dZ."""
    Z = X @ W + b
    mask = Z > 0
    dZ = dout * mask
    return dout + dZ @ W.T, X.T @ dZ, dZ.sum(axis=0), Z


@exercise(N_("Exercise 8.4"), "residual_backward")
def check_residual_backward(c):
    """``residual_backward(X, W, b, dout)`` for :math:`H = X + \\operatorname{relu}(XW + b)`
    must return ``(dX, dW, db)``."""
    for N, d in c.cases([(4, 3), (6, 5)], hidden=[(8, 6), (1, 4), (16, 16)]):
        X = c.rng.normal(size=(N, d))
        W = c.rng.normal(size=(d, d)) / math.sqrt(d)
        b = c.rng.normal(scale=0.5, size=d)
        dout = c.rng.normal(size=(N, d))
        dX_ref, dW_ref, db_ref, Z = _residual_reference(X, W, b, dout)
        mask = Z > 0
        dZ = dout * mask
        with c.case(_("X of shape {X_shape}, W of shape {W_shape}").format(X_shape=X.shape, W_shape=W.shape)):
            dX, dW, db = c.call(X, W, b, dout, returns=("dX", "dW", "db"))
            c.compare("dX", dX, dX_ref, mistakes={
                _("you dropped the skip path: X also reaches H directly (H = X + F(X)), "
                  "so dout itself is added to dX"): dZ @ W.T,
                _("you dropped the path through the block: dX = dout + dZ @ W.T, "
                  "where dZ = dout * (Z > 0)"): dout,
                _("the ReLU's derivative is missing on the block path: multiply dout by (Z > 0) "
                  "before going back through W"): dout + dout @ W.T,
                _("the skip path gives dout, not dout * (Z > 0): the ReLU is only on the block "
                  "path"): dZ + dZ @ W.T,
                _("dZ @ W (without .T) maps the gradient the wrong way: dX = dout + dZ @ W.T"): dout + dZ @ W,
            })
            c.compare("dW", dW, dW_ref, batch_size=N, mistakes={
                _("the ReLU's derivative is missing: dW = X.T @ dZ with dZ = dout * (Z > 0)"): X.T @ dout,
                _("dW = X.T @ dZ uses the block's input X, not its output H"): (X + np.maximum(Z, 0)).T @ dZ,
            })
            c.compare("db", db, db_ref, batch_size=N, mistakes={
                _("the ReLU's derivative is missing: db sums dZ = dout * (Z > 0) over the batch"): dout.sum(axis=0),
            })


# ------------------------------------------------------------------ Exercise 8.5

_EPS = 1e-5          # RowNorm's default eps, the one the notebook's class uses


def _row_norm_fd(Z: np.ndarray, dout: np.ndarray, h: float) -> np.ndarray:
    """Centered finite differences of sum(dout * RowNorm(Z)) with respect to Z."""
    reference = RowNorm(eps=_EPS)
    return numerical_gradient(lambda z: float(np.sum(dout * reference.forward_unchecked(z))), Z.copy(), h=h)


def _row_norm_mistakes(Z: np.ndarray, dout: np.ndarray) -> dict[str, np.ndarray]:
    """What the common wrong derivations give, built from the pieces of the right one."""
    d = Z.shape[1]
    Zh = RowNorm(eps=_EPS).forward(Z)
    s = np.sqrt(Z.var(axis=1, keepdims=True) + _EPS)
    sd = np.sqrt(Z.var(axis=1, keepdims=True))
    m_d = dout.mean(axis=1, keepdims=True)
    m_dz = (dout * Zh).mean(axis=1, keepdims=True)
    return {
        _("you treated the mean and the spread as constants: dZ = dout / s. But Z_j also moves its "
          "row's mean mu and spread s, and through them every Z_hat_i of the row: add those two paths"):
            dout / s,
        _("the path through the spread s is missing: s depends on Z_j too, with ds/dZ_j = Z_hat_j / d"):
            (dout - m_d) / s,
        _("the path through the mean is missing: the mean depends on every entry of its row "
          "(d mu / dZ_j = 1/d), so Z_j reaches every Z_hat_i through it"):
            (dout - Zh * m_dz) / s,
        _("the path through s has the wrong sign: a larger s makes every Z_hat_i smaller"):
            (dout - m_d + Zh * m_dz) / s,
        _("you kept only the i = j terms: Z_j reaches every Z_hat_i of its row (through mu and s), "
          "so dZ_j sums dout_i * dZ_hat_i/dZ_j over all i of the row"):
            dout * (1.0 - 1.0 / d - Zh ** 2 / d) / s,
        _("sums where means belong: d mu / dZ_j = 1/d and ds/dZ_j = Z_hat_j / d carry a 1/d"):
            (dout - dout.sum(axis=1, keepdims=True) - Zh * (dout * Zh).sum(axis=1, keepdims=True)) / s,
        _("the means are taken over the batch (axis 0): each row has its own mu and s, so the "
          "sums run over the entries of a row (axis=1)"):
            (dout - dout.mean(axis=0) - Zh * (dout * Zh).mean(axis=0)) / s,
        _("the path through s carries one factor 1/s too many: dZ_hat_i/ds = -Z_hat_i / s and "
          "ds/dZ_j = Z_hat_j / d, so that path contributes -Z_hat_i Z_hat_j / (d s)"):
            (dout - m_d - Zh * m_dz / s) / s,
        _("ds/dZ_j = Z_hat_j / d holds exactly, eps included (s**2 = var + eps, and eps is a constant): "
          "you divided by sqrt(var) without the eps somewhere"):
            (dout - m_d - Zh * m_dz * s / sd) / s,
        _("you multiplied by s where you should divide (Z_hat = (Z - mu) / s)"):
            (dout - m_d - Zh * m_dz) * s,
    }


def _forward_mistakes(Z: np.ndarray) -> dict[str, np.ndarray]:
    """What the common wrong forward passes give."""
    mu = Z.mean(axis=1, keepdims=True)
    var = Z.var(axis=1, keepdims=True)
    return {
        _("the eps is missing: s = sqrt(var + eps), with eps = self.eps (1e-5)"): (Z - mu) / np.sqrt(var),
        _("the eps belongs inside the square root: s = sqrt(var + eps)"): (Z - mu) / (np.sqrt(var) + _EPS),
        _("the variance here is the mean of the squared distances from the mean (divide by d, "
          "numpy's default ddof=0), not by d - 1"): (Z - mu) / np.sqrt(Z.var(axis=1, ddof=1, keepdims=True) + _EPS),
        _("you normalized each column (over the batch, axis 0): a RowNorm normalizes each row "
          "(each example), axis=1"): (Z - Z.mean(axis=0)) / np.sqrt(Z.var(axis=0) + _EPS),
        _("subtract the row's mean before dividing: Z_hat = (Z - mu) / s"): Z / np.sqrt(var + _EPS),
        _("divide by the standard deviation s = sqrt(var + eps), not by the variance"): (Z - mu) / (var + _EPS),
    }


@exercise(N_("Exercise 8.5"), "RowNorm")
def check_row_norm(c):
    """``RowNorm()`` must build a ArrayModule whose ``forward_unchecked`` normalizes each row and whose
    ``backward_unchecked`` returns dL/dZ (checked against finite differences)."""
    public = [(3, 5, 1.0, 0.0), (4, 8, 0.01, 5.0), (1, 6, 2.0, -1.0)]
    hidden = [(6, 3, 1.0, 2.0), (2, 16, 0.003, 0.0), (5, 5, 1.5, 0.5), (8, 2, 1.0, 0.0)]
    layer = c.call()
    if not isinstance(layer, ArrayModule):
        c.fail(_("`RowNorm()` should build a layer, an instance of a subclass of ArrayModule, but it built "
                 "{kind}: keep `class RowNorm(ArrayModule):`.").format(kind=type(layer).__name__))
    for N, d, scale, shift in c.cases(public, hidden=hidden):
        Z = shift + scale * c.rng.normal(size=(N, d))
        dout = c.rng.normal(size=(N, d))
        with c.case(_("Z of shape {shape}, rows spread about {scale:g}").format(shape=Z.shape, scale=scale)):
            Z_in, dout_in = Z.copy(), dout.copy()
            out = c.run(layer.forward_unchecked, Z_in, name="RowNorm.forward_unchecked", copy_args=False)
            c.compare(_("the output Z_hat"), out, RowNorm(eps=_EPS).forward(Z), mistakes=_forward_mistakes(Z))
            c.check(np.array_equal(Z_in, Z),
                    _("forward_unchecked changed its input Z in place (Z -= ... or Z /= ...): the layer "
                      "before may keep that very array for its own backward pass. Compute into a new "
                      "array instead: (Z - mu) / s."))
            dZ = c.run(layer.backward_unchecked, dout_in, True, name="RowNorm.backward_unchecked",
                       copy_args=False)
            c.check(np.array_equal(dout_in, dout),
                    _("backward_unchecked changed dout in place: compute dZ into a new array."))
            expected = _row_norm_fd(Z, dout, h=1e-5 * scale)
            # finite differences are good to about 1e-16 * |L| / h in absolute terms
            c.compare("dZ", dZ, expected, rtol=1e-6, atol=1e-7 * float(np.abs(expected).max()) + 1e-8 / scale,
                      mistakes=_row_norm_mistakes(Z, dout))
    with c.case(_("Sequential(Linear(4, 6), Tanh(), RowNorm(), Linear(6, 5), RowNorm(), Linear(5, 3)), "
                  "two of your layers in one network")):
        def network(norm):
            return Sequential(Linear(4, 6, seed=3), Tanh(), norm(), Linear(6, 5, seed=4), norm(),
                              Linear(5, 3, seed=5))
        net = network(c.call)
        X = c.rng.normal(size=(5, 4))
        G = c.rng.normal(size=(5, 3))

        def grads():
            net.zero_grad()
            net.forward(X)
            return net.backward(G), [p.grad.copy() for p in net.parameters()]

        dX, dparams = c.run(grads, name=_("your RowNorm inside a network"))
        ref = network(RowNorm)
        ref.forward(X)
        dX_ref = ref.backward(G)
        for (name, p), g in zip(ref.named_parameters(), dparams):
            if not np.allclose(g, p.grad, rtol=1e-6, atol=1e-9):
                c.fail(_("the gradient of the network's parameter {name} is wrong (each layer must keep its own "
                         "cache in self.cache: two RowNorm layers in one network must not share it).").format(name=name))
        c.compare(_("dX of the network"), dX, dX_ref)


# ------------------------------------------------------------------ Exercise 8.6


def _make_params(rng, shapes, scale):
    params = []
    for i, shape in enumerate(shapes):
        p = Parameter(np.zeros(shape), f"p{i}")
        p.grad[...] = scale * rng.normal(size=shape)
        params.append(p)
    return params


@exercise(N_("Exercise 8.6"), "clip_grad_norm")
def check_clip_grad_norm(c):
    """``clip_grad_norm(params, max_norm)`` scales every ``p.grad`` in place by one factor when
    the global norm exceeds ``max_norm``, and returns the norm before clipping."""
    public = [([(3, 2), (2,)], 5.0, 1.0), ([(4,)], 0.3, 100.0), ([(2, 2), (3,), (1,)], 2.0, 0.5)]
    hidden = [([(5, 5), (5,)], 100.0, 1.0), ([(3,)], 1.0, 10.0), ([(2,), (2,), (2,), (2,)], 1e6, 3.0),
              ([(1,)], 4.0, 0.25)]
    for shapes, scale, max_norm in c.cases(public, hidden=hidden):
        params = _make_params(c.rng, shapes, scale)
        before = [p.grad.copy() for p in params]
        flat = np.concatenate([g.ravel() for g in before])
        reference = copy.deepcopy(params)
        total = clip_grad_norm(reference, max_norm)                    # the package's, on a copy
        expected = np.concatenate([p.grad.ravel() for p in reference])
        per_param = [g * min(1.0, max_norm / np.linalg.norm(g)) for g in before]
        sum_norms = sum(float(np.linalg.norm(g)) for g in before)
        desc = ", ".join(str(s) for s in shapes)
        with c.case(_("gradients of shapes {shapes} (global norm {total:.3g}), max_norm = {max_norm:g}").format(
                shapes=desc, total=total, max_norm=max_norm)):
            returned = c.run(c.student, params, max_norm, name=c.name, copy_args=False)
            after = np.concatenate([np.asarray(p.grad, dtype=float).ravel() for p in params])
            sum_of_norms = _("the global norm is the square root of the sum of all squared entries, not the "
                             "sum of the parameters' norms")
            c.compare(_("the gradients after clipping (all of them, flattened)"), after, expected, mistakes={
                _("the gradients did not change: scale each p.grad in place (p.grad *= factor), so that "
                  "the optimizer sees the clipped gradient"): flat,
                _("you clipped each parameter's gradient by its own norm: clipping by the global norm "
                  "uses one norm over all the gradients together and one factor for all of them, so "
                  "the direction of the whole gradient is kept"):
                    np.concatenate([g.ravel() for g in per_param]),
                _("np.clip limits each entry on its own, which changes the direction of the gradient: "
                  "scale all entries by max_norm / norm instead"): np.clip(flat, -max_norm, max_norm),
                _("gradients whose global norm is already at most max_norm must stay as they are; "
                  "you rescaled them to length max_norm"): flat * (max_norm / total),
                _("the factor is upside down: multiply by max_norm / norm (which is below 1 when "
                  "clipping is needed)"): flat * (total / max_norm),
                _("multiply by max_norm / norm, not by max_norm alone"): flat * max_norm,
                sum_of_norms: flat * (max_norm / sum_norms if sum_norms > max_norm else 1.0),
                _("the global norm is the square root of the sum of squares: you used the sum of "
                  "squares itself"): flat * (max_norm / total ** 2 if total ** 2 > max_norm else 1.0),
            })
            c.compare(_("the returned norm"), returned, total, mistakes={
                _("return the global norm *before* clipping (as PyTorch's clip_grad_norm_ does), "
                  "so that you can log how large the gradients were"): min(total, max_norm),
                _("the norm is the square root of the sum of squares: you returned the sum of "
                  "squares"): total ** 2,
                sum_of_norms: sum_norms,
            })
