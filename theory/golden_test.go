package theory

import (
	"bytes"
	"fmt"
	"math"
	"testing"

	"github.com/smdlab/smd/internal/golden"
)

// TestGoldenStationary pins r*, E f(1 − f) and ε*(ξ) on a (p, κ) grid to
// testdata/stationary.golden (regenerate with -update). It catches
// change, not wrongness: the tests above check correctness.
func TestGoldenStationary(t *testing.T) {
	var b bytes.Buffer
	fmt.Fprintln(&b, "# p kappa r* E[f(1-f)] eps*(0.5) eps*(0.9)")
	for _, p := range []int{2, 3, 10, 100, 10000} {
		for _, k := range []float64{0, 0.5, 10, 1e3, 1e8} {
			r, q := StationaryMomentsKappa(p, k)
			fmt.Fprintf(&b, "%d %g %.12e %.12e %.12e %.12e\n", p, k, r, q,
				StationaryTailKappa(p, k, 0.5), StationaryTailKappa(p, k, 0.9))
		}
	}
	golden.Check(t, "stationary.golden", b.Bytes())
}

// TestMeanAUFactor: c_p = E χ_{p−1}/√(p − 1): c₂ = √(2/π) (half-normal),
// c₃ = √π/2 (Rayleigh), and c_p = 1 − 1/(4p) + O(p⁻²).
func TestMeanAUFactor(t *testing.T) {
	if got, want := MeanAUFactor(2), math.Sqrt(2/math.Pi); math.Abs(got-want) > 1e-15 {
		t.Errorf("c₂ = %.17g, want %.17g", got, want)
	}
	if got, want := MeanAUFactor(3), math.Sqrt(math.Pi)/2; math.Abs(got-want) > 1e-15 {
		t.Errorf("c₃ = %.17g, want %.17g", got, want)
	}
	for _, p := range []int{100, 10000} {
		if got, want := MeanAUFactor(p), 1-1/(4*float64(p)); math.Abs(got-want) > 1/float64(p*p) {
			t.Errorf("c_%d = %.12g, want ≈ %.12g", p, got, want)
		}
	}
}
