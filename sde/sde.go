package sde

import (
	"errors"
	"fmt"
	"math"

	"github.com/smdlab/smd/internal/pmath"
	"github.com/smdlab/smd/nrq"
	"github.com/smdlab/smd/sim"
)

// ErrUnsupported is returned (wrapped) for a config an engine cannot run:
// momentum, the NQM, or (for Reduced and FokkerPlanck) a spectrum that is
// not two-valued or noise that is not isotropic.
var ErrUnsupported = errors.New("config not supported by this engine")

// twoLevel is the model of Theorem 2, generalised to a target eigenspace of
// any dimension: A has eigenvalue al with multiplicity m1 (the target,
// f = ‖X₁‖²/‖X‖²) and ah > al with multiplicity m2, and Σ̃ = σ²I.
type twoLevel struct {
	al, ah, sigma float64
	m1, m2, p     int
}

// tr returns Tr(PΣ̃) = (p − 1)σ².
func (m twoLevel) tr() float64 { return float64(m.p-1) * m.sigma * m.sigma }

func checkCommon(c *sim.Config, engine string) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if c.Model.Kind != nrq.NRQ {
		return fmt.Errorf("%w: %s simulates the NRQ SDE of eq 9, not the %v", ErrUnsupported, engine, c.Model.Kind)
	}
	if c.Momentum != 0 {
		return fmt.Errorf("%w: %s has no momentum (eq 9 is plain SGD); got momentum = %v", ErrUnsupported, engine, c.Momentum)
	}
	if c.Optimizer != "" && c.Optimizer != sim.OptSGD {
		return fmt.Errorf("%w: %s is the SDE of plain SGD (eq 9); got optimizer %s", ErrUnsupported, engine, c.Optimizer)
	}
	return nil
}

// twoLevelOf checks that c's model is two-valued with isotropic noise.
func twoLevelOf(c *sim.Config, engine string) (twoLevel, error) {
	if err := checkCommon(c, engine); err != nil {
		return twoLevel{}, err
	}
	if c.Init.X0 != nil {
		return twoLevel{}, fmt.Errorf("%w: %s draws X₀ from a law (std, or norm and f0), not a given init.x0", ErrUnsupported, engine)
	}
	m := c.Model
	if !m.IsDiagonal() {
		return twoLevel{}, fmt.Errorf("%w: %s needs a diagonal A (Assumption 1)", ErrUnsupported, engine)
	}
	sigma, iso := m.Isotropic()
	if !iso {
		return twoLevel{}, fmt.Errorf("%w: %s needs isotropic noise Σ̃ = σ²I (Assumption 2)", ErrUnsupported, engine)
	}
	blocks, _ := m.Blocks() // sorted by eigenvalue; one noise level, so one block per eigenvalue
	if len(blocks) != 2 {
		return twoLevel{}, fmt.Errorf("%w: %s needs a two-valued spectrum (Theorem 2), got %d distinct eigenvalues", ErrUnsupported, engine, len(blocks))
	}
	t := twoLevel{al: blocks[0].A, ah: blocks[1].A, sigma: sigma, p: m.Dim(), m1: blocks[0].Mult}
	t.m2 = t.p - t.m1
	return t, nil
}

// normSqAfter advances the squared norm S = ‖X‖² of the SDE by dt steps at
// constant (η, λ): eq 11 with M = ‖X‖² solved as in eqs 12 and 17,
//
//	S(t)² = e^{−4ληt}(S₀² − S∞²) + S∞²,  S∞² = η Tr(PΣ̃)/(2λ),
//
// and S(t)² = S₀² + 2η² Tr(PΣ̃) t for λ = 0.
func normSqAfter(s, eta, lambda, tr, dt float64) float64 {
	if lambda == 0 {
		return math.Sqrt(s*s + 2*eta*eta*tr*dt)
	}
	inf2 := eta * tr / (2 * lambda)
	return math.Sqrt(inf2 + pmath.Exp(-4*lambda*eta*dt)*(s*s-inf2))
}

// normStepper advances S = ‖X‖² by fixed time steps h/2 and h at
// constant (η, λ) exactly as normSqAfter does, with the exponentials
// computed once per (η, λ).
type normStepper struct {
	eta, lambda, tr, h float64
	inf2, eHalf, eFull float64 // λ > 0
	gHalf, gFull       float64 // λ = 0: 2η²Tr·h/2, 2η²Tr·h
}

func (n *normStepper) set(eta, lambda, tr, h float64) {
	if eta == n.eta && lambda == n.lambda && tr == n.tr && h == n.h {
		return
	}
	*n = normStepper{eta: eta, lambda: lambda, tr: tr, h: h}
	if lambda == 0 {
		n.gFull = 2 * eta * eta * tr * h
		n.gHalf = n.gFull / 2
		return
	}
	n.inf2 = eta * tr / (2 * lambda)
	n.eHalf = pmath.Exp(-2 * lambda * eta * h)
	n.eFull = n.eHalf * n.eHalf
}

// half and full return S after h/2 and h.
func (n *normStepper) half(s float64) float64 {
	if n.lambda == 0 {
		return math.Sqrt(s*s + n.gHalf)
	}
	return math.Sqrt(n.inf2 + n.eHalf*(s*s-n.inf2))
}

func (n *normStepper) full(s float64) float64 {
	if n.lambda == 0 {
		return math.Sqrt(s*s + n.gFull)
	}
	return math.Sqrt(n.inf2 + n.eFull*(s*s-n.inf2))
}

// schedule walks a sim.Config's events (sim.Cursor): η and λ in force,
// and the factor ‖X‖ is multiplied by at a rescale.
type schedule struct{ sim.Cursor }

func newSchedule(c *sim.Config) *schedule { return &schedule{c.Cursor()} }

// at applies the events of step n and returns the factor by which X is
// multiplied (1 without a rescale).
func (s *schedule) at(n int) float64 {
	scale, _ := s.Advance(n)
	return scale
}

// isRecord reports whether step n is recorded (0, k, 2k, …).
func isRecord(c *sim.Config, n int) bool { return n%c.RecordEvery == 0 }

// lastRecord returns the last recorded step.
func lastRecord(c *sim.Config) int { return c.Steps - c.Steps%c.RecordEvery }
