package ensemble

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smdlab/smd/internal/crash"
)

// Spec is what Lockstep needs of a run: sim.Config's ensemble fields.
type Spec[R Row] struct {
	Trials, Workers int
	Record          []int // the recorded steps, increasing, from 0
	// FinalUpdate gives the last recorded step n one update (the discrete
	// engines' angular update needs X_{n+1}); otherwise its block only
	// records (n1 = n0).
	FinalUpdate bool
	Params      func(n int) (eta, lambda float64) // (η, λ) in force at step n
	OnRecord    func(R)                           // as sim.Config.OnRecord
	Progress    func(done, total int64)           // as sim.Config.Progress
}

// Result has sim.Result's layout for rows of type R, so that
// (*sim.Result)(r) converts a *Result[sim.Row].
type Result[R Row] struct {
	Rows                          []R
	TrialSteps, CoordinateUpdates int64
	Wall                          time.Duration
	Warnings                      []string
}

// Lockstep moves all s.Trials trials from one recorded step to the next on
// s.Workers goroutines (≤ 0: GOMAXPROCS), then averages the trials' samples
// in trial order (Aggregate), so the output does not depend on the worker
// count and memory is flat in the number of steps.
//
// newWorker is called once per goroutine; the function it returns advances
// trial i over steps [n0, n1), applying schedule events and recording X_{n0}
// into out (it may own scratch buffers). failed reports trial i's error
// (nil while alive) after each block; the first failing trial in index
// order stops the run (nil Result).
//
// When ctx is cancelled, Lockstep returns ctx's error together with the
// rows of the blocks completed so far (a partial *Result, never nil); the
// block under way is dropped. advance should return early when ctx is done
// (Interrupted), so that a long block stops within a second too.
func Lockstep[R Row](ctx context.Context, s Spec[R], newWorker func() func(i, n0, n1 int, out *Sample), failed func(i int) error) (*Result[R], error) {
	start := time.Now()
	rec := s.Record
	workers := s.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, s.Trials)
	chunk := chunkSize(s.Trials, workers)
	last := rec[len(rec)-1]
	if s.FinalUpdate {
		last++
	}
	samples := make([]Sample, s.Trials)
	res := &Result[R]{Rows: make([]R, 0, len(rec))}
	total := int64(last) * int64(s.Trials)
	var done int64
	for k, n0 := range rec {
		n1 := last
		if k+1 < len(rec) {
			n1 = rec[k+1]
		}
		if err := ctx.Err(); err != nil {
			return res.partial(done, start), err
		}
		var next atomic.Int64
		var wg sync.WaitGroup
		var crashed crash.Box // a worker's panic is re-raised here, in the caller's goroutine
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer crashed.Catch()
				advance := newWorker()
				for {
					lo := int(next.Add(int64(chunk)) - int64(chunk))
					if lo >= s.Trials {
						return
					}
					for i := lo; i < min(lo+chunk, s.Trials); i++ {
						advance(i, n0, n1, &samples[i])
					}
				}
			}()
		}
		wg.Wait()
		crashed.Rethrow()
		if err := ctx.Err(); err != nil { // the block may be cut short
			return res.partial(done, start), err
		}
		for i := range s.Trials {
			if err := failed(i); err != nil {
				return nil, err
			}
		}
		eta, lambda := s.Params(n0)
		res.Rows = append(res.Rows, Aggregate[R](n0, eta, lambda, samples))
		if s.OnRecord != nil {
			s.OnRecord(res.Rows[len(res.Rows)-1])
		}
		done += int64(n1-n0) * int64(s.Trials)
		if s.Progress != nil {
			s.Progress(done, total)
		}
	}
	res.TrialSteps = done
	res.Wall = time.Since(start)
	if s.Trials == 1 {
		res.Warnings = append(res.Warnings, "trials = 1: standard errors are undefined (NaN)")
	}
	return res, nil
}

func (res *Result[R]) partial(done int64, start time.Time) *Result[R] {
	res.TrialSteps = done
	res.Wall = time.Since(start)
	return res
}

// chunkSize is how many consecutive trials a worker takes at a time: about
// an eighth of its share, so that the workers rarely run neighbouring
// trials at once (trial states sit side by side in memory, and two cores
// writing one cache line make each other wait: with one trial at a time,
// reduced ran no faster on two cores than on one) while the last chunks
// still balance the load.
func chunkSize(trials, workers int) int {
	return max(1, trials/(8*workers))
}

// Interrupted reports, every 1024th step n of a block, whether ctx is done:
// the engines' step loops call it so that a run with a huge record_every
// still stops within a second.
func Interrupted(ctx context.Context, n int) bool {
	return n&1023 == 1023 && ctx.Err() != nil
}
