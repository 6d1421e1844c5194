package plot

import (
	"fmt"
	"image/color"
	"io"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// WriteGrid draws gonum plots laid out as grid (rows of equal length, axes
// aligned) on a width × height canvas and writes it to w as PNG or, with
// svg, SVG: the figures of smd train (train.WriteOutputs) and smd measure.
func WriteGrid(w io.Writer, grid [][]*gplot.Plot, width, height vg.Length, svg bool) error {
	var c vg.CanvasWriterTo
	if svg {
		c = vgsvg.New(width, height)
	} else {
		c = fastPNG{vgimg.New(width, height)}
	}
	tiles := draw.Tiles{Rows: len(grid), Cols: len(grid[0]), PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := gplot.Align(grid, tiles, draw.New(c))
	for i := range grid {
		for j, p := range grid[i] {
			p.Draw(canvases[i][j])
		}
	}
	if _, err := c.WriteTo(w); err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	return nil
}

// AddLine adds the line xy to p in colour c, dashed if asked, with a legend
// entry if name is not empty; nothing when xy has no drawable point (empty,
// or NaN only).
func AddLine(p *gplot.Plot, xy plotter.XYs, c color.Color, dashed bool, name string) {
	if len(xy) == 0 {
		return
	}
	l, err := plotter.NewLine(xy)
	if err != nil {
		return
	}
	l.Color = c
	if dashed {
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	}
	p.Add(l)
	if name != "" {
		p.Legend.Add(name, l)
	}
}
