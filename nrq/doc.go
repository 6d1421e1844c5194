// Package nrq defines the models: the Noisy Rayleigh Quotient (NRQ) of
// eqs 1–6 and the Noisy Quadratic Model (NQM) of Remark 1 (eqs 7–8), with A
// given by its diagonal (the O(p) fast path) or as a dense symmetric positive
// semi-definite matrix (the O(p²) path), and noise covariance Σ̃ isotropic,
// diagonal or dense.
//
// The simulators in package sim carry their own fused hot loops for speed;
// the methods here are the reference implementation those loops are tested
// against.
package nrq
