package sweep

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/smdlab/smd/claim"
	"github.com/smdlab/smd/experiment"
)

// contract is the sweep config of the issue (the contract tests read).
const contract = `base: {spectrum: [1, 2], multiplicity: [1, 99], sigma: 1, eta: 0.1, lambda: 0.001,
       init: {std: 0.84}, steps: 20000, trials: 100, method: reduced}
grid: {eta: [0.1, 0.05], lambda: [0.001, 0.002]}
seeds: [1, 2]
`

// small is a quick sweep (a few ms per point) for the run/shard tests.
const small = `base: {spectrum: [1, 2], multiplicity: [1, 9], sigma: 1, eta: 0.1, lambda: 0.01,
       init: {std: 0.5}, steps: 400, trials: 20, method: full, record_every: 20}
grid: {eta: [0.1, 0.05, 0.02], init.std: [0.5, 1]}
zip: {lambda: [0.01, 0.02], tail_xi: [0.9, 0.8]}
seeds: 2
`

func parse(t *testing.T, src string) *Sweep {
	t.Helper()
	sw, err := Parse([]byte(src), "sweep.yaml", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return sw
}

func TestContract(t *testing.T) {
	sw := parse(t, contract)
	if want := []string{"eta", "lambda", "seed"}; !slices.Equal(sw.Keys, want) {
		t.Fatalf("keys %v, want %v", sw.Keys, want)
	}
	if len(sw.Points) != 8 {
		t.Fatalf("%d points, want 2·2·2 = 8", len(sw.Points))
	}
	seen := map[[3]float64]bool{}
	for _, p := range sw.Points {
		c := p.Config
		if c.Steps != 20000 || c.Trials != 100 || c.Method != "reduced" || *c.Init.Std != 0.84 {
			t.Errorf("point %s lost the base: %+v", p.ID, c)
		}
		seen[[3]float64{*c.Eta, *c.Lambda, float64(c.Seed)}] = true
		if got := p.Label(sw.Keys); got != "eta="+p.Params[0]+" lambda="+p.Params[1]+" seed="+p.Params[2] {
			t.Errorf("label %q", got)
		}
	}
	for _, eta := range []float64{0.1, 0.05} {
		for _, l := range []float64{0.001, 0.002} {
			for _, s := range []float64{1, 2} {
				if !seen[[3]float64{eta, l, s}] {
					t.Errorf("point eta=%v lambda=%v seed=%v missing", eta, l, s)
				}
			}
		}
	}
}

// Reordering the grid (keys and values) and respelling numbers renames no
// point; changing a value does.
func TestIDsStable(t *testing.T) {
	ids := func(src string) []string {
		var out []string
		for _, p := range parse(t, src).Points {
			out = append(out, p.ID)
		}
		slices.Sort(out)
		return out
	}
	a := ids(contract)
	b := ids(strings.Replace(contract, "grid: {eta: [0.1, 0.05], lambda: [0.001, 0.002]}", "grid: {lambda: [2e-3, 1e-3], eta: [0.05, 0.1]}", 1))
	if !slices.Equal(a, b) {
		t.Fatalf("reordered grid renamed points:\n%v\n%v", a, b)
	}
	c := ids(strings.Replace(contract, "0.002]", "0.003]", 1))
	if n := len(slices.DeleteFunc(c, func(id string) bool { return slices.Contains(a, id) })); n != 4 {
		t.Fatalf("changing one λ value renamed %d points, want the 4 with that λ", n)
	}
}

func TestSmallExpansion(t *testing.T) {
	sw := parse(t, small)
	if want := []string{"eta", "init.std", "lambda", "tail_xi", "seed"}; !slices.Equal(sw.Keys, want) {
		t.Fatalf("keys %v, want %v", sw.Keys, want)
	}
	if len(sw.Points) != 3*2*2*2 {
		t.Fatalf("%d points, want 24", len(sw.Points))
	}
	for _, p := range sw.Points {
		c := p.Config
		// zip: λ and ξ vary together.
		if (*c.Lambda == 0.01) != (c.TailXi == 0.9) {
			t.Errorf("zip broken: lambda %v with tail_xi %v", *c.Lambda, c.TailXi)
		}
		if p.Params[1] != fnum(*c.Init.Std) {
			t.Errorf("init.std param %q, config %v", p.Params[1], *c.Init.Std)
		}
	}
}

// Nested keys reach schedules, and keys the config layer does not know are
// its errors (so config keys added later work without a list here).
func TestNestedKeys(t *testing.T) {
	src := `base: {spectrum: [1, 2], multiplicity: [1, 9], sigma: 1, eta: 0.1, lambda: 0.01,
       init: {std: 0.5}, steps: 400, trials: 4,
       schedule: [{step: 200, lr_divide: 10}]}
grid:
  schedule[0].lr_divide: [2, 10]
  schedule[0].rescale: [false, true]
  momentum: [0, 0.5]
`
	sw := parse(t, src)
	if len(sw.Points) != 8 {
		t.Fatalf("%d points", len(sw.Points))
	}
	n := 0
	for _, p := range sw.Points {
		if e := p.Config.Schedule[0]; e.Rescale && *e.LRDivide == 2 && p.Config.Momentum == 0.5 {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("schedule[0] fields not applied (%d matching points)", n)
	}
}

func TestBadInput(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"bad point", strings.Replace(contract, "lambda: [0.001, 0.002]", "lambda: [0.001,\n   20]", 1),
			"sweep.yaml:4: point eta=0.1 lambda=20 seed=1: lambda: λη = 2 must be < 1"},
		{"unknown key", strings.Replace(contract, "lambda: [0.001", "lamda: [0.001", 1),
			"sweep.yaml:3: point eta=0.1 lamda=0.001 seed=1: lamda: unknown key in the config"},
		{"wrong type", strings.Replace(contract, "lambda: [0.001", "lambda: [big", 1),
			"sweep.yaml:3: point eta=0.1 lambda=big seed=1: lambda: want a number"},
		{"nested", strings.Replace(contract, "seeds: [1, 2]", "zip: {init.std: [1, -1]}", 1),
			"sweep.yaml:4: point eta=0.1 lambda=0.001 init.std=-1: init.std: must be a finite number > 0"},
		{"zip lengths", strings.Replace(contract, "seeds: [1, 2]", "zip: {init.std: [1, 2], trials: [3]}", 1),
			"sweep.yaml:4: trials: zip group 0: 1 values but init.std has 2"},
		{"twice", strings.Replace(contract, "seeds: [1, 2]", "zip: {eta: [1]}", 1), "eta: varied twice (also on line 3)"},
		{"seed twice", strings.Replace(contract, "lambda: [0.001, 0.002]", "seed: [1]", 1), "seeds: seed is already varied on line 3"},
		{"base", strings.Replace(contract, "sigma: 1,", "sigma: -1,", 1), "sweep.yaml:1: base.sigma: must be a finite number ≥ 0"},
		{"top key", contract + "grids: {}\n", "sweep.yaml:5: grids: unknown key in the sweep config"},
		{"no list", strings.Replace(contract, "seeds: [1, 2]", "zip: {steps: 1}", 1), "steps: want a non-empty list"},
		{"index", strings.Replace(contract, "seeds: [1, 2]", "zip: {\"schedule[0].lr_divide\": [10]}", 1), "the base has no list schedule"},
		{"same point", strings.Replace(contract, "[0.1, 0.05]", "[0.1, 1e-1]", 1), "are the same config"},
		{"no base", "grid: {eta: [1]}\n", "base: required"},
		// issue 12, class 4: expanded for ever (seeds) or for hours (the grid)
		{"seeds huge", strings.Replace(contract, "seeds: [1, 2]", "seeds: 9223372036854775807", 1), "sweep.yaml:4: seeds: 9223372036854775807 seeds: a sweep has at most 2^20"},
		{"grid huge", strings.Replace(contract, "seeds: [1, 2]", "seeds: 300000", 1), "grid: 1.2e+06 points"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.src), "sweep.yaml", t.TempDir())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
			if !errors.Is(err, experiment.ErrConfig) {
				t.Fatalf("error %v is not bad input (experiment.ErrConfig)", err)
			}
		})
	}
}

func TestBaseFile(t *testing.T) {
	dir := t.TempDir()
	base := "spectrum: [1, 2]\nmultiplicity: [1, 9]\nsigma: 1\neta: 0.1\nlambda: 0.01\ninit: {std: 0.5}\nsteps: 100\ntrials: 4\n"
	if err := os.WriteFile(filepath.Join(dir, "base.yaml"), []byte(base), 0o644); err != nil {
		t.Fatal(err)
	}
	sw, err := Parse([]byte("base_file: base.yaml\ngrid: {eta: [0.1, 0.2]}\n"), filepath.Join(dir, "s.yaml"), dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(sw.Points) != 2 || !bytes.Contains(sw.Resolved, []byte("base:")) || bytes.Contains(sw.Resolved, []byte("base_file")) {
		t.Fatalf("resolved config does not inline the base:\n%s", sw.Resolved)
	}
	// The resolved copy parses to the same points.
	sw2, err := Parse(sw.Resolved, "resolved.yaml", dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range sw.Points {
		if sw.Points[i].ID != sw2.Points[i].ID {
			t.Fatalf("resolved copy renamed point %d", i)
		}
	}
	os.WriteFile(filepath.Join(dir, "base.yaml"), []byte(base+"steps: 5\n"), 0o644)
	_, err = Parse([]byte("base_file: base.yaml\n"), "s.yaml", dir)
	if err == nil || !strings.Contains(err.Error(), "base.yaml:9: steps: key given twice") {
		t.Fatalf("base_file error %v, want base.yaml:9: steps: key given twice", err)
	}
}

func TestShards(t *testing.T) {
	sw := parse(t, small)
	for _, n := range []int{1, 3, 5, 40} {
		var all []string
		for i := range n {
			a := sw.Shard(i, n)
			b := sw.Shard(i, n)
			if !slices.Equal(ids(a), ids(b)) {
				t.Fatal("shard not deterministic")
			}
			if len(a) > (len(sw.Points)+n-1)/n {
				t.Errorf("shard %d/%d has %d of %d equal-work points", i, n, len(a), len(sw.Points))
			}
			all = append(all, ids(a)...)
		}
		slices.Sort(all)
		want := ids(sw.Points)
		slices.Sort(want)
		if !slices.Equal(all, want) {
			t.Fatalf("shards of %d do not partition the points", n)
		}
	}
}

func ids(pts []*Point) []string {
	var out []string
	for _, p := range pts {
		out = append(out, p.ID)
	}
	return out
}

// readTree returns every file under dir/points (path → bytes) but run.json's
// timing and worker fields.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.Walk(filepath.Join(dir, "points"), func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() || filepath.Base(p) != "series.csv" {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func collect(t *testing.T, dir string) (*Summary, []byte) {
	t.Helper()
	s, err := Collect(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := s.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	return s, b.Bytes()
}

// Results are byte-identical whatever the sharding, worker count or order;
// an interrupted sweep resumes where it stopped.
func TestRunIdentical(t *testing.T) {
	sw := parse(t, small)
	ctx := context.Background()
	one := t.TempDir()
	st, err := Run(ctx, sw, one, Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if st.Ran != len(sw.Points) || st.Work != int64(len(sw.Points))*20*400 {
		t.Fatalf("stats %+v", st)
	}
	ref := readTree(t, one)
	if len(ref) != len(sw.Points) {
		t.Fatalf("%d series for %d points", len(ref), len(sw.Points))
	}
	_, refSum := collect(t, one)

	sharded := t.TempDir()
	for _, i := range []int{2, 0, 1} { // any order
		if _, err := Run(ctx, sw, sharded, Options{Shard: i, Shards: 3, Workers: 1 + i%2}); err != nil {
			t.Fatal(err)
		}
	}
	if got := readTree(t, sharded); !mapsEqual(got, ref) {
		t.Fatal("sharded run differs from the single run")
	}
	if _, s := collect(t, sharded); !bytes.Equal(s, refSum) {
		t.Fatal("sharded summary differs")
	}

	// Resume: remove two points; a rerun runs exactly those.
	os.RemoveAll(PointDir(one, sw.Points[3].ID))
	os.Remove(filepath.Join(PointDir(one, sw.Points[7].ID), "run.json"))
	s, _ := collect(t, one)
	if len(s.Missing) != 2 || s.Rows[3].Status != "missing" || s.Rows[7].Status != "missing" {
		t.Fatalf("missing %v", s.Missing)
	}
	st, err = Run(ctx, sw, one, Options{Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	if st.Ran != 2 || st.Skipped != len(sw.Points)-2 {
		t.Fatalf("resume ran %d, skipped %d; want 2 and %d", st.Ran, st.Skipped, len(sw.Points)-2)
	}
	if got := readTree(t, one); !mapsEqual(got, ref) {
		t.Fatal("resumed run differs")
	}
	if _, s := collect(t, one); !bytes.Equal(s, refSum) {
		t.Fatal("resumed summary differs")
	}

	// Another sweep into the same folder is bad input.
	other := parse(t, strings.Replace(small, "trials: 20", "trials: 21", 1))
	if _, err := Run(ctx, other, one, Options{}); err == nil || !strings.Contains(err.Error(), "holds another sweep") {
		t.Fatalf("got %v, want 'holds another sweep'", err)
	}
	// A cancelled run writes nothing half-done.
	cdir := t.TempDir()
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Run(cctx, sw, cdir, Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled run: %v", err)
	}
	if got := readTree(t, cdir); len(got) != 0 {
		t.Fatalf("cancelled run wrote %d series", len(got))
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// The contract sweep: every point agrees with Theorem 2 (corrected), and
// would not if the prediction were off by a factor 2 (the check has power).
func TestCollectVerdicts(t *testing.T) {
	if testing.Short() {
		t.Skip("0.5 s of simulation")
	}
	sw := parse(t, contract)
	dir := t.TempDir()
	if _, err := Run(context.Background(), sw, dir, Options{}); err != nil {
		t.Fatal(err)
	}
	s, csv := collect(t, dir)
	header := strings.SplitN(string(csv), "\n", 2)[0]
	for _, col := range []string{"id", "eta", "lambda", "seed", "risk", "risk_se", "loss", "au_rms", "norm", "tail", "th_risk", "verdict"} {
		if !slices.Contains(strings.Split(header, ","), col) {
			t.Errorf("summary.csv lacks column %s", col)
		}
	}
	for _, r := range s.Rows {
		if r.Verdict != "supported" {
			t.Errorf("point %s (%v): %s", r.ID, r.Params, r.Verdict)
		}
		for _, q := range []string{"risk", "au_rms", "norm"} {
			m, se := r.Value(q), r.Value(q+"_se")
			th, bias := r.Value("th_"+q), r.Value("th_"+q+"_bias")
			agrees := func(th, bias float64) bool {
				return claim.Agree(q, claim.Estimate{Mean: m, SE: se}, th, bias, zVerdict).OK()
			}
			if !agrees(th, bias) || agrees(2*th, 2*bias) || agrees(th/2, bias/2) {
				t.Errorf("point %s: %s = %v ± %v : verdict wrong, or also agrees with twice or half theory %v (bias %v): no power", r.ID, q, m, se, th, bias)
			}
		}
		// r* ≈ 4.97√(2λη) (eq 26 corrected, p = 100): the summary carries it.
		if lead := 4.975 * math.Sqrt(2*r.LambdaEta); math.Abs(r.Value("th_risk")-lead) > 0.1*lead {
			t.Errorf("th_risk %v, leading order %v", r.Value("th_risk"), lead)
		}
	}
	var js bytes.Buffer
	if err := s.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := yaml.Unmarshal(js.Bytes(), &back); err != nil || len(back["rows"].([]any)) != 8 {
		t.Fatalf("summary.json: %v", err)
	}
}

// A list value (a spectrum) is a parameter written as flow YAML.
func TestListValues(t *testing.T) {
	sw := parse(t, strings.Replace(contract, "seeds: [1, 2]", "zip: {multiplicity: [[1, 9], [1, 99]]}", 1))
	if len(sw.Points) != 8 || sw.Points[0].Params[2] != "[1, 9]" || dim(sw.Points[1].Config) != 100 {
		t.Fatalf("params %v, p = %d", sw.Points[0].Params, dim(sw.Points[1].Config))
	}
}

// Progress is monotone in trial-steps and ends at the shard's totals.
func TestProgress(t *testing.T) {
	sw := parse(t, small)
	var last Progress
	mono := true
	_, err := Run(context.Background(), sw, t.TempDir(), Options{Shard: 1, Shards: 2, Workers: 2, Progress: func(p Progress) {
		if p.Work < last.Work || p.Points < last.Points {
			mono = false
		}
		last = p
	}})
	if err != nil {
		t.Fatal(err)
	}
	n := len(sw.Shard(1, 2))
	if !mono || last.Points != n || last.PointsTotal != n || last.Work != last.WorkTotal || last.WorkTotal != int64(n)*20*400 {
		t.Fatalf("monotone %v, last %+v, want %d points of 8000 trial-steps", mono, last, n)
	}
}
