package sim_test

import (
	"context"
	"fmt"

	"github.com/smdlab/smd/nrq"
	"github.com/smdlab/smd/sim"
	"github.com/smdlab/smd/theory"
)

// An ensemble of 200 trials of SGD with weight decay on Theorem 2's NRQ
// (p = 100, a₁ = 1 once, a₂ = 2, σ = 1), in equilibrium after 2·10⁴ steps:
// the risk and the angular update against Theorem 2 and Lemma 1. Knobs left
// at zero take their defaults (RecordEvery = Steps/200, Xi = 0.9).
func Example() {
	m, err := nrq.NewTwoLevel(1, 99, 1, 2, 1)
	if err != nil {
		panic(err)
	}
	c := &sim.Config{Model: m, Eta: 0.1, Lambda: 1e-3, Init: sim.Init{Std: 0.84}, Steps: 20000, Trials: 200, Seed: 1}
	res, err := sim.Auto{}.Run(context.Background(), c)
	if err != nil {
		panic(err)
	}
	last := res.Rows[len(res.Rows)-1]
	p := theory.Params{P: 100, Eta: c.Eta, Lambda: c.Lambda, Sigma: 1, A: theory.TwoLevel(100, 1, 2)}
	r, _ := p.StationaryRisk()
	fmt.Printf("%d rows; at t = %d:\n", len(res.Rows), last.Step)
	fmt.Printf("risk %.3f ± %.3f (Theorem 2: %.3f)\n", last.Risk, last.RiskSE, r)
	fmt.Printf("AU   %.4f ± %.4f (Lemma 1: %.4f)\n", last.AURMS, last.AURMSSE, p.AULimit())
	// Output:
	// 201 rows; at t = 20000:
	// risk 0.069 ± 0.001 (Theorem 2: 0.070)
	// AU   0.0143 ± 0.0001 (Lemma 1: 0.0141)
}
