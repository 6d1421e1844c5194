"""Vectorised NumPy baseline for the O(p) NRQ step (issue 2's performance target).

The same update as sim.Full's hot loop (eqs 3-4, diagonal A, isotropic noise),
all trials at once as a (trials, p) array, NumPy's default Gaussian sampler.
Run: python3 bench/numpy_nrq.py   (Debian: apt-get install python3-numpy)
Reports coordinate-updates per second = trials*steps*p / wall seconds.
"""
import time
import numpy as np

p, trials, steps = 100, 100, 2000
eta, lam, sigma = 0.1, 1e-3, 1.0
a = np.full(p, 2.0)
a[0] = 1.0
rng = np.random.default_rng(1)
x = 0.84 * rng.standard_normal((trials, p))
t0 = time.perf_counter()
for n in range(steps):
    norm = np.sqrt(np.einsum("ij,ij->i", x, x))[:, None]
    xt = x / norm
    v = a * xt + sigma * rng.standard_normal((trials, p))
    c = np.einsum("ij,ij->i", xt, v)[:, None]
    g = (v - c * xt) / norm
    x = (1 - lam * eta) * x - eta * g
wall = time.perf_counter() - t0
print(f"numpy {np.__version__}: {trials*steps*p/wall:.3g} coordinate-updates/s "
      f"(p={p}, trials={trials}, steps={steps}, {wall:.2f} s)")
