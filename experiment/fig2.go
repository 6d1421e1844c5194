package experiment

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/smdlab/smd/internal/par"
	"github.com/smdlab/smd/sim"
	"github.com/smdlab/smd/theory"
)

// The NRQ of every Figure 2 preset: Theorem 2's two-level spectrum
// a_l = 1 (once) < a_h = 2 (p − 1 = 99 times), p = 100, and isotropic noise
// Σ̃ = σ²I with σ = 1 (Assumptions 1–2). Then
//
//	‖X_∞‖⁴ = η(p − 1)σ²/(2λ)                    (eq 17, M = ‖X‖²)
//	Δ_∞ = √(2λη)                                 (Lemma 1)
//	r* ≈ √(p − 1)σ√(2λη)/(2(a_h − a_l)) ≈ 4.97√(2λη)  (eq 26 corrected)
//
// so λη = 10⁻⁴ gives r* ≈ 0.0704.
const (
	fig2P      = 100
	fig2ALow   = 1.0
	fig2AHigh  = 2.0
	fig2Sigma  = 1.0
	fig2F0     = 0.01 // f₀ = 1/p: the mean alignment of a random direction
	fig2Record = 100  // record every 100 steps: 200–300 points per curve
	fig2Trials = 100  // "the averaged results of 100 trials" (Figure 2 caption)
)

// Fig2Curve is one curve of a Figure 2 group: a legend label and the full
// config that produces it.
type Fig2Curve struct {
	Label  string
	Config *Config
}

// Fig2Group is one row of Figure 2: four panels (risk, loss, angular update,
// weight norm against t) sharing the same curves.
type Fig2Group struct {
	// Name is the group's file stem ("fig2_a-d"); Panels names its four
	// panels in the paper's order: risk, loss, AU, norm.
	Name   string
	Panels [4]string
	// Title is a one-line description; Claim is the paper's claim the group
	// reproduces.
	Title, Claim string
	Curves       []Fig2Curve
	// Window is the first step of the window over which limits are
	// measured (it runs to the last step).
	Window int
	// Decay is the step of the learning-rate decay (0: none).
	Decay int
}

// FastMethod returns the fastest exact engine the experiment package
// offers: "auto" when registered in Methods, else "full".
func FastMethod() string {
	if slices.Contains(Methods, "auto") {
		return "auto"
	}
	return "full"
}

func ptr[T any](v T) *T { return &v }

// fig2Config returns a validated Figure 2 config (see the constants above).
func fig2Config(eta, lambda float64, init Init, steps int, seed uint64, sched ...Event) *Config {
	c := &Config{
		Model: "nrq", Spectrum: []float64{fig2ALow, fig2AHigh}, Multiplicity: []int{1, fig2P - 1},
		Sigma: ptr(fig2Sigma), Eta: ptr(eta), Lambda: ptr(lambda), Init: init,
		Steps: steps, Trials: fig2Trials, RecordEvery: fig2Record, Seed: seed,
		Method: FastMethod(), TailXi: 0.9, Schedule: sched,
	}
	if err := c.Validate(); err != nil {
		panic("experiment: invalid Figure 2 preset: " + err.Error())
	}
	return c
}

// fig2NormInit starts at the equilibrium norm of (η, λ), ‖X₀‖ =
// (η(p − 1)σ²/(2λ))^{1/4} (eq 17), with alignment f₀ = 1/p.
func fig2NormInit(eta, lambda float64) Init {
	n := math.Pow(eta*float64(fig2P-1)*fig2Sigma*fig2Sigma/(2*lambda), 0.25)
	return Init{Norm: ptr(n), F0: ptr(fig2F0)}
}

// Fig2Equilibrium is Figure 2 (a)–(d), evolution inside the equilibrium of
// SMD (Corollary 1, eqs 22–24; Theorem 2, eqs 25–26): six (η, λ), in three
// pairs of equal λη,
//
//	λη = 2.5·10⁻⁵: (0.1, 2.5·10⁻⁴), (0.025, 10⁻³)   Δ_∞ = 0.0071, r* ≈ 0.035
//	λη = 10⁻⁴:     (0.1, 10⁻³),     (0.01, 10⁻²)    Δ_∞ = 0.0141, r* ≈ 0.070
//	λη = 4·10⁻⁴:   (0.1, 4·10⁻³),   (0.4, 10⁻³)     Δ_∞ = 0.0283, r* ≈ 0.139
//
// each started at its own equilibrium norm (Corollary 1's M₀, eq 17) with
// f₀ = 1/p, for 2·10⁴ steps, each with its own seed. Equal λη gives equal
// AU √(2λη), hence (Corollary 3) the same risk law; the pairs share rate
// and limit within SE. Across pairs the rate (eq 23) and the limiting risk
// (eq 24, 26) both grow ∝ √(2λη): a factor 2 between neighbouring pairs.
// The limit is measured over t ∈ [1.5·10⁴, 2·10⁴], after the slowest pair
// (rate ≈ 2(a_h − a_l)√(2λη)/(√(p − 1)σ) = 1.4·10⁻³ per step) has settled.
func Fig2Equilibrium() Fig2Group {
	g := Fig2Group{
		Name: "fig2_a-d", Panels: [4]string{"a", "b", "c", "d"},
		Title:  "Evolution of NRQ inside equilibrium, several (η, λ)",
		Claim:  "Equal ηλ gives the same angular update √(2λη), hence the same convergence rate and limiting risk; larger AU converges faster to a larger limiting risk (Corollary 1, Theorem 2).",
		Window: 15000,
	}
	pairs := [][2][2]float64{
		{{0.1, 2.5e-4}, {0.025, 1e-3}},
		{{0.1, 1e-3}, {0.01, 1e-2}},
		{{0.1, 4e-3}, {0.4, 1e-3}},
	}
	seed := uint64(11)
	for _, pr := range pairs {
		for _, el := range pr {
			eta, lambda := el[0], el[1]
			g.Curves = append(g.Curves, Fig2Curve{
				Label:  fmt.Sprintf("(η, λ) = (%s, %s)", num(eta), num(lambda)),
				Config: fig2Config(eta, lambda, fig2NormInit(eta, lambda), 20000, seed),
			})
			seed++
		}
	}
	return g
}

// Fig2Escape is Figure 2 (e)–(h), the "escape" after a learning-rate decay
// (Corollary 2, section 3.2): (η, λ) = (0.1, 10⁻²), started at the
// equilibrium norm ‖X₀‖ = 4.72 with f₀ = 1/p; at t = 10⁴ η is divided by
// 10, with and without the rescale X ← X/10^{1/4}; 4·10⁴ steps, one seed
// for both curves.
//
// Before the decay λη = 10⁻³: Δ = √(2λη) = 0.045, r* ≈ 0.22. Just after it
// the norm is still ‖X‖⁴ = M_∞² of the old η, so Δ_t = η'σ√(p − 1)/‖X‖²
// drops to √(2λη)/10 = 0.0045, a third of the new √(2λη') = 0.0141: the
// risk falls toward the quasi-stationary value of the frozen norm,
// r*(κ(‖X‖²)) ≈ 0.022 (Theorem 2 with κ = (a_h − a_l)‖X‖²/(2η'σ²)), below
// the new limit r* ≈ 0.070, then climbs back as ‖X‖⁴ relaxes at rate
// 4λη' = 4·10⁻⁴ per step (eq 17) and the AU rises to √(2λη'). λ = 10⁻² is
// chosen so that this relaxation (2500 steps) is slow against the f
// relaxation, 2η'(a_h − a_l)/‖X‖² ≈ 1/1100 per step, giving a deep dip, yet
// finishes within the 3·10⁴ steps after the decay (4·10⁴ in all; limits are
// measured over t ∈ [3.2·10⁴, 4·10⁴], where ‖X‖⁴ is within 0.2% of its
// equilibrium). The rescale puts ‖X‖⁴
// at the new equilibrium at once (‖X‖⁴ ∝ η, eq 17): the AU jumps straight
// to √(2λη') and the risk decreases monotonically to the same limit.
func Fig2Escape() Fig2Group {
	const eta, lambda = 0.1, 1e-2
	g := Fig2Group{
		Name: "fig2_e-h", Panels: [4]string{"e", "f", "g", "h"},
		Title:  "Escape after the learning rate is divided by 10 at t = 10⁴",
		Claim:  "Without rescale the AU drops below √(2λη) after the decay and climbs back, so the risk first dips below its new limit and then rises to it (escape, Corollary 2); rescaling X by 10^{−1/4} keeps the AU at equilibrium and removes the dip.",
		Window: 32000, Decay: 10000,
	}
	init := fig2NormInit(eta, lambda)
	for _, rescale := range []bool{false, true} {
		label := "η/10 at t = 10000"
		if rescale {
			label += ", rescale"
		}
		g.Curves = append(g.Curves, Fig2Curve{
			Label:  label,
			Config: fig2Config(eta, lambda, init, 40000, 21, Event{Step: 10000, LRDivide: ptr(10.0), Rescale: rescale}),
		})
	}
	return g
}

// Fig2Init is Figure 2 (i)–(l), initialisation and Corollary 3: Gaussian
// X₀ ~ N(0, σ̃²I), 3·10⁴ steps, one seed for all curves,
//
//	(η, λ, σ̃) = (0.1, 10⁻³, 0.84)   base: ‖X₀‖ ≈ σ̃√p ≈ ‖X_∞‖ = 8.39
//	(η, λ, σ̃) = (10, 10⁻⁵, 8.4)     Corollary 3 with k = 10: X₀·k, η·k², λ/k²
//	(η, λ, σ̃) = (0.1, 10⁻³, 2.52)   σ̃ × 3 alone: AU starts 9 times too small
//	(η, λ, σ̃) = (0.1, 10⁻³, 0.28)   σ̃ / 3 alone: AU starts 9 times too large
//
// Corollary 3: the transformed run has the same AU path (Lemma 1: Δ ∝
// η/‖X‖²) and, with the same seed, reproduces the risk, loss and AU to
// rounding; its norm is k times larger. Changing σ̃ alone changes the norm
// path (eq 17) and so the AU at the start and the early risk, but not
// λη, hence neither √(2λη) nor the limiting risk (Theorem 2). The σ̃ × 3
// run needs ln(81)/(4λη) ≈ 1.1·10⁴ steps to bring ‖X‖⁴ within e⁻¹ of
// equilibrium; limits are measured over t ∈ [2.25·10⁴, 3·10⁴].
func Fig2Init() Fig2Group {
	g := Fig2Group{
		Name: "fig2_i-l", Panels: [4]string{"i", "j", "k", "l"},
		Title:  "Different (η, λ, σ̃): Corollary 3 and the initial norm",
		Claim:  "Multiplying X₀ by k, η by k² and λ by 1/k² leaves the risk unchanged (Corollary 3: the curves coincide); changing σ̃ alone changes the start of training through the AU but not the limiting risk.",
		Window: 22500,
	}
	const std = 0.84 // σ̃√p ≈ ‖X_∞‖ for (0.1, 10⁻³): (0.1·99/0.002)^{1/4}/10 = 0.839
	for _, r := range [][3]float64{
		{0.1, 1e-3, std},
		{10, 1e-5, 10 * std},
		{0.1, 1e-3, 3 * std},
		{0.1, 1e-3, std / 3},
	} {
		g.Curves = append(g.Curves, Fig2Curve{
			Label:  fmt.Sprintf("(η, λ, init std) = (%s, %s, %s)", num(r[0]), num(r[1]), num(r[2])),
			Config: fig2Config(r[0], r[1], Init{Std: ptr(r[2])}, 30000, 31),
		})
	}
	return g
}

// Fig2 returns the three groups of Figure 2 in the paper's order.
func Fig2() []Fig2Group { return []Fig2Group{Fig2Equilibrium(), Fig2Escape(), Fig2Init()} }

// num formats a preset value compactly in plain ASCII digits (the plot
// fonts lack a superscript minus): 0.1, 0.025, 2.5e-4, 1e-3.
func num(v float64) string {
	if v >= 0.01 || v == 0 {
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	e := int(math.Floor(math.Log10(v)))
	m := v / math.Pow(10, float64(e))
	if math.Abs(m-1) < 1e-9 {
		return fmt.Sprintf("1e%d", e)
	}
	return fmt.Sprintf("%se%d", strconv.FormatFloat(m, 'g', 3, 64), e)
}

// InitNorm returns ‖X₀‖ of the config's initialisation: init.norm, or
// σ̃√p for a Gaussian start (‖X₀‖² = σ̃²χ²_p ≈ pσ̃², the law of large
// numbers the paper quotes in section 3.2). p is read from spectrum or
// diagonal; for an a_file config, whose p is the file's, use InitNormDim.
func (c *Config) InitNorm() float64 {
	p := 0
	for _, m := range c.Multiplicity {
		p += m
	}
	if len(c.Diagonal) > 0 {
		p = len(c.Diagonal)
	}
	return c.InitNormDim(p)
}

// InitNormDim is InitNorm in dimension p (e.g. TheoryModel's P).
func (c *Config) InitNormDim(p int) float64 {
	if c.Init.Norm != nil {
		return *c.Init.Norm
	}
	return *c.Init.Std * math.Sqrt(float64(p))
}

// Overlay is the theory drawn over one Figure 2 curve, at the recorded steps.
type Overlay struct {
	Steps []int
	// NormPath is ‖X_t‖ of eq 17 (with M = ‖X‖²) under the config's
	// schedule; AUPath is Lemma 1's Δ_t = η_t σ√(p − 1)/‖X_t‖² along it.
	NormPath, AUPath []float64
	// AULimit is √(2λη) and RiskLimit, LossLimit Theorem 2's stationary risk
	// and loss (corrected κ, theory.StationaryRisk) for the (η, λ) in force,
	// per step.
	AULimit, RiskLimit, LossLimit []float64
	// Adiabatic is Theorem 2's stationary risk at the current norm,
	// StationaryRiskKappa(p, κ(‖X_t‖²)) with κ(M) = (a_h − a_l)M/(2η_tσ²):
	// the risk the dynamics would settle at if the norm were frozen. It is
	// computed here from theory.KappaAt; the theory package has no
	// time-dependent risk.
	Adiabatic []float64
}

// Theory returns the overlay for c at the given steps. Theorem 1's bounds
// need the measured tail ε(t) too: see Theorem1.
func (c *Config) Theory(steps []int) (*Overlay, error) {
	o, tp, s, path, err := c.theoryPaths(steps)
	if err != nil {
		return nil, err
	}
	// The limits depend on (η, λ) alone, which change only at schedule
	// events: each distinct pair's quadratures run once.
	type limit struct{ risk, loss float64 }
	limits := map[[2]float64]limit{}
	for _, n := range steps {
		pn := tp
		ph := s.At(float64(n))
		pn.Eta, pn.Lambda = ph.Eta, ph.Lambda
		lim, ok := limits[[2]float64{pn.Eta, pn.Lambda}]
		if !ok {
			var err error
			if lim.risk, err = pn.StationaryRisk(); err != nil {
				return nil, err
			}
			if lim.loss, err = pn.StationaryLoss(); err != nil {
				return nil, err
			}
			limits[[2]float64{pn.Eta, pn.Lambda}] = lim
		}
		r, l := lim.risk, lim.loss
		o.RiskLimit = append(o.RiskLimit, r)
		o.LossLimit = append(o.LossLimit, l)
		o.Adiabatic = append(o.Adiabatic, pn.KappaAt(path.NormSq(float64(n))))
	}
	// One quadrature per distinct κ (the norm moves along the path, or
	// stays put in equilibrium): the overlay's main cost, spread over the
	// cores; each value is computed alone, so the bits do not depend on
	// the schedule.
	kappas := slices.Clone(o.Adiabatic)
	slices.Sort(kappas)
	kappas = slices.Compact(kappas)
	risks := make([]float64, len(kappas))
	par.For(len(kappas), func(i int) { risks[i] = theory.StationaryRiskKappa(tp.P, kappas[i]) })
	for i, k := range o.Adiabatic {
		j, _ := slices.BinarySearch(kappas, k)
		o.Adiabatic[i] = risks[j]
	}
	return o, nil
}

// TheoryPaths is the part of Theory that holds for any spectrum of A
// (isotropic noise, plain SGD): the eq 17 norm path, Lemma 1's AU along it
// and √(2λη); RiskLimit, LossLimit and Adiabatic stay nil, as Theorem 2
// needs two distinct eigenvalues.
func (c *Config) TheoryPaths(steps []int) (*Overlay, error) {
	o, _, _, _, err := c.theoryPaths(steps)
	return o, err
}

// theoryPaths also returns the model, the schedule and the eq 17 path it
// built, so that Theory adds the limits without building them again.
func (c *Config) theoryPaths(steps []int) (*Overlay, theory.Params, theory.Schedule, *theory.Path, error) {
	tp, s, err := c.TheoryModel()
	if err != nil {
		return nil, tp, s, nil, err
	}
	path, err := tp.Path(s, c.InitNormDim(tp.P))
	if err != nil {
		return nil, tp, s, nil, err
	}
	o := &Overlay{Steps: steps}
	for _, n := range steps {
		pn := tp
		ph := s.At(float64(n))
		pn.Eta, pn.Lambda = ph.Eta, ph.Lambda
		t := float64(n)
		o.NormPath = append(o.NormPath, path.Norm(t))
		o.AUPath = append(o.AUPath, path.AU(t))
		o.AULimit = append(o.AULimit, pn.AULimit())
	}
	return o, tp, s, path, nil
}

// Theorem1 returns Theorem 1's lower and upper bounds on the risk (eqs
// 18–21 corrected, theory.RiskBounds) at the recorded steps of rows, along
// the eq 17 AU path of o and with the tail ε(t) = P(f_t < ξ) measured in
// rows (the theorem takes the true ε(t); the measured one has standard
// error TailSE). r₀ = 1 − f₀ for a {norm, f0} start and 1 − 1/p for a
// Gaussian one (E f₀ = 1/p exactly: f₀ ~ Beta(½, (p − 1)/2)).
func (c *Config) Theorem1(o *Overlay, rows []sim.Row) (lower, upper []float64, err error) {
	if len(rows) != len(o.Steps) {
		return nil, nil, fmt.Errorf("%w: %d rows for %d overlay steps", ErrConfig, len(rows), len(o.Steps))
	}
	tp, err := c.TheoryParams(0)
	if err != nil {
		return nil, nil, err
	}
	r0 := 1 - 1/float64(tp.P)
	if c.Init.F0 != nil {
		r0 = 1 - *c.Init.F0
	}
	t := make([]float64, len(rows))
	eps := make([]float64, len(rows))
	for i, r := range rows {
		t[i], eps[i] = float64(r.Step), r.Tail
	}
	return tp.RiskBounds(r0, c.TailXi, t, o.AUPath, eps)
}

// Field selects one recorded quantity of a sim.Row with its standard error.
type Field func(r sim.Row) (mean, se float64)

// The fields plotted in Figure 2.
var (
	FieldRisk  Field = func(r sim.Row) (float64, float64) { return r.Risk, r.RiskSE }
	FieldLoss  Field = func(r sim.Row) (float64, float64) { return r.Loss, r.LossSE }
	FieldAURMS Field = func(r sim.Row) (float64, float64) { return r.AURMS, r.AURMSSE }
	FieldNorm  Field = func(r sim.Row) (float64, float64) { return r.Norm, r.NormSE }
)

// WindowMean returns the mean of field over the rows with Step ≥ from, and
// a bound on its standard error: the mean of the rows' standard errors.
// The rows are means over the same independent trials at different steps,
// so they are correlated; the standard deviation of an average is at most
// the average of the standard deviations (Minkowski), whatever the
// correlation, so the bound is honest though conservative (exact for
// perfectly correlated rows).
func WindowMean(rows []sim.Row, from int, field Field) (mean, seBound float64, n int) {
	for _, r := range rows {
		if r.Step < from {
			continue
		}
		m, se := field(r)
		mean += m
		seBound += se
		n++
	}
	if n == 0 {
		return math.NaN(), math.NaN(), 0
	}
	return mean / float64(n), seBound / float64(n), n
}

// Min returns the row with the smallest mean of field among rows with
// from ≤ Step < to.
func Min(rows []sim.Row, from, to int, field Field) (row sim.Row, mean, se float64) {
	mean = math.Inf(1)
	for _, r := range rows {
		if r.Step < from || r.Step >= to {
			continue
		}
		if m, s := field(r); m < mean {
			row, mean, se = r, m, s
		}
	}
	return row, mean, se
}

// Crossing returns the first recorded step at which field falls below
// level (−1 if never).
func Crossing(rows []sim.Row, level float64, field Field) int {
	for _, r := range rows {
		if m, _ := field(r); m < level {
			return r.Step
		}
	}
	return -1
}
