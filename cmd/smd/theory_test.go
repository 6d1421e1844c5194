package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/smdlab/smd/theory"
)

func theoryConfigFile(t *testing.T, body string) string {
	t.Helper()
	return writeFile(t, filepath.Join(t.TempDir(), "c.yaml"), body)
}

func runTheory(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(context.Background(), append([]string{"theory"}, args...), &o, &e)
	return code, o.String(), e.String()
}

const theoryYAML = `model: nrq
spectrum: [0.5, 2.5]
multiplicity: [1, 9]
sigma: 0.8
eta: 0.2
lambda: 0.01
init: {norm: 3, f0: 0.5}
steps: 1000
tail_xi: 0.5
`

// TestTheoryJSON: the contract keys, with values equal to package theory's
// and to the closed forms of docs/derivations.md.
func TestTheoryJSON(t *testing.T) {
	code, out, errOut := runTheory(t, "--config", theoryConfigFile(t, theoryYAML), "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, out)
	}
	get := func(k string) float64 {
		v, ok := m[k].(float64)
		if !ok {
			t.Fatalf("key %s = %v, want a number", k, m[k])
		}
		return v
	}
	const p, eta, lambda, sigma = 10, 0.2, 0.01, 0.8
	near := func(k string, want float64) {
		if got := get(k); math.Abs(got-want) > 1e-12*math.Abs(want) {
			t.Errorf("%s = %.15g, want %.15g", k, got, want)
		}
	}
	near("au_limit", math.Sqrt(2*lambda*eta))
	near("norm_limit", math.Pow(eta*(p-1)*sigma*sigma/(2*lambda), 0.25))
	near("paper_norm_limit", math.Sqrt(eta*(p-1)*sigma*sigma/(2*lambda)))
	tp := theory.Params{P: p, Eta: eta, Lambda: lambda, Sigma: sigma, A: theory.TwoLevel(p, 0.5, 2.5)}
	r, _ := tp.StationaryRisk()
	near("stationary_risk", r)
	tail, _ := tp.StationaryTail(0.5)
	near("stationary_tail", tail)
	near("kappa", 2*math.Sqrt(p-1)/(2*sigma*math.Sqrt(2*lambda*eta)))
	near("paper_kappa", math.Sqrt(p-1)/(2*sigma*math.Sqrt(2*lambda*eta)))
	near("paper_stationary_risk", 1-math.Sqrt(p-1)*sigma*math.Sqrt(2*lambda*eta)/2)
	near("init_au", eta*sigma*math.Sqrt(p-1)/9)
}

// TestTheoryNulls: stationary_risk is null unless A has exactly two
// distinct eigenvalues; Theorem 1's constants need a₁ < a₂.
func TestTheoryNulls(t *testing.T) {
	for _, c := range []struct {
		name, spec   string
		rates, risks bool
	}{
		{"spread", "spectrum: [0.5, 1, 3]\nmultiplicity: [1, 4, 5]\n", true, false},
		{"isotropic", "spectrum: [1]\nmultiplicity: [10]\n", false, false},
		{"diagonal", "diagonal: [2.5, 0.5, 2.5, 2.5]\n", true, true},
	} {
		body := c.spec + "sigma: 1\neta: 0.1\nlambda: 0.01\ninit: {std: 1}\nsteps: 10\n"
		code, out, errOut := runTheory(t, "--config", theoryConfigFile(t, body), "--json")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", c.name, code, errOut)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"au_limit", "norm_limit", "stationary_risk", "stationary_tail"} {
			if _, ok := m[k]; !ok {
				t.Errorf("%s: key %s missing", c.name, k)
			}
		}
		if (m["stationary_risk"] != nil) != c.risks {
			t.Errorf("%s: stationary_risk = %v", c.name, m["stationary_risk"])
		}
		if (m["rate_lower"] != nil) != c.rates {
			t.Errorf("%s: rate_lower = %v", c.name, m["rate_lower"])
		}
	}
}

// TestTheoryTable: the readable form names the equations.
func TestTheoryTable(t *testing.T) {
	code, out, errOut := runTheory(t, "--config", theoryConfigFile(t, theoryYAML))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"eq 17", "Lemma 1", "Theorem 2", "eqs 25–26", "eq 24", "Corollary 2", "as printed"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

// TestTheoryBadInput: exit code 2 and one line on stderr.
func TestTheoryBadInput(t *testing.T) {
	for name, body := range map[string]string{
		"nqm":       "model: nqm\n" + theoryYAML[len("model: nrq\n"):],
		"noise_var": strings.Replace(theoryYAML, "sigma: 0.8", "noise_var: [1,1,1,1,1,1,1,1,1,1]", 1),
		"eta":       strings.Replace(theoryYAML, "eta: 0.2", "eta: -1", 1),
	} {
		code, _, errOut := runTheory(t, "--config", theoryConfigFile(t, body), "--json")
		if code != 2 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%s: exit %d, stderr %q; want 2 and one line", name, code, errOut)
		}
	}
	if code, _, _ := runTheory(t, "--config", filepath.Join(t.TempDir(), "missing.yaml")); code != 2 {
		t.Errorf("missing file: exit %d, want 2", code)
	}
}

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
		data := readFile(t, filepath.Join(dir, "series.csv"))
		var out []float64
		for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			if i == 0 {
				continue
			}
			v := parseNum(t, strings.Split(line, ",")[3])
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
