package sde

import (
	"context"
	"fmt"
	"math"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/smdlab/smd/internal/pmath"
	"github.com/smdlab/smd/sim"
)

// FokkerPlanck solves the Fokker–Planck equation of the angle θ_t ∈ [0, π/2]
// to the target eigenspace (f = cos²θ) for a two-valued spectrum (Theorem
// 2, with a target eigenspace of any dimension m₁ and m₂ = p − m₁):
//
//	∂ₜρ = −∂_θ J,  J = (D²/2)(Φ′ρ − ∂_θρ),  D = ησ/‖X‖²,
//	Φ(θ) = α cos²θ + (m₂ − 1) ln sin θ + (m₁ − 1) ln cos θ,  α = (a_h − a_l)‖X‖²/(ησ²),
//
// which is the θ-SDE of docs/engines.md §3 (eq 16 corrected, in the angle),
// with zero flux at both ends. ‖X_t‖² follows eq 17 (deterministic under
// Assumption 2) through learning-rate decays, rescales and λ changes. The
// scheme is a finite-volume Scharfetter–Gummel discretisation whose face
// fluxes use the exact potential difference Φ(θ_{i+1}) − Φ(θ_i): it
// conserves mass to rounding, keeps ρ ≥ 0, and its stationary state is
// Theorem 2's law ρ* ∝ e^Φ sampled at the cell centres, so long-time
// averages equal Theorem 2's to the midpoint rule's O(h²). Time stepping is
// Crank–Nicolson with backward-Euler start-up steps (Rannacher).
//
// The rows have no Monte Carlo noise (SE columns 0). For init {std} the
// random ‖X₀‖² = σ̃²χ²_p (independent of the direction) is integrated out
// exactly by Gauss quadrature over NormNodes values, one solve each.
type FokkerPlanck struct {
	Cells     int // grid cells on [0, π/2] (0: 2048)
	Substeps  int // time steps per SGD step (0: 1)
	NormNodes int // quadrature nodes for a random ‖X₀‖² in the FP solves (0: 8)
	// Stride is the number of SGD steps per time step (0: 1); steps end at
	// every event and record.
	Stride int
}

var _ sim.Engine = FokkerPlanck{}

// fpGrid is the θ grid and the parts of ΔΦ that do not depend on time.
type fpGrid struct {
	n     int
	h     float64
	theta []float64 // cell centres
	cos2  []float64 // cos²θ at the centres
	dcos2 []float64 // cos²θ_{i+1} − cos²θ_i, faces i = 0 … n−2
	dlog  []float64 // (m₂−1) ln(sinθ_{i+1}/sinθ_i) + (m₁−1) ln(cosθ_{i+1}/cosθ_i)
	thXi  float64   // θ_ξ = arccos √ξ: f < ξ ⇔ θ > θ_ξ
	jXi   int       // the cell holding θ_ξ
}

func newFPGrid(m twoLevel, n int, xi float64) *fpGrid {
	g := &fpGrid{n: n, h: math.Pi / 2 / float64(n)}
	g.theta = make([]float64, n)
	g.cos2 = make([]float64, n)
	g.thXi = math.Acos(math.Sqrt(xi))
	g.jXi = min(int(g.thXi/g.h), n-1)
	for i := range n {
		th := (float64(i) + 0.5) * g.h
		g.theta[i] = th
		c := math.Cos(th)
		g.cos2[i] = c * c
	}
	g.dcos2 = make([]float64, n-1)
	g.dlog = make([]float64, n-1)
	for i := range n - 1 {
		a, b := g.theta[i], g.theta[i+1]
		g.dcos2[i] = g.cos2[i+1] - g.cos2[i]
		g.dlog[i] = float64(m.m2-1)*pmath.Log(math.Sin(b)/math.Sin(a)) + float64(m.m1-1)*pmath.Log(math.Cos(b)/math.Cos(a))
	}
	return g
}

// tail returns P(θ > θ_ξ) = P(f < ξ): the masses of the cells beyond θ_ξ's
// cell j, plus the part of cell j above θ_ξ for a density linear across
// the cell with the central-difference slope (O(h²)).
func (g *fpGrid) tail(p []float64) float64 {
	j, h := g.jXi, g.h
	s := 0.0
	for _, v := range p[j+1:] {
		s += v
	}
	var slope float64 // dP/dθ at the cell, in mass per cell per radian
	if j > 0 && j+1 < g.n {
		slope = (p[j+1] - p[j-1]) / (2 * h)
	}
	d := g.thXi - g.theta[j] // in [−h/2, h/2]
	return s + (p[j]*(h/2-d)+slope*(h*h/4-d*d)/2)/h
}

// bern is the Bernoulli function B(x) = x/(eˣ − 1), B(0) = 1. It is the
// operator's cost (one per face per time step), so it avoids math.Expm1
// (pure Go, ≈ 3× math.Exp): for |x| < 1/2 the series
//
//	B(x) = 1 − x/2 + Σ_{k≥1} B₂ₖ x²ᵏ/(2k)!   (Bernoulli numbers B₂ₖ)
//
// to x¹⁶ (the next term is < 2·10⁻¹⁹ there), else x/(eˣ − 1) with
// pmath.Exp, whose cancellation costs at most a few ulp for |x| ≥ 1/2.
// pmath.Exp, not math.Exp: math.Exp's amd64 assembly and its Go code
// elsewhere may differ in the last bit, pmath.Exp gives the amd64 FMA
// path's bits on every platform, at the same speed here (BenchmarkFokkerPlanck,
// interleaved: 7.4–7.9 CPU-s either way, with fma_hw.go).
func bern(x float64) float64 {
	if math.Abs(x) < 0.5 {
		y := x * x
		q := bernC[7]
		for k := 6; k >= 0; k-- {
			q = q*y + bernC[k]
		}
		return 1 - x/2 + y*q
	}
	return x / (pmath.Exp(x) - 1)
}

// bernC are B₂ₖ/(2k)!, k = 1…8.
var bernC = [8]float64{
	1.0 / 12, -1.0 / 720, 1.0 / 30240, -1.0 / 1209600, 1.0 / 47900160,
	-691.0 / 1307674368000, 1.0 / 74724249600, -3617.0 / 10670622842880000,
}

// fpSolver holds one solve's buffers.
type fpSolver struct {
	g                 *fpGrid
	m                 twoLevel
	lo, di, up        []float64 // tridiagonal operator L (dP/dt = L P)
	rhs, cp, dp, next []float64
}

func newFPSolver(g *fpGrid, m twoLevel) *fpSolver {
	n := g.n
	buf := make([]float64, 7*n)
	return &fpSolver{g: g, m: m, lo: buf[:n], di: buf[n : 2*n], up: buf[2*n : 3*n],
		rhs: buf[3*n : 4*n], cp: buf[4*n : 5*n], dp: buf[5*n : 6*n], next: buf[6*n:]}
}

// operator builds L for ‖X‖² = s and learning rate eta: with masses P_i,
// dP_i/dt = J_{i−1/2} − J_{i+1/2}, J_{i+1/2} = κ[B(−ΔΦ_i)P_i − B(ΔΦ_i)P_{i+1}],
// κ = D²/(2h²); the boundary fluxes are zero.
func (f *fpSolver) operator(s, eta float64) {
	g, m := f.g, f.m
	d := eta * m.sigma / s
	kappa := d * d / (2 * g.h * g.h)
	alpha := (m.ah - m.al) * s / (eta * m.sigma * m.sigma)
	clear(f.lo)
	clear(f.di)
	clear(f.up)
	for i := range g.n - 1 {
		dphi := alpha*g.dcos2[i] + g.dlog[i]
		b := bern(dphi)
		bp, bm := kappa*b, kappa*(b+dphi) // B(−x) = B(x) + x
		// J_{i+1/2} = bm·P_i − bp·P_{i+1}: leaves cell i, enters i+1.
		f.di[i] -= bm
		f.up[i] += bp
		f.lo[i+1] += bm
		f.di[i+1] -= bp
	}
}

// step advances the masses p by dt with the θ-method (theta = 1/2:
// Crank–Nicolson, 1: backward Euler) for the current operator.
func (f *fpSolver) step(p []float64, dt, theta float64) {
	n := f.g.n
	e := (1 - theta) * dt
	lo, di, up := f.lo[:n], f.di[:n], f.up[:n]
	rhs, cp, dp := f.rhs[:n], f.cp[:n], f.dp[:n]
	p = p[:n]
	rhs[0] = p[0] + e*(di[0]*p[0]+up[0]*p[1])
	for i := 1; i < n-1; i++ {
		rhs[i] = p[i] + e*(lo[i]*p[i-1]+di[i]*p[i]+up[i]*p[i+1])
	}
	rhs[n-1] = p[n-1] + e*(lo[n-1]*p[n-2]+di[n-1]*p[n-1])
	// Thomas algorithm for (I − θ dt L) x = rhs (an M-matrix: no pivoting),
	// one division per cell on the serial chain.
	a := theta * dt
	r := 1 / (1 - a*di[0])
	cp[0] = -a * up[0] * r
	dp[0] = rhs[0] * r
	for i := 1; i < n; i++ {
		l := -a * lo[i]
		r := 1 / (1 - a*di[i] - l*cp[i-1])
		cp[i] = -a * up[i] * r
		dp[i] = (rhs[i] - l*dp[i-1]) * r
	}
	p[n-1] = dp[n-1]
	for i := n - 2; i >= 0; i-- {
		p[i] = dp[i] - cp[i]*p[i+1]
	}
}

// fpAcc accumulates the weighted moments of one recorded step.
type fpAcc struct {
	eta, lambda               float64
	f, tail, norm, s, au, au2 float64
}

// Run solves the Fokker–Planck equation for c's two-valued model.
func (fp FokkerPlanck) Run(ctx context.Context, c *sim.Config) (*sim.Result, error) {
	c = c.WithDefaults()
	m, err := twoLevelOf(c, "fokker-planck")
	if err != nil {
		return nil, err
	}
	if m.sigma == 0 {
		return nil, fmt.Errorf("%w: fokker-planck needs σ > 0 (for σ = 0 the dynamics are deterministic: use full or reduced)", ErrUnsupported)
	}
	cells, sub, nodes := fp.Cells, fp.Substeps, fp.NormNodes
	if cells <= 0 {
		cells = 2048
	}
	cells = max(cells, 2) // one cell has no faces: nothing to solve
	if sub <= 0 {
		sub = 1
	}
	if nodes <= 0 {
		nodes = 8
	}
	stride := max(fp.Stride, 1)
	start := time.Now()
	g := newFPGrid(m, cells, c.Xi)
	p0 := make([]float64, cells)
	var s0, w0 []float64
	if c.Init.Norm > 0 {
		fpDelta(g, p0, math.Acos(math.Sqrt(c.Init.F0)))
		s0, w0 = []float64{c.Init.Norm * c.Init.Norm}, []float64{1}
	} else {
		fpUniform(g, m, p0)
		s0, w0 = chiSquareNodes(m.p, nodes)
		for i := range s0 {
			s0[i] *= c.Init.Std * c.Init.Std
		}
	}
	last := lastRecord(c)
	acc := make([]fpAcc, last/c.RecordEvery+1)
	sol := newFPSolver(g, m)
	p := make([]float64, cells)
	tr := m.tr()
	var warn []string
	narrow := false
	for q := range s0 {
		copy(p, p0)
		s, w := s0[q], w0[q]
		sch := newSchedule(c)
		for n := 0; n <= last; {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if sc := sch.at(n); sc != 1 {
				s *= sc * sc
			}
			if isRecord(c, n) {
				if c.Progress != nil {
					c.Progress(int64(q*last+n), int64(len(s0)*last))
				}
				a := &acc[n/c.RecordEvery]
				a.eta, a.lambda = sch.Eta, sch.Lambda
				var ef, mth, mth2 float64
				for i, pi := range p {
					ef += pi * g.cos2[i]
					mth += pi * g.theta[i]
					mth2 += pi * g.theta[i] * g.theta[i]
				}
				et := g.tail(p)
				// The scheme needs the density to span many cells; at large
				// p it can concentrate below the grid (docs/engines.md §4).
				if sd := math.Sqrt(math.Max(mth2-mth*mth, 0)); n > 0 && sd < 10*g.h && !narrow {
					narrow = true
					warn = append(warn, fmt.Sprintf("fokker-planck: at step %d the θ-density has SD %.3g rad, less than 10 cells (h = %.3g): results carry an O((h/SD)²) discretisation error; raise Cells (≥ %d)", n, sd, g.h, int(math.Ceil(10*math.Pi/2/sd))))
				}
				a.f += w * ef
				a.tail += w * et
			}
			if n == last {
				break
			}
			// Advance k steps at once: up to Stride, never past the next
			// event, record or the end.
			k := min(stride, (n/c.RecordEvery+1)*c.RecordEvery-n, last-n)
			if next := sch.NextChange(); next > n && next-n < k {
				k = next - n
			}
			eta, lambda := sch.Eta, sch.Lambda
			h := float64(k) / float64(sub)
			if n == 0 { // Rannacher start-up: 4 backward-Euler quarter steps
				for range 4 * sub {
					sol.operator(normSqAfter(s, eta, lambda, tr, h/8), eta)
					sol.step(p, h/4, 1)
					s = normSqAfter(s, eta, lambda, tr, h/4)
				}
			} else {
				for range sub {
					sol.operator(normSqAfter(s, eta, lambda, tr, h/2), eta)
					sol.step(p, h, 0.5)
					s = normSqAfter(s, eta, lambda, tr, h)
				}
			}
			n += k
		}
	}
	// The columns that depend on ‖X‖² alone (‖X‖, ‖X‖², Lemma 1's AU)
	// follow the deterministic path from each M₀; for init {std} they are
	// averaged over a finer 64-node rule, since E 1/M² needs more nodes
	// than the FP mixture (for p = 10, 8 nodes are 1% off, 64 nodes 10⁻⁴).
	solves := len(s0)
	if c.Init.Std > 0 {
		s0, w0 = chiSquareNodes(m.p, 64)
		for i := range s0 {
			s0[i] *= c.Init.Std * c.Init.Std
		}
	}
	for q := range s0 {
		s, w := s0[q], w0[q]
		sch := newSchedule(c)
		for n := 0; n <= last; n++ {
			if sc := sch.at(n); sc != 1 {
				s *= sc * sc
			}
			if isRecord(c, n) {
				a := &acc[n/c.RecordEvery]
				au := sch.Eta * math.Sqrt(tr) / s
				a.norm += w * math.Sqrt(s)
				a.s += w * s
				a.au += w * au
				a.au2 += w * au * au
			}
			s = normSqAfter(s, sch.Eta, sch.Lambda, tr, 1)
		}
	}
	res := &sim.Result{Rows: make([]sim.Row, len(acc))}
	for k, a := range acc {
		r := 1 - a.f
		res.Rows[k] = sim.Row{
			Step: k * c.RecordEvery, Eta: a.eta, Lambda: a.lambda,
			Risk: r, Loss: (m.al*(1-r) + m.ah*r) / 2,
			AU: a.au, AURMS: math.Sqrt(a.au2),
			Norm: a.norm, NormSq: a.s, Tail: a.tail,
		}
	}
	res.Warnings = warn
	res.TrialSteps = int64(last) * int64(solves)
	res.Wall = time.Since(start)
	return res, nil
}

// fpDelta puts unit mass at θ₀, split between the two nearest cell centres
// so that the mean of f = cos²θ is f₀ = cos²θ₀ (all in the end cell beyond
// the last centre).
func fpDelta(g *fpGrid, p []float64, th0 float64) {
	clear(p)
	x := th0/g.h - 0.5 // position in units of cells from centre 0
	switch {
	case x <= 0:
		p[0] = 1
	case x >= float64(g.n-1):
		p[g.n-1] = 1
	default:
		i := int(x)
		c0 := math.Cos(th0)
		fr := (g.cos2[i] - c0*c0) / (g.cos2[i] - g.cos2[i+1])
		p[i], p[i+1] = 1-fr, fr
	}
}

// fpUniform sets the law of θ for a uniformly random direction,
// ρ(θ) ∝ sin^{m₂−1}θ cos^{m₁−1}θ (f ~ Beta(m₁/2, m₂/2)), at the centres.
func fpUniform(g *fpGrid, m twoLevel, p []float64) {
	var lp []float64
	mx := math.Inf(-1)
	for _, th := range g.theta {
		v := float64(m.m2-1)*pmath.Log(math.Sin(th)) + float64(m.m1-1)*pmath.Log(math.Cos(th))
		lp = append(lp, v)
		mx = math.Max(mx, v)
	}
	s := 0.0
	for i, v := range lp {
		p[i] = pmath.Exp(v - mx)
		s += p[i]
	}
	for i := range p {
		p[i] /= s
	}
}

// chiSquareNodes returns the n-point Gauss quadrature rule for the χ²_p
// law (generalised Gauss–Laguerre with α = p/2 − 1, by Golub–Welsch),
// nodes x_i and weights w_i (Σw = 1): E h(χ²_p) ≈ Σ w_i h(x_i), exact for
// polynomials of degree < 2n.
func chiSquareNodes(p, n int) (x, w []float64) {
	alpha := float64(p)/2 - 1
	j := mat.NewSymDense(n, nil)
	for k := range n {
		j.SetSym(k, k, 2*float64(k)+alpha+1)
		if k+1 < n {
			j.SetSym(k, k+1, math.Sqrt(float64(k+1)*(float64(k+1)+alpha)))
		}
	}
	var es mat.EigenSym
	if !es.Factorize(j, true) {
		panic("sde: Golub–Welsch eigendecomposition failed")
	}
	vals := es.Values(nil)
	var vecs mat.Dense
	es.VectorsTo(&vecs)
	x, w = make([]float64, n), make([]float64, n)
	for i := range n {
		x[i] = 2 * vals[i] // χ²_p = 2·Gamma(p/2)
		v := vecs.At(0, i)
		w[i] = v * v
	}
	return x, w
}
