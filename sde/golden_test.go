package sde

import (
	"bytes"
	"testing"

	"github.com/smdlab/smd/internal/golden"
	"github.com/smdlab/smd/sim"
)

// TestGolden is the regression tier (STYLE.md §7): a small fixed-seed run of
// every engine of this package (fokker-planck, sde-reduced, sde) on Theorem
// 2's spectrum with a decay and rescale, printed to 9 significant digits and
// compared with testdata/engines.golden (sim.Reduced's is in
// sim/testdata). Regenerate with go test ./sde -run Golden -update.
func TestGolden(t *testing.T) {
	m := twoLevelModel(t, 1, 9, 1, 2, 1)
	c := &sim.Config{Model: m, Eta: 0.2, Lambda: 0.01, Init: sim.Init{Std: 0.5}, Steps: 400, Trials: 64,
		RecordEvery: 100, Xi: 0.9, Seed: 42, Workers: 3,
		Schedule: []sim.Event{{Step: 200, LRDivide: 4, Rescale: true}}}
	var buf bytes.Buffer
	for _, e := range []struct {
		name string
		eng  sim.Engine
	}{
		{"fokker-planck", FokkerPlanck{Cells: 256}},
		{"sde-reduced", Reduced{}},
		{"sde", EM{Substeps: 2}},
	} {
		res := run(t, e.eng, c)
		golden.Rows(&buf, e.name, res.Rows)
	}
	golden.Check(t, "engines.golden", buf.Bytes())
}
