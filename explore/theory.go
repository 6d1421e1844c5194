package explore

import (
	"fmt"

	"github.com/smdlab/smd/experiment"
)

// Theory is what the page overlays on its four panels, at the recorded
// steps, all from package theory (through experiment.Config.Theory):
// Theorem 2's limiting risk r* and loss for the (η, λ) in force, Lemma 1's
// √(EΔ²) = ησ√(p − 1)/‖X‖² along eq 17's norm path and its limit √(2λη),
// the norm path itself and the equilibrium norm (η(p − 1)σ²/(2λ))^{1/4}.
// Note, when not empty, says why there is no overlay.
type Theory struct {
	Steps                []int
	RiskLimit, LossLimit []float64
	AUPath, AULimit      []float64
	NormPath, NormLimit  []float64
	// RiskAdiabatic is Theorem 2's r* at the current norm of the path, the
	// risk the dynamics would settle at if ‖X‖ were frozen (after a decay
	// without rescale, the risk first follows it down).
	RiskAdiabatic []float64
	Note          string
}

// Overlay returns the theory overlay of c at steps. The theory is that of
// plain SGD (Theorem 2, Lemma 1, eq 17); with momentum there is none.
func Overlay(c *experiment.Config, steps []int) *Theory {
	if c.Momentum != 0 {
		return &Theory{Note: "theory overlays are for plain SGD (momentum 0)"}
	}
	o, err := c.Theory(steps)
	if err != nil {
		return &Theory{Note: fmt.Sprintf("no theory overlay: %v", err)}
	}
	t := &Theory{Steps: steps, RiskLimit: o.RiskLimit, LossLimit: o.LossLimit,
		AUPath: o.AUPath, AULimit: o.AULimit, NormPath: o.NormPath, RiskAdiabatic: o.Adiabatic}
	for _, n := range steps {
		p, err := c.TheoryParams(n)
		if err != nil {
			return &Theory{Note: fmt.Sprintf("no theory overlay: %v", err)}
		}
		t.NormLimit = append(t.NormLimit, p.NormLimit())
	}
	return t
}

// RecordSteps returns the steps c records (0, k, 2k, … ≤ steps).
func RecordSteps(c *experiment.Config) ([]int, error) {
	sc, err := c.SimConfig()
	if err != nil {
		return nil, err
	}
	return sc.RecordSteps(), nil
}
