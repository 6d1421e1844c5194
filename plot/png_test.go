package plot

import (
	"io"
	"math"
	"testing"

	"gonum.org/v1/plot/vg/vgimg"
)

// BenchmarkPNG compares the PNG writer of the figures (fastPNG, BestSpeed)
// with vgimg.PngCanvas (the default level) on one drawn 2×2 figure of
// 2000-point curves with bands: go test ./plot -run '^$' -bench PNG.
func BenchmarkPNG(b *testing.B) {
	x := make([]float64, 2000)
	y := make([]float64, len(x))
	se := make([]float64, len(x))
	for i := range x {
		x[i] = float64(i + 1)
		y[i] = math.Exp(-x[i]/500) + 0.01*math.Sin(x[i])
		se[i] = 0.01
	}
	p := func() *Panel {
		return &Panel{Title: "risk", XLabel: "t", YLabel: "r", LogY: true, Curves: []Curve{SEBand(x, y, se, 0), {Label: "sim", X: x, Y: y}}}
	}
	wt, err := render("", []Row{{p(), p()}, {p(), p()}}, Inches(11), Inches(7.5), PNG)
	if err != nil {
		b.Fatal(err)
	}
	c := wt.(fastPNG).Canvas
	for _, w := range []struct {
		name string
		wt   io.WriterTo
	}{{"fast", fastPNG{c}}, {"default", vgimg.PngCanvas{Canvas: c}}} {
		b.Run(w.name, func(b *testing.B) {
			var n int64
			for b.Loop() {
				n, _ = w.wt.WriteTo(io.Discard)
			}
			b.ReportMetric(float64(n), "bytes")
		})
	}
}
