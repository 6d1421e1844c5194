// Package verify checks every closed-form result of package theory against
// simulation on a grid of configs and writes the verdicts: `smd verify`.
//
// Each check compares a prediction (the corrected formula, with the paper's
// printed one beside it) with a simulated mean ± SE. Verdict rule:
//
//	|simulated − predicted| ≤ z·SE + bound,
//
// with package claim's z policy (claim.Z ≈ 4.42 for one value, claim.ZFor(n)
// for a path of n recorded steps), where bound is a discretization bound derived in docs/verify.md (the
// theory is for the SDE of eq 9, the simulation is the discrete eq 3).
// Bounds on the risk (Theorem 1, Corollary 1) are checked as inequalities
// along the whole trajectory. Paths (eq 17, Lemma 1) are checked at every
// recorded step; the row reports the worst one.
package verify
