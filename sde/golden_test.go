package sde

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/smdlab/smd/sim"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// TestGolden is the regression tier (STYLE.md §7): a small fixed-seed run of
// every engine of this issue (reduced, fokker-planck, sde-reduced, sde) on
// Theorem 2's spectrum with a decay and rescale, printed to 9 significant
// digits and compared with testdata/engines.golden. It catches change, not
// wrongness; regenerate with go test ./sde -run Golden -update.
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
		{"reduced", sim.Reduced{}},
		{"fokker-planck", FokkerPlanck{Cells: 256}},
		{"sde-reduced", Reduced{}},
		{"sde", EM{Substeps: 2}},
	} {
		res, err := e.eng.Run(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&buf, "# %s\n", e.name)
		for _, r := range res.Rows {
			fmt.Fprintf(&buf, "%d %.9g %.9g | %.9g %.9g %.9g %.9g %.9g %.9g %.9g %.9g %.9g %.9g %.9g %.9g %.9g %.9g\n",
				r.Step, r.Eta, r.Lambda, r.Risk, r.RiskSE, r.Loss, r.LossSE, r.AU, r.AUSE, r.AURMS, r.AURMSSE,
				r.Norm, r.NormSE, r.NormSq, r.NormSqSE, r.Tail, r.TailSE)
		}
	}
	path := filepath.Join("testdata", "engines.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (create it with -update)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("engine output changed (rerun with -update if intended):\n%s", buf.String())
	}
}
