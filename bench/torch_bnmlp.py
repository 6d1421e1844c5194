"""Step time of smd's bn-mlp (train.BNMLP) in PyTorch on the CPU.

The same network and SGD step as `smd reproduce fig3` (docs/train.md,
"PyTorch comparison"): 784 -> 256 -> 128 -> 10, both hidden layers bias-free
and followed by BatchNorm1d (eps 1e-5, momentum 0.1) and ReLU, a dense
classifier with bias; softmax cross-entropy; plain SGD (no momentum) with
lr 0.5 and weight decay 2e-3 on every parameter; batch 128 of 28x28 images.
The per-layer angular-update measurement of smd's measuring steps (every
12th) is not included; smd's unmeasured step is the comparison.

Usage: /usr/bin/python3 bench/torch_bnmlp.py [threads ...]   (Debian's python3-torch)
Prints, per thread count, the best of 5 repeats of the mean time of 100 steps.
"""
import sys
import time

import torch
import torch.nn as nn


def net():
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 256, bias=False), nn.BatchNorm1d(256), nn.ReLU(),
        nn.Linear(256, 128, bias=False), nn.BatchNorm1d(128), nn.ReLU(),
        nn.Linear(128, 10),
    )


def bench(threads, steps=100, repeats=5, batch=128):
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    model = net()
    opt = torch.optim.SGD(model.parameters(), lr=0.5, weight_decay=2e-3)
    x = torch.randn(batch, 1, 28, 28)
    y = torch.randint(0, 10, (batch,))
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    for _ in range(20):  # warm-up
        step()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        best = min(best, (time.perf_counter() - t0) / steps)
    return best


if __name__ == "__main__":
    threads = [int(a) for a in sys.argv[1:]] or [1, 2]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} default threads")
    for t in threads:
        print(f"threads {t}: {1000 * bench(t):.2f} ms per step (batch 128, best of 5 x 100 steps)")
