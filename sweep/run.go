package sweep

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/smdlab/smd/experiment"
	"github.com/smdlab/smd/internal/crash"
)

// Manifest is DIR/sweep.json: what collect needs to read a sweep folder
// without the config file (keys, window, every point with its config).
type Manifest struct {
	Keys   []string `json:"keys"`
	Window float64  `json:"window"`
	Points []*Point `json:"points"`
}

// manifestBytes is the manifest's canonical encoding.
func (sw *Sweep) manifestBytes() []byte {
	b, err := json.MarshalIndent(Manifest{Keys: sw.Keys, Window: sw.Window, Points: sw.Points}, "", "  ")
	if err != nil {
		panic(err)
	}
	return append(b, '\n')
}

// Prepare creates dir (and dir/points) and writes sweep.json and sweep.yaml,
// or checks that dir already holds this very sweep. Several shards may call
// it at once: the files are written atomically with identical bytes.
func (sw *Sweep) Prepare(dir string) error {
	if err := experiment.PrepareOutDir(dir); err != nil {
		return err
	}
	want := sw.manifestBytes()
	mpath := filepath.Join(dir, "sweep.json")
	if have, err := os.ReadFile(mpath); err == nil {
		if !bytes.Equal(have, want) {
			return &experiment.FieldError{Field: "--out", Msg: fmt.Sprintf("%s holds another sweep (its sweep.json differs from %s's); use a new folder", dir, sw.Name)}
		}
		return os.MkdirAll(filepath.Join(dir, "points"), 0o755)
	}
	if err := os.MkdirAll(filepath.Join(dir, "points"), 0o755); err != nil {
		return err
	}
	if err := experiment.WriteAtomic(filepath.Join(dir, "sweep.yaml"), func(w io.Writer) error {
		_, err := w.Write(sw.Resolved)
		return err
	}); err != nil {
		return err
	}
	return experiment.WriteAtomic(mpath, func(w io.Writer) error {
		_, err := w.Write(want)
		return err
	})
}

// Shard returns the points of shard i of n, in id order. Points are dealt
// by decreasing work (ties by id) to the least-loaded shard (ties to the
// lowest index): deterministic, independent of the grid's order, and
// balanced in trial-steps.
func (sw *Sweep) Shard(i, n int) []*Point {
	pts := slices.Clone(sw.Points)
	slices.SortFunc(pts, func(a, b *Point) int { // the most work first, then by ID
		return cmp.Or(cmp.Compare(b.Work(), a.Work()), cmp.Compare(a.ID, b.ID))
	})
	load := make([]int64, n)
	var out []*Point
	for _, p := range pts {
		best := 0
		for s := 1; s < n; s++ {
			if load[s] < load[best] {
				best = s
			}
		}
		load[best] += p.Work()
		if best == i {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b *Point) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// PointDir is DIR/points/ID.
func PointDir(dir, id string) string { return filepath.Join(dir, "points", id) }

// Complete reports whether the point's outputs are all there: run.json
// (written last, atomically) decodes and records this point's config, and
// series.csv exists.
func Complete(dir string, p *Point) bool {
	pd := PointDir(dir, p.ID)
	if _, err := os.Stat(filepath.Join(pd, "series.csv")); err != nil {
		return false
	}
	b, err := os.ReadFile(filepath.Join(pd, "run.json"))
	if err != nil {
		return false
	}
	var info struct {
		Config *experiment.Config `json:"config"`
	}
	if json.Unmarshal(b, &info) != nil || info.Config == nil {
		return false
	}
	return pointID(info.Config) == p.ID
}

// Options are the run-time settings of Run; none changes the results.
type Options struct {
	// Shard and Shards select shard Shard of Shards (0 ≤ Shard < Shards;
	// Shards 0 means 1).
	Shard, Shards int
	// Workers is the number of cores to use (0: all). Points run
	// concurrently, min(Workers, points left) at a time, each with
	// Workers/that many trial workers.
	Workers int
	// Progress, if set, is called (from several goroutines, serialised)
	// with the points done and the trial-steps done of this shard.
	Progress func(p Progress)
	// PointDone, if set, is called after each point is written (or found
	// complete).
	PointDone func(p *Point, skipped bool)
}

// Progress is the state of a running shard.
type Progress struct {
	Points, PointsTotal int
	Work, WorkTotal     int64
	Skipped             int
}

// Stats summarise a finished shard.
type Stats struct {
	Points, Ran, Skipped int
	Work                 int64 // trial-steps run (skipped points excluded)
}

// Run runs the shard's points into dir/points/ID/ (series.csv and
// run.json, written atomically, exactly as `smd simulate` writes them),
// skipping points already complete. On cancellation it stops at once;
// finished points are kept and a rerun resumes.
func Run(ctx context.Context, sw *Sweep, dir string, opt Options) (Stats, error) {
	n := max(1, opt.Shards)
	if opt.Shard < 0 || opt.Shard >= n {
		return Stats{}, &experiment.FieldError{Field: "--shard", Msg: fmt.Sprintf("want i/n with 0 ≤ i < n, got %d/%d", opt.Shard, n)}
	}
	if err := sw.Prepare(dir); err != nil {
		return Stats{}, err
	}
	pts := sw.Shard(opt.Shard, n)
	st := Stats{Points: len(pts)}
	var total int64
	var todo []*Point
	for _, p := range pts {
		total += p.Work()
		if Complete(dir, p) {
			st.Skipped++
			if opt.PointDone != nil {
				opt.PointDone(p, true)
			}
			continue
		}
		todo = append(todo, p)
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	conc := max(1, min(workers, len(todo)))
	per := max(1, workers/conc)

	var (
		mu       sync.Mutex
		doneWork = total
		inflight = make([]int64, conc)
		done     = st.Skipped
	)
	for _, p := range todo {
		doneWork -= p.Work()
	}
	report := func() {
		if opt.Progress == nil {
			return
		}
		w := doneWork
		for _, f := range inflight {
			w += f
		}
		opt.Progress(Progress{Points: done, PointsTotal: len(pts), Work: w, WorkTotal: total, Skipped: st.Skipped})
	}
	mu.Lock()
	report()
	mu.Unlock()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		firstErr error
		errOnce  sync.Once
	)
	crashed := crash.Box{OnPanic: cancel} // a worker's panic is re-raised in the caller's goroutine
	for slot := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer crashed.Catch()
			for {
				k := int(next.Add(1)) - 1
				if k >= len(todo) || ctx.Err() != nil {
					return
				}
				p := todo[k]
				err := runPoint(ctx, p, dir, per, func(d, t int64) {
					mu.Lock()
					defer mu.Unlock() // a panic in the progress callback must not leave mu locked
					// The engine counts its own units; scale them to
					// the point's trial-steps.
					if t > 0 {
						inflight[slot] = int64(float64(min(d, t)) / float64(t) * float64(p.Work()))
					}
					report()
				})
				if err != nil {
					errOnce.Do(func() {
						firstErr = fmt.Errorf("point %s (%s): %w", p.ID, p.Label(sw.Keys), err)
						cancel()
					})
					return
				}
				func() {
					mu.Lock()
					defer mu.Unlock()
					inflight[slot] = 0
					doneWork += p.Work()
					done++
					st.Ran++
					st.Work += p.Work()
					report()
				}()
				if opt.PointDone != nil {
					opt.PointDone(p, false)
				}
			}
		}()
	}
	wg.Wait()
	crashed.Rethrow()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	if errors.Is(firstErr, context.Canceled) && st.Ran+st.Skipped < st.Points {
		return st, fmt.Errorf("interrupted after %d of %d points (rerun to resume): %w", st.Ran+st.Skipped, st.Points, context.Canceled)
	}
	return st, firstErr
}

// runPoint is `smd simulate` on the point's config: experiment.Run, then
// experiment.WriteOutputs into the point's folder.
func runPoint(ctx context.Context, p *Point, dir string, workers int, progress func(done, total int64)) error {
	res, info, err := experiment.Run(ctx, p.Config, experiment.Options{Workers: workers, Progress: progress})
	if err != nil {
		return err
	}
	info.Program = "smd sweep run"
	return experiment.WriteOutputs(PointDir(dir, p.ID), res, info)
}
