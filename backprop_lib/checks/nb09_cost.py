r"""Checkers for notebook 09, "The cost of backprop".

* Exercise 9.1 ``fd_forward_passes(sizes)``: the forward passes that centered finite
  differences need for the gradient of an MLP with layer sizes ``sizes``
  (``[n_in, h_1, ..., n_out]``, Linear layers with biases): :math:`2P`.
* Exercise 9.2 ``count_matmuls(L_layers)``: the matrix products in one forward and one
  backward pass of an MLP with ``L_layers`` Linear layers: ``(L, 2L - 1)`` (the first
  layer's input is the data, so it needs no input gradient).
* Exercise 9.3 ``stored_activation_bytes(N, sizes, itemsize)``: the bytes an MLP
  ``Linear -> ReLU -> ... -> Linear`` keeps for its backward pass after a forward pass on a
  batch of ``N``: each Linear keeps its input (``itemsize`` bytes per entry), each ReLU a
  boolean mask (1 byte per entry).
"""
from __future__ import annotations

from .framework import exercise

__all__ = ["check_fd_forward_passes", "check_count_matmuls", "check_stored_activation_bytes"]


def _num_params(sizes) -> int:
    """P in closed form (Sequential.num_parameters of that MLP), without building a 784-wide net."""
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))


def _fmt_sizes(sizes) -> str:
    return "[" + ", ".join(str(s) for s in sizes) + "]"


# ------------------------------------------------------------------ Exercise 9.1


@exercise("Exercise 9.1", "fd_forward_passes")
def check_fd_forward_passes(c):
    """``fd_forward_passes(sizes)`` must return :math:`2P`."""
    public = [[2, 16, 16, 3], [10, 5], [784, 128, 10]]
    hidden = [[3, 7, 2], [1, 1], [64, 64, 64, 64, 10], [5, 100, 1]]
    for sizes in c.cases(public, hidden=hidden):
        P = _num_params(sizes)
        weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
        with c.case(f"sizes = {_fmt_sizes(sizes)} (P = {P:,})"):
            got = c.call(list(sizes))
            c.compare("the number of forward passes", got, 2 * P, rtol=0, atol=0.5, mistakes={
                "that is P, one pass per parameter: a centered difference evaluates the loss "
                "twice per parameter, at theta + h and at theta - h": P,
                "P + 1 passes is what one-sided differences need (one shared f(theta) plus "
                "f(theta + h) per parameter); centered differences need 2 per parameter": P + 1,
                "no extra pass at the unperturbed parameters is needed: centered differences "
                "use only f(theta + h) and f(theta - h), 2 per parameter": 2 * P + 1,
                "the biases are parameters too: a Linear(n_in, n_out) layer has "
                "n_in * n_out + n_out of them": 2 * weights,
                "count parameters, not units: a Linear(n_in, n_out) layer has "
                "n_in * n_out + n_out of them": 2 * sum(sizes),
            })


# ------------------------------------------------------------------ Exercise 9.2


@exercise("Exercise 9.2", "count_matmuls")
def check_count_matmuls(c):
    """``count_matmuls(L_layers)`` must return ``(L_layers, 2 * L_layers - 1)``."""
    for L in c.cases([4, 3, 1], hidden=[2, 7, 50, 1]):
        with c.case(f"L_layers = {L}"):
            forward, backward = c.call(L, returns=("forward", "backward"))
            c.compare("forward", forward, L, rtol=0, atol=0.5, mistakes={
                "the forward pass has one matrix product per Linear layer (X @ W); the bias "
                "is an addition and the activation works entry by entry": 2 * L,
                "that is the backward count: the forward pass has one matrix product per "
                "Linear layer (X @ W)": 2 * L - 1,
            })
            c.compare("backward", backward, 2 * L - 1, rtol=0, atol=0.5, mistakes={
                "the first layer's input is the data: nobody needs dX there, so its "
                "dZ @ W.T is skipped (2L - 1, not 2L)": 2 * L,
                "each Linear layer needs two products in backward: dW = X.T @ dZ and "
                "dX = dZ @ W.T (except dX of the first layer)": L,
                "count the backward pass only (the forward products are counted in `forward`)": 3 * L - 1,
                "only the first layer skips its input gradient: every other layer needs "
                "dW = X.T @ dZ and dX = dZ @ W.T": 2 * L - 2,
            })


# ------------------------------------------------------------------ Exercise 9.3


def _stored(N, sizes, itemsize):
    """The closed form that checkpoint.activation_bytes measures, for any itemsize (float16 too)."""
    L = len(sizes) - 1
    inputs = sum(sizes[:L])              # what each Linear keeps: its input
    masks = sum(sizes[1:L])              # what each ReLU keeps: a mask, 1 byte per entry
    return N * (itemsize * inputs + masks), inputs, masks


@exercise("Exercise 9.3", "stored_activation_bytes")
def check_stored_activation_bytes(c):
    """``stored_activation_bytes(N, sizes, itemsize)``: see the module docstring."""
    public = [(32, [2, 16, 16, 3], 8), (256, [784, 256, 10], 4), (1, [5, 5], 8)]
    hidden = [(64, [10, 20, 30, 40, 5], 8), (7, [3, 3, 3], 4), (128, [512, 512, 512, 10], 2)]
    for N, sizes, itemsize in c.cases(public, hidden=hidden):
        expected, inputs, masks = _stored(N, sizes, itemsize)
        with c.case(f"N = {N}, sizes = {_fmt_sizes(sizes)}, itemsize = {itemsize}"):
            got = c.call(N, list(sizes), itemsize)
            c.compare("bytes", got, expected, rtol=0, atol=0.5, mistakes={
                "the ReLU masks are missing: each ReLU keeps a boolean mask of where its input "
                "was positive, 1 byte per entry": N * itemsize * inputs,
                "a boolean mask takes 1 byte per entry, not itemsize bytes": N * itemsize * (inputs + masks),
                "the network's output (the logits) is not kept by any layer: count each Linear "
                "layer's input and each ReLU's mask": expected + N * itemsize * sizes[-1],
                "the first Linear layer keeps its input X too: it needs it for dW = X.T @ dZ":
                    expected - N * itemsize * sizes[0],
                "every stored activation has one row per example: multiply by the batch size N":
                    itemsize * inputs + masks,
                "that is bits, not bytes: itemsize is already in bytes (8 for float64)":
                    8 * expected,
            })
