package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// `smd theory` on heavy-ball momentum prints the norm recursion's slow
// exponent and period. When r² − b·r + μ = 0 (b = 1 + μ − 2ηλ, eq 12.1)
// has complex roots their product is μ, so the rate is ½ ln μ and the
// phase per step is atan2(√(μ − b²/4), b/2): an independent check of
// theory.HeavyBallNormRoots through the CLI.
func TestTheoryHeavyBallOscillator(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "hb.yaml")
	const eta, lambda, mu = 0.1, 0.5, 0.5
	if err := os.WriteFile(cfg, []byte(`model: nrq
spectrum: [1, 2]
multiplicity: [1, 99]
sigma: 1.0
eta: 0.1
lambda: 0.5
momentum: 0.5
init: {std: 0.1}
steps: 1000
trials: 10
`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "theory", "--config", cfg, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r optimReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	b := 1 + mu - 2*eta*lambda
	wantRate := 0.5 * math.Log(mu)
	wantPeriod := 2 * math.Pi / math.Atan2(math.Sqrt(mu-b*b/4), b/2)
	if r.NormRate == nil || r.NormPeriod == nil || r.KuninNormRate == nil || r.KuninPeriod == nil {
		t.Fatalf("missing oscillator fields: %s", out)
	}
	if math.Abs(*r.NormRate-wantRate) > 1e-12 || math.Abs(*r.NormPeriod-wantPeriod) > 1e-9 {
		t.Errorf("rate, period = %v, %v; want %v, %v", *r.NormRate, *r.NormPeriod, wantRate, wantPeriod)
	}
	// Kunin's continuous form (12.3): ((1+μ)/2)s² + (1−μ)s + 2ηλ = 0.
	a2, a1, a0 := (1+mu)/2, 1-mu, 2*eta*lambda
	if re := -a1 / (2 * a2); math.Abs(*r.KuninNormRate-re) > 1e-12 {
		t.Errorf("Kunin rate %v, want %v", *r.KuninNormRate, re)
	}
	if im := math.Sqrt(4*a2*a0-a1*a1) / (2 * a2); math.Abs(*r.KuninPeriod-2*math.Pi/im) > 1e-9 {
		t.Errorf("Kunin period %v, want %v", *r.KuninPeriod, 2*math.Pi/im)
	}
}
