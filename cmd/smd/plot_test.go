package main

import (
	"bytes"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/smdlab/smd/cmd/smd/internal/runplot"
)

// simRun writes a short simulate run of the embedded example into dir.
func simRun(t *testing.T, dir string, extra ...string) {
	t.Helper()
	args := append([]string{"simulate", "--out", dir, "--steps", "12000", "--trials", "8"}, extra...)
	if code, _, stderr := runCLI(t, args...); code != 0 {
		t.Fatalf("simulate exit %d: %s", code, stderr)
	}
}

// csvColumn reads column name of dir/series.csv independently of runplot.
func csvColumn(t *testing.T, dir, name string) []float64 {
	t.Helper()
	recs := readCSV(t, filepath.Join(dir, "series.csv"))
	k := -1
	for i, h := range recs[0] {
		if h == name {
			k = i
		}
	}
	if k < 0 {
		t.Fatalf("%s: no column %s", dir, name)
	}
	var out []float64
	for _, r := range recs[1:] {
		v := parseNum(t, r[k])
		out = append(out, v)
	}
	return out
}

// loadRuns loads the runs in dirs as `smd plot` does.
func loadRuns(t *testing.T, dirs ...string) []*runplot.Run {
	t.Helper()
	var runs []*runplot.Run
	for _, d := range dirs {
		r, err := runplot.Load(d)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
	}
	return runs
}

// loadPanels loads the runs in dirs and lays out plot's panels (with the
// theory curves if theory).
func loadPanels(t *testing.T, theory bool, dirs ...string) []runplot.Panel {
	t.Helper()
	panels, err := runplot.Panels(loadRuns(t, dirs...), nil, theory)
	if err != nil {
		t.Fatal(err)
	}
	return panels
}

func equalFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && !(math.IsNaN(a[i]) && math.IsNaN(b[i])) {
			return false
		}
	}
	return true
}

// checkPanels compares the plotted data with the CSVs: every data series is
// its run's column (x the step column, SE the _se column), in run order.
func checkPanels(t *testing.T, dirs []string, panels []runplot.Panel) {
	t.Helper()
	want := []string{"risk", "loss", "au_rms", "norm"}
	if len(panels) != len(want) {
		t.Fatalf("%d panels, want %v", len(panels), want)
	}
	for k, p := range panels {
		if p.Column != want[k] {
			t.Errorf("panel %d is %s, want %s", k, p.Column, want[k])
		}
		n := 0
		for _, s := range p.Series {
			if s.Theory {
				continue
			}
			d := dirs[s.Run]
			if s.Run != n || s.Label != filepath.Base(d) {
				t.Errorf("%s: series %d is run %d %q", p.Column, n, s.Run, s.Label)
			}
			n++
			if !equalFloats(s.X, csvColumn(t, d, "step")) || !equalFloats(s.Y, csvColumn(t, d, p.Column)) || !equalFloats(s.SE, csvColumn(t, d, p.Column+"_se")) {
				t.Errorf("%s of %s: plotted data differ from series.csv", p.Column, d)
			}
		}
		if n != len(dirs) {
			t.Errorf("%s: %d data series for %d runs", p.Column, n, len(dirs))
		}
	}
}

// The example ends in the equilibrium of η/10 (rescaled at its decay), so
// Lemma 1's AU on the eq 17 path must end at √(2λη) of the last row's η, λ
// — an independent check that the overlay is the run's own theory.
func checkTheoryAU(t *testing.T, dir string, p runplot.Panel) {
	t.Helper()
	eta, lam := csvColumn(t, dir, "eta"), csvColumn(t, dir, "lambda")
	want := math.Sqrt(2 * eta[len(eta)-1] * lam[len(lam)-1])
	for _, s := range p.Series {
		if s.Theory && s.Label == filepath.Base(dir)+": "+p.TheoryName {
			got := s.Y[len(s.Y)-1]
			if math.Abs(got/want-1) > 1e-3 {
				t.Errorf("%s: theory AU at the end %g, want √(2λη) = %g", dir, got, want)
			}
			return
		}
	}
	t.Errorf("%s: no theory curve on the AU panel", dir)
}

// loadRunPanels loads one run folder and its default panels with theory.
func loadRunPanels(t *testing.T, dir string) (*runplot.Run, []runplot.Panel) {
	t.Helper()
	r, err := runplot.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := runplot.Panels([]*runplot.Run{r}, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	return r, ps
}

func TestPlotOneRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run-a")
	simRun(t, dir)
	if code, _, stderr := runCLI(t, "plot", dir); code != 0 {
		t.Fatalf("plot exit %d: %s", code, stderr)
	}
	b := readFile(t, filepath.Join(dir, "plot.png"))
	if _, err := png.DecodeConfig(bytes.NewReader(b)); err != nil {
		t.Errorf("plot.png: %v", err)
	}
	panels := loadPanels(t, true, dir)
	checkPanels(t, []string{dir}, panels)
	checkTheoryAU(t, dir, panels[2])
	// --no-theory draws the data alone.
	panels = loadPanels(t, false, dir)
	for _, p := range panels {
		for _, s := range p.Series {
			if s.Theory {
				t.Errorf("--no-theory: %s has theory curve %q", p.Column, s.Label)
			}
		}
	}
}

func TestPlotThreeRuns(t *testing.T) {
	tmp := t.TempDir()
	var dirs []string
	for i, extra := range [][]string{{"--seed", "1"}, {"--seed", "2"}, {"--trials", "12"}} {
		d := filepath.Join(tmp, "run"+strconv.Itoa(i))
		simRun(t, d, extra...)
		dirs = append(dirs, d)
	}
	out := filepath.Join(tmp, "three.svg")
	args := append([]string{"plot", "--out", out}, dirs...)
	if code, _, stderr := runCLI(t, args...); code != 0 {
		t.Fatalf("plot exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil || !bytes.Contains(b, []byte("<svg")) {
		t.Fatalf("%s: %v, %d bytes", out, err, len(b))
	}
	runs := loadRuns(t, dirs...)
	panels, err := runplot.Panels(runs, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	checkPanels(t, dirs, panels)
	for _, d := range dirs {
		checkTheoryAU(t, d, panels[2])
	}
	// The title names what differs (trials; the seed is not a difference).
	if got := runplot.Title(runs); got != "differs: trials = 8 / 8 / 12" {
		t.Errorf("title %q", got)
	}
	// --columns picks panels; --label relabels.
	out2 := filepath.Join(tmp, "two.png")
	if code, _, stderr := runCLI(t, "plot", "--out", out2, "--columns", "tail,norm_sq", "--label", "x", "--label", "y", dirs[0], dirs[1]); code != 0 {
		t.Fatalf("plot --columns exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(out2); err != nil {
		t.Error(err)
	}
}

func TestPlotBadInput(t *testing.T) {
	tmp := t.TempDir()
	good := filepath.Join(tmp, "good")
	simRun(t, good)
	empty := filepath.Join(tmp, "empty")
	os.Mkdir(empty, 0o755)
	nojson := filepath.Join(tmp, "nojson")
	os.Mkdir(nojson, 0o755)
	b := readFile(t, filepath.Join(good, "series.csv"))
	writeFile(t, filepath.Join(nojson, "series.csv"), b)
	badcsv := filepath.Join(tmp, "badcsv")
	os.Mkdir(badcsv, 0o755)
	os.WriteFile(filepath.Join(badcsv, "series.csv"), []byte("step,risk,risk_se\n0,1,0\n1,x,0\n"), 0o644)
	sweepDir, measureDir := filepath.Join(tmp, "sw"), filepath.Join(tmp, "m")
	for d, files := range map[string][]string{sweepDir: {"sweep.json"}, measureDir: {"tensors.csv", "layers.csv", "run.json"}} {
		os.Mkdir(d, 0o755)
		for _, f := range files {
			os.WriteFile(filepath.Join(d, f), []byte("{}"), 0o644)
		}
	}
	out := filepath.Join(tmp, "out.png")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{filepath.Join(tmp, "missing")}, "missing: no such folder"},
		{[]string{empty}, "empty: not a run folder (no series.csv)"},
		{[]string{good, nojson}, "nojson: not a run folder (no run.json)"},
		{[]string{badcsv}, `series.csv: line 3: column risk: "x" is not a number`},
		{[]string{sweepDir}, "sw: a sweep folder: draw it with smd sweep plot"},
		{[]string{measureDir}, "m: an smd measure folder: smd measure drew it, " + filepath.Join(measureDir, "measure.png")},
		{[]string{"--columns", "nope", good}, `good: series.csv has no column "nope"`},
		{[]string{"--label", "a", "--label", "b", good}, "--label: 2 labels for 1 run folders"},
		{[]string{"--out", filepath.Join(tmp, "x.jpg"), good}, "the extension must be .png or .svg"},
	} {
		args := append([]string{"plot"}, tc.args...)
		if !strings.HasPrefix(tc.args[0], "--out") {
			args = append([]string{"plot", "--out", out}, tc.args...)
		}
		code, _, stderr := runCLI(t, args...)
		if code != 2 || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line with %q", tc.args, code, stderr, tc.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v: wrote %s", tc.args, out)
		}
	}
}

// A train folder (series.csv with train's columns) draws Figure 3's panels,
// the AU panel with the run's own √(2λη) column as theory.
func TestPlotTrainRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "train-a")
	os.Mkdir(dir, 0o755)
	hdr := "epoch,step,eta,train_loss,train_loss_sd,train_loss_se,test_loss,test_loss_sd,test_loss_se,test_acc,test_acc_sd,test_acc_se,mean_au,mean_au_sd,mean_au_se,rms_au,rms_au_sd,rms_au_se,au_theory,mean_norm,mean_norm_sd,mean_norm_se,mean_eff_lr\n"
	rows := "1,10,0.1,2.1,0.1,0.05,2.2,0.1,0.05,0.3,0.01,0.005,0.02,0.001,0.0005,0.021,0.001,0.0005,0.0141,3,0.1,0.05,0.011\n" +
		"2,20,0.1,1.5,0.1,0.05,1.7,0.1,0.05,0.5,0.01,0.005,0.015,0.001,0.0005,0.016,0.001,0.0005,0.0141,2.5,0.1,0.05,0.016\n"
	writeFile(t, filepath.Join(dir, "series.csv"), hdr+rows)
	writeFile(t, filepath.Join(dir, "run.json"), `{"config":{"lr":0.1,"weight_decay":0.001}}`)
	if code, _, stderr := runCLI(t, "plot", dir); code != 0 {
		t.Fatalf("plot exit %d: %s", code, stderr)
	}
	_, panels := loadRunPanels(t, dir)
	var cols []string
	for _, p := range panels {
		cols = append(cols, p.Column)
		if !equalFloats(p.Series[0].Y, csvColumn(t, dir, p.Column)) || !equalFloats(p.Series[0].SE, csvColumn(t, dir, p.Column+"_se")) {
			t.Errorf("%s: plotted data differ from series.csv", p.Column)
		}
	}
	if strings.Join(cols, ",") != "train_loss,test_acc,rms_au,mean_norm" {
		t.Errorf("panels %v", cols)
	}
	au := panels[2]
	if len(au.Series) != 2 || !au.Series[1].Theory || !equalFloats(au.Series[1].Y, csvColumn(t, dir, "au_theory")) {
		t.Errorf("AU panel's theory is not the au_theory column: %+v", au.Series)
	}
	// A simulate run and a train run do not overlay.
	sim := filepath.Join(t.TempDir(), "sim")
	simRun(t, sim)
	code, _, stderr := runCLI(t, "plot", "--out", filepath.Join(t.TempDir(), "x.png"), sim, dir)
	if code != 2 || !strings.Contains(stderr, "overlay runs of one kind") {
		t.Errorf("mixed kinds: exit %d, %q", code, stderr)
	}
}

// A dense a_file has its theory, computed from its eigenvalues: with the
// matrix in the run folder the risk theory is that of the same spectrum
// given as spectrum/multiplicity; found in the current directory it is
// used and said so; found nowhere, or with noise_file (no isotropic σ),
// the figure and stderr say why there is no theory, never silently.
func TestPlotMatrixFiles(t *testing.T) {
	tmp := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// A = diag(1, 2, 2, 2) in a rotated basis would do as well; the
	// theory sees only the spectrum.
	write("a.csv", "1,0,0,0\n0,2,0,0\n0,0,2,0\n0,0,0,2\n")
	write("noise.csv", "0.25,0,0,0\n0,0.25,0,0\n0,0,0.25,0\n0,0,0,0.25\n")
	common := "eta: 0.1\nlambda: 0.01\ninit: {std: 1}\nsteps: 200\ntrials: 4\nrecord_every: 20\n"
	dense := write("dense.yaml", "a_file: a.csv\nsigma: 0.5\n"+common)
	spec := write("spec.yaml", "spectrum: [1, 2]\nmultiplicity: [1, 3]\nsigma: 0.5\n"+common)
	noise := write("noise.yaml", "a_file: a.csv\nnoise_file: noise.csv\n"+common)
	sim := func(cfg, out string) string {
		d := filepath.Join(tmp, out)
		if code, _, stderr := runCLI(t, "simulate", "--config", cfg, "--out", d); code != 0 {
			t.Fatalf("simulate %s: exit %d: %s", cfg, code, stderr)
		}
		return d
	}
	rd, rs, rn := sim(dense, "dense"), sim(spec, "spec"), sim(noise, "noise")
	riskTheory := func(ps []runplot.Panel) []float64 {
		for _, s := range ps[0].Series {
			if s.Theory {
				return s.Y
			}
		}
		return nil
	}
	// Not found (the test's working directory is the package's): said.
	r, ps := loadRunPanels(t, rd)
	if riskTheory(ps) != nil || len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "dense: no theory: a_file: "+filepath.Join(rd, "a.csv")) {
		t.Errorf("a_file nowhere: notes %q, risk theory %v", r.Notes, riskTheory(ps))
	}
	if !strings.Contains(runplot.Title([]*runplot.Run{r}), "\ndense: no theory: a_file") {
		t.Errorf("title %q does not say why there is no theory", runplot.Title([]*runplot.Run{r}))
	}
	code, _, stderr := runCLI(t, "plot", rd)
	if code != 0 || !strings.Contains(stderr, "no theory: a_file") {
		t.Errorf("plot: exit %d, stderr %q", code, stderr)
	}
	// In the run folder: the spectrum's theory.
	b, _ := os.ReadFile(filepath.Join(tmp, "a.csv"))
	os.WriteFile(filepath.Join(rd, "a.csv"), b, 0o644)
	r, ps = loadRunPanels(t, rd)
	_, want := loadRunPanels(t, rs)
	if got := riskTheory(ps); len(r.Notes) != 0 || got == nil || !equalFloats(got, riskTheory(want)) {
		t.Errorf("a_file in the run folder: notes %q, risk theory %v, want %v", r.Notes, got, riskTheory(want))
	}
	// In the current directory: used, and said.
	os.Remove(filepath.Join(rd, "a.csv"))
	t.Chdir(tmp)
	r, ps = loadRunPanels(t, rd)
	if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "a.csv read from the current directory") || !equalFloats(riskTheory(ps), riskTheory(want)) {
		t.Errorf("a_file in the current directory: notes %q", r.Notes)
	}
	// noise_file: no theory, and why.
	r, ps = loadRunPanels(t, rn)
	if riskTheory(ps) != nil || len(r.Notes) != 2 || !strings.Contains(r.Notes[1], "noise: no theory: sigma: theory needs isotropic noise") {
		t.Errorf("noise_file: notes %q", r.Notes)
	}
}
