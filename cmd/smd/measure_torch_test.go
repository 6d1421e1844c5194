package main

import (
	"math"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/smdlab/smd/measure"
)

// torchPython returns a Python interpreter that can import torch, or "".
func torchPython() string {
	for _, p := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(p, "-c", "import torch, numpy").Run() == nil {
			return p
		}
	}
	return ""
}

// TestMeasurePyTorch trains a small BatchNorm CNN for 18 SGD steps
// (momentum 0.9, weight decay) in real PyTorch (testdata/torch_bn_cnn.py),
// saves its state_dict as safetensors every 8 steps plus the two following,
// and checks smd measure against the angles and norms the script computed
// itself in float64: both are float64 computations on the same float32
// values, so they agree to the rounding of the sums (relative 10⁻¹⁰ is
// ~10⁵ float64 ulps, far above O(n·2⁻⁵³) for n ≤ 1152). The two
// convolutions must pass the ratio test; the classifier and the last γ
// (which scales the logits) must not.
func TestMeasurePyTorch(t *testing.T) {
	py := torchPython()
	if py == "" {
		t.Skip("PyTorch not found (Debian package python3-torch): skipping the PyTorch interoperability test")
	}
	if testing.Short() {
		t.Skip("-short: PyTorch start-up takes seconds")
	}
	dir := t.TempDir()
	cmd := exec.Command(py, filepath.Join("testdata", "torch_bn_cnn.py"), dir, "0.9")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, out)
	}
	mout := filepath.Join(dir, "m")
	if code, _, stderr := runSmd(t, "measure", "--checkpoints", filepath.Join(dir, "checkpoints"), "--out", mout); code != 0 {
		t.Fatalf("measure: exit %d: %s", code, stderr)
	}
	type key struct{ step, tensor string }
	got := map[key]map[string]string{}
	for _, r := range readCSVMap(t, filepath.Join(mout, measure.LayersFile)) {
		if r["span"] == "1" {
			got[key{r["step"], r["tensor"]}] = r
		}
	}
	n := 0
	for _, e := range readCSVMap(t, filepath.Join(dir, "expected.csv")) {
		if e["au"] == "nan" {
			continue // a zero tensor (β, running mean at step 0): measure leaves au empty
		}
		m, ok := got[key{e["step"], e["tensor"]}]
		if !ok {
			t.Errorf("no measure row for step %s %s", e["step"], e["tensor"])
			continue
		}
		n++
		au, norm := parseNum(t, m["au"]), parseNum(t, m["norm"])
		eau, enorm := parseNum(t, e["au"]), parseNum(t, e["norm"])
		if math.Abs(au-eau) > 1e-10*eau+1e-16 || math.Abs(norm-enorm) > 1e-10*enorm {
			t.Errorf("step %s %s: measure au %s norm %s, PyTorch script %s %s", e["step"], e["tensor"], m["au"], m["norm"], e["au"], e["norm"])
		}
	}
	if n < 50 {
		t.Errorf("only %d rows compared", n)
	}
	for _, r := range readCSVMap(t, filepath.Join(mout, measure.TensorsFile)) {
		t.Logf("%-15s SI %-5s by %-6s max|ratio−1| %s", r["tensor"], r["scale_invariant"], r["si_source"], r["si_ratio_max_dev"])
		switch r["tensor"] {
		case "0.weight", "3.weight":
			if r["scale_invariant"] != "true" || r["si_source"] != "ratio" {
				t.Errorf("%s: scale_invariant %s by %s, want true by ratio", r["tensor"], r["scale_invariant"], r["si_source"])
			}
		case "4.weight", "8.weight", "8.bias", "1.bias", "4.bias":
			if r["scale_invariant"] != "false" {
				t.Errorf("%s: scale_invariant %s, want false", r["tensor"], r["scale_invariant"])
			}
		}
	}
}
