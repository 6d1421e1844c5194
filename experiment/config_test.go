package experiment

import (
	"context"
	"errors"
	"math"
	"runtime"
	"testing"
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
