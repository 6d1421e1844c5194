package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/smdlab/smd"
	"github.com/smdlab/smd/claim"
	"github.com/smdlab/smd/cmd/smd/internal/progress"
	"github.com/smdlab/smd/cmd/smd/internal/repro"
	"github.com/smdlab/smd/experiment"
)

// ReproduceCmd is `smd reproduce`.
type ReproduceCmd struct {
	Figure  string `arg:"" optional:"" default:"all" help:"Which figure: a target of repro.Targets (fig1, fig2) or all (default all)."`
	Out     string `help:"Output directory (default ./figures)." default:"figures" placeholder:"DIR"`
	Trials  int    `help:"Trials per Figure 2 curve (the paper averages 100)." default:"100"`
	Workers int    `help:"Worker goroutines (0: all cores). Never changes the output." default:"0"`
	Seed    uint64 `help:"Add N to every preset's seed (0: the presets' own seeds), to check that no claim rests on one seed." default:"0"`
}

// Help is shown by `smd reproduce --help`.
func (ReproduceCmd) Help() string {
	return `Regenerates the NRQ figures of the paper with theory overlaid and checks
their claims against the simulated data.

Figure 1: (a) a simulated p = 3 trajectory of eq 3 settling on the
equilibrium sphere (spherical motion dynamics); (b) the loss landscape
(x^2 + 2y^2)/(x^2 + y^2) + (x^2 + y^2) as a heat map with contours.
Figure 2 (a)-(l): risk, loss, angular update and weight norm against t for
three groups of settings (experiment.Fig2Equilibrium, Fig2Escape, Fig2Init;
their doc comments give the settings): equilibrium for several (eta,
lambda), the escape after a learning-rate decay with and without rescale,
and Corollary 3 with different initial scales.

Writes into --out: every panel as PNG, SVG (fonts embedded) and CSV (its
data: series, kind (sim or theory), step, value, se), fig1.png/svg and
fig2.png/svg with all panels, index.html with a caption per panel stating
the paper's claim and the measured numbers, and run.json (version, the
resolved config of every run, wall times).`
}

// Run executes `smd reproduce`.
func (r *ReproduceCmd) Run(g *Globals) error {
	targets, ok := repro.Select(r.Figure)
	if !ok {
		return badInput(fmt.Errorf("figure %q: must be one of %s", r.Figure, repro.Names()))
	}
	if r.Trials < 2 {
		return badInput(fmt.Errorf("--trials: must be ≥ 2 (standard errors need two trials), got %d", r.Trials))
	}
	if r.Workers < 0 {
		return badInput(fmt.Errorf("--workers: must be ≥ 0, got %d", r.Workers))
	}
	if err := experiment.PrepareOutDir(r.Out); err != nil {
		return badInput(err)
	}
	start := time.Now()
	if err := os.MkdirAll(r.Out, 0o755); err != nil {
		return err
	}
	opt := repro.Options{Trials: r.Trials, Workers: r.Workers, Seed: r.Seed}
	var figs []*repro.Figure
	runs := []repro.Run{}
	for _, t := range targets {
		var total int64
		if t.Work != nil {
			total = t.Work(opt)
		}
		update := func(int64) {}
		var rep *progress.Reporter
		if total > 0 {
			rep = progress.New(g.Stderr, g.Log, g.Interactive, "reproduce "+t.Name, total, 2*time.Second)
			update = func(done int64) { rep.Update(done) }
		}
		f, rr, err := t.Build(g.Ctx, opt, update)
		if err != nil {
			return err
		}
		if rep != nil {
			rep.Done()
		}
		figs = append(figs, f)
		runs = append(runs, rr...)
	}
	files := 0
	for _, f := range figs {
		n, err := repro.WriteFigure(r.Out, f)
		if err != nil {
			return err
		}
		files += n
	}
	if err := repro.WriteFile(filepath.Join(r.Out, "index.html"), func(w io.Writer) error {
		return repro.WriteIndex(w, figs, r.Trials)
	}); err != nil {
		return err
	}
	wall := time.Since(start)
	if err := repro.WriteFile(filepath.Join(r.Out, "run.json"), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{
			"program": "smd reproduce", "version": smd.Version(), "figure": r.Figure,
			"trials": r.Trials, "seed_offset": r.Seed, "started": start.UTC(), "wall_seconds": wall.Seconds(), "runs": runs,
		})
	}); err != nil {
		return err
	}
	files += 2
	count := map[claim.Verdict]int{}
	for _, f := range figs {
		for _, row := range f.Rows {
			for _, p := range row {
				count[p.Verdict]++
				if p.Verdict != claim.None {
					fmt.Fprintf(g.Stdout, "%s %-12s %s\n", p.Stem, p.Verdict, p.Plot.Title)
				}
			}
		}
	}
	g.Log.Info("reproduce done", "out", r.Out, "files", files, "supported", count[claim.Supported], "contradicted", count[claim.Contradicted], "not_shown", count[claim.NotShown],
		"wall", wall.Round(time.Millisecond), "index", filepath.Join(r.Out, "index.html"))
	return nil
}
