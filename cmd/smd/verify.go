package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/smdlab/smd/cmd/smd/internal/progress"
	"github.com/smdlab/smd/experiment"
	"github.com/smdlab/smd/verify"
)

// VerifyCmd is `smd verify`.
type VerifyCmd struct {
	Quick bool   `help:"The same claims on the same configs with fewer trials (under 2 minutes on 2 cores; run by go test)."`
	Out   string `help:"Output directory for report.md and report.csv." default:"smd-verify" placeholder:"DIR"`
	Seed  uint64 `help:"Seed of every simulation in the grid (the report is reproducible for a given seed)." default:"1"`
}

// Help is shown by `smd verify --help`.
func (VerifyCmd) Help() string {
	return `Checks every closed-form result (package theory: corrected formulas, and the
paper's printed ones beside them) against simulation on a grid of configs:
p from 3 to 10^4, several eta, lambda, sigma, a_h - a_l != 1, a spread spectrum,
and a learning-rate decay with and without rescale. Writes DIR/report.md and
DIR/report.csv, one row per (result, config): predicted (corrected), predicted
(as printed), simulated +- SE, bound, verdicts. Verdict: |simulated - predicted|
<= 4.42 SE + a documented discretization bound (docs/verify.md). Exits 1 if a
corrected formula fails.`
}

// Run executes the verification.
func (v *VerifyCmd) Run(g *Globals) error {
	if err := experiment.PrepareOutDir(v.Out); err != nil {
		return badInput(err)
	}
	rep := progress.New(g.Stderr, g.Log, g.Interactive, "verify", 1, 5*time.Second)
	r, err := verify.Run(g.Ctx, v.Quick, v.Seed, func(done, total int) {
		rep.SetTotal(int64(total))
		rep.Update(int64(done))
	})
	if err != nil {
		return err
	}
	rep.Done()
	if err := os.MkdirAll(v.Out, 0o755); err != nil {
		return err
	}
	if err := experiment.WriteAtomic(filepath.Join(v.Out, "report.md"), func(w io.Writer) error { return r.WriteMarkdown(w) }); err != nil {
		return err
	}
	if err := experiment.WriteAtomic(filepath.Join(v.Out, "report.csv"), func(w io.Writer) error { return r.WriteCSV(w) }); err != nil {
		return err
	}
	fmt.Fprintf(g.Stdout, "%d checks, %d failed; report: %s\n", len(r.Rows), r.Failed(), filepath.Join(v.Out, "report.md"))
	if n := r.Failed(); n > 0 {
		return fmt.Errorf("verify: %d corrected formula(s) disagree with simulation (see %s)", n, filepath.Join(v.Out, "report.md"))
	}
	return nil
}
