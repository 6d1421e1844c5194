package plot

import (
	"bytes"
	"image/png"
	"math"
	"testing"
)

func testRows() []Row {
	x := []float64{0, 1, 2, 3}
	return []Row{{
		{Title: "lin", Curves: []Curve{{Label: "a", X: x, Y: []float64{1, 2, 3, 4}}, {X: x, Y: []float64{2, 2, 2, 2}, Theory: true, Dash: Dotted}}, VLines: []float64{1.5}},
		{Title: "log", LogY: true, Curves: []Curve{{Label: "b", X: x, Y: []float64{0.1, 0.01, 0, math.NaN()}, Color: 1, Dash: Dashed}}},
	}}
}

// Both formats render; the PNG decodes at the requested size and the SVG
// embeds its font.
func TestRender(t *testing.T) {
	b, err := Bytes(testRows(), Inches(6), Inches(3), PNG)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil || cfg.Width != 6*144 || cfg.Height != 3*144 {
		t.Errorf("PNG: %v, %d × %d", err, cfg.Width, cfg.Height)
	}
	s, err := Bytes(testRows(), Inches(6), Inches(3), SVG)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(s, []byte("@font-face")) {
		t.Error("SVG does not embed its font")
	}
	if _, err := Bytes(testRows(), Inches(6), Inches(3), "gif"); err == nil {
		t.Error("unknown format accepted")
	}
	bad := []Row{{{Curves: []Curve{{X: []float64{1}, Y: []float64{1, 2}}}}}}
	if _, err := Bytes(bad, Inches(3), Inches(3), PNG); err == nil {
		t.Error("mismatched curve lengths accepted")
	}
}

// Log ticks label 1-2-5 over a few decades and every digit inside one.
func TestLogTicks(t *testing.T) {
	labels := func(min, max float64) []float64 {
		var v []float64
		for _, tk := range (logTicks{}).Ticks(min, max) {
			if tk.Label != "" {
				v = append(v, tk.Value)
			}
		}
		return v
	}
	if got := labels(2.6, 4.8); len(got) != 2 || got[0] != 3 || got[1] != 4 {
		t.Errorf("ticks on [2.6, 4.8]: %v", got)
	}
	want := []float64{0.02, 0.05, 0.1, 0.2, 0.5, 1}
	got := labels(0.02, 1)
	if len(got) != len(want) {
		t.Fatalf("ticks on [0.02, 1]: %v, want %v", got, want)
	}
	for i := range want {
		if math.Abs(got[i]/want[i]-1) > 1e-12 {
			t.Errorf("ticks on [0.02, 1]: %v, want %v", got, want)
		}
	}
}

// Two labelled ticks bracket every value of a log axis: logBracket's ends
// are labelled ticks of the final range, whatever the span.
func TestLogBracket(t *testing.T) {
	for _, r := range [][2]float64{{0.0042, 0.0145}, {0.013, 0.98}, {3e-5, 0.7}, {4.6, 8.3}, {0.02, 0.02 * 1.01}, {1, 10}} {
		lo, hi := logBracket(r[0], r[1])
		if lo > r[0] || hi < r[1] {
			t.Errorf("%v: bracket [%g, %g] does not contain it", r, lo, hi)
		}
		var labels []float64
		for _, tk := range (logTicks{}).Ticks(lo, hi) {
			if tk.Label != "" {
				labels = append(labels, tk.Value)
			}
		}
		if len(labels) < 2 || math.Abs(labels[0]/lo-1) > 1e-9 || math.Abs(labels[len(labels)-1]/hi-1) > 1e-9 {
			t.Errorf("%v: bracket [%g, %g], labelled ticks %v: the ends must be labelled", r, lo, hi, labels)
		}
	}
}
