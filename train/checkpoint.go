package train

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/smdlab/smd/experiment"
	"github.com/smdlab/smd/internal/safetensors"
)

// Checkpoints asks Run to save the network state as safetensors files
// (the format `smd measure` reads) every Every steps plus the following
// step, so that per-step angular updates are measurable, and with momentum
// the step after that too (the momentum form of the scale-invariance ratio
// needs steps n−1, n, n+1). Files are Dir/trial-<i>/step-<t>.safetensors,
// t = 0 … the last step + 1 (the final state), with metadata step, lr, weight_decay,
// momentum, optimizer = sgd, channel_axis = last (GoMLX's [kh, kw, in, out]
// kernels and [in, out] dense weights), model, seed and trial. lr and
// weight_decay are those of the scale-invariant weights (η·k², λ/k² under
// Corollary 3, whose other-tensor values are lr_non_si, weight_decay_non_si).
// A checkpoint holds the state the step of the same number starts from:
// after the rescale of a milestone, before the update.
type Checkpoints struct {
	Dir   string
	Every int
}

// due reports whether step t is saved.
func (c *Checkpoints) due(t int, momentum float64) bool {
	if c == nil || c.Every < 1 {
		return false
	}
	r := t % c.Every
	return r == 0 || r == 1 || (momentum != 0 && r == 2)
}

// save writes the state net starts step t from.
func (c *Checkpoints) save(cfg Config, net *Net, trial, t int, eta float64) error {
	dir := filepath.Join(c.Dir, "trial-"+strconv.Itoa(trial))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	hp := hyperAt(cfg, eta)
	g := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	meta := map[string]string{
		"step": strconv.Itoa(t), "lr": g(hp.EtaSI), "weight_decay": g(hp.LambdaSI), "momentum": g(cfg.Momentum),
		"optimizer": "sgd", "channel_axis": "last", "model": cfg.Model, "seed": strconv.FormatUint(cfg.Seed, 10),
		"trial": strconv.Itoa(trial), "format": "smd train",
	}
	if cfg.Corollary3K != 1 {
		meta["lr_non_si"], meta["weight_decay_non_si"] = g(hp.Eta), g(hp.Lambda)
	}
	entries := make([]safetensors.Entry, len(net.Specs))
	for i, p := range net.Specs {
		v := tensors.MustCopyFlatData[float32](net.state[i])
		entries[i] = safetensors.Entry{Name: p.Name, DType: safetensors.F32, Shape: p.Dims, Data: safetensors.F32Bytes(v)}
	}
	path := filepath.Join(dir, fmt.Sprintf("step-%07d.safetensors", t))
	return experiment.WriteAtomic(path, func(w io.Writer) error { return safetensors.Write(w, entries, meta) })
}
