package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/smdlab/smd/cmd/smd/internal/runplot"
	"github.com/smdlab/smd/experiment"
	"github.com/smdlab/smd/plot"
)

// PlotCmd is `smd plot`.
type PlotCmd struct {
	Dirs    []string `arg:"" name:"RUN_DIR" help:"Output folders of smd simulate or smd train (series.csv and run.json)."`
	Out     string   `help:"Output image; .png or .svg (default: RUN_DIR/plot.png for one run, plot.png for several)." placeholder:"FILE"`
	Label   []string `help:"Legend label, once per RUN_DIR, in order (default: the folder names)." placeholder:"NAME" sep:"none"`
	Theory  bool     `help:"Overlay the closed-form theory of each run's config (plain SGD on the NRQ; the √(2λη) column of a train run). Default: ${default}." default:"true" negatable:""`
	Columns []string `help:"Panels to draw, by series.csv column (default: risk,loss,au_rms,norm for simulate; train_loss,test_acc,rms_au,mean_norm for train)." placeholder:"COLS"`
}

// Help is shown by `smd plot --help`.
func (PlotCmd) Help() string {
	return `Draws one or more run folders as the paper's panels against steps: for
smd simulate, risk, loss, angular update sqrt(E Delta^2) and weight norm
(log axes as in Figure 2), with +-1 SE bands from the _se columns and, where
the config is plain SGD on the NRQ with sigma, the theory of that config
(Theorem 2's limiting risk and loss, Lemma 1's AU on the eq 17 norm path,
the eq 17 norm path) dashed on top; a dense a_file through its eigenvalues
(looked for in the run folder, then the current directory). Where there is
no theory (noise_file, noise_var, another optimizer) or no Theorem 2 (more
than two distinct eigenvalues: AU and norm paths only), stderr and a line
under the title say why. For smd train: train loss, test accuracy,
RMS angular update with sqrt(2 lambda eta), mean weight norm. Several folders
overlay with a legend; the title lists the config keys that differ.

Examples:
  smd simulate --config my.yaml --out run-a
  smd plot run-a                          # writes run-a/plot.png
  smd plot run-a run-b --out ab.svg --label "eta 0.1" --label "eta 0.05"`
}

// Run draws the plot.
func (p *PlotCmd) Run(g *Globals) error {
	if len(p.Label) > 0 && len(p.Label) != len(p.Dirs) {
		return badInput(fmt.Errorf("--label: %d labels for %d run folders", len(p.Label), len(p.Dirs)))
	}
	out := p.Out
	if out == "" {
		out = "plot.png"
		if len(p.Dirs) == 1 {
			out = filepath.Join(p.Dirs[0], "plot.png")
		}
	}
	var f plot.Format
	switch strings.ToLower(filepath.Ext(out)) {
	case ".png":
		f = plot.PNG
	case ".svg":
		f = plot.SVG
	default:
		return badInput(fmt.Errorf("--out %s: the extension must be .png or .svg", out))
	}
	var cols []string
	for _, c := range p.Columns {
		for _, s := range strings.Split(c, ",") {
			if s = strings.TrimSpace(s); s != "" {
				cols = append(cols, s)
			}
		}
	}
	var runs []*runplot.Run
	for i, d := range p.Dirs {
		r, err := runplot.Load(d)
		if err != nil {
			return plotErr(err)
		}
		if len(p.Label) > 0 {
			r.Label = p.Label[i]
		}
		runs = append(runs, r)
	}
	panels, err := runplot.Panels(runs, cols, p.Theory)
	if err != nil {
		return plotErr(err)
	}
	for _, r := range runs {
		for _, n := range r.Notes {
			g.Log.Warn(n)
		}
	}
	b, err := runplot.Render(runs, panels, f)
	if err != nil {
		return err
	}
	if err := writeAtomic(out, b); err != nil {
		return err
	}
	g.Log.Info("plot done", "out", out, "runs", len(runs), "panels", len(panels))
	return nil
}

// plotErr makes runplot's bad input exit 2, with the "bad input: " prefix
// dropped (the message names the folder or file already).
func plotErr(err error) error {
	if errors.Is(err, runplot.ErrInput) {
		return badInput(errors.New(strings.TrimPrefix(err.Error(), runplot.ErrInput.Error()+": ")))
	}
	return err
}

// writeAtomic writes b as the file path, atomically (experiment.WriteAtomic):
// an image that lives beside other files, not in an output set of its own.
func writeAtomic(path string, b []byte) error {
	return experiment.WriteAtomic(path, func(w io.Writer) error { _, err := w.Write(b); return err })
}
