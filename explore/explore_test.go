package explore

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/smdlab/smd/experiment"
)

// The default view is the embedded example of `smd simulate`, engine auto.
func TestDefaultIsExample(t *testing.T) {
	y, got, err := Default().Config()
	if err != nil {
		t.Fatalf("%v\n%s", err, y)
	}
	want, err := experiment.Parse(experiment.ExampleYAML(), "example.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	want.Method = "auto"
	// Compared as resolved configs (what run.json records): the view's
	// YAML leaves record_every to its default, the example sets the same
	// value, which only SetSteps can tell apart.
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(want)
	if string(gj) != string(wj) {
		t.Errorf("default view's config\n%+v\nwant the example's\n%+v\nYAML:\n%s", got, want, y)
	}
}

// Query and ParseQuery round-trip, for the default and a changed view.
func TestQueryRoundTrip(t *testing.T) {
	s := Default()
	s2 := s
	s2.Lambda, s2.Init, s2.Norm, s2.F0, s2.Rescale, s2.Method, s2.Seed = 0.0025, "norm", 3.5, 0.2, false, "full", 1<<40
	for _, st := range []State{s, s2} {
		got, err := ParseQuery(st.Query())
		if err != nil || got != st {
			t.Errorf("ParseQuery(%q) = %+v, %v; want %+v", st.Query(), got, err, st)
		}
	}
	// Partial queries change only their keys; a leading ? is allowed.
	got, err := ParseQuery("?lambda=0.004&rescale=false")
	want := s
	want.Lambda, want.Rescale = 0.004, false
	if err != nil || got != want {
		t.Errorf("partial query: %+v, %v", got, err)
	}
}

// Bad queries and impossible states are one-line errors naming the key.
func TestErrorsNameTheKey(t *testing.T) {
	for q, key := range map[string]string{
		"x=1": "x", "eta=abc": "eta", "eta=NaN": "eta", "p=2.5": "p", "init=uniform": "init",
		"method=fast": "method", "rescale=maybe": "rescale", "seed=-1": "seed", "lambda=20": "lambda",
		"a2=0.5": "a2", "p=1": "p", "trials=0": "trials", "mu=1": "momentum", "decay_factor=-2": "schedule[0].lr_divide",
	} {
		s, err := ParseQuery(q)
		if err == nil {
			_, _, err = s.Config()
		}
		if err == nil || !strings.Contains(err.Error(), key+":") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v; want one line naming %q", q, err, key)
		}
	}
}

// The overlay holds package theory's values at the recorded steps, and no
// overlay (with a note) where the theory does not apply.
func TestOverlay(t *testing.T) {
	_, c, err := Default().Config()
	if err != nil {
		t.Fatal(err)
	}
	steps, err := RecordSteps(c)
	if err != nil || len(steps) != 201 || steps[200] != 20000 {
		t.Fatalf("RecordSteps: %d steps, %v", len(steps), err)
	}
	o := Overlay(c, steps)
	if o.Note != "" {
		t.Fatal(o.Note)
	}
	for _, a := range [][]float64{o.RiskLimit, o.LossLimit, o.AUPath, o.AULimit, o.NormPath, o.NormLimit, o.RiskAdiabatic} {
		if len(a) != len(steps) {
			t.Fatalf("overlay length %d, want %d", len(a), len(steps))
		}
	}
	// Before and after the decay η/10 at 10⁴ (λ = 10⁻³, p = 100, σ = 1).
	for i, eta := range map[int]float64{0: 0.1, 200: 0.01} {
		if au := math.Sqrt(2 * 1e-3 * eta); math.Abs(o.AULimit[i]-au) > 1e-15 {
			t.Errorf("AU limit at step %d: %v, want √(2λη) = %v", steps[i], o.AULimit[i], au)
		}
		if n := math.Pow(eta*99/(2e-3), 0.25); math.Abs(o.NormLimit[i]-n) > 1e-12*n {
			t.Errorf("norm limit at step %d: %v, want (η(p−1)σ²/2λ)^¼ = %v", steps[i], o.NormLimit[i], n)
		}
	}
	s := Default()
	s.Momentum = 0.5
	_, cm, err := s.Config()
	if err != nil {
		t.Fatal(err)
	}
	if om := Overlay(cm, steps); om.Note == "" || om.AUPath != nil {
		t.Errorf("momentum 0.5: overlay %+v, want none with a note", om)
	}
}

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
