"""SciPy baseline for smd's `fokker-planck` engine (sde.FokkerPlanck).

The same computation as BenchmarkFokkerPlanck (go test ./sde -bench
FokkerPlanck): the theta-density of Theorem 2's two-valued model (a_l = 1 once,
a_h = 2 p - 1 times, sigma = 1, p = 100, eta = 0.1, lambda = 1e-3,
|X0| = 8.39, f0 = 0.01, eta / 10 with the rescale at step 50 000, 10^5 steps,
recorded every 500) on the same 2048-cell Scharfetter-Gummel grid with
Crank-Nicolson steps (4 backward-Euler quarter steps to start), each step's
tridiagonal system solved by scipy.linalg.solve_banded, the operator
vectorised in NumPy. The final risk agrees with smd's to rounding.

Run: python3 bench/scipy_fp.py [STEPS]   (Debian: python3-scipy)
Prints one JSON line with the CPU seconds of the solve and the final risk.
"""
import json
import math
import sys
import time

import numpy as np
from scipy.linalg import solve_banded

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
p, m1 = 100, 1
m2 = p - m1
al, ah, sigma = 1.0, 2.0, 1.0
eta, lam = 0.1, 1e-3
norm0, f0 = 8.39, 0.01
every, event = 500, 50_000
cells = 2048
tr = (p - 1) * sigma**2

h = math.pi / 2 / cells
theta = (np.arange(cells) + 0.5) * h
cos2 = np.cos(theta) ** 2
dcos2 = cos2[1:] - cos2[:-1]
dlog = (m2 - 1) * np.log(np.sin(theta[1:]) / np.sin(theta[:-1])) + (m1 - 1) * np.log(
    np.cos(theta[1:]) / np.cos(theta[:-1]))


def norm_sq_after(s, eta, lam, dt):
    inf2 = eta * tr / (2 * lam)
    return math.sqrt(inf2 + math.exp(-4 * lam * eta * dt) * (s * s - inf2))


def operator(s, eta):
    """Tridiagonal L (dP/dt = L P) as (lower, diagonal, upper)."""
    d = eta * sigma / s
    kappa = d * d / (2 * h * h)
    alpha = (ah - al) * s / (eta * sigma * sigma)
    dphi = alpha * dcos2 + dlog
    small = np.abs(dphi) < 1e-8
    b = np.where(small, 1 - dphi / 2, dphi / np.expm1(np.where(small, 1.0, dphi)))
    bp, bm = kappa * b, kappa * (b + dphi)
    lo, di, up = np.zeros(cells), np.zeros(cells), np.zeros(cells)
    di[:-1] -= bm
    up[:-1] += bp
    lo[1:] += bm
    di[1:] -= bp
    return lo, di, up


ab = np.zeros((3, cells))


def step(P, lo, di, up, dt, th):
    e = (1 - th) * dt
    rhs = P + e * di * P
    rhs[1:] += e * lo[1:] * P[:-1]
    rhs[:-1] += e * up[:-1] * P[1:]
    a = th * dt
    ab[0, 1:] = -a * up[:-1]
    ab[1, :] = 1 - a * di
    ab[2, :-1] = -a * lo[1:]
    return solve_banded((1, 1), ab, rhs, check_finite=False)


# initial delta at theta0, split so that E f = f0 (as sde.fpDelta)
P = np.zeros(cells)
th0 = math.acos(math.sqrt(f0))
x = th0 / h - 0.5
i = int(x)
c0 = math.cos(th0)
fr = (cos2[i] - c0 * c0) / (cos2[i] - cos2[i + 1])
P[i], P[i + 1] = 1 - fr, fr

c0t = time.process_time()
s, et = norm0 * norm0, eta
risk = []
n = 0
last = steps - steps % every
while n <= last:
    if n == event:
        et /= 10
        s *= 10 ** -0.5  # X / 10^{1/4}: S = |X|^2 / 10^{1/2}
    if n % every == 0:
        risk.append(1 - float(P @ cos2))
    if n == last:
        break
    k = 1
    if n == 0:
        for _ in range(4):
            lo, di, up = operator(norm_sq_after(s, et, lam, k / 8), et)
            P = step(P, lo, di, up, k / 4, 1.0)
            s = norm_sq_after(s, et, lam, k / 4)
    else:
        lo, di, up = operator(norm_sq_after(s, et, lam, k / 2), et)
        P = step(P, lo, di, up, k, 0.5)
        s = norm_sq_after(s, et, lam, k)
    n += k
cpu = time.process_time() - c0t
print(json.dumps({"scipy": __import__("scipy").__version__, "cells": cells, "steps": last,
                  "cpu_secs": round(cpu, 3), "risk_final": risk[-1], "risk_mid": risk[len(risk) // 2]}))
