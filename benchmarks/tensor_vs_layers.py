"""Benchmark: one training step of the array autograd engine (``backprop_lib.tensor``)
against the hand-written layers and PyTorch CPU, on the MLP of ``mlp_vs_torch``.

The three steps do the same work: forward, softmax cross-entropy, backward (no gradient
for the data), an SGD update. The Tensor engine records its graph on every step; where
the matrix products dominate (width >= 256), that overhead should be small. Goal: at most
1.25x the hand-written step at width >= 256.
"""
from __future__ import annotations

import numpy as np

from backprop_lib.layers import Linear
from backprop_lib.tensor import Tensor, cross_entropy

from .common import block_medians, format_table, ms
from .mlp_vs_torch import _blas_threads, _torch_twin, problem

LR = 1e-3


def tensor_step_fn(net, X: np.ndarray, y: np.ndarray):
    """The same MLP on the Tensor engine, with its own copy of the weights:
    returns ``(step, params)`` with ``params`` a list of ``(W, b)`` Tensors."""
    params = []
    for layer in net.layers:
        if isinstance(layer, Linear):
            params.append((Tensor(layer.W.data.copy(), requires_grad=True),
                           Tensor(layer.b.data.copy(), requires_grad=True)))

    def step():
        h = Tensor(X)
        for i, (W, b) in enumerate(params):
            h = h @ W + b
            if i < len(params) - 1:
                h = h.relu()
        cross_entropy(h, y).backward()
        for W, b in params:
            for p in (W, b):
                p.data -= LR * p.grad
                p.grad = None

    return step, params


def measure(batch: int, width: int, dtype, repeats: int = 5, with_torch: bool = True) -> dict:
    net, X, y, loss_fn, opt, _ = problem(batch, width, dtype, lr=LR)

    def layers_step():
        loss_fn.forward(net.forward(X), y)
        net.backward(loss_fn.backward(), input_grad=False)
        opt.step()
        opt.zero_grad()

    fns = {"tensor": tensor_step_fn(net, X, y)[0], "layers": layers_step}
    if with_torch:
        import torch

        tnet = _torch_twin(net, dtype)
        tX, ty = torch.from_numpy(X), torch.from_numpy(y)
        topt = torch.optim.SGD(tnet.parameters(), lr=LR)

        def torch_step():
            torch.nn.functional.cross_entropy(tnet(tX), ty).backward()
            topt.step()
            topt.zero_grad(set_to_none=False)

        fns["torch"] = torch_step
    return block_medians(fns, rounds=repeats)


def run(batches=(64, 256, 1024), widths=(128, 256, 512, 1024), dtypes=(np.float64,), repeats: int = 5
        ) -> tuple[str, dict]:
    try:
        import torch

        torch.set_num_threads(_blas_threads())
        with_torch = True
    except ImportError:
        with_torch = False
    rows, wide = [], []
    for dtype in dtypes:
        for batch in batches:
            for width in widths:
                t = measure(batch, width, dtype, repeats=repeats, with_torch=with_torch)
                ratio = t["tensor"] / t["layers"]
                if width >= 256:
                    wide.append(ratio)
                rows.append([np.dtype(dtype).name, batch, width, ms(t["tensor"]), ms(t["layers"]),
                             ms(t["torch"]) if with_torch else "n/a", ratio,
                             t["tensor"] / t["torch"] if with_torch else float("nan")])
    table = format_table(
        f"Train step: Tensor engine vs hand-written layers vs PyTorch CPU, {_blas_threads()} thread(s), medians",
        ["dtype", "batch", "width", "tensor ms", "layers ms", "torch ms", "tensor / layers", "tensor / torch"],
        rows,
    )
    if wide:
        table += (f"\nTensor / layers at width >= 256: median {float(np.median(wide)):.2f}, "
                  f"max {max(wide):.2f} (goal <= 1.25).\n")
    return table, {"ratios_wide": wide}


def main() -> None:
    print(run()[0])


if __name__ == "__main__":
    main()
