package verify

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/smdlab/smd"
	"github.com/smdlab/smd/claim"
	"github.com/smdlab/smd/experiment"
	"github.com/smdlab/smd/internal/par"
	"github.com/smdlab/smd/sim"
	"github.com/smdlab/smd/theory"
)

// Row is one (result, config) verdict.
type Row struct {
	Result    string  // e.g. "AU limit"
	Eq        string  // the paper's equation or result
	Case      string  // config name
	Step      int     // recorded step the numbers refer to (worst point of a path)
	Predicted float64 // corrected formula
	Printed   float64 // as printed in the paper (NaN: not applicable)
	Simulated float64
	SE        float64
	Bound     float64 // documented discretization bound
	Pass      bool    // corrected formula within claim.Z·SE + Bound (or inequality holds)
	// PrintedPass reports the same rule for the printed formula.
	PrintedPass bool
	Detail      string
}

// Report is the whole verification.
type Report struct {
	Version string
	Quick   bool
	Seed    uint64
	Wall    time.Duration
	Rows    []Row
	Cases   []Case
	// Partial, when set, says why the run stopped before every check
	// (e.g. "interrupted by SIGINT after 12 of 40 checks"): Rows are those
	// done.
	Partial string
}

// Failed counts the rows whose corrected formula failed.
func (r *Report) Failed() int {
	n := 0
	for _, x := range r.Rows {
		if !x.Pass {
			n++
		}
	}
	return n
}

// Case is one config of the grid and what to check on it.
type Case struct {
	Name   string
	Config *experiment.Config
	// Stationary: the run ends at stationarity (limits, Theorem 2 apply).
	Stationary bool
	// Decay: the schedule has a learning-rate decay (escape checks).
	Decay bool
	Note  string
}

func f64(v float64) *float64 { return &v }

func method() string {
	if slices.Contains(experiment.Methods, "auto") {
		return "auto"
	}
	return "full"
}

// twoLevel builds a config with a₁ = al once and a_h = ah (p − 1 times),
// started at the SDE's equilibrium norm with alignment f0.
func twoLevel(name string, p int, al, ah, sigma, eta, lambda, f0 float64, steps, trials int) *experiment.Config {
	n4 := eta * float64(p-1) * sigma * sigma / (2 * lambda)
	return &experiment.Config{
		Model: "nrq", Spectrum: []float64{al, ah}, Multiplicity: []int{1, p - 1},
		Sigma: f64(sigma), Eta: f64(eta), Lambda: f64(lambda),
		Init:  experiment.Init{Norm: f64(math.Pow(n4, 0.25)), F0: f64(f0)},
		Steps: steps, Trials: trials, RecordEvery: max(1, steps/100),
		Method: method(), TailXi: 0.9,
	}
}

// relaxSteps returns enough steps for a stationary case to forget its
// start: 12 e-folds of f's equilibrium rate g* = (a_h − a_l)√(2λη)/(√(p−1)σ)
// (Corollary 1, corrected) and 8 of the norm's 4λη. f starts at most 1
// from its law (0.5 for spread, the stationary mean elsewhere) and ‖X₀‖ at
// the SDE's equilibrium, within the norm bound (≤ 1 %) of the discrete one,
// so what is left of the start, e^{−12} and 1 %·e^{−8} = 3·10⁻⁶, is below a
// tenth of every row's SE (risk SE ≥ 10⁻⁴, norm SE ≥ 10⁻⁴ relative). (It was
// 30 and 20 e-folds, 2.5 times the steps, for no change a row can see.)
func relaxSteps(p int, gap, sigma, eta, lambda float64) int {
	g := gap * math.Sqrt(2*lambda*eta) / (math.Sqrt(float64(p-1)) * sigma)
	return int(math.Max(12/g, 8/(4*lambda*eta)))
}

// Grid returns the verification configs. quick keeps `go test` fast (the
// same claims on the same configs, with fewer trials).
func Grid(quick bool, seed uint64) []Case {
	trials := 1000
	if quick {
		trials = 200
	}
	var cs []Case
	add := func(c Case) { cs = append(cs, c) }
	st := func(name string, p int, al, ah, sigma, eta, lambda float64, note string) {
		gap := ah - al
		steps := relaxSteps(p, gap, sigma, eta, lambda)
		// Start f at the corrected stationary mean so the run is stationary sooner.
		pp := theory.Params{P: p, Eta: eta, Lambda: lambda, Sigma: sigma, A: theory.TwoLevel(p, al, ah)}
		r, _ := pp.StationaryRisk()
		add(Case{Name: name, Config: twoLevel(name, p, al, ah, sigma, eta, lambda, 1-r, steps, trials), Stationary: true, Note: note})
	}
	st("p100", 100, 1, 2, 1, 0.1, 1e-3, "the README example without decay")
	st("p100-same-ηλ", 100, 1, 2, 1, 0.5, 2e-4, "same ηλ as p100, η five times larger (by Corollary 3 equal in law to p100; own seed)")
	cs[len(cs)-1].Config.Seed = seed + 1
	st("p3", 3, 1, 2, 0.3, 0.1, 1e-2, "smallest interesting p, large λη")
	st("p10-gap2", 10, 1, 3, 0.5, 0.5, 1e-3, "a_h − a_l = 2 separates the corrected κ from the printed one")
	st("p10-σ2", 10, 0, 0.5, 2, 0.2, 5e-3, "noise-dominated, a_l = 0")
	st("p10000", 10000, 0, 10, 0.1, 1, 1e-3, "large p (reduced engine); gap/σ = 100 keeps r* small")
	if !quick {
		st("p1000-gap4", 1000, 0, 4, 1, 0.1, 1e-3, "large gap")
		st("p30-λη1e-2", 30, 1, 2, 0.5, 1, 1e-2, "large λη: the discretization bounds at work")
	}
	// A spread spectrum: Theorem 2 does not apply, the AU/norm/Theorem 1 results do.
	{
		const p = 20
		diag := make([]float64, p)
		for i := range diag {
			diag[i] = 1 + 2*float64(i)/float64(p-1)
		}
		c := twoLevel("spread", p, 1, 2, 0.5, 0.1, 1e-3, 0.5, relaxSteps(p, 2.0/19, 0.5, 0.1, 1e-3), trials)
		c.Spectrum, c.Multiplicity, c.Diagonal = nil, nil, diag
		add(Case{Name: "spread", Config: c, Stationary: true, Note: "a = linspace(1, 3, 20)"})
	}
	// Learning-rate decay by 10 at t = 10⁴ from equilibrium, without and with rescale.
	for _, rescale := range []bool{false, true} {
		name := "decay"
		if rescale {
			name = "decay-rescale"
		}
		// After the decay λη = 10⁻⁵: the norm relaxes at 4λη per step, so
		// 1.5·10⁵ steps reach the new equilibrium (the paper's Figure 2 (e)–(h)).
		// 200 trials (the quick grid's) in both grids: the escape dip is
		// 40 SE deep at 200 trials (claim.Z = 4.42 detects it), the
		// rescale run's "no dip" then has power against any dip ≥ 15 % of
		// it (z·SE = 0.0019 against 0.0126), the norm path's tolerance is
		// bound-dominated (z·SE = 0.28·bound) and the printed Theorem 1
		// bounds miss by > 50 SE. 1000 trials cost 5× as much for nothing
		// a row can see.
		c := twoLevel(name, 100, 1, 2, 1, 0.1, 1e-3, 0.93, 150000, min(trials, 200))
		c.RecordEvery = 1000
		c.Schedule = []experiment.Event{{Step: 10000, LRDivide: f64(10), Rescale: rescale}}
		add(Case{Name: name, Config: c, Decay: true, Note: "η/10 at t = 10⁴"})
	}
	for i := range cs {
		if cs[i].Config.Seed == 0 {
			cs[i].Config.Seed = seed
		}
	}
	return cs
}

// reducedCost is the cost of one trial-step of the reduced engine with k
// blocks, in full coordinate-steps: 10(k + 1), from the jobs' wall times
// in one `smd verify` run (a two-block case takes ≈ 70 ns per trial-step,
// 20–30 coordinate-steps of the costed full jobs at 2.5–3.5 ns; one block
// with momentum ≈ 20). Counting a block as one coordinate had the
// reduced cases start last, where they made a one-core tail of ≈ 5 s.
func reducedCost(k int) float64 { return 10 * float64(k+1) }

// job is one independent unit of the grid: its simulations and the rows
// they check. cost (coordinate-steps, roughly) orders the start.
type job struct {
	cost float64
	run  func(ctx context.Context) ([]Row, error)
}

// jobs lists every unit of the grid, in report order.
func jobs(cases []Case, quick bool, seed uint64) []job {
	var js []job
	for _, c := range cases {
		// full: p coordinates plus a fixed cost per trial-step worth ≈ 20
		// of them (≈ 100 ns, issue 15's 115 ns at p = 10), which makes the
		// small-p spread case as long as the decay cases.
		p := float64(params(c.Config).P) + 20
		if c.Config.Method != "full" && len(c.Config.Spectrum) > 0 {
			p = reducedCost(len(c.Config.Spectrum))
		}
		js = append(js, job{cost: p * float64(c.Config.Steps) * float64(c.Config.Trials), run: func(ctx context.Context) ([]Row, error) {
			if err := c.Config.Validate(); err != nil {
				return nil, fmt.Errorf("verify: case %s: %w", c.Name, err)
			}
			res, _, err := experiment.Run(ctx, c.Config, experiment.Options{})
			if err != nil {
				return nil, fmt.Errorf("verify: case %s: %w", c.Name, err)
			}
			rows, err := check(c, res)
			if err != nil {
				return nil, fmt.Errorf("verify: case %s: %w", c.Name, err)
			}
			return rows, nil
		}})
	}
	js = append(js, job{cost: 3 * 100 * 20000 * 20, run: func(ctx context.Context) ([]Row, error) { return corollary3(ctx, seed) }})
	for i, oc := range optCases(quick) {
		c, err := optConfig(oc, optTrials(oc, quick), seed+uint64(100+i))
		cost := 0.0
		if err == nil {
			// AdamW and Lion steps cost ~4 SGD steps on full; SGD(M) on A = I runs reduced (one block).
			cost = float64(c.Steps) * float64(c.Trials) * reducedCost(1)
			if oc.o.Name != theory.SGD {
				cost = float64(c.Steps) * float64(c.Trials) * 4 * float64(oc.p)
			}
		}
		js = append(js, job{cost: cost, run: func(ctx context.Context) ([]Row, error) {
			if err != nil {
				return nil, fmt.Errorf("verify: case %s: %w", oc.name, err)
			}
			return optCaseRows(ctx, oc, c)
		}})
	}
	js = append(js,
		job{cost: 5 * 2000 * 2000, run: func(ctx context.Context) ([]Row, error) { return nqmRows(ctx, quick, seed) }},
		job{cost: 2 * 100 * 20000 * 20, run: func(ctx context.Context) ([]Row, error) { return liArora(ctx, seed) }})
	for i, kc := range kuninCases() {
		js = append(js, job{cost: 2 * 100 * 150 * kuninTrials, run: func(ctx context.Context) ([]Row, error) {
			rows, err := kuninCaseRows(ctx, kc, kuninTrials, seed+uint64(200+i))
			if err != nil {
				return nil, fmt.Errorf("verify: case %s: %w", kc.name, err)
			}
			return rows, nil
		}})
	}
	return js
}

// Run simulates every case (seeds derived from seed) and evaluates every
// check. The jobs run concurrently, GOMAXPROCS at a time, costliest first
// (each also spreads its trials over the cores); every job has its own
// seed and the rows keep the report's order, so the report does not
// depend on the scheduling.
func Run(ctx context.Context, quick bool, seed uint64, progress func(done, total int)) (*Report, error) {
	start := time.Now()
	rep := &Report{Version: smd.Version(), Quick: quick, Seed: seed, Cases: Grid(quick, seed)}
	js := jobs(rep.Cases, quick, seed)
	order := make([]int, len(js))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(js[b].cost, js[a].cost) })
	parent := ctx
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	results := make([][]Row, len(js))
	var (
		mu   sync.Mutex
		done int
	)
	par.For(len(order), func(k int) {
		if ctx.Err() != nil {
			return
		}
		i := order[k]
		rows, err := js[i].run(ctx)
		if err != nil {
			cancel(err)
			return
		}
		results[i] = rows
		if progress != nil {
			mu.Lock()
			done++
			progress(done, len(js))
			mu.Unlock()
		}
	})
	for _, rows := range results {
		rep.Rows = append(rep.Rows, rows...)
	}
	rep.Wall = time.Since(start)
	if err := context.Cause(ctx); err != nil {
		if parent.Err() == nil {
			return nil, err // a job failed
		}
		// Interrupted (Ctrl-C): the report of the jobs that finished.
		rep.Partial = fmt.Sprintf("%v after %d of %d jobs, %d checks (the jobs under way are dropped)", context.Cause(parent), done, len(js), len(rep.Rows))
		return rep, parent.Err()
	}
	return rep, nil
}

// params returns the theory parameters of a config (η, λ at the start;
// experiment.Config.TheoryModel).
func params(c *experiment.Config) theory.Params {
	p, _, _ := c.TheoryModel()
	return p
}

// within applies the verdict rule of one check (claim.Agree at claim.Z).
func within(sim, se, pred, bound float64) bool {
	return claim.Agree("", claim.Estimate{Mean: sim, SE: se}, pred, bound, claim.Z).OK()
}

// gradRel bounds ‖PAX̃‖²/((p−1)σ²): ‖PAX̃‖² ≤ (a_p − a_1)²/4 (the variance
// of A's eigenvalues under the weights X̃ᵢ²).
func gradRel(p theory.Params) float64 {
	g := p.AP() - p.A1()
	return g * g / 4 / (float64(p.P-1) * p.Sigma * p.Sigma)
}

// auBound is the relative discretization bound on √(E Δ²) (docs/verify.md §1).
func auBound(p theory.Params, le float64) float64 {
	return (gradRel(p) + 3*le + 10*le/float64(p.P-1)) / 2
}

// normSqBound is the relative discretization bound on E‖X‖² along eq 17
// (docs/verify.md §2).
func normSqBound(p theory.Params, le float64) float64 {
	return (gradRel(p) + 2*le + 10*le/float64(p.P-1)) / 2
}

// check evaluates every check that applies to case c.
func check(c Case, res *sim.Result) ([]Row, error) {
	p, s, err := c.Config.TheoryModel()
	if err != nil {
		return nil, err
	}
	last := res.Rows[len(res.Rows)-1]
	le := s.MaxLambdaEta()
	var out []Row
	add := func(r Row) {
		r.Case = c.Name
		out = append(out, r)
	}
	if c.Stationary {
		// Lemma 1: √(E Δ²) → √(2λη). The printed value is the same.
		au := p.AULimit()
		b := au * auBound(p, le)
		add(Row{Result: "AU limit √(E Δ²)", Eq: "Lemma 1, eq 14", Step: last.Step, Predicted: au, Printed: au,
			Simulated: last.AURMS, SE: last.AURMSSE, Bound: b,
			Pass: within(last.AURMS, last.AURMSSE, au, b), PrintedPass: within(last.AURMS, last.AURMSSE, au, b)})
		// Mean angle vs c_p·√(2λη): compare like with like.
		mean := theory.MeanAUFactor(p.P) * au
		add(Row{Result: "AU limit E Δ (mean angle)", Eq: "Lemma 1 × c_p", Step: last.Step, Predicted: mean, Printed: au,
			Simulated: last.AU, SE: last.AUSE, Bound: mean * auBound(p, le),
			Pass: within(last.AU, last.AUSE, mean, mean*auBound(p, le)), PrintedPass: within(last.AU, last.AUSE, au, mean*auBound(p, le)),
			Detail: "the paper's E Δ = √(2λη) (section 2.3) is the RMS; the mean angle is c_p·√(2λη)"})
		// eq 17: ‖X‖ → (η(p−1)σ²/(2λ))^{1/4}; printed (M = ‖X‖): √(η(p−1)σ²/(2λ)).
		n := p.NormLimit()
		b = n * normSqBound(p, le) / 2
		add(Row{Result: "norm limit E‖X‖", Eq: "eq 17", Step: last.Step, Predicted: n, Printed: p.PaperNormLimit(),
			Simulated: last.Norm, SE: last.NormSE, Bound: b,
			Pass: within(last.Norm, last.NormSE, n, b), PrintedPass: within(last.Norm, last.NormSE, p.PaperNormLimit(), b)})
	}
	// eq 17 along the whole path (any schedule).
	path, err := p.Path(s, res.Rows[0].Norm)
	if err != nil {
		return nil, err
	}
	out = append(out, pathRows(c, res, p, path, le)...)
	if len(p.A.Values) == 2 && p.A.Mult[0] == 1 && c.Stationary {
		rows, err := stationaryRows(c, last, p)
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
	}
	if len(p.A.Values) >= 2 && p.A.Mult[0] == 1 {
		rows, err := theorem1Rows(c, res, p, path)
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
	}
	out = append(out, lossBoundRows(c, res, p)...)
	if c.Decay {
		out = append(out, escapeRows(c, res)...)
	}
	for i := range out {
		out[i].Case = c.Name
	}
	return out, nil
}

// pathZ returns the z of a check made at n recorded steps: claim.ZFor(n),
// claim.Alpha shared among the n points (Bonferroni), so a path is no
// likelier to fail by chance than a single value.
func pathZ(n int) float64 { return claim.ZFor(n) }

// pathRows checks E‖X‖² against the eq 17 path and √(E Δ²) against Lemma 1
// along it, at every recorded step; each row reports the worst step.
func pathRows(c Case, res *sim.Result, p theory.Params, path *theory.Path, le float64) []Row {
	nb := normSqBound(p, le)
	ab := auBound(p, le) + nb
	// The printed reading M_t = ‖X_t‖ puts eq 17's M_t² = ‖X‖⁴ path onto ‖X‖².
	n0 := res.Rows[0].Norm
	printedNormSq := func(t float64) float64 {
		q := path.Phase(t)
		// eq 17 as printed with M = ‖X‖: ‖X_t‖² = e^{−4ληt}(‖X₀‖² − L) + L, L = (p−1)σ²η/(2λ).
		L := float64(p.P-1) * p.Sigma * p.Sigma * q.Eta / (2 * q.Lambda)
		return math.Exp(-4*q.Lambda*q.Eta*(t-q.Start))*(n0*n0-L) + L
	}
	z := pathZ(len(res.Rows))
	worst := func(name, eq string, sim, se func(sim.Row) float64, pred func(float64) float64, rel float64, printed func(float64) float64, detail string) Row {
		r := Row{Result: name, Eq: eq, Pass: true, PrintedPass: true, Printed: math.NaN()}
		worstScore := -1.0
		for _, x := range res.Rows {
			t := float64(x.Step)
			pv := pred(t)
			b := math.Abs(pv) * rel
			score := math.Abs(sim(x)-pv) / (z*se(x) + b)
			if math.Abs(sim(x)-pv) > z*se(x)+b {
				r.Pass = false
			}
			if printed != nil && math.Abs(sim(x)-printed(t)) > z*se(x)+b {
				r.PrintedPass = false
			}
			if score > worstScore {
				worstScore = score
				r.Step, r.Predicted, r.Simulated, r.SE, r.Bound = x.Step, pv, sim(x), se(x), b
				if printed != nil {
					r.Printed = printed(t)
				}
			}
		}
		r.Detail = fmt.Sprintf("worst of %d recorded steps: |diff|/(z·SE + bound) = %.2f with z = %.2f. %s", len(res.Rows), worstScore, z, detail)
		return r
	}
	var printedPath func(float64) float64
	if len(c.Config.Schedule) == 0 {
		printedPath = printedNormSq
	}
	rows := []Row{
		worst("norm path E‖X_t‖²", "eqs 11–12, 17", func(x sim.Row) float64 { return x.NormSq }, func(x sim.Row) float64 { return x.NormSqSE },
			path.NormSq, nb, printedPath, "printed: eq 17 read with M_t = ‖X_t‖"),
		worst("AU path √(E Δ_t²)", "Lemma 1 on eq 17", func(x sim.Row) float64 { return x.AURMS }, func(x sim.Row) float64 { return x.AURMSSE },
			path.AU, ab, nil, "Δ_t = η_t σ√(p−1)/‖X_t‖² along the eq 17 path"),
	}
	return rows
}

// stationaryRows checks Theorem 2 (eqs 25–27) at the end of a stationary run.
// Bound: the SDE's κ is taken as uncertain by the relative first-order weak
// error h = (a_h − a_l)·η/‖X‖² = (a_h − a_l)√(2λη)/(σ√(p−1)) of the
// discrete chain; bound = half the spread of the prediction over κ(1 ± h)
// (docs/verify.md §3).
func stationaryRows(c Case, last sim.Row, p theory.Params) ([]Row, error) {
	k, err := p.Kappa()
	if err != nil {
		return nil, err
	}
	h := (p.AP() - p.A1()) * p.AULimit() / (math.Sqrt(float64(p.P-1)) * p.Sigma)
	spread := func(f func(kappa float64) float64) float64 {
		return math.Abs(f(k*(1-h))-f(k*(1+h))) / 2
	}
	risk := func(kappa float64) float64 { return theory.StationaryRiskKappa(p.P, kappa) }
	xi := c.Config.TailXi
	tail := func(kappa float64) float64 { return theory.StationaryTailKappa(p.P, kappa, xi) }
	rs, br := risk(k), spread(risk)
	printedK := risk(p.PaperKappa())
	printed26 := p.PaperStationaryRisk()
	lead, _ := p.StationaryRiskLeading()
	ts, bt := tail(k), spread(tail)
	pt := tail(p.PaperKappa())
	// A proportion's sample SE is 0 when no trial falls in the tail; use the
	// binomial SE under the prediction, √(ε*(1 − ε*)/n), when larger.
	tailSE := math.Max(last.TailSE, math.Sqrt(ts*(1-ts)/float64(c.Config.Trials)))
	rows := []Row{
		{Result: "stationary risk r* (exact quadrature)", Eq: "Theorem 2, eq 25", Step: last.Step, Predicted: rs, Printed: printedK,
			Simulated: last.Risk, SE: last.RiskSE, Bound: br, Pass: within(last.Risk, last.RiskSE, rs, br),
			PrintedPass: within(last.Risk, last.RiskSE, printedK, br),
			Detail:      fmt.Sprintf("κ = %.4g (printed κ = %.4g, missing a_h − a_l), h = %.3g", k, p.PaperKappa(), h)},
		{Result: "stationary risk r* (leading term)", Eq: "Theorem 2, eq 26", Step: last.Step, Predicted: lead, Printed: printed26,
			Simulated: last.Risk, SE: last.RiskSE, Bound: br + math.Abs(lead-rs), Pass: within(last.Risk, last.RiskSE, lead, br+math.Abs(lead-rs)),
			PrintedPass: within(last.Risk, last.RiskSE, printed26, br+math.Abs(lead-rs)),
			Detail:      "bound adds |leading − exact| (the neglected O(λη) term)"},
		{Result: fmt.Sprintf("stationary tail P(f < %g)", xi), Eq: "Theorem 2, eq 27", Step: last.Step, Predicted: ts, Printed: pt,
			Simulated: last.Tail, SE: tailSE, Bound: bt, Pass: within(last.Tail, tailSE, ts, bt),
			PrintedPass: within(last.Tail, tailSE, pt, bt), Detail: "SE: max(sample SE, binomial SE under the prediction)"},
	}
	if rs > 0.2 { // the leading term (p−1)/(4κ) needs κ ≫ p
		rows = slices.Delete(rows, 1, 2)
	}
	// Corollary 1: r̲* ≤ lim r_t ≤ r̄* + ε, with ε the simulated tail.
	lo, hi := p.LimitingRiskBounds(xi)
	plo, phi := p.PaperLimitingRiskBounds(xi)
	eps := last.Tail + claim.Z*tailSE
	b := h * last.Risk
	rows = append(rows, Row{Result: "limiting risk bounds r̲* ≤ r ≤ r̄* + ε", Eq: "Corollary 1, eq 24", Step: last.Step,
		Predicted: lo, Printed: plo, Simulated: last.Risk, SE: last.RiskSE, Bound: b,
		Pass:        last.Risk+claim.Z*last.RiskSE+b >= lo && last.Risk-claim.Z*last.RiskSE-b <= hi+eps,
		PrintedPass: last.Risk+claim.Z*last.RiskSE+b >= plo && last.Risk-claim.Z*last.RiskSE-b <= phi+eps,
		Detail:      fmt.Sprintf("corrected [%.4g, %.4g + ε], printed [%.4g, %.4g + ε], ε ≤ %.3g", lo, hi, plo, phi, eps)})
	return rows, nil
}

// worstPath fills r from a path check at every index n:
// |sim − pred| ≤ z·se + bound with z = claim.ZFor(len(sim)), and the same
// for printed (nil: none) with its own SE; r reports the worst index. The
// bound gets 10⁻¹² relative for rounding (at step 0 every trial starts
// from the same ‖X₀‖², SE 0).
func worstPath(r Row, sim, se, pred, printed, printedSE, bound []float64, detail string) Row {
	z := claim.ZFor(len(sim))
	r.Pass, r.PrintedPass, r.Printed = true, true, math.NaN()
	w := -1.0
	for n := range sim {
		b := bound[n] + 1e-12*math.Abs(pred[n])
		r.Pass = r.Pass && claim.Agree("", claim.Estimate{Mean: sim[n], SE: se[n]}, pred[n], b, z).OK()
		if printed != nil {
			r.PrintedPass = r.PrintedPass && claim.Agree("", claim.Estimate{Mean: sim[n], SE: printedSE[n]}, printed[n], b, z).OK()
		}
		if score := math.Abs(sim[n]-pred[n]) / (z*se[n] + b); score > w {
			w = score
			r.Step, r.Predicted, r.Simulated, r.SE, r.Bound = n, pred[n], sim[n], se[n], b
			if printed != nil {
				r.Printed = printed[n]
			}
		}
	}
	if printed == nil {
		r.PrintedPass = r.Pass
	}
	r.Detail = fmt.Sprintf("worst of %d steps: |diff|/(z·SE + bound) = %.3f, z = %.2f. %s", len(sim), w, z, detail)
	return r
}

// theorem1Rows checks Theorem 1's bounds (eqs 18–21) along the path, with
// Δ_t from Lemma 1 on the eq 17 path and ε(t) from the simulation's tail
// column (its upper confidence limit). Discretization bound: a relative h
// on the risk, as for Theorem 2 (docs/verify.md §3).
func theorem1Rows(c Case, res *sim.Result, p theory.Params, path *theory.Path) ([]Row, error) {
	n := len(res.Rows)
	t, au, eps := make([]float64, n), make([]float64, n), make([]float64, n)
	for i, x := range res.Rows {
		t[i] = float64(x.Step)
		au[i] = path.AU(t[i])
		eps[i] = math.Min(1, x.Tail+claim.Z*math.Max(x.TailSE, 1/float64(c.Config.Trials)))
	}
	xi := c.Config.TailXi
	r0 := res.Rows[0].Risk
	lo, hi, err := p.RiskBounds(r0, xi, t, au, eps)
	if err != nil {
		return nil, err
	}
	plo, phi, err := p.PaperRiskBounds(r0, xi, t, au, eps)
	if err != nil {
		return nil, err
	}
	z := pathZ(n)
	hmax := 0.0
	for i := range t {
		hmax = math.Max(hmax, (p.AP()-p.A1())*au[i]/(math.Sqrt(float64(p.P-1))*p.Sigma))
	}
	mk := func(name, eq string, bound, pbound []float64, lower bool) Row {
		r := Row{Result: name, Eq: eq, Pass: true, PrintedPass: true}
		worst := math.Inf(1)
		for i, x := range res.Rows {
			b := hmax * x.Risk
			slack := z*x.RiskSE + b
			m := x.Risk - bound[i] + slack // ≥ 0 for a lower bound to hold
			pm := x.Risk - pbound[i] + slack
			if !lower {
				m = bound[i] - x.Risk + slack
				pm = pbound[i] - x.Risk + slack
			}
			if m < 0 {
				r.Pass = false
			}
			if pm < 0 {
				r.PrintedPass = false
			}
			if i > 0 && m < worst { // step 0 holds by construction (r₀ = bound)
				worst = m
				r.Step, r.Predicted, r.Printed, r.Simulated, r.SE, r.Bound = x.Step, bound[i], pbound[i], x.Risk, x.RiskSE, b
			}
		}
		r.Detail = fmt.Sprintf("inequality at all %d recorded steps (z = %.2f); shown: the tightest step", n, z)
		return r
	}
	return []Row{
		mk("risk lower bound along the path", "Theorem 1, eqs 18–19", lo, plo, true),
		mk("risk upper bound along the path", "Theorem 1, eqs 20–21", hi, phi, false),
	}, nil
}

// lossBoundRows checks the loss bounds through f (after eq 15) along the
// path. They hold sample by sample, so for the means:
//
//	a₁/2 + (a₂ − a₁)·r/2 ≤ E L ≤ a₁/2 + (a_p − a₁)·r/2   (with eq 1's ½);
//
// printed without the ½. Tolerance: claim.Z·(SE(L) + slope·SE(r)) (one run:
// the SEs add, claim.CombineSE).
func lossBoundRows(c Case, res *sim.Result, p theory.Params) []Row {
	r := Row{Result: "loss bounds through f", Eq: "after eq 15", Pass: true, PrintedPass: true}
	worst := math.Inf(1)
	for _, x := range res.Rows {
		f := 1 - x.Risk
		lo, hi := p.LossBounds(f)
		plo, phi := p.PaperLossBounds(f)
		// + rounding: at step 0 every trial may share f, and L sits on a bound.
		tol := claim.Z*claim.CombineSE(claim.Correlated, x.LossSE, (p.AP()-p.A1())*x.RiskSE) + 1e-12*math.Abs(x.Loss)
		m := math.Min(x.Loss-lo, hi-x.Loss) + tol
		if x.Loss < lo-tol || x.Loss > hi+tol {
			r.Pass = false
		}
		if x.Loss < plo-tol || x.Loss > phi+tol {
			r.PrintedPass = false
		}
		if m < worst {
			worst = m
			r.Step, r.Simulated, r.SE = x.Step, x.Loss, x.LossSE
			r.Predicted, r.Printed = lo, plo
			r.Detail = fmt.Sprintf("inequality at every recorded step; shown: the tightest step, lower bound %.5g ≤ E L = %.5g ≤ upper %.5g (printed: %.5g … %.5g)", lo, x.Loss, hi, plo, phi)
		}
	}
	return []Row{r}
}

// escapeRows checks section 3.2's claim on a decay run: without rescale the
// risk dips after the decay and climbs back (escape, Corollary 2), with
// rescale it does not. A dip is significant when the final risk exceeds the
// post-decay minimum by more than claim.Z·(SE_min + SE_final) (claim.Effect;
// both come from one run, so their SEs add, claim.CombineSE).
func escapeRows(c Case, res *sim.Result) []Row {
	decay := c.Config.Schedule[0].Step
	rescale := c.Config.Schedule[0].Rescale
	last := res.Rows[len(res.Rows)-1]
	var min sim.Row
	min.Risk = math.Inf(1)
	for _, x := range res.Rows {
		if x.Step > decay && x.Risk < min.Risk {
			min = x
		}
	}
	d := claim.Sub(claim.Estimate{Mean: last.Risk, SE: last.RiskSE}, claim.Estimate{Mean: min.Risk, SE: min.RiskSE}, claim.Correlated)
	depth, se := d.Mean, d.SE
	dip := claim.Effect("dip", d, 0, claim.Z).Detected()
	r := Row{Result: "escape after LR decay", Eq: "Corollary 2, §3.2", Step: min.Step,
		Predicted: last.Risk, Simulated: min.Risk, SE: se, Printed: math.NaN(),
		Detail: "predicted: the final risk; simulated: the post-decay minimum"}
	if rescale {
		r.Result = "no escape with rescale"
		r.Pass = !dip
		r.Detail += fmt.Sprintf("; claim: no dip. final − min = %.4g ± %.2g (min at step %d)", depth, se, min.Step)
	} else {
		r.Pass = dip
		r.Detail += fmt.Sprintf("; claim: dip then climb back. final − min = %.4g ± %.2g (min at step %d)", depth, se, min.Step)
	}
	r.PrintedPass = r.Pass
	return []Row{r}
}

// corollary3 runs a config and its (k·X₀, k²η, λ/k²) transform with the
// same seed: the risk series must agree to rounding (exact check).
func corollary3(ctx context.Context, seed uint64) ([]Row, error) {
	// 20 trials: the identity is exact trajectory by trajectory (as for Li–Arora).
	c := twoLevel("corollary3", 100, 1, 2, 1, 0.1, 1e-3, 0.5, 20000, 20)
	c.Seed = seed
	c.Method = "full"
	c.Init = experiment.Init{Std: f64(0.3)} // far from equilibrium: the start matters
	c.RecordEvery = 200
	c.Schedule = []experiment.Event{{Step: 10000, LRDivide: f64(10)}}
	ref, _, err := experiment.Run(ctx, c, experiment.Options{})
	if err != nil {
		return nil, err
	}
	var rows []Row
	for _, k := range []float64{10, 0.1} {
		t := *c
		t.Init = experiment.Init{Std: f64(0.3 * k)}
		t.Eta, t.Lambda = f64(*c.Eta*k*k), f64(*c.Lambda/(k*k))
		res, _, err := experiment.Run(ctx, &t, experiment.Options{})
		if err != nil {
			return nil, err
		}
		worst := 0.0
		for i, x := range res.Rows {
			worst = math.Max(worst, math.Abs(x.Risk-ref.Rows[i].Risk))
		}
		rows = append(rows, Row{Result: fmt.Sprintf("Corollary 3 transform k = %g", k), Eq: "Corollary 3", Case: "corollary3",
			Predicted: 0, Printed: 0, Simulated: worst, Bound: 1e-9, Pass: worst <= 1e-9, PrintedPass: worst <= 1e-9,
			Detail: "max |r_t(kX₀, k²η, λ/k²) − r_t(X₀, η, λ)| over the path, same seed; bound: rounding"})
	}
	return rows, nil
}

// WriteCSV writes the report as CSV.
func (r *Report) WriteCSV(w io.Writer) error {
	var b strings.Builder
	b.WriteString("result,eq,case,step,predicted,printed,simulated,se,bound,verdict,printed_verdict,detail\n")
	for _, x := range r.Rows {
		fields := []string{x.Result, x.Eq, x.Case, strconv.Itoa(x.Step), num(x.Predicted), num(x.Printed), num(x.Simulated), num(x.SE), num(x.Bound),
			verdict(x.Pass), verdict(x.PrintedPass), x.Detail}
		for i, f := range fields {
			if i > 0 {
				b.WriteByte(',')
			}
			if strings.ContainsAny(f, ",\"\n") {
				f = `"` + strings.ReplaceAll(f, `"`, `""`) + `"`
			}
			b.WriteString(f)
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func num(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}

func verdict(ok bool) string {
	if ok {
		return "pass"
	}
	return "FAIL"
}

// WriteMarkdown writes the human-readable report.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	mode := "full"
	if r.Quick {
		mode = "quick"
	}
	fmt.Fprintf(&b, "# smd verify report (%s, seed %d)\n\n%s, wall time %s. Verdict rule: |simulated − predicted| ≤ z·SE + bound, z = %.2f per value (package claim: false alarm 10⁻⁵ per check; Bonferroni along a path) "+
		"(bounds: docs/verify.md). `printed` is the paper's formula as printed, judged by the same rule.\n\n",
		mode, r.Seed, r.Version, r.Wall.Round(time.Millisecond), claim.Z)
	if r.Partial != "" {
		fmt.Fprintf(&b, "**Partial run: %s.** Only the checks done are listed.\n\n", r.Partial)
	}
	fmt.Fprintf(&b, "**%d checks, %d failed (corrected formulas).**\n\n", len(r.Rows), r.Failed())
	b.WriteString("| result | eq | case | step | predicted (corrected) | printed | simulated ± SE | bound | verdict | printed verdict |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, x := range r.Rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %d | %s | %s | %s ± %s | %s | %s | %s |\n", x.Result, x.Eq, x.Case, x.Step,
			num(x.Predicted), dash(num(x.Printed)), num(x.Simulated), num(x.SE), num(x.Bound), verdict(x.Pass), verdict(x.PrintedPass))
	}
	b.WriteString("\n## Details\n\n")
	for _, x := range r.Rows {
		if x.Detail != "" {
			fmt.Fprintf(&b, "- **%s / %s**: %s\n", x.Result, x.Case, x.Detail)
		}
	}
	b.WriteString("\n## Cases\n\n| case | p | spectrum | σ | η | λ | steps | trials | method | note |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, c := range r.Cases {
		p := params(c.Config)
		spec := fmt.Sprintf("%v×%v", p.A.Values, p.A.Mult)
		if len(p.A.Values) > 4 {
			spec = fmt.Sprintf("%d values in [%g, %g]", len(p.A.Values), p.A1(), p.AP())
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %g | %g | %g | %d | %d | %s | %s |\n", c.Name, p.P, spec, p.Sigma, p.Eta, p.Lambda,
			c.Config.Steps, c.Config.Trials, c.Config.Method, c.Note)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
