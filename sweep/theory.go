package sweep

import (
	"math"
	"strings"

	"github.com/smdlab/smd/experiment"
	"github.com/smdlab/smd/internal/stattest"
	"github.com/smdlab/smd/sim"
)

// zVerdict is the z of one verdict check: false-alarm probability
// stattest.Alpha = 10⁻⁵ per check (STYLE.md §7), z ≈ 4.42. A 1 000-point
// sweep makes 4 000 checks: ≈ 0.04 false "disagrees" expected.
var zVerdict = stattest.Z

// agrees is the verdict rule, |measured − theory| ≤ z·SE + bias, in one
// place so that it can be swapped for the project-wide claim engine.
func agrees(m, se, th, bias float64) bool {
	return math.Abs(m-th) <= zVerdict*se+bias
}

// predict fills the theory columns of r and returns the point's verdict.
// The predictions and bias bounds are those of `smd reproduce` for
// Figure 2 (cmd/smd/reproduce.go, limits): at the (η, λ) of the last
// phase, Theorem 2's stationary risk r* and loss (corrected κ), Lemma 1's
// √(2λη), the discrete equilibrium norm (eq 3 with the stationary
// E‖PAX̃‖²) and the stationary tail ε* (eq 27). Each bias bound is the
// discrete-vs-SDE correction, r*(λη + q) with q = E‖PAX̃‖²/(2(p − 1)σ²),
// plus how far the eq 17 path still is from equilibrium inside the window
// (the adiabatic risk, AU and norm along it). th_dip is r* minus the
// minimum of the adiabatic risk after the last event: the dip the
// frozen-norm picture predicts (no verdict; the real risk lags it).
func predict(r *Row, c *experiment.Config, rows []sim.Row) string {
	switch {
	case c.Model != "nrq":
		return "no theory: model " + c.Model
	case c.Momentum != 0:
		return "no theory: momentum ≠ 0"
	case c.Sigma == nil || *c.Sigma <= 0:
		return "no theory: needs sigma > 0"
	case len(c.Spectrum) != 2 || c.Multiplicity[0] != 1:
		return "no theory: Theorem 2 needs spectrum [a_l, a_h] with a_l simple"
	}
	tp, err := c.TheoryParams(c.Steps)
	if err != nil {
		return "no theory: " + err.Error()
	}
	steps := make([]int, len(rows))
	for i, x := range rows {
		steps[i] = x.Step
	}
	ov, err := c.Theory(steps)
	if err != nil {
		return "no theory: " + err.Error()
	}
	grad2, err := tp.StationaryGrad2()
	if err != nil {
		return "no theory: " + err.Error()
	}
	le := tp.Lambda * tp.Eta
	q := grad2 / (2 * float64(tp.P-1) * tp.Sigma * tp.Sigma)
	last := len(steps) - 1
	rStar, lStar, aStar := ov.RiskLimit[last], ov.LossLimit[last], ov.AULimit[last]
	from := int(r.Value("window_from"))
	var trR, trA, trN float64
	for i, n := range steps {
		if n < from {
			continue
		}
		trR = math.Max(trR, math.Abs(ov.Adiabatic[i]-rStar))
		trA = math.Max(trA, math.Abs(ov.AUPath[i]-aStar))
		trN = math.Max(trN, math.Abs(ov.NormPath[i]-tp.NormLimit()))
	}
	biasR := rStar*(le+q) + trR
	nth := tp.DiscreteNormLimit(grad2)
	checks := []struct {
		col      string
		th, bias float64
	}{
		{"risk", rStar, biasR},
		{"loss", lStar, (tp.AP() - tp.A1()) / 2 * biasR},
		{"au_rms", aStar, aStar*(le+q) + trA},
		{"norm", nth, nth*le + trN},
	}
	var bad []string
	for _, k := range checks {
		r.set("th_"+k.col, k.th)
		r.set("th_"+k.col+"_bias", k.bias)
		if !agrees(r.Value(k.col), r.Value(k.col+"_se"), k.th, k.bias) {
			bad = append(bad, k.col)
		}
	}
	if tail, err := tp.StationaryTail(c.TailXi); err == nil {
		r.set("th_tail", tail)
	}
	if d := lastEvent(c); d >= 0 {
		mn := math.Inf(1)
		for i, n := range steps {
			if n >= d {
				mn = math.Min(mn, ov.Adiabatic[i])
			}
		}
		r.set("th_dip", rStar-mn)
	}
	if len(bad) > 0 {
		return "disagrees: " + strings.Join(bad, " ")
	}
	return "agrees"
}
