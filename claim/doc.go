// Package claim is smd's one engine for statistical claims: a measured value
// with its standard error, judged against a prediction with a documented
// bias bound, or an effect judged present or absent, with one verdict
// vocabulary, one z policy and one rule for combining standard errors.
// `smd reproduce` (figure captions), `smd verify` (the formula grid) and the
// tests (internal/stattest) all use it, so a tolerance means the same thing
// everywhere (STYLE.md §7, §9).
//
// # Verdicts
//
//	Supported     the measurement agrees with the claim
//	Contradicted  the measurement disagrees with it (a limit off theory, a dip
//	              where none should be, curves that should coincide but do not)
//	NotShown      an effect the claim predicts is not detected at this sample
//	              size: no evidence either way
//
// A panel or result that rests on several claims takes the worst verdict
// (All): any contradiction contradicts, else any not-shown is not shown.
//
// # z policy
//
// Every check may raise a false alarm with probability at most Alpha = 10⁻⁵
// (two-sided), so one check uses Z = Φ⁻¹(1 − Alpha/2) ≈ 4.42; a family of k
// checks that must all hold (a path of k recorded steps, a scan for a
// significant difference) shares Alpha by Bonferroni: ZFor(k) =
// Φ⁻¹(1 − Alpha/(2k)). With a few hundred checks in the test suite this keeps
// the chance of a spurious red run below 1%.
//
// # Combining standard errors
//
// The SE of a sum or difference of estimates is
//
//	√(SE₁² + SE₂² + …)   when the estimates are independent (different seeds),
//	SE₁ + SE₂ + …         otherwise (the same run or seed: the standard deviation
//	                      of a sum is at most the sum of the standard deviations,
//	                      whatever the correlation),
//
// which is CombineSE. A mean over a window of one run's recorded steps is
// correlated along the path, so its SE bound is the mean of the per-step SEs,
// by the same inequality (experiment.WindowMean).
//
// # Tolerance
//
// A value agrees with a prediction when |measured − predicted| ≤ z·SE + bound,
// where bound is a derived, documented bias bound (discretisation error, a
// path not yet at equilibrium), never a tuned slack (Agree). An effect of size
// d ± SE is detected when d > z·SE (Effect), and a claimed absence is
// contradicted when it is detected (NoEffect).
package claim
