r"""Checkers for notebook 07, "Training multilayer networks".

* Exercise 7.1 ``train_step(net, loss_fn, opt, X, y) -> loss``: one forward, loss,
  backward, update, and the gradients zeroed for the next step.
* Exercise 7.2 ``momentum_update(param, grad, velocity, lr, beta)``: in place,
  :math:`v \leftarrow \beta v + g,\ \theta \leftarrow \theta - \eta v` (PyTorch's convention,
  as :class:`backprop_lib.optim.Momentum`).
* Exercise 7.3 ``AdamOptimizer(params, lr, beta1, beta2, eps)`` with ``step()`` and
  ``zero_grad()``: Adam with the bias correction the student derives, step for step as
  :class:`backprop_lib.optim.Adam`.
* Exercise 7.4 ``train_val_split(X, y, val_fraction, rng)``: one shuffle, a held-out part.
* Exercise 7.5 ``fit(net, loss_fn, opt, X_train, y_train, X_val, y_val, epochs, batch_size, rng)
  -> (train_losses, val_accuracies)``: epochs of shuffled mini-batches, checked by watching
  what the student's loop does (which rows each step sees, how often the optimizer steps)
  and replaying the same batches with the package's step.
"""
from __future__ import annotations

import copy

import numpy as np

from ..i18n import N_, _, ngettext
from ..layers import Linear, Parameter, Sequential, Tanh
from ..losses import SoftmaxCrossEntropy
from ..optim import SGD, Adam, Momentum
from ..training import Trainer, accuracy
from .framework import exercise

__all__ = ["check_train_step", "check_momentum_update", "check_adam_optimizer", "check_train_val_split",
           "check_fit"]


# ------------------------------------------------------------------ Exercise 7.1


def _setup(seed, N, optimizer):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, 3))
    y = rng.integers(0, 3, size=N)
    net = Sequential(Linear(3, 5, init="xavier", rng=rng), Tanh(), Linear(5, 3, init="xavier", rng=rng))
    opt = SGD(net.parameters(), lr=0.5) if optimizer == "sgd" else Momentum(net.parameters(), lr=0.3, beta=0.9)
    return net, SoftmaxCrossEntropy(), opt, X, y


def _params(net):
    return [p.data.copy() for p in net.parameters()]


def _same(a, b, rtol=1e-9, atol=1e-12):
    return all(x.shape == y.shape and np.allclose(x, y, rtol=rtol, atol=atol) for x, y in zip(a, b))


@exercise(N_("Exercise 7.1"), "train_step")
def check_train_step(c):
    """Three calls of ``train_step`` must move the parameters exactly as the reference loop does."""
    settings = c.cases([("sgd", 8), ("momentum", 6)], hidden=[("sgd", 12), ("momentum", 10), ("sgd", 1)])
    for optimizer, N in settings:
        seed = int(c.rng.integers(0, 2 ** 31))
        mine = _setup(seed, N, optimizer)
        ref = copy.deepcopy(mine)          # one deepcopy keeps the optimizer pointing at its own net
        net, loss_fn, opt = mine[:3]
        with c.case(_("a Linear-Tanh-Linear net, {optimizer} optimizer, a batch of {N}").format(
                optimizer=type(opt).__name__, N=N)):
            for step in (1, 2, 3):
                before = _params(net)
                X, y = ref[3].copy(), ref[4].copy()
                got = c.run(c.student, net, loss_fn, opt, X, y, name=c.name, copy_args=False)
                expected = Trainer(*ref).step()   # the package's step: forward, loss, backward, update, zero
                after = _params(net)
                if _same(before, after, rtol=0, atol=0):
                    grads_zero = all(not np.any(p.grad) for p in net.parameters())
                    if grads_zero:
                        c.fail(_("step {step}: the parameters did not change and the gradients are zero. "
                                 "Did you call net.backward(loss_fn.backward()) and then opt.step() "
                                 "before opt.zero_grad()? Zeroing before the update throws the gradient away.").format(
                            step=step))
                    c.fail(_("step {step}: the parameters did not change, although the gradients were "
                             "computed: did you forget opt.step()?").format(step=step))
                if not _same(after, _params(ref[0])):
                    if step > 1:
                        c.fail(_("step 1 was right, but step {step} is not: the gradients are not "
                                 "zeroed between steps, so each backward adds to the previous one. "
                                 "Call opt.zero_grad() (or net.zero_grad()) once per step.").format(step=step))
                    c.fail(_("after one step the parameters differ from one step of the reference loop: "
                             "forward, loss, backward, opt.step(), zero the gradients; in that order."))
                c.compare(_("the returned loss"), got, expected, mistakes={
                    _("this is the loss after the update: return the loss computed in this step's "
                      "forward pass (before opt.step())"): loss_fn.forward(ref[0].forward(ref[3]), ref[4]),
                })


# ------------------------------------------------------------------ Exercise 7.2


@exercise(N_("Exercise 7.2"), "momentum_update")
def check_momentum_update(c):
    """``momentum_update(param, grad, velocity, lr, beta)`` updates ``param`` and ``velocity`` in place."""
    for shape, lr, beta in c.cases([((3,), 0.1, 0.9), ((2, 3), 0.05, 0.5)],
                                   hidden=[((4,), 0.01, 0.99), ((3, 2), 0.2, 0.0), ((5, 4), 0.1, 0.8)]):
        param = c.rng.normal(size=shape)
        velocity = c.rng.normal(size=shape)            # not zero: a stale velocity must be used
        p_ref, v_ref = param.copy(), velocity.copy()
        with c.case(_("param of shape {shape}, lr={lr}, beta={beta}, a non-zero starting velocity").format(
                shape=shape, lr=lr, beta=beta)):
            for step in (1, 2, 3):
                grad = c.rng.normal(size=shape)
                p_old, v_old = p_ref.copy(), v_ref.copy()
                result = c.run(c.student, param, grad.copy(), velocity, lr, beta, name=c.name, copy_args=False)
                # optim.Momentum's update (a test feeds Momentum itself), written out: the mistakes need v_old
                v_ref = beta * v_ref + grad
                p_ref = p_ref - lr * v_ref
                if result is not None and not (isinstance(result, tuple) and len(result) == 0):
                    unchanged = np.array_equal(param, p_old)
                    if unchanged:
                        c.fail(_("`momentum_update` returned a value and left `param` unchanged: update the "
                                 "arrays in place (param -= ..., velocity *= ..., velocity += ...) and return "
                                 "nothing; the optimizer keeps using the same arrays."))
                if np.array_equal(velocity, v_old) and not np.array_equal(v_ref, v_old):
                    c.fail(_("`velocity` did not change: update it in place (velocity *= beta; velocity += grad, "
                             "or velocity[...] = ...). `velocity = beta * velocity + grad` only rebinds the "
                             "local name; the caller's array keeps the old value."))
                if np.array_equal(param, p_old):
                    c.fail(_("`param` did not change: update it in place (param -= lr * velocity). "
                             "`param = param - ...` only rebinds the local name."))
                v_mistakes = {
                    _("the velocity should be beta * velocity + grad (PyTorch's convention); "
                      "you used the averaged form beta * velocity + (1 - beta) * grad"): beta * v_old + (1 - beta) * grad,
                    _("beta is missing: the velocity must decay, velocity = beta * velocity + grad"): v_old + grad,
                    _("the gradient is subtracted from the velocity; add it: velocity = beta * velocity + grad"):
                        beta * v_old - grad,
                }
                c.compare("velocity", velocity, v_ref, mistakes=v_mistakes)
                step_ref = p_ref - p_old
                c.compare(_("the change of param"), param - p_old, step_ref, mistakes={
                    _("param moved with the old velocity: update the velocity first, then "
                      "param -= lr * velocity"): -lr * v_old,
                    _("param moved by the gradient alone, as plain SGD: use the velocity, "
                      "param -= lr * velocity"): -lr * grad,
                    _("param moves uphill: it must be param -= lr * velocity (minus, not plus)"): -step_ref,
                })


# ------------------------------------------------------------------ Exercise 7.3


def _adam_variant(params0, grads, lr, b1, b2, eps, *, correct_m=True, correct_v=True, t_fixed=None,
                  eps_inside=False, sign=1.0):
    """Parameters after Adam steps with the given gradients, with optional known mistakes."""
    data = [p.copy() for p in params0]
    m = [np.zeros_like(p) for p in data]
    v = [np.zeros_like(p) for p in data]
    out = []
    with np.errstate(all="ignore"):
        for t, step_grads in enumerate(grads, start=1):
            tt = t if t_fixed is None else t_fixed
            for k, g in enumerate(step_grads):
                m[k] = b1 * m[k] + (1 - b1) * g
                v[k] = b2 * v[k] + (1 - b2) * g * g
                m_hat = m[k] / (1 - b1 ** tt) if correct_m else m[k]
                v_hat = v[k] / (1 - b2 ** tt) if correct_v else v[k]
                denom = np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps
                data[k] = data[k] - sign * lr * m_hat / denom
            out.append([d.copy() for d in data])
    return out


@exercise(N_("Exercise 7.3"), "AdamOptimizer")
def check_adam_optimizer(c):
    """``AdamOptimizer(params, lr, beta1, beta2, eps)`` must move the parameters as ``optim.Adam`` does."""
    cls_name = getattr(c.student, "__name__", "AdamOptimizer")
    if not isinstance(c.student, type):
        c.fail(_("`{name}` should be a class (the `class AdamOptimizer:` cell), but it is "
                 "{kind}: run that cell again, without calling it.").format(
            name=cls_name, kind=type(c.student).__name__), name_case=False)
    settings = c.cases([(0.01, 0.9, 0.999, 1e-8), (0.1, 0.5, 0.9, 1e-8)],
                       hidden=[(0.001, 0.9, 0.999, 1e-8), (0.05, 0.8, 0.99, 1e-6), (0.2, 0.0, 0.5, 1e-8)])
    for lr, b1, b2, eps in settings:
        shapes = [(2, 3), (3,)]
        start = [c.rng.normal(size=s) for s in shapes]
        grads = [[c.rng.normal(scale=sc, size=s) for s, sc in zip(shapes, (1.0, 100.0))] for _step in range(4)]
        grads[1][1][0] = 0.0                       # one gradient entry exactly zero at step 2
        mine = [Parameter(a.copy(), name) for a, name in zip(start, ("W", "b"))]
        ref = [Parameter(a.copy(), name) for a, name in zip(start, ("W", "b"))]
        with c.case(_("lr={lr}, beta1={beta1}, beta2={beta2}, eps={eps}, a (2, 3) and a (3,) parameter").format(
                lr=lr, beta1=b1, beta2=b2, eps=eps)):
            opt = c.run(c.student, mine, lr=lr, beta1=b1, beta2=b2, eps=eps, name=cls_name, copy_args=False)
            ref_opt = Adam(ref, lr=lr, betas=(b1, b2), eps=eps)
            for name in ("step", "zero_grad"):
                if not callable(getattr(opt, name, None)):
                    c.fail(_("`{name}` needs a method `{method}(self)`.").format(name=cls_name, method=name),
                           name_case=False)
            variants = {
                _("without bias correction: m and v start at 0, so their first values are too small; "
                  "divide them by 1 - beta1**t and 1 - beta2**t"):
                    _adam_variant(start, grads, lr, b1, b2, eps, correct_m=False, correct_v=False),
                _("only m is corrected: v also starts at 0 and needs its own correction, 1 - beta2**t"):
                    _adam_variant(start, grads, lr, b1, b2, eps, correct_v=False),
                _("only v is corrected: m also starts at 0 and needs its own correction, 1 - beta1**t"):
                    _adam_variant(start, grads, lr, b1, b2, eps, correct_m=False),
                _("the step count t stays at 1: count the calls of step() (self.t += 1 in every step), "
                  "the correction fades as t grows"): _adam_variant(start, grads, lr, b1, b2, eps, t_fixed=1),
                _("eps is inside the square root: the update divides by sqrt(v_hat) + eps"):
                    _adam_variant(start, grads, lr, b1, b2, eps, eps_inside=True),
                _("the parameters move uphill: the update subtracts, p.data -= lr * m_hat / (sqrt(v_hat) + eps)"):
                    _adam_variant(start, grads, lr, b1, b2, eps, sign=-1.0),
            }
            for step in range(1, len(grads) + 1):
                for p, r, g in zip(mine, ref, grads[step - 1]):
                    p.grad[...] = g
                    r.grad[...] = g
                with np.errstate(all="ignore"):
                    c.run(opt.step, name=f"{cls_name}.step", copy_args=False)
                ref_opt.step()
                ref_opt.zero_grad()
                for k, (p, r) in enumerate(zip(mine, ref)):
                    if not isinstance(p.data, np.ndarray) or p.data.shape != r.data.shape:
                        c.fail(_("after step {step}, parameter {param}'s `.data` is "
                                 "{kind} of shape {shape}, expected an array of "
                                 "shape {expected}: update p.data in place (p.data -= ...).").format(
                            step=step, param=p.name, kind=type(p.data).__name__, shape=np.shape(p.data),
                            expected=r.data.shape))
                    bad = ~np.isfinite(np.asarray(p.data, dtype=float))
                    if bad.all() and step == 1:
                        c.fail(_("after step 1, parameter {param} holds only NaN or inf: at t = 0 the "
                                 "correction 1 - beta**t is 0. Count the steps from 1: increase t before "
                                 "using it.").format(param=p.name))
                    if bad.any():
                        c.fail(_("after step {step}, parameter {param} holds NaN or inf in some entries: the "
                                 "square root of a negative number? v must average the squared gradients, "
                                 "g**2, which are never negative.").format(step=step, param=p.name))
                    wrong = {msg: traj[step - 1][k] for msg, traj in variants.items()}
                    c.compare(_("{param}.data after step {step}").format(param=p.name, step=step), p.data, r.data,
                              rtol=1e-7, atol=1e-12, mistakes=wrong)
                c.run(opt.zero_grad, name=f"{cls_name}.zero_grad", copy_args=False)
                for p in mine:
                    c.check(isinstance(p.grad, np.ndarray) and p.grad.shape == p.data.shape and not p.grad.any(),
                            _("after zero_grad(), {param}.grad should be all zeros of shape {shape}.").format(
                                param=p.name, shape=p.data.shape))


# ------------------------------------------------------------------ Exercise 7.4


def _sorted_data(c, N, d=2, classes=3):
    """Rows all different and sorted by class, like make_spirals."""
    X = np.round(c.rng.normal(size=(N, d)), 6) + np.arange(N)[:, None] * 1e-3
    y = (np.arange(N) * classes) // N
    return X, y


def _row_ids(A, X):
    """Index in X of each row of A (or -1)."""
    A = np.asarray(A, dtype=float)
    ids = []
    for row in A.reshape(len(A), -1):
        hits = np.flatnonzero(np.all(np.isclose(X, row, rtol=0, atol=1e-12), axis=1))
        ids.append(int(hits[0]) if hits.size else -1)
    return np.array(ids)


@exercise(N_("Exercise 7.4"), "train_val_split")
def check_train_val_split(c):
    """``train_val_split(X, y, val_fraction, rng)`` returns ``X_train, y_train, X_val, y_val``: every row
    once, a shuffled ``round(val_fraction * N)`` held out, rows kept with their labels."""
    for N, fraction in c.cases([(20, 0.25), (12, 0.5)], hidden=[(30, 0.2), (9, 1 / 3), (40, 0.1)]):
        X, y = _sorted_data(c, N)
        n_val = int(round(fraction * N))
        seed = int(c.rng.integers(0, 2 ** 31))
        with c.case(ngettext("{N} row sorted by class, val_fraction={fraction:g}",
                             "{N} rows sorted by class, val_fraction={fraction:g}", N).format(N=N, fraction=fraction)):
            result = c.call(X, y, fraction, np.random.default_rng(seed),
                            returns=("X_train", "y_train", "X_val", "y_val"))
            X_tr, y_tr, X_va, y_va = (np.asarray(a) for a in result)
            c.check(X_va.shape == (n_val, X.shape[1]) and y_va.shape == (n_val,),
                    ngettext("the validation part should hold round({fraction:g} * {N}) = {n_val} row: X_val of shape "
                             "{X_shape} and y_val of shape ({n_val},), got {X_got} and {y_got}.",
                             "the validation part should hold round({fraction:g} * {N}) = {n_val} rows: X_val of shape "
                             "{X_shape} and y_val of shape ({n_val},), got {X_got} and {y_got}.", n_val).format(
                        fraction=fraction, N=N, n_val=n_val, X_shape=(n_val, X.shape[1]), X_got=X_va.shape,
                        y_got=y_va.shape))
            n_train = N - n_val
            c.check(X_tr.shape == (n_train, X.shape[1]) and y_tr.shape == (n_train,),
                    ngettext("the training part should hold the other {n_train} row: X_train of shape "
                             "{X_shape} and y_train of shape ({n_train},), got {X_got} and {y_got}.",
                             "the training part should hold the other {n_train} rows: X_train of shape "
                             "{X_shape} and y_train of shape ({n_train},), got {X_got} and {y_got}.", n_train).format(
                        n_train=n_train, X_shape=(n_train, X.shape[1]), X_got=X_tr.shape, y_got=y_tr.shape))
            ids_tr, ids_va = _row_ids(X_tr, X), _row_ids(X_va, X)
            c.check((ids_tr >= 0).all() and (ids_va >= 0).all(),
                    _("some returned rows are not rows of X: return rows of X itself (indexed), not new numbers."))
            both = np.concatenate([ids_tr, ids_va])
            c.check(len(set(both.tolist())) == N,
                    _("some rows appear twice and others not at all: use one permutation of all the rows "
                      "(rng.permutation(N)), not random indices drawn independently, and split it in two parts."))
            if not (np.array_equal(y_tr, y[ids_tr]) and np.array_equal(y_va, y[ids_va])):
                c.fail(_("the labels no longer belong to their rows: X and y were reordered differently. Draw one "
                         "permutation and index both X and y with it."))
            order = np.argsort(both)
            if np.array_equal(np.sort(ids_va), np.arange(N - n_val, N)) or np.array_equal(
                    np.sort(ids_va), np.arange(n_val)) or np.array_equal(both[order], both):
                classes = sorted(set(y[ids_va].tolist()))
                if ids_va.max() == N - 1:
                    message = ngettext(
                        "the rows were not shuffled: the validation rows are the last {n_val} of X, and this data "
                        "set is sorted by class (as make_spirals is), so they hold class {classes} only. Shuffle "
                        "the row indices with rng.permutation first.",
                        "the rows were not shuffled: the validation rows are the last {n_val} of X, and this data "
                        "set is sorted by class (as make_spirals is), so they hold classes {classes} only. Shuffle "
                        "the row indices with rng.permutation first.", len(classes))
                else:
                    message = ngettext(
                        "the rows were not shuffled: the validation rows are the first {n_val} of X, and this data "
                        "set is sorted by class (as make_spirals is), so they hold class {classes} only. Shuffle "
                        "the row indices with rng.permutation first.",
                        "the rows were not shuffled: the validation rows are the first {n_val} of X, and this data "
                        "set is sorted by class (as make_spirals is), so they hold classes {classes} only. Shuffle "
                        "the row indices with rng.permutation first.", len(classes))
                c.fail(message.format(n_val=n_val, classes=classes))
            again = c.call(X, y, fraction, np.random.default_rng(seed))
            c.check(np.array_equal(np.asarray(again[2]), X_va),
                    _("two calls with generators of the same seed gave different splits: draw the permutation "
                      "from the rng argument (rng.permutation), not from np.random, so that a run can be repeated."))


# ------------------------------------------------------------------ Exercise 7.5


class _SpyNet(Sequential):
    """A Sequential that logs every input it is run on (whatever path the caller takes)."""

    def __init__(self, log, *layers):
        super().__init__(*layers)
        self.log = log

    def forward_unchecked(self, x):
        self.log.append(("forward", np.array(x, copy=True)))
        return super().forward_unchecked(x)


class _SpyLoss(SoftmaxCrossEntropy):
    def __init__(self, log):
        super().__init__()
        self.log = log

    def forward(self, logits, y):
        loss = super().forward(logits, y)
        self.log.append(("loss", loss))
        return loss


class _SpyOptimizer(SGD):
    def __init__(self, params, lr, log):
        super().__init__(params, lr)
        self.log = log

    def step(self):
        self.log.append(("step", [p.grad.copy() for p in self.params]))
        super().step()

    def zero_grad(self):
        self.log.append(("zero_grad",))
        super().zero_grad()


def _fit_setup(seed, N_train, N_val):
    rng = np.random.default_rng(seed)
    X = np.round(rng.normal(size=(N_train + N_val, 2)), 6) + np.arange(N_train + N_val)[:, None] * 1e-3
    y = rng.integers(0, 3, size=N_train + N_val)
    layers = (Linear(2, 5, init="xavier", rng=rng), Tanh(), Linear(5, 3, init="xavier", rng=rng))
    return X[:N_train], y[:N_train], X[N_train:], y[N_train:], layers


def _steps_and_batches(log):
    """For every optimizer step: the gradients it used, and the input of the forward pass whose
    loss came last before it (the batch it trained on; None if there was none)."""
    last_forward = last_loss_input = None
    out = []
    for entry in log:
        if entry[0] == "forward":
            last_forward = entry[1]
        elif entry[0] == "loss":
            last_loss_input = last_forward
        elif entry[0] == "step":
            out.append((entry[1], last_loss_input))
    return out


def _close_list(a, b):
    try:
        a = np.asarray(a, dtype=float)
    except Exception:
        return False
    return a.shape == np.shape(b) and np.allclose(a, b, rtol=1e-9, atol=1e-12)


@exercise(N_("Exercise 7.5"), "fit")
def check_fit(c):
    """``fit(...)`` must train ``epochs`` passes of shuffled mini-batches, one optimizer step per batch,
    and return the epochs' mean training losses and validation accuracies."""
    settings = c.cases([(13, 5, 2, 4, 0.5), (10, 4, 3, 10, 0.3)],
                       hidden=[(13, 6, 4, 5, 0.4), (9, 3, 3, 2, 0.2), (8, 4, 2, 3, 1.0)])
    for N, N_val, epochs, B, lr in settings:
        seed = int(c.rng.integers(0, 2 ** 31))
        per_epoch = -(-N // B)
        X_tr, y_tr, X_va, y_va, layers = _fit_setup(seed, N, N_val)
        with c.case(ngettext("{N} training row, batch_size={B}, epochs={epochs}",
                             "{N} training rows, batch_size={B}, epochs={epochs}", N).format(N=N, B=B, epochs=epochs)):
            log = []
            net = _SpyNet(log, *copy.deepcopy(layers))
            opt, loss_fn = _SpyOptimizer(net.parameters(), lr, log), _SpyLoss(log)
            result = c.run(c.student, net, loss_fn, opt, X_tr, y_tr, X_va, y_va, epochs, B,
                           np.random.default_rng(seed), name=c.name, copy_args=False)
            train_losses, val_accs = c.run(lambda r: r, result, name=c.name,
                                           returns=("train_losses", "val_accuracies"))
            steps = _steps_and_batches(log)
            n_steps, expected_steps = len(steps), epochs * per_epoch
            if n_steps == 0:
                c.fail(_("opt.step() was never called: every batch needs a forward pass, its loss, "
                         "net.backward(loss_fn.backward()), opt.step() and opt.zero_grad()."))
            if n_steps != expected_steps:
                if n_steps == epochs and per_epoch > 1:
                    c.fail(_("opt.step() ran {n_steps} times, once per epoch: cut each epoch into batches of "
                             "batch_size = {B} rows (the last one smaller), one step per batch: "
                             "{per_epoch} steps per epoch.").format(n_steps=n_steps, B=B, per_epoch=per_epoch))
                if n_steps == epochs * (N // B):
                    c.fail(_("opt.step() ran {n_steps} times, {full_batches} per epoch: the last, smaller batch "
                             "({leftover} rows) is missing. Every row must be seen once per epoch.").format(
                        n_steps=n_steps, full_batches=N // B, leftover=N % B))
                if n_steps == per_epoch and epochs > 1:
                    c.fail(_("opt.step() ran {n_steps} times, one epoch's worth: the loop over the "
                             "{epochs} epochs is missing.").format(n_steps=n_steps, epochs=epochs))
                c.fail(_("opt.step() ran {n_steps} times; expected {expected_steps}: {epochs} epochs of "
                         "{per_epoch} batches ({N} rows in batches of {B}).").format(
                    n_steps=n_steps, expected_steps=expected_steps, epochs=epochs, per_epoch=per_epoch, N=N, B=B))
            batches = []
            for k, (_grads, x) in enumerate(steps):
                ids = None if x is None else _row_ids(x, X_tr)
                if ids is None or (ids < 0).any():
                    c.fail(_("before optimizer step {step} the loss was not computed on a batch of the training "
                             "rows: for each batch, forward X_train[idx], then loss_fn.forward(logits, y_train[idx]).")
                           .format(step=k + 1))
                batches.append(ids)
            for e in range(epochs):
                epoch = batches[e * per_epoch:(e + 1) * per_epoch]
                if any(len(b) > B for b in epoch):
                    c.fail(ngettext("a batch has more than batch_size = {B} row.",
                                    "a batch has more than batch_size = {B} rows.", B).format(B=B))
                if sorted(np.concatenate(epoch).tolist()) != list(range(N)):
                    c.fail(_("epoch {epoch} did not visit every training row exactly once (some twice, some "
                             "never): shuffle with one permutation per epoch (rng.permutation(N)) and cut it "
                             "into consecutive batches, not random indices drawn with replacement.").format(epoch=e + 1))
            orders = [np.concatenate(batches[e * per_epoch:(e + 1) * per_epoch]) for e in range(epochs)]
            if per_epoch > 1:                         # (one batch per epoch: the order does not matter)
                if all(np.array_equal(o, np.arange(N)) for o in orders):
                    c.fail(_("the rows were never shuffled: every epoch visits them in the stored order. Draw a "
                             "fresh permutation of the rows at the start of each epoch (rng.permutation(N))."))
                if epochs > 1 and all(np.array_equal(o, orders[0]) for o in orders):
                    c.fail(_("every epoch visits the rows in the same order: shuffle again at the start of each "
                             "epoch, not once before the loop."))
            # replay the same batches with the package's step, comparing each step's gradient
            ref_log = []
            ref_net, ref_loss = Sequential(*copy.deepcopy(layers)), SoftmaxCrossEntropy()
            ref_opt = _SpyOptimizer(ref_net.parameters(), lr, ref_log)
            batch_losses, val_acc, train_acc, full_loss, ref_grads = [], [], [], [], []
            for e in range(epochs):
                for k in range(e * per_epoch, (e + 1) * per_epoch):
                    idx = batches[k]
                    batch_losses.append(Trainer(ref_net, ref_loss, ref_opt, X_tr[idx], y_tr[idx]).step())
                    ref_grads.append([g for g in ref_log[-2][1]])     # the step entry (before zero_grad)
                    if not _same(steps[k][0], ref_grads[k]):
                        total = [sum(gs) for gs in zip(*ref_grads)]
                        if k > 0 and _same(steps[k][0], total):
                            c.fail(_("at step {step} the gradient is the sum of the gradients of all batches so "
                                     "far: it is never zeroed. Call opt.zero_grad() once per batch.").format(step=k + 1))
                        if all(not g.any() for g in steps[k][0]):
                            c.fail(_("at step {step} the gradient was zero when opt.step() ran: call "
                                     "net.backward(loss_fn.backward()) before opt.step(), and opt.zero_grad() "
                                     "only after it (or before the forward pass).").format(step=k + 1))
                        c.fail(_("at step {step} the gradient differs from that of the batch whose loss was just "
                                 "computed: forward the batch, its loss, net.backward(loss_fn.backward()), "
                                 "opt.step(), opt.zero_grad().").format(step=k + 1))
                val_acc.append(accuracy(ref_net, X_va, y_va))
                train_acc.append(accuracy(ref_net, X_tr, y_tr))
                full_loss.append(ref_loss.forward(ref_net.forward(X_tr), y_tr))
            c.check(_same([p.data for p in net.parameters()], [p.data for p in ref_net.parameters()]),
                    _("the parameters at the end differ from the same batches trained one correct step at a "
                      "time: change the parameters only through opt.step()."))
            sizes = [len(b) for b in batches]
            chunks = [slice(e * per_epoch, (e + 1) * per_epoch) for e in range(epochs)]
            mean_loss = [float(np.mean(batch_losses[ch])) for ch in chunks]
            weighted = [float(np.average(batch_losses[ch], weights=sizes[ch])) for ch in chunks]
            c.compare("train_losses", train_losses, weighted if _close_list(train_losses, weighted) else mean_loss,
                      mistakes={
                _("these are the losses of each epoch's last batch: return the mean of all the epoch's "
                  "batch losses"): [batch_losses[ch][-1] for ch in chunks],
                _("these are sums of the epoch's batch losses: return their mean"):
                    [float(np.sum(batch_losses[ch])) for ch in chunks],
                _("these are the losses on the whole training set after each epoch: return the mean of the "
                  "batch losses computed during the epoch"): full_loss,
                _("this is the loss of every batch: return one number per epoch, their mean"): batch_losses,
            })
            c.compare("val_accuracies", val_accs, val_acc, mistakes={
                _("these are accuracies on the training rows: measure on X_val, y_val, the rows the "
                  "updates never saw"): train_acc,
            })
            again_log = []
            again_net = _SpyNet(again_log, *copy.deepcopy(layers))
            c.run(c.student, again_net, _SpyLoss(again_log), _SpyOptimizer(again_net.parameters(), lr, again_log),
                  X_tr, y_tr, X_va, y_va, epochs, B, np.random.default_rng(seed), name=c.name, copy_args=False)
            again = [_row_ids(x, X_tr).tolist() for _grads, x in _steps_and_batches(again_log) if x is not None]
            c.check(again == [b.tolist() for b in batches],
                    _("two runs with generators of the same seed visited the rows in different orders: draw the "
                      "permutations from the rng argument (rng.permutation), not from np.random, so that a run "
                      "can be repeated."))
