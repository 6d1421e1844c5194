package ensemble

import "math"

// Sample is one trial's record at one recorded step: what Aggregate
// averages over trials.
type Sample struct {
	F      float64 // alignment f
	Loss   float64
	AU     float64 // angular update Δ (radians)
	Norm   float64 // ‖X‖
	NormSq float64 // ‖X‖²
	Tail   float64 // 1 if f < ξ, else 0
}

// Set fills s, with the tail indicator for threshold xi.
func (s *Sample) Set(f, loss, au, norm, normSq, xi float64) {
	*s = Sample{F: f, Loss: loss, AU: au, Norm: norm, NormSq: normSq}
	if f < xi {
		s.Tail = 1
	}
}

// meanSE returns the mean of v and its standard error s/√n, with s the
// sample standard deviation (n − 1 denominator); SE is NaN for n = 1.
// The sums run in index order, so results do not depend on scheduling.
func meanSE(n int, v func(i int) float64) (mean, se float64) {
	s := 0.0
	for i := range n {
		s += v(i)
	}
	mean = s / float64(n)
	if n < 2 {
		return mean, math.NaN()
	}
	ss := 0.0
	for i := range n {
		d := v(i) - mean
		ss += d * d
	}
	return mean, math.Sqrt(ss / float64(n-1) / float64(n))
}

// Row is the constraint satisfied by sim.Row: a struct with exactly the
// fields of rowFields, in that order (sim.Row documents them). Aggregate
// builds one, and the compiler rejects any drift between the two.
type Row interface{ ~rowFields }

type rowFields = struct {
	Step                                                              int
	Eta, Lambda, Risk, RiskSE, Loss, LossSE, AU, AUSE, AURMS, AURMSSE float64
	Norm, NormSE, NormSq, NormSqSE, Tail, TailSE                      float64
}

// Aggregate turns one recorded step's per-trial samples into a row.
func Aggregate[R Row](step int, eta, lambda float64, s []Sample) R {
	n := len(s)
	r := rowFields{Step: step, Eta: eta, Lambda: lambda}
	var f float64
	f, r.RiskSE = meanSE(n, func(i int) float64 { return s[i].F })
	r.Risk = 1 - f
	r.Loss, r.LossSE = meanSE(n, func(i int) float64 { return s[i].Loss })
	r.AU, r.AUSE = meanSE(n, func(i int) float64 { return s[i].AU })
	au2, au2SE := meanSE(n, func(i int) float64 { return s[i].AU * s[i].AU })
	r.AURMS = math.Sqrt(au2)
	r.AURMSSE = au2SE / (2 * r.AURMS) // delta method: d√m = dm/(2√m)
	r.Norm, r.NormSE = meanSE(n, func(i int) float64 { return s[i].Norm })
	r.NormSq, r.NormSqSE = meanSE(n, func(i int) float64 { return s[i].NormSq })
	r.Tail, r.TailSE = meanSE(n, func(i int) float64 { return s[i].Tail })
	return R(r)
}
