r"""Checkers for notebook 06, "Activations and losses".

* Exercise 6.1 ``ReLULayer``, ``TanhLayer``, ``SigmoidLayer``: classes with
  ``forward(Z) -> H`` (storing what the backward pass needs) and
  ``backward(dout) -> dZ``, for :math:`H = \max(Z, 0)`, :math:`\tanh Z` and :math:`\sigma(Z)`.
* Exercise 6.2 ``SoftplusLayer``: the same for :math:`H = \log(1 + e^Z)`, finite for any
  input; its derivative (the sigmoid) is not given in the notebook.
* Exercise 6.3 ``logsumexp(Z)``: :math:`\log \sum_k e^{Z_{nk}}` for every row, without
  overflow or underflow.
* Exercise 6.4 ``softmax_cross_entropy(logits, y) -> (loss, dlogits)``: the mean cross-entropy
  and its gradient :math:`(\operatorname{softmax}(Z) - \operatorname{onehot}(y)) / N`, which
  the student derives.
* Exercise 6.5 ``SoftmaxLayer``: the row-wise softmax as a layer, stable forward pass, and the
  backward pass :math:`\bar Z = P \odot (\bar P - \sum_c P_{:,c} \bar P_{:,c})` derived by the
  student, without a ``C x C`` matrix.
* Exercise 6.6 ``hinge_loss(logits, y) -> (loss, dlogits)``: the multiclass hinge (SVM) loss
  averaged over the batch, and its gradient (not shown in the notebook).
"""
from __future__ import annotations

import numpy as np

from ..i18n import N_, _, ngettext
from ..layers import sigmoid as _sigmoid
from ..losses import logsumexp, softmax
from .framework import exercise

__all__ = ["check_relu_layer", "check_tanh_layer", "check_sigmoid_layer", "check_softplus_layer",
           "check_logsumexp", "check_softmax_cross_entropy", "check_softmax_layer", "check_hinge_loss"]


def _softplus(z):
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def _softmax(Z):
    return softmax(Z, axis=1)


def _lse(Z):
    return logsumexp(Z, axis=1)


def _quiet_call(c, *args, **kwargs):
    """Call the student's code with numpy's floating-point warnings silenced (an
    overflowing exp must show up as a diagnosis, not as a warning on stderr)."""
    with np.errstate(all="ignore"):
        return c.call(*args, **kwargs)


def _quiet_run(c, fn, *args, **kwargs):
    with np.errstate(all="ignore"):
        return c.run(fn, *args, **kwargs)


# ------------------------------------------------------------------ Exercises 6.1 and 6.2
#
# One checker per layer class, all built by _layer_checker: instantiate the class, run
# forward on two different inputs, then backward, which must use the cache of the *last*
# forward pass and leave the caller's dout untouched.


def _class_name(cls, default):
    return getattr(cls, "__name__", default)


def _same(got, expected) -> bool:
    try:
        g = np.asarray(got, dtype=float)
    except Exception:
        return False
    return g.shape == np.shape(expected) and np.allclose(g, expected)


def _check_layer_class(c, *, default_name, f, df, forward_mistakes, backward_mistakes, cases,
                       overflow_hint=None):
    cls_name = _class_name(c.student, default_name)
    if not isinstance(c.student, type):
        c.fail(_("`{name}` should be a class (the `class {default_name}:` cell), "
                 "but it is {kind}: run that cell again, without calling it.").format(
            name=cls_name, default_name=default_name, kind=type(c.student).__name__), name_case=False)
    for story, Z_first, Z in cases:
        dout = c.rng.normal(size=Z.shape)
        with c.case(_("Z of shape {shape}, {story}").format(shape=Z.shape, story=story)):
            layer = c.run(c.student, name=cls_name)
            forward, backward = getattr(layer, "forward", None), getattr(layer, "backward", None)
            if not callable(forward) or not callable(backward):
                c.fail(_("`{name}` needs two methods, `forward(self, Z)` and `backward(self, dout)`.").format(
                    name=cls_name), name_case=False)
            _quiet_run(c, forward, Z_first, name=f"{cls_name}.forward")   # an earlier batch
            H = _quiet_run(c, forward, Z.copy(), name=f"{cls_name}.forward")
            if overflow_hint and isinstance(H, np.ndarray) and H.shape == Z.shape and not np.isfinite(H).all():
                c.fail(_("`{name}.forward` returned inf or NaN: {hint}").format(name=cls_name, hint=overflow_hint))
            c.compare(f"{cls_name}.forward(Z)", H, f(Z), mistakes=forward_mistakes(Z))
            d = dout.copy()
            dZ = _quiet_run(c, backward, d, name=f"{cls_name}.backward", copy_args=False)
            if not np.array_equal(d, dout):
                c.fail(_("`{name}.backward` changed `dout` in place (e.g. `dout *= ...`): the caller "
                         "may still need it. Compute the result into a new array: `return dout * local`.").format(
                    name=cls_name))
            expected = dout * df(Z)      # the table's derivative (layers.ReLU/Tanh/Sigmoid: a test feeds those)
            if Z_first.shape == Z.shape:
                stale = dout * df(Z_first)
                if not np.allclose(stale, expected) and _same(dZ, stale):
                    c.fail(_("`{name}.backward` used the input of an earlier forward pass: forward must "
                             "store what backward needs every time it runs (self.something = ...), so "
                             "backward always works on the latest batch.").format(name=cls_name))
            mistakes = backward_mistakes(Z, dout)
            mistakes[_("the upstream gradient is missing: multiply the local derivative by dout, "
                       "entry by entry")] = df(Z)
            mistakes[_("you added the upstream gradient instead of multiplying by it: chain rule = "
                       "local derivative * upstream")] = df(Z) + dout
            c.compare(f"{cls_name}.backward(dout)", dZ, expected, mistakes=mistakes)


def _activation_cases(c, hidden_extra=()):
    rng = c.rng
    public = [(_("random values"), rng.normal(scale=2.0, size=(3, 4)), rng.normal(scale=2.0, size=(3, 4))),
              (_("a batch of 5 examples"), rng.normal(size=(5, 2)), rng.normal(scale=3.0, size=(5, 2)))]
    hidden = [(_("random values"), rng.normal(size=(4, 6)), rng.normal(scale=2.0, size=(4, 6))),
              (_("a 3-D array"), rng.normal(size=(2, 3, 4)), rng.normal(scale=2.0, size=(2, 3, 4))),
              (_("one example"), rng.normal(size=(1, 7)), rng.normal(scale=4.0, size=(1, 7))), *hidden_extra]
    return c.cases(public, hidden)


@exercise(N_("Exercise 6.1"), "ReLULayer")
def check_relu_layer(c):
    """``ReLULayer().forward(Z)`` is ``max(Z, 0)``; ``backward(dout)`` is ``dout * [Z > 0]``."""
    kink = np.array([[-1.5, 0.0, 2.0], [0.0, 0.7, -0.2]])      # exact zeros: the derivative there is 0
    cases = _activation_cases(c) + [(_("entries exactly at the kink, Z = 0"), kink[::-1].copy(), kink)]

    def forward_mistakes(Z):
        return {_("forward returned the mask [Z > 0] instead of the output max(Z, 0)"): (Z > 0).astype(float),
                _("this is min(Z, 0): ReLU keeps the positive entries, max(Z, 0)"): np.minimum(Z, 0)}

    def backward_mistakes(Z, dout):
        return {
            _("at Z = 0 exactly the derivative is taken as 0 (as in PyTorch): use Z > 0, not Z >= 0"):
                dout * (Z >= 0),
            _("you multiplied dout by the output H = max(Z, 0): the local derivative of ReLU is 1 where "
              "Z > 0 and 0 elsewhere, not Z itself"): dout * np.maximum(Z, 0),
            _("the mask is inverted: the gradient passes where Z > 0 and is blocked where Z <= 0"):
                dout * (Z <= 0),
        }

    _check_layer_class(c, default_name="ReLULayer", f=lambda Z: np.maximum(Z, 0),
                       df=lambda Z: (Z > 0).astype(float), forward_mistakes=forward_mistakes,
                       backward_mistakes=backward_mistakes, cases=cases)


@exercise(N_("Exercise 6.1"), "TanhLayer")
def check_tanh_layer(c):
    """``TanhLayer().forward(Z)`` is ``tanh(Z)``; ``backward(dout)`` is ``dout * (1 - H**2)``."""
    def backward_mistakes(Z, dout):
        H = np.tanh(Z)
        return {
            _("the tanh was applied twice: H already is tanh(Z), so the local derivative is 1 - H**2, "
              "not 1 - tanh(H)**2"): dout * (1 - np.tanh(H) ** 2),
            _("the square is missing: tanh'(z) = 1 - tanh(z)**2 = 1 - H**2"): dout * (1 - H),
            _("this is the sigmoid's rule H (1 - H); for tanh the local derivative is 1 - H**2"):
                dout * H * (1 - H),
            _("this uses 1 - Z**2, with the input Z: the derivative is 1 - tanh(Z)**2 = 1 - H**2"):
                dout * (1 - Z ** 2),
        }

    _check_layer_class(c, default_name="TanhLayer", f=np.tanh, df=lambda Z: 1 - np.tanh(Z) ** 2,
                       forward_mistakes=lambda Z: {}, backward_mistakes=backward_mistakes,
                       cases=_activation_cases(c))


@exercise(N_("Exercise 6.1"), "SigmoidLayer")
def check_sigmoid_layer(c):
    """``SigmoidLayer().forward(Z)`` is ``1 / (1 + exp(-Z))``; ``backward(dout)`` is ``dout * H * (1 - H)``."""
    def forward_mistakes(Z):
        return {_("this is 1 / (1 + exp(Z)) = sigmoid(-Z): the exponent is -Z"): _sigmoid(-Z)}

    def backward_mistakes(Z, dout):
        H = _sigmoid(Z)
        return {
            _("you applied the sigmoid to H again: H is already sigmoid(Z), so the local derivative is "
              "H * (1 - H), with no further sigmoid"): dout * _sigmoid(H) * (1 - _sigmoid(H)),
            _("this is the tanh rule (1 - H**2); for the sigmoid the local derivative is H * (1 - H)"):
                dout * (1 - H ** 2),
            _("this is dout * H: the factor (1 - H) is missing"): dout * H,
            _("this is dout * (1 - H): the factor H is missing"): dout * (1 - H),
            _("this uses Z * (1 - Z), with the input Z: the derivative is sigmoid(Z) (1 - sigmoid(Z)) "
              "= H * (1 - H)"): dout * Z * (1 - Z),
        }

    _check_layer_class(c, default_name="SigmoidLayer", f=_sigmoid, df=lambda Z: _sigmoid(Z) * (1 - _sigmoid(Z)),
                       forward_mistakes=forward_mistakes, backward_mistakes=backward_mistakes,
                       cases=_activation_cases(c))


@exercise(N_("Exercise 6.2"), "SoftplusLayer")
def check_softplus_layer(c):
    """``SoftplusLayer().forward(Z)`` is ``log(1 + exp(Z))`` (finite for any Z); ``backward(dout)``
    is ``dout * sigmoid(Z)``."""
    big = np.array([[-1000.0, -30.0, 0.0], [5.0, 40.0, 1000.0]])
    cases = _activation_cases(c) + [(_("inputs as large as +-1000"), np.zeros_like(big), big)]

    def forward_mistakes(Z):
        return {_("this is log(exp(Z)) = Z: the 1 inside the log is missing"): Z,
                _("this is exp(Z) / (1 + exp(Z)), the derivative: forward returns log(1 + exp(Z))"): _sigmoid(Z)}

    def backward_mistakes(Z, dout):
        H = _softplus(Z)
        return {
            _("this is dout * exp(Z): the derivative of log(u) is u'/u, so divide by 1 + exp(Z)"):
                dout * np.exp(np.minimum(Z, 700)),
            _("this is dout / (1 + exp(Z)) = dout * sigmoid(-Z): the chain rule through log(1 + e^Z) "
              "puts e^Z on top, e^Z / (1 + e^Z) = sigmoid(Z)"): dout * _sigmoid(-Z),
            _("you multiplied dout by the output H: softplus'(z) is e^z / (1 + e^z), not log(1 + e^z)"):
                dout * H,
            _("this is the derivative of the sigmoid, sigmoid(Z) (1 - sigmoid(Z)): softplus' is the "
              "sigmoid itself"): dout * _sigmoid(Z) * (1 - _sigmoid(Z)),
        }

    with np.errstate(all="ignore"):
        _check_layer_class(
            c, default_name="SoftplusLayer", f=_softplus, df=_sigmoid, forward_mistakes=forward_mistakes,
            backward_mistakes=backward_mistakes, cases=cases,
            overflow_hint=_("exp(Z) overflows for Z above about 709. Rewrite log(1 + e^z) so that no "
                            "exponent is positive: for z > 0 factor e^z out of the sum, log(1 + e^z) = "
                            "z + log(1 + e^-z); in general max(z, 0) + log(1 + e^-|z|) (np.log1p(x) is "
                            "log(1 + x)), or np.logaddexp(0, Z)."))


# ------------------------------------------------------------------ Exercise 6.3


@exercise(N_("Exercise 6.3"), "logsumexp")
def check_logsumexp(c):
    """``logsumexp(Z)`` of shape ``(N, C)`` must return the ``(N,)`` row-wise log-sum-exp, stably."""
    cases = c.cases(
        [(_("small numbers"), (3, 4), 0.0, 1.0), (_("large logits (around +1000)"), (2, 3), 1000.0, 5.0),
         (_("very negative logits (around -1000)"), (2, 3), -1000.0, 5.0)],
        hidden=[(_("small numbers"), (5, 2), 0.0, 2.0), (_("huge logits (around +1e5)"), (4, 3), 1e5, 10.0),
                (_("very negative logits (around -5000)"), (3, 6), -5000.0, 3.0),
                (_("one example"), (1, 7), 0.0, 3.0), (_("mixed scales"), (4, 5), 0.0, 300.0)])
    for story, shape, offset, scale in cases:
        Z = offset + c.rng.normal(scale=scale, size=shape)
        expected = _lse(Z)
        with c.case(_("Z of shape {shape}, {story}").format(shape=shape, story=story)):
            got = _quiet_call(c, Z)
            if isinstance(got, np.ndarray) and got.shape == (shape[1],) and shape[0] != shape[1]:
                c.fail(_("the result has shape ({C},), one number per class: you summed over axis=0. "
                         "Each row is one example: sum over axis=1 to get shape ({N},).").format(
                    C=shape[1], N=shape[0]))
            if isinstance(got, np.ndarray) and got.shape == expected.shape and not np.isfinite(got).all():
                if offset > 0:
                    message = _("the result contains {bad}: exp(Z) overflows to inf for "
                                "logits this size. Subtract each row's maximum m first, and add it back: "
                                "logsumexp(z) = m + log(sum(exp(z - m))).")
                else:
                    message = _("the result contains {bad}: exp(Z) underflows to 0 (and log(0) = -inf) for "
                                "logits this size. Subtract each row's maximum m first, and add it back: "
                                "logsumexp(z) = m + log(sum(exp(z - m))).")
                c.fail(message.format(bad="inf" if np.isinf(got).any() else "NaN"))
            m = Z.max(axis=1)
            c.compare("logsumexp(Z)", got, expected, mistakes={
                _("you subtracted the row maximum m but did not add it back: "
                  "logsumexp(z) = m + log(sum(exp(z - m)))"): expected - m,
                _("this is the maximum alone: the log(sum(exp(z - m))) term is missing"): m,
                _("this is log(mean(exp(z))), not log(sum(exp(z))): it is off by log(C)"):
                    expected - np.log(shape[1]),
            })


# ------------------------------------------------------------------ Exercise 6.4


def _ce_cases(c):
    return c.cases(
        [(_("small logits"), 4, 3, 0.0, 1.0), (_("one example"), 1, 4, 0.0, 2.0),
         (_("large logits (around +1000)"), 3, 5, 1000.0, 3.0)],
        hidden=[(_("small logits"), 8, 4, 0.0, 1.5), (_("many classes"), 5, 10, 0.0, 2.0),
                (_("large logits (around +5000)"), 6, 3, 5000.0, 10.0), (_("confident logits"), 7, 3, 0.0, 30.0)])


@exercise(N_("Exercise 6.4"), "softmax_cross_entropy")
def check_softmax_cross_entropy(c):
    """``softmax_cross_entropy(logits, y)`` returns ``(loss, dlogits)``: the mean cross-entropy and
    ``(softmax(logits) - onehot(y)) / N``."""
    for story, N, C, offset, scale in _ce_cases(c):
        logits = offset + c.rng.normal(scale=scale, size=(N, C))
        y = c.rng.integers(0, C, size=N)
        y[0] = C - 1  # at least one label that is not 0
        P = _softmax(logits)
        onehot = np.eye(C)[y]
        rows = np.arange(N)
        per_example = _lse(logits) - logits[rows, y]
        expected_loss = float(per_example.mean())
        expected = (P - onehot) / N
        with c.case(_("logits of shape {shape} ({story}), y = {y}").format(shape=(N, C), story=story, y=y.tolist())):
            loss, got = _quiet_call(c, logits, y, returns=("loss", "dlogits"))
            loss_mistakes = {
                _("this is -mean(logits[n, y[n]]): the logsumexp term of the loss is missing"):
                    -logits[rows, y].mean(),
                _("this is the loss of the predicted class (the largest logit), not of the true class y[n]"):
                    float((_lse(logits) - logits.max(axis=1)).mean()),
                _("the sign is flipped: the loss is logsumexp(z) - z_y (that is -log p_y), never negative"):
                    -expected_loss,
            }
            if N > 1:
                loss_mistakes[_sum_not_mean(N)] = float(per_example.sum())
            if _is_number(loss) and not np.isfinite(float(loss)):
                c.fail(_("the loss is inf or NaN: exp(logits) overflows for logits this large (or log(p) of "
                         "a probability that underflowed to 0). Compute it as logsumexp(z) - z_y, with the "
                         "stable logsumexp of Exercise 6.3."))
            c.compare("loss", loss, expected_loss, mistakes=loss_mistakes)
            if isinstance(got, np.ndarray) and got.shape == (N, C) and not np.isfinite(got).all():
                c.fail(_("the result contains NaN or inf: exp(logits) overflows for logits this large. "
                         "Subtract each row's maximum before exp (softmax does not change when you shift a row)."))
            mistakes = {
                _("the one-hot subtraction is missing: this is softmax(logits) / N. Differentiate the second "
                  "term too: -z_y depends on z_c exactly when c = y"): P / N,
                _("this is (onehot(y) - softmax) / N: the sign is flipped. The loss falls when the true "
                  "class's logit rises, so its entry must be negative"): (onehot - P) / N,
                _("the softmax part is missing: this is -onehot(y) / N, the gradient of -z_y alone; "
                  "the logsumexp term contributes too"): -onehot / N,
                _("you subtracted 1 from the wrong column: use onehot(y), i.e. column y[n] of row n "
                  "(e.g. P[np.arange(N), y] -= 1)"): (P - np.eye(C)[np.argmax(logits, axis=1)]) / N,
                _("this is exp(logits) / N without the normalization: the derivative of "
                  "log(sum_k exp(z_k)) is exp(z_c) / sum_k exp(z_k), the softmax"):
                    (np.exp(np.minimum(logits, 700)) - onehot) / N,
            }
            if N > 1:
                mistakes[_("the 1/N is missing: the loss is the mean over the N examples, so every "
                           "row of the gradient is divided by N = {N}").format(N=N)] = P - onehot
            c.compare("dlogits", got, expected, batch_size=N, mistakes=mistakes)


def _sum_not_mean(N: int) -> str:
    """The message for a loss summed over the batch instead of averaged (6.4 and 6.6)."""
    return ngettext("this is the sum over the {N} example: the loss is their mean",
                    "this is the sum over the {N} examples: the loss is their mean", N).format(N=N)


def _is_number(x) -> bool:
    try:
        float(x)
    except Exception:
        return False
    return True


# ------------------------------------------------------------------ Exercise 6.5


@exercise(N_("Exercise 6.5"), "SoftmaxLayer")
def check_softmax_layer(c):
    """``SoftmaxLayer().forward(Z)`` is the row-wise softmax (stable); ``backward(dP)`` is
    ``P * (dP - (P * dP).sum(axis=1, keepdims=True))``."""
    cls_name = _class_name(c.student, "SoftmaxLayer")
    if not isinstance(c.student, type):
        c.fail(_("`{name}` should be a class (the `class SoftmaxLayer:` cell), but it is "
                 "{kind}: run that cell again, without calling it.").format(
            name=cls_name, kind=type(c.student).__name__), name_case=False)
    cases = c.cases([(_("small logits"), 3, 4, 0.0), (_("one example"), 1, 3, 0.0), (_("a batch of 5"), 5, 2, 0.0),
                     (_("large logits (around +1000)"), 2, 4, 1000.0)],
                    hidden=[(_("small logits"), 6, 5, 0.0), (_("many classes"), 2, 7, 0.0), (_("square"), 4, 4, 0.0),
                            (_("very negative logits (around -1000)"), 3, 3, -1000.0)])
    for story, N, C, offset in cases:
        Z_first = c.rng.normal(scale=2.0, size=(N, C))
        Z = offset + c.rng.normal(scale=2.0, size=(N, C))
        P = _softmax(Z)
        dP = c.rng.normal(size=(N, C))
        inner = (P * dP).sum(axis=1, keepdims=True)
        expected = P * (dP - inner)      # written out (the package has no softmax layer), checked by a test against FD
        with c.case(_("Z of shape {shape}, {story}").format(shape=(N, C), story=story)):
            layer = c.run(c.student, name=cls_name)
            forward, backward = getattr(layer, "forward", None), getattr(layer, "backward", None)
            if not callable(forward) or not callable(backward):
                c.fail(_("`{name}` needs two methods, `forward(self, Z)` and `backward(self, dP)`.").format(
                    name=cls_name), name_case=False)
            _quiet_run(c, forward, Z_first, name=f"{cls_name}.forward")
            got_P = _quiet_run(c, forward, Z.copy(), name=f"{cls_name}.forward")
            if isinstance(got_P, np.ndarray) and got_P.shape == (N, C) and not np.isfinite(got_P).all():
                c.fail(_("`{name}.forward` returned NaN or inf: exp(Z) overflows for logits this large. "
                         "Subtract each row's maximum first: softmax does not change when a row is shifted.").format(
                    name=cls_name))
            c.compare(f"{cls_name}.forward(Z)", got_P, P, mistakes={
                _("the rows do not sum to 1: normalize each row by its own sum (axis=1, keepdims=True), "
                  "not by the sum of the whole array"): np.exp(Z - Z.max()) / np.exp(Z - Z.max()).sum(),
                _("each column sums to 1 instead of each row: the classes of one example are a row, "
                  "so normalize over axis=1"): np.exp(Z - Z.max(axis=0)) / np.exp(Z - Z.max(axis=0)).sum(axis=0),
            })
            d = dP.copy()
            got = _quiet_run(c, backward, d, name=f"{cls_name}.backward", copy_args=False)
            if not np.array_equal(d, dP):
                c.fail(_("`{name}.backward` changed `dP` in place: the caller may still need it. "
                         "Compute the result into a new array.").format(name=cls_name))
            if np.shape(got) == (C, C) and N != C:
                c.fail(_("the result has shape {got}: that is the table of partial derivatives (the "
                         "Jacobian) of one row. Return dZ with the shape of P, {expected}: one row per example.").format(
                    got=(C, C), expected=(N, C)))
            P_first = _softmax(Z_first)
            stale = P_first * (dP - (P_first * dP).sum(axis=1, keepdims=True))
            if _same(got, stale) and not np.allclose(stale, expected):
                c.fail(_("`{name}.backward` used the probabilities of an earlier forward pass: store P "
                         "in forward every time it runs.").format(name=cls_name))
            c.compare(f"{cls_name}.backward(dP)", got, expected, mistakes={
                _("only the diagonal of the table is used (P * dP): the softmax mixes a row's entries, so "
                  "every z_b also changes every other p_a, which gives the - p_b * sum_a p_a dP_a term"):
                    P * dP,
                _("the sum runs over the whole array instead of each row: each example has its own "
                  "sum_a p_a dP_a, (P * dP).sum(axis=1, keepdims=True)"): P * (dP - (P * dP).sum()),
                _("the sum is over the wrong axis: sum over the classes of each row (axis=1, keepdims=True)"):
                    P * (dP - (P * dP).sum(axis=0, keepdims=True)),
                _("the weights of the sum are missing: it is sum_a p_a dP_a, not sum_a dP_a"):
                    P * (dP - dP.sum(axis=1, keepdims=True)),
                _("this is the derivative as if each p_c depended on z_c alone, p (1 - p): the softmax "
                  "mixes the entries of a row"): dP * P * (1 - P),
            })


# ------------------------------------------------------------------ Exercise 6.6


def _hinge_reference(logits, y):
    N = logits.shape[0]
    rows = np.arange(N)
    margins = logits - logits[rows, y][:, None] + 1.0
    margins[rows, y] = 0.0
    loss = float(np.maximum(margins, 0).sum() / N)
    active = (margins > 0).astype(float)
    grad = active.copy()
    grad[rows, y] = -active.sum(axis=1)
    return loss, grad / N, active, margins


@exercise(N_("Exercise 6.6"), "hinge_loss")
def check_hinge_loss(c):
    """``hinge_loss(logits, y)`` returns the mean multiclass hinge loss and its gradient ``(N, C)``."""
    for N, C in c.cases([(4, 3), (1, 4), (6, 5)], hidden=[(8, 4), (3, 6), (5, 3), (2, 2)]):
        # margins kept at least 0.05 away from the kink at 0, where the derivative jumps
        while True:
            logits = c.rng.normal(scale=1.5, size=(N, C))
            y = c.rng.integers(0, C, size=N)
            y[0] = C - 1
            loss_ref, expected, active, margins = _hinge_reference(logits, y)
            off = np.abs(margins[np.arange(C)[None, :] != y[:, None]])
            if off.size == 0 or off.min() > 0.05:
                break
        count = active.sum(axis=1)
        with c.case(_("logits of shape {shape}, y = {y}").format(shape=(N, C), y=y.tolist())):
            loss, got = c.call(logits, y, returns=("loss", "dlogits"))
            loss_mistakes = {
                _("the sum includes c = y: each example then adds max(0, z_y - z_y + 1) = 1. The sum runs "
                  "over the other classes only"): loss_ref + 1.0,
                _("max(0, ...) is missing: classes whose margin is negative (already far enough below the "
                  "true class) contribute 0, not a negative number"): float(margins.sum() / N),
            }
            if N > 1:
                loss_mistakes[_sum_not_mean(N)] = loss_ref * N
            c.compare("loss", loss, loss_ref, mistakes=loss_mistakes)
            true_zero = active / N
            mistakes = {
                _("the true class's column is 0: z_y appears in every term of example n's sum with a "
                  "minus sign, so its gradient is -(number of active margins) / N"): true_zero,
                _("the true class gets -1/N, as in softmax cross-entropy: here z_y appears once in every "
                  "active term, so it gets -(number of active margins) / N"): true_zero - np.eye(C)[y] / N,
                _("the count includes the true class itself: its own term is skipped (or constant), so "
                  "z_y gets -(active margins among the other classes) / N"):
                    true_zero - np.eye(C)[y] * (count + 1)[:, None] / N,
                _("every class gets 1/N, also those with a negative margin: where max(0, m) is 0 its "
                  "derivative is 0 too"): np.where(np.eye(C, dtype=bool)[y], -(C - 1), 1.0) / N,
            }
            if N > 1:
                mistakes[_("the 1/N is missing: the loss is the mean over the N examples")] = expected * N
            c.compare("dlogits", got, expected, batch_size=N, mistakes=mistakes)
