package claim

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Alpha is the two-sided false-alarm probability allowed to one check.
const Alpha = 1e-5

// Z is the z threshold of one check: Φ⁻¹(1 − Alpha/2) ≈ 4.42.
var Z = ZFor(1)

// ZFor returns the z threshold of each of k checks that share Alpha
// (Bonferroni): Φ⁻¹(1 − Alpha/(2k)). ZFor(1) = Z; k < 1 is treated as 1.
func ZFor(k int) float64 { return ZAlpha(Alpha, k) }

// ZAlpha returns the Bonferroni z threshold for k checks sharing the
// two-sided false-alarm probability alpha: Φ⁻¹(1 − alpha/(2k)). Use ZFor
// unless a test documents its own budget.
func ZAlpha(alpha float64, k int) float64 {
	return distuv.UnitNormal.Quantile(1 - alpha/(2*float64(max(k, 1))))
}

// Verdict is the outcome of a claim. The zero value is None (an
// illustration: nothing was checked).
type Verdict int

const (
	None Verdict = iota
	Supported
	NotShown
	Contradicted
)

// String returns "supported", "not shown", "contradicted" or "" for None.
func (v Verdict) String() string {
	switch v {
	case Supported:
		return "supported"
	case NotShown:
		return "not shown"
	case Contradicted:
		return "contradicted"
	}
	return ""
}

// Of returns Contradicted when !ok (the measurement disagrees with the
// claim), NotShown when ok but !shown (an effect the claim predicts was not
// detected), else Supported.
func Of(ok, shown bool) Verdict {
	switch {
	case !ok:
		return Contradicted
	case !shown:
		return NotShown
	}
	return Supported
}

// All returns the worst of vs: Contradicted if any is, else NotShown if any
// is, else Supported if any is, else None.
func All(vs ...Verdict) Verdict {
	w := None
	for _, v := range vs {
		w = max(w, v)
	}
	return w
}

// Estimate is a measured value and its standard error.
type Estimate struct{ Mean, SE float64 }

// String formats m ± se to two significant digits of se (m alone when se
// is zero or NaN).
func (e Estimate) String() string {
	if e.SE <= 0 || math.IsNaN(e.SE) {
		return fmt.Sprintf("%.4g", e.Mean)
	}
	d := max(0, 1-int(math.Floor(math.Log10(e.SE))))
	return fmt.Sprintf("%.*f ± %.*f", d, e.Mean, d, e.SE)
}

// Mean returns the mean of x and its standard error s/√n, s the sample
// standard deviation (n − 1 denominator); SE is NaN for fewer than two
// values.
func Mean(x []float64) Estimate {
	m, ss := moments(x)
	n := float64(len(x))
	if len(x) < 2 {
		return Estimate{m, math.NaN()}
	}
	return Estimate{m, math.Sqrt(ss / (n - 1) / n)}
}

// MeanSD returns the mean of x and its sample standard deviation (n − 1
// denominator; NaN for fewer than two values).
func MeanSD(x []float64) (mean, sd float64) {
	m, ss := moments(x)
	if len(x) < 2 {
		return m, math.NaN()
	}
	return m, math.Sqrt(ss / float64(len(x)-1))
}

// moments returns the mean of x and the sum of squared deviations from it
// (two passes, in index order).
func moments(x []float64) (mean, ss float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	return mean, ss
}

// Dependence says how estimates combined by CombineSE relate.
type Dependence int

const (
	// Correlated: the same run or seed, or unknown; the SEs add.
	Correlated Dependence = iota
	// Independent: different seeds; the SEs add in quadrature.
	Independent
)

// CombineSE returns the SE of a sum or difference of estimates with the
// given SEs: √(Σ SEᵢ²) if Independent, else Σ SEᵢ (a bound whatever the
// correlation).
func CombineSE(d Dependence, se ...float64) float64 {
	s := 0.0
	for _, x := range se {
		if d == Independent {
			s = math.Hypot(s, x)
		} else {
			s += x
		}
	}
	return s
}

// Sub returns a − b with the SE of CombineSE(d, a.SE, b.SE).
func Sub(a, b Estimate, d Dependence) Estimate {
	return Estimate{Mean: a.Mean - b.Mean, SE: CombineSE(d, a.SE, b.SE)}
}

// Kind is the test a Claim applies.
type Kind int

const (
	// KindAgree: |Measured − Predicted| ≤ Z·SE + Bound (Agree, Curves).
	KindAgree Kind = iota
	// KindEffect: an effect Measured ± SE claimed present: Measured > Z·SE + Bound.
	KindEffect
	// KindNoEffect: the effect claimed absent.
	KindNoEffect
	// KindExact: equal to rounding, |Measured − Predicted| ≤ Bound.
	KindExact
)

// Claim is one checked statement: a measurement ± SE against a prediction
// with a bias bound, under threshold Z, by the test Kind. Build it with
// Agree, Effect, NoEffect, Exact or Curves, which set Verdict.
type Claim struct {
	Kind      Kind
	Panel     string // where it is shown: a figure panel ("fig2a"), a verify case
	Statement string // what is claimed, e.g. "limiting risk"
	Measured  float64
	SE        float64
	Predicted float64
	Bound     float64 // documented bias bound (Agree), rounding bound (Exact)
	Z         float64 // threshold multiplying SE
	Verdict   Verdict
}

// Dev returns |Measured − Predicted|.
func (c Claim) Dev() float64 { return math.Abs(c.Measured - c.Predicted) }

// Tolerance returns Z·SE + Bound.
func (c Claim) Tolerance() float64 { return c.Z*c.SE + c.Bound }

// OK reports whether the claim is not contradicted.
func (c Claim) OK() bool { return c.Verdict != Contradicted }

// Agree claims that m estimates predicted up to the bias bound: Supported
// when |m.Mean − predicted| ≤ z·m.SE + bound, else Contradicted.
func Agree(statement string, m Estimate, predicted, bound, z float64) Claim {
	c := Claim{Statement: statement, Measured: m.Mean, SE: m.SE, Predicted: predicted, Bound: bound, Z: z}
	c.Verdict = Of(c.Dev() <= c.Tolerance(), true)
	return c
}

// Effect claims that an effect of size d (d.Mean > 0 in the claimed
// direction, e.g. a dip below a limit) is present: Supported when
// d.Mean > z·d.SE + bound, else NotShown (not detected at this sample size;
// no evidence against the claim).
func Effect(statement string, d Estimate, bound, z float64) Claim {
	c := Claim{Kind: KindEffect, Statement: statement, Measured: d.Mean, SE: d.SE, Bound: bound, Z: z}
	c.Verdict = Of(true, c.Detected())
	return c
}

// NoEffect claims that the effect d is absent: Contradicted when it is
// detected (d.Mean > z·d.SE + bound), else Supported.
func NoEffect(statement string, d Estimate, bound, z float64) Claim {
	c := Claim{Kind: KindNoEffect, Statement: statement, Measured: d.Mean, SE: d.SE, Bound: bound, Z: z}
	c.Verdict = Of(!c.Detected(), true)
	return c
}

// Detected reports whether Measured > Z·SE + Bound (the effect test of
// Effect and NoEffect).
func (c Claim) Detected() bool { return c.Measured > c.Tolerance() }

// Exact claims that measured equals predicted to rounding: Supported when
// |measured − predicted| ≤ rounding, else Contradicted.
func Exact(statement string, measured, predicted, rounding float64) Claim {
	c := Claim{Kind: KindExact, Statement: statement, Measured: measured, Predicted: predicted, Bound: rounding}
	c.Verdict = Of(c.Dev() <= rounding, true)
	return c
}

// Curves claims that two curves, estimated at the same n points, are equal:
// each pointwise difference must agree with 0 within ZFor(n)·SE + bound, SE
// combined by d. The returned claim describes the worst point (largest
// |Δ|/(z·SE + bound)) and its index.
func Curves(statement string, a, b []Estimate, bound float64, d Dependence) (Claim, int) {
	if len(a) != len(b) {
		panic("claim: Curves: curves of different lengths")
	}
	z := ZFor(len(a))
	var worst Claim
	at, score := -1, math.Inf(-1)
	for i := range a {
		c := Agree(statement, Sub(a[i], b[i], d), 0, bound, z)
		if s := c.Dev() / c.Tolerance(); s > score || (math.IsNaN(s) && at < 0) {
			worst, at, score = c, i, s
		}
	}
	worst.Verdict = Of(score <= 1, true)
	return worst, at
}

// String states the claim with its numbers and verdict, e.g.
//
//	limiting risk 0.05120 ± 0.00080 vs 0.0509: |Δ| = 0.0003, z·SE + bound = 0.0041 (z = 4.42): supported
func (c Claim) String() string {
	m := Estimate{c.Measured, c.SE}
	switch c.Kind {
	case KindExact:
		return fmt.Sprintf("%s %.4g vs %.4g: |Δ| = %.2g, rounding bound %.2g: %s", c.Statement, c.Measured, c.Predicted, c.Dev(), c.Bound, c.Verdict)
	case KindEffect, KindNoEffect:
		return fmt.Sprintf("%s %s, detected if > z·SE + bound = %.2g (z = %.2f): detected %v: %s", c.Statement, m, c.Tolerance(), c.Z, c.Detected(), c.Verdict)
	}
	return fmt.Sprintf("%s %s vs %.4g: |Δ| = %.2g, z·SE + bound = %.2g (z = %.2f): %s", c.Statement, m, c.Predicted, c.Dev(), c.Tolerance(), c.Z, c.Verdict)
}
