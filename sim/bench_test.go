package sim

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/smdlab/smd/nrq"
)

// spectrum12 is the contract's example: a₁ = 1 once, a₂ = 2 with
// multiplicity p − 1.
func spectrum12(p int) []float64 {
	a := make([]float64, p)
	for i := range a {
		a[i] = 2
	}
	a[0] = 1
	return a
}

func mustDiag(tb testing.TB, kind nrq.Kind, a []float64, sigma float64) *nrq.Model {
	tb.Helper()
	m, err := nrq.NewDiagonal(kind, a, nrq.Noise{Sigma: sigma})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// BenchmarkStepDiagNRQ times one step of the O(p) path for one trial,
// p = 100; coord-updates/s = p / (ns/op) · 1e9.
func BenchmarkStepDiagNRQ(b *testing.B) {
	const p = 100
	m := mustDiag(b, nrq.NRQ, spectrum12(p), 1)
	c := &Config{Model: m, Eta: 0.1, Lambda: 1e-3, Init: Init{Std: 0.84}, Steps: 1, Trials: 1, RecordEvery: 1, Xi: 0.9}
	t := &trial{x: make([]float64, p)}
	sc := newScratch(p)
	t.rnd.Seed(1, 0)
	initTrial(m, c.Init, t, sc)
	t.eta, t.lambda = c.Eta, c.Lambda
	e := stepper{m: m, xi: 0.9}
	e.prepare()
	b.ReportAllocs()
	b.ResetTimer()
	t.rnd.FillNorm(sc.z)
	sA, sN := sums(t.x, e.a, e.sw, sc.z)
	for b.Loop() {
		sA, sN, _ = e.stepDiagNRQ(t, sc.z, sA, sN, nil, true)
	}
	b.ReportMetric(float64(p)*float64(b.N)/b.Elapsed().Seconds(), "coord-updates/s")
}

// BenchmarkSimulate runs a whole ensemble on all cores: p = 100, 100
// trials, 1000 steps, recording every 100.
func BenchmarkSimulate(b *testing.B) {
	const p, trials, steps = 100, 100, 1000
	m := mustDiag(b, nrq.NRQ, spectrum12(p), 1)
	c := &Config{Model: m, Eta: 0.1, Lambda: 1e-3, Init: Init{Std: 0.84}, Steps: steps - 1, Trials: trials, RecordEvery: 100, Xi: 0.9, Seed: 1}
	benchFull(b, c)
}

// benchFull runs Full on c once per op and reports coordinate updates per
// second (wall) and allocations.
func benchFull(b *testing.B, c *Config) {
	b.ReportAllocs()
	var updates int64
	for b.Loop() {
		res, err := Full{}.Run(context.Background(), c)
		if err != nil {
			b.Fatal(err)
		}
		updates += res.CoordinateUpdates
	}
	b.ReportMetric(float64(updates)/b.Elapsed().Seconds(), "coord-updates/s")
}

// BenchmarkFullOneCore is the `full` engine on one worker for the
// speed-of-light comparison (bench/sol.sh runs the same update against the
// C reference): the two-valued spectrum, σ = 1, 100 trials, 10⁷
// coordinate updates per op, p = 10 … 10⁴, recording only at the ends.
func BenchmarkFullOneCore(b *testing.B) {
	for _, p := range []int{10, 100, 1000, 10000} {
		b.Run(fmt.Sprintf("p=%d", p), func(b *testing.B) {
			const trials = 100
			steps := 10_000_000 / (p * trials)
			m := mustDiag(b, nrq.NRQ, spectrum12(p), 1)
			std := math.Sqrt(math.Sqrt(float64(p-1)*0.1/2e-3) / float64(p))
			c := &Config{Model: m, Eta: 0.1, Lambda: 1e-3, Init: Init{Std: std}, Steps: steps - 1, Trials: trials,
				RecordEvery: steps - 1, Xi: 0.9, Seed: 1, Workers: 1}
			benchFull(b, c)
		})
	}
}
