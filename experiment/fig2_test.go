package experiment

import (
	"math"
	"testing"

	"github.com/smdlab/smd/sim"
)

// Every preset is a valid config, and its theory overlay has the exact
// values the preset's doc comment derives.
func TestFig2Presets(t *testing.T) {
	near := func(what string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
			t.Errorf("%s = %.17g, want %.17g", what, got, want)
		}
	}
	for _, g := range Fig2() {
		if len(g.Curves) == 0 || g.Window <= 0 {
			t.Fatalf("%s: empty group", g.Name)
		}
		for _, cv := range g.Curves {
			c := cv.Config
			if err := c.Validate(); err != nil {
				t.Fatalf("%s %s: %v", g.Name, cv.Label, err)
			}
			if c.Trials != 100 || c.Steps <= g.Window || g.Decay >= g.Window {
				t.Errorf("%s %s: trials %d, steps %d, window %d, decay %d", g.Name, cv.Label, c.Trials, c.Steps, g.Window, g.Decay)
			}
			ov, err := c.Theory([]int{0, g.Decay, c.Steps})
			if err != nil {
				t.Fatalf("%s %s: %v", g.Name, cv.Label, err)
			}
			tp, _ := c.TheoryParams(c.Steps)
			if g.Name == "fig2_a-d" {
				// Started at equilibrium: the eq 17 path stays there.
				near(cv.Label+" norm path", ov.NormPath[2], tp.NormLimit())
				near(cv.Label+" AU path", ov.AUPath[0], tp.AULimit())
			}
			near(cv.Label+" AU limit", ov.AULimit[2], math.Sqrt(2**c.Eta**c.Lambda/decay(c)))
		}
	}
	// (e)–(h): just after the decay the AU is √(2λη)/10 without rescale
	// and the new √(2λη') = √(2λη)/√10 with it (Lemma 1, eq 17).
	esc := Fig2Escape()
	for i, cv := range esc.Curves {
		ov, err := cv.Config.Theory([]int{esc.Decay - 1, esc.Decay})
		if err != nil {
			t.Fatal(err)
		}
		want := ov.AUPath[0] / 10
		if i == 1 {
			want = ov.AUPath[0] / math.Sqrt(10)
		}
		near(cv.Label+" AU after decay", ov.AUPath[1], want)
	}
	// (i)–(l): the Corollary 3 transform has the same AU path and a norm
	// path 10 times larger.
	ini := Fig2Init()
	steps := []int{0, 1000, 10000, 30000}
	b, err := ini.Curves[0].Config.Theory(steps)
	if err != nil {
		t.Fatal(err)
	}
	x, err := ini.Curves[1].Config.Theory(steps)
	if err != nil {
		t.Fatal(err)
	}
	for i := range steps {
		near("transform norm path", x.NormPath[i], 10*b.NormPath[i])
		near("transform AU path", x.AUPath[i], b.AUPath[i])
		near("transform risk limit", x.RiskLimit[i], b.RiskLimit[i])
	}
}

// Theorem 1's bounds start at r₀ = 1 − f₀ and keep lower ≤ upper.
func TestTheorem1Overlay(t *testing.T) {
	c := Fig2Equilibrium().Curves[2].Config
	steps := []int{0, 100, 200, 300}
	rows := make([]sim.Row, len(steps))
	for i, n := range steps {
		rows[i] = sim.Row{Step: n, Tail: 0.5}
	}
	ov, err := c.Theory(steps)
	if err != nil {
		t.Fatal(err)
	}
	lo, hi, err := c.Theorem1(ov, rows)
	if err != nil {
		t.Fatal(err)
	}
	if lo[0] != 0.99 || hi[0] != 0.99 {
		t.Errorf("bounds at t = 0: [%v, %v], want r₀ = 1 − f₀ = 0.99", lo[0], hi[0])
	}
	for i := range lo {
		if lo[i] > hi[i] {
			t.Errorf("step %d: lower %v > upper %v", steps[i], lo[i], hi[i])
		}
	}
	if _, _, err := c.Theorem1(ov, rows[:2]); err == nil {
		t.Error("mismatched rows accepted")
	}
}

func decay(c *Config) float64 {
	d := 1.0
	for _, e := range c.Schedule {
		if e.LRDivide != nil {
			d *= *e.LRDivide
		}
	}
	return d
}

func TestNum(t *testing.T) {
	for v, want := range map[float64]string{0.1: "0.1", 0.025: "0.025", 2.5e-4: "2.5e-4", 1e-3: "1e-3", 1e-5: "1e-5", 10: "10", 8.4: "8.4", 0.01: "0.01", 4e-3: "4e-3"} {
		if got := num(v); got != want {
			t.Errorf("num(%g) = %q, want %q", v, got, want)
		}
	}
}

// WindowMean's SE bound is the mean of the rows' SEs; Min and Crossing
// find the obvious rows.
func TestWindowHelpers(t *testing.T) {
	rows := []sim.Row{{Step: 0, Risk: 0.9, RiskSE: 0.1}, {Step: 10, Risk: 0.2, RiskSE: 0.02}, {Step: 20, Risk: 0.4, RiskSE: 0.04}}
	m, se, n := WindowMean(rows, 10, FieldRisk)
	if n != 2 || math.Abs(m-0.3) > 1e-15 || math.Abs(se-0.03) > 1e-15 {
		t.Errorf("WindowMean = %v, %v, %d", m, se, n)
	}
	if r, v, _ := Min(rows, 5, 100, FieldRisk); r.Step != 10 || v != 0.2 {
		t.Errorf("Min = step %d, %v", r.Step, v)
	}
	if s := Crossing(rows, 0.5, FieldRisk); s != 10 {
		t.Errorf("Crossing = %d", s)
	}
}

// Figure 1(b)'s landscape: F = 1 + x² on y = 0, 2 + y² on x = 0, and the
// grid avoids the origin.
func TestLandscape(t *testing.T) {
	if got := LandscapeF(0.5, 0); got != 1.25 {
		t.Errorf("F(0.5, 0) = %v", got)
	}
	if got := LandscapeF(0, 0.5); got != 2.25 {
		t.Errorf("F(0, 0.5) = %v", got)
	}
	l := NewLandscape(9, 2)
	c, r := l.Dims()
	if c != 10 || r != 10 {
		t.Fatalf("dims %d × %d, want 10 × 10 (n rounded up to even)", c, r)
	}
	for i := range c {
		if l.X(i) == 0 {
			t.Fatal("grid point on the origin")
		}
	}
	if l.Min() < 1 || math.IsNaN(l.Max()) {
		t.Errorf("range [%v, %v]", l.Min(), l.Max())
	}
}
