package sim_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/smdlab/smd/nrq"
	"github.com/smdlab/smd/sim"
)

// BenchmarkReduced runs an ensemble of the reduced chain on all cores
// (GOMAXPROCS; use -cpu 2 for the 2-core figure) for the two-valued
// spectrum of Theorem 2 (a₁ = 1 once, a₂ = 2 p − 1 times), σ = 1, at
// p = 10, 10³, 10⁶: 1000 trials × 1000 steps, recording every 100. The
// cost per step does not depend on p. Reports trial-steps/s.
func BenchmarkReduced(b *testing.B) {
	for _, p := range []int{10, 1000, 1_000_000} {
		b.Run(fmt.Sprintf("p=%d", p), func(b *testing.B) {
			m := redModel(b, nrq.NRQ, nrq.Noise{Sigma: 1}, []float64{1, 2}, []int{1, p - 1})
			c := &sim.Config{Model: m, Eta: 0.1, Lambda: 1e-3, Init: sim.Init{Norm: 1, F0: 0.5},
				Steps: 999, Trials: 1000, RecordEvery: 100, Xi: 0.9, Seed: 1}
			b.ReportAllocs()
			var steps int64
			for b.Loop() {
				res, err := sim.Reduced{}.Run(context.Background(), c)
				if err != nil {
					b.Fatal(err)
				}
				steps += res.TrialSteps
			}
			b.ReportMetric(float64(steps)/b.Elapsed().Seconds(), "trial-steps/s")
		})
	}
}
