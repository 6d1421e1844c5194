package sim

import (
	"context"
	"fmt"
	"testing"

	"github.com/smdlab/smd/nrq"
)

// BenchmarkOptimizerFused runs AdamW and Lion on verify's optimizer
// setting (A = I, σ = 1, p = 100 and 1000; 10 trials, 2000 steps, one
// worker) with the two-pass step (fused) and with the five-pass one, so
// that the ratio comes from one run:
//
//	go test ./sim -run '^$' -bench OptimizerFused -cpu 1
func BenchmarkOptimizerFused(b *testing.B) {
	defer func() { fuseOpt = true }()
	for _, o := range []Config{
		{Optimizer: OptAdamW, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8},
		{Optimizer: OptLion, Beta1: 0.9, Beta2: 0.99},
	} {
		for _, p := range []int{100, 1000} {
			for _, fused := range []bool{true, false} {
				b.Run(fmt.Sprintf("%s/p=%d/fused=%v", o.Optimizer, p, fused), func(b *testing.B) {
					c := o
					c.Model, c.Eta, c.Lambda, c.Init = mustDiag(b, nrq.NRQ, ones(p), 1), 0.01, 0.1, Init{Std: 1}
					c.Steps, c.Trials, c.RecordEvery, c.Xi, c.Seed, c.Workers = 2000, 10, 2000, 0.9, 1, 1
					fuseOpt = fused
					b.ReportAllocs()
					for b.Loop() {
						if _, err := (Full{}).Run(context.Background(), &c); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(p*c.Trials*(c.Steps+1))*float64(b.N)/b.Elapsed().Seconds(), "coord-updates/s")
				})
			}
		}
	}
}

func ones(p int) []float64 {
	a := make([]float64, p)
	for i := range a {
		a[i] = 1
	}
	return a
}
