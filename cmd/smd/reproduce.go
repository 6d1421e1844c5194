package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/smdlab/smd"
	"github.com/smdlab/smd/claim"
	"github.com/smdlab/smd/cmd/smd/internal/progress"
	"github.com/smdlab/smd/cmd/smd/internal/repro"
	"github.com/smdlab/smd/experiment"
	"github.com/smdlab/smd/internal/outdir"
)

// ReproduceCmd is `smd reproduce`.
type ReproduceCmd struct {
	Figure string `arg:"" optional:"" default:"all" help:"Which figure: a target of repro.Targets (fig1, fig2, fig3, periodic) or all (default all: Figures 1 and 2; fig3 trains networks and runs only when asked for)."`
	Out    string `help:"Output directory (default ./figures)." default:"figures" placeholder:"DIR"`
	Trials int    `help:"Trials per curve (0: the figure's default, 100 per Figure 2 curve as in the paper, 3 per Figure 3 curve)." default:"0"`
	Data   string `help:"Fashion-MNIST directory for fig3 (IDX files, gzipped or not; default /usr/share/datasets/fashion-mnist from Debian's dataset-fashion-mnist)." type:"path" placeholder:"DIR"`
	// Fig3Steps, Fig3Test and Fig3From shorten or replay fig3 (hidden: tests and redrawing).
	Fig3Steps int    `name:"fig3-steps-per-epoch" hidden:"" help:"fig3: SGD steps per epoch (0: one pass over the data)."`
	Fig3Test  int    `name:"fig3-test-samples" hidden:"" help:"fig3: test images per evaluation (0: all)."`
	Fig3From  string `name:"fig3-from" hidden:"" type:"existingfile" help:"fig3: redraw from the fig3-results.gob of an earlier run instead of training."`
	Workers   int    `help:"Worker goroutines (0: all cores). Never changes the output." default:"0"`
	Seed      uint64 `help:"Add N to every preset's seed (0: the presets' own seeds), to check that no claim rests on one seed." default:"0"`
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
periodic (not in all): the low-noise periodic regime (Lobacheva et al.
2021) on a p = 10 NRQ with eta = lambda = 0.1: (a) one trajectory's norm
cycles, (b) the period against sigma, measured and predicted by the
entry-exit relation (experiment.PeriodicPreset; docs/derivations.md §13).

Figure 3 (a)-(l), only when asked for (fig3; about 20 minutes on two cores):
the paper's real-data experiments on Fashion-MNIST (--data, default
/usr/share/datasets/fashion-mnist from Debian's dataset-fashion-mnist) with a
batch-normalized MLP: train loss, test accuracy, mean angular update with
sqrt(2*lambda*eta), mean weight norm, for several (eta, lambda) at equal
eta*lambda, a learning-rate decay without and with rescale, and a 10x
initial scale with and without Corollary 3 (train.Fig3Equilibrium,
Fig3Decay, Fig3Init); 3 trials per curve unless --trials says otherwise.

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
	if r.Trials == 0 {
		r.Trials = 100
		if len(targets) == 1 && targets[0].Trials > 0 {
			r.Trials = targets[0].Trials
		}
	}
	if r.Trials < 2 {
		return badInput(fmt.Errorf("--trials: must be ≥ 2 (standard errors need two trials), got %d", r.Trials))
	}
	if r.Workers < 0 {
		return badInput(fmt.Errorf("--workers: must be ≥ 0, got %d", r.Workers))
	}
	opt := repro.Options{Trials: r.Trials, Workers: r.Workers, Seed: r.Seed, Out: r.Out,
		Data: r.Data, Fig3StepsPerEpoch: r.Fig3Steps, Fig3TestSamples: r.Fig3Test, Fig3From: r.Fig3From}
	for _, t := range targets {
		if t.Validate != nil {
			if err := t.Validate(opt); err != nil {
				return badInput(err)
			}
		}
	}
	if err := experiment.PrepareOutDir(r.Out); err != nil {
		return badInput(err)
	}
	start := time.Now()
	set, err := outdir.Create(r.Out) // every file appears at once, at the end (issue 12 class 6)
	if err != nil {
		return err
	}
	defer set.Discard()
	opt.Out = set.Dir()
	var figs []*repro.Figure
	runs := []repro.Run{}
	var runErr error // an interrupt: the figures finished so far are written
	files := 0
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
		if err != nil && interruptedBy(g.Ctx) != nil {
			runErr = err
			break
		}
		if err != nil {
			return err
		}
		if rep != nil {
			rep.Done()
		}
		n, err := repro.WriteFigure(g.Ctx, set.Dir(), f) // drawn at once: an interrupt then writes only the index
		if err != nil && interruptedBy(g.Ctx) != nil {
			runErr = err
			break
		}
		if err != nil {
			return err
		}
		files += n
		figs = append(figs, f)
		runs = append(runs, rr...)
	}
	partial := ""
	if runErr != nil {
		done := "none"
		if len(figs) > 0 {
			var names []string
			for _, f := range figs {
				names = append(names, f.Name)
			}
			done = strings.Join(names, ", ")
		}
		partial = fmt.Sprintf("%v after %d of %d figures (finished: %s)", interruptedBy(g.Ctx), len(figs), len(targets), done)
	}
	if err := set.WriteFile("index.html", func(w io.Writer) error {
		if partial == "" {
			return repro.WriteIndex(w, figs, r.Trials)
		}
		var b bytes.Buffer
		if err := repro.WriteIndex(&b, figs, r.Trials); err != nil {
			return err
		}
		_, err := w.Write(markPartial(b.Bytes(), partial))
		return err
	}); err != nil {
		return err
	}
	wall := time.Since(start)
	if err := set.WriteFile("run.json", func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{
			"program": "smd reproduce", "version": smd.Version(), "figure": r.Figure,
			"trials": r.Trials, "seed_offset": r.Seed, "started": start.UTC(), "wall_seconds": wall.Seconds(), "runs": runs,
			"partial": partial != "", "partial_reason": partial,
		})
	}); err != nil {
		return err
	}
	files += 2
	if err := set.Commit(); err != nil {
		return err
	}
	if runErr != nil {
		g.Log.Warn("reproduce interrupted: the finished figures written", "out", r.Out, "figures", len(figs), "reason", partial, "index", filepath.Join(r.Out, "index.html"))
		return runErr
	}
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

// markPartial puts a notice that the page is partial right after the
// index's heading (after <body> if there is none).
func markPartial(index []byte, reason string) []byte {
	note := []byte("\n<p class=\"partial\" style=\"background:#fff3cd;padding:0.5em\"><strong>Partial run:</strong> " + html.EscapeString(reason) + ". Only the finished figures are shown; run.json says \"partial\": true.</p>\n")
	at := bytes.Index(index, []byte("</h1>"))
	if at >= 0 {
		at += len("</h1>")
	} else if at = bytes.Index(index, []byte("<body>")); at >= 0 {
		at += len("<body>")
	} else {
		at = 0
	}
	return slices.Concat(index[:at], note, index[at:])
}
