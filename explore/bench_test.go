package explore

import (
	"context"
	"testing"

	"github.com/smdlab/smd/experiment"
)

// BenchmarkDefaultView runs the page's default view (the embedded example,
// engine auto → reduced, 100 trials × 2·10⁴ steps) on one worker, as the
// browser does. Natively: go test ./explore -run '^$' -bench DefaultView.
// As WebAssembly under Node's V8 (Chromium's engine):
// GOOS=js GOARCH=wasm go test ./explore -run '^$' -bench DefaultView -exec "$(go env GOROOT)/lib/wasm/go_js_wasm_exec".
func BenchmarkDefaultView(b *testing.B) {
	_, c, err := Default().Config()
	if err != nil {
		b.Fatal(err)
	}
	var steps int64
	for b.Loop() {
		res, _, err := experiment.Run(context.Background(), c, experiment.Options{Workers: 1})
		if err != nil {
			b.Fatal(err)
		}
		steps += res.TrialSteps
	}
	b.ReportMetric(float64(steps)/b.Elapsed().Seconds(), "trial-steps/s")
}
