package theory

import (
	"fmt"
	"math"
)

// NQMMoments returns the exact mean E‖X_n‖² and mean loss E L(X_n) =
// ½ Σ hᵢ E xᵢ² of SGD with heavy-ball momentum and coupled weight decay on
// the noisy quadratic model (NQM; Zhang et al. 2019, "Which algorithmic
// choices matter at which batch sizes?", eqs 7–8, here with weight decay
// and momentum), at each of the given steps, for X₀ ~ N(0, s0²I) and a
// zero momentum buffer. Per coordinate, with gradient gᵢ = hᵢxᵢ + σᵢξ
// (ξ ~ N(0, 1), σᵢ² = noiseVar[i]) and torch.optim.SGD's update
// b ← μb + g + λx, x ← x − ηb, the state z = (x, b) is a linear recursion
//
//	z_{n+1} = M z_n + w ξ_n,   M = [[1 − η(h + λ), −ημ], [h + λ, μ]],   w = σ(−η, 1),
//
// so its second moments S = E zzᵀ obey S_{n+1} = M S_n Mᵀ + wwᵀ exactly at
// every step (eqs 7–8 of Zhang et al. are the μ = λ = 0 case: E x² ←
// (1 − ηh)² E x² + η²σ²). The means stay 0. steps must be ascending.
// Derivation: docs/derivations.md §11.
func NQMMoments(h, noiseVar []float64, eta, lambda, mu, s0 float64, steps []int) (normSq, loss []float64, err error) {
	if len(h) != len(noiseVar) || len(h) == 0 {
		return nil, nil, fmt.Errorf("%w: %d curvatures, %d noise variances", ErrParams, len(h), len(noiseVar))
	}
	if !(eta > 0) || !(lambda >= 0) || !(mu >= 0 && mu < 1) || !(s0 >= 0) || math.IsInf(eta+lambda+s0, 0) {
		return nil, nil, fmt.Errorf("%w: η = %v, λ = %v, μ = %v, s0 = %v", ErrParams, eta, lambda, mu, s0)
	}
	for i := 1; i < len(steps); i++ {
		if steps[i] < steps[i-1] {
			return nil, nil, fmt.Errorf("%w: steps must ascend", ErrParams)
		}
	}
	type mom struct{ xx, xb, bb float64 }
	st := make([]mom, len(h))
	for i := range st {
		st[i].xx = s0 * s0
	}
	normSq, loss = make([]float64, len(steps)), make([]float64, len(steps))
	n := 0
	for k, target := range steps {
		for ; n < target; n++ {
			for i, hi := range h {
				q := hi + lambda
				m11, m12, m21, m22 := 1-eta*q, -eta*mu, q, mu
				s := st[i]
				// S' = M S Mᵀ + wwᵀ with S = [[xx, xb], [xb, bb]].
				a := m11*s.xx + m12*s.xb // (M S)₁₁
				b := m11*s.xb + m12*s.bb // (M S)₁₂
				c := m21*s.xx + m22*s.xb // (M S)₂₁
				d := m21*s.xb + m22*s.bb // (M S)₂₂
				v := noiseVar[i]
				st[i] = mom{
					xx: a*m11 + b*m12 + eta*eta*v,
					xb: a*m21 + b*m22 - eta*v,
					bb: c*m21 + d*m22 + v,
				}
			}
		}
		for i, hi := range h {
			normSq[k] += st[i].xx
			loss[k] += hi * st[i].xx / 2
		}
	}
	return normSq, loss, nil
}
