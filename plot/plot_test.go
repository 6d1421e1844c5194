package plot

import (
	"bytes"
	"image/color"
	"image/png"
	"math"
	"strings"
	"testing"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
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

// rampGrid is z = y on a 4 × 4 grid over [0, 3]², a heat map whose colour
// grows from bottom to top.
type rampGrid struct{}

func (rampGrid) Dims() (c, r int)   { return 4, 4 }
func (rampGrid) Z(c, r int) float64 { return float64(r) }
func (rampGrid) X(c int) float64    { return float64(c) }
func (rampGrid) Y(r int) float64    { return float64(r) }

// The colour bar shows the heat map's colour map from its minimum (bottom)
// to its maximum (top), with a white mark at each contour level.
func TestColorBar(t *testing.T) {
	const px = 144.0 / 72 // pixels per point at the PNG's 144 dpi
	c := vgimg.NewWith(vgimg.UseWH(vg.Points(80), vg.Points(200)), vgimg.UseDPI(144), vgimg.UseBackgroundColor(color.White))
	dc := draw.New(c)
	h := plotter.NewHeatMap(rampGrid{}, heatColors().Palette(255))
	drawColorBar(dc, h, []float64{1.5}, "z", colorBarText())
	img := c.Image()
	x := int((barGap + barWidth/2) * px)
	at := func(yPt float64) color.NRGBA { // yPt up from the bottom, in points
		return color.NRGBAModel.Convert(img.At(x, int((200-yPt)*px))).(color.NRGBA)
	}
	cm := heatColors()
	cm.SetMin(h.Min)
	cm.SetMax(h.Max)
	near := func(got color.NRGBA, v float64) bool {
		w, _ := cm.At(v)
		want := color.NRGBAModel.Convert(w).(color.NRGBA)
		d := func(a, b uint8) int { return max(int(a)-int(b), int(b)-int(a)) }
		return d(got.R, want.R) <= 12 && d(got.G, want.G) <= 12 && d(got.B, want.B) <= 12
	}
	if h.Min != 0 || h.Max != 3 {
		t.Fatalf("heat map range [%g, %g], want [0, 3]", h.Min, h.Max)
	}
	for _, v := range []float64{0.1, 1, 2.2, 2.9} {
		if got := at(v / 3 * 200); !near(got, v) {
			w, _ := cm.At(v)
			t.Errorf("colour bar at z = %g: %v, want about %v", v, got, w)
		}
	}
	// The 0.9 pt mark is 1.8 px, anti-aliased over the bar's red there
	// (about (226, 46, 60)): near white, not red, either side of its centre.
	white := func(c color.NRGBA) bool { return c.R >= 200 && c.G >= 200 && c.B >= 200 }
	if a, b := at(100-0.25), at(100+0.25); !white(a) && !white(b) {
		t.Errorf("contour mark at z = 1.5: %v and %v, want white", a, b)
	}
}

// Equal makes one x unit as long as one y unit, whatever the cell's shape.
func TestEqual(t *testing.T) {
	for _, wh := range [][2]float64{{400, 200}, {200, 400}} {
		g, _, err := (&Panel{Curves: []Curve{{X: []float64{-1, 1}, Y: []float64{-1, 1}}}, Equal: true}).build()
		if err != nil {
			t.Fatal(err)
		}
		c := draw.New(vgimg.New(vg.Points(wh[0]), vg.Points(wh[1])))
		equalize(g, c)
		da := g.DataCanvas(c)
		ux := float64(da.Max.X-da.Min.X) / (g.X.Max - g.X.Min)
		uy := float64(da.Max.Y-da.Min.Y) / (g.Y.Max - g.Y.Min)
		if math.Abs(ux/uy-1) > 1e-3 || g.X.Min > -1 || g.Y.Min > -1 {
			t.Errorf("%v pt cell: x range [%g, %g], y range [%g, %g], %g and %g pt per unit", wh, g.X.Min, g.X.Max, g.Y.Min, g.Y.Max, ux, uy)
		}
	}
}

// A row of unequal spans splits its width in proportion to them.
func TestSpan(t *testing.T) {
	x := []float64{0, 1}
	rows := []Row{{{Curves: []Curve{{X: x, Y: x}}, Span: 2}, {Curves: []Curve{{X: x, Y: x}}}}}
	var plots [][]*gplot.Plot
	var row []*gplot.Plot
	for _, p := range rows[0] {
		g, _, err := p.build()
		if err != nil {
			t.Fatal(err)
		}
		row = append(row, g)
	}
	plots = append(plots, row)
	c := draw.New(vgimg.New(vg.Points(610), vg.Points(200)))
	cells := layout(rows, plots, draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Points(10)}, c)
	w0, w1 := cells[0][0].Max.X-cells[0][0].Min.X, cells[0][1].Max.X-cells[0][1].Min.X
	// Align trims each cell by the same padding: widths differ by the span
	// shares of the 600 pt left after the gap.
	if d := float64(w0 - w1); math.Abs(d-200) > 1 {
		t.Errorf("cell widths %v and %v pt: want a difference of 200 pt", w0, w1)
	}
}

// A heat map is rasterised only on an evenly spaced grid: a raster
// stretches its cells evenly, which would misplace those of a sweep over
// 0.01, 0.02, 0.05, 0.1.
func TestUniform(t *testing.T) {
	if !uniform(rampGrid{}) {
		t.Error("0, 1, 2, 3: not uniform")
	}
	g := &SweepGrid{Xs: []float64{0.01, 0.02, 0.05, 0.1}, Ys: []float64{1, 2, 3}, Vals: [][]float64{{1, 2, 3, 4}, {1, 2, 3, 4}, {1, 2, 3, 4}}}
	if uniform(g) {
		t.Error("0.01, 0.02, 0.05, 0.1: uniform")
	}
	_, h, err := (&Panel{Heat: g}).build()
	if err != nil || h.Rasterized {
		t.Errorf("sweep grid: rasterised %v (%v)", h.Rasterized, err)
	}
}

// Linear axes label integer ticks as integers (gonum's default gives
// 2500.00) and keep shared decimals otherwise (0.50, 0.75, 1.00).
func TestPlainTicks(t *testing.T) {
	labels := func(min, max float64) (out []string) {
		for _, tk := range (plainTicks{}).Ticks(min, max) {
			if tk.Label != "" {
				out = append(out, tk.Label)
			}
		}
		return out
	}
	if got := strings.Join(labels(0, 2808), " "); got != "0 2500" {
		t.Errorf("[0, 2808]: %q", got)
	}
	if got := strings.Join(labels(0.49, 1.01), " "); got != "0.50 0.75 1.00" {
		t.Errorf("[0.49, 1.01]: %q", got)
	}
}

// A log axis with nothing positive to show (no curve, or only NaN and
// zeros: e.g. smd measure on one pair) is drawn linear instead of making
// gonum panic.
func TestLogAxisWithoutData(t *testing.T) {
	for _, p := range []*Panel{
		{LogX: true, LogY: true},
		{LogY: true, Curves: []Curve{{X: []float64{0, 1}, Y: []float64{math.NaN(), 0}}}},
	} {
		if _, err := Bytes([]Row{{p}}, Inches(3), Inches(2), PNG); err != nil {
			t.Error(err)
		}
	}
}
