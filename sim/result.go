package sim

import (
	"fmt"
	"math"
	"time"
)

// Row is one recorded step: means over trials and their standard errors
// (sample standard deviation / √trials; NaN for a single trial). Values
// describe X_n before the update at step n (after any event at n).
type Row struct {
	Step   int
	Eta    float64 // η in force at this step
	Lambda float64 // λ in force at this step
	// Risk r = 1 − E f, f the squared alignment with the minimising eigenspace.
	Risk, RiskSE float64
	// Loss L(X_n), eq 1 (NRQ) or eq 7 (NQM).
	Loss, LossSE float64
	// AU is the mean angular update E ∠(X_n, X_{n+1}) in radians.
	AU, AUSE float64
	// AURMS is √(E Δ²), the quantity the theory predicts (Lemma 1, eq 14);
	// AURMSSE by the delta method.
	AURMS, AURMSSE float64
	// Norm is E‖X_n‖; NormSq is E‖X_n‖² (the paper's M_t of eq 17, see
	// docs/derivations.md).
	Norm, NormSE     float64
	NormSq, NormSqSE float64
	// Tail is ε = P(f < ξ) (Theorem 1).
	Tail, TailSE float64
}

// Stat is one statistic of a Row: its name (series.csv's column), mean
// and standard error.
type Stat struct {
	Name     string
	Mean, SE float64
}

// Stats returns r's statistics in series.csv's column order: risk, loss,
// au, au_rms, norm, norm_sq, tail.
func (r Row) Stats() []Stat {
	return []Stat{
		{"risk", r.Risk, r.RiskSE}, {"loss", r.Loss, r.LossSE}, {"au", r.AU, r.AUSE}, {"au_rms", r.AURMS, r.AURMSSE},
		{"norm", r.Norm, r.NormSE}, {"norm_sq", r.NormSq, r.NormSqSE}, {"tail", r.Tail, r.TailSE},
	}
}

// Result is the output of one ensemble run.
type Result struct {
	Rows []Row
	// TrialSteps is the number of single-trial updates performed.
	TrialSteps int64
	// CoordinateUpdates is TrialSteps·p.
	CoordinateUpdates int64
	Wall              time.Duration
	Warnings          []string
}

// DivergenceError reports a trial whose state became NaN/Inf or collapsed
// to X = 0. Trial is −1 where the engine has no trials (fokker-planck
// evolves the law itself) or the trial is unknown.
type DivergenceError struct {
	Step, Trial int
	Reason      string
}

func (e *DivergenceError) Error() string {
	if e.Trial < 0 {
		return fmt.Sprintf("diverged at step %d: %s", e.Step, e.Reason)
	}
	return fmt.Sprintf("diverged at step %d in trial %d: %s", e.Step, e.Trial, e.Reason)
}

// CheckFinite returns a *DivergenceError (Trial −1) for the first row whose
// mean columns hold NaN or ±Inf, so that no engine writes them as if they
// were results. The _se columns are not checked: they are NaN by design
// for trials = 1.
func CheckFinite(rows []Row) error {
	for _, r := range rows {
		for _, st := range r.Stats() {
			if math.IsNaN(st.Mean) || math.IsInf(st.Mean, 0) {
				return &DivergenceError{Step: r.Step, Trial: -1, Reason: fmt.Sprintf("%s became %v", st.Name, st.Mean)}
			}
		}
	}
	return nil
}
