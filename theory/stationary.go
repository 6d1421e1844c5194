package theory

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/integrate/quad"
)

// Kappa returns the concentration of the stationary law of f (Theorem 2),
//
//	κ = (a_h − a_l) √(p − 1) / (2σ √(2λη)) = (a_h − a_l) M_∞ / (2ησ²),
//
// eq 25 corrected: the zero-flux Fokker–Planck solution of the corrected
// eq 16 at M = M_∞ = ‖X_∞‖² (docs/derivations.md §4). The paper prints κ
// without the eigen-gap factor a_h − a_l (erratum E4). +Inf for λσ = 0.
func (p Params) Kappa() (float64, error) {
	if err := p.twoLevel(); err != nil {
		return 0, err
	}
	return (p.AP() - p.A1()) * math.Sqrt(float64(p.P-1)) / (2 * p.Sigma * math.Sqrt(2*p.Lambda*p.Eta)), nil
}

// PaperKappa returns κ as printed in Theorem 2,
//
//	κ = √(p − 1) / (2σ √(2ηλ))   (as printed; missing a_h − a_l).
func (p Params) PaperKappa() float64 {
	return math.Sqrt(float64(p.P-1)) / (2 * p.Sigma * math.Sqrt(2*p.Lambda*p.Eta))
}

// KappaAt returns the κ of the quasi-stationary law of f when the squared
// norm is held at M = ‖X‖² (docs/derivations.md §4),
//
//	κ(M) = (a_h − a_l) M / (2ησ²),
//
// so that Kappa() = KappaAt(NormSqLimit()). With the discrete equilibrium
// norm (DiscreteNormSqLimit) it gives the O(λη)-corrected κ.
func (p Params) KappaAt(m float64) float64 {
	return (p.AP() - p.A1()) * m / (2 * p.Eta * p.Sigma * p.Sigma)
}

// StationaryRisk returns the exact limiting risk r* = 1 − E f under the
// stationary law of Theorem 2 (eq 25 with the corrected κ),
//
//	ρ*(f) ∝ e^{2κf} f^{−1/2} (1 − f)^{(p−3)/2},   r* = 1 − ∫ f ρ*(f) df,
//
// computed by StationaryRiskKappa. Needs exactly two eigenvalues.
func (p Params) StationaryRisk() (float64, error) {
	k, err := p.Kappa()
	if err != nil {
		return 0, err
	}
	return StationaryRiskKappa(p.P, k), nil
}

// StationaryRiskLeading returns the leading term of r* for large κ,
//
//	r* = √(p − 1) σ √(2λη) / (2(a_h − a_l)) + O(λη) = (p − 1)/(4κ) + O(κ⁻²),
//
// eq 26 corrected (docs/derivations.md §4, erratum E5).
func (p Params) StationaryRiskLeading() (float64, error) {
	if err := p.twoLevel(); err != nil {
		return 0, err
	}
	return math.Sqrt(float64(p.P-1)) * p.Sigma * p.AULimit() / (2 * (p.AP() - p.A1())), nil
}

// PaperStationaryRisk returns the limiting risk as printed in eq 26,
//
//	r* = 1 − √(p − 1) σ √(2λη) / (a_h − a_l)   (as printed),
//
// dropping the o(√(2λη)) term. It is (nearly) E f, not r* = 1 − E f, and
// twice the leading term of 1 − E f (erratum E5).
func (p Params) PaperStationaryRisk() float64 {
	return 1 - math.Sqrt(float64(p.P-1))*p.Sigma*p.AULimit()/(p.AP()-p.A1())
}

// StationaryTail returns the stationary tail probability of Theorem 2,
//
//	ε* = P(f < ξ) = ∫₀^ξ ρ*(f) df,
//
// (eq 27) with the corrected κ, computed by StationaryTailKappa.
func (p Params) StationaryTail(xi float64) (float64, error) {
	k, err := p.Kappa()
	if err != nil {
		return 0, err
	}
	return StationaryTailKappa(p.P, k, xi), nil
}

// PaperStationaryTail returns ε* of eq 27 evaluated with the printed κ
// (PaperKappa) instead of the corrected one.
func (p Params) PaperStationaryTail(xi float64) float64 {
	return StationaryTailKappa(p.P, p.PaperKappa(), xi)
}

// StationaryDensity returns the normalised stationary density ρ*(f) of
// eq 25 with the corrected κ, evaluated in log space (no overflow for any κ).
func (p Params) StationaryDensity(f float64) (float64, error) {
	k, err := p.Kappa()
	if err != nil {
		return 0, err
	}
	return math.Exp(LogStationaryDensityKappa(p.P, k, f)), nil
}

// StationaryLoss returns the stationary mean loss of eq 1 for two levels,
//
//	E L = (a_l + (a_h − a_l) r*) / 2,
//
// exact because 2L = a_l f + a_h(1 − f) for two levels.
func (p Params) StationaryLoss() (float64, error) {
	r, err := p.StationaryRisk()
	if err != nil {
		return 0, err
	}
	return (p.A1() + (p.AP()-p.A1())*r) / 2, nil
}

// StationaryGrad2 returns the stationary mean squared full gradient at
// unit norm for two levels,
//
//	E‖PAX̃‖² = (a_h − a_l)² E[f(1 − f)],
//
// the grad2 argument of DiscreteNormSqLimit and DiscreteAUTan2.
func (p Params) StationaryGrad2() (float64, error) {
	k, err := p.Kappa()
	if err != nil {
		return 0, err
	}
	_, q := StationaryMomentsKappa(p.P, k)
	g := p.AP() - p.A1()
	return g * g * q, nil
}

// StationaryRiskKappa returns r* = 1 − E f for ρ ∝ e^{2κf} f^{−1/2}
// (1 − f)^{(p−3)/2} on [0, 1], exactly (to ~1e-14 relative) for every
// p ≥ 2 and 0 ≤ κ ≤ ∞. It integrates in the angle θ, f = cos²θ, where the
// law is ρ(θ) ∝ e^{−2κ sin²θ} sin^{p−2}θ on [0, π/2]: smooth, no endpoint
// singularities (p = 2's f^{−1/2} and the (1 − f)^{−1/2} at p = 2 are
// absorbed by the Jacobian), evaluated relative to its maximum in log space,
// and r* = E sin²θ is integrated directly, so no digits are lost to 1 − E f
// when r* ≈ (p − 1)/(4κ) is tiny. Known values: κ = 0 gives 1 − 1/p (the
// Beta(½, (p−1)/2) law of f on the uniform sphere).
func StationaryRiskKappa(p int, kappa float64) float64 {
	r, _ := StationaryMomentsKappa(p, kappa)
	return r
}

// StationaryMomentsKappa returns r = E(1 − f) and q = E f(1 − f) under the
// stationary law of Theorem 2 with concentration κ (see
// StationaryRiskKappa). They satisfy the exact stationarity identity
// 4κ q = p(1 − r) − 1 (docs/derivations.md §4).
func StationaryMomentsKappa(p int, kappa float64) (r, q float64) {
	checkPK(p, kappa)
	if math.IsInf(kappa, 1) {
		return 0, 0
	}
	d := newAngleLaw(p, kappa)
	s, _ := d.integrate(0, math.Pi/2, 4)
	return s[1] / s[0], s[2] / s[0]
}

// StationaryMeanFKappa returns E f = E cos²θ under the stationary law of
// Theorem 2 with concentration κ, integrated directly, so that it keeps its
// relative precision when E f ≈ 1/p is small (κ ≪ p), where 1 − r* would
// not. E f = 1 − StationaryRiskKappa(p, κ) up to rounding.
func StationaryMeanFKappa(p int, kappa float64) float64 {
	checkPK(p, kappa)
	if math.IsInf(kappa, 1) {
		return 1
	}
	d := newAngleLaw(p, kappa)
	s, _ := d.integrate(0, math.Pi/2, 4)
	return s[3] / s[0]
}

// StationaryTailKappa returns ε* = P(f < ξ) under the stationary law of
// Theorem 2 with concentration κ, exactly for every p ≥ 2, κ ≥ 0. Both
// sides θ < θ_ξ and θ > θ_ξ (cos²θ_ξ = ξ) are integrated relative to their
// own maxima, so a tail far below 1e-300 underflows cleanly to 0 and a tail
// near 1 keeps its digits. Known values: κ = 0 gives the regularised
// incomplete Beta function I_ξ(½, (p − 1)/2).
func StationaryTailKappa(p int, kappa, xi float64) float64 {
	checkPK(p, kappa)
	switch {
	case xi <= 0:
		return 0
	case xi >= 1:
		return 1
	case math.IsInf(kappa, 1):
		return 0
	}
	d := newAngleLaw(p, kappa)
	th := math.Acos(math.Sqrt(xi))
	// The side without the mode peaks at e^{dh(θ_ξ − θ_m)} relative to the
	// mode. Below e^{−800} its share is below e^{−700} (the mode side has
	// width ≥ 1/√(8κ) and the other side length ≤ π/2, for any κ < 1e300):
	// it underflows to 0, so it is not integrated.
	if h := d.dh(th - d.mode); h < -800 {
		if th > d.mode {
			return 0
		}
		return 1
	}
	sl, hl := d.integrate(0, th, 1)
	sr, hr := d.integrate(th, math.Pi/2, 1)
	lr := math.Log(sl[0]) + hl - math.Log(sr[0]) - hr // ln(P(f ≥ ξ)/P(f < ξ))
	if lr > 0 {
		e := math.Exp(-lr)
		return e / (1 + e)
	}
	return 1 / (1 + math.Exp(lr))
}

// LogStationaryDensityKappa returns ln ρ*(f) for the normalised density of
// eq 25 with concentration κ:
//
//	ln ρ* = −2κ(1 − f) − ½ ln f + ((p − 3)/2) ln(1 − f) − ln Z,
//	Z = 2 ∫₀^{π/2} e^{−2κ sin²θ} sin^{p−2}θ dθ.
func LogStationaryDensityKappa(p int, kappa, f float64) float64 {
	checkPK(p, kappa)
	if f <= 0 || f >= 1 || math.IsInf(kappa, 1) {
		return math.Inf(-1)
	}
	d := newAngleLaw(p, kappa)
	s, h := d.integrate(0, math.Pi/2, 1)
	return -2*kappa*(1-f) - 0.5*math.Log(f) + float64(p-3)/2*math.Log1p(-f) - math.Ln2 - d.hMode() - h - math.Log(s[0])
}

// StationaryRiskAsymptotic returns the large-κ expansion of r*, truncated
// after n terms (Watson's lemma on u = 1 − f, docs/derivations.md §4),
//
//	r* ~ Σ_k c_k (α)_{k+1} z^{−k−1} / Σ_k c_k (α)_k z^{−k},
//	α = (p − 1)/2, z = 2κ, c_k = (½)_k / k!,
//
// whose first terms are r* = (p − 1)/(4κ) + (p − 1)/(16κ²) + O(κ⁻³).
// The series is asymptotic (divergent): use it for κ ≫ p.
func StationaryRiskAsymptotic(p int, kappa float64, n int) float64 {
	alpha := float64(p-1) / 2
	z := 2 * kappa
	num, den := 0.0, 0.0
	ck, poch, zk := 1.0, 1.0, 1.0 // c_k, (α)_k, z^{−k}
	for k := 0; k < n; k++ {
		den += ck * poch * zk
		num += ck * poch * (alpha + float64(k)) * zk / z
		ck *= (0.5 + float64(k)) / float64(k+1)
		poch *= alpha + float64(k)
		zk /= z
	}
	return num / den
}

func checkPK(p int, kappa float64) {
	if p < 2 || !(kappa >= 0) {
		panic(fmt.Sprintf("theory: stationary law needs p ≥ 2 and κ ≥ 0, have p = %d, κ = %v", p, kappa))
	}
}

// angleLaw is the unnormalised stationary law in the angle θ, f = cos²θ:
// e^{h(θ)} with h(θ) = −2κ sin²θ + (p − 2) ln sin θ on [0, π/2]. h is
// unimodal: h′ = cos θ((p − 2)/sin θ − 4κ sin θ) changes sign once. It is
// integrated in δ = θ − θ_m (θ_m its mode), and dh(δ) = h(θ_m + δ) − h(θ_m)
// is evaluated without cancellation (see dh), so that the integrand keeps
// full relative precision even when h itself is of order 10⁷.
type angleLaw struct {
	k      float64 // p − 2
	kappa  float64
	mode   float64 // θ_m = argmax h on [0, π/2]
	sm, cm float64 // sin θ_m, cos θ_m
	kind   int     // modeZero (p = 2), modeEdge (θ_m = π/2), modeInner
	width  float64 // curvature scale 1/√|h″(θ_m)|, capped at π/2
}

const (
	modeZero = iota
	modeEdge
	modeInner
)

func newAngleLaw(p int, kappa float64) angleLaw {
	d := angleLaw{k: float64(p - 2), kappa: kappa, width: math.Pi / 2}
	switch {
	case d.k == 0:
		d.kind, d.mode, d.sm, d.cm = modeZero, 0, 0, 1
		if kappa > 0 {
			d.width = math.Min(d.width, 1/(2*math.Sqrt(kappa))) // h″(0) = −4κ
		}
	case d.k >= 4*kappa:
		d.kind, d.mode, d.sm, d.cm = modeEdge, math.Pi/2, 1, 0
		if c := d.k - 4*kappa; c > 0 { // c = −h″(π/2)
			d.width = math.Min(d.width, 1/math.Sqrt(c))
		} else {
			d.width = math.Min(d.width, math.Pow(d.k, -0.25))
		}
	default:
		s2 := d.k / (4 * kappa) // sin²θ_m
		d.kind = modeInner
		d.sm, d.cm = math.Sqrt(s2), math.Sqrt(1-s2)
		d.mode = math.Asin(d.sm)
		d.width = math.Min(d.width, 1/math.Sqrt(8*kappa*(1-s2))) // h″ = −8κ cos²θ_m
	}
	return d
}

// sincos returns sin θ and cos θ at θ = θ_m + δ, to full relative
// precision even near θ = 0 and θ = π/2.
func (d angleLaw) sincos(delta float64) (s, c float64) {
	sd, cd := math.Sincos(delta)
	switch d.kind {
	case modeZero:
		return sd, cd
	case modeEdge:
		return cd, -sd
	}
	return d.sm*cd + d.cm*sd, d.cm*cd - d.sm*sd
}

// dh returns h(θ_m + δ) − h(θ_m) ≤ 0 without cancellation:
//
//	p = 2:        −2κ sin²δ
//	θ_m = π/2:    (2κ − k/2) sin²δ + (k/2)(ln(1 − sin²δ) + sin²δ)
//	inner mode:   k (ln(1 + d) − d − d²/2),  d = (sin θ − sin θ_m)/sin θ_m,
//
// the last because 2κ = k/(2 sin²θ_m) at the mode.
// hMode returns h(θ_m) itself.
func (d angleLaw) hMode() float64 {
	v := -2 * d.kappa * d.sm * d.sm
	if d.k != 0 {
		v += d.k * math.Log(d.sm)
	}
	return v
}

func (d angleLaw) dh(delta float64) float64 {
	switch d.kind {
	case modeZero:
		s := math.Sin(delta)
		return -2 * d.kappa * s * s
	case modeEdge:
		s := math.Sin(delta)
		y := s * s
		return (2*d.kappa-d.k/2)*y + d.k/2*log1pPlus(-y)
	}
	sd := math.Sin(delta)
	h := math.Sin(delta / 2)
	x := (d.cm*sd - 2*d.sm*h*h) / d.sm // (sin θ − sin θ_m)/sin θ_m
	return d.k * phi(x)
}

// log1pPlus returns ln(1 + y) − y accurately for small |y|.
func log1pPlus(y float64) float64 {
	if math.Abs(y) > 0.1 {
		return math.Log1p(y) - y
	}
	// −y²/2 + y³/3 − y⁴/4 + …
	s, t := 0.0, y
	for n := 2; n < 40; n++ {
		t *= -y
		s += t / float64(n)
		if math.Abs(t) < 1e-18*math.Abs(s) {
			break
		}
	}
	return s
}

// phi returns ln(1 + x) − x − x²/2 accurately (≈ −x² for small x).
func phi(x float64) float64 {
	return log1pPlus(x) - x*x/2
}

// cut is how far below its maximum (in ln) the integrand is truncated:
// e^{−90} ≈ 8e-40, far below float64 resolution relative to the maximum.
const cut = 90

// gl20 holds the 20-point Gauss–Legendre rule on [−1, 1].
var gl20x, gl20w = func() ([]float64, []float64) {
	x, w := make([]float64, 20), make([]float64, 20)
	quad.Legendre{}.FixedLocations(x, w, -1, 1)
	return x, w
}()

// integrate returns ∫_a^b e^{h(θ) − href} (1, sin²θ, sin²θ cos²θ, cos²θ) dθ and
// href = max_{[a,b]} h − h(θ_m), truncating where h < href − cut and
// integrating the rest with panels of the curvature width, each refined
// adaptively (the first ncomp components steer the refinement). The work
// is done in δ = θ − θ_m.
func (d angleLaw) integrate(a, b float64, ncomp int) ([4]float64, float64) {
	da, db := a-d.mode, b-d.mode
	if a == d.mode {
		da = 0
	}
	if b == d.mode {
		db = 0
	}
	m := math.Min(math.Max(0, da), db)
	href := d.dh(m)
	lo, hi := da, db
	if d.dh(da)-href < -cut {
		lo = d.bisect(da, m, href)
	}
	if d.dh(db)-href < -cut {
		hi = d.bisect(db, m, href)
	}
	if !(hi > lo) {
		return [4]float64{}, href
	}
	n := int(math.Ceil((hi - lo) / d.width))
	n = min(max(n, 2), 4000)
	w := (hi - lo) / float64(n)
	panels := make([][4]float64, n)
	var est [4]float64
	for i := range panels {
		panels[i] = d.gl(lo+float64(i)*w, lo+float64(i+1)*w, href)
		for j := range est {
			est[j] += panels[i][j]
		}
	}
	// dh has absolute rounding error ~1e-16·(|dh| + |href|), so the
	// attainable relative accuracy degrades when the reference lies far
	// below the mode (a tail side); the tolerance follows it.
	rel := 1e-13 * math.Max(1, -href/64)
	var tol [4]float64
	for j := range tol {
		tol[j] = math.Inf(1) // components ≥ ncomp do not steer the refinement
		if j < ncomp {
			tol[j] = rel * est[j]
		}
	}
	var sum [4]float64
	for i := range panels {
		v := d.adapt(lo+float64(i)*w, lo+float64(i+1)*w, href, panels[i], tol, math.Inf(1), 0)
		for j := range sum {
			sum[j] += v[j]
		}
	}
	return sum, href
}

// bisect finds the point between out (where dh < href − cut) and in (the
// mode side) where dh = href − cut; dh is monotone there.
func (d angleLaw) bisect(out, in, href float64) float64 {
	for range 200 {
		mid := (out + in) / 2
		if mid == out || mid == in {
			break
		}
		if d.dh(mid)-href < -cut {
			out = mid
		} else {
			in = mid
		}
	}
	return out
}

func (d angleLaw) gl(a, b, href float64) [4]float64 {
	c, r := (a+b)/2, (b-a)/2
	var s [4]float64
	for i, x := range gl20x {
		delta := c + r*x
		sn, cs := d.sincos(delta)
		s2 := sn * sn
		e := math.Exp(d.dh(delta)-href) * gl20w[i] * r
		s[0] += e
		s[1] += e * s2
		s[2] += e * s2 * cs * cs
		s[3] += e * cs * cs
	}
	return s
}

func (d angleLaw) adapt(a, b, href float64, whole, tol [4]float64, prev float64, depth int) [4]float64 {
	m := (a + b) / 2
	l, r := d.gl(a, m, href), d.gl(m, b, href)
	var sum [4]float64
	ok := true
	worst := 0.0 // largest |halves − whole| / tol over the steering components
	for j := range sum {
		sum[j] = l[j] + r[j]
		if diff := math.Abs(sum[j] - whole[j]); diff > tol[j] {
			ok = false
			worst = math.Max(worst, diff/tol[j])
		}
	}
	// Stop when converged, too deep, or stagnating: a smooth integrand's
	// error falls by orders of magnitude per halving, so a ratio above ¼
	// means the rounding floor of the integrand has been reached.
	if ok || depth >= 12 || worst > prev/4 {
		return sum
	}
	for j := range tol {
		tol[j] /= 2
	}
	lv := d.adapt(a, m, href, l, tol, 2*worst, depth+1)
	rv := d.adapt(m, b, href, r, tol, 2*worst, depth+1)
	for j := range sum {
		sum[j] = lv[j] + rv[j]
	}
	return sum
}
