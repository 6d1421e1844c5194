package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/smdlab/smd/theory"
)

// `smd theory` covers Lion (REQ and the discrete form), the NQM with
// momentum (exact moments) and a dense A (through its spectrum), and
// refuses AdamW on the NQM naming the file and field.
func TestTheoryOptimizers(t *testing.T) {
	code, out, errOut := runCLI(t, "theory", "--config", "testdata/optim/lion.yaml", "--json")
	if code != 0 {
		t.Fatalf("lion: exit %d: %s", code, errOut)
	}
	var r optimReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	o := theory.Optimizer{Name: theory.Lion, Beta1: 0.9, Beta2: 0.99}
	want, _ := theory.EquilibriumAU(o, 0.01, 0.1)
	if r.REQAULimit == nil || *r.REQAULimit != want || r.AULimit == nil || r.NormSqLimit == nil {
		t.Errorf("lion report %+v, want REQ AU %v", r, want)
	}
	code, out, errOut = runCLI(t, "theory", "--config", "testdata/optim/nqm.yaml", "--json")
	if code != 0 {
		t.Fatalf("nqm: exit %d: %s", code, errOut)
	}
	r = optimReport{}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	n2, _, _ := theory.NQMMoments([]float64{0.1, 0.3, 1, 3, 10}, []float64{1, 0.5, 1, 2, 0.3}, 0.02, 0.5, 0.9, 2, []int{2000})
	if r.NQMNormSqEnd == nil || math.Abs(*r.NQMNormSqEnd-n2[0]) > 1e-15 {
		t.Errorf("nqm E‖X‖² = %v, want %v", r.NQMNormSqEnd, n2[0])
	}
	code, out, errOut = runCLI(t, "theory", "--config", "testdata/optim/dense.yaml")
	// A = [[2,1,0],[1,2,0],[0,0,5]] has eigenvalues 1, 3, 5: p = 3.
	if code != 0 || !strings.Contains(out, "p = 3") {
		t.Errorf("dense A: exit %d, %q %s", code, out, errOut)
	}
	code, _, errOut = runCLI(t, "theory", "--config", "testdata/optim/nqm_adamw.yaml")
	if code != 2 || !strings.Contains(errOut, "nqm_adamw.yaml") || !strings.Contains(errOut, "optimizer:") {
		t.Errorf("nqm adamw: exit %d, stderr %q", code, errOut)
	}
}

// The README's Li–Arora example: the lr_exp config reproduces the risk of
// the weight-decay config, same seed, to rounding.
func TestReadmeLiArora(t *testing.T) {
	risk := func(cfg string) []float64 {
		dir := t.TempDir()
		if code, _, errOut := runCLI(t, "simulate", "--config", cfg, "--out", dir); code != 0 {
			t.Fatalf("%s: exit %d: %s", cfg, code, errOut)
		}
		data, err := os.ReadFile(filepath.Join(dir, "series.csv"))
		if err != nil {
			t.Fatal(err)
		}
		var out []float64
		for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			if i == 0 {
				continue
			}
			v, err := strconv.ParseFloat(strings.Split(line, ",")[3], 64)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, v)
		}
		return out
	}
	a, b := risk("testdata/optim/liarora_sgd.yaml"), risk("testdata/optim/liarora_exp.yaml")
	if len(a) != len(b) || len(a) < 20 {
		t.Fatalf("%d and %d rows", len(a), len(b))
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-10 {
			t.Errorf("row %d: risk %v vs %v", i, a[i], b[i])
		}
	}
}
