package train

import (
	"fmt"
	"os"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend" // the pure-Go backend, always available
)

// DefaultBackend is the backend used when $GOMLX_BACKEND is unset: the
// pure-Go backend with its operations run one at a time (each matmul still
// uses all cores).
//
// Its default, parallel executor can deadlock on our step graphs: every node
// runs in a slot of a shared pool of 2·GOMAXPROCS workers, and a matmul
// node waits inside its slot for free slots to fan out into; when as many
// independent matmuls as there are slots are ready at once (the input and
// kernel gradients of a convolution and of its residual shortcut are four)
// they all wait on each other. Measured here: ResNet18 steps hang with
// GOMLX_BACKEND=go:parallelism=2 and in the GOEXPERIMENT=simd build with
// the default pool (TestResNet18NoStall; docs/train.md). The sequential
// executor cannot (one node at a time, so one fan-out at a time).
const DefaultBackend = "go:ops_sequential"

// NewBackend returns the computation backend named by $GOMLX_BACKEND
// ("go", "go:ops_sequential", or "xla:cuda" / "xla:cpu" in a binary built
// with -tags xla and a PJRT plugin installed), and DefaultBackend when it
// is unset.
func NewBackend() (b compute.Backend, err error) {
	config, ok := os.LookupEnv(compute.ConfigEnvVar)
	if !ok || config == "" {
		config = DefaultBackend
	}
	var newErr error
	if err = catch(func() { b, newErr = compute.NewWithConfig(config) }); err == nil {
		err = newErr
	}
	if err != nil {
		return nil, fmt.Errorf("train: backend %s=%q (compiled in: %v): %w", compute.ConfigEnvVar, config, compute.List(), err)
	}
	return b, nil
}
