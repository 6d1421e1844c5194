package plot

import (
	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// gonum/plot pads a panel so that no glyph is clipped (Plot.DataCanvas:
// padX, padY): it asks every plotter for one GlyphBox per point — per grid
// cell for a heat map or contour, 10⁵ of them for Figure 1(b) — appends
// them all into one slice, twice per layout, and keeps only the box whose
// edge lies furthest out on each side. That was ≈ 12 % of `smd reproduce`'s
// CPU time and most of its page faults.
//
// fewBoxes returns only the boxes that can be that box, in their original
// order, so the layout is the same to the bit: within one plotter every
// box has the same rectangle, so a box's edge c.X(b.X) + b.Min.X is
// monotone in its normalised position b.X, and only boxes within boxTol of
// the plotter's extreme valid position can share the extreme edge (a
// rounding tie); every other box lies strictly inside (boxTol times a
// panel's width in points is ≫ the rounding of a coordinate). Valid are the
// boxes gonum keeps (0 ≤ X, Y ≤ 1 for a box of positive size); a NaN
// position never wins a comparison, so it is dropped.
//
// gonum asks again at every layout (DataCanvas: aligning, drawing, the
// colour bar), so the boxes of the last axis ranges are kept.
type fewBoxes struct {
	gplot.Plotter
	gplot.DataRanger
	boxes func(p *gplot.Plot) []gplot.GlyphBox
	last  *boxCache
}

// boxCache holds the boxes computed for the axis ranges in key.
type boxCache struct {
	key   [4]float64
	boxes []gplot.GlyphBox
}

func (f fewBoxes) GlyphBoxes(p *gplot.Plot) []gplot.GlyphBox {
	key := [4]float64{p.X.Min, p.X.Max, p.Y.Min, p.Y.Max}
	if f.last.boxes == nil || f.last.key != key {
		f.last.key, f.last.boxes = key, f.boxes(p)
	}
	return f.last.boxes
}

var _ gplot.GlyphBoxer = fewBoxes{}

// fewGlyphBoxes selects fewBoxes; tests turn it off to check that the
// drawings do not change by a byte.
var fewGlyphBoxes = true

// withFewBoxes returns f, or pl itself when fewGlyphBoxes is off.
func withFewBoxes(pl gplot.Plotter, f fewBoxes) gplot.Plotter {
	if fewGlyphBoxes {
		return f
	}
	return pl
}

// boxTol is how close to the extreme normalised position a box must be to
// be kept.
const boxTol = 1e-9

// valid reports whether gonum keeps a box at normalised position v.
func valid(v float64) bool { return v >= 0 && v <= 1 }

// span is the range of the valid values among vs (lo > hi if none).
func span(vs []float64) (lo, hi float64) {
	lo, hi = 2, -1
	for _, v := range vs {
		if valid(v) {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	return lo, hi
}

// near reports whether v is a candidate: valid and within boxTol of lo or hi.
func near(v, lo, hi float64) bool {
	return valid(v) && (v <= lo+boxTol || v >= hi-boxTol)
}

// lineBoxes is plotter.Line's GlyphBoxes (one box of half the line width
// per point) reduced to the candidates.
func lineBoxes(l *plotter.Line) fewBoxes {
	return fewBoxes{Plotter: l, DataRanger: l, last: &boxCache{}, boxes: func(p *gplot.Plot) []gplot.GlyphBox {
		r := 0.5 * l.LineStyle.Width
		rect := vg.Rectangle{Min: vg.Point{X: -r, Y: -r}, Max: vg.Point{X: r, Y: r}}
		xs, ys := make([]float64, len(l.XYs)), make([]float64, len(l.XYs))
		for i, q := range l.XYs {
			xs[i], ys[i] = p.X.Norm(q.X), p.Y.Norm(q.Y)
		}
		xlo, xhi := span(xs)
		ylo, yhi := span(ys)
		var out []gplot.GlyphBox
		for i := range xs {
			if valid(xs[i]) && valid(ys[i]) && (near(xs[i], xlo, xhi) || near(ys[i], ylo, yhi)) {
				out = append(out, gplot.GlyphBox{X: xs[i], Y: ys[i], Rectangle: rect})
			}
		}
		return out
	}}
}

// gridBoxes is the GlyphBoxes of plotter.HeatMap (half-size 5) and
// plotter.Contour (2.5) on grid g, one box per grid point, column by
// column, reduced to the candidates: the valid points of the extreme
// columns and of the extreme rows.
func gridBoxes(pl gplot.Plotter, dr gplot.DataRanger, g Grid, half vg.Length) fewBoxes {
	return fewBoxes{Plotter: pl, DataRanger: dr, last: &boxCache{}, boxes: func(p *gplot.Plot) []gplot.GlyphBox {
		rect := vg.Rectangle{Min: vg.Point{X: -half, Y: -half}, Max: vg.Point{X: half, Y: half}}
		c, r := g.Dims()
		xs, ys := make([]float64, c), make([]float64, r)
		for i := range xs {
			xs[i] = p.X.Norm(g.X(i))
		}
		for j := range ys {
			ys[j] = p.Y.Norm(g.Y(j))
		}
		xlo, xhi := span(xs)
		ylo, yhi := span(ys)
		var out []gplot.GlyphBox
		for _, x := range xs {
			if !valid(x) {
				continue
			}
			col := near(x, xlo, xhi)
			for j, y := range ys {
				if valid(y) && (col || near(y, ylo, yhi)) {
					out = append(out, gplot.GlyphBox{X: x, Y: ys[j], Rectangle: rect})
				}
			}
		}
		return out
	}}
}
