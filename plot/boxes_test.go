package plot

import (
	"math"
	"testing"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// fnGrid samples z(x, y) on an nx × ny grid over [x0, x1] × [y0, y1].
type fnGrid struct {
	nx, ny         int
	x0, x1, y0, y1 float64
	z              func(x, y float64) float64
}

func (g fnGrid) Dims() (int, int) { return g.nx, g.ny }
func (g fnGrid) X(c int) float64  { return g.x0 + (g.x1-g.x0)*float64(c)/float64(g.nx-1) }
func (g fnGrid) Y(r int) float64  { return g.y0 + (g.y1-g.y0)*float64(r)/float64(g.ny-1) }
func (g fnGrid) Z(c, r int) float64 {
	return g.z(g.X(c), g.Y(r))
}

// fewBoxes keeps only the glyph boxes that can decide the padding: the
// data area gonum lays out (Plot.DataCanvas, which the drawing and the
// aligned grid use) must be the same to the bit as with every box, on
// panels whose extreme points are ties, lie outside a fixed axis range,
// sit on log axes, or come from a heat map and contours (Equal aspect).
// The test can fail: dropping a box that decides a side moves that side.
func TestFewBoxesSameLayout(t *testing.T) {
	defer func() { fewGlyphBoxes = true }()
	x := make([]float64, 200)
	y, flat, lo := make([]float64, 200), make([]float64, 200), make([]float64, 200)
	for i := range x {
		x[i] = float64(i + 1)
		y[i] = 1 + math.Exp(-float64(i)/30) // approaches 1 within rounding: ties at the bottom
		flat[i] = 1.5
		lo[i] = 0.9
	}
	heat := fnGrid{nx: 61, ny: 41, x0: -1.5, x1: 1.5, y0: -1, y1: 1, z: func(x, y float64) float64 { return x*x + 2*y*y }}
	panels := []*Panel{
		{Title: "lin", Curves: []Curve{{X: x, Y: y}, {X: x, Y: flat, Theory: true, Width: 3}, {X: x, Y: y, Lo: lo}}, VLines: []float64{50}},
		{Title: "log", LogY: true, LogX: true, Curves: []Curve{{X: x, Y: y, Width: 4}, {X: x, Y: flat}}},
		{Title: "cut", Curves: []Curve{{X: x, Y: y}}, XMin: 20, XMax: 150, YMin: 1.2, YMax: 1.8},
		{Title: "heat", Heat: heat, Contours: []float64{0.5, 1, 2}, Equal: true, ColorBar: "z", XMin: -1, XMax: 1.2},
		{Title: "heat-curve", Heat: heat, Contours: []float64{1}, Curves: []Curve{{X: []float64{-2, 0, 1}, Y: []float64{0, 0.5, 1.5}}}},
	}
	for _, p := range panels {
		for _, size := range [][2]float64{{3, 2}, {8.2, 4.2}} {
			var rects [2]vg.Rectangle
			var boxes [2]int
			for k, few := range []bool{true, false} {
				fewGlyphBoxes = few
				g, _, err := p.build()
				if err != nil {
					t.Fatal(err)
				}
				c := draw.New(vgimg.New(Inches(size[0]), Inches(size[1])))
				if p.Equal {
					equalize(g, c)
				}
				rects[k] = g.DataCanvas(c).Rectangle
				boxes[k] = len(g.GlyphBoxes(g))
			}
			if rects[0] != rects[1] {
				t.Errorf("%s, %v in: data area %v with few boxes, %v with all", p.Title, size, rects[0], rects[1])
			}
			if boxes[0] >= boxes[1] && boxes[1] > 8 {
				t.Errorf("%s: %d boxes kept of %d", p.Title, boxes[0], boxes[1])
			}
		}
	}
}
