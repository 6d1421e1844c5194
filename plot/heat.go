package plot

import (
	"image/color"
	"math"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// uniform reports whether g's columns and rows are evenly spaced (to a
// relative 1e-6 of the range).
func uniform(g Grid) bool {
	c, r := g.Dims()
	even := func(n int, at func(int) float64) bool {
		if n < 3 {
			return true
		}
		step, tol := (at(n-1)-at(0))/float64(n-1), 1e-6*math.Abs(at(n-1)-at(0))
		for i := 1; i < n; i++ {
			if math.Abs(at(i)-at(i-1)-step) > tol {
				return false
			}
		}
		return true
	}
	return even(c, g.X) && even(r, g.Y)
}

// NaNColor fills heat-map cells without a value (e.g. a sweep point not
// run): a mid grey, which the dark-to-white colour map never takes.
var NaNColor color.Color = color.Gray{Y: 150}

// heatColors is the colour map of heat maps: dark low, bright high.
func heatColors() palette.ColorMap { return moreland.ExtendedBlackBody() }

// Colour-bar geometry: the gap after the heat map, the bar's width and its
// ticks' length.
const (
	barGap   = 8
	barWidth = 11
	barTick  = 3
)

func colorBarText() draw.TextStyle {
	ts := gplot.New().Y.Tick.Label
	ts.Font.Size = fontSize - 2
	ts.XAlign, ts.YAlign = draw.XLeft, draw.YCenter
	return ts
}

// barTicks are the labelled ticks of a colour bar over h's range.
func barTicks(h *plotter.HeatMap) []gplot.Tick {
	var ts []gplot.Tick
	for _, t := range (gplot.DefaultTicks{}).Ticks(h.Min, h.Max) {
		if t.Label != "" {
			ts = append(ts, t)
		}
	}
	return ts
}

// colorBarWidth is the width of a colour bar with its tick labels and
// its (rotated) label.
func colorBarWidth(h *plotter.HeatMap, ts draw.TextStyle) vg.Length {
	var tw vg.Length
	for _, t := range barTicks(h) {
		tw = max(tw, ts.Width(t.Label))
	}
	return vg.Points(barGap+barWidth+barTick+3+4+6) + tw + ts.Height("F")
}

// drawColorBar draws, in c (whose height is the heat map's data area),
// the colour map of h from h.Min (bottom) to h.Max (top), white marks at
// the contour levels, labelled ticks on its right and the label beside
// them.
func drawColorBar(c draw.Canvas, h *plotter.HeatMap, contours []float64, label string, ts draw.TextStyle) {
	cm := heatColors()
	cm.SetMin(h.Min)
	cm.SetMax(h.Max)
	x0, x1 := c.Min.X+vg.Points(barGap), c.Min.X+vg.Points(barGap+barWidth)
	y := func(v float64) vg.Length { return c.Min.Y + vg.Length((v-h.Min)/(h.Max-h.Min))*(c.Max.Y-c.Min.Y) }
	// Strips of one colour each, about a point tall.
	n := max(2, int((c.Max.Y-c.Min.Y)/vg.Points(1)))
	for k := range n {
		v := h.Min + (float64(k)+0.5)/float64(n)*(h.Max-h.Min)
		clr, err := cm.At(v)
		if err != nil {
			continue
		}
		lo := c.Min.Y + vg.Length(k)*(c.Max.Y-c.Min.Y)/vg.Length(n)
		hi := c.Min.Y + vg.Length(k+1)*(c.Max.Y-c.Min.Y)/vg.Length(n) + vg.Points(0.3)
		c.SetColor(clr)
		c.Fill(vg.Rectangle{Min: vg.Point{X: x0, Y: lo}, Max: vg.Point{X: x1, Y: min(hi, c.Max.Y)}}.Path())
	}
	for _, v := range contours {
		if v > h.Min && v < h.Max {
			c.StrokeLine2(draw.LineStyle{Color: color.White, Width: vg.Points(0.9)}, x0, y(v), x1, y(v))
		}
	}
	frame := draw.LineStyle{Color: color.Black, Width: vg.Points(0.5)}
	c.StrokeLines(frame, []vg.Point{{X: x0, Y: c.Min.Y}, {X: x1, Y: c.Min.Y}, {X: x1, Y: c.Max.Y}, {X: x0, Y: c.Max.Y}, {X: x0, Y: c.Min.Y}})
	var tw vg.Length
	for _, t := range barTicks(h) {
		c.StrokeLine2(frame, x1, y(t.Value), x1+vg.Points(barTick), y(t.Value))
		c.FillText(ts, vg.Point{X: x1 + vg.Points(barTick+3), Y: y(t.Value)}, t.Label)
		tw = max(tw, ts.Width(t.Label))
	}
	ls := ts
	ls.Font.Size = fontSize
	ls.Rotation = math.Pi / 2
	ls.XAlign, ls.YAlign = draw.XCenter, draw.YTop
	c.FillText(ls, vg.Point{X: x1 + vg.Points(barTick+3+4) + tw, Y: (c.Min.Y + c.Max.Y) / 2}, label)
}
