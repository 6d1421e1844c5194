// Package measure computes the spherical-motion diagnostics of any training
// run from its checkpoints (safetensors files, one per step saved): per
// tensor and step the angular update Δ_n = ∠(w_n, w_{n+1}), the norm ‖w_n‖
// and the effective learning rate η_n/‖w_n‖², whether the tensor is
// scale-invariant (with the evidence: the ratio ⟨Δw, w⟩/(−ηλ‖w‖²), 1 for a
// scale-invariant weight under SGD), and the equilibrium angular update of
// the run's optimizer beside the data (package theory: √(2ηλ) for SGD, the
// NRQ paper's Lemma 1; heavy-ball, AdamW and Lion from Kosson et al. 2024).
//
// Checkpoints are read tensor by tensor in chunks, so a model larger than
// memory can be measured; all sums are in float64 and the angle uses the
// atan2 form, so it is accurate at the small angles of real runs, where the
// float32 acos of the cosine is not. The derivations (the ratio's tolerance,
// the equilibrium formulas and when they hold) are in docs/measure.md.
//
// It imports neither GoMLX nor package train: `smd train --save-checkpoints`
// writes the files it reads, but so can PyTorch or JAX (docs/measure.md).
package measure
