package sde

import (
	"context"
	"time"

	"github.com/smdlab/smd/internal/ensemble"
	"github.com/smdlab/smd/sim"
)

// lockstep runs c's trials through the shared driver, as sim's engines do
// (ensemble.Lockstep; the last recorded step only records), for an engine
// with sub sub-steps per step on p coordinates (0: none counted), and
// times the run from start (its setup included).
func lockstep(ctx context.Context, c *sim.Config, start time.Time, sub, p int, newWorker func() func(i, n0, n1 int, out *ensemble.Sample), failed func(i int) error) (*sim.Result, error) {
	spec := ensemble.Spec[sim.Row]{Trials: c.Trials, Workers: c.Workers, Record: c.RecordSteps(),
		Params: c.ParamsAt, OnRecord: c.OnRecord, Progress: c.Progress}
	r, err := ensemble.Lockstep(ctx, spec, newWorker, failed)
	res := (*sim.Result)(r)
	if res == nil {
		return nil, err
	}
	res.TrialSteps *= int64(sub)
	res.CoordinateUpdates = res.TrialSteps * int64(p)
	res.Wall = time.Since(start)
	return res, err
}
