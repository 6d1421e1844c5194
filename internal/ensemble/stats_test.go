package ensemble

import (
	"math"
	"testing"
)

type row = rowFields

// Aggregate on two samples: means, SEs s/√2 = |a − b|/2, 1 − E f for the
// risk, √(E Δ²) with its delta-method SE, and the tail indicator of Set.
func TestAggregate(t *testing.T) {
	var s [2]Sample
	s[0].Set(0.95, 1, 0.1, 2, 4, 0.9) // f ≥ ξ: not in the tail
	s[1].Set(0.85, 3, 0.3, 4, 16, 0.9)
	r := Aggregate[row](7, 0.1, 0.01, s[:])
	if r.Step != 7 || r.Eta != 0.1 || r.Lambda != 0.01 {
		t.Fatalf("step, η, λ = %d, %g, %g", r.Step, r.Eta, r.Lambda)
	}
	au2, au2SE := (0.01+0.09)/2, (0.09-0.01)/2
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"risk", r.Risk, 0.1}, {"risk_se", r.RiskSE, 0.05}, {"loss", r.Loss, 2}, {"loss_se", r.LossSE, 1},
		{"au", r.AU, 0.2}, {"au_se", r.AUSE, 0.1}, {"au_rms", r.AURMS, math.Sqrt(au2)}, {"au_rms_se", r.AURMSSE, au2SE / (2 * math.Sqrt(au2))},
		{"norm", r.Norm, 3}, {"norm_se", r.NormSE, 1}, {"norm_sq", r.NormSq, 10}, {"norm_sq_se", r.NormSqSE, 6},
		{"tail", r.Tail, 0.5}, {"tail_se", r.TailSE, 0.5},
	} {
		if math.Abs(c.got-c.want) > 1e-15*math.Max(1, math.Abs(c.want)) {
			t.Errorf("%s = %.17g, want %.17g", c.name, c.got, c.want)
		}
	}
	if r, f := Aggregate[row](0, 0, 0, s[:1]), s[0].F; !math.IsNaN(r.RiskSE) || r.Risk != 1-f {
		t.Errorf("one trial: risk %g ± %g, want 0.05 ± NaN", r.Risk, r.RiskSE)
	}
}
