// Package stattest holds the helpers of the statistical tests (STYLE.md §7):
// z thresholds from a false-alarm budget, Kolmogorov–Smirnov tests, and the
// -seed flag that reruns every seeded test with another seed.
//
// The z policy is package claim's (one per codebase): each statistical check
// may fail by chance with probability at most Alpha = claim.Alpha; with a few
// hundred checks in the suite that keeps the chance of a spurious red CI run
// below 1%. Alpha, Z and ZFor are claim's, re-exported for the tests.
package stattest

import (
	"flag"
	"math"
	"slices"

	"github.com/smdlab/smd/claim"
)

// Alpha is the false-alarm probability allowed to one statistical check
// (claim.Alpha).
const Alpha = claim.Alpha

// Z is the two-sided z threshold for Alpha: Φ⁻¹(1 − Alpha/2) ≈ 4.42 (claim.Z).
var Z = claim.Z

var seed = flag.Uint64("seed", 1, "seed of the statistical tests (rerun with -args -seed=N to check they are not tuned to one seed)")

// Seed returns the seed given by -seed (default 1), offset by k so that
// independent checks in one test use independent streams.
func Seed(k uint64) uint64 { return *seed*1_000_003 + k }

// ZFor returns the two-sided z threshold for a family of k checks sharing
// the false-alarm probability alpha (Bonferroni): Φ⁻¹(1 − alpha/(2k)).
func ZFor(alpha float64, k int) float64 { return claim.ZAlpha(alpha, k) }

// KolmogorovQ returns the survival function of the Kolmogorov distribution,
// Q(x) = 2 Σ_{j≥1} (−1)^{j−1} e^{−2j²x²} (Q(x) = 1 for small x).
func KolmogorovQ(x float64) float64 {
	if x < 0.2 {
		return 1
	}
	s := 0.0
	for j := 1; j <= 100; j++ {
		t := math.Exp(-2 * float64(j*j) * x * x)
		if j%2 == 1 {
			s += t
		} else {
			s -= t
		}
		if t < 1e-17 {
			break
		}
	}
	return math.Min(1, math.Max(0, 2*s))
}

// KSPValue returns the p-value of a KS statistic d with effective sample
// size ne (n for one sample, nm/(n+m) for two), with Stephens' (1970)
// small-sample correction.
func KSPValue(d float64, ne float64) float64 {
	sq := math.Sqrt(ne)
	return KolmogorovQ((sq + 0.12 + 0.11/sq) * d)
}

// KSOneSample returns the KS statistic of x against the CDF cdf and its p-value.
func KSOneSample(x []float64, cdf func(float64) float64) (d, p float64) {
	s := slices.Clone(x)
	slices.Sort(s)
	n := float64(len(s))
	for i, v := range s {
		c := cdf(v)
		d = math.Max(d, math.Max(float64(i+1)/n-c, c-float64(i)/n))
	}
	return d, KSPValue(d, n)
}

// KSTwoSample returns the two-sample KS statistic of x and y and its p-value.
func KSTwoSample(x, y []float64) (d, p float64) {
	a, b := slices.Clone(x), slices.Clone(y)
	slices.Sort(a)
	slices.Sort(b)
	i, j := 0, 0
	na, nb := float64(len(a)), float64(len(b))
	for i < len(a) && j < len(b) {
		v := math.Min(a[i], b[j])
		for i < len(a) && a[i] <= v {
			i++
		}
		for j < len(b) && b[j] <= v {
			j++
		}
		d = math.Max(d, math.Abs(float64(i)/na-float64(j)/nb))
	}
	return d, KSPValue(d, na*nb/(na+nb))
}

// MeanSE returns the mean of x and its standard error (n − 1
// denominator): claim.Mean.
func MeanSE(x []float64) (mean, se float64) {
	e := claim.Mean(x)
	return e.Mean, e.SE
}
