r"""Checkers for notebook 04, a neuron and a tiny MLP.

* Exercise 4.1 ``neuron_grads(w, b, x, y)``: :math:`\partial L/\partial w_i` and
  :math:`\partial L/\partial b` for :math:`h = \tanh(\sum_i w_i x_i + b)`, :math:`L = (h - y)^2`.
* Exercise 4.2 the class ``Neuron(n_in, nonlin=True)``: weights ``w`` and bias ``b`` as
  :class:`~backprop_lib.scalar.Value` s, ``neuron(x)``, ``parameters()``.
* Exercise 4.3 the classes ``Layer(n_in, n_out, nonlin=True)`` and ``MLP(n_in, sizes)``
  (last layer linear), with ``parameters()`` and ``zero_grad()``; the checker gets ``MLP``.
* Exercise 4.4 ``two_layer_grads(W1, b1, w2, b2, x, y)``: the gradients of a network with
  one tanh hidden layer and a squared error, by hand.
* Exercise 4.5 ``hinge_loss(scores, ys)``: :math:`\frac1N \sum_n \max(0,\ 1 - y_n s_n)`
  built from :class:`~backprop_lib.scalar.Value` scores, labels :math:`y_n = \pm 1`.
* Exercise 4.6 ``logistic_loss(scores, ys)``: :math:`L = \frac1N \sum_n \ln(1 + e^{-y_n s_n})`
  and its gradient :math:`\partial L/\partial s_n`, derived by hand, as ``(loss, dscores)``.
* Exercise 4.7 ``train_step(model, loss_fn, lr)``: one step of gradient descent
  (forward, zero the gradients, backward, update), returning the loss as a float.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..i18n import N_, _, ngettext
from ..scalar import MLP, Value
from .failure import ExerciseFailed
from .framework import CheckContext, exercise

__all__ = ["check_neuron_grads", "check_neuron_class", "check_layer_and_mlp", "check_two_layer_grads",
           "check_hinge_loss", "check_logistic_loss", "check_train_step"]


@exercise("Exercise 4.1", "neuron_grads")
def check_neuron_grads(c):
    r"""``neuron_grads(w, b, x, y)`` returns ``(dw, db)``: ``dw`` one number per weight."""
    public = [([0.5, -1.0], 0.1, [1.0, 2.0], 1.0), ([0.8, 0.2, -0.4], -0.3, [0.5, -1.5, 2.0], 0.0),
              ([1.5], 0.0, [0.7], -1.0)]
    hidden = []
    for n in (2, 4, 5, 3):
        w = [float(v) for v in c.rng.normal(scale=0.8, size=n)]
        x = [float(v) for v in c.rng.normal(size=n)]
        hidden.append((w, float(c.rng.normal(scale=0.5)), x, float(c.rng.choice([-1.0, 0.0, 1.0]))))
    for w, b, x, y in c.cases(public, hidden):
        wa, xa = np.array(w), np.array(x)
        z = float(wa @ xa + b)
        h = float(np.tanh(z))
        dz = 2 * (h - y) * (1 - h * h)  # dL/dz
        with c.case(f"w = {w}, b = {b:g}, x = {x}, y = {y:g}"):
            dw, db = c.call(list(w), b, list(x), y, returns=("dw", "db"))
            c.compare("dw", dw, dz * xa, mistakes={
                _("the tanh factor is missing: dh/dz = 1 − h² sits between dL/dh and dz/dw"):
                    2 * (h - y) * xa,
                _("1 − z² is used: tanh's local derivative is 1 − h², with h = tanh(z) the output"):
                    2 * (h - y) * (1 - z * z) * xa,
                _("dz/dw_i = w_i? For z = Σ w_i x_i + b the slope with respect to w_i is x_i"):
                    dz * wa,
                _("the 2 from the square is missing: dL/dh = 2(h − y)"): (h - y) * (1 - h * h) * xa,
            })
            c.compare("db", db, dz, mistakes={
                _("the tanh factor is missing: db = 2(h − y)(1 − h²)"): 2 * (h - y),
                _("db should not depend on x: dz/db = 1, so db = dL/dz = 2(h − y)(1 − h²)"): float(np.sum(dz * xa)),
                _("the 2 from the square is missing: dL/dh = 2(h − y)"): (h - y) * (1 - h * h),
            })


# ------------------------------------------------------------------- Neuron, Layer, MLP

def _values(c: CheckContext, things: Any, what: str, n: int | None = None) -> list:
    try:
        things = list(things)
    except TypeError:
        c.fail(_("{what} should be a list of Values, got {kind}.").format(what=what, kind=type(things).__name__))
    if n is not None:
        # English says "entries" for any count (the stored outputs); ngettext gives other languages their forms
        c.check(len(things) == n, ngettext("{what} has {count} entries, expected {expected}.",
                                           "{what} has {count} entries, expected {expected}.", len(things)).format(
            what=what, count=len(things), expected=n))
    floats = [t for t in things if not isinstance(t, Value)]
    c.check(not floats, _("{what} holds {kind}s: it must hold Values, so that "
                          "backward() can reach them and fill in their .grad.").format(
        what=what, kind=type(floats[0]).__name__ if floats else ""))
    ids = [id(t) for t in things]
    c.check(len(set(ids)) == len(ids), _("{what} holds the same Value object more than once (did you write "
                                         "`[Value(...)] * n`?): make a new Value for each entry, e.g. with a "
                                         "list comprehension.").format(what=what))
    return things


def _make(c: CheckContext, cls: Any, what: str, *args: Any, **kwargs: Any) -> Any:
    return c.run(lambda: cls(*args, **kwargs), name=what, copy_args=False)


def _neuron_parts(c: CheckContext, neuron: Any, n_in: int, what: str) -> tuple[list, Value]:
    w = _values(c, getattr(neuron, "w", None), f"{what}.w", n_in)
    b = getattr(neuron, "b", None)
    c.check(isinstance(b, Value), _("{what} should be a Value, got {kind}.").format(
        what=f"{what}.b", kind=type(b).__name__))
    return w, b


def _as_value_out(c: CheckContext, out: Any, what: str) -> Value:
    if out is None:
        c.fail(_("`{what}` returned None: did you forget `return`?").format(what=what))
    c.check(isinstance(out, Value), _("`{what}` should return a Value built from the weights, got "
                                      "{kind} (keep Values: no float(...), no .data).").format(
        what=what, kind=type(out).__name__))
    return out


@exercise("Exercise 4.2", "Neuron")
def check_neuron_class(c):
    r"""``Neuron(n_in, nonlin=True)``: ``w`` (``n_in`` Values, uniform in [-1, 1]), ``b`` (a Value, 0),
    ``neuron(x)`` = :math:`\tanh(\sum_i w_i x_i + b)` (no tanh when ``nonlin=False``),
    ``parameters()`` = ``w + [b]``."""
    cls = c.student
    if not isinstance(cls, type):
        c.fail(_("pass your class itself, `{name}`, to the checker; got {kind}.").format(
            name="Neuron", kind=type(cls).__name__))
    sizes = c.cases([3, 1], hidden=[2, 5])
    for n_in in sizes:
        for nonlin in (True, False):
            with c.case(f"Neuron({n_in}, nonlin={nonlin})"):
                neuron = _make(c, cls, f"Neuron({n_in}, nonlin={nonlin})", n_in, nonlin=nonlin)
                w, b = _neuron_parts(c, neuron, n_in, "neuron")
                c.check(all(-1.0 <= wi.data <= 1.0 for wi in w),
                        _("the initial weights should lie in [-1, 1] (random.uniform(-1, 1))."))
                if n_in >= 3:
                    c.check(len({wi.data for wi in w}) > 1,
                            _("all initial weights are equal: draw each one at random "
                              "(random.uniform(-1, 1)), or all neurons learn the same."))
                params = c.run(neuron.parameters, name="neuron.parameters", copy_args=False)
                params = _values(c, params, "neuron.parameters()", n_in + 1)
                c.check(all(p is q for p, q in zip(params, w + [b])),
                        _("neuron.parameters() should list the Values themselves, weights first and the bias last: "
                          "`self.w + [self.b]`."))
                wd = [float(v) for v in c.rng.uniform(-1, 1, size=n_in)]
                bd = float(c.rng.uniform(-0.5, 0.5))
                for wi, v in zip(w, wd):
                    wi.data = v
                b.data = bd
                xd = [float(v) for v in c.rng.normal(size=n_in)]
                x = [Value(v) for v in xd]
                out = _as_value_out(c, c.run(neuron, x, name="neuron(x)", copy_args=False), "neuron(x)")
                z = float(np.dot(wd, xd) + bd)
                expected = math.tanh(z) if nonlin else z
                mistakes = ({_("this is w·x + b without the tanh: a neuron with nonlin=True applies tanh"): z,
                             _("the bias is missing: tanh(w·x + b)"): math.tanh(z - bd)} if nonlin else
                            {_("nonlin=False means no activation: return w·x + b itself"): math.tanh(z),
                             _("the bias is missing: w·x + b"): z - bd})
                c.compare("neuron(x).data", out.data, expected, rtol=1e-9, mistakes=mistakes)
                out.backward()
                slope = 1 - expected ** 2 if nonlin else 1.0
                c.compare(_("the weights' gradients after neuron(x).backward()"), [wi.grad for wi in w],
                          [slope * v for v in xd], rtol=1e-9)
                c.compare(_("the inputs' gradients"), [xi.grad for xi in x], [slope * v for v in wd], rtol=1e-9)
                c.compare("b.grad", b.grad, slope, rtol=1e-9)
                plain = c.run(neuron, xd, name=_("neuron(x) with x a list of numbers"), copy_args=False)
                c.compare(_("neuron(x).data with x a list of numbers"), _as_value_out(c, plain, "neuron(x)").data,
                          expected, rtol=1e-9)


def _mlp_structure(c: CheckContext, model: Any, n_in: int, sizes: Sequence[int]) -> list[list]:
    layers = getattr(model, "layers", None)
    try:
        layers = list(layers)
    except TypeError:
        c.fail(_("the MLP should keep its layers in a list `self.layers`, got {kind}.").format(
            kind=type(layers).__name__))
    # English says "layers", "neurons" and "weights" for any count (the stored outputs); ngettext gives
    # other languages their forms
    c.check(len(layers) == len(sizes), ngettext("{model} has {count} layers, expected {expected}: "
                                                "one Layer per entry of sizes.",
                                                "{model} has {count} layers, expected {expected}: "
                                                "one Layer per entry of sizes.", len(layers)).format(
        model=f"MLP({n_in}, {list(sizes)})", count=len(layers), expected=len(sizes)))
    neurons = []
    fan_in = n_in
    for k, (layer, size) in enumerate(zip(layers, sizes), start=1):
        ns = getattr(layer, "neurons", None)
        try:
            ns = list(ns)
        except TypeError:
            c.fail(_("layer {layer} should keep its neurons in a list `self.neurons`, got {kind}.").format(
                layer=k, kind=type(ns).__name__))
        c.check(len(ns) == size, ngettext("layer {layer} has {count} neurons, expected {expected}.",
                                          "layer {layer} has {count} neurons, expected {expected}.", len(ns)).format(
            layer=k, count=len(ns), expected=size))
        for neuron in ns:
            w = getattr(neuron, "w", [])
            if k == 1:
                wrong_fan_in = ngettext(
                    "the neurons of layer {layer} have {count} weights; they read the {fan_in} inputs, so they need "
                    "{fan_in}: each layer reads as many numbers as the layer before it outputs (the first one reads "
                    "the n_in inputs).",
                    "the neurons of layer {layer} have {count} weights; they read the {fan_in} inputs, so they need "
                    "{fan_in}: each layer reads as many numbers as the layer before it outputs (the first one reads "
                    "the n_in inputs).", len(w))
            else:
                wrong_fan_in = ngettext(
                    "the neurons of layer {layer} have {count} weights; they read the {fan_in} outputs of layer "
                    "{previous}, so they need {fan_in}: each layer reads as many numbers as the layer before it "
                    "outputs (the first one reads the n_in inputs).",
                    "the neurons of layer {layer} have {count} weights; they read the {fan_in} outputs of layer "
                    "{previous}, so they need {fan_in}: each layer reads as many numbers as the layer before it "
                    "outputs (the first one reads the n_in inputs).", len(w))
            c.check(len(w) == fan_in, wrong_fan_in.format(layer=k, count=len(w), fan_in=fan_in, previous=k - 1))
        neurons.append(ns)
        fan_in = size
    return neurons


@exercise("Exercise 4.3", N_("Layer and MLP"))
def check_layer_and_mlp(c):
    """``MLP(n_in, sizes)`` of ``Layer`` s of your ``Neuron`` s: hidden layers tanh, the last one
    linear; a single Value out when the last size is 1, else a list; ``parameters()`` layer by
    layer, neuron by neuron; ``zero_grad()``."""
    cls = c.student
    if not isinstance(cls, type):
        c.fail(_("pass your class itself, `{name}`, to the checker; got {kind}.").format(
            name="MLP", kind=type(cls).__name__))
    for n_in, sizes in c.cases([(2, [3, 1]), (3, [4, 4, 2])], hidden=[(2, [5, 1]), (4, [3, 3, 3, 1])]):
        with c.case(f"MLP({n_in}, {sizes})"):
            model = _make(c, cls, f"MLP({n_in}, {sizes})", n_in, list(sizes))
            neurons = _mlp_structure(c, model, n_in, sizes)
            neuron_cls = type(neurons[0][0])
            try:
                check_neuron_class(neuron_cls, quiet=True)
            except ExerciseFailed as exc:
                c.fail(_("your MLP is built from your Neuron (Exercise 4.2), which is not right yet:")
                       + "\n" + exc.message)
            nonlins = [[bool(getattr(n, "nonlin", True)) for n in layer] for layer in neurons]
            c.check(not any(nonlins[-1]), _("the last layer must be linear (nonlin=False): the output is a score "
                                            "that can be any number, not squashed into (-1, 1) by tanh."))
            c.check(all(all(layer) for layer in nonlins[:-1]), _("the hidden layers need their tanh "
                                                                  "(nonlin=True); only the last layer is linear."))
            params = _values(c, c.run(model.parameters, name="model.parameters", copy_args=False), "model.parameters()")
            expected_params = [p for layer in neurons for n in layer for p in list(n.w) + [n.b]]
            c.check(len(params) == len(expected_params),
                    ngettext("model.parameters() has {count} Values, expected {expected}: every weight and "
                             "bias of every neuron of every layer.",
                             "model.parameters() has {count} Values, expected {expected}: every weight and "
                             "bias of every neuron of every layer.", len(params)).format(
                        count=len(params), expected=len(expected_params)))
            c.check(all(p is q for p, q in zip(params, expected_params)),
                    _("model.parameters() should go layer by layer and, in each layer, neuron by neuron (weights, "
                      "then bias): collect layer.parameters() for each layer, which collects neuron.parameters()."))
            reference = MLP(n_in, sizes, activation="tanh", fused=False)
            data = [float(v) for v in c.rng.uniform(-1, 1, size=len(params))]
            for p, q, v in zip(params, reference.parameters(), data):
                p.data = q.data = v
            x = [float(v) for v in c.rng.normal(size=n_in)]
            out = c.run(model, x, name="model(x)", copy_args=False)
            ref = reference(x)
            if sizes[-1] == 1:
                if isinstance(out, (list, tuple)) and len(out) == 1:
                    c.fail(_("MLP(..., [..., 1]) returned a list of one Value: a layer of one neuron should return "
                             "the Value itself (out[0]), so that the score can be used directly."))
                out = _as_value_out(c, out, "model(x)")
                c.compare("model(x).data", out.data, ref.data, rtol=1e-9)
                outs, refs = [out], [ref]
            else:
                try:
                    outs = list(out)
                except TypeError:
                    c.fail(_("with {count} outputs, model(x) should return a list of {count} Values, "
                             "got {kind}.").format(count=sizes[-1], kind=type(out).__name__))
                c.check(len(outs) == sizes[-1], ngettext("model(x) returned {count} values, expected {expected}.",
                                                         "model(x) returned {count} values, expected {expected}.",
                                                         len(outs)).format(count=len(outs), expected=sizes[-1]))
                outs = [_as_value_out(c, o, "model(x)[k]") for o in outs]
                refs = list(ref)
                c.compare("[v.data for v in model(x)]", [o.data for o in outs], [r.data for r in refs], rtol=1e-9)
            total, ref_total = sum(outs[1:], outs[0]), sum(refs[1:], refs[0])
            total.backward()
            ref_total.backward()
            c.compare(_("the gradients of model.parameters() after backward()"), [p.grad for p in params],
                      [q.grad for q in reference.parameters()], rtol=1e-9)
            c.run(model.zero_grad, name="model.zero_grad", copy_args=False)
            left = sum(1 for p in params if p.grad != 0.0)
            c.check(left == 0, ngettext("after model.zero_grad(), {count} of {total} parameters still have a gradient: "
                                        "set p.grad = 0.0 for every p in self.parameters().",
                                        "after model.zero_grad(), {count} of {total} parameters still have a gradient: "
                                        "set p.grad = 0.0 for every p in self.parameters().", left).format(
                count=left, total=len(params)))


# --------------------------------------------------------------- a hidden layer by hand

def _two_layer(W1, b1, w2, b2, x, y):
    W1, b1, w2, x = (np.asarray(v, dtype=float) for v in (W1, b1, w2, x))
    z = W1 @ x + b1
    h = np.tanh(z)
    s = float(w2 @ h + b2)
    ds = 2 * (s - y)
    dz = ds * w2 * (1 - h * h)
    return {"z": z, "h": h, "s": s, "ds": ds, "dz": dz,
            "dW1": np.outer(dz, x), "db1": dz, "dw2": ds * h, "db2": ds}


@exercise("Exercise 4.4", "two_layer_grads")
def check_two_layer_grads(c):
    r"""``two_layer_grads(W1, b1, w2, b2, x, y)`` returns ``(dW1, db1, dw2, db2)`` for
    :math:`h_j = \tanh(\sum_i W1[j][i]\, x_i + b1[j])`, :math:`s = \sum_j w2[j]\, h_j + b2`,
    :math:`L = (s - y)^2`; ``dW1[j][i]`` belongs to ``W1[j][i]``."""
    public = [(2, 3), (3, 2)]
    hidden = [(2, 4), (4, 3), (1, 2), (3, 5)]
    for n, H in c.cases(public, hidden):
        W1 = [[float(v) for v in row] for row in c.rng.uniform(-1, 1, size=(H, n))]
        b1 = [float(v) for v in c.rng.uniform(-0.5, 0.5, size=H)]
        w2 = [float(v) for v in c.rng.uniform(-1, 1, size=H)]
        b2 = float(c.rng.uniform(-0.5, 0.5))
        x = [float(v) for v in c.rng.normal(size=n)]
        y = float(c.rng.normal())
        r = _two_layer(W1, b1, w2, b2, x, y)
        xa, w2a, h, z = np.asarray(x), np.asarray(w2), r["h"], r["z"]
        # English says "inputs" for any count (the stored outputs); ngettext gives other languages their forms
        with c.case(ngettext("{n} inputs, {hidden} hidden neurons", "{n} inputs, {hidden} hidden neurons", n).format(
                n=n, hidden=H)):
            dW1, db1, dw2, db2 = c.call(W1, b1, w2, b2, x, y, returns=("dW1", "db1", "dw2", "db2"))
            c.compare("db2", db2, r["db2"],
                      mistakes={_("the 2 from the square is missing: dL/ds = 2(s - y)"): r["s"] - y})
            c.compare("dw2", dw2, r["dw2"], mistakes={
                _("dw2[j] = dL/ds · w2[j]? mul swaps: the gradient of w2[j] is dL/ds times the value it "
                  "multiplies, h_j"): r["ds"] * w2a,
                _("dw2[j] = dL/ds · z_j: w2[j] multiplies h_j = tanh(z_j), the output of the hidden neuron"):
                    r["ds"] * z,
            })
            c.compare("db1", db1, r["db1"], mistakes={
                _("the tanh factor 1 - h_j² is missing: dL/dz_j = dL/dh_j · (1 - h_j²)"): r["ds"] * w2a,
                _("1 - z_j² is used: tanh's local derivative is 1 - h_j², with h_j its output"):
                    r["ds"] * w2a * (1 - z * z),
                _("the factor w2[j] is missing: dL/dh_j = dL/ds · w2[j] (the path from h_j to s goes through w2[j])"):
                    r["ds"] * (1 - h * h),
            })
            c.compare("dW1", dW1, r["dW1"], mistakes={
                _("dW1[j][i] = dL/dz_j · W1[j][i]? mul swaps: it is dL/dz_j times the input x_i it multiplies"):
                    r["dz"][:, None] * np.asarray(W1),
                _("the tanh factor 1 - h_j² is missing: dW1[j][i] = dL/dz_j · x_i with dL/dz_j = dL/dh_j (1 - h_j²)"):
                    np.outer(r["ds"] * w2a, xa),
            })


# ----------------------------------------------------------------------- logistic loss

@exercise("Exercise 4.6", "logistic_loss")
def check_logistic_loss(c):
    r"""``logistic_loss(scores, ys)`` returns ``(loss, dscores)``:
    :math:`L = \frac1N\sum_n \ln(1 + e^{-y_n s_n})` and :math:`\partial L/\partial s_n = -y_n\,\sigma(-y_n s_n)/N`."""
    public = [([0.5, -2.0, 1.5, -0.2], [1, -1, -1, 1]), ([2.0, 0.3, -0.7], [1, 1, 1])]
    hidden = []
    for n in (5, 8, 1):
        hidden.append(([float(v) for v in np.round(c.rng.normal(scale=2.0, size=n), 3)],
                       [int(v) for v in c.rng.choice([-1, 1], size=n)]))
    for s, ys in c.cases(public, hidden):
        N = len(s)
        sa, ya = np.array(s), np.array(ys, dtype=float)
        m = ya * sa
        sig = 1 / (1 + np.exp(m))                       # σ(-y s)
        with c.case(f"scores = {s}, ys = {ys}"):
            loss, dscores = c.call(list(s), list(ys), returns=("loss", "dscores"))
            c.compare("loss", loss, float(np.mean(np.log1p(np.exp(-m)))), batch_size=N, mistakes={
                _("this is the mean of ln(1 + e^(+ys)): the exponent is -y·s (a right answer, ys > 0, costs little)"):
                    float(np.mean(np.log1p(np.exp(m)))),
                _("the ln is missing: each term is ln(1 + e^(-ys))"): float(np.mean(1 + np.exp(-m))),
            })
            c.compare("dscores", dscores, -ya * sig / N, batch_size=N, mistakes={
                _("the outer ln is missing its factor 1/(1 + e^(-ys)): d ln(u)/du = 1/u"): -ya * np.exp(-m) / N,
                _("σ(y s) instead of σ(-y s): e^(-ys) / (1 + e^(-ys)) = 1 / (1 + e^(ys)) = σ(-ys)"):
                    -ya / (1 + np.exp(-m)) / N,
                _("the factor y is missing: the inside -y·s has slope -y with respect to s"): -sig / N,
                _("this is σ'(-ys) = σ(1 - σ): the derivative of ln(1 + e^u) is σ(u) itself (softplus, notebook 03)"):
                    -ya * sig * (1 - sig) / N,
            })


@exercise("Exercise 4.5", "hinge_loss")
def check_hinge_loss(c):
    r"""``hinge_loss(scores, ys)`` returns a Value: the mean of :math:`\max(0, 1 - y_n s_n)`."""
    public = [([0.5, -2.0, 1.5, -0.2], [1, -1, -1, -1]), ([2.0, 0.3, -0.7], [1, 1, 1])]
    hidden = []
    for n in (5, 8, 3):
        s = [float(v) for v in np.round(c.rng.normal(scale=1.5, size=n), 3)]
        hidden.append((s, [int(v) for v in c.rng.choice([-1, 1], size=n)]))
    for s, ys in c.cases(public, hidden):
        N = len(s)
        sa, ya = np.array(s), np.array(ys, dtype=float)
        margins = 1 - ya * sa
        active = margins > 0
        with c.case(f"scores = {s}, ys = {ys}"):
            scores = [Value(v, label=f"s{i}") for i, v in enumerate(s)]
            loss = c.call(scores, list(ys), copy_args=False)
            if loss is None:
                c.fail(_("`{what}` returned None: did you forget `return`?").format(what="hinge_loss"))
            c.check(isinstance(loss, Value),
                    _("`hinge_loss` should return a Value built from the scores (so that backward() can "
                      "reach them), got {kind}: do not convert to float, and start sums from "
                      "the Values.").format(kind=type(loss).__name__))
            c.compare("hinge_loss(scores, ys).data", loss.data, float(np.mean(np.maximum(0, margins))),
                      batch_size=N, mistakes={
                          _("negative terms are included: each term is max(0, 1 − y·s); use .relu()"):
                              float(np.mean(margins)),
                          _("the sign inside is flipped: the term is max(0, 1 − y·s), not max(0, 1 + y·s)"):
                              float(np.mean(np.maximum(0, 1 + ya * sa))),
                          _("the sum is not divided by N: the loss is the mean over the examples"):
                              float(np.sum(np.maximum(0, margins))),
                      })
            c.run(loss.backward, name="loss.backward")
            expected = np.where(active, -ya, 0.0) / N
            c.compare(_("the gradients of the scores"), [v.grad for v in scores], expected, batch_size=N, mistakes={
                _("examples with a margin y·s > 1 also get a gradient: use .relu(), which passes no "
                  "gradient where its input is negative"): -ya / N,
            })


# ----------------------------------------------------------------------- train_step

_X = [[0.5, -1.0], [1.0, 0.3], [-0.7, 0.8], [0.1, 0.1], [-1.2, -0.4], [0.9, -0.6]]
_Y = [1.0, -1.0, 0.5, 0.0, -0.5, 1.0]


def _mse(model: MLP, X=_X, Y=_Y) -> Value:
    preds = [model(x) for x in X]
    return sum(((p - y) ** 2 for p, y in zip(preds, Y)), Value(0.0)) * (1.0 / len(X))


def _reference_run(seed: int, lr: float, steps: int, *, sign: float = 1.0, zero: str = "before",
                   use_lr: bool = True) -> tuple[list[float], list[list[float]]]:
    """Losses and parameters after each of ``steps`` steps, with or without a typical mistake."""
    model = MLP(2, [4, 1], activation="tanh", seed=seed)
    losses, params = [], []
    for _step in range(steps):
        loss = _mse(model)
        if zero == "before":
            model.zero_grad()
        loss.backward()
        if zero == "between":
            model.zero_grad()
        for p in model.parameters():
            p.data -= sign * (lr if use_lr else 1.0) * p.grad
        losses.append(loss.data)
        params.append([p.data for p in model.parameters()])
    return losses, params


@exercise("Exercise 4.7", "train_step")
def check_train_step(c):
    """``train_step(model, loss_fn, lr)``: zero the gradients, backward, update ``p.data -= lr * p.grad``,
    return the loss as a float; called three times in a row on the same model."""
    for seed, lr in c.cases([(0, 0.1), (1, 0.05)], hidden=[(2, 0.2), (3, 0.01), (4, 0.5)]):
        steps = 3
        model = MLP(2, [4, 1], activation="tanh", seed=seed)
        ref_losses, ref_params = _reference_run(seed, lr, steps)
        with c.case(_("an MLP(2, [4, 1]) with seed {seed}, lr = {lr:g}").format(seed=seed, lr=lr)):
            for k in range(steps):
                loss = c.call(model, _mse, lr, copy_args=False)
                c.compare(_("the loss returned by step {step}").format(step=k + 1), loss, ref_losses[k], rtol=1e-9,
                          mistakes={
                    _("this is the loss *after* the update: return the loss computed before it"): (
                        _mse_after(model)),
                })
                got = [p.data for p in model.parameters()]
                before = ref_params[k - 1] if k else [p.data for p in MLP(2, [4, 1], activation="tanh",
                                                                            seed=seed).parameters()]
                c.compare(_("the parameters after step {step}").format(step=k + 1), got, ref_params[k], rtol=1e-9,
                          mistakes={
                    _("the parameters moved uphill: the update is p.data -= lr * p.grad (minus: against "
                      "the gradient)"): _reference_run(seed, lr, k + 1, sign=-1.0)[1][k],
                    _("the gradients of the previous steps were not cleared, so they add up: call "
                      "model.zero_grad() before loss.backward()"): _reference_run(seed, lr, k + 1, zero="never")[1][k],
                    _("the parameters did not change: zero_grad() between backward() and the update wipes the "
                      "gradients before they are used (and the update must change p.data)"): before,
                    _("the learning rate is not used: the update is p.data -= lr * p.grad"):
                        _reference_run(seed, lr, k + 1, use_lr=False)[1][k],
                })


def _mse_after(model: MLP) -> float:
    return _mse(model).data
