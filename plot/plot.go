package plot

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"
	"strconv"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Colors is the colour-blind-safe palette (Okabe & Ito) that Curve.Color
// indexes, modulo its length.
var Colors = []color.Color{
	color.RGBA{0, 114, 178, 255},   // blue
	color.RGBA{213, 94, 0, 255},    // vermillion
	color.RGBA{0, 158, 115, 255},   // bluish green
	color.RGBA{204, 121, 167, 255}, // reddish purple
	color.RGBA{230, 159, 0, 255},   // orange
	color.RGBA{86, 180, 233, 255},  // sky blue
	color.RGBA{0, 0, 0, 255},       // black
}

// Dash styles of Curve.Dash.
const (
	Solid = iota
	Dashed
	Dotted
	DashDot
)

var dashes = [][]vg.Length{
	nil,
	{vg.Points(6), vg.Points(3)},
	{vg.Points(1.5), vg.Points(2)},
	{vg.Points(6), vg.Points(2), vg.Points(1.5), vg.Points(2)},
}

// Curve is one line of a panel.
type Curve struct {
	// Label is the legend entry; curves with the same label share one
	// entry, and an empty label has none.
	Label string
	X, Y  []float64
	// Color indexes Colors; RGB, if set, overrides it.
	Color int
	RGB   color.Color
	// Dash is Solid, Dashed, Dotted or DashDot.
	Dash int
	// Width in points (0: 1.5 for data, 1 for theory).
	Width float64
	// Theory draws the curve thinner (an overlay, not data).
	Theory bool
	// Marker draws a filled circle at each point instead of a line.
	Marker bool
	// Lo, if set (same length as X), makes the curve a band: the area
	// between Lo and Y filled with the curve's colour (use a translucent
	// RGB), no outline. Its legend icon is a filled box.
	Lo []float64
}

// Grid is a function sampled on a rectangular grid (the method set of
// gonum/plot's GridXYZ): column c at X(c), row r at Y(r).
type Grid interface {
	Dims() (c, r int)
	Z(c, r int) float64
	X(c int) float64
	Y(r int) float64
}

// Panel is one plot: curves, or a heat map with contours, and axes.
type Panel struct {
	Title, XLabel, YLabel string
	// LogX, LogY select logarithmic axes (positive data only).
	LogX, LogY bool
	Curves     []Curve
	// VLines are dotted vertical markers (e.g. a learning-rate decay).
	VLines []float64
	// Heat, if set, is drawn as a heat map (rasterised, so SVG stays
	// small) with contour lines at Contours.
	Heat     Grid
	Contours []float64
	// XMin, XMax, YMin, YMax fix the axis ranges when XMin < XMax
	// (respectively YMin < YMax).
	XMin, XMax, YMin, YMax float64
	// Equal makes one unit on x as long as one on y (fig 1(a)): the
	// shorter range is widened to the aspect of the panel's data area.
	Equal bool
	// ColorBar, if set with Heat, is the label of a colour bar drawn at
	// the right of the heat map (its contour levels marked on it).
	ColorBar string
	// LegendBeside draws the panel's legend at the right of its own cell
	// (e.g. fig 1(a) beside fig 1(b)) instead of with the row's legend.
	LegendBeside bool
	// Span is the panel's width relative to the others of its row (0
	// means 1). A row of unequal spans is laid out panel by panel, so its
	// axes are not aligned with those of other rows.
	Span float64
	// XTicks, if set, are the x axis's labelled ticks (e.g. the values of
	// a sweep on a log axis, where decades alone say little).
	XTicks []float64
}

// Row is a row of panels sharing a legend, drawn to the right of the row
// (but see Panel.LegendBeside).
type Row []*Panel

// Format is an output format.
type Format string

// The output formats.
const (
	PNG Format = "png"
	SVG Format = "svg"
)

// fontSize is the base font size in points.
const fontSize = 11

func (c Curve) color() color.Color {
	if c.RGB != nil {
		return c.RGB
	}
	return Colors[((c.Color%len(Colors))+len(Colors))%len(Colors)]
}

func (c Curve) style() draw.LineStyle {
	w := c.Width
	if w == 0 {
		w = 1.6
		if c.Theory {
			w = 1.1
		}
	}
	clr := c.color()
	if c.Theory {
		clr = darker(clr)
	}
	return draw.LineStyle{Color: clr, Width: vg.Points(w), Dashes: dashes[((c.Dash%len(dashes))+len(dashes))%len(dashes)]}
}

// darker is c mixed 45% with black: theory curves, drawn over the data
// they predict in the same hue, stay visible where the two coincide.
func darker(c color.Color) color.Color {
	r, g, b, a := c.RGBA()
	f := func(v uint32) uint8 { return uint8(float64(v>>8) * 0.55) }
	return color.NRGBA{R: f(r), G: f(g), B: f(b), A: uint8(a >> 8)}
}

// thumb is a legend icon for a curve.
type thumb struct{ c Curve }

func (t thumb) Thumbnail(c *draw.Canvas) {
	if t.c.Lo != nil {
		h := (c.Max.Y - c.Min.Y) / 4
		r := vg.Rectangle{Min: vg.Point{X: c.Min.X, Y: c.Min.Y + h}, Max: vg.Point{X: c.Max.X, Y: c.Max.Y - h}}
		c.SetColor(t.c.color())
		c.Fill(r.Path())
		return
	}
	if t.c.Marker {
		y := (c.Min.Y + c.Max.Y) / 2
		x := (c.Min.X + c.Max.X) / 2
		c.DrawGlyph(draw.GlyphStyle{Color: t.c.color(), Radius: vg.Points(3), Shape: draw.CircleGlyph{}}, vg.Point{X: x, Y: y})
		return
	}
	y := (c.Min.Y + c.Max.Y) / 2
	c.StrokeLine2(t.c.style(), c.Min.X, y, c.Max.X, y)
}

// build makes the gonum plot of a panel and its heat map, if any.
func (p *Panel) build() (*gplot.Plot, *plotter.HeatMap, error) {
	g := gplot.New()
	g.Title.Text = p.Title
	g.Title.TextStyle.Font.Size = fontSize + 1
	g.X.Label.Text, g.Y.Label.Text = p.XLabel, p.YLabel
	for _, a := range []*gplot.Axis{&g.X, &g.Y} {
		a.Label.TextStyle.Font.Size = fontSize
		a.Tick.Label.Font.Size = fontSize - 2
	}
	g.X.Tick.Marker, g.Y.Tick.Marker = plainTicks{}, plainTicks{}
	if p.LogX {
		g.X.Scale, g.X.Tick.Marker = gplot.LogScale{}, gplot.LogTicks{Prec: -1}
	}
	if p.LogY {
		g.Y.Scale, g.Y.Tick.Marker = gplot.LogScale{}, logTicks{}
	}
	if p.Heat == nil {
		gr := plotter.NewGrid()
		gr.Vertical.Color, gr.Horizontal.Color = color.Gray{Y: 228}, color.Gray{Y: 228}
		g.Add(gr)
	}
	var h *plotter.HeatMap
	if p.Heat != nil {
		h = plotter.NewHeatMap(p.Heat, heatColors().Palette(255))
		// A raster is small in SVG but stretches cells evenly: only for
		// evenly spaced grids (gonum's HeatMap.Rasterized).
		h.Rasterized = uniform(p.Heat)
		h.NaN = NaNColor
		g.Add(withFewBoxes(h, gridBoxes(h, h, p.Heat, 5)))
		if len(p.Contours) > 0 {
			c := plotter.NewContour(p.Heat, p.Contours, palette.Heat(1, 1))
			c.LineStyles = []draw.LineStyle{{Color: color.White, Width: vg.Points(0.9)}}
			c.Palette = nil
			g.Add(withFewBoxes(c, gridBoxes(c, c, p.Heat, 2.5)))
		}
	}
	for i, c := range p.Curves {
		if len(c.X) != len(c.Y) {
			return nil, nil, fmt.Errorf("plot: curve %d (%q) has %d x and %d y values", i, c.Label, len(c.X), len(c.Y))
		}
		xys := make(plotter.XYs, 0, len(c.X))
		for j := range c.X {
			x, y := c.X[j], c.Y[j]
			if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) ||
				(p.LogX && x <= 0) || (p.LogY && y <= 0) {
				continue
			}
			xys = append(xys, plotter.XY{X: x, Y: y})
		}
		if len(xys) == 0 {
			continue
		}
		if c.Lo != nil {
			if len(c.Lo) != len(c.X) {
				return nil, nil, fmt.Errorf("plot: band %d (%q) has %d x and %d lower values", i, c.Label, len(c.X), len(c.Lo))
			}
			var top, bot plotter.XYs
			for j := range c.X {
				x, hi, lo := c.X[j], c.Y[j], c.Lo[j]
				if bad := func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) || (p.LogY && v <= 0) }; bad(x) || bad(hi) || bad(lo) {
					continue
				}
				top = append(top, plotter.XY{X: x, Y: hi})
				bot = append(bot, plotter.XY{X: x, Y: lo})
			}
			for j := len(bot) - 1; j >= 0; j-- {
				top = append(top, bot[j])
			}
			if len(top) < 3 {
				continue
			}
			poly, err := plotter.NewPolygon(top)
			if err != nil {
				return nil, nil, err
			}
			poly.Color = c.color()
			poly.LineStyle.Width = 0
			g.Add(poly)
			continue
		}
		if c.Marker {
			s, err := plotter.NewScatter(xys)
			if err != nil {
				return nil, nil, err
			}
			s.GlyphStyle = draw.GlyphStyle{Color: c.color(), Radius: vg.Points(3), Shape: draw.CircleGlyph{}}
			g.Add(s)
			continue
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return nil, nil, err
		}
		l.LineStyle = c.style()
		g.Add(withFewBoxes(l, lineBoxes(l)))
	}
	// A log axis without positive data (an empty panel: no point was
	// plotted) would make gonum panic: draw it linear.
	for _, ax := range []struct {
		log bool
		a   *gplot.Axis
	}{{p.LogX, &g.X}, {p.LogY, &g.Y}} {
		if ax.log && (!(ax.a.Min > 0) || math.IsInf(ax.a.Min, 0) || math.IsInf(ax.a.Max, 0)) {
			ax.a.Scale, ax.a.Tick.Marker = gplot.LinearScale{}, plainTicks{}
		}
	}
	_, logY := g.Y.Scale.(gplot.LogScale)
	// A little room above and below the data, so that lines along the
	// range's ends stay visible (multiplicative on a log axis).
	if logY {
		// Out to the nearest labelled ticks, so that two labels
		// bracket every plotted value.
		// A value on a labelled tick is bracketed by it; room is
		// then left so that a line along the end stays visible.
		lo, hi := logBracket(g.Y.Min, g.Y.Max)
		if lo == g.Y.Min {
			lo /= 1.04
		}
		if hi == g.Y.Max {
			hi *= 1.04
		}
		g.Y.Min, g.Y.Max = lo, hi
	} else if !logY && p.Heat == nil {
		d := 0.03 * (g.Y.Max - g.Y.Min)
		g.Y.Min, g.Y.Max = g.Y.Min-d, g.Y.Max+d
	}
	if p.XMin < p.XMax {
		g.X.Min, g.X.Max = p.XMin, p.XMax
	}
	if p.YMin < p.YMax {
		g.Y.Min, g.Y.Max = p.YMin, p.YMax
	}
	if len(p.XTicks) > 0 {
		var ts []gplot.Tick
		for _, x := range p.XTicks {
			ts = append(ts, gplot.Tick{Value: x, Label: strconv.FormatFloat(x, 'g', 4, 64)})
		}
		g.X.Tick.Marker = gplot.ConstantTicks(ts)
	}
	for _, x := range p.VLines {
		lo, hi := g.Y.Min, g.Y.Max
		l, err := plotter.NewLine(plotter.XYs{{X: x, Y: lo}, {X: x, Y: hi}})
		if err != nil {
			return nil, nil, err
		}
		l.LineStyle = draw.LineStyle{Color: color.Gray{Y: 120}, Width: vg.Points(0.8), Dashes: dashes[Dotted]}
		g.Add(withFewBoxes(l, lineBoxes(l)))
	}
	return g, h, nil
}

// legend collects the legend entries of panels, one per distinct label, in
// order; empty reports that there are none.
func legend(ps ...*Panel) (l gplot.Legend, empty bool) {
	l = gplot.NewLegend()
	l.TextStyle.Font.Size = fontSize - 1
	l.Top, l.Left = true, true
	l.ThumbnailWidth = vg.Points(26)
	l.Padding = vg.Points(2)
	seen := map[string]bool{}
	for _, p := range ps {
		for _, c := range p.Curves {
			if c.Label == "" || seen[c.Label] {
				continue
			}
			seen[c.Label] = true
			l.Add(c.Label, thumb{c})
		}
	}
	return l, len(seen) == 0
}

// rowLegend is the legend of a row's panels that are not LegendBeside.
func (r Row) legend() (gplot.Legend, bool) {
	var ps []*Panel
	for _, p := range r {
		if !p.LegendBeside {
			ps = append(ps, p)
		}
	}
	return legend(ps...)
}

// legendWidth is the width of a legend with its margin (0 when empty).
func legendWidth(l gplot.Legend, empty bool) vg.Length {
	if empty {
		return 0
	}
	r := l.Rectangle(draw.Canvas{})
	return r.Max.X - r.Min.X + vg.Points(8)
}

// Render draws rows of panels (with the legends on the right) on a w × h
// canvas in the given format.
func Render(rows []Row, w, h vg.Length, f Format) (io.WriterTo, error) {
	return render("", rows, w, h, f)
}

// Bytes renders rows and returns the encoded image.
func Bytes(rows []Row, w, h vg.Length, f Format) ([]byte, error) {
	return BytesTitled("", rows, w, h, f)
}

// Encode renders rows on a w × h canvas and writes the image to dst.
func Encode(dst io.Writer, rows []Row, w, h vg.Length, f Format) error {
	wt, err := render("", rows, w, h, f)
	if err != nil {
		return err
	}
	_, err = wt.WriteTo(dst)
	return err
}

// BytesTitled is Bytes with a figure title centred above the rows (e.g.
// what differs between the overlaid runs).
func BytesTitled(title string, rows []Row, w, h vg.Length, f Format) ([]byte, error) {
	wt, err := render(title, rows, w, h, f)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if _, err := wt.WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func render(title string, rows []Row, w, h vg.Length, f Format) (io.WriterTo, error) {
	var (
		cv  vg.CanvasSizer
		out func() io.WriterTo
	)
	switch f {
	case PNG:
		c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(144), vgimg.UseBackgroundColor(color.White))
		cv, out = c, func() io.WriterTo { return fastPNG{c} }
	case SVG:
		c := vgsvg.NewWith(vgsvg.UseWH(w, h), vgsvg.EmbedFonts(true))
		cv, out = c, func() io.WriterTo { return c }
	default:
		return nil, fmt.Errorf("plot: unknown format %q", f)
	}
	dc := draw.New(cv)
	if f == SVG {
		dc.SetColor(color.White)
		dc.Fill(dc.Rectangle.Path())
	}
	if title != "" {
		ts := gplot.New().Title.TextStyle
		ts.Font.Size = fontSize + 1
		ts.XAlign, ts.YAlign = draw.XCenter, draw.YTop
		dc.FillText(ts, vg.Point{X: (dc.Min.X + dc.Max.X) / 2, Y: dc.Max.Y - vg.Points(4)}, title)
		r := ts.Rectangle(title)
		dc = draw.Crop(dc, 0, 0, 0, -(r.Max.Y-r.Min.Y)-vg.Points(10))
	}
	plots := make([][]*gplot.Plot, len(rows))
	heats := make([][]*plotter.HeatMap, len(rows))
	legends := make([]gplot.Legend, len(rows))
	cols := 0
	var lw vg.Length
	for i, r := range rows {
		cols = max(cols, len(r))
		for _, p := range r {
			g, h, err := p.build()
			if err != nil {
				return nil, err
			}
			plots[i] = append(plots[i], g)
			heats[i] = append(heats[i], h)
		}
		var empty bool
		legends[i], empty = r.legend()
		lw = max(lw, legendWidth(legends[i], empty))
	}
	for i := range plots {
		for len(plots[i]) < cols {
			plots[i] = append(plots[i], nil)
		}
	}
	left := draw.Crop(dc, 0, -lw, 0, 0)
	tiles := draw.Tiles{
		Rows: len(rows), Cols: cols,
		PadX: vg.Points(10), PadY: vg.Points(10),
		PadTop: vg.Points(6), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(6),
	}
	cells := layout(rows, plots, tiles, left)
	for i := range plots {
		for j, g := range plots[i] {
			if g != nil {
				drawPanel(rows[i][j], g, heats[i][j], cells[i][j])
			}
		}
		if lw > 0 {
			lc := draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{
				Min: vg.Point{X: dc.Max.X - lw + vg.Points(2), Y: cells[i][0].Min.Y},
				Max: vg.Point{X: dc.Max.X, Y: cells[i][0].Max.Y - vg.Points(18)},
			}}
			legends[i].Draw(lc)
		}
	}
	return out(), nil
}

// layout returns the cells of the panels: gonum's aligned grid, except
// for rows whose panels have unequal spans, split in proportion to them.
func layout(rows []Row, plots [][]*gplot.Plot, t draw.Tiles, c draw.Canvas) [][]draw.Canvas {
	cells := gplot.Align(plots, t, c)
	one := draw.Tiles{Rows: 1, Cols: 1}
	for i, r := range rows {
		var sum float64
		spans := make([]float64, len(r))
		for j, p := range r {
			spans[j] = p.Span
			if spans[j] <= 0 {
				spans[j] = 1
			}
			sum += spans[j]
		}
		if slices.Min(spans) == slices.Max(spans) {
			continue
		}
		rc := t.At(c, 0, i) // the row's height
		rc = draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: c.Min.X + t.PadLeft, Y: rc.Min.Y}, Max: vg.Point{X: c.Max.X - t.PadRight, Y: rc.Max.Y}}}
		avail := rc.Max.X - rc.Min.X - t.PadX*vg.Length(len(r)-1)
		x := rc.Min.X
		for j := range r {
			w := avail * vg.Length(spans[j]/sum)
			sub := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{Min: vg.Point{X: x, Y: rc.Min.Y}, Max: vg.Point{X: x + w, Y: rc.Max.Y}}}
			cells[i][j] = gplot.Align([][]*gplot.Plot{{plots[i][j]}}, one, sub)[0][0]
			x += w + t.PadX
		}
	}
	return cells
}

// drawPanel draws a panel's plot g in cell c, with, at the right of the
// cell, its own legend (LegendBeside) and its heat map's colour bar.
func drawPanel(p *Panel, g *gplot.Plot, h *plotter.HeatMap, c draw.Canvas) {
	var (
		l     gplot.Legend
		lw    vg.Length
		barTS = colorBarText()
		bw    vg.Length
	)
	if p.LegendBeside {
		var empty bool
		l, empty = legend(p)
		lw = legendWidth(l, empty)
	}
	bar := h != nil && p.ColorBar != "" && h.Max > h.Min
	if bar {
		bw = colorBarWidth(h, barTS)
	}
	pc := draw.Crop(c, 0, -lw-bw, 0, 0)
	if p.Equal {
		equalize(g, pc)
	}
	g.Draw(pc)
	da := g.DataCanvas(pc)
	if bar {
		drawColorBar(draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: pc.Max.X, Y: da.Min.Y}, Max: vg.Point{X: pc.Max.X + bw, Y: da.Max.Y}}},
			h, p.Contours, p.ColorBar, barTS)
	}
	if lw > 0 {
		l.Draw(draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: c.Max.X - lw + vg.Points(6), Y: da.Min.Y}, Max: vg.Point{X: c.Max.X, Y: da.Max.Y}}})
	}
}

// equalize widens the shorter axis range of g so that one unit on x is as
// long as one on y in the data area of cell c. The data area depends a
// little on the tick labels, hence the second pass.
func equalize(g *gplot.Plot, c draw.Canvas) {
	for range 2 {
		da := g.DataCanvas(c)
		w, h := float64(da.Max.X-da.Min.X), float64(da.Max.Y-da.Min.Y)
		dx, dy := g.X.Max-g.X.Min, g.Y.Max-g.Y.Min
		if w <= 0 || h <= 0 || dx <= 0 || dy <= 0 {
			return
		}
		if w/dx > h/dy { // x units longer: widen x
			m, half := (g.X.Max+g.X.Min)/2, dy*w/h/2
			g.X.Min, g.X.Max = m-half, m+half
		} else {
			m, half := (g.Y.Max+g.Y.Min)/2, dx*h/w/2
			g.Y.Min, g.Y.Max = m-half, m+half
		}
	}
}

// Inches converts inches to a vg.Length (for callers that size figures).
func Inches(x float64) vg.Length { return vg.Length(x) * vg.Inch }

// plainTicks is gonum's default ticks, labelled as integers when every
// label is one (2500, not 2500.00); otherwise gonum's labels, which share
// their decimals (0.50, 0.75, 1.00).
type plainTicks struct{}

func (plainTicks) Ticks(min, max float64) []gplot.Tick {
	ts := gplot.DefaultTicks{}.Ticks(min, max)
	for _, t := range ts {
		if t.Label != "" && (t.Value != math.Trunc(t.Value) || math.Abs(t.Value) >= 1e15) {
			return ts
		}
	}
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = strconv.FormatFloat(ts[i].Value, 'f', -1, 64)
		}
	}
	return ts
}

// logTicks labels a log axis at 1, 2 and 5 times powers of ten when it
// spans less than two decades (gonum's LogTicks would leave it bare), else
// at powers of ten.
type logTicks struct{}

func (logTicks) Ticks(min, max float64) []gplot.Tick {
	if min <= 0 || max <= min {
		return gplot.LogTicks{Prec: -1}.Ticks(min, max)
	}
	lo, hi := math.Floor(math.Log10(min)), math.Ceil(math.Log10(max))
	labelled := logLabelled(min, max)
	var ts []gplot.Tick
	for e := lo; e <= hi; e++ {
		for k := 1; k <= 9; k++ {
			v := float64(k) * math.Pow(10, e)
			if v < min*(1-1e-9) || v > max*(1+1e-9) {
				continue
			}
			t := gplot.Tick{Value: v}
			if slices.Contains(labelled, float64(k)) {
				t.Label = strconv.FormatFloat(v, 'g', 6, 64)
			}
			ts = append(ts, t)
		}
	}
	return ts
}

// logLabelled is the mantissas logTicks labels on a log axis [min, max].
func logLabelled(min, max float64) []float64 {
	switch decades := math.Log10(max / min); {
	case decades > 3:
		return []float64{1}
	case decades > 1.2:
		return []float64{1, 2, 5}
	default:
		return []float64{1, 2, 3, 4, 5, 6, 7, 8, 9}
	}
}

// logBracket widens [min, max] (min > 0) to the nearest labelled ticks of
// logTicks below min and above max. Widening can only thin the labels, so
// it repeats until the ends are labelled ticks of the final range.
func logBracket(min, max float64) (float64, float64) {
	for range 4 {
		ms := logLabelled(min, max)
		down := func(v float64) float64 {
			e := math.Floor(math.Log10(v))
			for e0 := e; e0 >= e-1; e0-- {
				for k := len(ms) - 1; k >= 0; k-- {
					if t := ms[k] * math.Pow(10, e0); t <= v*(1+1e-9) {
						return t
					}
				}
			}
			return v
		}
		up := func(v float64) float64 {
			e := math.Floor(math.Log10(v))
			for e0 := e; e0 <= e+1; e0++ {
				for _, m := range ms {
					if t := m * math.Pow(10, e0); t >= v*(1-1e-9) {
						return t
					}
				}
			}
			return v
		}
		lo, hi := down(min), up(max)
		if lo == min && hi == max {
			break
		}
		min, max = lo, hi
	}
	return min, max
}

// Faded returns c with opacity alpha in [0, 1] (bands drawn behind data).
func Faded(c color.Color, alpha float64) color.Color {
	r, g, b, _ := c.RGBA()
	return color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: uint8(math.Round(255 * alpha))}
}

// SEBand is the ± 1 SE band of the curve (x, y) with standard errors se, in
// Colors[c] at 20% opacity, without a legend entry; points whose SE is NaN
// (one trial) are left out.
func SEBand(x, y, se []float64, c int) Curve {
	hi, lo := make([]float64, len(y)), make([]float64, len(y))
	for j := range y {
		hi[j], lo[j] = y[j]+se[j], y[j]-se[j]
	}
	return Curve{X: x, Y: hi, Lo: lo, RGB: BandColor(c)}
}

// BandColor is the colour of SEBand's bands in Colors[c] (for a legend
// entry: Curve{Label: …, Lo: []float64{}, RGB: BandColor(c)}).
func BandColor(c int) color.Color { return Faded(Curve{Color: c}.color(), 50.0/255) }
