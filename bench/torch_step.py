#!/usr/bin/env python3
"""Time one SGD step of smd train's networks in PyTorch on this CPU.

The same architectures as train/models.go (small CNN, CIFAR ResNet18,
ImageNet ResNet50), NHWC semantics aside: bias-free convolutions, each
followed by batch norm (training mode), ReLU, global average pooling, a
dense classifier; cross-entropy loss; plain SGD with weight decay (the
step smd runs between measurements). Prints, per case, the median and
best ms/step over --reps timed steps after two warm-up steps, and GFLOP/s
counted as smd's BenchmarkStep counts them: 3 x 2 x the forward
convolutions' multiply-adds.

    /usr/bin/python3 bench/torch_step.py              # all cases
    /usr/bin/python3 bench/torch_step.py small-cnn/b32 resnet18/b32

Debian's python3-torch (1.13) is enough; not a CI dependency.
"""
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_bn(cin, cout, k, stride):
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.BatchNorm2d(cout))


class SmallCNN(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.c = nn.ModuleList([conv_bn(3, 16, 3, 2), conv_bn(16, 32, 3, 2), conv_bn(32, 64, 3, 2)])
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        for c in self.c:
            x = F.relu(c(x))
        return self.fc(x.mean((2, 3)))


class Basic(nn.Module):
    def __init__(self, cin, w, stride):
        super().__init__()
        self.a, self.b = conv_bn(cin, w, 3, stride), conv_bn(w, w, 3, 1)
        self.proj = conv_bn(cin, w, 1, stride) if stride != 1 or cin != w else None

    def forward(self, x):
        out = self.b(F.relu(self.a(x)))
        return F.relu(out + (self.proj(x) if self.proj is not None else x))


class Bottleneck(nn.Module):
    def __init__(self, cin, w, stride):
        super().__init__()
        self.a, self.b, self.c = conv_bn(cin, w, 1, 1), conv_bn(w, w, 3, stride), conv_bn(w, 4 * w, 1, 1)
        self.proj = conv_bn(cin, 4 * w, 1, stride) if stride != 1 or cin != 4 * w else None

    def forward(self, x):
        out = self.c(F.relu(self.b(F.relu(self.a(x)))))
        return F.relu(out + (self.proj(x) if self.proj is not None else x))


class ResNet(nn.Module):
    def __init__(self, block, blocks, stem_k, stem_stride, pool, classes):
        super().__init__()
        self.stem = conv_bn(3, 64, stem_k, stem_stride)
        self.pool = pool
        layers, cin = [], 64
        for s, (n, w) in enumerate(zip(blocks, [64, 128, 256, 512])):
            for i in range(n):
                layers.append(block(cin, w, 2 if i == 0 and s > 0 else 1))
                cin = w * (4 if block is Bottleneck else 1)
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        x = F.relu(self.stem(x))
        if self.pool:
            x = F.max_pool2d(x, 3, 2, 1)
        return self.fc(self.layers(x).mean((2, 3)))


CASES = {
    "small-cnn/b32": (lambda: SmallCNN(10), 32, 32),
    "resnet18/b4": (lambda: ResNet(Basic, [2, 2, 2, 2], 3, 1, False, 10), 4, 32),
    "resnet18/b32": (lambda: ResNet(Basic, [2, 2, 2, 2], 3, 1, False, 10), 32, 32),
    "resnet50-224/b8": (lambda: ResNet(Bottleneck, [3, 4, 6, 3], 7, 2, True, 1000), 8, 224),
}


def conv_macs(model, x):
    macs = [0]

    def hook(m, inp, out):
        macs[0] += out.numel() * m.in_channels * m.kernel_size[0] * m.kernel_size[1] // m.groups

    hs = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        model(x)
    for h in hs:
        h.remove()
    return macs[0]


def main(names):
    torch.manual_seed(1)
    torch.set_num_threads(2)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    reps = 5
    for name in names or CASES:
        make, batch, side = CASES[name]
        model = make()
        x = torch.randn(batch, 3, side, side)
        y = torch.randint(0, 10, (batch,))
        flop = 6 * conv_macs(model, x)
        model.train()
        opt = torch.optim.SGD(model.parameters(), lr=0.1, weight_decay=1e-4)
        times = []
        for i in range(reps + 2):
            t0 = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(x), y).backward()
            opt.step()
            if i >= 2:
                times.append(time.perf_counter() - t0)
        times.sort()
        med, best = times[len(times) // 2], times[0]
        print(f"{name:18s} median {1e3 * med:9.2f} ms/step  best {1e3 * best:9.2f} ms/step  {flop / best / 1e9:7.1f} GFLOP/s (best)")


if __name__ == "__main__":
    main(sys.argv[1:])
