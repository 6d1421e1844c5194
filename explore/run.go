package explore

import (
	"bytes"
	"context"

	"github.com/smdlab/smd/experiment"
	"github.com/smdlab/smd/sim"
)

// Output is one finished run of the page.
type Output struct {
	// Method is the engine that ran ("auto" resolved, as in run.json).
	Method string
	Rows   []sim.Row
	// CSV is series.csv exactly as `smd simulate` writes it.
	CSV []byte
	// Summary is the final_step=N final_risk=…±… final_au_rms=…±… text of `smd
	// simulate`'s closing log line (experiment.SummaryText).
	Summary string
	// StepsPS is trial-steps per second and WallSec the run's wall time.
	StepsPS, WallSec float64
	Warnings         []string
}

// Run runs config YAML exactly as `smd simulate --config` does (parse,
// experiment.Run, experiment.WriteSeries), calling onRow, if not nil, with
// each recorded row as it is aggregated.
func Run(ctx context.Context, y []byte, onRow func(sim.Row)) (*Output, error) {
	c, err := ParseConfig(y)
	if err != nil {
		return nil, err
	}
	res, info, err := experiment.Run(ctx, c, experiment.Options{OnRecord: onRow})
	if err != nil {
		return nil, err
	}
	var csv bytes.Buffer
	if err := experiment.WriteSeries(&csv, res.Rows); err != nil {
		return nil, err
	}
	return &Output{
		Method: info.Method, Rows: res.Rows, CSV: csv.Bytes(),
		Summary: experiment.SummaryText(res.Rows),
		StepsPS: info.StepsPS, WallSec: info.WallSec, Warnings: info.Warnings,
	}, nil
}
