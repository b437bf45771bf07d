"""Benchmark 2 and 3: a vectorized MLP train step vs PyTorch CPU, and the textbook ratios.

The network: 4 Linear layers (``width -> width -> width -> width -> 10``) with ReLU,
softmax cross-entropy, plain SGD. For each batch size, width and dtype we time, in
alternation:

* our step (forward + backward + update) and its forward and backward alone,
* the same step in PyTorch (same thread count, same weights),
Each is timed in blocks that take turns (see ``common.block_medians``); the table
gives the median time per call.

* the matrix multiplies alone: the 4 forward GEMMs and the 2L - 1 = 7 backward GEMMs
  of exactly the shapes our step uses. Their share of our step says how close we are to
  the floor set by BLAS.
"""
from __future__ import annotations

import numpy as np

from backprop_lib.layers import Linear, ReLU, Sequential
from backprop_lib.losses import SoftmaxCrossEntropy
from backprop_lib.optim import SGD

from .common import block_medians, format_table, ms

N_CLASSES = 10
N_LINEAR = 4


def build(width: int, dtype, seed: int = 0):
    rng = np.random.default_rng(seed)
    layers = []
    for i in range(N_LINEAR):
        n_out = N_CLASSES if i == N_LINEAR - 1 else width
        layers.append(Linear(width, n_out, init="he", seed=int(rng.integers(1 << 31)), dtype=dtype))
        if i < N_LINEAR - 1:
            layers.append(ReLU())
    net = Sequential(*layers)
    X = rng.standard_normal((0, width)).astype(dtype)  # placeholder, replaced by caller
    return net, X


def _torch_twin(net, dtype):
    import torch

    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    mods = []
    for layer in net.layers:
        if isinstance(layer, Linear):
            lin = torch.nn.Linear(layer.W.data.shape[0], layer.W.data.shape[1], dtype=tdtype)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(layer.W.data.T.copy()))
                lin.bias.copy_(torch.from_numpy(layer.b.data.copy()))
            mods.append(lin)
        else:
            mods.append(torch.nn.ReLU())
    return torch.nn.Sequential(*mods)


def problem(batch: int, width: int, dtype, lr: float = 1e-3):
    """The network, a batch ``(X, y)``, the loss and an SGD optimizer for one table row,
    plus the generator that drew the batch (every benchmark of the MLP uses these)."""
    rng = np.random.default_rng(batch * 7919 + width)
    net, _ = build(width, dtype)
    X = rng.standard_normal((batch, width)).astype(dtype)
    y = rng.integers(0, N_CLASSES, size=batch)
    return net, X, y, SoftmaxCrossEntropy(), SGD(net.parameters(), lr=lr), rng


def measure(batch: int, width: int, dtype, repeats: int = 7, with_torch: bool = True) -> dict:
    net, X, y, loss_fn, opt, rng = problem(batch, width, dtype)

    def forward():
        return loss_fn.forward(net.forward(X), y)

    def backward():
        # The data X needs no gradient (PyTorch skips it too): 2L - 1 matmuls, not 2L.
        net.backward(loss_fn.backward(), input_grad=False)

    def step():
        forward()
        backward()
        opt.step()
        opt.zero_grad()

    # The GEMMs of one step, same shapes and dtype, nothing else.
    Ws = [layer.W.data for layer in net.layers if isinstance(layer, Linear)]
    acts = [X]
    for W in Ws[:-1]:
        acts.append(np.maximum(acts[-1] @ W, 0))
    grads = [rng.standard_normal((batch, W.shape[1])).astype(dtype) for W in Ws]

    def matmuls():
        for A, W in zip(acts, Ws):  # forward: L GEMMs
            A @ W
        for i, (A, W, G) in enumerate(zip(acts, Ws, grads)):  # backward: 2L - 1 GEMMs
            A.T @ G
            if i > 0:
                G @ W.T

    fns = {"step": step, "forward": forward, "fwd+bwd": lambda: (forward(), backward()), "matmuls": matmuls}
    if with_torch:
        import torch

        tnet = _torch_twin(net, dtype)
        tX = torch.from_numpy(X)
        ty = torch.from_numpy(y)
        topt = torch.optim.SGD(tnet.parameters(), lr=1e-3)
        tloss = torch.nn.CrossEntropyLoss()

        def torch_step():
            loss = tloss(tnet(tX), ty)
            loss.backward()
            topt.step()
            topt.zero_grad(set_to_none=False)

        fns["torch"] = torch_step
    t = block_medians(fns, rounds=repeats)
    t["backward"] = max(t["fwd+bwd"] - t["forward"], 0.0)
    return t


def _blas_threads() -> int:
    import os

    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    return os.cpu_count() or 1


def run(batches=(64, 256, 1024), widths=(128, 512, 1024), dtypes=(np.float64, np.float32), repeats: int = 5) -> tuple[str, dict]:
    try:
        import torch

        # Same thread count for both: numpy's BLAS follows OPENBLAS_NUM_THREADS (make bench
        # sets 1, as for the notebooks), and torch is told the same.
        torch.set_num_threads(_blas_threads())
        with_torch = True
    except ImportError:
        with_torch = False
    rows, claims, ratios, mm_shares = [], [], [], []
    L = N_LINEAR
    for dtype in dtypes:
        for batch in batches:
            for width in widths:
                t = measure(batch, width, dtype, repeats=repeats, with_torch=with_torch)
                share = t["matmuls"] / t["step"]
                vs_torch = t["step"] / t["torch"] if with_torch else float("nan")
                if with_torch:
                    ratios.append(vs_torch)
                if width >= 512 and batch >= 256:
                    mm_shares.append(share)
                name = np.dtype(dtype).name
                rows.append([name, batch, width, ms(t["step"]), ms(t["torch"]) if with_torch else "n/a",
                             vs_torch, ms(t["matmuls"]), f"{100 * share:.0f}%"])
                claims.append([name, batch, width, t["backward"] / t["forward"], t["step"] / t["forward"],
                               f"{(2 * L - 1) / L:.2f}"])
    med_ratio = float(np.median(ratios)) if ratios else float("nan")
    table = format_table(
        f"Vectorized MLP train step (4 Linear, ReLU, softmax CE, SGD) vs PyTorch CPU, {_blas_threads()} thread(s) each, medians",
        ["dtype", "batch", "width", "ours ms", "torch ms", "ours / torch", "matmuls ms", "matmuls share"],
        rows,
    )
    table += f"\nMedian ours/torch ratio: {med_ratio:.2f} (target <= 1.2).\n"
    if mm_shares:
        table += (f"Matmul share at width >= 512, batch >= 256: min {100 * min(mm_shares):.0f}%, "
                  f"median {100 * float(np.median(mm_shares)):.0f}% (target >= 90%).\n")
    table += "\n"
    table += format_table(
        "Textbook claims: backward/forward and step/forward, with the matmul count ratio (2L-1)/L",
        ["dtype", "batch", "width", "backward / forward", "step / forward", "(2L-1)/L matmuls"],
        claims,
    )
    return table, {"median_ratio_vs_torch": med_ratio, "matmul_shares": mm_shares}


def main() -> None:
    print(run()[0])


if __name__ == "__main__":
    main()
