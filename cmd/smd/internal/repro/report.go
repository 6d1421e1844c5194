// Package repro builds and writes the figures of `smd reproduce`: panels
// (gonum/plot via package plot), their CSV data, the combined images and
// index.html with one caption per panel stating the paper's claim, the
// measured numbers and the verdict (package claim). The statistics live in
// the library (experiment.CheckFig2, package claim); this package only
// presents them.
//
// A figure is a Target in Targets: adding one (fig3, periodic) is one entry
// there and one file with its Build function.
package repro

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/smdlab/smd/claim"
	"github.com/smdlab/smd/experiment"
	"github.com/smdlab/smd/internal/par"
	"github.com/smdlab/smd/plot"
	"github.com/smdlab/smd/train"
)

// Series is the data behind one curve of a panel (written to the CSV).
type Series struct {
	Name string
	Kind string // "sim" or "theory"
	X    []float64
	Y    []float64
	SE   []float64 // nil for theory
}

// Panel is one panel: its drawing, data and caption.
type Panel struct {
	Stem  string // file stem, e.g. "fig2a"
	Label string // "(a)"
	Claim string
	// Claims are the checks behind the verdict, one row each of the
	// figure's table in index.html.
	Claims []claim.Claim
	// Measured are further numbers, context rather than checks.
	Measured []string
	Verdict  claim.Verdict // claim.None: an illustration
	Plot     *plot.Panel
	Series   []Series
	// WriteCSV, if set, writes the CSV instead of Series.
	WriteCSV func(w io.Writer) error
	// PW, if set, is this panel's width alone in inches (the figure's PW
	// otherwise), e.g. room for its legend beside a square panel.
	PW float64
}

// Class is the CSS class of the verdict.
func (p *Panel) Class() string { return verdictClass(p.Verdict) }

// verdictClass is the CSS class of a verdict: its name without spaces.
func verdictClass(v claim.Verdict) string { return strings.ReplaceAll(v.String(), " ", "") }

// Figure is one figure: rows of panels and the size of the combined image.
type Figure struct {
	Name, Title, Caption string
	Rows                 [][]*Panel
	W, H                 float64 // inches, combined image
	PW, PH               float64 // inches, one panel
	Notes                []string
}

// Run is one simulation in run.json.
type Run struct {
	Figure string             `json:"figure"`
	Label  string             `json:"label"`
	Config *experiment.Config `json:"config,omitempty"`
	// TrainConfig is a Figure 3 run's network training config.
	TrainConfig *train.Config `json:"train_config,omitempty"`
	Method      string        `json:"method"`
	WallSec     float64       `json:"wall_seconds"`
}

// WriteFigure writes every panel (PNG, SVG, CSV) and the combined image
// into dir; it returns the number of files written. Drawing takes seconds:
// the images are rendered concurrently, GOMAXPROCS at a time (each
// rendering is independent and deterministic, so the bytes do not depend
// on the schedule), and then written in order. When ctx is cancelled it
// stops between renderings and between files, removes the figure's files
// written so far and returns ctx's error.
func WriteFigure(ctx context.Context, dir string, f *Figure) (n int, err error) {
	var written []string
	defer func() {
		if err != nil {
			for _, p := range written {
				os.Remove(p)
			}
		}
	}()
	save := func(name string, fn func(w io.Writer) error) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		p := filepath.Join(dir, name)
		if err := WriteFile(p, fn); err != nil {
			return err
		}
		written = append(written, p)
		n++
		return nil
	}
	imgs := figureImages(f)
	renderAll(ctx, imgs)
	next := 0 // imgs are in file order; the CSVs go between them
	writeImages := func(upto int) error {
		for ; next < upto; next++ {
			im := &imgs[next]
			if im.err != nil {
				return im.err
			}
			if err := save(im.name, func(w io.Writer) error {
				_, err := w.Write(im.data)
				return err
			}); err != nil {
				return err
			}
		}
		return nil
	}
	for _, row := range f.Rows {
		for _, p := range row {
			if err := writeImages(next + 2); err != nil { // the panel's PNG and SVG
				return n, err
			}
			if err := save(p.Stem+".csv", func(w io.Writer) error {
				if p.WriteCSV != nil {
					return p.WriteCSV(w)
				}
				return writeSeriesCSV(w, p.Series)
			}); err != nil {
				return n, err
			}
		}
	}
	return n, writeImages(len(imgs))
}

// image is one image file of a figure to render: rows drawn on w × h
// inches in format fm, with the error prefix label.
type image struct {
	name, label string
	rows        []plot.Row
	w, h        float64
	fm          plot.Format
	data        []byte
	err         error
}

// figureImages lists f's images in file order: each panel's PNG and SVG,
// then the combined PNG and SVG.
func figureImages(f *Figure) []image {
	var out []image
	var rows []plot.Row
	for _, row := range f.Rows {
		var pr plot.Row
		for _, p := range row {
			pr = append(pr, p.Plot)
			pw := f.PW
			if p.PW > 0 {
				pw = p.PW
			}
			for _, fm := range []plot.Format{plot.PNG, plot.SVG} {
				out = append(out, image{name: p.Stem + "." + string(fm), label: p.Stem, rows: []plot.Row{{p.Plot}}, w: pw, h: f.PH, fm: fm})
			}
		}
		rows = append(rows, pr)
	}
	for _, fm := range []plot.Format{plot.PNG, plot.SVG} {
		out = append(out, image{name: f.Name + "." + string(fm), label: f.Name, rows: rows, w: f.W, h: f.H, fm: fm})
	}
	return out
}

// renderAll renders imgs on all cores (par.For), the combined images
// (the largest, listed last) first so that none is left to run alone at
// the end. An image not rendered because ctx was cancelled has ctx's
// error.
func renderAll(ctx context.Context, imgs []image) {
	par.For(len(imgs), func(k int) {
		im := &imgs[len(imgs)-1-k]
		if im.err = ctx.Err(); im.err != nil {
			return
		}
		im.data, im.err = plot.Bytes(im.rows, plot.Inches(im.w), plot.Inches(im.h), im.fm)
		if im.err != nil {
			im.err = fmt.Errorf("%s: %w", im.label, im.err)
		}
	})
}

// WriteFile writes path atomically (experiment.WriteAtomic) and makes it
// world-readable, as index.html and its images are meant to be served.
func WriteFile(path string, write func(w io.Writer) error) error {
	if err := experiment.WriteAtomic(path, write); err != nil {
		return err
	}
	return os.Chmod(path, 0o644)
}

// writeSeriesCSV writes a panel's data in long form: series, kind, step,
// value, se (empty for theory).
func writeSeriesCSV(w io.Writer, ss []Series) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"series", "kind", "step", "value", "se"}); err != nil {
		return err
	}
	for _, s := range ss {
		for i := range s.X {
			se := ""
			if s.SE != nil {
				se = ff(s.SE[i])
			}
			if err := cw.Write([]string{s.Name, s.Kind, ff(s.X[i]), ff(s.Y[i]), se}); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

func ff(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
