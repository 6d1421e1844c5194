package plot

import (
	"fmt"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot/vg"
)

// SweepLine is one line of a sweep plot (a phase-diagram slice): measured
// values with standard errors at X, and optionally the theory at X.
type SweepLine struct {
	Label    string
	X, Y, SE []float64
	// Theory, if not nil, is the prediction at X (NaN where none), drawn
	// dashed.
	Theory []float64
}

// SweepPanel draws the lines of a sweep: markers joined by a solid line,
// ±1 SE error bars, and the theory dashed black on top, with one
// legend entry, theoryLabel, for all dashed curves. The x ticks are the
// swept values.
func SweepPanel(title, xlabel, ylabel, theoryLabel string, logX, logY bool, lines []SweepLine) *Panel {
	p := &Panel{Title: title, XLabel: xlabel, YLabel: ylabel, LogX: logX, LogY: logY}
	var ticks []float64
	for _, l := range lines {
		for _, x := range l.X {
			if !slices.Contains(ticks, x) {
				ticks = append(ticks, x)
			}
		}
	}
	if len(ticks) <= 12 {
		slices.Sort(ticks)
		p.XTicks = ticks
	}
	theory := false
	for _, l := range lines {
		theory = theory || l.Theory != nil
	}
	if theory {
		// A legend-only entry (no points): dashed, in black.
		p.Curves = append(p.Curves, Curve{Label: theoryLabel, RGB: color.Black, Dash: Dashed, Theory: true, Width: 1.1})
	}
	for i, l := range lines {
		p.Curves = append(p.Curves,
			Curve{Label: l.Label, X: l.X, Y: l.Y, Color: i},
			Curve{X: l.X, Y: l.Y, Color: i, Marker: true})
		for j := range l.X {
			if math.IsNaN(l.SE[j]) || l.SE[j] == 0 {
				continue
			}
			lo, hi := l.Y[j]-l.SE[j], l.Y[j]+l.SE[j]
			if logY && lo <= 0 {
				lo = l.Y[j] / 10
			}
			p.Curves = append(p.Curves, Curve{X: []float64{l.X[j], l.X[j]}, Y: []float64{lo, hi}, Color: i, Width: 1.2})
		}
		if l.Theory != nil {
			// Black on top of the data, so it shows where they coincide.
			p.Curves = append(p.Curves, Curve{X: l.X, Y: l.Theory, RGB: color.Black, Dash: Dashed, Theory: true, Width: 1.1})
		}
	}
	return p
}

// SweepGrid is a sweep quantity over two varied parameters: the value at
// (Xs[c], Ys[r]) is Vals[r][c], NaN where no point was run.
type SweepGrid struct {
	Xs, Ys []float64
	Vals   [][]float64
}

// Dims, Z, X, Y implement Grid.
func (g *SweepGrid) Dims() (c, r int)   { return len(g.Xs), len(g.Ys) }
func (g *SweepGrid) Z(c, r int) float64 { return g.Vals[r][c] }
func (g *SweepGrid) X(c int) float64    { return g.Xs[c] }
func (g *SweepGrid) Y(r int) float64    { return g.Ys[r] }

// Range returns the smallest and largest finite value of the grid.
func (g *SweepGrid) Range() (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, row := range g.Vals {
		for _, v := range row {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	return lo, hi
}

// SweepHeat draws a grid as a heat map (dark: low, bright: high; grey:
// no value) with a colour bar labelled title and contour lines at a
// quarter, half and three quarters of its range, which the title states.
func SweepHeat(title, xlabel, ylabel string, g *SweepGrid) *Panel {
	lo, hi := g.Range()
	var cs []float64
	for _, f := range []float64{0.25, 0.5, 0.75} {
		cs = append(cs, lo+f*(hi-lo))
	}
	grey := ""
	for _, row := range g.Vals {
		if slices.ContainsFunc(row, math.IsNaN) {
			grey = "; grey: no value"
		}
	}
	return &Panel{
		Title:  fmt.Sprintf("%s (%.3g … %.3g; contours at ¼, ½, ¾%s)", title, lo, hi, grey),
		XLabel: xlabel, YLabel: ylabel, Heat: g, Contours: cs, ColorBar: title,
		XMin: edge(g.Xs, false), XMax: edge(g.Xs, true), YMin: edge(g.Ys, false), YMax: edge(g.Ys, true),
	}
}

// edge is the outer edge of the first (or last) heat-map cell.
func edge(v []float64, last bool) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s) < 2 {
		return s[0] + map[bool]float64{false: -0.5, true: 0.5}[last]
	}
	if last {
		n := len(s)
		return s[n-1] + (s[n-1]-s[n-2])/2
	}
	return s[0] - (s[1]-s[0])/2
}

// SweepSize is the size of a sweep figure of n panels in a row.
func SweepSize(n int) (w, h vg.Length) { return Inches(5.5*float64(n) + 2.5), Inches(4.2) }
