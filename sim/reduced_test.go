package sim_test

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"testing"

	"github.com/smdlab/smd/internal/stattest"
	"github.com/smdlab/smd/nrq"
	"github.com/smdlab/smd/sim"
)

// redModel builds a diagonal model from (value, multiplicity) pairs.
func redModel(t testing.TB, kind nrq.Kind, noise nrq.Noise, vals []float64, mult []int) *nrq.Model {
	t.Helper()
	m, err := nrq.NewSpectrum(kind, vals, mult, noise)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestReducedDeterministic is an exact check: with σ = 0 both engines are
// deterministic given the block norms of X₀, so Full (any direction of X₀
// with the same block norms: two blocks and init {norm, f0})
// and Reduced must give the same risk, loss, norm and angular update to
// rounding, through a learning-rate decay with rescale and a λ change,
// with and without momentum, for the NRQ and the NQM.
func TestReducedDeterministic(t *testing.T) {
	for _, tc := range []struct {
		name    string
		kind    nrq.Kind
		mu, eta float64
	}{{"nrq", nrq.NRQ, 0, 0.2}, {"nrq-momentum", nrq.NRQ, 0.9, 0.02}, {"nqm", nrq.NQM, 0, 0.05}, {"nqm-momentum", nrq.NQM, 0.5, 0.05}} {
		t.Run(tc.name, func(t *testing.T) {
			// Two blocks: init {norm, f0} fixes both block norms.
			m := redModel(t, tc.kind, nrq.Noise{Sigma: 0}, []float64{0.5, 3}, []int{2, 6})
			c := &sim.Config{Model: m, Eta: tc.eta, Lambda: 0.05, Momentum: tc.mu,
				Init:  sim.Init{Norm: 2, F0: 0.1},
				Steps: 300, Trials: 1, RecordEvery: 10, Xi: 0.9, Seed: 7,
				Schedule: []sim.Event{{Step: 100, LRDivide: 4, Rescale: true}, {Step: 200, SetLambda: true, Lambda: 0.2}},
			}
			full, err := sim.Full{}.Run(context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			red, err := sim.Reduced{}.Run(context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			// 1e-9 relative: rounding (1e-16) amplified by a few hundred
			// steps; the parameters keep ‖X‖ away from the small values
			// where the 1/‖X‖ gradient makes momentum runs chaotic.
			const tol = 1e-9
			for i, fr := range full.Rows {
				rr := red.Rows[i]
				for _, q := range []struct {
					name string
					f, r float64
				}{{"risk", fr.Risk, rr.Risk}, {"loss", fr.Loss, rr.Loss}, {"au", fr.AU, rr.AU}, {"norm", fr.Norm, rr.Norm}, {"eta", fr.Eta, rr.Eta}, {"lambda", fr.Lambda, rr.Lambda}} {
					if math.Abs(q.f-q.r) > tol*math.Max(1, math.Abs(q.f)) {
						t.Errorf("step %d %s: full %.15g, reduced %.15g", fr.Step, q.name, q.f, q.r)
					}
				}
			}
		})
	}
}

// TestReducedWorkers checks that the output does not depend on the worker
// count (byte-identical rows).
func TestReducedWorkers(t *testing.T) {
	m := redModel(t, nrq.NRQ, nrq.Noise{Sigma: 1}, []float64{1, 2}, []int{1, 99})
	c := &sim.Config{Model: m, Eta: 0.1, Lambda: 1e-3, Init: sim.Init{Std: 0.1}, Steps: 200, Trials: 37, RecordEvery: 50, Xi: 0.9, Seed: 3}
	var want []sim.Row
	for _, w := range []int{1, 2, 5} {
		c.Workers = w
		res, err := sim.Reduced{}.Run(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		if want == nil {
			want = res.Rows
			continue
		}
		if fmt.Sprint(res.Rows) != fmt.Sprint(want) {
			t.Errorf("workers = %d changed the rows", w)
		}
	}
}

// TestReducedRejectsDense checks the error for a model without reduction.
func TestReducedRejectsDense(t *testing.T) {
	m, err := nrq.NewDiagonal(nrq.NRQ, []float64{1, 2, 3}, nrq.Noise{Sigma: 1})
	if err != nil {
		t.Fatal(err)
	}
	if k, ok := sim.ReducedBlocks(m); !ok || k != 3 {
		t.Fatalf("ReducedBlocks = %d, %v; want 3, true", k, ok)
	}
	if got := sim.AutoMethod(&sim.Config{Model: m}); got != "full" {
		t.Errorf("AutoMethod for k = p = 3: %q, want full", got)
	}
	m2 := redModel(t, nrq.NRQ, nrq.Noise{Sigma: 1}, []float64{1, 2}, []int{1, 9})
	if got := sim.AutoMethod(&sim.Config{Model: m2}); got != "reduced" {
		t.Errorf("AutoMethod for k = 2, p = 10: %q, want reduced", got)
	}
}

// lawCase is one configuration of the equality-in-law test.
type lawCase struct {
	name string
	cfg  sim.Config
	at   []int // steps whose distributions are compared
}

// TestReducedLaw checks that Reduced and Full have the same law: the
// one-step-ahead quantities f = 1 − risk and ‖X‖ per trial are compared
// with two-sample KS tests at several steps (Full's from one large
// ensemble through Config.Observe, Reduced's from n independent
// single-trial runs, since Reduced holds no X to observe), and the
// ensemble means of risk, loss, AU, ‖X‖ and tail of one large run of each
// engine with |Δ| ≤ z·√(SE₁² + SE₂²). Every check may fail by chance with
// probability stattest.Alpha (z = stattest.Z). The cases cover blocks with
// one, several and many coordinates, two noise levels inside one
// eigenspace, momentum, the NQM, both initialisations, a learning-rate
// decay with rescale and a change of λ.
//
// Full's KS sample is the ensemble's ens trials (before: n single-trial
// runs of its own, a second simulation of the same law): the KS tests
// then compare ens = 20 000 Full trials with n = 3000 Reduced ones, an
// effective size n·ens/(n + ens) = 2609 instead of n/2 = 1500, so they
// detect a smaller difference at the same false-alarm rate Alpha; the KS
// and mean checks of one case now share Full's trials, which leaves each
// check's false-alarm rate Alpha as it was.
func TestReducedLaw(t *testing.T) {
	n := 3000 // single-trial Reduced runs per case for the KS tests
	ens := 20000
	if testing.Short() {
		n, ens = 1000, 4000
	}
	vary := nrq.Noise{Var: []float64{1, 1, 1, 1, 0.25, 0.25, 0.25, 1, 1, 1, 1, 1}}
	cases := []lawCase{
		{"two-level", sim.Config{
			Model: redModel(t, nrq.NRQ, nrq.Noise{Sigma: 1}, []float64{1, 2}, []int{1, 9}),
			Eta:   0.5, Lambda: 0.02, Init: sim.Init{Std: 0.3}, Steps: 400, RecordEvery: 100, Xi: 0.9,
			Schedule: []sim.Event{{Step: 200, LRDivide: 10, Rescale: true}},
		}, []int{0, 100, 200, 300, 400}},
		{"three-level-noise-blocks", sim.Config{
			Model: redModel(t, nrq.NRQ, vary, []float64{0.5, 1, 2}, []int{1, 6, 5}),
			Eta:   0.3, Lambda: 0.05, Init: sim.Init{Norm: 1.5, F0: 0.2}, Steps: 300, RecordEvery: 100, Xi: 0.8,
			Schedule: []sim.Event{{Step: 100, LRDivide: 2}, {Step: 200, SetLambda: true, Lambda: 0.01}},
		}, []int{100, 200, 300}},
		{"momentum", sim.Config{
			Model: redModel(t, nrq.NRQ, nrq.Noise{Sigma: 0.5}, []float64{1, 3}, []int{2, 6}),
			Eta:   0.05, Lambda: 0.05, Momentum: 0.9, Init: sim.Init{Std: 0.5}, Steps: 300, RecordEvery: 100, Xi: 0.9,
			Schedule: []sim.Event{{Step: 150, LRDivide: 5, Rescale: true}},
		}, []int{100, 200, 300}},
		{"nqm", sim.Config{
			Model: redModel(t, nrq.NQM, nrq.Noise{Sigma: 0.3}, []float64{0.2, 1}, []int{1, 3}),
			Eta:   0.2, Lambda: 0.1, Init: sim.Init{Std: 1}, Steps: 200, RecordEvery: 100, Xi: 0.5,
		}, []int{100, 200}},
	}
	for ci, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Full: one ensemble; Observe keeps each trial's f and ‖X‖ at
			// the KS steps (one slot per trial and step: concurrent calls
			// for different trials write different slots).
			slot := map[int]int{}
			for k, s := range tc.at {
				slot[s] = k
			}
			ff, fn := make([][]float64, len(tc.at)), make([][]float64, len(tc.at))
			for k := range tc.at {
				ff[k], fn[k] = make([]float64, ens), make([]float64, ens)
			}
			seen := make([]int, ens)
			c := tc.cfg
			c.Trials = ens
			c.Seed = stattest.Seed(uint64(ci) + 77)
			c.Observe = func(trial, step int, x []float64) {
				if k, ok := slot[step]; ok {
					ff[k][trial] = c.Model.Alignment(x)
					fn[k][trial] = math.Sqrt(dotSelf(x))
					seen[trial]++
				}
			}
			full, err := sim.Full{}.Run(context.Background(), &c)
			if err != nil {
				t.Fatal(err)
			}
			for i, k := range seen {
				if k != len(tc.at) {
					t.Fatalf("Observe saw trial %d at %d of the %d KS steps %v", i, k, len(tc.at), tc.at)
				}
			}
			// Reduced: per-trial f and ‖X‖ from single-trial runs
			// (Trials = 1 makes each row one trial's values).
			rf, rn := make([][]float64, len(tc.at)), make([][]float64, len(tc.at))
			for i := range n {
				c := tc.cfg
				c.Trials, c.Workers = 1, 1
				c.Seed = stattest.Seed(uint64(1_000_000*ci) + 500_000 + uint64(i))
				res, err := sim.Reduced{}.Run(context.Background(), &c)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range res.Rows {
					if k, ok := slot[r.Step]; ok {
						rf[k] = append(rf[k], 1-r.Risk)
						rn[k] = append(rn[k], r.Norm)
					}
				}
			}
			for k, s := range tc.at {
				if d, p := stattest.KSTwoSample(ff[k], rf[k]); p < stattest.Alpha {
					t.Errorf("step %d: KS of f: D = %.4f, p = %.2g", s, d, p)
				}
				if d, p := stattest.KSTwoSample(fn[k], rn[k]); p < stattest.Alpha {
					t.Errorf("step %d: KS of ‖X‖: D = %.4f, p = %.2g", s, d, p)
				}
			}
			// Means: one ensemble per engine (Full's is the one above).
			c.Observe = nil
			c.Seed++
			red, err := sim.Reduced{}.Run(context.Background(), &c)
			if err != nil {
				t.Fatal(err)
			}
			z := stattest.Z
			for i, a := range full.Rows {
				b := red.Rows[i]
				for k, x := range a.Stats() {
					y := b.Stats()[k]
					se := math.Hypot(x.SE, y.SE)
					if math.Abs(x.Mean-y.Mean) > z*se {
						t.Errorf("step %d %s: full %.6g ± %.2g, reduced %.6g ± %.2g (|Δ| = %.2f SE)", a.Step, x.Name, x.Mean, x.SE, y.Mean, y.SE, math.Abs(x.Mean-y.Mean)/se)
					}
				}
			}
		})
	}
}

// dotSelf returns ‖x‖².
func dotSelf(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return s
}

// Reduced's memory and setup are O(#blocks): a two-block model with
// p = 10⁹ allocates what the same model with p = 10 does. An O(p) array
// anywhere (the diagonal, the noise levels, the target indices) would be
// ≥ 8·10⁹ bytes, so the 1 MiB margin for incidental differences cannot
// hide one.
func TestReducedMemoryIndependentOfP(t *testing.T) {
	bytes := func(p int) uint64 {
		m := redModel(t, nrq.NRQ, nrq.Noise{Sigma: 1}, []float64{1, 2}, []int{1, p - 1})
		c := &sim.Config{Model: m, Eta: 0.1, Lambda: 1e-3, Init: sim.Init{Norm: 1, F0: 0.5},
			Steps: 100, Trials: 8, RecordEvery: 10, Xi: 0.9, Seed: 1, Workers: 1}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if _, err := (sim.Reduced{}).Run(context.Background(), c); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	small, huge := bytes(10), bytes(1_000_000_000)
	t.Logf("bytes allocated: p = 10: %d, p = 10⁹: %d", small, huge)
	if huge > small+1<<20 {
		t.Errorf("p = 10⁹ allocated %d bytes, p = 10 %d: memory grows with p", huge, small)
	}
}
