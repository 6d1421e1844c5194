package experiment

import (
	"context"
	"math"

	"github.com/smdlab/smd/nrq"
	"github.com/smdlab/smd/sim"
)

// Landscape is the loss landscape of Figure 1(b), a Rayleigh quotient with
// an l² penalty in the plane,
//
//	F(x, y) = (x² + 2y²)/(x² + y²) + (x² + y²),
//
// the figure caption's formula (its missing brackets restored). Along a
// ray the quotient is constant and the penalty grows, so F has no
// minimiser in the usual sense near 0: the minimum value 1 is approached
// at x → 0 along y = 0, and F is discontinuous at the origin. It is the
// distortion the paper points to in section 1. It implements plot.Grid.
type Landscape struct {
	N        int     // grid points per axis
	Half     float64 // the grid spans [−Half, Half]²
	xs, vals []float64
}

// NewLandscape samples F on an n × n grid over [−half, half]². n is even
// so that no grid point falls on the origin.
func NewLandscape(n int, half float64) *Landscape {
	if n%2 == 1 {
		n++
	}
	l := &Landscape{N: n, Half: half, xs: make([]float64, n), vals: make([]float64, n*n)}
	for i := range n {
		l.xs[i] = -half + (float64(i)+0.5)*2*half/float64(n)
	}
	for r := range n {
		for c := range n {
			l.vals[r*n+c] = LandscapeF(l.xs[c], l.xs[r])
		}
	}
	return l
}

// LandscapeF is F(x, y) of Figure 1(b).
func LandscapeF(x, y float64) float64 {
	q := x*x + y*y
	return (x*x+2*y*y)/q + q
}

// Dims, Z, X, Y implement plot.Grid (gonum's GridXYZ).
func (l *Landscape) Dims() (c, r int)   { return l.N, l.N }
func (l *Landscape) Z(c, r int) float64 { return l.vals[r*l.N+c] }
func (l *Landscape) X(c int) float64    { return l.xs[c] }
func (l *Landscape) Y(r int) float64    { return l.xs[r] }
func (l *Landscape) Min() (z float64)   { return minMax(l.vals, true) }
func (l *Landscape) Max() (z float64)   { return minMax(l.vals, false) }
func minMax(v []float64, lo bool) float64 {
	m := v[0]
	for _, x := range v {
		if (lo && x < m) || (!lo && x > m) {
			m = x
		}
	}
	return m
}

// Sphere is one simulated trajectory of eq 3 in p = 3 for Figure 1(a),
// spherical motion dynamics: the gradient is orthogonal to X (eq 6), so
// each step pushes X outward, weight decay pulls it inward, and the norm
// settles on the sphere ‖X‖ = Radius while the direction keeps moving by
// the angular update √(2λη) per step.
type Sphere struct {
	// X holds X_n for n = 0 … Steps.
	X [][3]float64
	// Eta, Lambda, Sigma, A: the run's settings; Radius is the SDE's
	// equilibrium norm (η(p − 1)σ²/(2λ))^{1/4} (eq 17, M = ‖X‖²).
	Eta, Lambda, Sigma float64
	A                  [3]float64
	Radius             float64
	Seed               uint64
}

// Fig1Sphere simulates the trajectory of Figure 1(a): A = diag(1, 2, 3),
// σ = 0.3, η = 0.05, λ = 0.05 (λη = 0.0025: AU √(2λη) ≈ 0.07 rad per step,
// large enough to see single steps), started at ‖X₀‖ = Radius/3 pointing
// mostly along e₃ (the worst direction), 300 steps, seed 1. The norm
// grows onto the equilibrium sphere within ≈ 1/(4λη) = 100 steps while the
// direction descends toward ±e₁, then keeps fluctuating on the sphere.
func Fig1Sphere(ctx context.Context) (*Sphere, error) {
	s := &Sphere{Eta: 0.05, Lambda: 0.05, Sigma: 0.3, A: [3]float64{1, 2, 3}, Seed: 1}
	m, err := nrq.NewDiagonal(nrq.NRQ, s.A[:], nrq.Noise{Sigma: s.Sigma})
	if err != nil {
		return nil, err
	}
	s.Radius = math.Pow(s.Eta*2*s.Sigma*s.Sigma/(2*s.Lambda), 0.25)
	const steps = 300
	x := []float64{0.25, 0.35, 0.9}
	n := math.Sqrt(x[0]*x[0] + x[1]*x[1] + x[2]*x[2])
	for i := range x {
		x[i] *= s.Radius / 3 / n
	}
	// One trial of sim.Full, observed at every step.
	c := &sim.Config{Model: m, Eta: s.Eta, Lambda: s.Lambda, Init: sim.Init{X0: x},
		Steps: steps, Trials: 1, RecordEvery: 1, Seed: s.Seed, Workers: 1,
		Observe: func(_, _ int, x []float64) { s.X = append(s.X, [3]float64{x[0], x[1], x[2]}) }}
	if _, err := (sim.Full{}).Run(ctx, c); err != nil {
		return nil, err
	}
	return s, nil
}
