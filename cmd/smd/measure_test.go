package main

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/smdlab/smd/internal/safetensors"
	"github.com/smdlab/smd/measure"
	"github.com/smdlab/smd/train"
)

// rawFile writes a safetensors file from a raw JSON header and data.
func rawFile(t *testing.T, path, header string, data []byte) {
	t.Helper()
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	writeFile(t, path, append(append(b, header...), data...))
}

const goodHeader = `{"__metadata__":{"step":"%d","lr":"0.1","weight_decay":"0.01"},"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}`

func goodFile(t *testing.T, dir string, step int) {
	rawFile(t, filepath.Join(dir, "s"+strconv.Itoa(step)+".safetensors"), strings.Replace(goodHeader, "%d", strconv.Itoa(step), 1),
		safetensors.F32Bytes([]float32{1, 2, 3, float32(step + 4)}))
}

// TestMeasureBadInput runs every bad input of issue 9 through the CLI: one
// line on stderr naming the file (and tensor) and the reason, exit code 2,
// and no output directory.
func TestMeasureBadInput(t *testing.T) {
	hdr := func(step int, meta, tensors string) string {
		return `{"__metadata__":{"step":"` + strconv.Itoa(step) + `"` + meta + `},` + tensors + `}`
	}
	w := `"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}`
	hyper := `,"lr":"0.1","weight_decay":"0.01"`
	data := make([]byte, 16)
	for _, c := range []struct {
		name  string
		write func(dir string) // writes s1.safetensors (s0 is good)
		want  []string
	}{
		{"truncated", func(d string) { rawFile(t, filepath.Join(d, "s1.safetensors"), hdr(1, hyper, w), data[:10]) },
			[]string{"s1.safetensors", `tensor "w"`, "run past the data", "truncated"}},
		{"header length past the end", func(d string) {
			b := binary.LittleEndian.AppendUint64(nil, 1<<20)
			writeFile(t, filepath.Join(d, "s1.safetensors"), append(b, "{}"...))
		}, []string{"s1.safetensors", "header length 1048576 runs past the end of the file"}},
		{"invalid JSON", func(d string) { rawFile(t, filepath.Join(d, "s1.safetensors"), hdr(1, hyper, w)[:40], nil) },
			[]string{"s1.safetensors", "invalid JSON"}},
		{"unknown dtype", func(d string) {
			rawFile(t, filepath.Join(d, "s1.safetensors"), hdr(1, hyper, strings.Replace(w, "F32", "F33", 1)), data)
		}, []string{"s1.safetensors", `tensor "w": unknown dtype "F33"`}},
		{"overlapping offsets", func(d string) {
			rawFile(t, filepath.Join(d, "s1.safetensors"), hdr(1, hyper, `"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"v":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}`), data[:12])
		}, []string{"s1.safetensors", `tensor "v"`, "overlap tensor \"w\""}},
		{"offsets past the data", func(d string) {
			rawFile(t, filepath.Join(d, "s1.safetensors"), hdr(1, hyper, `"w":{"dtype":"F32","shape":[6],"data_offsets":[0,24]}`), data)
		}, []string{"s1.safetensors", `tensor "w"`, "data_offsets [0, 24] run past the data (16 bytes"}},
		{"shape vs bytes", func(d string) {
			rawFile(t, filepath.Join(d, "s1.safetensors"), hdr(1, hyper, `"w":{"dtype":"F32","shape":[3,2],"data_offsets":[0,16]}`), data)
		}, []string{"s1.safetensors", `tensor "w": shape [3 2] of F32 needs 24 bytes`}},
		{"no two consecutive steps", func(d string) { goodFile(t, d, 2) },
			[]string{"no two checkpoints at consecutive steps (steps 0, 2)"}},
		{"missing lr", func(d string) {
			rawFile(t, filepath.Join(d, "s1.safetensors"), hdr(1, `,"weight_decay":"0.01"`, w), data)
		},
			[]string{"s1.safetensors", "missing lr: neither --lr nor __metadata__ \"lr\""}},
		{"missing weight decay", func(d string) { rawFile(t, filepath.Join(d, "s1.safetensors"), hdr(1, `,"lr":"0.1"`, w), data) },
			[]string{"s1.safetensors", "missing weight_decay: neither --weight-decay nor __metadata__ \"weight_decay\""}},
		{"bad step metadata", func(d string) {
			rawFile(t, filepath.Join(d, "s1.safetensors"), `{"__metadata__":{"step":"x"`+hyper+`},`+w+`}`, data)
		},
			[]string{"s1.safetensors", `__metadata__ step: "x" is not a non-negative integer`}},
	} {
		dir := t.TempDir()
		ck := filepath.Join(dir, "ck")
		os.Mkdir(ck, 0o755)
		goodFile(t, ck, 0)
		c.write(ck)
		out := filepath.Join(dir, "out")
		code, stdout, stderr := runSmd(t, "measure", "--checkpoints", ck, "--out", out)
		if code != 2 || stdout != "" || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want 2, one line", c.name, code, stdout, stderr)
		}
		for _, w := range c.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: stderr %q lacks %q", c.name, stderr, w)
			}
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%s: %s was created", c.name, out)
		}
	}
	// The same pair, good, measures.
	dir := t.TempDir()
	goodFile(t, dir, 0)
	goodFile(t, dir, 1)
	if code, _, stderr := runSmd(t, "measure", "--checkpoints", dir, "--out", filepath.Join(dir, "out")); code != 0 {
		t.Errorf("good pair: exit %d: %s", code, stderr)
	}
}

// readCSVMap reads a CSV file into rows keyed by column name.
func readCSVMap(t *testing.T, path string) []map[string]string {
	t.Helper()
	rows := readCSV(t, path)
	var out []map[string]string
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, h := range rows[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

// TestMeasureReproducesTrain trains the small CNN with --save-checkpoints
// at the measurement interval and checks that smd measure finds the AU,
// norm and effective LR that smd train logged, to rounding: train computes
// the angle in float64 from w and its float32 update d inside the graph;
// the checkpoint holds fl32(w + d), whose rounding (≤ 2⁻²⁴|w_i| per element)
// moves the angle by at most 2⁻²⁴‖w_{n+1}‖/‖w_n‖ rad; train prints 8
// significant digits (relative ≤ 5·10⁻⁸), measure 10. It also checks the
// scale-invariance evidence on a real network (BatchNorm ε = 10⁻⁵, float32):
// the three convolutions pass the ratio test and the tensors that cannot be
// scale-invariant (classifier, last γ, β, running statistics) fail it.
// (c1, c2's γ are nearly scale-invariant while β ≈ 0: scaling γ and β of a
// BN followed by ReLU and another conv+BN together leaves the loss
// unchanged; docs/measure.md §2.) With momentum the three-checkpoint form
// is used.
func TestMeasureReproducesTrain(t *testing.T) {
	for _, mom := range []float64{0, 0.9} {
		dir := t.TempDir()
		cfg := filepath.Join(dir, "tiny.yaml")
		yaml := "batch_size: 8\nmeasure_every: 4\ntest_samples: 16\ntrials: 1\nmomentum: " + strconv.FormatFloat(mom, 'g', -1, 64) + "\n"
		writeFile(t, cfg, yaml)
		data, out, mout := filepath.Join(dir, "data"), filepath.Join(dir, "out"), filepath.Join(dir, "m")
		code, _, stderr := runSmd(t, "train", "--preset", "cifar10-small", "--config", cfg, "--synthetic", "16",
			"--data", data, "--out", out, "--epochs", "1", "--steps-per-epoch", "10", "--save-checkpoints", "4")
		if code != 0 {
			t.Fatalf("train: exit %d: %s", code, stderr)
		}
		ck := filepath.Join(out, "checkpoints", "trial-0")
		code, _, stderr = runSmd(t, "measure", "--checkpoints", ck, "--out", mout, "--per-neuron")
		if code != 0 {
			t.Fatalf("measure: exit %d: %s", code, stderr)
		}
		type key struct {
			step  string
			layer string
		}
		got := map[key]map[string]string{}
		for _, r := range readCSVMap(t, filepath.Join(mout, measure.LayersFile)) {
			if r["span"] == "1" {
				got[key{r["step"], r["tensor"]}] = r
			}
		}
		trainRows := readCSVMap(t, filepath.Join(out, train.LayersFile))
		if len(trainRows) != 3*3 { // steps 0, 4, 8; three convolutions
			t.Fatalf("train layers.csv has %d rows, want 9", len(trainRows))
		}
		for _, tr := range trainRows {
			m, ok := got[key{tr["step"], tr["layer"]}]
			if !ok {
				t.Errorf("μ %g: measure has no per-step row for step %s %s", mom, tr["step"], tr["layer"])
				continue
			}
			effCol := "eff_lr" // the column's name since issue 10; "eta" before
			if _, ok := tr[effCol]; !ok {
				effCol = "eta"
			}
			au, norm := parseNum(t, m["au"]), parseNum(t, m["norm"])
			tau, tnorm, teff := parseNum(t, tr["au"]), parseNum(t, tr["norm"]), parseNum(t, tr[effCol])
			bound := 0x1p-24*1.01 + 6e-8*au // 1.01 ≥ ‖w_{n+1}‖/‖w_n‖ under weight decay and small AU
			if math.Abs(au-tau) > bound || math.Abs(norm-tnorm) > 6e-8*norm || math.Abs(parseNum(t, m["eff_lr"])-teff) > 6e-8*teff {
				t.Errorf("μ %g step %s %s: measure au %s norm %s eff_lr %s; train %s %s %s (bound on au %.2g)",
					mom, tr["step"], tr["layer"], m["au"], m["norm"], m["eff_lr"], tr["au"], tr["norm"], tr[effCol], bound)
			}
			if m["scale_invariant"] != "true" || m["au_theory"] == "" {
				t.Errorf("μ %g %s: scale_invariant %s au_theory %q", mom, tr["layer"], m["scale_invariant"], m["au_theory"])
			}
		}
		tensors := readCSVMap(t, filepath.Join(mout, measure.TensorsFile))
		for _, r := range tensors {
			name := r["tensor"]
			mustSI := strings.HasSuffix(name, "/conv")
			mustNot := strings.HasPrefix(name, "fc/") || name == "c3/bn/gamma" || strings.HasSuffix(name, "/beta") || strings.HasSuffix(name, "/mean") || strings.HasSuffix(name, "/var")
			t.Logf("μ %g %-12s SI %-5s by %-10s max|ratio−1| %s", mom, name, r["scale_invariant"], r["si_source"], r["si_ratio_max_dev"])
			if mustSI && (r["scale_invariant"] != "true" || r["si_source"] != "ratio") {
				t.Errorf("μ %g %s: scale_invariant %s by %s, want true by ratio", mom, name, r["scale_invariant"], r["si_source"])
			}
			if mustNot && r["scale_invariant"] != "false" {
				t.Errorf("μ %g %s: scale_invariant %s, want false", mom, name, r["scale_invariant"])
			}
		}
		neurons := readCSVMap(t, filepath.Join(mout, measure.NeuronsFile))
		if len(neurons) == 0 || neurons[0]["channel"] != "0" {
			t.Errorf("neurons.csv: %d rows", len(neurons))
		}
		var rj struct {
			Hyper map[string]struct {
				Source string `json:"source"`
			} `json:"hyperparameters"`
			Version string `json:"version"`
		}
		b := readJSON(t, filepath.Join(mout, measure.RunFile), &rj)
		if rj.Version == "" || rj.Hyper["lr"].Source != "metadata" || rj.Hyper["momentum"].Source != "metadata" {
			t.Errorf("run.json: %s", b)
		}
		for _, f := range []string{measure.PlotPNG, measure.PlotSVG} {
			if st, err := os.Stat(filepath.Join(mout, f)); err != nil || st.Size() < 1000 {
				t.Errorf("%s: %v", f, err)
			}
		}
	}
}
