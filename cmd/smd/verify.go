package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/smdlab/smd/cmd/smd/internal/progress"
	"github.com/smdlab/smd/experiment"
	"github.com/smdlab/smd/internal/outdir"
	"github.com/smdlab/smd/verify"
)

// VerifyCmd is `smd verify`.
type VerifyCmd struct {
	Quick bool   `help:"The same claims on the same configs with fewer trials (under 2 minutes on 2 cores; run by go test)."`
	Out   string `help:"Output directory for report.md, report.csv and run.json." default:"smd-verify" placeholder:"DIR"`
	Seed  uint64 `help:"Seed of every simulation in the grid (the report is reproducible for a given seed)." default:"1"`
}

// Help is shown by `smd verify --help`.
func (VerifyCmd) Help() string {
	return `Checks every closed-form result (package theory: corrected formulas, and the
paper's printed ones beside them) against simulation on a grid of configs:
p from 3 to 10^4, several eta, lambda, sigma, a_h - a_l != 1, a spread spectrum,
and a learning-rate decay with and without rescale. Writes DIR/report.md,
DIR/report.csv and DIR/run.json, one row per (result, config): predicted (corrected), predicted
(as printed), simulated +- SE, bound, verdicts. Verdict: |simulated - predicted|
<= 4.42 SE + a documented discretization bound (docs/verify.md). Exits 1 if a
corrected formula fails.`
}

// Run executes the verification.
func (v *VerifyCmd) Run(g *Globals) error {
	if err := experiment.PrepareOutDir(v.Out); err != nil {
		return badInput(err)
	}
	rep := progress.New(g.Stderr, g.Log, g.Interactive, "verify", 1, 2*time.Second)
	r, err := verify.Run(g.Ctx, v.Quick, v.Seed, func(done, total int) {
		rep.SetTotal(int64(total))
		rep.Update(int64(done))
	})
	if err != nil && (r == nil || interruptedBy(g.Ctx) == nil) {
		return err
	}
	runErr := err // an interrupt: the checks done so far are written
	if runErr == nil {
		rep.Done()
	}
	set, err := outdir.Create(v.Out)
	if err != nil {
		return err
	}
	defer set.Discard()
	if err := set.WriteFile("report.md", r.WriteMarkdown); err != nil {
		return err
	}
	if err := set.WriteFile("report.csv", r.WriteCSV); err != nil {
		return err
	}
	if err := set.WriteFile("run.json", func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"program": "smd verify", "version": r.Version, "quick": r.Quick, "seed": r.Seed,
			"wall_seconds": r.Wall.Seconds(), "checks": len(r.Rows), "failed": r.Failed(), "partial": r.Partial != "", "partial_reason": r.Partial})
	}); err != nil {
		return err
	}
	if err := set.Commit(); err != nil {
		return err
	}
	report := filepath.Join(v.Out, "report.md")
	if runErr != nil {
		g.Log.Warn("verify interrupted: the checks done so far written", "out", v.Out, "checks", len(r.Rows), "reason", r.Partial, "report", report)
		return runErr
	}
	fmt.Fprintf(g.Stdout, "%d checks, %d failed; report: %s\n", len(r.Rows), r.Failed(), report)
	if n := r.Failed(); n > 0 {
		return fmt.Errorf("verify: %d corrected formula(s) disagree with simulation (see %s)", n, report)
	}
	return nil
}
