// Package smd is a toolkit for studying spherical motion dynamics (SMD): how
// normalization and weight decay shape SGD.
//
// Its model is the Noisy Rayleigh Quotient (NRQ) of "How normalization and
// weight decay can affect SGD? Insights from a simple normalized model"
// (anonymous authors, paper under double-blind review): minimise
//
//	L(X) = XᵀAX / (2XᵀX)                                   (eq 1)
//
// by SGD with weight decay, X ← X − ηg − ληX (eq 3), where g is the projected,
// scale-invariant stochastic gradient of eq 4.
//
// Notation: η → Eta, λ → Lambda, σ → Sigma, Σ̃ → noise covariance, f = (X̃⁽¹⁾)²
// the squared alignment with the minimising eigenvector, r = 1 − E f the risk,
// Δ = ∠(X_n, X_{n+1}) the angular update (AU), M = ‖X‖ the weight norm.
//
// Packages: nrq (the model), sim (discrete ensembles), experiment (configs and
// outputs), theory (closed forms), plot (figures), train (real networks).
package smd
