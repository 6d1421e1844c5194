package sim

import "context"

// Auto runs the fastest engine that is exact in law for the config:
// Reduced when A and Σ̃ are diagonal with few enough blocks of equal
// (eigenvalue, noise level) that the reduced chain is cheaper (see
// AutoMethod), else Full. Both simulate eq 3 exactly; the continuous
// engines of package sde are approximations and never chosen.
type Auto struct{}

var _ Engine = Auto{}

// AutoMethod returns the method Auto resolves c to: "reduced" or "full".
//
// Reduced costs about one normal and one χ² draw per block and step, Full
// about one normal per coordinate; Reduced is chosen when k ≤ p/4 blocks,
// which covers Assumptions 1–2 (k = number of distinct eigenvalues).
func AutoMethod(c *Config) string {
	if c.Model == nil || c.optName() != OptSGD {
		return "full"
	}
	if k, ok := ReducedBlocks(c.Model); ok && 4*k <= c.Model.Dim() {
		return "reduced"
	}
	return "full"
}

// Run runs Reduced or Full, as AutoMethod chooses.
func (Auto) Run(ctx context.Context, c *Config) (*Result, error) {
	if AutoMethod(c) == "reduced" {
		return Reduced{}.Run(ctx, c)
	}
	return Full{}.Run(ctx, c)
}
