"""Vectorised NumPy baseline for the O(p) NRQ step (sim.Full's hot loop).

The same update as sim.Full's diagonal path (eqs 3-4, diagonal A, isotropic
noise), all trials at once as a (trials, p) array, NumPy's default Gaussian
sampler, a1 = 1 once and a2 = 2 (p - 1 times), sigma = 1, eta = 0.1,
lambda = 1e-3, X0 ~ N(0, std^2 I) near equilibrium (as nrq_sol.c).

Run: python3 bench/numpy_nrq.py [P TRIALS STEPS]   (Debian: python3-numpy)
Prints one JSON line: coordinate-updates per CPU second (trials*steps*p /
process CPU time of the loop) and per wall second. bench/sol.sh runs it.
"""
import json
import math
import sys
import time

import numpy as np

p, trials, steps = 100, 100, 2000
if len(sys.argv) == 4:
    p, trials, steps = (int(v) for v in sys.argv[1:])
eta, lam, sigma = 0.1, 1e-3, 1.0
a = np.full(p, 2.0)
a[0] = 1.0
rng = np.random.default_rng(1)
std = math.sqrt(math.sqrt((p - 1) * sigma**2 * eta / (2 * lam)) / p)
x = std * rng.standard_normal((trials, p))
c0, t0 = time.process_time(), time.perf_counter()
for n in range(steps):
    norm = np.sqrt(np.einsum("ij,ij->i", x, x))[:, None]
    xt = x / norm
    v = a * xt + sigma * rng.standard_normal((trials, p))
    c = np.einsum("ij,ij->i", xt, v)[:, None]
    g = (v - c * xt) / norm
    x = (1 - lam * eta) * x - eta * g
cpu, wall = time.process_time() - c0, time.perf_counter() - t0
u = trials * steps * p
print(json.dumps({"numpy": np.__version__, "p": p, "trials": trials, "steps": steps,
                  "cpu_secs": round(cpu, 4), "secs": round(wall, 4),
                  "coord_updates_per_cpu_s": u / cpu, "coord_updates_per_s": u / wall,
                  "final_norm2_mean": float(np.mean(np.einsum("ij,ij->i", x, x))),
                  "norm2_theory": math.sqrt((p - 1) * eta / (2 * lam))}))
