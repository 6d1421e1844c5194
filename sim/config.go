package sim

import "github.com/smdlab/smd/nrq"

// Event changes the optimiser at the start of step Step, before that
// step's record and update.
type Event struct {
	Step int
	// LRDivide divides η by this factor (0 or 1: no change).
	LRDivide float64
	// Rescale divides X by LRDivide^{1/4}: the paper's "rescale" strategy
	// (section 3.2), which keeps the angular update at its equilibrium value
	// across a learning-rate decay.
	Rescale bool
	// SetLambda, when true, sets the weight decay to Lambda.
	SetLambda bool
	Lambda    float64
	// LRExp > 0 sets a per-step factor of η from this step on: η at every
	// later step is LRExp times η at the step before (Li & Arora 2020's
	// exponential schedule; 1 stops it, 0 leaves it as it is).
	LRExp float64
}

// Init is the initialisation of X₀: Gaussian N(0, Std²·I) when Norm is 0
// (the paper's σ̃), else ‖X₀‖ = Norm with alignment f₀ = F0 and the rest of
// the direction uniformly random; or, if X0 is set, X₀ = X0 in every trial
// (engines that simulate only norms and angles, Reduced and the sde
// package's Reduced and FokkerPlanck, do not take X0).
type Init struct {
	Std  float64
	Norm float64
	F0   float64
	X0   []float64
}

// Config is one ensemble run of the discrete dynamics.
type Config struct {
	Model *nrq.Model
	// Eta (η), Lambda (λ): learning rate and weight decay of eq 3.
	Eta, Lambda float64
	// Momentum μ of heavy-ball SGD (0: plain SGD, as in the paper):
	// b ← μb + g + λX, X ← X − ηb.
	Momentum float64
	// Optimizer is OptSGD ("" too), OptAdamW or OptLion; Beta1, Beta2 and
	// Eps are AdamW's β₁, β₂, ε and Lion's β₁, β₂, used as given (the
	// config layer fills PyTorch's defaults). See stepAdamW, stepLion.
	Optimizer         string
	Beta1, Beta2, Eps float64
	Init              Init
	Steps             int
	Trials            int
	// RecordEvery: statistics are recorded at steps 0, k, 2k, … ≤ Steps
	// (0: k = max(1, Steps/200)).
	RecordEvery int
	Seed        uint64
	// Xi is ξ of Theorem 1: the tail probability recorded is P(f < ξ)
	// (0: 0.9).
	Xi       float64
	Schedule []Event
	// Observe, if set, is called with X_n at every recorded step n of every
	// trial, after the step's events and before its update, by the engines
	// that hold X (Full and sde.EM; the others never call it). x is the
	// engine's own buffer, valid only during the call. Calls for one trial
	// come in step order; calls for different trials may be concurrent.
	Observe func(trial, step int, x []float64)
	// Workers is the number of goroutines (≤ 0: GOMAXPROCS). It never
	// changes the output.
	Workers int
	// Progress, if set, is called after each recorded block with the number
	// of trial-steps done and the total.
	Progress func(done, total int64)
	// OnRecord, if set, receives each recorded row as soon as it is
	// aggregated (in step order, on the driver's goroutine), so that a
	// caller can show a run while it runs. It never changes the output.
	OnRecord func(Row)
}

// Defaults for the measurement knobs that are 0 in a Config (STYLE.md §3:
// zero means default for knobs, never for physics).
const (
	DefaultXi      = 0.9 // Theorem 1's ξ of the recorded tail P(f < ξ)
	DefaultRecords = 200 // RecordEvery = max(1, Steps/DefaultRecords)
)

// WithDefaults returns a copy of c with the zero knobs (RecordEvery, Xi)
// set to their defaults. Every engine runs the copy.
func (c *Config) WithDefaults() *Config {
	d := *c
	if d.RecordEvery == 0 {
		d.RecordEvery = max(1, d.Steps/DefaultRecords)
	}
	if d.Xi == 0 {
		d.Xi = DefaultXi
	}
	return &d
}

// Validate checks c after WithDefaults (the rules of rules.go, in this
// order); fields are named as in the YAML config. It returns a *FieldError.
func (c *Config) Validate() error {
	if c.Model == nil {
		return bad("model", "missing")
	}
	if c.Init.X0 != nil && len(c.Init.X0) != c.Model.Dim() {
		return bad("init.x0", "has %d entries but p = %d", len(c.Init.X0), c.Model.Dim())
	}
	c = c.WithDefaults()
	for _, err := range []error{
		CheckEta(c.Eta), CheckLambda(c.Lambda, c.Eta), CheckMomentum(c.Momentum),
		CheckOptimizer(c.Optimizer, c.Momentum, c.Beta1, c.Beta2, c.Eps), CheckInit(c.Init),
		CheckCount("steps", c.Steps), CheckCount("trials", c.Trials), CheckCount("record_every", c.RecordEvery),
		CheckWork(c.Steps, c.Trials), CheckXi(c.Xi), CheckSchedule(c.Eta, c.Lambda, c.Schedule), CheckScheduleSteps(c.Eta, c.Lambda, c.Schedule, c.Steps),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// RecordSteps returns the recorded steps 0, k, 2k, … ≤ Steps.
func (c *Config) RecordSteps() []int {
	var s []int
	for n := 0; n <= c.Steps; n += c.RecordEvery {
		s = append(s, n)
	}
	return s
}
