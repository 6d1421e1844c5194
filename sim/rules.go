package sim

import (
	"errors"
	"fmt"
	"math"

	"github.com/smdlab/smd/internal/pmath"
)

// ErrConfig is returned (wrapped) for an invalid Config.
var ErrConfig = errors.New("invalid simulation config")

// FieldError is an invalid Config field, named as in the YAML config
// ("eta", "schedule[1].lr_divide"). It wraps ErrConfig.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return ErrConfig.Error() + ": " + e.Field + ": " + e.Reason }

func (e *FieldError) Unwrap() error { return ErrConfig }

// The rules below are the one set of validation rules of a run's
// parameters: Config.Validate applies them, and so does the config layer
// (experiment.Config.Validate), which adds only what YAML needs (required
// keys, which of several alternatives is given). Each returns nil or a
// *FieldError.

func bad(field, format string, a ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, a...)}
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// CheckEta: the learning rate η is finite and > 0.
func CheckEta(eta float64) error {
	if !finite(eta) || eta <= 0 {
		return bad("eta", "must be a finite number > 0, got %v", eta)
	}
	return nil
}

// CheckLambda: the weight decay λ is finite and ≥ 0 (λ = 0 is a real
// experiment), and λη < 1 (else weight decay flips or zeroes X).
func CheckLambda(lambda, eta float64) error {
	if !finite(lambda) || lambda < 0 {
		return bad("lambda", "must be a finite number ≥ 0, got %v", lambda)
	}
	if lambda*eta >= 1 {
		return bad("lambda", "λη = %v must be < 1", lambda*eta)
	}
	return nil
}

// CheckMomentum: μ ∈ [0, 1).
func CheckMomentum(mu float64) error {
	if !finite(mu) || mu < 0 || mu >= 1 {
		return bad("momentum", "must be in [0, 1), got %v", mu)
	}
	return nil
}

// CheckOptimizer: the optimizer is sgd ("" too), adamw or lion; μ belongs
// to sgd only; β₁, β₂ ∈ [0, 1) and ε finite and ≥ 0 for adamw and lion
// (their values are not read for sgd).
func CheckOptimizer(name string, mu, beta1, beta2, eps float64) error {
	switch name {
	case "", OptSGD:
		return nil
	case OptAdamW, OptLion:
	default:
		return bad("optimizer", "must be sgd, adamw or lion, got %q", name)
	}
	if mu != 0 {
		return bad("momentum", "belongs to optimizer sgd; %s's momentum is beta1 (got momentum %v)", name, mu)
	}
	if !(beta1 >= 0 && beta1 < 1) {
		return bad("beta1", "must be in [0, 1), got %v", beta1)
	}
	if !(beta2 >= 0 && beta2 < 1) {
		return bad("beta2", "must be in [0, 1), got %v", beta2)
	}
	if !finite(eps) || eps < 0 {
		return bad("eps", "must be a finite number ≥ 0, got %v", eps)
	}
	return nil
}

// CheckInit: a given X0 is finite and not 0 (and nothing else is given); a
// Gaussian start (Norm = 0) has a finite Std > 0; a given norm is finite
// and > 0 with F0 ∈ [0, 1].
func CheckInit(in Init) error {
	if in.X0 != nil {
		if in.Std != 0 || in.Norm != 0 || in.F0 != 0 {
			return bad("init.x0", "give either x0 or std or norm and f0")
		}
		n2 := 0.0
		for i, v := range in.X0 {
			if !finite(v) {
				return bad(fmt.Sprintf("init.x0[%d]", i), "must be a finite number, got %v", v)
			}
			n2 += v * v
		}
		if n2 == 0 {
			return bad("init.x0", "must not be 0 (the NRQ is undefined at X = 0)")
		}
		return nil
	}
	if in.Norm == 0 {
		if !finite(in.Std) || in.Std <= 0 {
			return bad("init.std", "must be a finite number > 0, got %v", in.Std)
		}
		return nil
	}
	if !finite(in.Norm) || in.Norm <= 0 {
		return bad("init.norm", "must be a finite number > 0, got %v", in.Norm)
	}
	if !(in.F0 >= 0 && in.F0 <= 1) {
		return bad("init.f0", "must be in [0, 1], got %v", in.F0)
	}
	return nil
}

// MaxCount bounds every count of a run (steps, trials, record_every, a
// schedule event's step, a multiplicity and p = Σ multiplicities): 2⁵³, the
// largest range of integers a float64 holds exactly, so that no step
// counter (n += record_every, n ≤ steps + 1), no sum of multiplicities and
// no float64 made of a count overflows or rounds (issue 12, class 4: steps
// near 2⁶³ with a huge record_every wrapped n and looped for ever).
const MaxCount = 1 << 53

// MaxTrialSteps bounds trials × (steps + 1), the run's int64 count of
// trial-steps (times up to 8 sub-steps in the SDE engines: still < 2⁶³):
// 2⁵³ trial-steps take over ten years at 2·10⁷ per second.
const MaxTrialSteps = 1 << 53

// CheckCount: a count (steps, trials, record_every) is in [1, MaxCount].
func CheckCount(field string, n int) error {
	if n < 1 {
		return bad(field, "must be ≥ 1, got %d", n)
	}
	if n > MaxCount {
		return bad(field, "must be ≤ 2^53 = %d, got %d", MaxCount, n)
	}
	return nil
}

// CheckWork: trials × (steps + 1) ≤ MaxTrialSteps (steps and trials valid
// counts already; the product is taken in float64, exact here).
func CheckWork(steps, trials int) error {
	if w := float64(trials) * float64(steps+1); w > MaxTrialSteps {
		return bad("steps", "trials × (steps + 1) = %.4g trial-steps is more than 2^53 (the run's counters; over ten years of computing)", w)
	}
	return nil
}

// CheckMultiplicity: each multiplicity is in [1, MaxCount] and so is their
// sum p (summed without overflow).
func CheckMultiplicity(mult []int) error {
	p := 0
	for i, m := range mult {
		f := fmt.Sprintf("multiplicity[%d]", i)
		if m < 1 {
			return bad(f, "must be ≥ 1, got %d", m)
		}
		if m > MaxCount || p > MaxCount-m {
			return bad(f, "p = Σ multiplicity must be ≤ 2^53 = %d (got %d after %d)", MaxCount, m, p)
		}
		p += m
	}
	return nil
}

// CheckXi: ξ of Theorem 1 (tail_xi) is in (0, 1).
func CheckXi(xi float64) error {
	if !(xi > 0 && xi < 1) {
		return bad("tail_xi", "must be in (0, 1), got %v", xi)
	}
	return nil
}

// CheckSchedule: event steps are ≥ 0 and strictly increasing; LRDivide is
// finite and ≥ 0 (0: no change); a rescale divides η by a factor ≠ 1; a
// new λ is finite and ≥ 0; λη < 1 after every event. eta, lambda are the
// starting values.
func CheckSchedule(eta, lambda float64, events []Event) error {
	prev := -1
	for i, e := range events {
		f := fmt.Sprintf("schedule[%d]", i)
		if e.Step < 0 || e.Step > MaxCount {
			return bad(f+".step", "must be in [0, 2^53], got %d", e.Step)
		}
		if e.Step <= prev {
			return bad(f+".step", "steps must increase strictly, got %d after %d", e.Step, prev)
		}
		prev = e.Step
		if !finite(e.LRDivide) || e.LRDivide < 0 {
			return bad(f+".lr_divide", "must be a finite number > 0, got %v", e.LRDivide)
		}
		if e.LRDivide > 0 {
			eta /= e.LRDivide
		}
		if e.Rescale && (e.LRDivide == 0 || e.LRDivide == 1) {
			return bad(f+".rescale", "needs lr_divide ≠ 1 (X is divided by lr_divide^(1/4))")
		}
		if e.SetLambda {
			if !finite(e.Lambda) || e.Lambda < 0 {
				return bad(f+".lambda", "must be a finite number ≥ 0, got %v", e.Lambda)
			}
			lambda = e.Lambda
		}
		if !finite(e.LRExp) || e.LRExp < 0 {
			return bad(f+".lr_exp", "must be a finite number > 0, got %v", e.LRExp)
		}
		if lambda*eta >= 1 {
			return bad(f, "λη = %v after this event must be < 1", lambda*eta)
		}
	}
	return nil
}

// CheckScheduleSteps: with a per-step factor (lr_exp), η stays finite and
// > 0 and λη < 1 at every step up to steps. Between two events η changes
// geometrically (η_m = η_a·γ^{m−a}, the Cursor's rule), so it is monotone
// there: each segment's two ends and the event steps are checked, and a
// failing segment is bisected for its first failing step: O(#events·log
// steps), whatever steps is (walking every step made validation of
// `steps: 1e15` with an lr_exp loop for ever). γ^k is taken by pmath.Pow
// rather than k multiplications, which can differ by rounding only.
func CheckScheduleSteps(eta, lambda float64, events []Event, steps int) error {
	exp := false
	for _, e := range events {
		exp = exp || e.LRExp > 0
	}
	if !exp {
		return nil
	}
	check := func(n int, eta, lambda float64) error {
		if !(eta > 0) || math.IsInf(eta, 0) || lambda*eta >= 1 {
			return bad("schedule", "with lr_exp, η = %v and λη = %v at step %d (need 0 < η < ∞ and λη < 1 at every step)", eta, lambda*eta, n)
		}
		return nil
	}
	g := 0.0 // the active per-step factor (0 or 1: none)
	at := -1 // eta, lambda are in force at step at
	at0 := func(m int) float64 {
		if g == 0 || g == 1 || at < 0 {
			return eta
		}
		return eta * pmath.Pow(g, float64(m-at))
	}
	for i := 0; ; i++ {
		s := steps + 1
		if i < len(events) && events[i].Step <= steps {
			s = events[i].Step
		}
		if lo, hi := at+1, s-1; hi >= lo { // the steps strictly between at and s
			if err := check(lo, at0(lo), lambda); err != nil {
				return err
			}
			if check(hi, at0(hi), lambda) != nil {
				// η is monotone here: bisect for the first failing step.
				for lo+1 < hi {
					mid := lo + (hi-lo)/2
					if check(mid, at0(mid), lambda) != nil {
						hi = mid
					} else {
						lo = mid
					}
				}
				return check(hi, at0(hi), lambda)
			}
		}
		if s > steps {
			return nil
		}
		ev := events[i]
		eta = at0(s)
		if ev.LRExp > 0 {
			g = ev.LRExp
		}
		if ev.LRDivide > 0 {
			eta /= ev.LRDivide
		}
		if ev.SetLambda {
			lambda = ev.Lambda
		}
		if err := check(s, eta, lambda); err != nil {
			return err
		}
		at = s
	}
}

// scaleMargin is log₂ of the margin CheckScale keeps from float64's limits:
// 2⁴⁰ covers the Gaussian start's spread (P(χ²_p < 2⁻⁴⁰·p) < 10⁻¹² per trial
// even for p = 2, and its upper tail), the noise draw and the few factors
// of 2 of the update.
const scaleMargin = 40

// CheckScale: the first step's quantities are finite, normal float64s
// (issue 12, class 8: σ, std or an eigenvalue near the float limit failed
// at step 0 as "X became NaN"). With q = ‖X₀‖² (norm², or p·std² for a
// Gaussian start), a = the largest eigenvalue of A, s = the largest noise
// variance (σ², or max noise_var) and M, m float64's largest and smallest
// normal numbers, each must hold within a margin K = 2⁴⁰:
//
//	m·K ≤ q ≤ M/K                       ‖X₀‖² neither underflows nor overflows
//	s ≤ M/K                             the noise variance is finite
//	a²·q ≤ M/K                          X₀ᵀAX₀ and ‖AX₀‖² are finite
//	η²·(4a² + s·p)/q ≤ M/K              the first update ηg (‖g‖² ≈ (4a² + s·p)/q) is finite
//
// All in log₂, so that the check itself cannot overflow. p, a, s ≥ 0
// (a = 0 or s = 0: that term is absent).
func CheckScale(p int, a, s, eta float64, in Init) error {
	const (
		lmax = 1024 - scaleMargin  // log₂(M/K), M = 2¹⁰²⁴(1 − 2⁻⁵³)
		lmin = -1022 + scaleMargin // log₂(m·K), m = 2⁻¹⁰²²
	)
	lg := func(v float64) float64 { return math.Log2(v) } // −Inf for 0
	var lq float64
	field := "init.norm"
	if in.Norm > 0 {
		lq = 2 * lg(in.Norm)
	} else {
		lq, field = lg(float64(p))+2*lg(in.Std), "init.std"
	}
	if lq < lmin || lq > lmax {
		return bad(field, "‖X₀‖² ≈ 2^%.1f is outside [2^%d, 2^%d] (float64's range less a margin of 2^%d): it would underflow or overflow at step 0", lq, lmin, lmax, scaleMargin)
	}
	if ls := lg(s); ls > lmax {
		return bad("sigma", "the noise variance ≈ 2^%.1f is above 2^%d (float64's largest less a margin of 2^%d): it overflows at step 0", ls, lmax, scaleMargin)
	}
	if la := 2*lg(a) + lq; la > lmax {
		return bad("spectrum", "the largest eigenvalue %g with ‖X₀‖² ≈ 2^%.1f gives a²‖X₀‖² ≈ 2^%.1f, above 2^%d: it overflows at step 0", a, lq, la, lmax)
	}
	l4a := 2 + 2*lg(a)
	lsp := lg(s) + lg(float64(p))
	lsum := math.Max(l4a, lsp) + math.Log2(1+math.Exp2(math.Min(l4a, lsp)-math.Max(l4a, lsp)))
	if lu := 2*lg(eta) + lsum - lq; lu > lmax {
		return bad(field, "‖X₀‖² ≈ 2^%.1f is too small for η, A and the noise: the first update's squared norm η²(4a² + p·s)/‖X₀‖² ≈ 2^%.1f is above 2^%d and overflows", lq, lu, lmax)
	}
	return nil
}
