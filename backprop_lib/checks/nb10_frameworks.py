r"""Checkers for notebook 10, "From scratch to PyTorch (and JAX)".

No exercise needs PyTorch or JAX to be graded: the student writes numpy, or code that
the checker runs on numpy stand-ins with the frameworks' interfaces, and the notebook
plugs the answer into the real framework when it is installed.

* Exercise 10.1 ``silu_backward(Z, dout)``: the SiLU (swish) activation
  :math:`H = Z\,\sigma(Z)` has :math:`\bar Z = \bar H \odot \sigma(Z)\,(1 + Z\,(1 - \sigma(Z)))`
  (product rule, with :math:`\sigma' = \sigma(1 - \sigma)`).
* Exercise 10.2 ``torch_linear_backward(X, W_t, dout)``: PyTorch's ``nn.Linear`` stores
  its weight as ``(n_out, n_in)`` and computes :math:`Z = X W_t^\top + b`. Its gradients:
  :math:`\bar X = \bar Z W_t`, :math:`\bar W_t = \bar Z^\top X`, :math:`\bar b = \sum_n \bar Z_n`.
* Exercise 10.3 ``log_softmax_backward(Z, dout)``: for :math:`S = Z - \operatorname{logsumexp}(Z)`
  (row by row), :math:`\partial S_i/\partial Z_j = \delta_{ij} - p_j`, so
  :math:`\bar Z = \bar S - p \sum_i \bar S_i` with :math:`p = \operatorname{softmax}(Z)`.
* Exercise 10.4 ``torch_train(model, loss_fn, optimizer, X, y, steps)``: PyTorch's training loop,
  graded on stand-ins with PyTorch's interface that record the order of the calls.
* Exercise 10.5 ``mlp_loss(params, X, y, xp=np)``: notebook 07's MLP and its loss as a pure
  function of a dict of parameters, every operation taken from ``xp`` (numpy or jax.numpy).
* Exercise 10.6 ``sgd_train(loss_and_grad, params, X, y, lr, steps)``: gradient descent in
  JAX's functional style, graded with our backprop in the place of ``jax.value_and_grad``.
"""
from __future__ import annotations

import copy
import dis
import inspect

import numpy as np

from ..functional import mlp_loss, mlp_loss_and_grad, sgd_train
from ..i18n import _, ngettext
from ..layers import Linear, ReLU, Sequential, sigmoid
from ..losses import SoftmaxCrossEntropy, log_softmax_backward
from .framework import exercise

__all__ = ["check_silu_backward", "check_torch_linear_backward", "check_log_softmax_backward",
           "check_torch_train", "check_mlp_loss", "check_sgd_train"]


# ------------------------------------------------------------------ Exercise 10.1


@exercise("Exercise 10.1", "silu_backward")
def check_silu_backward(c):
    """``silu_backward(Z, dout)`` must return :math:`\\bar H \\odot \\sigma(Z)(1 + Z(1 - \\sigma(Z)))`."""
    for shape in c.cases([(3, 4), (2, 5)], hidden=[(8, 3), (1, 7), (16, 16)]):
        Z = c.rng.normal(scale=2.0, size=shape)
        Z.flat[0] = 0.0                                  # the point where SiLU's slope is 1/2
        if c.hidden:
            Z.flat[-1] = 30.0                            # far out, where the slope is 1
        dout = c.rng.normal(size=shape)
        s = sigmoid(Z)
        local = s * (1.0 + Z * (1.0 - s))
        with c.case(_("Z of shape {shape}").format(shape=shape)):
            got = c.call(Z, dout)
            c.compare("dZ", got, dout * local, mistakes={
                _("you treated sigma(Z) as a constant: SiLU is the product Z * sigma(Z), so the "
                  "product rule gives sigma(Z) + Z * sigma'(Z)"): dout * s,
                _("the product rule has two terms: you kept Z * sigma'(Z) but dropped sigma(Z) "
                  "(the derivative of the factor Z is 1)"): dout * Z * s * (1.0 - s),
                _("that is the sigmoid's derivative sigma'(Z) = sigma(Z) (1 - sigma(Z)); "
                  "SiLU(Z) = Z * sigma(Z) needs the product rule"): dout * s * (1.0 - s),
                _("this is the local derivative dH/dZ only: multiply it by the upstream gradient "
                  "dout (chain rule)"): local,
                _("sigma'(Z) is sigma(Z) (1 - sigma(Z)), not Z (1 - Z): compute sigma(Z) first"):
                    dout * s * (1.0 + Z * (1.0 - Z)),
            })


# ------------------------------------------------------------------ Exercise 10.2


@exercise("Exercise 10.2", "torch_linear_backward")
def check_torch_linear_backward(c):
    """``torch_linear_backward(X, W_t, dout)`` must return ``(dX, dW_t, db)`` for
    :math:`Z = X W_t^\\top + b` with ``W_t`` of shape ``(n_out, n_in)``."""
    for N, n_in, n_out in c.cases([(4, 3, 2), (5, 2, 6)], hidden=[(1, 4, 4), (8, 7, 5), (32, 10, 3)]):
        X = c.rng.normal(size=(N, n_in))
        W_t = c.rng.normal(size=(n_out, n_in))
        dout = c.rng.normal(size=(N, n_out))
        with c.case(_("X of shape {x_shape}, W_t of shape {w_shape} (n_out, n_in)").format(
                x_shape=X.shape, w_shape=W_t.shape)):
            dX, dW_t, db = c.call(X, W_t, dout, returns=("dX", "dW_t", "db"))
            square = {_("dX = dout @ W_t here: W_t is already the transpose of our W, so no .T"):
                      dout @ W_t.T} if n_in == n_out else {}
            c.compare("dX", dX, dout @ W_t, mistakes=square)
            got_shape = np.shape(dW_t) if dW_t is not None else None
            if n_in != n_out and got_shape == (n_in, n_out):
                c.fail(_("`dW_t` has shape {shape}, our layout (n_in, n_out): PyTorch's weight has "
                         "shape (n_out, n_in) = {torch_shape}, and its gradient has the same shape. "
                         "Transpose: dW_t = dout.T @ X.").format(shape=got_shape, torch_shape=(n_out, n_in)))
            c.compare("dW_t", dW_t, dout.T @ X, mistakes={
                _("dW_t = dout.T @ X: you returned X.T @ dout, the gradient in our layout "
                  "(n_in, n_out); transpose it for PyTorch's (n_out, n_in)"): X.T @ dout,
            })
            c.compare("db", db, dout.sum(axis=0), batch_size=N)


# ------------------------------------------------------------------ Exercise 10.3


def _softmax(Z: np.ndarray) -> np.ndarray:
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@exercise("Exercise 10.3", "log_softmax_backward")
def check_log_softmax_backward(c):
    r"""``log_softmax_backward(Z, dout)`` must return :math:`\bar Z = \bar S - p \sum_i \bar S_i`
    (row by row), for :math:`S = Z - \operatorname{logsumexp}(Z)` and :math:`p = \operatorname{softmax}(Z)`."""
    cases = c.cases([((4, 3), 2.0, 0.0), ((2, 5), 1.0, 0.0), ((3, 4), 3.0, 1000.0)],
                    hidden=[((1, 6), 3.0, 0.0), ((8, 8), 1.0, 0.0), ((5, 3), 100.0, -1000.0), ((6, 10), 0.1, 0.0)])
    for shape, scale, offset in cases:
        Z = c.rng.normal(scale=scale, size=shape) + offset      # an offset of 1000: exp(Z) overflows
        dout = c.rng.normal(size=shape)                # rows that do not sum to 1, nor to 0
        p = _softmax(Z)
        expected = log_softmax_backward(Z, dout)
        if offset:
            description = _("Z of shape {shape}, entries near {offset:.0f}").format(shape=shape, offset=offset)
        else:
            description = _("Z of shape {shape}").format(shape=shape)
        with c.case(description):
            with np.errstate(all="ignore"):
                got = c.call(Z, dout)
            if offset and got is not None and np.shape(got) == shape:
                with np.errstate(all="ignore"):
                    finite = np.all(np.isfinite(np.asarray(got, dtype=float)))
                c.check(finite, _("the result has inf or NaN for large logits: exp(Z) overflows "
                                  "(exp(710) is already inf). Subtract each row's maximum before exp: softmax "
                                  "does not change, and every exponent is <= 0 (notebook 06)."))
            mistakes = {
                _("you kept only the diagonal of the Jacobian, dS_i/dZ_i = 1 - p_i: each S_i = Z_i - "
                  "logsumexp(Z) depends on *every* Z_j through the logsumexp, so dZ_j collects "
                  "dout_j - p_j * (sum over i of dout_i)"): dout * (1 - p),
                _("that is the backward pass of softmax (p * (dout - sum(dout * p))), not of log-softmax: "
                  "here dS_i/dZ_j = delta_ij - p_j"): p * (dout - (dout * p).sum(axis=1, keepdims=True)),
                _("p_j must be multiplied by the sum of the upstream gradient over the row: "
                  "dZ = dout - p * dout.sum(axis=1, keepdims=True)"): dout - p,
                _("this is the local derivative alone, with dout missing (chain rule)"): 1 - p,
                _("sum over axis=1 (the classes of one example), not axis=0 (the batch)"):
                    dout - p * dout.sum(axis=0, keepdims=True),
            }
            c.compare("dZ", got, expected, mistakes=mistakes)


# ------------------------------------------------------------------ Exercise 10.4


class _TorchLikeRun:
    """PyTorch's training API (model(X), loss_fn(logits, y), loss.backward(), loss.item(),
    optimizer.step(), optimizer.zero_grad()) over a numpy network, recording every call,
    so a student's loop can be graded without PyTorch."""

    def __init__(self, net, lr: float):
        self.net, self.lr = net, lr
        self.events: list[str] = []
        self.graph = 0                      # id of the latest forward pass
        self.loss = SoftmaxCrossEntropy()
        self.model = _Model(self)
        self.loss_fn = _CrossEntropyLoss(self)
        self.optimizer = _SGD(self)


class _Model:
    def __init__(self, run):
        self._run = run

    def __call__(self, X):
        run = self._run
        if isinstance(X, (_Logits, _LossValue)):
            raise TypeError(_("model(...) expects the input batch X"))
        run.graph += 1
        run.events.append("forward")
        return _Logits(run, run.net.forward(np.asarray(X, dtype=float)), run.graph)

    forward = __call__

    def parameters(self):
        return iter(self._run.net.parameters())

    def zero_grad(self, set_to_none: bool = True):
        self._run.optimizer.zero_grad()

    def train(self, mode: bool = True):
        return self

    def eval(self):
        return self

    def __repr__(self):
        return "<the model (a stand-in for a torch.nn.Module)>"


class _Logits:
    def __init__(self, run, value, graph):
        self._run, self.value, self._graph = run, value, graph
        self.shape = value.shape

    def __repr__(self):
        return f"<logits of shape {self.shape} (a stand-in for a tensor)>"


class _LossValue:
    """What loss_fn(logits, y) returns: a scalar 'tensor' with backward() and item()."""

    def __init__(self, run, value, graph):
        self._run, self._value, self._graph, self._done = run, float(value), graph, False

    def backward(self):
        run = self._run
        if self._done:
            raise RuntimeError(_("Trying to backward through the graph a second time (PyTorch's error): "
                                 "each step needs a new forward pass, model(X) and loss_fn(...) inside the loop"))
        if self._graph != run.graph:
            raise RuntimeError(_("backward() on the loss of an earlier forward pass: compute the loss of "
                                 "the latest model(X) and call backward() on it"))
        self._done = True
        run.events.append("backward")
        run.net.backward(run.loss.backward(), input_grad=False)

    def item(self):
        return self._value

    def __float__(self):
        return self._value

    def detach(self):
        return self

    def __repr__(self):
        return f"<loss {self._value:.4f} (a stand-in for a 0-d tensor: .item() gives the number)>"


class _CrossEntropyLoss:
    def __init__(self, run):
        self._run = run

    def __call__(self, logits, y):
        run = self._run
        if not isinstance(logits, _Logits):
            raise TypeError(_("loss_fn(logits, y) expects model(X) as its first argument, got {kind}").format(
                kind=type(logits).__name__))
        run.events.append("loss")
        return _LossValue(run, run.loss.forward(logits.value, y), logits._graph)

    def __repr__(self):
        return "<loss_fn (a stand-in for torch.nn.CrossEntropyLoss())>"


class _SGD:
    def __init__(self, run):
        self._run = run

    def step(self):
        run = self._run
        run.events.append("step")
        for p in run.net.parameters():
            p.data -= run.lr * p.grad

    def zero_grad(self, set_to_none: bool = True):
        run = self._run
        run.events.append("zero_grad")
        run.net.zero_grad()

    def __repr__(self):
        return f"<optimizer (a stand-in for torch.optim.SGD, lr={self._run.lr})>"


def _small_net(rng, sizes):
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Linear(n_in, n_out, rng=rng))
        if i < len(sizes) - 2:
            layers.append(ReLU())
    return Sequential(*layers)


def _order_problem(events: list[str], steps: int) -> str | None:
    """The first wrong order in the recorded calls, said in PyTorch's words."""
    n = {name: events.count(name) for name in ("forward", "loss", "backward", "step", "zero_grad")}
    if n["backward"] == 0:
        return _("loss.backward() is never called: without it no gradient is computed, "
                 "and optimizer.step() has nothing to apply")
    if n["step"] == 0:
        return _("optimizer.step() is never called: the gradients are computed, but the "
                 "parameters never change")
    if n["forward"] < steps:
        return ngettext("model(X) ran {forward} time(s) for {steps} steps: each step needs its own "
                        "forward pass (the weights changed), inside the loop",
                        "model(X) ran {forward} time(s) for {steps} steps: each step needs its own "
                        "forward pass (the weights changed), inside the loop", n["forward"]).format(
                            forward=n["forward"], steps=steps)
    if n["backward"] > n["step"]:
        return _("loss.backward() ran {backward} times but optimizer.step() {step} times: "
                 "one of each per step").format(backward=n["backward"], step=n["step"])
    last_forward = last_backward = last_zero = -1
    for i, event in enumerate(events):
        if event == "forward":
            last_forward = i
        elif event == "backward":
            last_backward = i
        elif event == "zero_grad":
            last_zero = i
        elif event == "step":
            if last_backward < last_forward:
                return _("optimizer.step() runs before loss.backward() in a step: each update uses the "
                         "gradient of the step before. The order is forward, loss, backward, step")
            if last_zero > last_backward:
                return _("optimizer.zero_grad() runs between loss.backward() and optimizer.step(): it wipes "
                         "the gradient before the update uses it. Zero at the start of the step (or "
                         "after step())")
    if steps > 1 and n["zero_grad"] == 0:
        return _("optimizer.zero_grad() is never called: backward() adds into .grad, so every step "
                 "uses the sum of all gradients so far (notebook 07)")
    if steps > 1 and n["zero_grad"] < steps - 1:
        return ngettext("optimizer.zero_grad() ran {zero_grad} time(s) in {steps} steps: once per step, "
                        "or the gradients of several steps add up",
                        "optimizer.zero_grad() ran {zero_grad} time(s) in {steps} steps: once per step, "
                        "or the gradients of several steps add up", n["zero_grad"]).format(
                            zero_grad=n["zero_grad"], steps=steps)
    return None


@exercise("Exercise 10.4", "torch_train")
def check_torch_train(c):
    """``torch_train(model, loss_fn, optimizer, X, y, steps)`` must run ``steps`` steps of PyTorch's
    loop and return the ``steps`` losses as floats (each computed before its update).

    Graded without PyTorch: ``model``, ``loss_fn`` and ``optimizer`` are stand-ins with
    PyTorch's interface over our numpy engine, which record the calls to name a wrong order."""
    for sizes, N, steps, lr in c.cases([((3, 5, 3), 8, 3, 0.5), ((2, 6, 6, 3), 12, 5, 0.3)],
                                       hidden=[((4, 7, 2), 10, 1, 0.2), ((2, 8, 8, 3), 30, 6, 0.4),
                                               ((3, 4, 4, 4), 9, 4, 1.0)]):
        seed = int(c.rng.integers(0, 2 ** 31))
        rng = np.random.default_rng(seed)
        X = rng.normal(size=(N, sizes[0]))
        y = rng.integers(0, sizes[-1], size=N)
        net = _small_net(np.random.default_rng(seed + 1), sizes)
        ref_net = copy.deepcopy(net)
        start = [p.data.copy() for p in net.parameters()]
        run = _TorchLikeRun(net, lr)
        layers = " -> ".join(f"Linear({a}, {b})" for a, b in zip(sizes[:-1], sizes[1:]))
        with c.case(_("{layers} with ReLU between, a batch of {N}, steps={steps}, lr={lr}").format(
                layers=layers, N=N, steps=steps, lr=lr)):
            got = c.run(c.student, run.model, run.loss_fn, run.optimizer, X.copy(), y.copy(), steps,
                        name=c.name, copy_args=False)
            ref_losses = []
            loss_fn = SoftmaxCrossEntropy()
            for _step in range(steps):
                ref_losses.append(loss_fn.forward(ref_net.forward(X), y))
                ref_net.backward(loss_fn.backward(), input_grad=False)
                for p in ref_net.parameters():
                    p.data -= lr * p.grad
                ref_net.zero_grad()
            problem = _order_problem(run.events, steps)
            if problem:
                c.fail(problem + ".")
            moved = [p.data - s for p, s in zip(net.parameters(), start)]
            ref_moved = [p.data - s for p, s in zip(ref_net.parameters(), start)]
            for (name, _p), m, r in zip(net.named_parameters(), moved, ref_moved):
                c.compare(_("the change of parameter {name} over the {steps} steps").format(name=name, steps=steps),
                          m, r)
            if got is None:
                c.fail(_("`torch_train` returned None: return the list of the losses, one float per step."))
            if not isinstance(got, (list, tuple)):
                c.fail(_("`torch_train` should return a list of {steps} floats, got {kind}.").format(
                    steps=steps, kind=type(got).__name__))
            if any(isinstance(v, (_LossValue, _Logits)) for v in got):
                c.fail(_("the list holds loss tensors, not numbers: append loss.item(). In PyTorch a "
                         "kept tensor also keeps its whole graph alive, step after step."))
            c.check(len(got) == steps, _("`torch_train` should return {steps} losses (one per step), got {got}.").format(
                steps=steps, got=len(got)))
            after = loss_fn.forward(ref_net.forward(X), y)
            c.compare(_("the returned losses"), list(got), ref_losses, mistakes={
                _("these are the losses after each update: record loss.item() of the loss you call "
                  "backward() on, computed before optimizer.step()"): ref_losses[1:] + [after],
            } if steps > 1 else None)


# ------------------------------------------------------------------ Exercise 10.5

# numpy names that never see a traced value (an index range, a constant): fine under jax.grad
_HARMLESS_NUMPY = {"arange", "newaxis", "float64", "float32", "int64", "intp", "inf", "pi", "e"}


class _RecordingXp:
    """numpy, recording which functions a student's code took from ``xp``."""

    def __init__(self):
        self.used: list[str] = []

    def __getattr__(self, name):
        self.used.append(name)
        return getattr(np, name)


def _numpy_calls(fn) -> list[str]:
    """``np.<name>`` / ``numpy.<name>`` used inside ``fn`` (not through ``xp``)."""
    names = []
    codes = [getattr(getattr(fn, "__func__", fn), "__code__", None)]
    while codes:
        code = codes.pop()
        if code is None:
            continue
        codes.extend(k for k in code.co_consts if inspect.iscode(k))
        previous = None
        for ins in dis.get_instructions(code):
            if (previous is not None and previous.opname in {"LOAD_GLOBAL", "LOAD_NAME"}
                    and previous.argval in {"np", "numpy"} and ins.opname in {"LOAD_ATTR", "LOAD_METHOD"}):
                if ins.argval not in _HARMLESS_NUMPY:
                    names.append(f"{previous.argval}.{ins.argval}")
            previous = ins
    return sorted(set(names))


def _mlp_params(rng, sizes, last_scale=1.0):
    params = {}
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        params[f"{2 * i}.W"] = rng.normal(scale=np.sqrt(2 / n_in), size=(n_in, n_out))
        params[f"{2 * i}.b"] = rng.normal(scale=0.1, size=n_out)
    params[f"{2 * (len(sizes) - 2)}.W"] *= last_scale
    return params


def _snapshot(params):
    return {k: np.array(v, copy=True) for k, v in params.items()}


def _mutated(params, snapshot) -> list[str]:
    return [k for k in snapshot if k not in params or not np.array_equal(np.asarray(params[k]), snapshot[k])]


@exercise("Exercise 10.5", "mlp_loss")
def check_mlp_loss(c):
    """``mlp_loss(params, X, y, xp=np)``: the mean softmax cross-entropy of notebook 07's MLP
    (``0.W, 0.b -> ReLU -> 2.W, 2.b -> ReLU -> 4.W, 4.b``), every operation through ``xp``,
    stable for large logits, and pure (``params`` unchanged)."""
    numpy_uses = _numpy_calls(c.student)
    if numpy_uses:
        c.fail(_("`mlp_loss` calls {calls} directly: write xp.{first} "
                 "and so on. The same code then runs on numpy (xp=np) and on jax.numpy (xp=jnp), where "
                 "jax.grad has to see every operation; numpy cannot compute on JAX's traced values.").format(
                     calls=", ".join(numpy_uses), first=numpy_uses[0].split(".")[1]))
    for sizes, N, scale in c.cases([((2, 6, 5, 3), 7, 1.0), ((2, 4, 4, 3), 5, 3000.0)],
                                   hidden=[((3, 8, 6, 4), 10, 1.0), ((2, 32, 32, 3), 300, 1.0),
                                           ((2, 5, 5, 3), 1, 1.0), ((4, 6, 3, 5), 9, 5000.0)]):
        params = _mlp_params(c.rng, sizes, last_scale=scale)
        X = c.rng.normal(size=(N, sizes[0]))
        y = c.rng.integers(0, sizes[-1], size=N)
        before = _snapshot(params)
        expected = mlp_loss(params, X, y)
        if scale > 1:
            description = _("layer sizes {sizes}, a batch of {N}, with logits in the thousands")
        else:
            description = _("layer sizes {sizes}, a batch of {N}")
        with c.case(description.format(sizes=sizes, N=N)):
            xp = _RecordingXp()
            with np.errstate(all="ignore"):
                got = c.run(c.student, params, X.copy(), y.copy(), xp, name=c.name, copy_args=False)
            changed = _mutated(params, before)
            if changed:
                c.fail(_("`mlp_loss` changed params[{key}]: a pure function only reads its inputs "
                         "(JAX arrays cannot even be changed).").format(key=repr(changed[0])))
            if got is None:
                c.fail(_("`mlp_loss` returned None: return the loss, one number (did you forget `return`?)."))
            c.check(xp.used, _("`mlp_loss` never used `xp`: take every array function from xp (xp.exp, "
                               "xp.log, xp.maximum, ...), so the same code runs on numpy and on jax.numpy."))
            if scale > 1 and got is not None:
                with np.errstate(all="ignore"):
                    value = np.asarray(got, dtype=float) if not isinstance(got, dict) else np.nan
                if np.shape(value) == () and not np.isfinite(value):
                    c.fail(_("the loss is inf or NaN for large logits: exp overflows. Compute the log-softmax "
                             "stably: subtract each row's maximum before exp (notebook 06)."))
            with np.errstate(all="ignore"):
                wrong = {
                    _("you used tanh; notebook 07's network has ReLU between its Linear layers "
                      "(xp.maximum(Z, 0))"): mlp_loss(params, X, y, activation="tanh"),
                    _("the last layer has a ReLU too: the logits come straight out of the last "
                      "Linear layer (a ReLU there would forbid negative logits)"): _relu_everywhere(params, X, y),
                    _("no activation between the Linear layers: apply the ReLU after the first two"): (
                        _no_activation(params, X, y)),
                    _("you averaged the probabilities of the labels, not their logs: the loss is "
                      "-mean(log p[n, y_n])"): -np.mean(_softmax(_logits(params, X))[np.arange(N), y]),
                }
            c.compare(_("the loss"), got, expected, batch_size=N, rtol=1e-9, atol=1e-12, mistakes=wrong)


def _logits(params, X, last_relu=False, act=True):
    H = X
    for i in range(3):
        Z = H @ params[f"{2 * i}.W"] + params[f"{2 * i}.b"]
        H = np.maximum(Z, 0) if (act and (i < 2 or last_relu)) else Z
    return H


def _nll(Z, y):
    S = Z - Z.max(axis=1, keepdims=True)
    S = S - np.log(np.exp(S).sum(axis=1, keepdims=True))
    return -np.mean(S[np.arange(len(y)), y])


def _relu_everywhere(params, X, y):
    return _nll(_logits(params, X, last_relu=True), y)


def _no_activation(params, X, y):
    return _nll(_logits(params, X, act=False), y)


# ------------------------------------------------------------------ Exercise 10.6


class _CountingLossAndGrad:
    """``mlp_loss_and_grad`` that counts its calls and returns fresh arrays each time."""

    def __init__(self):
        self.calls = 0

    def __call__(self, params, X, y):
        self.calls += 1
        return mlp_loss_and_grad(params, X, y)

    def __repr__(self):
        return "<loss_and_grad (like jax.value_and_grad(mlp_loss))>"


@exercise("Exercise 10.6", "sgd_train")
def check_sgd_train(c):
    """``sgd_train(loss_and_grad, params, X, y, lr, steps) -> (params, losses)`` in the functional
    style: new parameter dicts each step, the caller's ``params`` untouched, the losses before
    each update. Graded with numpy: ``loss_and_grad`` is our backprop behind JAX's contract."""
    for sizes, N, steps, lr in c.cases([((2, 5, 4, 3), 6, 3, 0.5), ((3, 6, 6, 2), 8, 4, 0.2)],
                                       hidden=[((2, 4, 4, 3), 5, 1, 0.3), ((2, 8, 8, 3), 20, 6, 0.4),
                                               ((4, 5, 3, 4), 7, 2, 1.0)]):
        params = _mlp_params(c.rng, sizes)
        X = c.rng.normal(size=(N, sizes[0]))
        y = c.rng.integers(0, sizes[-1], size=N)
        before = _snapshot(params)
        ref_params, ref_losses = sgd_train(mlp_loss_and_grad, before, X, y, lr, steps)
        no_lr = sgd_train(mlp_loss_and_grad, before, X, y, 1.0, steps)[0]
        uphill = sgd_train(mlp_loss_and_grad, before, X, y, -lr, steps)[0]
        counter = _CountingLossAndGrad()
        with c.case(_("layer sizes {sizes}, a batch of {N}, steps={steps}, lr={lr}").format(
                sizes=sizes, N=N, steps=steps, lr=lr)):
            given = dict(params)
            got = c.run(c.student, counter, params, X.copy(), y.copy(), lr, steps, name=c.name,
                        copy_args=False, returns=("params", "losses"))
            new_params, losses = got
            if given.keys() != params.keys() or any(given[k] is not params[k] for k in given):
                c.fail(_("the caller's dict `params` was changed (a key assigned): build a new dict, e.g. "
                         "{{k: params[k] - lr * grads[k] for k in params}}, and return it.").format())
            changed = _mutated(params, before)
            if changed:
                c.fail(_("the caller's params[{key}] changed: in the functional style a step builds "
                         "new arrays (params[k] - lr * grads[k]) and returns them; `-=` changes the caller's "
                         "arrays in numpy, and JAX arrays cannot be changed at all.").format(key=repr(changed[0])))
            c.check(counter.calls == steps, _("loss_and_grad was called {calls} times for {steps} "
                                              "steps: once per step, at that step's parameters.").format(
                                                  calls=counter.calls, steps=steps))
            if not isinstance(new_params, dict):
                c.fail(_("the first value returned should be the new params, a dict with the keys "
                         "{keys}; got {kind}.").format(keys=sorted(params), kind=type(new_params).__name__))
            c.check(sorted(new_params) == sorted(params),
                    _("the new params should have the keys {keys}, got {got}.").format(
                        keys=sorted(params), got=sorted(new_params)))
            uphill_message = _("the parameters moved uphill: the update is params - lr * grads (minus)")
            for k in sorted(params):
                mistakes = {uphill_message: uphill[k] - before[k]}
                if lr != 1.0:
                    mistakes[_("the learning rate is missing: the update is params - lr * grads")] = no_lr[k] - before[k]
                c.compare(_("the change of params[{key}]").format(key=repr(k)),
                          np.asarray(new_params[k], dtype=float) - before[k],
                          ref_params[k] - before[k], rtol=1e-9, atol=1e-12, mistakes=mistakes)
            got_length = len(losses) if isinstance(losses, (list, tuple)) else type(losses).__name__
            c.check(isinstance(losses, (list, tuple)) and len(losses) == steps,
                    _("the losses should be a list with one number per step ({steps}), got {got}.").format(
                        steps=steps, got=got_length))
            after = mlp_loss(ref_params, X, y)
            c.compare(_("the losses"), _floats(losses), ref_losses, rtol=1e-9, atol=1e-12, mistakes={
                _("these are the losses after each update: record the loss that loss_and_grad returns, "
                  "at the parameters before the update"): ref_losses[1:] + [after],
            } if steps > 1 else None)


def _floats(values):
    """A list of floats where possible (a JAX or numpy scalar becomes a float), else the values."""
    try:
        return [float(v) for v in values]
    except (TypeError, ValueError):
        return list(values)
