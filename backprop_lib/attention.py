r"""Scaled dot-product self-attention, forward and backward by hand (one head).

For queries, keys and values ``Q, K, V`` of shape ``(..., T, d)`` (a batch of sequences of
``T`` positions; leading axes are batch axes)::

    S = Q K^T / sqrt(d)          scores, (..., T, T)
    S[i, j] = -1e30 for j > i    the causal mask: position i sees positions <= i
    A = softmax(S)               attention weights, each row sums to 1
    O = A V                      outputs, (..., T, d)

Backward, given ``dO`` (the gradient of the loss with respect to ``O``)::

    dV = A^T dO
    dA = dO V^T
    dS = A * (dA - sum_j(dA * A))      the softmax VJP: no T×T×T Jacobian is built
    dQ = dS K / sqrt(d)
    dK = dS^T Q / sqrt(d)

Masked entries have ``A = 0``, so their ``dS`` is 0: no gradient flows through the mask.
The attention weights ``A`` are kept for backward: ``T²`` numbers per sequence and head.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .i18n import _
from .losses import softmax
from .tensor import Tensor

__all__ = ["AttentionCache", "attention_forward", "attention_backward", "softmax_vjp", "causal_mask",
           "attention"]


#: The score given to masked positions: its softmax weight is exactly 0 (as with -inf,
#: without non-finite numbers).
MASKED = -1e30


def causal_mask(T: int) -> np.ndarray:
    """``(T, T)`` booleans, True where position ``i`` may look at position ``j`` (``j <= i``)."""
    return np.tril(np.ones((T, T), dtype=bool))


@dataclass
class AttentionCache:
    """What the backward pass needs: the inputs and the attention weights."""

    Q: np.ndarray
    K: np.ndarray
    V: np.ndarray
    A: np.ndarray

    @property
    def nbytes(self) -> int:
        return self.Q.nbytes + self.K.nbytes + self.V.nbytes + self.A.nbytes


def _check(Q: np.ndarray, K: np.ndarray, V: np.ndarray) -> None:
    if Q.ndim < 2 or Q.shape != K.shape or K.shape != V.shape:
        raise ValueError(_("attention needs Q, K, V of one shape (..., T, d); got {q_shape}, {k_shape}, "
                           "{v_shape}").format(q_shape=Q.shape, k_shape=K.shape, v_shape=V.shape))


def attention_forward(Q: np.ndarray, K: np.ndarray, V: np.ndarray, causal: bool = True
                      ) -> tuple[np.ndarray, AttentionCache]:
    """``O = softmax(Q K^T / sqrt(d), masked) V`` and the cache for :func:`attention_backward`."""
    Q, K, V = (np.asarray(a, dtype=float) for a in (Q, K, V))
    _check(Q, K, V)
    T, d = Q.shape[-2:]
    S = Q @ np.swapaxes(K, -1, -2) / np.sqrt(d)
    if causal:
        S = np.where(causal_mask(T), S, MASKED)   # exp(MASKED - max) is exactly 0
    A = softmax(S, axis=-1)
    return A @ V, AttentionCache(Q, K, V, A)


def softmax_vjp(dA: np.ndarray, A: np.ndarray) -> np.ndarray:
    """The gradient with respect to the scores, given ``dA`` and ``A = softmax(S)`` along the last axis."""
    return A * (dA - np.sum(dA * A, axis=-1, keepdims=True))


def attention_backward(dO: np.ndarray, cache: AttentionCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(dQ, dK, dV)`` from ``dO`` and the forward pass's cache."""
    Q, K, V, A = cache.Q, cache.K, cache.V, cache.A
    dO = np.asarray(dO, dtype=float)
    if dO.shape != Q.shape:
        raise ValueError(_("attention_backward: dO must have the output's shape {shape}, got {got}").format(
            shape=Q.shape, got=dO.shape))
    scale = 1.0 / np.sqrt(Q.shape[-1])
    dV = np.swapaxes(A, -1, -2) @ dO
    dS = softmax_vjp(dO @ np.swapaxes(V, -1, -2), A) * scale
    return dS @ K, np.swapaxes(dS, -1, -2) @ Q, dV


def attention(Q: Tensor, K: Tensor, V: Tensor, batch: int, causal: bool = True) -> Tensor:
    """Attention as one operation of the array engine, with the hand-written backward.

    ``Q, K, V`` are ``(batch * T, d)`` Tensors (the rows of ``batch`` sequences, one after the
    other); the result has the same shape.
    """
    rows, d = Q.shape
    if rows % batch:
        raise ValueError(_("attention: {rows} rows do not split into {batch} sequences of equal length").format(
            rows=rows, batch=batch))
    T = rows // batch
    out, cache = attention_forward(*(t.data.reshape(batch, T, d) for t in (Q, K, V)), causal=causal)
    last: dict[str, object] = {}  # the backward pass for the last g serves all three inputs

    def vjp(which: int):
        def pull(g: np.ndarray) -> np.ndarray:
            if last.get("g") is not g:
                last["g"], last["grads"] = g, attention_backward(g.reshape(batch, T, d), cache)
            return last["grads"][which].reshape(rows, d)
        return pull

    return Tensor.from_op("attention", out.reshape(rows, d), (Q, vjp(0)), (K, vjp(1)), (V, vjp(2)))
