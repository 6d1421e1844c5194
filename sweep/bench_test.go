package sweep

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/smdlab/smd/experiment"
)

// benchSweep is a sweep of n reduced points of trials × steps each.
func benchSweep(b *testing.B, n, trials, steps int) *Sweep {
	var lam []string
	for i := range n {
		lam = append(lam, fmt.Sprint(0.001+1e-6*float64(i)))
	}
	src := fmt.Sprintf(`base: {spectrum: [1, 2], multiplicity: [1, 99], sigma: 1, eta: 0.1, lambda: 0.001,
       init: {std: 0.84}, steps: %d, trials: %d, method: reduced}
grid: {lambda: [%s]}
`, steps, trials, strings.Join(lam, ", "))
	sw, err := Parse([]byte(src), "bench.yaml", "")
	if err != nil {
		b.Fatal(err)
	}
	return sw
}

// BenchmarkSweep runs the same points through sweep.Run (files written,
// progress, sharding bookkeeping) and through experiment.Run alone, both on
// 2 workers, and reports trial-steps per CPU-second (user + system, all
// threads) of each and the sweep's CPU overhead.
// "point" sizes: the 1000 trials × 2·10⁴ steps, and a small
// 100 × 2000 where the fixed cost per point shows.
//
//	go test ./sweep -run '^$' -bench Sweep -benchtime 1x
func BenchmarkSweep(b *testing.B) {
	for _, sz := range []struct{ n, trials, steps int }{{8, 1000, 20000}, {200, 100, 2000}} {
		b.Run(fmt.Sprintf("points=%d/trials=%d/steps=%d", sz.n, sz.trials, sz.steps), func(b *testing.B) {
			sw := benchSweep(b, sz.n, sz.trials, sz.steps)
			work := float64(sz.n * sz.trials * sz.steps)
			var tSweep, tDirect float64
			for b.Loop() {
				dir := b.TempDir()
				st := cpuSeconds()
				if _, err := Run(context.Background(), sw, dir, Options{Workers: 2}); err != nil {
					b.Fatal(err)
				}
				tSweep += cpuSeconds() - st
				st = cpuSeconds()
				for _, p := range sw.Points {
					if _, _, err := experiment.Run(context.Background(), p.Config, experiment.Options{Workers: 2}); err != nil {
						b.Fatal(err)
					}
				}
				tDirect += cpuSeconds() - st
			}
			b.ReportMetric(work*float64(b.N)/tSweep, "sweep-trial-steps/cpu-s")
			b.ReportMetric(work*float64(b.N)/tDirect, "direct-trial-steps/cpu-s")
			b.ReportMetric(100*(tSweep/tDirect-1), "cpu-overhead-%")
		})
	}
}
