package main

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/smdlab/smd/train"
)

// TestReproduceFig3Replay redraws Figure 3 from testdata/fig3-small.gob, the
// saved results of a tiny real-data run (`smd reproduce fig3 --trials 2
// --fig3-steps-per-epoch 12 --fig3-test-samples 500`; regenerate it that
// way when train.Result changes): twelve panels with PNG, SVG and CSV, the
// combined figure, index.html, run.json with the seven distinct training
// configs, and one verdict line per panel. Training itself is tested in
// package train (TestFashionMNISTTraining) and by hand (docs/train.md).
func TestReproduceFig3Replay(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "f3")
	code, stdout, stderr := runCLI(t, "reproduce", "fig3", "--out", dir, "--fig3-from", filepath.Join("testdata", "fig3-small.gob"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, id := range "abcdefghijkl" {
		stem := "fig3" + string(id)
		for _, ext := range []string{".png", ".svg", ".csv"} {
			if st, err := os.Stat(filepath.Join(dir, stem+ext)); err != nil || st.Size() == 0 {
				t.Errorf("%s%s missing or empty: %v", stem, ext, err)
			}
		}
		if !regexp.MustCompile(`(?m)^` + stem + ` (supported|contradicted|not shown) +\(` + string(id) + `\) `).MatchString(stdout) {
			t.Errorf("no verdict line for %s in stdout:\n%s", stem, stdout)
		}
	}
	for _, name := range []string{"fig3.png", "fig3.svg", "index.html", "run.json"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("missing %s", name)
		}
	}
	// A redraw saves the results it drew too, so that redrawing a folder
	// in place (--fig3-from DIR/fig3-results.gob --out DIR), which
	// replaces the folder as a whole, keeps them. Before, only training
	// saved them.
	type saved struct {
		Results [][]*train.Result
		Steps   int
		Wall    time.Duration
	}
	var got, want saved
	for path, v := range map[string]*saved{filepath.Join(dir, "fig3-results.gob"): &got, filepath.Join("testdata", "fig3-small.gob"): &want} {
		if f, err := os.Open(path); err != nil {
			t.Fatalf("%v (the redrawn results are not saved)", err)
		} else if err := gob.NewDecoder(f).Decode(v); err != nil {
			t.Fatalf("%s: %v", path, err)
		} else {
			f.Close()
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fig3-results.gob holds other results than the ones redrawn")
	}
	var info struct {
		Runs []struct {
			Figure      string          `json:"figure"`
			TrainConfig *map[string]any `json:"train_config"`
		} `json:"runs"`
	}
	data, _ := os.ReadFile(filepath.Join(dir, "run.json"))
	if err := json.Unmarshal(data, &info); err != nil || len(info.Runs) != 8 {
		t.Fatalf("run.json: %v, %d runs, want 8 (three rows of 3, 2, 3 curves)", err, len(info.Runs))
	}
	for _, r := range info.Runs {
		if r.TrainConfig == nil || !strings.HasPrefix(r.Figure, "fig3_") {
			t.Errorf("run %+v: want a fig3 row and its train_config", r)
		}
	}
	index, _ := os.ReadFile(filepath.Join(dir, "index.html"))
	for _, s := range []string{"Figure 3 on Fashion-MNIST", `src="fig3g.png"`, "How Figure 3 is checked"} {
		if !bytes.Contains(index, []byte(s)) {
			t.Errorf("index.html lacks %q", s)
		}
	}
}
