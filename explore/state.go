package explore

import (
	"fmt"
	"math"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/smdlab/smd/experiment"
)

// State is what the page's controls hold: a two-level NRQ (Theorem 2's
// spectrum: a₁ once, a₂ p − 1 times), isotropic noise σ, η, λ, momentum
// μ, the initialisation, the run size and one learning-rate decay. Its
// URL query keys are the field tags.
type State struct {
	P        int     `q:"p"`
	A1       float64 `q:"a1"`
	A2       float64 `q:"a2"`
	Sigma    float64 `q:"sigma"`
	Eta      float64 `q:"eta"`
	Lambda   float64 `q:"lambda"`
	Momentum float64 `q:"mu"`
	// Init is "std" (X₀ ~ N(0, Std²I)) or "norm" (‖X₀‖ = Norm, f₀ = F0).
	Init  string  `q:"init"`
	Std   float64 `q:"std"`
	Norm  float64 `q:"norm"`
	F0    float64 `q:"f0"`
	Steps int     `q:"steps"`
	// Trials and Seed as in the config.
	Trials int    `q:"trials"`
	Seed   uint64 `q:"seed"`
	// DecayStep, DecayFactor, Rescale: at DecayStep η is divided by
	// DecayFactor (1: no decay) and, with Rescale, X by DecayFactor^{1/4}.
	DecayStep   int     `q:"decay_step"`
	DecayFactor float64 `q:"decay_factor"`
	Rescale     bool    `q:"rescale"`
	// Method is the engine ("auto": reduced for a two-level spectrum).
	Method string `q:"method"`
}

// Keys lists the query keys in their canonical order: State's q tags.
var Keys = func() []string {
	var k []string
	for f := range reflect.TypeFor[State]().Fields() {
		k = append(k, f.Tag.Get("q"))
	}
	return k
}()

// choices are the values a string key may take.
var choices = map[string][]string{"init": {"std", "norm"}, "method": experiment.Methods}

// Default returns the page's default: the embedded example config of
// `smd simulate` (experiment.ExampleYAML) with method auto, which runs the
// reduced engine for it. The norm and f₀ fields, unused by a Gaussian
// start, hold the example's ‖X₀‖ ≈ σ̃√p and f₀ = 1/p.
func Default() State {
	c, err := experiment.Parse(experiment.ExampleYAML(), "example.yaml", "")
	if err != nil {
		panic(err) // the embedded example is tested
	}
	s, err := FromConfig(c)
	if err != nil {
		panic(err)
	}
	s.Method = "auto"
	return s
}

// FromConfig returns the state of a config the page can show: a two-level
// spectrum with a simple a₁, σ, at most one learning-rate decay.
func FromConfig(c *experiment.Config) (State, error) {
	if c.Model != "nrq" || len(c.Spectrum) != 2 || c.Multiplicity[0] != 1 || c.Sigma == nil {
		return State{}, fmt.Errorf("the explorer shows NRQ configs with spectrum [a1, a2], multiplicity [1, p-1] and sigma")
	}
	s := State{
		P: 1 + c.Multiplicity[1], A1: c.Spectrum[0], A2: c.Spectrum[1], Sigma: *c.Sigma,
		Eta: *c.Eta, Lambda: *c.Lambda, Momentum: c.Momentum,
		Steps: c.Steps, Trials: c.Trials, Seed: c.Seed, Method: c.Method, DecayFactor: 1,
	}
	if c.Init.Std != nil {
		s.Init, s.Std = "std", *c.Init.Std
		s.Norm, s.F0 = c.InitNorm(), 1/float64(s.P)
	} else {
		s.Init, s.Norm, s.F0 = "norm", *c.Init.Norm, *c.Init.F0
		s.Std = s.Norm / math.Sqrt(float64(s.P))
	}
	switch len(c.Schedule) {
	case 0:
		s.DecayStep = c.Steps / 2
	case 1:
		e := c.Schedule[0]
		if e.LRDivide == nil || e.Lambda != nil {
			return State{}, fmt.Errorf("the explorer's schedule is one learning-rate decay")
		}
		s.DecayStep, s.DecayFactor, s.Rescale = e.Step, *e.LRDivide, e.Rescale
	default:
		return State{}, fmt.Errorf("the explorer's schedule is one learning-rate decay, got %d events", len(c.Schedule))
	}
	return s, nil
}

// ParseQuery returns the state a URL query describes: the default with the
// given keys replaced. An unknown key or a malformed value is an error
// naming the key.
func ParseQuery(query string) (State, error) {
	s := Default()
	v, err := url.ParseQuery(strings.TrimPrefix(query, "?"))
	if err != nil {
		return s, fmt.Errorf("URL query: %v", err)
	}
	known := map[string]bool{}
	for _, k := range Keys {
		known[k] = true
	}
	for k := range v {
		if !known[k] {
			return s, fmt.Errorf("%s: unknown parameter (known: %s)", k, strings.Join(Keys, ", "))
		}
	}
	for _, k := range Keys {
		if !v.Has(k) {
			continue
		}
		raw := strings.TrimSpace(v.Get(k))
		if err := s.set(k, raw); err != nil {
			return s, fmt.Errorf("%s: %v", k, err)
		}
	}
	return s, nil
}

// set parses raw into the field whose q tag is k.
func (s *State) set(k, raw string) error {
	v := reflect.ValueOf(s).Elem().Field(slices.Index(Keys, k))
	var ok bool
	var want string
	var x any
	switch v.Kind() {
	case reflect.Float64:
		f, err := strconv.ParseFloat(raw, 64)
		ok, want, x = err == nil && !math.IsNaN(f) && !math.IsInf(f, 0), "a finite number", f
	case reflect.Int:
		n, err := strconv.Atoi(raw)
		ok, want, x = err == nil, "a whole number", n
	case reflect.Uint64:
		n, err := strconv.ParseUint(raw, 10, 64)
		ok, want, x = err == nil, "a non-negative whole number", n
	case reflect.Bool:
		b, err := strconv.ParseBool(raw)
		ok, want, x = err == nil, "true or false", b
	case reflect.String:
		ok, want, x = slices.Contains(choices[k], raw), "one of "+strings.Join(choices[k], ", "), raw
	default:
		panic("explore: State field " + k + " has no parser")
	}
	if !ok {
		return fmt.Errorf("want %s, got %q", want, raw)
	}
	v.Set(reflect.ValueOf(x))
	return nil
}

func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// Query returns the canonical URL query of s (every key, in Keys order).
func (s State) Query() string {
	var b strings.Builder
	v := reflect.ValueOf(s)
	for i, k := range Keys {
		if i > 0 {
			b.WriteByte('&')
		}
		var val string
		switch f := v.Field(i); f.Kind() {
		case reflect.Float64:
			val = num(f.Float())
		case reflect.Bool:
			val = strconv.FormatBool(f.Bool())
		default: // ints and strings
			val = fmt.Sprint(f.Interface())
		}
		b.WriteString(k + "=" + url.QueryEscape(val))
	}
	return b.String()
}

// YAML returns the `smd simulate` config of s. It checks only what the
// config cannot express (p ≥ 2 and a₁ < a₂, the two-level spectrum);
// experiment.Parse checks the rest, naming the config key.
func (s State) YAML() ([]byte, error) {
	if s.P < 2 {
		return nil, fmt.Errorf("p: must be ≥ 2, got %d", s.P)
	}
	if !(s.A1 < s.A2) {
		return nil, fmt.Errorf("a2: must be > a1 (Theorem 2's spectrum: a1 once, a2 p-1 times), got a1 = %v, a2 = %v", s.A1, s.A2)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# smd explore: run with `smd simulate --config FILE` for the page's numbers.\n")
	fmt.Fprintf(&b, "# View: ?%s\n", s.Query())
	fmt.Fprintf(&b, "model: nrq\nspectrum: [%s, %s]\nmultiplicity: [1, %d]\n", num(s.A1), num(s.A2), s.P-1)
	fmt.Fprintf(&b, "sigma: %s\neta: %s\nlambda: %s\nmomentum: %s\n", num(s.Sigma), num(s.Eta), num(s.Lambda), num(s.Momentum))
	if s.Init == "norm" {
		fmt.Fprintf(&b, "init: {norm: %s, f0: %s}\n", num(s.Norm), num(s.F0))
	} else {
		fmt.Fprintf(&b, "init: {std: %s}\n", num(s.Std))
	}
	fmt.Fprintf(&b, "steps: %d\ntrials: %d\nseed: %d\nmethod: %s\n", s.Steps, s.Trials, s.Seed, s.Method)
	if s.DecayFactor != 1 {
		fmt.Fprintf(&b, "schedule:\n  - {step: %d, lr_divide: %s", s.DecayStep, num(s.DecayFactor))
		if s.Rescale {
			b.WriteString(", rescale: true")
		}
		b.WriteString("}\n")
	}
	return []byte(b.String()), nil
}

// Config returns s's config, parsed and validated as `smd simulate
// --config` would parse the YAML.
func (s State) Config() ([]byte, *experiment.Config, error) {
	y, err := s.YAML()
	if err != nil {
		return nil, nil, err
	}
	c, err := ParseConfig(y)
	return y, c, err
}

// ConfigName is the file name errors in the page's config carry.
const ConfigName = "explore.yaml"

// ParseConfig parses config YAML as `smd simulate --config` does.
func ParseConfig(y []byte) (*experiment.Config, error) {
	return experiment.Parse(y, ConfigName, "")
}
