package sde

import (
	"flag"
	"fmt"
	"math"
	"testing"

	"github.com/smdlab/smd/sim"
)

var gaps = flag.Bool("gaps", false, "print the measured gaps between the discrete dynamics and the SDE engines (docs/engines.md §5)")

// TestEngineGaps prints, with -gaps, the gaps between the discrete
// dynamics (sim.Reduced, exact in law, 40 000 trials) and fokker-planck,
// sde-reduced for the configurations of docs/engines.md §5:
//
//	go test ./sde -run EngineGaps -gaps -v
func TestEngineGaps(t *testing.T) {
	if !*gaps {
		t.Skip("measurement for docs/engines.md; run with -gaps")
	}
	for _, tc := range []struct {
		name          string
		p             int
		eta, lambda   float64
		steps, record int
		sched         []sim.Event
	}{
		{"p100-le1e-4", 100, 0.1, 1e-3, 4000, 500, nil},
		{"p100-le1e-3", 100, 0.1, 1e-2, 2000, 250, nil},
		{"p10-le5e-3", 10, 0.5, 1e-2, 2000, 250, nil},
		{"p100-decay", 100, 0.1, 1e-2, 3000, 500, []sim.Event{{Step: 1500, LRDivide: 10}}},
		{"p100-decay-rescale", 100, 0.1, 1e-2, 3000, 500, []sim.Event{{Step: 1500, LRDivide: 10, Rescale: true}}},
	} {
		m := twoLevelModel(t, 1, tc.p-1, 1, 2, 1)
		sInf := math.Sqrt(tc.eta * float64(tc.p-1) / (2 * tc.lambda))
		c := &sim.Config{Model: m, Eta: tc.eta, Lambda: tc.lambda, Init: sim.Init{Norm: math.Sqrt(sInf), F0: 0.01},
			Steps: tc.steps, Trials: 40000, RecordEvery: tc.record, Xi: 0.9, Seed: 5, Schedule: tc.sched}
		d := run(t, sim.Reduced{}, c)
		f := run(t, FokkerPlanck{}, c)
		s := run(t, Reduced{}, c)
		fmt.Printf("%s (p = %d, η = %g, λ = %g, λη = %g, gap bound %.4f)\n", tc.name, tc.p, tc.eta, tc.lambda, tc.eta*tc.lambda, discretisationGap(c))
		fmt.Println("| step | risk discrete | risk FP | Δ/SE | risk sde-reduced | √EΔ² discrete | Δ_t (Lemma 1) | ‖X‖² discrete | ‖X‖² SDE | rel. gap |")
		fmt.Println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
		for i, r := range d.Rows {
			a, b := f.Rows[i], s.Rows[i]
			z := "—"
			if r.RiskSE > 1e-12 {
				z = fmt.Sprintf("%+.1f", (r.Risk-a.Risk)/r.RiskSE)
			}
			fmt.Printf("| %d | %.5f ± %.5f | %.5f | %s | %.5f ± %.5f | %.5f | %.5f | %.3f | %.3f | %+.2g |\n", r.Step, r.Risk, r.RiskSE, a.Risk,
				z, b.Risk, b.RiskSE, r.AURMS, a.AURMS, r.NormSq, a.NormSq, r.NormSq/a.NormSq-1)
		}
	}
}
