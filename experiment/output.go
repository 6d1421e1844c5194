package experiment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/smdlab/smd"
	"github.com/smdlab/smd/internal/outdir"
	"github.com/smdlab/smd/sde"
	"github.com/smdlab/smd/sim"
)

// SeriesHeader is the header of series.csv (the contract of issue 2): step,
// eta, lambda, then each of sim.Row.Stats as NAME, NAME_se.
var SeriesHeader = func() []string {
	h := []string{"step", "eta", "lambda"}
	for _, s := range (sim.Row{}).Stats() {
		h = append(h, s.Name, s.Name+"_se")
	}
	return h
}()

// WriteSeries writes rows as CSV with SeriesHeader. Numbers use the shortest
// representation that round-trips, so equal results give equal bytes.
func WriteSeries(w io.Writer, rows []sim.Row) error {
	buf := make([]byte, 0, 512)
	for i, h := range SeriesHeader {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, h...)
	}
	buf = append(buf, '\n')
	if _, err := w.Write(buf); err != nil {
		return err
	}
	for _, r := range rows {
		buf = strconv.AppendInt(buf[:0], int64(r.Step), 10)
		for _, v := range []float64{r.Eta, r.Lambda} {
			buf = append(buf, ',')
			buf = strconv.AppendFloat(buf, v, 'g', -1, 64)
		}
		for _, s := range r.Stats() {
			buf = append(buf, ',')
			buf = strconv.AppendFloat(buf, s.Mean, 'g', -1, 64)
			buf = append(buf, ',')
			buf = strconv.AppendFloat(buf, s.SE, 'g', -1, 64)
		}
		buf = append(buf, '\n')
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	return nil
}

// RunInfo is run.json: what was run, by which program, how fast.
type RunInfo struct {
	Program  string    `json:"program"`
	Version  string    `json:"version"`
	Config   *Config   `json:"config"`
	Seed     uint64    `json:"seed"`
	Method   string    `json:"method"`
	Workers  int       `json:"workers"`
	CPUs     int       `json:"cpus"`
	Started  time.Time `json:"started"`
	WallSec  float64   `json:"wall_seconds"`
	P        int       `json:"p"`
	Steps    int64     `json:"trial_steps"`
	StepsPS  float64   `json:"trial_steps_per_second"`
	CoordPS  float64   `json:"coordinate_updates_per_second"`
	Warnings []string  `json:"warnings"`
	// Partial marks an interrupted run: the rows are those of the record
	// blocks completed before PartialReason (e.g. "interrupted by SIGINT").
	Partial       bool   `json:"partial"`
	PartialReason string `json:"partial_reason,omitempty"`
}

// Options are the run-time settings that never change the results.
type Options struct {
	Workers  int
	Progress func(done, total int64)
	// OnRecord receives each recorded row while the run runs (see
	// sim.Config.OnRecord); engines without a lockstep driver
	// (fokker-planck) deliver none.
	OnRecord func(sim.Row)
}

// engines is the one table of the methods a config may name (Methods is
// its names, in this order).
var engines = []struct {
	name string
	eng  sim.Engine
}{
	{"auto", sim.Auto{}},
	{"full", sim.Full{}},
	{"reduced", sim.Reduced{}},
	{"sde", sde.EM{}},
	{"sde-reduced", sde.Reduced{}},
	{"fokker-planck", sde.FokkerPlanck{}},
}

// Engine returns the engine for a method name.
func Engine(method string) (sim.Engine, error) {
	for _, e := range engines {
		if e.name == method {
			return e.eng, nil
		}
	}
	return nil, &FieldError{Field: "method", Msg: fmt.Sprintf("unknown method %q", method)}
}

// Run simulates the experiment and returns the result and its run record.
// When ctx is cancelled (Ctrl-C) it returns the rows completed so far, a
// record with Partial set and ctx's error (nil result for fokker-planck,
// which completes no row before the end).
func Run(ctx context.Context, c *Config, opt Options) (*sim.Result, *RunInfo, error) {
	sc, err := c.SimConfig() // a spectrum's multiplicities are not expanded: no O(p) allocation yet

	if err != nil {
		return nil, nil, err
	}
	sc.Workers, sc.Progress, sc.OnRecord = opt.Workers, opt.Progress, opt.OnRecord
	method := c.Method // run.json records the engine auto resolves to
	if method == "auto" {
		method = sim.AutoMethod(sc)
	}
	eng, err := Engine(method)
	if err != nil {
		return nil, nil, err
	}
	if err := CheckResources(c, sc.Model.Dim(), method); err != nil { // before the engine allocates
		return nil, nil, err
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	started := time.Now()
	res, err := eng.Run(ctx, sc)
	var partial error
	if err != nil && res != nil && ctx.Err() != nil { // interrupted: keep the rows completed so far
		partial, err = err, nil
	}
	if errors.Is(err, sim.ErrNotReducible) || errors.Is(err, sde.ErrUnsupported) {
		// The engine cannot run this config: bad input naming the field.
		return nil, nil, &FieldError{Field: "method", Msg: fmt.Sprintf("%s cannot run this config: %v", method, err)}
	}
	if err != nil {
		return nil, nil, err
	}
	if err := sim.CheckFinite(res.Rows); err != nil { // every engine: never write NaN/Inf as results
		return nil, nil, err
	}
	wall := res.Wall.Seconds()
	info := &RunInfo{
		Program: "smd simulate", Version: smd.Version(), Config: c, Seed: c.Seed,
		Method: method, Workers: min(workers, c.Trials), CPUs: runtime.NumCPU(),
		Started: started.UTC(), WallSec: wall, P: sc.Model.Dim(), Steps: res.TrialSteps,
		StepsPS: float64(res.TrialSteps) / wall, CoordPS: float64(res.TrialSteps) * float64(sc.Model.Dim()) / wall, // not the int64 CoordinateUpdates: trial-steps × p overflows it for the reduced engine's huge p
		Warnings: append([]string{}, res.Warnings...),
	}
	if c.RecordEvery > c.Steps {
		info.Warnings = append(info.Warnings, fmt.Sprintf("record_every %d > steps %d: only step 0 is recorded", c.RecordEvery, c.Steps))
	}
	for i, e := range c.Schedule {
		if e.Step > c.Steps {
			info.Warnings = append(info.Warnings, fmt.Sprintf("schedule[%d] at step %d is after the last step %d: never applied", i, e.Step, c.Steps))
		}
	}
	if math.IsInf(info.StepsPS, 0) || math.IsNaN(info.StepsPS) {
		info.StepsPS, info.CoordPS = 0, 0
	}
	if partial != nil {
		info.Partial = true
		info.PartialReason = fmt.Sprintf("%v after %d of %d recorded rows", context.Cause(ctx), len(res.Rows), len(sc.RecordSteps()))
		return res, info, partial
	}
	return res, info, nil
}

// PrepareOutDir checks, before any work, that dir can hold outputs,
// without creating it (bad input must leave nothing behind): dir is not
// empty, is a directory or does not exist yet, no component is a dangling
// symbolic link, and the directory (or its nearest existing ancestor, where
// dir will be created) takes a probe file, created and removed at once.
func PrepareOutDir(dir string) error {
	bad := func(format string, a ...any) error {
		return &FieldError{Field: "--out", Msg: fmt.Sprintf(format, a...)}
	}
	if dir == "" {
		return bad("must name a directory, got \"\"")
	}
	p := filepath.Clean(dir)
	for {
		lst, err := os.Lstat(p)
		if err == nil {
			st, err := os.Stat(p)
			if err != nil {
				if lst.Mode()&fs.ModeSymlink != 0 {
					target, _ := os.Readlink(p)
					return bad("%s is a dangling symbolic link (to %s)", p, target)
				}
				return bad("%v", err)
			}
			if !st.IsDir() {
				return bad("%s exists and is not a directory", p)
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) { // ENOTDIR: a file above; found next
			return bad("%v", err)
		}
		parent := filepath.Dir(p)
		if parent == p {
			return bad("%v", err)
		}
		p = parent
	}
	if err := outdir.Probe(p); err != nil {
		return bad("%v", err)
	}
	return checkNotCwd(dir, bad)
}

// checkNotCwd refuses an output folder that is the working directory or
// holds it: a run's outputs replace their folder as a whole (outdir).
func checkNotCwd(dir string, bad func(string, ...any) error) error {
	abs, err1 := filepath.Abs(dir)
	wd, err2 := os.Getwd()
	if err1 != nil || err2 != nil {
		return nil
	}
	if rel, err := filepath.Rel(abs, wd); err == nil && (rel == "." || !strings.HasPrefix(rel, "..")) {
		return bad("%s is the working directory or holds it; outputs replace their folder as a whole: name a new sub-folder", dir)
	}
	return nil
}

// WriteOutputs writes series.csv and run.json as one output set of folder
// dir (package internal/outdir): both appear together, replacing an
// earlier run's, or neither does.
func WriteOutputs(dir string, res *sim.Result, info *RunInfo) error {
	set, err := outdir.Create(dir)
	if err != nil {
		return err
	}
	defer set.Discard()
	if err := set.WriteFile("series.csv", func(w io.Writer) error {
		return WriteSeries(w, res.Rows)
	}); err != nil {
		return err
	}
	if err := set.WriteFile("run.json", func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	}); err != nil {
		return err
	}
	return set.Commit()
}
