r"""Checkers for notebook 09, "The cost of backprop".

* Exercise 9.1 ``fd_gradient(params, loss, h)``: the gradient of ``loss()`` with respect to every
  parameter by centered finite differences, one entry at a time, in place, each entry put back;
  exactly :math:`2P` calls of ``loss``.
* Exercise 9.2 ``fd_forward_passes(sizes)``: the forward passes that centered finite
  differences need for the gradient of an MLP with layer sizes ``sizes``
  (``[n_in, h_1, ..., n_out]``, Linear layers with biases): :math:`2P`.
* Exercise 9.3 ``count_matmuls(L_layers)``: the matrix products in one forward and one
  backward pass of an MLP with ``L_layers`` Linear layers: ``(L, 2L - 1)`` (the first
  layer's input is the data, so it needs no input gradient).
* Exercise 9.4 ``stored_activation_bytes(N, sizes, itemsize)``: the bytes an MLP
  ``Linear -> ReLU -> ... -> Linear`` keeps for its backward pass after a forward pass on a
  batch of ``N``: each Linear keeps its input (``itemsize`` bytes per entry), each ReLU a
  boolean mask (1 byte per entry).
* Exercise 9.5 ``checkpointed_gradient(layers, bounds, X, loss_grad)``: forward keeping only
  each segment's input, backward recomputing each segment (but the last) from its checkpoint;
  the same gradients as the plain pass, one segment's caches alive at a time.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..checkpoint import CheckpointedSequential
from ..i18n import N_, _, ngettext
from ..layers import ArrayModule, Linear, ReLU, Sequential, Tanh
from ..losses import SoftmaxCrossEntropy
from .framework import exercise

__all__ = ["check_fd_gradient", "check_fd_forward_passes", "check_count_matmuls",
           "check_stored_activation_bytes", "check_checkpointed_gradient"]


def _num_params(sizes) -> int:
    """P in closed form (Sequential.num_parameters of that MLP), without building a 784-wide net."""
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))


def _fmt_sizes(sizes) -> str:
    return "[" + ", ".join(str(s) for s in sizes) + "]"


# ------------------------------------------------------------------ Exercise 9.1


def _fd_net(kind: str) -> tuple[Sequential, np.ndarray, np.ndarray]:
    rng = np.random.default_rng({"small": 1, "deeper": 2, "tiny": 3, "wide": 4}[kind])
    sizes = {"small": [3, 4, 2], "deeper": [2, 3, 3, 2], "tiny": [1, 2], "wide": [4, 6, 3]}[kind]
    layers: list[ArrayModule] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Linear(a, b, seed=10 + i))
        layers[-1].b.data[...] = rng.normal(scale=0.1, size=b)
        if i < len(sizes) - 2:
            layers.append(Tanh())
    X = rng.normal(size=(5, sizes[0]))
    y = rng.integers(0, sizes[-1], size=5)
    return Sequential(*layers), X, y


@exercise(N_("Exercise 9.1"), "fd_gradient")
def check_fd_gradient(c):
    """``fd_gradient(params, loss, h)`` must return the centered-difference gradient of every
    parameter, call ``loss`` exactly 2P times and leave the parameters as they were."""
    for kind in c.cases(["small", "deeper"], hidden=["tiny", "wide", "small"]):
        net, X, y = _fd_net(kind)
        loss_fn = SoftmaxCrossEntropy()
        net.zero_grad()
        loss_fn.forward(net.forward(X), y)
        net.backward(loss_fn.backward())
        params = net.parameters()
        backprop = [p.grad.copy() for p in params]
        before = [p.data.copy() for p in params]
        P = sum(p.size for p in params)
        h = 1e-5

        calls = [0]

        def loss() -> float:
            calls[0] += 1
            return loss_fn.forward(net.forward(X), y)

        def one_sided_estimate() -> list[np.ndarray]:
            """What the one-sided difference (L(theta + h) - L(theta)) / h gives."""
            base = loss_fn.forward(net.forward(X), y)
            out = []
            for p in params:
                g = np.zeros_like(p.data)
                for idx in np.ndindex(*p.shape):
                    old = p.data[idx]
                    p.data[idx] = old + h
                    plus = loss_fn.forward(net.forward(X), y)
                    p.data[idx] = old
                    g[idx] = (plus - base) / h
                out.append(g)
            return out

        one_sided = one_sided_estimate()
        sizes = " -> ".join(repr(layer) for layer in net.layers)
        with c.case(_("the parameters of {layers}").format(layers=sizes)):
            got = c.run(c.student, params, loss, h, name=c.name, copy_args=False)
            changed = max(float(np.max(np.abs(p.data - b))) for p, b in zip(params, before))
            c.check(changed <= 1e-12,
                    _("the parameters were left changed (by up to {changed:.3g}): put each entry back "
                      "to its old value after its two evaluations (old = p.data[i], ..., p.data[i] = old)").format(
                        changed=changed))
            if calls[0] != 2 * P:
                hints = {P + 1: _("that is one-sided differences (one evaluation at the unchanged "
                                  "parameters, one per nudge); centered differences evaluate the loss at "
                                  "theta + h and at theta - h, 2 per parameter entry"),
                         P: _("one evaluation per parameter entry: centered differences need two, at "
                              "theta + h and at theta - h"),
                         2 * P + 1: _("the evaluation at the unchanged parameters is not needed: centered "
                                      "differences use only theta + h and theta - h, 2 per entry")}
                hint = hints.get(calls[0], _("two calls per parameter entry, no more."))
                c.fail(_("`loss` was called {calls} times for P = {P} parameter entries; expected "
                         "2P = {two_P}: {hint}").format(calls=calls[0], P=P, two_P=2 * P, hint=hint))
            c.check(isinstance(got, (list, tuple)) and len(got) == len(params),
                    _("return a list with one gradient array per parameter ({n_params} of them), "
                      "got {got}").format(n_params=len(params), got=_describe(got)))
            for (name, p), g, ref, one in zip(net.named_parameters(), got, backprop, one_sided):
                c.compare(_("the gradient of {name}").format(name=name), g, ref, rtol=1e-5, atol=1e-8, mistakes={
                    _("(L(theta + h) - L(theta - h)) / h is twice the slope: the two points are 2h "
                      "apart, so divide by 2 * h"): 2 * ref,
                    _("the difference is upside down: (L(theta + h) - L(theta - h)) / (2 * h)"): -ref,
                    _("that is a one-sided difference (L(theta + h) - L(theta)) / h: use the centered "
                      "one, (L(theta + h) - L(theta - h)) / (2 * h), which is far more accurate"): one,
                })


def _describe(obj: Any) -> str:
    if isinstance(obj, (list, tuple)):
        # English says "items" for any count; the plural forms let other languages say "1 item"
        return ngettext("a {kind} of {n} items", "a {kind} of {n} items", len(obj)).format(
            kind=type(obj).__name__, n=len(obj))
    return "None" if obj is None else _("a {kind}").format(kind=type(obj).__name__)


# ------------------------------------------------------------------ Exercise 9.2


@exercise(N_("Exercise 9.2"), "fd_forward_passes")
def check_fd_forward_passes(c):
    """``fd_forward_passes(sizes)`` must return :math:`2P`."""
    public = [[2, 16, 16, 3], [10, 5], [784, 128, 10]]
    hidden = [[3, 7, 2], [1, 1], [64, 64, 64, 64, 10], [5, 100, 1]]
    for sizes in c.cases(public, hidden=hidden):
        P = _num_params(sizes)
        weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
        with c.case(f"sizes = {_fmt_sizes(sizes)} (P = {P:,})"):
            got = c.call(list(sizes))
            c.compare(_("the number of forward passes"), got, 2 * P, rtol=0, atol=0.5, mistakes={
                _("that is P, one pass per parameter: a centered difference evaluates the loss "
                  "twice per parameter, at theta + h and at theta - h"): P,
                _("P + 1 passes is what one-sided differences need (one shared f(theta) plus "
                  "f(theta + h) per parameter); centered differences need 2 per parameter"): P + 1,
                _("no extra pass at the unperturbed parameters is needed: centered differences "
                  "use only f(theta + h) and f(theta - h), 2 per parameter"): 2 * P + 1,
                _("the biases are parameters too: a Linear(n_in, n_out) layer has "
                  "n_in * n_out + n_out of them"): 2 * weights,
                _("count parameters, not units: a Linear(n_in, n_out) layer has "
                  "n_in * n_out + n_out of them"): 2 * sum(sizes),
            })


# ------------------------------------------------------------------ Exercise 9.3


@exercise(N_("Exercise 9.3"), "count_matmuls")
def check_count_matmuls(c):
    """``count_matmuls(L_layers)`` must return ``(L_layers, 2 * L_layers - 1)``."""
    for L in c.cases([4, 3, 1], hidden=[2, 7, 50, 1]):
        with c.case(f"L_layers = {L}"):
            forward, backward = c.call(L, returns=("forward", "backward"))
            c.compare("forward", forward, L, rtol=0, atol=0.5, mistakes={
                _("the forward pass has one matrix product per Linear layer (X @ W); the bias "
                  "is an addition and the activation works entry by entry"): 2 * L,
                _("that is the backward count: the forward pass has one matrix product per "
                  "Linear layer (X @ W)"): 2 * L - 1,
            })
            c.compare("backward", backward, 2 * L - 1, rtol=0, atol=0.5, mistakes={
                _("the first layer's input is the data: nobody needs dX there, so its "
                  "dZ @ W.T is skipped (2L - 1, not 2L)"): 2 * L,
                _("each Linear layer needs two products in backward: dW = X.T @ dZ and "
                  "dX = dZ @ W.T (except dX of the first layer)"): L,
                _("count the backward pass only (the forward products are counted in `forward`)"): 3 * L - 1,
                _("only the first layer skips its input gradient: every other layer needs "
                  "dW = X.T @ dZ and dX = dZ @ W.T"): 2 * L - 2,
            })


# ------------------------------------------------------------------ Exercise 9.4


def _stored(N, sizes, itemsize):
    """The closed form that checkpoint.activation_bytes measures, for any itemsize (float16 too)."""
    L = len(sizes) - 1
    inputs = sum(sizes[:L])              # what each Linear keeps: its input
    masks = sum(sizes[1:L])              # what each ReLU keeps: a mask, 1 byte per entry
    return N * (itemsize * inputs + masks), inputs, masks


@exercise(N_("Exercise 9.4"), "stored_activation_bytes")
def check_stored_activation_bytes(c):
    """``stored_activation_bytes(N, sizes, itemsize)``: see the module docstring."""
    public = [(32, [2, 16, 16, 3], 8), (256, [784, 256, 10], 4), (1, [5, 5], 8)]
    hidden = [(64, [10, 20, 30, 40, 5], 8), (7, [3, 3, 3], 4), (128, [512, 512, 512, 10], 2)]
    for N, sizes, itemsize in c.cases(public, hidden=hidden):
        expected, inputs, masks = _stored(N, sizes, itemsize)
        with c.case(f"N = {N}, sizes = {_fmt_sizes(sizes)}, itemsize = {itemsize}"):
            got = c.call(N, list(sizes), itemsize)
            c.compare(_("bytes"), got, expected, rtol=0, atol=0.5, mistakes={
                _("the ReLU masks are missing: each ReLU keeps a boolean mask of where its input "
                  "was positive, 1 byte per entry"): N * itemsize * inputs,
                _("a boolean mask takes 1 byte per entry, not itemsize bytes"): N * itemsize * (inputs + masks),
                _("the network's output (the logits) is not kept by any layer: count each Linear "
                  "layer's input and each ReLU's mask"): expected + N * itemsize * sizes[-1],
                _("the first Linear layer keeps its input X too: it needs it for dW = X.T @ dZ"):
                    expected - N * itemsize * sizes[0],
                _("every stored activation has one row per example: multiply by the batch size N"):
                    itemsize * inputs + masks,
                _("that is bits, not bytes: itemsize is already in bytes (8 for float64)"):
                    8 * expected,
            })


# ------------------------------------------------------------------ Exercise 9.5


class _Tracker:
    """Watches the spy layers: forward runs per layer, the order of backward calls and the
    largest number of layers holding a cache at the same time."""

    def __init__(self, layers: list[ArrayModule]) -> None:
        self.layers = layers
        self.forwards = [0] * len(layers)
        self.backwards: list[int] = []
        self.max_live = 0

    def observe(self) -> None:
        live = sum(1 for layer in self.layers if layer.cache is not None)
        self.max_live = max(self.max_live, live)


class _Spy:
    """Mixin for a layer that reports to a :class:`_Tracker`."""

    _tracker: _Tracker
    _index: int

    def forward_unchecked(self, x):
        out = super().forward_unchecked(x)
        self._tracker.forwards[self._index] += 1
        self._tracker.observe()
        return out

    def _check_order(self) -> None:
        t, i = self._tracker, self._index
        if self.cache is None:
            raise RuntimeError(_("layer {i} ({layer}) has no cache for its backward pass: its segment's "
                                 "caches were dropped and not recomputed. Before a segment's backward, run "
                                 "the segment's forward again from its checkpoint").format(i=i, layer=repr(self)))
        later = [j for j in range(i + 1, len(t.layers)) if j not in t.backwards]
        if later:
            raise RuntimeError(_("the backward of layer {i} ran before the backward of layer {later}: "
                                 "the backward pass goes from the last layer to the first, so the segments "
                                 "too go from the last to the first").format(i=i, later=later[0]))

    def backward(self, dout, input_grad=True):
        self._check_order()
        return super().backward(dout, input_grad)

    def backward_unchecked(self, dout, input_grad=True):
        self._check_order()
        out = super().backward_unchecked(dout, input_grad)
        self._tracker.backwards.append(self._index)
        self._tracker.observe()
        return out

    def __repr__(self) -> str:
        return super().__repr__().replace("_Spy", "")


class _SpyLinear(_Spy, Linear):
    pass


class _SpyReLU(_Spy, ReLU):
    pass


class _SpyTanh(_Spy, Tanh):
    pass


def _ckpt_layers(sizes: list[int], spy: bool) -> list[ArrayModule]:
    lin, relu, tanh = (_SpyLinear, _SpyReLU, _SpyTanh) if spy else (Linear, ReLU, Tanh)
    layers: list[ArrayModule] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(lin(a, b, seed=20 + i))
        if i < len(sizes) - 2:
            layers.append((relu if i % 2 == 0 else tanh)())
    return layers


@exercise(N_("Exercise 9.5"), "checkpointed_gradient")
def check_checkpointed_gradient(c):
    """``checkpointed_gradient(layers, bounds, X, loss_grad)`` must give the plain pass's
    gradients, recompute every segment but the last exactly once, and hold at most one
    segment's caches at a time."""
    public = [([5, 6, 6, 4, 3], 3), ([4, 5, 5, 5, 5, 2], 2)]
    hidden = [([3, 4, 4, 4, 4, 4, 2], 4), ([4, 3, 2], 1), ([3, 3, 3, 3], 5), ([6, 5, 4, 3, 2], 7)]
    for sizes, k in c.cases(public, hidden=hidden):
        plain = _ckpt_layers(sizes, spy=False)
        layers = _ckpt_layers(sizes, spy=True)
        tracker = _Tracker(layers)
        for i, layer in enumerate(layers):
            layer._tracker, layer._index = tracker, i
        bounds = CheckpointedSequential(*plain, segments=k).bounds      # the package's split into segments
        X = c.rng.normal(size=(6, sizes[0]))
        y = c.rng.integers(0, sizes[-1], size=6)
        loss_fn = SoftmaxCrossEntropy()
        net = Sequential(*plain)
        loss_fn.forward(net.forward(X), y)
        dX_ref = net.backward(loss_fn.backward())

        calls = [0]

        def loss_grad(out: np.ndarray) -> np.ndarray:
            calls[0] += 1
            student_loss = SoftmaxCrossEntropy()
            student_loss.forward(out, y)
            return student_loss.backward()

        longest = max(b - a for a, b in bounds)
        with c.case(_("{n_layers} layers in {n_segments} segments, bounds = {bounds}").format(
                n_layers=len(layers), n_segments=len(bounds), bounds=bounds)):
            dX = c.run(c.student, layers, [tuple(b) for b in bounds], X.copy(), loss_grad,
                       name=c.name, copy_args=False)
            c.check(calls[0] == 1, ngettext("`loss_grad` was called {calls} time: call it once, on the output "
                                            "of the forward pass, to get the dout that starts the backward pass",
                                            "`loss_grad` was called {calls} times: call it once, on the output "
                                            "of the forward pass, to get the dout that starts the backward pass",
                                            calls[0]).format(calls=calls[0]))
            missing = [i for i in range(len(layers)) if i not in tracker.backwards]
            c.check(not missing, _("the backward pass never reached layer {layer}: "
                                   "go back through every segment, down to the first").format(
                layer=missing[0] if missing else ""))
            for i, (ref, got) in enumerate(zip(plain, layers)):
                for p_ref, p_got in zip(ref.parameters(), got.parameters()):
                    c.compare(_("the gradient of layer {i}'s {param}").format(i=i, param=p_got.name),
                              p_got.grad, p_ref.grad, rtol=1e-12, atol=1e-14)
            c.compare(_("the returned dX"), dX, dX_ref, rtol=1e-12, atol=1e-14)
            c.check(tracker.max_live <= longest,
                    ngettext("{n_live} layer held its caches at the same time, but the longest "
                             "segment has {longest}: after a segment's forward (all but the last) and after a "
                             "segment's backward, drop its caches (layer.clear_cache())",
                             "{n_live} layers held their caches at the same time, but the longest "
                             "segment has {longest}: after a segment's forward (all but the last) and after a "
                             "segment's backward, drop its caches (layer.clear_cache())",
                             tracker.max_live).format(n_live=tracker.max_live, longest=longest))
            last_a, last_b = bounds[-1]
            again = [i for i in range(last_a, last_b) if tracker.forwards[i] != 1]
            runs = tracker.forwards[again[0]] if again else 0
            c.check(not again, ngettext("layer {layer} of the last segment ran forward "
                                        "{runs} time: its caches are still "
                                        "there from the forward pass, so the last segment needs no recomputation",
                                        "layer {layer} of the last segment ran forward "
                                        "{runs} times: its caches are still "
                                        "there from the forward pass, so the last segment needs no recomputation",
                                        runs).format(layer=again[0] if again else "", runs=runs))
            for a, b in bounds[:-1]:
                for i in range(a, b):
                    n = tracker.forwards[i]
                    # English says "times" for any count; the plural forms let other languages say "once"
                    c.check(n == 2, ngettext("layer {i} ran forward {n} times: every segment but the last runs "
                                             "forward twice, once in the forward pass and once, from its checkpoint, "
                                             "just before its backward",
                                             "layer {i} ran forward {n} times: every segment but the last runs "
                                             "forward twice, once in the forward pass and once, from its checkpoint, "
                                             "just before its backward", n).format(i=i, n=n))
