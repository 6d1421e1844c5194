package measure

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/smdlab/smd/internal/safetensors"
	"github.com/smdlab/smd/theory"
)

// ErrBadInput is wrapped by every error about the checkpoints or the
// configuration (the CLI exits with code 2 on it).
var ErrBadInput = errors.New("bad input")

func bad(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrBadInput}, args...)...)
}

// Metadata keys read from (and written to) each checkpoint's __metadata__.
const (
	KeyStep        = "step"
	KeyLR          = "lr"
	KeyWeightDecay = "weight_decay"
	KeyMomentum    = "momentum"
	KeyOptimizer   = "optimizer"
	KeyBeta1       = "beta1"
	KeyBeta2       = "beta2"
	// KeyChannelAxis is "first" (PyTorch: [out, in, kh, kw], [out, in]) or
	// "last" (JAX/Flax, smd train: [kh, kw, in, out], [in, out]).
	KeyChannelAxis = "channel_axis"
)

// Optimizer names (package theory's).
const (
	SGD   = theory.SGD
	AdamW = theory.AdamW
	Lion  = theory.Lion
)

// Defaults of the optimizer constants when neither a flag nor the metadata
// give them: PyTorch's (torch.optim.SGD momentum 0; AdamW betas (0.9,
// 0.999); Lion's reference betas (0.9, 0.99), Chen et al. 2023).
var defaultBetas = map[string][2]float64{AdamW: {0.9, 0.999}, Lion: {0.9, 0.99}}

// Config selects the checkpoints and how to read them. Nil pointers and
// empty strings mean "not given on the command line": the value then comes
// from each file's metadata, else a documented default.
type Config struct {
	Dir string
	// LR (η), WeightDecay (λ), Momentum (μ), Beta1, Beta2 and Optimizer
	// override every file's metadata.
	LR, WeightDecay, Momentum, Beta1, Beta2 *float64
	Optimizer                               string
	// SI, if set, decides scale invariance by name: a tensor is
	// scale-invariant exactly when SI matches its name.
	SI *regexp.Regexp
	// SITol is ε_SI, the allowance for the normalization layer's ε and the
	// framework's float arithmetic in the scale-invariance ratio test
	// (docs/measure.md §2); 0 selects DefaultSITol.
	SITol float64
	// PerNeuron also measures every output channel of the scale-invariant
	// tensors of rank ≥ 2.
	PerNeuron bool
	// ChannelAxis overrides the metadata's channel_axis ("first", "last");
	// "" uses the metadata, else "first".
	ChannelAxis string
}

// DefaultSITol is ε_SI = 0.1, the geometric middle of the evidence on real
// float32 BatchNorm networks: kernels reach |ratio − 1| ≈ 10⁻² once their
// pre-activation variance approaches the normalization's ε, and tensors
// that are not scale-invariant stay ≥ 0.9 — a factor ~10 on each side. A
// leak ρ = ratio − 1 moves the SGD equilibrium AU by the factor √(1 + ρ):
// within ε_SI, by ≤ 5 %. docs/measure.md §2.
const DefaultSITol = 0.1

// Hyper are one checkpoint's hyper-parameters: the ones that produced the
// step from this checkpoint to the next.
type Hyper struct {
	LR, WeightDecay, Momentum, Beta1, Beta2 float64
	Optimizer                               string
}

// Checkpoint is one validated file.
type Checkpoint struct {
	Path  string
	Step  int
	Size  int64
	Hyper Hyper
	// ChannelAxis is "first" or "last".
	ChannelAxis string
	header      *safetensors.Header
}

// Run is a validated set of checkpoints, ordered by step.
type Run struct {
	Config      Config
	Checkpoints []Checkpoint
	// Sources says where each hyper-parameter came from: "flag",
	// "metadata", "metadata (varies)" or "default".
	Sources map[string]string
	// Notes are caveats that do not stop the run (skipped tensors, …).
	Notes []string
	// Bytes is the total size of the files.
	Bytes int64
}

var lastInt = regexp.MustCompile(`[0-9]+`)

// Scan lists Dir's *.safetensors files, validates every header, resolves
// each file's step and hyper-parameters and checks that at least two files
// are at consecutive steps. It reads no tensor data. Every error wraps
// ErrBadInput and names the file (and tensor, key) at fault.
func Scan(cfg Config) (*Run, error) {
	if cfg.SITol == 0 {
		cfg.SITol = DefaultSITol
	}
	if !(cfg.SITol > 0) || math.IsInf(cfg.SITol, 0) {
		return nil, bad("--si-tol: %g, want a positive number", cfg.SITol)
	}
	if cfg.ChannelAxis != "" && cfg.ChannelAxis != "first" && cfg.ChannelAxis != "last" {
		return nil, bad("--channel-axis: %q, want first or last", cfg.ChannelAxis)
	}
	if cfg.Optimizer != "" && cfg.Optimizer != SGD && cfg.Optimizer != AdamW && cfg.Optimizer != Lion {
		return nil, bad("--optimizer: %q, want sgd, adamw or lion", cfg.Optimizer)
	}
	st, err := os.Stat(cfg.Dir)
	if err != nil {
		return nil, bad("--checkpoints: %v", err)
	}
	if !st.IsDir() {
		return nil, bad("--checkpoints: %s is not a directory", cfg.Dir)
	}
	paths, err := filepath.Glob(filepath.Join(cfg.Dir, "*.safetensors"))
	if err != nil {
		return nil, bad("--checkpoints: %v", err)
	}
	if len(paths) < 2 {
		return nil, bad("%s: %d *.safetensors files, need at least two at consecutive steps", cfg.Dir, len(paths))
	}
	r := &Run{Config: cfg, Sources: map[string]string{}}
	seen := map[string]map[string]bool{} // key → set of sources
	for _, p := range paths {
		c, err := readCheckpoint(p, cfg, seen)
		if err != nil {
			return nil, err
		}
		r.Checkpoints = append(r.Checkpoints, c)
		r.Bytes += c.Size
	}
	slices.SortFunc(r.Checkpoints, func(a, b Checkpoint) int { return a.Step - b.Step })
	consecutive := false
	for i := 1; i < len(r.Checkpoints); i++ {
		a, b := r.Checkpoints[i-1], r.Checkpoints[i]
		if a.Step == b.Step {
			return nil, bad("%s and %s: both at step %d", a.Path, b.Path, a.Step)
		}
		consecutive = consecutive || b.Step == a.Step+1
	}
	if !consecutive {
		return nil, bad("%s: no two checkpoints at consecutive steps (steps %s): per-step angular updates need steps n and n+1", cfg.Dir, stepList(r.Checkpoints))
	}
	if !r.anyPair() {
		return nil, bad("%s: no float tensor (F64, F32, F16, BF16) is present with the same shape in two successive checkpoints", cfg.Dir)
	}
	for _, k := range []string{KeyLR, KeyWeightDecay, KeyMomentum, KeyOptimizer, KeyBeta1, KeyBeta2} {
		src := seen[k]
		switch {
		case len(src) == 0:
			continue
		case len(src) == 1:
			for s := range src {
				r.Sources[k] = s
			}
		default:
			names := make([]string, 0, len(src))
			for s := range src {
				names = append(names, s)
			}
			slices.Sort(names)
			r.Sources[k] = strings.Join(names, "+")
		}
	}
	return r, nil
}

func stepList(cs []Checkpoint) string {
	var s []string
	for i, c := range cs {
		if i == 8 {
			s = append(s, "…")
			break
		}
		s = append(s, strconv.Itoa(c.Step))
	}
	return strings.Join(s, ", ")
}

// readCheckpoint validates one file's header and resolves its step and
// hyper-parameters; seen collects the source of every hyper-parameter.
func readCheckpoint(path string, cfg Config, seen map[string]map[string]bool) (Checkpoint, error) {
	f, err := safetensors.Open(path)
	if err != nil {
		if errors.Is(err, safetensors.ErrFormat) {
			return Checkpoint{}, fmt.Errorf("%w: %w", ErrBadInput, err)
		}
		return Checkpoint{}, bad("%v", err)
	}
	f.Close()
	c := Checkpoint{Path: path, Size: f.Size, header: f.Header}
	meta := f.Metadata
	if s, ok := meta[KeyStep]; ok {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 0 {
			return c, bad("%s: __metadata__ %s: %q is not a non-negative integer", path, KeyStep, s)
		}
		c.Step = n
	} else {
		m := lastInt.FindAllString(strings.TrimSuffix(filepath.Base(path), ".safetensors"), -1)
		if len(m) == 0 {
			return c, bad("%s: no step: no __metadata__ %q and no integer in the file name", path, KeyStep)
		}
		n, err := strconv.Atoi(m[len(m)-1])
		if err != nil {
			return c, bad("%s: step %q from the file name: %v", path, m[len(m)-1], err)
		}
		c.Step = n
	}
	note := func(key, src string) {
		if seen[key] == nil {
			seen[key] = map[string]bool{}
		}
		seen[key][src] = true
	}
	num := func(key, flag string, over *float64, required bool, def float64) (float64, error) {
		if over != nil {
			note(key, "flag")
			return *over, nil
		}
		s, ok := meta[key]
		if !ok {
			if required {
				return 0, bad("%s: missing %s: neither %s nor __metadata__ %q", path, key, flag, key)
			}
			note(key, "default")
			return def, nil
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, bad("%s: __metadata__ %s: %q is not a finite number", path, key, s)
		}
		note(key, "metadata")
		return v, nil
	}
	h := &c.Hyper
	if h.LR, err = num(KeyLR, "--lr", cfg.LR, true, 0); err != nil {
		return c, err
	}
	if h.WeightDecay, err = num(KeyWeightDecay, "--weight-decay", cfg.WeightDecay, true, 0); err != nil {
		return c, err
	}
	switch {
	case cfg.Optimizer != "":
		h.Optimizer = cfg.Optimizer
		note(KeyOptimizer, "flag")
	case meta[KeyOptimizer] != "":
		h.Optimizer = strings.ToLower(strings.TrimSpace(meta[KeyOptimizer]))
		note(KeyOptimizer, "metadata")
	default:
		h.Optimizer = SGD
		note(KeyOptimizer, "default")
	}
	if h.Optimizer != SGD && h.Optimizer != AdamW && h.Optimizer != Lion {
		return c, bad("%s: __metadata__ %s: %q, want sgd, adamw or lion", path, KeyOptimizer, meta[KeyOptimizer])
	}
	if h.Optimizer == SGD {
		if h.Momentum, err = num(KeyMomentum, "--momentum", cfg.Momentum, false, 0); err != nil {
			return c, err
		}
	} else {
		d := defaultBetas[h.Optimizer]
		if h.Beta1, err = num(KeyBeta1, "--beta1", cfg.Beta1, false, d[0]); err != nil {
			return c, err
		}
		if h.Beta2, err = num(KeyBeta2, "--beta2", cfg.Beta2, false, d[1]); err != nil {
			return c, err
		}
	}
	switch {
	case !(h.LR > 0):
		return c, bad("%s: lr %g, want η > 0", path, h.LR)
	case h.WeightDecay < 0:
		return c, bad("%s: weight_decay %g, want λ ≥ 0", path, h.WeightDecay)
	}
	if err := h.opt().Validate(); err != nil {
		return c, bad("%s: %v", path, err)
	}
	c.ChannelAxis = "first"
	switch {
	case cfg.ChannelAxis != "":
		c.ChannelAxis = cfg.ChannelAxis
	case meta[KeyChannelAxis] == "first" || meta[KeyChannelAxis] == "last":
		c.ChannelAxis = meta[KeyChannelAxis]
	case meta[KeyChannelAxis] != "":
		return c, bad("%s: __metadata__ %s: %q, want first or last", path, KeyChannelAxis, meta[KeyChannelAxis])
	}
	return c, nil
}

// anyPair reports whether some float tensor is in two successive files with
// the same shape.
func (r *Run) anyPair() bool {
	for i := 1; i < len(r.Checkpoints); i++ {
		a, b := r.Checkpoints[i-1].header, r.Checkpoints[i].header
		for _, t := range a.Tensors {
			if u, ok := b.Lookup(t.Name); ok && t.DType.Decodable() && u.DType.Decodable() && slices.Equal(t.Shape, u.Shape) {
				return true
			}
		}
	}
	return false
}
