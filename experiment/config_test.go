package experiment

import (
	"context"
	"errors"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/smdlab/smd/sim"
)

// The same A and Σ̃ written three ways — spectrum+multiplicity with sigma,
// diagonal with noise_var, and dense CSV files — give the same
// trajectories (the dense path through Cholesky of σ²I draws the same
// numbers; agreement to rounding).
func TestThreeWaysToWriteA(t *testing.T) {
	var ref []float64
	for _, name := range []string{"testdata/spectrum.yaml", "testdata/diag.yaml", "testdata/dense.yaml"} {
		c, err := Load(name)
		if err != nil {
			t.Fatal(err)
		}
		res, _, err := Run(context.Background(), c, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var risk []float64
		for _, r := range res.Rows {
			risk = append(risk, r.Risk, r.AU, r.Norm)
		}
		if ref == nil {
			ref = risk
			continue
		}
		for i := range risk {
			if math.Abs(risk[i]-ref[i]) > 1e-9*math.Max(1, math.Abs(ref[i])) {
				t.Fatalf("%s: value %d = %v, spectrum.yaml gives %v", name, i, risk[i], ref[i])
			}
		}
	}
}

// Defaults apply only to absent keys; physics keys have none.
func TestDefaults(t *testing.T) {
	c, err := Parse([]byte("spectrum: [1, 2]\nsigma: 1\neta: 0.1\nlambda: 0\ninit: {std: 1}\nsteps: 1000\n"), "x", "")
	if err != nil {
		t.Fatal(err)
	}
	if c.Model != "nrq" || c.Trials != 100 || c.RecordEvery != 5 || c.Seed != 1 || c.TailXi != 0.9 ||
		len(c.Multiplicity) != 2 || c.Multiplicity[0] != 1 || *c.Lambda != 0 {
		t.Errorf("defaults: %+v", c)
	}
	_, err = Parse([]byte("spectrum: [1, 2]\nsigma: 1\neta: 0.1\nlambda: 0\ninit: {std: 1}\nsteps: 1000\nrecord_every: 0\n"), "x", "")
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "record_every" || !errors.Is(err, ErrConfig) {
		t.Errorf("record_every: 0 given explicitly: got %v, want a record_every error", err)
	}
}

// A spectrum config with p = 10⁹ and method auto loads and runs the reduced
// chain in the memory p = 10 takes: the multiplicity list is never
// expanded (an expanded diagonal alone would be 8·10⁹ bytes).
func TestHugeMultiplicityIsNotExpanded(t *testing.T) {
	bytes := func(m2 string) uint64 {
		yml := "model: nrq\nspectrum: [1, 2]\nmultiplicity: [1, " + m2 + "]\nsigma: 1\neta: 0.1\nlambda: 0.001\n" +
			"init: {norm: 1, f0: 0.5}\nsteps: 100\ntrials: 8\nrecord_every: 10\n"
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		c, err := Parse([]byte(yml), "huge.yaml", "")
		if err != nil {
			t.Fatal(err)
		}
		res, _, err := Run(context.Background(), c, Options{})
		if err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		if res.CoordinateUpdates == 0 {
			t.Fatal("no updates")
		}
		return after.TotalAlloc - before.TotalAlloc
	}
	small, huge := bytes("9"), bytes("999999999")
	t.Logf("bytes allocated: p = 10: %d, p = 10⁹: %d", small, huge)
	if huge > small+1<<20 {
		t.Errorf("p = 10⁹ allocated %d bytes, p = 10 %d: the spectrum was expanded", huge, small)
	}
}

// Integer keys take whole numbers only: an exact float such as 1e4 is that
// integer; fractions and null are errors naming the line and the field
// (yaml.v3 alone truncates 100.7 to 100 and decodes null as 0).
func TestIntegerKeys(t *testing.T) {
	const base = "spectrum: [1, 2]\nsigma: 1\neta: 0.1\nlambda: 0\ninit: {std: 1}\n"
	c, err := Parse([]byte(base+"steps: 1e4\nmultiplicity: [1, 2.0]\nseed: 12_345\n"), "x.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	if c.Steps != 10000 || c.Multiplicity[1] != 2 || c.Seed != 12345 {
		t.Errorf("steps %d, multiplicity %v, seed %d; want 10000, [1 2], 12345", c.Steps, c.Multiplicity, c.Seed)
	}
	for in, want := range map[string]string{
		"steps: 100.7\n":                     "x.yaml:6: steps: want a whole number",
		"steps: 100\ntrials: 2.5\n":          "x.yaml:7: trials: want a whole number",
		"steps: 10\nmultiplicity: [1, 2.9]":  "x.yaml:7: multiplicity[1]: want a whole number",
		"steps: 10\nseed: -1\n":              "x.yaml:7: seed: want a non-negative whole number",
		"steps: 10\nseed: 1e300\n":           "x.yaml:7: seed: whole number \"1e300\" is out of range",
		"steps: 10\nseed: -.inf\n":           "x.yaml:7: seed: want a whole number",
		"steps: 10\ntrials: null\n":          "x.yaml:7: trials: value is null",
		"steps: 10\nrecord_every: ~\n":       "x.yaml:7: record_every: value is null",
		"steps: 10\nschedule: [{step: 1.5}]": "x.yaml:7: schedule[0].step: want a whole number",
	} {
		_, err := Parse([]byte(base+in), "x.yaml", "")
		if err == nil || !strings.HasPrefix(err.Error(), want) || !errors.Is(err, ErrConfig) {
			t.Errorf("%q: error %v, want prefix %q", in, err, want)
		}
	}
}

// Every engine reports a blow-up as a *sim.DivergenceError naming the step
// (and the trial, where there is one) instead of returning NaN/Inf rows:
// a huge η with λ = 0 (η²σ²(p−1)/M overflows), an initial norm whose
// square overflows, and one whose square underflows. Validation refuses
// these configs now (sim.CheckScale, TestScaleLimits); the values are set
// after Parse so that the engines' own detection stays tested.
func TestDivergenceEveryEngine(t *testing.T) {
	for _, method := range []string{"full", "reduced", "sde", "sde-reduced", "fokker-planck"} {
		for _, v := range []struct {
			name string
			set  func(c *Config)
		}{
			{"eta 1e200", func(c *Config) { *c.Eta = 1e200 }},
			{"norm 1e300", func(c *Config) { c.Init = Init{Norm: new(1e300), F0: new(0.5)} }},
			{"norm 1e-300", func(c *Config) { c.Init = Init{Norm: new(1e-300), F0: new(0.5)} }},
		} {
			cfg := "spectrum: [1, 2]\nmultiplicity: [1, 3]\nsigma: 1\nlambda: 0\nsteps: 50\ntrials: 3\nmethod: " + method + "\neta: 0.1\ninit: {std: 1}\n"
			c, err := Parse([]byte(cfg), "x.yaml", "")
			if err != nil {
				t.Fatal(err)
			}
			v.set(c)
			res, _, err := Run(context.Background(), c, Options{})
			var de *sim.DivergenceError
			if !errors.As(err, &de) {
				var last sim.Row
				if res != nil {
					last = res.Rows[len(res.Rows)-1]
				}
				t.Errorf("%s, %s: err %v, want a DivergenceError (last row %+v)", method, v.name, err, last)
				continue
			}
			if wantTrial := method != "fokker-planck"; (de.Trial >= 0) != wantTrial || de.Step < 0 || de.Step > 50 {
				t.Errorf("%s, %s: %+v: want step in [0, 50] and a trial (except fokker-planck)", method, v.name, de)
			}
		}
	}
}

// CheckFinite flags a NaN or Inf mean and ignores the _se columns (NaN by
// design for one trial).
func TestCheckFinite(t *testing.T) {
	rows := []sim.Row{{Step: 0, RiskSE: math.NaN()}, {Step: 10, Norm: math.Inf(1)}}
	var de *sim.DivergenceError
	if err := sim.CheckFinite(rows); !errors.As(err, &de) || de.Step != 10 || de.Reason != "norm became +Inf" {
		t.Errorf("CheckFinite: %v", err)
	}
	if err := sim.CheckFinite(rows[:1]); err != nil {
		t.Errorf("NaN standard error flagged: %v", err)
	}
}

// MemoryEstimate counts trials × p state vectors, dense matrices and rows
// without overflowing, whatever the counts.
func TestMemoryEstimate(t *testing.T) {
	c := &Config{Trials: 100, Steps: 1000, RecordEvery: 10, AFile: "a.csv"}
	got, _ := MemoryEstimate(c, 1000, "full")
	want := 100*(3*1000*8+256) + 4*1000*1000*8 + 101*17*8*2
	if got != float64(want) {
		t.Errorf("estimate %g, want %d", got, want)
	}
	c = &Config{Trials: math.MaxInt, Steps: math.MaxInt, RecordEvery: 1}
	if got, _ := MemoryEstimate(c, math.MaxInt, "full"); !(got > 1e37) || math.IsInf(got, 0) {
		t.Errorf("huge estimate %g", got)
	}
	if err := CheckResources(c, math.MaxInt, "full"); availableMemory() > 0 && err == nil {
		t.Error("an exabyte run was not refused")
	}
}

// Class 9 of issue 12: every problem of a config at once, one line each
// (file:line: field: reason), in file order; semantic errors carry the line
// of their key (or of the enclosing key); an unclosed bracket is reported
// on its own line (yaml.v3 prints the line before for parser errors).
func TestAllErrorsAtOnce(t *testing.T) {
	yml := "spectrum: [1, .nan]\nsigma: -1\neta: 0\nlambda: 0.001\ninit: {std: 1}\nsteps: 100.5\ntrials: 0\nfoo: 1\n" +
		"schedule:\n  - {step: 10, lr_exp: -2}\n"
	_, err := Parse([]byte(yml), "m.yaml", "")
	want := []string{
		"m.yaml:1: spectrum[1]: must be a finite number, got NaN",
		"m.yaml:2: sigma: must be a finite number ≥ 0, got -1",
		"m.yaml:3: eta: must be a finite number > 0, got 0",
		"m.yaml:6: steps: want a whole number, got \"100.5\"",
		"m.yaml:7: trials: must be ≥ 1, got 0",
		"m.yaml:8: foo: unknown key in the config (known keys: a_file, beta1, beta2, diagonal, eps, eta, init, lambda, method, model, momentum, multiplicity, noise_file, noise_var, optimizer, record_every, schedule, seed, sigma, spectrum, steps, tail_xi, trials)",
		"m.yaml:10: schedule[0].lr_exp: must be a finite number > 0, got -2",
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Errorf("got\n%v\nwant\n%s", err, strings.Join(want, "\n"))
	}
	if !errors.Is(err, ErrConfig) {
		t.Errorf("%v does not wrap ErrConfig", err)
	}
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "spectrum[1]" {
		t.Errorf("errors.As finds %v, want the first (spectrum[1])", fe)
	}
	for _, c := range []struct{ yml, want string }{
		{"spectrum: [1, 2]\nsigma: 1\neta: [0.1\nlambda: 0\n", "u.yaml:3: YAML syntax error: did not find expected ',' or ']'"},
		{"[1, 2\n", "u.yaml:1: YAML syntax error: did not find expected ',' or ']'"},
		{"a: {b: 1\n", "u.yaml:1: YAML syntax error: did not find expected ',' or '}'"},
		// a value holding a newline and a backtick stays on one line
		{"0\n\n`", "u.yaml:1: want a mapping, got str \"0\\n`\""},
		// a nested null is not also "init: required"
		{"spectrum: [1, 2]\nsigma: 1\neta: 0.1\nlambda: 0\ninit:\n  std: null\nsteps: 10\n", "u.yaml:6: init.std: value is null: give a value, or leave the key out for its default"},
	} {
		if _, err := Parse([]byte(c.yml), "u.yaml", ""); err == nil || err.Error() != c.want {
			t.Errorf("%q: got %v, want %s", c.yml, err, c.want)
		}
	}
}

// Issue 12, class 4: counts near the integer limits are refused in
// validation, naming the field, instead of overflowing a loop (steps near
// 2⁶³ with record_every 2⁶² wrapped the record-step counter and looped for
// ever while memory grew), a sum of multiplicities (p) or the int64 count
// of trial-steps. The largest accepted counts still validate.
func TestCountLimits(t *testing.T) {
	base := "spectrum: [1, 2]\nsigma: 1\neta: 0.1\nlambda: 0.001\ninit: {std: 1}\nmethod: reduced\n"
	for _, c := range []struct{ yml, field string }{
		{"steps: 9223372036854775807\nrecord_every: 4611686018427387904\ntrials: 1\n", "steps"},
		{"steps: 9007199254740993\ntrials: 1\n", "steps"},
		{"steps: 10\ntrials: 9007199254740993\n", "trials"},
		{"steps: 10\nrecord_every: 9223372036854775807\ntrials: 1\n", "record_every"},
		{"steps: 4294967296\ntrials: 4294967296\n", "steps"}, // 2^64 trial-steps
		{"steps: 10\ntrials: 1\nmultiplicity: [9007199254740992, 1]\n", "multiplicity[1]"},
		{"steps: 10\ntrials: 1\nmultiplicity: [1, 9223372036854775807]\n", "multiplicity[1]"},
		{"steps: 10\ntrials: 1\nschedule: [{step: 9223372036854775807, lr_divide: 2}]\n", "schedule[0].step"},
	} {
		_, err := Parse([]byte(base+c.yml), "big.yaml", "")
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%q: got %v, want an error of %s", c.yml, err, c.field)
		}
	}
	for _, yml := range []string{
		"steps: 9007199254740991\ntrials: 1\nrecord_every: 9007199254740992\n",
		"steps: 10\ntrials: 1\nmultiplicity: [9007199254740991, 1]\n",
	} {
		if _, err := Parse([]byte(base+yml), "big.yaml", ""); err != nil {
			t.Errorf("%q: %v", yml, err)
		}
	}
}

// Issue 12, class 8: σ, std, an eigenvalue or an initial norm near the
// float64 limits is refused in validation naming the field (each of these
// failed at step 0 as "X became NaN" or "‖X‖ overflowed"), while values
// inside sim.CheckScale's range run: both engines complete a few steps.
func TestScaleLimits(t *testing.T) {
	cfg := func(sp, sigma, init string) string {
		return "spectrum: " + sp + "\n" + sigma + "\neta: 0.1\nlambda: 0.001\ninit: " + init + "\nsteps: 5\ntrials: 2\n"
	}
	for _, c := range []struct{ yml, field string }{
		{cfg("[1, 2]", "sigma: 1e308", "{std: 1}"), "sigma"},
		{cfg("[1, 2]", "sigma: 1e150", "{std: 1}"), "sigma"},
		{cfg("[1, 2]", "noise_var: [1, 1e300]", "{std: 1}"), "noise_var"},
		{cfg("[1, 2]", "sigma: 1", "{std: 1e200}"), "init.std"},
		{cfg("[1, 2]", "sigma: 1", "{std: 1e-200}"), "init.std"},
		{cfg("[1, 2]", "sigma: 1", "{norm: 1e-320, f0: 0.5}"), "init.norm"},
		{cfg("[1, 2]", "sigma: 1", "{norm: 1e155, f0: 0.5}"), "init.norm"},
		{cfg("[1, 1e308]", "sigma: 1", "{std: 1}"), "spectrum"},
		{"diagonal: [1, 1e300]\nsigma: 1\neta: 0.1\nlambda: 0\ninit: {std: 1}\nsteps: 5\n", "diagonal"},
	} {
		_, err := Parse([]byte(c.yml), "s.yaml", "")
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%q: got %v, want an error of %s", c.yml, err, c.field)
		}
	}
	for _, yml := range []string{
		cfg("[1, 2]", "sigma: 1e140", "{std: 1}"),
		cfg("[1, 2]", "sigma: 1", "{std: 1e-140}"),
		cfg("[1, 2]", "sigma: 1", "{std: 1e100}"),
		cfg("[1, 1e100]", "sigma: 1", "{std: 1}"),
	} {
		for _, m := range []string{"full", "reduced"} {
			c, err := Parse([]byte(yml+"method: "+m+"\n"), "s.yaml", "")
			if err != nil {
				t.Fatalf("%q: %v", yml, err)
			}
			if _, _, err := Run(context.Background(), c, Options{Workers: 1}); err != nil {
				t.Errorf("%s %q: %v", m, yml, err)
			}
		}
	}
}
