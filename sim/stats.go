package sim

import "math"

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

// aggregate turns one recorded step's per-trial samples into a Row.
func aggregate(step int, params [2]float64, s []sample) Row {
	n := len(s)
	r := Row{Step: step, Eta: params[0], Lambda: params[1]}
	var f float64
	f, r.RiskSE = meanSE(n, func(i int) float64 { return s[i].f })
	r.Risk = 1 - f
	r.Loss, r.LossSE = meanSE(n, func(i int) float64 { return s[i].loss })
	r.AU, r.AUSE = meanSE(n, func(i int) float64 { return s[i].au })
	au2, au2SE := meanSE(n, func(i int) float64 { return s[i].au2 })
	r.AURMS = math.Sqrt(au2)
	r.AURMSSE = au2SE / (2 * r.AURMS) // delta method: d√m = dm/(2√m)
	r.Norm, r.NormSE = meanSE(n, func(i int) float64 { return s[i].norm })
	r.NormSq, r.NormSqSE = meanSE(n, func(i int) float64 { return s[i].norm2 })
	r.Tail, r.TailSE = meanSE(n, func(i int) float64 { return s[i].tail })
	return r
}
