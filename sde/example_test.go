package sde_test

import (
	"context"
	"fmt"
	"math"

	"github.com/smdlab/smd/claim"
	"github.com/smdlab/smd/nrq"
	"github.com/smdlab/smd/sde"
	"github.com/smdlab/smd/sim"
	"github.com/smdlab/smd/theory"
)

// twoLevel returns Theorem 2's model: a₁ = 1 once, a₂ = 2 p − 1 times, σ = 1.
func twoLevel(p int) *nrq.Model {
	m, err := nrq.NewTwoLevel(1, p-1, 1, 2, 1)
	if err != nil {
		panic(err)
	}
	return m
}

// The Fokker–Planck engine relaxes to Theorem 2's stationary law: its risk
// after 2·10⁴ steps equals the corrected closed form (theory.StationaryRisk)
// to the digits shown, with no Monte Carlo error.
func ExampleFokkerPlanck() {
	const p, eta, lambda = 100, 0.1, 1e-3
	norm0 := math.Pow(eta*(p-1)/(2*lambda), 0.25) // the SDE's ‖X∞‖
	c := &sim.Config{Model: twoLevel(p), Eta: eta, Lambda: lambda, Init: sim.Init{Norm: norm0, F0: 0.01},
		Steps: 40000, Trials: 1, RecordEvery: 20000, Xi: 0.9}
	res, err := sde.FokkerPlanck{Stride: 4}.Run(context.Background(), c)
	if err != nil {
		panic(err)
	}
	tp := theory.Params{P: p, Eta: eta, Lambda: lambda, Sigma: 1, A: theory.TwoLevel(p, 1, 2)}
	rStar, _ := tp.StationaryRisk()
	for _, r := range res.Rows {
		fmt.Printf("t = %5d  risk %.6f  AU %.6f\n", r.Step, r.Risk, r.AURMS)
	}
	fmt.Printf("Theorem 2: r* = %.6f, √(2λη) = %.6f\n", rStar, tp.AULimit())
	// Output:
	// t =     0  risk 0.990000  AU 0.014142
	// t = 20000  risk 0.070410  AU 0.014142
	// t = 40000  risk 0.070410  AU 0.014142
	// Theorem 2: r* = 0.070410, √(2λη) = 0.014142
}

// The exact reduced chain costs the same at p = 10⁶ as at p = 10: 100
// trials of 2·10⁴ steps of the discrete dynamics, against the reduced SDE
// (sde-reduced) on the same config; the two agree within z·SE (the O(λη)
// gap is below the SE here).
func Example_largeP() {
	const p, eta, lambda = 1_000_000, 0.1, 1e-3
	norm0 := math.Pow(eta*(p-1)/(2*lambda), 0.25)
	c := &sim.Config{Model: twoLevel(p), Eta: eta, Lambda: lambda, Init: sim.Init{Norm: norm0, F0: 0.5},
		Steps: 20000, Trials: 100, RecordEvery: 10000, Xi: 0.9, Seed: 1}
	disc, err := sim.Reduced{}.Run(context.Background(), c)
	if err != nil {
		panic(err)
	}
	cont, err := sde.Reduced{}.Run(context.Background(), c)
	if err != nil {
		panic(err)
	}
	for i, d := range disc.Rows {
		s := cont.Rows[i]
		ok := math.Abs(d.Risk-s.Risk) <= claim.Z*math.Hypot(d.RiskSE, s.RiskSE)+1e-12
		fmt.Printf("t = %5d  f: reduced %.5f ± %.5f, sde-reduced %.5f ± %.5f, agree %v\n", d.Step, 1-d.Risk, d.RiskSE, 1-s.Risk, s.RiskSE, ok)
	}
	// Output:
	// t =     0  f: reduced 0.50000 ± 0.00000, sde-reduced 0.50000 ± 0.00000, agree true
	// t = 10000  f: reduced 0.08411 ± 0.00005, sde-reduced 0.08411 ± 0.00006, agree true
	// t = 20000  f: reduced 0.01494 ± 0.00002, sde-reduced 0.01489 ± 0.00002, agree true
}
