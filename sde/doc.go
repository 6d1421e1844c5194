// Package sde holds the continuous-time engines of the NRQ: approximations
// of the discrete dynamics of eq 3 by the SDE of eq 9 (time t counts SGD
// steps, as in the paper), all implementing sim.Engine and filling the same
// sim.Rows as the discrete engines:
//
//   - EM: Euler–Maruyama for the p-dimensional SDE of eq 9, any A and Σ̃
//     (method "sde");
//   - Reduced: the two-variable system (θ_t, ‖X_t‖²) for a two-valued
//     spectrum, f = cos²θ, with the drift of eq 16 as corrected in
//     docs/derivations.md (method "sde-reduced");
//   - FokkerPlanck: the 1-D Fokker–Planck equation of θ_t solved by a
//     conservative Scharfetter–Gummel finite-volume scheme, with no Monte
//     Carlo noise (method "fokker-planck").
//
// Under Assumption 2 the squared norm ‖X_t‖² is deterministic (eq 11 has no
// diffusion) and follows eq 17 with M = ‖X‖²; the angular update reported
// is Lemma 1's Δ_t = η√Tr(PΣ̃)/‖X_t‖², in both the AU and AURMS columns
// (its mean and root mean square over trials). Derivations, measured gaps
// to the discrete dynamics and benchmarks are in docs/engines.md.
package sde
