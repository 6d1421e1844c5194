package experiment

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ResourceError is a run refused up front because its estimated memory
// exceeds what the machine has available.
type ResourceError struct {
	Need, Have float64 // bytes
	What       string  // the dominant terms
}

func (e *ResourceError) Error() string {
	return fmt.Sprintf("this run needs about %s of memory (%s) but this machine has %s available: lower trials, p or steps/record_every",
		humanBytes(e.Need), e.What, humanBytes(e.Have))
}

// MemoryEstimate returns an upper estimate, in bytes, of the memory a run
// of c needs on method ("full", "reduced", …; "auto" as sim.AutoMethod
// would resolve it, see autoReduced) with
// dimension p, and the terms it is made of. It is computed in float64 so
// that no product of huge counts overflows. The terms follow the engines'
// allocations: the state of every trial (x and up to two optimizer buffers
// for full and sde: 3p floats; for the reduced engines at most 3 floats per
// distinct eigenvalue) plus 256 bytes of per-trial bookkeeping and sample;
// the dense matrices of an a_file or noise_file (A, Σ̃ and their
// factorisations: 4p² floats); the recorded rows (17 columns, twice: the
// rows and the CSV).
func MemoryEstimate(c *Config, p int, method string) (float64, string) {
	fp := float64(p)
	trials := float64(c.Trials)
	perTrial := 3 * fp * 8
	model := 8 * fp * 4 // the model's per-coordinate arrays
	if method == "auto" && c.autoReduced(p) {
		method = "reduced"
	}
	switch method {
	case "reduced", "sde-reduced", "fokker-planck":
		// Block models are never expanded to p coordinates (nrq.NewSpectrum).
		perTrial = 3 * float64(max(len(c.Spectrum), 2)) * 8
		model = 8 * float64(max(len(c.Spectrum), 2)) * 4
	}
	state := trials * (perTrial + 256)
	var dense float64
	if c.AFile != "" || c.NoiseFile != "" {
		dense = 4 * fp * fp * 8
	}
	rows := 0.0
	if c.RecordEvery > 0 {
		rows = (float64(c.Steps)/float64(c.RecordEvery) + 1) * 17 * 8 * 2
	}
	var what []string
	if state > 1<<20 {
		what = append(what, fmt.Sprintf("%s for %g trials × p = %d", humanBytes(state), trials, p))
	}
	if dense > 1<<20 {
		what = append(what, fmt.Sprintf("%s for dense %d×%d matrices", humanBytes(dense), p, p))
	}
	if rows > 1<<20 {
		what = append(what, fmt.Sprintf("%s for %g recorded rows", humanBytes(rows), float64(c.Steps)/float64(c.RecordEvery)+1))
	}
	return state + dense + rows + model, strings.Join(what, ", ")
}

// autoReduced reports whether sim.AutoMethod will pick the reduced engine
// for c, judged from the config alone (before the model is built): plain
// SGD, A given as spectrum + multiplicity, isotropic noise, and k ≤ p/4
// distinct eigenvalues. Other cases count as full (an upper estimate).
func (c *Config) autoReduced(p int) bool {
	opt := c.Optimizer == "" || c.Optimizer == "sgd"
	return opt && len(c.Spectrum) > 0 && len(c.Diagonal) == 0 && c.AFile == "" &&
		len(c.NoiseVar) == 0 && c.NoiseFile == "" && 4*len(c.Spectrum) <= p
}

// CheckResources is the package's CheckResources for c's own dimension
// (from spectrum/multiplicity or diagonal; 0 for an a_file, not yet read)
// and method.
func (c *Config) CheckResources() error {
	return CheckResources(c, c.dimFromLists(), c.Method)
}

// CheckResources refuses, before anything is allocated, a run whose
// MemoryEstimate exceeds the memory available (Linux: MemAvailable of
// /proc/meminfo, lowered to the cgroup's limit; elsewhere no check).
func CheckResources(c *Config, p int, method string) error {
	need, what := MemoryEstimate(c, p, method)
	have := availableMemory()
	if have > 0 && need > have {
		return &ResourceError{Need: need, Have: have, What: what}
	}
	return nil
}

// availableMemory returns the bytes available to this process, or 0 if
// unknown.
func availableMemory() float64 {
	have := 0.0
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "MemAvailable:"); ok {
				if kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64); err == nil {
					have = kb * 1024
				}
			}
		}
	}
	if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if lim, err := strconv.ParseFloat(strings.TrimSpace(string(b)), 64); err == nil {
			cur := 0.0
			if b, err := os.ReadFile("/sys/fs/cgroup/memory.current"); err == nil {
				cur, _ = strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
			}
			if free := lim - cur; have == 0 || free < have {
				have = max(free, 1)
			}
		}
	}
	return have
}

// humanBytes writes n bytes with a binary prefix (KiB … EiB).
func humanBytes(n float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	i := 0
	for n >= 1024 && i+1 < len(units) {
		n /= 1024
		i++
	}
	if i+1 == len(units) && n >= 1024 {
		return fmt.Sprintf("%.3g EiB", n)
	}
	return fmt.Sprintf("%.3g %s", n, units[i])
}
