package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/smdlab/smd/claim"
	"github.com/smdlab/smd/cmd/smd/internal/progress"
	"github.com/smdlab/smd/experiment"
	"github.com/smdlab/smd/plot"
	"github.com/smdlab/smd/sweep"
)

// SweepCmd is `smd sweep`.
type SweepCmd struct {
	Run     SweepRunCmd     `cmd:"" help:"Run a sweep's points (or one shard of them) into DIR/points/ID/."`
	Collect SweepCollectCmd `cmd:"" help:"Summarise a sweep folder into DIR/summary.csv and summary.json, with theory and verdicts."`
	Slurm   SweepSlurmCmd   `cmd:"" help:"Print an sbatch script running the sweep as a Slurm job array."`
	K8s     SweepK8sCmd     `cmd:"" name:"k8s" help:"Print a Kubernetes Indexed Job manifest running the sweep."`
	Plot    SweepPlotCmd    `cmd:"" help:"Draw a phase diagram of a sweep folder (lines with error bars, or heat maps), theory overlaid."`
}

// Help is shown by `smd sweep --help`.
func (SweepCmd) Help() string {
	return `A sweep config is YAML (unknown keys are errors):
  base:       a simulate config (inline), or
  base_file:  a simulate config file (relative to the sweep config)
  grid:       {key: [values], ...}  cartesian product; keys are config keys,
              nested ones dotted: init.std, schedule[0].lr_divide
  zip:        {key: [...], key2: [...]} (or a list of such groups): varied
              together, lists of one length
  seeds:      [1, 2, 5] or a count n (seeds 1..n)
  window:     fraction of the last steps that collect averages (default 0.25)
Every point is validated before anything runs. A point's id is derived from
its resolved config; its outputs (series.csv, run.json, exactly as smd
simulate writes them) go to DIR/points/ID/.`
}

func loadSweep(path string) (*sweep.Sweep, error) {
	sw, err := sweep.Load(path)
	if err != nil {
		return nil, badInput(err)
	}
	return sw, nil
}

// SweepRunCmd is `smd sweep run`.
type SweepRunCmd struct {
	Config  string `help:"Sweep config (YAML)." required:"" placeholder:"SWEEP"`
	Out     string `help:"Sweep folder." required:"" placeholder:"DIR"`
	Shard   string `help:"Run only shard i of n (0 ≤ i < n), e.g. 3/8." default:"0/1" placeholder:"i/n"`
	Workers int    `help:"Cores to use (0: all). Never changes the results." default:"0"`
}

func parseShard(s string) (int, int, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, &experiment.FieldError{Field: "--shard", Msg: fmt.Sprintf("want i/n with 0 ≤ i < n, got %q", s)}
	}
	return i, n, nil
}

// Run runs the shard.
func (c *SweepRunCmd) Run(g *Globals) error {
	i, n, err := parseShard(c.Shard)
	if err != nil {
		return badInput(err)
	}
	if c.Workers < 0 {
		return badInput(fmt.Errorf("--workers: must be ≥ 0, got %d", c.Workers))
	}
	sw, err := loadSweep(c.Config)
	if err != nil {
		return err
	}
	if err := experiment.PrepareOutDir(c.Out); err != nil {
		return badInput(err)
	}
	rep := progress.New(g.Stderr, g.Log, g.Interactive, fmt.Sprintf("sweep shard %d/%d", i, n), 1, 10*time.Second)
	start := time.Now()
	st, err := sweep.Run(g.Ctx, sw, c.Out, sweep.Options{
		Shard: i, Shards: n, Workers: c.Workers,
		Progress: func(p sweep.Progress) {
			rep.SetTotal(p.WorkTotal)
			rep.SetExtra(fmt.Sprintf("points %d/%d", p.Points, p.PointsTotal))
			rep.Update(p.Work)
		},
	})
	var fe *experiment.FieldError
	switch {
	case errors.As(err, &fe) && (fe.Field == "--out" || fe.Field == "--shard"):
		return badInput(err)
	case errors.Is(err, context.Canceled):
		g.Log.Warn("sweep interrupted", "ran", st.Ran, "skipped", st.Skipped, "points", st.Points)
		return err
	case err != nil:
		return err
	}
	rep.Done()
	wall := time.Since(start).Seconds()
	g.Log.Info("sweep shard done", "shard", c.Shard, "points", st.Points, "ran", st.Ran, "skipped", st.Skipped,
		"trial_steps", st.Work, "wall", time.Duration(wall*float64(time.Second)).Round(time.Millisecond),
		"trial_steps_per_s", fmt.Sprintf("%.3g", float64(st.Work)/wall), "next", "smd sweep collect "+c.Out)
	return nil
}

// SweepCollectCmd is `smd sweep collect`.
type SweepCollectCmd struct {
	Dir string `arg:"" help:"Sweep folder." placeholder:"DIR"`
}

// Run writes the summary.
func (c *SweepCollectCmd) Run(g *Globals) error {
	s, err := sweep.Collect(c.Dir)
	if err != nil {
		return badInput(err)
	}
	if err := s.Write(c.Dir); err != nil {
		return err
	}
	agree, disagree, none := 0, 0, 0
	for _, r := range s.Rows {
		switch {
		case r.Status != "ok":
		case r.Verdict == claim.Supported.String():
			agree++
		case strings.HasPrefix(r.Verdict, claim.Contradicted.String()):
			disagree++
			g.Log.Warn("theory contradicted", "id", r.ID, "params", paramsText(s, r), "verdict", r.Verdict)
		default:
			none++
		}
	}
	for _, m := range s.Missing {
		g.Log.Warn("point missing", "point", m)
	}
	g.Log.Info("sweep collected", "out", filepath.Join(c.Dir, "summary.csv"), "points", len(s.Rows),
		"missing", len(s.Missing), "supported", agree, "contradicted", disagree, "no_theory", none, "z", fmt.Sprintf("%.3g", s.Z))
	return nil
}

func paramsText(s *sweep.Summary, r *sweep.Row) string {
	var parts []string
	for _, k := range s.Keys {
		parts = append(parts, k+"="+r.Params[k])
	}
	return strings.Join(parts, " ")
}

// absPath resolves a path for a cluster script.
func absPath(p string) (string, error) {
	a, err := filepath.Abs(p)
	if err != nil {
		return "", badInput(err)
	}
	return a, nil
}

// SweepSlurmCmd is `smd sweep slurm`.
type SweepSlurmCmd struct {
	Config    string `help:"Sweep config (YAML)." required:"" placeholder:"SWEEP"`
	Out       string `help:"Sweep folder on storage the nodes share (created now, with DIR/slurm for the logs)." required:"" placeholder:"DIR"`
	Tasks     int    `help:"Array tasks n (shards)." required:""`
	Time      string `help:"Slurm --time limit per task, e.g. 02:00:00."`
	CPUs      int    `help:"--cpus-per-task; each task runs on that many cores." default:"1" name:"cpus"`
	Partition string `help:"Slurm --partition."`
	JobName   string `help:"Slurm --job-name." default:"smd-sweep"`
	Smd       string `help:"The smd executable on the nodes (default: this one)." placeholder:"PATH"`
}

// Run prints the script.
func (c *SweepSlurmCmd) Run(g *Globals) error {
	sw, err := loadSweep(c.Config)
	if err != nil {
		return err
	}
	o := sweep.SlurmOptions{Tasks: c.Tasks, Time: c.Time, CPUs: c.CPUs, Partition: c.Partition, JobName: c.JobName, Smd: c.Smd}
	if o.Smd == "" {
		if o.Smd, err = os.Executable(); err != nil {
			return err
		}
	}
	if o.Config, err = absPath(c.Config); err != nil {
		return err
	}
	if o.Out, err = absPath(c.Out); err != nil {
		return err
	}
	var b strings.Builder
	if err := sweep.SlurmScript(&b, sw, o); err != nil {
		return badInput(err)
	}
	if err := experiment.PrepareOutDir(o.Out); err != nil {
		return badInput(err)
	}
	if err := sw.Prepare(o.Out); err != nil {
		return badInput(err)
	}
	if err := os.MkdirAll(filepath.Join(o.Out, "slurm"), 0o755); err != nil {
		return err
	}
	if c.Tasks > len(sw.Points) {
		g.Log.Warn("more tasks than points: some tasks have nothing to do", "tasks", c.Tasks, "points", len(sw.Points))
	}
	_, err = fmt.Fprint(g.Stdout, b.String())
	return err
}

// SweepK8sCmd is `smd sweep k8s`.
type SweepK8sCmd struct {
	Config      string `help:"Sweep config (YAML); inlined into a ConfigMap." required:"" placeholder:"SWEEP"`
	Out         string `help:"Sweep folder, relative to the claim's root (mounted at /data)." required:"" placeholder:"DIR"`
	Tasks       int    `help:"Indexes n (shards): completions." required:""`
	Parallelism int    `help:"Pods at once (0: all n)." default:"0"`
	CPUs        int    `help:"CPU request and limit per pod; each pod runs --workers CPUS." default:"1" name:"cpus"`
	Image       string `help:"Container image with smd on its PATH." required:""`
	PVC         string `help:"PersistentVolumeClaim that holds the sweep folder." default:"smd-sweep" name:"pvc"`
	Name        string `help:"Job name." default:"smd-sweep"`
}

// Run prints the manifest.
func (c *SweepK8sCmd) Run(g *Globals) error {
	sw, err := loadSweep(c.Config)
	if err != nil {
		return err
	}
	var b strings.Builder
	if err := sweep.K8sManifest(&b, sw, sweep.K8sOptions{Name: c.Name, Image: c.Image, Tasks: c.Tasks,
		Parallelism: c.Parallelism, CPUs: c.CPUs, PVC: c.PVC, Out: c.Out}); err != nil {
		return badInput(err)
	}
	_, err = fmt.Fprint(g.Stdout, b.String())
	return err
}

// SweepPlotCmd is `smd sweep plot`.
type SweepPlotCmd struct {
	Dir  string `arg:"" help:"Sweep folder." placeholder:"DIR"`
	X    string `help:"Horizontal axis: a varied key, p or lambda_eta." required:""`
	Y    string `help:"Quantity: risk, loss, au_rms, norm, tail, dip or risk_min." default:"risk"`
	By   string `help:"One line per value of this key (p, or a varied key)."`
	Heat string `help:"Heat maps over (--x, this key) instead of lines."`
	LogX bool   `help:"Logarithmic x axis." name:"logx"`
	LogY bool   `help:"Logarithmic y axis (heat maps: the --heat key)." name:"logy"`
	Name string `help:"File stem (default: Y-over-X[-by-BY])." placeholder:"STEM"`
}

// Run draws DIR/STEM.png and .svg.
func (c *SweepPlotCmd) Run(g *Globals) error {
	s, err := sweep.Collect(c.Dir)
	if err != nil {
		return badInput(err)
	}
	rows, err := sweep.PlotRows(s, sweep.PlotSpec{X: c.X, Y: c.Y, By: c.By, Heat: c.Heat, LogX: c.LogX, LogY: c.LogY})
	if err != nil {
		return badInput(err)
	}
	stem := c.Name
	if stem == "" {
		stem = c.Y + "-over-" + c.X
		if c.By != "" {
			stem += "-by-" + c.By
		}
		if c.Heat != "" {
			stem += "-heat-" + c.Heat
		}
		stem = strings.NewReplacer("[", "", "]", "", "/", "_").Replace(stem)
	}
	w, h := plot.SweepSize(len(rows[0]))
	formats := []plot.Format{plot.PNG, plot.SVG}
	out := make([][]byte, len(formats))
	for k, f := range formats { // draw both before writing either
		if out[k], err = plot.Bytes(rows, w, h, f); err != nil {
			return err
		}
	}
	for k, f := range formats {
		if err := writeAtomic(filepath.Join(c.Dir, stem+"."+string(f)), out[k]); err != nil {
			return err
		}
	}
	g.Log.Info("sweep plot", "png", filepath.Join(c.Dir, stem+".png"), "svg", filepath.Join(c.Dir, stem+".svg"))
	return nil
}
