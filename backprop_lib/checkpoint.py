r"""Activation memory, and gradient checkpointing to trade it for compute.

Backprop needs, for every layer, something from the forward pass (a Linear layer
needs its input :math:`X` to form :math:`\bar W = X^\top \bar Z`). A plain
:class:`~backprop_lib.layers.Sequential` keeps all of it until backward, so activation
memory grows linearly with depth :math:`\ell`.

:class:`CheckpointedSequential` splits the layers into ``k`` contiguous segments and,
during forward, keeps only each segment's *input* (its "checkpoint"), dropping the
caches inside the segment. During backward it re-runs the forward pass of one
segment at a time, from its checkpoint, then back-propagates through it and drops
it again. The last segment is not dropped (its backward comes first).

* memory held: about :math:`k` checkpoints plus one segment, :math:`\approx k + \ell/k`
  activations instead of :math:`\ell` (minimized near :math:`k = \sqrt{\ell}`);
* extra compute: every segment but the last is run forward twice, about one extra
  forward pass in total;
* results: the recomputation repeats exactly the same operations, so outputs and
  gradients are bit-for-bit identical to the plain Sequential.

:func:`activation_bytes` counts what the caches hold right now;
:func:`measure_peak_bytes` measures the peak of all numpy/Python allocations while a
function runs (with :mod:`tracemalloc`).
"""
from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import numpy as np

from ._validate import check_positive_int
from .i18n import _
from .layers import ArrayModule, Sequential

__all__ = ["CheckpointedSequential", "activation_bytes", "measure_peak_bytes"]

T = TypeVar("T")


class CheckpointedSequential(Sequential):
    """A :class:`Sequential` that keeps only segment-boundary activations (see module doc).

    ``CheckpointedSequential(*layers, segments=k)`` with ``1 <= k <= len(layers)``;
    the layers are split into ``k`` contiguous segments of nearly equal length.
    ``cache`` holds the checkpoints (the input of each segment). After a backward pass,
    ``recomputed_layers`` is the number of layer forward passes that were redone.
    """

    def __init__(self, *layers: ArrayModule, segments: int = 2) -> None:
        super().__init__(*layers)
        k = check_positive_int(segments, "segments", "CheckpointedSequential")
        if k > len(self.layers):
            raise ValueError(_("CheckpointedSequential: segments must be <= the number of layers "
                               "({layers}), got {segments}").format(layers=len(self.layers), segments=k))
        self.segments = k
        edges = np.linspace(0, len(self.layers), k + 1).round().astype(int)
        self.bounds: list[tuple[int, int]] = [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]
        self.recomputed_layers = 0
        self._last_segment_live = False

    def _run(self, a: int, b: int, x: np.ndarray) -> np.ndarray:
        for _i, _layer, x in self.forward_steps(x, a, b):
            pass
        return x

    def _drop(self, a: int, b: int) -> None:
        for i in range(a, b):
            self.layers[i].clear_cache()

    def forward_unchecked(self, x: np.ndarray) -> np.ndarray:
        checkpoints = []
        last = len(self.bounds) - 1
        for s, (a, b) in enumerate(self.bounds):
            checkpoints.append(x)                  # keep the segment's input ...
            x = self._run(a, b, x)
            if s < last:
                self._drop(a, b)                   # ... and drop what is inside it
        self.cache = checkpoints
        self._last_segment_live = True
        self._out_shape = x.shape
        return x

    def backward_unchecked(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        checkpoints = self.need_cache()
        stop = 0 if input_grad else self._first_with_params()
        recomputed = 0
        last = len(self.bounds) - 1
        for s in range(last, -1, -1):
            a, b = self.bounds[s]
            if b <= stop:
                break
            if s < last or not self._last_segment_live:
                self._run(a, b, checkpoints[s])    # recompute this segment's caches
                recomputed += b - a
            for i in range(b - 1, max(a, stop) - 1, -1):
                dout = self.layers[i].backward_unchecked(dout, input_grad or i > stop)
            self._drop(a, b)
        self._last_segment_live = False
        self.recomputed_layers = recomputed
        return dout if input_grad else None

    def clear_cache(self) -> None:
        super().clear_cache()
        self._last_segment_live = False

    def _who(self) -> str:
        return f"CheckpointedSequential({len(self.layers)} layers, segments={self.segments})"

    def __repr__(self) -> str:
        return super().__repr__()[:-1] + f"  segments={self.segments}\n)"


def _arrays(obj: Any) -> Iterator[np.ndarray]:
    if isinstance(obj, np.ndarray):
        yield obj
    elif isinstance(obj, (tuple, list)):
        for item in obj:
            yield from _arrays(item)
    elif isinstance(obj, dict):
        for item in obj.values():
            yield from _arrays(item)


def activation_bytes(net: Any) -> int:
    """Bytes of the arrays currently held in ``cache`` by ``net`` and its sub-modules.

    An array shared by two caches (the output of a tanh is also the input cached by
    the next Linear) is counted once; a view counts its whole underlying buffer.
    Also accepts a loss (anything with a ``cache``).
    """
    if not hasattr(net, "cache"):
        raise TypeError(_("activation_bytes expects an ArrayModule or a loss, got {kind}").format(
            kind=type(net).__name__))
    buffers = {}
    stack = [net]
    while stack:
        module = stack.pop()
        for arr in _arrays(module.cache):
            while isinstance(arr.base, np.ndarray):
                arr = arr.base
            buffers[id(arr)] = arr.nbytes
        if isinstance(module, ArrayModule):
            stack.extend(module.children())
    return int(sum(buffers.values()))


def measure_peak_bytes(fn: Callable[[], T]) -> tuple[T, int]:
    """Run ``fn()``; return ``(its result, peak bytes allocated above the start level)``.

    Uses :mod:`tracemalloc`, which sees numpy's array buffers as well as Python
    objects. Memory that already existed when ``fn`` started is not counted; memory
    that ``fn`` allocates and frees again is (that is what "peak" means).
    """
    if not callable(fn):
        raise TypeError(_("measure_peak_bytes expects a function of no arguments, got {kind}").format(
            kind=type(fn).__name__))
    started_here = not tracemalloc.is_tracing()
    if started_here:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        result = fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        if started_here:
            tracemalloc.stop()
    return result, max(int(peak - base), 0)
