// scalar_sol.c: a scalar speed-of-light for smd's portable `full` build.
//
// The same update as ../shared/bench/nrq_sol.c (NRQ eqs 3-4, diagonal A,
// isotropic noise sigma) and as smd's sim.sweepIso, written the way smd's
// portable Go build must run it: scalar code for the baseline x86-64 (SSE2,
// no FMA, no AVX), one xoshiro256++ generator, the ziggurat's fast path as
// smd's (one 512-entry table {ceil(ratio*2^52), +-x_i*2^-52} indexed by the
// low 9 bits, an integer compare, a multiply), and one fused pass per step
// (update, next step's draws, next step's two sums, partial sums over even
// and odd i). It answers one question: how close to the AVX2 reference can
// any scalar code get on this machine? bench/sol.sh prints its column.
//
// Build: gcc -O3 -march=x86-64 -fno-tree-vectorize -o scalar_sol scalar_sol.c -lm
// Run:   ./scalar_sol P TRIALS STEPS    (one JSON line, like nrq_sol sim4)
//
// The slow path (≈ 1.1 % of draws) is a plain scalar ziggurat retry with
// an exact wedge test; the rate does not depend on how it is written.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define ZL 256
static const double zigR = 3.6541528853610088, zigV = 0.00492867323399;
static double zigX[ZL + 1], zigRatio[ZL], zigF[ZL + 1];
typedef struct { uint64_t t; double xs; } entry;
static entry zigFast[2 * ZL];

static void zig_init(void) {
  double f = exp(-0.5 * zigR * zigR);
  zigX[0] = zigV / f;
  zigX[1] = zigR;
  for (int i = 2; i < ZL; i++) {
    zigX[i] = sqrt(-2 * log(zigV / zigX[i - 1] + f));
    f = exp(-0.5 * zigX[i] * zigX[i]);
  }
  zigX[ZL] = 0;
  for (int i = 0; i < ZL; i++) zigRatio[i] = zigX[i + 1] / zigX[i];
  for (int i = 0; i <= ZL; i++) zigF[i] = exp(-0.5 * zigX[i] * zigX[i]);
  for (int j = 0; j < 2 * ZL; j++) {
    int i = j & 0xff;
    double xs = ldexp(zigX[i], -52);
    zigFast[j].t = (uint64_t)ceil(ldexp(zigRatio[i], 52));
    zigFast[j].xs = (j & 0x100) ? -xs : xs;
  }
}

typedef struct { uint64_t s0, s1, s2, s3; } xs_t;
static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static inline uint64_t next(xs_t *r) {
  uint64_t out = rotl(r->s0 + r->s3, 23) + r->s0, t = r->s1 << 17;
  r->s2 ^= r->s0; r->s3 ^= r->s1; r->s1 ^= r->s2; r->s0 ^= r->s3; r->s2 ^= t;
  r->s3 = rotl(r->s3, 45);
  return out;
}
static inline double unif(xs_t *r) { return (double)(next(r) >> 11) * 0x1p-53; }
static inline double open01(xs_t *r) { return ((double)(next(r) >> 12) + 0.5) * 0x1p-52; }

// slow: finish a draw whose fast path rejected u (wedge or tail), else retry.
static __attribute__((noinline)) double slow(xs_t *r, uint64_t u) {
  for (;;) {
    int i = u & 0xff;
    double x = (double)(int64_t)(u >> 12) * 0x1p-52;
    if (u & 0x100) x = -x;
    if (i == 0) {
      for (;;) {
        double a = log(open01(r)) / zigR, b = log(open01(r));
        if (-2 * b >= a * a) return x < 0 ? a - zigR : zigR - a;
      }
    }
    x *= zigX[i];
    if (zigF[i + 1] + unif(r) * (zigF[i] - zigF[i + 1]) < exp(-0.5 * x * x)) return x;
    u = next(r);
    const entry *e = &zigFast[u & 0x1ff];
    uint64_t m = u >> 12;
    if (m < e->t) return (double)(int64_t)m * e->xs;
  }
}

static inline double norm(xs_t *r) {
  uint64_t u = next(r);
  const entry *e = &zigFast[u & 0x1ff];
  uint64_t m = u >> 12;
  if (__builtin_expect(m < e->t, 1)) return (double)(int64_t)m * e->xs;
  return slow(r, u);
}

static double cpu_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

// One trial, all steps, smd's fused pass: x_i <- (alpha - beta a_i) x_i - ei z_i,
// then z_i drawn afresh and the next step's sums taken from the new x_i, z_i.
// Returns the time-averaged f over the second half; *n2out the final |X|^2.
static double run_trial(int p, int steps, const double *a, double sigma, double eta,
                        double lambda, double *x, double *z, xs_t *r, double *n2out) {
  double n2 = 0, sA = 0, sN = 0;
  for (int i = 0; i < p; i++) z[i] = norm(r);
  for (int i = 0; i < p; i++) { n2 += x[i] * x[i]; sA += a[i] * x[i] * x[i]; sN += z[i] * x[i]; }
  const double decay = 1 - lambda * eta;
  double fsum = 0;
  for (int n = 0; n < steps; n++) {
    double norm_ = sqrt(n2), inv = 1 / norm_;
    double c = sA * inv * inv + sigma * sN * inv, ei = eta * inv;
    double alpha = decay + ei * c * inv, beta = ei * inv, es = ei * sigma;
    if (2 * n >= steps) fsum += x[0] * x[0] / n2;
    double n0 = 0, n1 = 0, a0 = 0, a1 = 0, s0 = 0, s1 = 0;
    int i = 0;
    for (; i + 2 <= p; i += 2) {
      double x0 = (alpha - beta * a[i]) * x[i] - es * z[i];
      double x1 = (alpha - beta * a[i + 1]) * x[i + 1] - es * z[i + 1];
      x[i] = x0; x[i + 1] = x1;
      n0 += x0 * x0; n1 += x1 * x1;
      double v0 = norm(r), v1 = norm(r);
      z[i] = v0; z[i + 1] = v1;
      a0 += a[i] * x0 * x0; a1 += a[i + 1] * x1 * x1;
      s0 += v0 * x0; s1 += v1 * x1;
    }
    if (i < p) {
      double xi = (alpha - beta * a[i]) * x[i] - es * z[i];
      x[i] = xi; n0 += xi * xi;
      double v = norm(r);
      z[i] = v; a0 += a[i] * xi * xi; s0 += v * xi;
    }
    n2 = n0 + n1; sA = a0 + a1; sN = s0 + s1;
  }
  *n2out = n2;
  return fsum;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: scalar_sol P TRIALS STEPS\n");
    return 2;
  }
  int p = atoi(argv[1]), trials = atoi(argv[2]), steps = atoi(argv[3]);
  if (p < 1 || trials < 1 || steps < 2) {
    fprintf(stderr, "scalar_sol: P, TRIALS >= 1 and STEPS >= 2\n");
    return 2;
  }
  zig_init();
  double sigma = 1, eta = 0.1, lambda = 1e-3;
  double std = sqrt(sqrt((p - 1) * sigma * sigma * eta / (2 * lambda)) / p);
  double *a = malloc(sizeof(double) * p), *x = malloc(sizeof(double) * p), *z = malloc(sizeof(double) * p);
  for (int i = 0; i < p; i++) a[i] = 2;
  a[0] = 1;
  double fs = 0, n2s = 0, c0 = cpu_now();
  for (int t = 0; t < trials; t++) {
    xs_t r = {0x9E3779B97F4A7C15ULL * (t + 1), 0xD1B54A32D192ED03ULL ^ t, 0xbf58476d1ce4e5b9ULL, 0x94d049bb133111ebULL + t};
    for (int k = 0; k < 16; k++) next(&r);
    for (int i = 0; i < p; i++) x[i] = std * norm(&r);
    double n2;
    fs += run_trial(p, steps, a, sigma, eta, lambda, x, z, &r, &n2);
    n2s += n2;
  }
  double dc = cpu_now() - c0;
  printf("{\"kernel\": \"scalar\", \"p\": %d, \"trials\": %d, \"steps\": %d, \"cpu_secs\": %.4f, "
         "\"coord_updates_per_cpu_s\": %.4g, \"risk_time_avg\": %.5f, \"final_norm2_mean\": %.4f, \"norm2_theory\": %.4f}\n",
         p, trials, steps, dc, (double)trials * steps * p / dc,
         1 - fs / ((double)trials * (steps - (steps + 1) / 2)), n2s / trials, sqrt((p - 1) * eta / (2 * lambda)));
  return 0;
}
