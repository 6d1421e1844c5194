package claim

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// The z policy: ZFor(1) = Z = Φ⁻¹(1 − 0.5·10⁻⁵) = 4.4172 (tables), and a
// Bonferroni family's z has per-check tail Alpha/k.
func TestZ(t *testing.T) {
	if math.Abs(Z-4.4172) > 1e-4 {
		t.Errorf("Z = %.6f, want 4.4172", Z)
	}
	for _, k := range []int{1, 10, 1000} {
		if got := 2 * distuv.UnitNormal.Survival(ZFor(k)) * float64(k); math.Abs(got/Alpha-1) > 1e-6 {
			t.Errorf("k = %d: family false-alarm %g, want %g", k, got, Alpha)
		}
	}
	if ZFor(0) != Z {
		t.Error("ZFor(0) != Z")
	}
}

func TestCombineSE(t *testing.T) {
	if got := CombineSE(Independent, 3, 4); got != 5 {
		t.Errorf("independent: %g, want 5", got)
	}
	if got := CombineSE(Correlated, 3, 4); got != 7 {
		t.Errorf("correlated: %g, want 7", got)
	}
	if d := Sub(Estimate{5, 3}, Estimate{2, 4}, Independent); d != (Estimate{3, 5}) {
		t.Errorf("Sub: %v", d)
	}
}

// Each kind flips its verdict exactly at its threshold.
func TestVerdicts(t *testing.T) {
	z := 2.0
	cases := []struct {
		c    Claim
		want Verdict
	}{
		{Agree("", Estimate{1.3, 0.1}, 1, 0.1, z), Supported},           // 0.3 ≤ 0.3
		{Agree("", Estimate{1.31, 0.1}, 1, 0.1, z), Contradicted},       // 0.31 > 0.3
		{Agree("", Estimate{0.69, 0.1}, 1, 0.1, z), Contradicted},       // two-sided
		{Effect("", Estimate{0.21, 0.1}, 0, z), Supported},              // 0.21 > 0.2
		{Effect("", Estimate{0.2, 0.1}, 0, z), NotShown},                // not > 0.2
		{Effect("", Estimate{-5, 0.1}, 0, z), NotShown},                 // wrong sign: not shown
		{NoEffect("", Estimate{0.21, 0.1}, 0, z), Contradicted},         // detected
		{NoEffect("", Estimate{0.19, 0.1}, 0, z), Supported},            // not detected
		{Exact("", 1+1e-10, 1, 1e-9), Supported},                        // rounding
		{Exact("", 1+1e-8, 1, 1e-9), Contradicted},                      // beyond rounding
		{Agree("", Estimate{math.NaN(), 0.1}, 1, 0.1, z), Contradicted}, // NaN never agrees
	}
	for i, c := range cases {
		if c.c.Verdict != c.want {
			t.Errorf("case %d: %v, want %v (%v)", i, c.c.Verdict, c.want, c.c)
		}
	}
	if All(Supported, NotShown) != NotShown || All(NotShown, Contradicted, Supported) != Contradicted || All() != None || All(Supported) != Supported {
		t.Error("All: wrong order")
	}
	if Of(false, false) != Contradicted || Of(true, false) != NotShown || Of(true, true) != Supported {
		t.Error("Of")
	}
}

// Curves finds the worst point and uses the Bonferroni z of its length.
func TestCurves(t *testing.T) {
	a := []Estimate{{0, 1}, {0, 1}, {0, 1}, {0, 1}}
	b := []Estimate{{1, 1}, {-3, 1}, {2, 1}, {0, 1}}
	c, at := Curves("", a, b, 0, Correlated)
	if at != 1 || c.Z != ZFor(4) || c.SE != 2 || c.Verdict != Supported {
		t.Errorf("worst %d, claim %+v", at, c)
	}
	b[2].Mean = 2*ZFor(4) + 0.01
	if c, at = Curves("", a, b, 0, Correlated); at != 2 || c.Verdict != Contradicted {
		t.Errorf("worst %d, claim %+v", at, c)
	}
}

func TestEstimateString(t *testing.T) {
	for _, c := range []struct {
		e    Estimate
		want string
	}{{Estimate{0.051234, 0.00081}, "0.05123 ± 0.00081"}, {Estimate{12.3456, 0.21}, "12.35 ± 0.21"}, {Estimate{3, 0}, "3"}} {
		if got := c.e.String(); got != c.want {
			t.Errorf("%v: %q, want %q", c.e, got, c.want)
		}
	}
}

// Mean and MeanSD on {1, 2, 3, 4}: mean 5/2, s² = 5/3 (n − 1 denominator),
// SE = s/√4; one value has no spread (NaN).
func TestMeanSD(t *testing.T) {
	x := []float64{1, 2, 3, 4}
	e := Mean(x)
	m, sd := MeanSD(x)
	if e.Mean != 2.5 || m != 2.5 || math.Abs(sd-math.Sqrt(5.0/3)) > 1e-15 || math.Abs(e.SE-math.Sqrt(5.0/3)/2) > 1e-15 {
		t.Errorf("Mean = %v, MeanSD = %v, %v", e, m, sd)
	}
	if m, sd := MeanSD([]float64{7}); m != 7 || !math.IsNaN(sd) || !math.IsNaN(Mean([]float64{7}).SE) {
		t.Errorf("one value: MeanSD = %v, %v; Mean = %v", m, sd, Mean([]float64{7}))
	}
}
