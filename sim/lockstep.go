package sim

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smdlab/smd/internal/crash"
)

// Lockstep is the ensemble driver shared by every sampling engine: it moves
// all c.Trials trials from one recorded step to the next on c.Workers
// goroutines, then averages the trials' samples in trial order (Aggregate),
// so the output does not depend on the worker count and memory is flat in
// the number of steps.
//
// newWorker is called once per goroutine; the function it returns advances
// trial i over steps [n0, n1), applying schedule events and recording X_{n0}
// into out (it may own scratch buffers). failed reports trial i's error
// (nil while alive) after each block; the first failing trial in index
// order stops the run. With finalUpdate, the last recorded step n gets one
// update (the discrete engines' angular update needs X_{n+1}); otherwise its
// block only records (n1 = n0).
//
// When ctx is cancelled, Lockstep returns ctx's error together with the
// rows of the blocks completed so far (a partial *Result, never nil); the
// block under way is dropped. advance should return early when ctx is done
// (Interrupted), so that a long block stops within a second too.
func Lockstep(ctx context.Context, c *Config, finalUpdate bool, newWorker func() func(i, n0, n1 int, out *Sample), failed func(i int) error) (*Result, error) {
	start := time.Now()
	rec := c.RecordSteps()
	workers := c.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, c.Trials)
	last := rec[len(rec)-1]
	if finalUpdate {
		last++
	}
	samples := make([]Sample, c.Trials)
	res := &Result{Rows: make([]Row, 0, len(rec))}
	total := int64(last) * int64(c.Trials)
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
					i := int(next.Add(1) - 1)
					if i >= c.Trials {
						return
					}
					advance(i, n0, n1, &samples[i])
				}
			}()
		}
		wg.Wait()
		crashed.Rethrow()
		if err := ctx.Err(); err != nil { // the block may be cut short
			return res.partial(done, start), err
		}
		for i := range c.Trials {
			if err := failed(i); err != nil {
				return nil, err
			}
		}
		eta, lambda := c.ParamsAt(n0)
		res.Rows = append(res.Rows, Aggregate(n0, eta, lambda, samples))
		if c.OnRecord != nil {
			c.OnRecord(res.Rows[len(res.Rows)-1])
		}
		done += int64(n1-n0) * int64(c.Trials)
		if c.Progress != nil {
			c.Progress(done, total)
		}
	}
	res.TrialSteps = done
	res.Wall = time.Since(start)
	if c.Trials == 1 {
		res.Warnings = append(res.Warnings, "trials = 1: standard errors are undefined (NaN)")
	}
	return res, nil
}

func (res *Result) partial(done int64, start time.Time) *Result {
	res.TrialSteps = done
	res.Wall = time.Since(start)
	return res
}

// Interrupted reports, every 1024th step n of a block, whether ctx is done:
// the engines' step loops call it so that a run with a huge record_every
// still stops within a second.
func Interrupted(ctx context.Context, n int) bool {
	return n&1023 == 1023 && ctx.Err() != nil
}
