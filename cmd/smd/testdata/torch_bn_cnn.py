#!/usr/bin/env python3
"""Train a few SGD steps of a small BatchNorm CNN in PyTorch, save safetensors
checkpoints for `smd measure`, and write the values smd must find.

usage: torch_bn_cnn.py OUTDIR [MOMENTUM]

OUTDIR/checkpoints/step-<n>.safetensors: the model's state_dict at steps
n = 0, 1, 2, 8, 9, 10, 16, 17, 18 (every 8 steps plus the two following, so
that the momentum form of the scale-invariance ratio is measurable), with
metadata step, lr, weight_decay, momentum, optimizer, channel_axis.
OUTDIR/expected.csv: step, tensor, au, norm for every per-step pair and
every float tensor, computed here in float64 (atan2 form).

Safetensors are written with numpy (no `safetensors` package needed); see
docs/measure.md. Synthetic data: random images and labels, fixed seed.
"""
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn

DTYPES = {np.dtype("float32"): "F32", np.dtype("float64"): "F64", np.dtype("float16"): "F16",
          np.dtype("int64"): "I64", np.dtype("int32"): "I32"}


def save_safetensors(path, tensors, metadata):
    """Write a dict of tensors and a str->str metadata dict as safetensors."""
    header, blobs, off = {"__metadata__": metadata}, [], 0
    for name, t in tensors.items():
        t = t.detach().cpu().contiguous()
        if t.dtype == torch.bfloat16:  # numpy has no bfloat16: keep the bits
            a, dtype = t.view(torch.int16).numpy(), "BF16"
        else:
            a = t.numpy()
            dtype = DTYPES[a.dtype]
        b = a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def angle(a, b):
    """∠(a, b) in float64, atan2 form (no cancellation at small angles)."""
    a, b = a.double().flatten(), b.double().flatten()
    d = b - a
    na2 = torch.dot(a, a)
    if na2.item() == 0:
        return float("nan"), 0.0
    k = torch.dot(a, d) / na2
    perp = torch.linalg.norm(d - k * a)
    na = math.sqrt(na2.item())
    return math.atan2(perp.item(), na + torch.dot(d, a).item() / na), na


def main():
    out = sys.argv[1]
    momentum = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
    lr, wd, steps, every = 0.2, 5e-3, 18, 8
    torch.manual_seed(1)
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
        nn.Conv2d(8, 16, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum, weight_decay=wd)
    x = torch.randn(64, 3, 16, 16)
    y = torch.randint(0, 10, (64,))
    ck = os.path.join(out, "checkpoints")
    os.makedirs(ck, exist_ok=True)
    meta = {"lr": repr(lr), "weight_decay": repr(wd), "momentum": repr(momentum), "optimizer": "sgd",
            "channel_axis": "first", "framework": "pytorch " + torch.__version__}
    states = {}
    for step in range(steps + 1):
        if step % every in (0, 1, 2):
            sd = {k: v.clone() for k, v in model.state_dict().items()}
            states[step] = sd
            save_safetensors(os.path.join(ck, "step-%d.safetensors" % step), sd, dict(meta, step=str(step)))
        if step == steps:
            break
        i = torch.randint(0, 64, (16,))
        opt.zero_grad()
        nn.functional.cross_entropy(model(x[i]), y[i]).backward()
        opt.step()
    with open(os.path.join(out, "expected.csv"), "w") as f:
        f.write("step,tensor,au,norm\n")
        for n in sorted(states):
            if n + 1 not in states:
                continue
            for name, a in states[n].items():
                if not a.is_floating_point():
                    continue
                au, norm = angle(a, states[n + 1][name])
                f.write("%d,%s,%r,%r\n" % (n, name, au, norm))


if __name__ == "__main__":
    main()
