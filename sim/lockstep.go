package sim

import (
	"context"

	"github.com/smdlab/smd/internal/ensemble"
)

// lockstep runs c's trials through the shared driver ensemble.Lockstep
// (docs/design.md, "Ensembles"); sde's engines build the same Spec.
func lockstep(ctx context.Context, c *Config, finalUpdate bool, newWorker func() func(i, n0, n1 int, out *ensemble.Sample), failed func(i int) error) (*Result, error) {
	spec := ensemble.Spec[Row]{Trials: c.Trials, Workers: c.Workers, Record: c.RecordSteps(), FinalUpdate: finalUpdate,
		Params: c.ParamsAt, OnRecord: c.OnRecord, Progress: c.Progress}
	res, err := ensemble.Lockstep(ctx, spec, newWorker, failed)
	return (*Result)(res), err
}
