package train

import (
	"fmt"
	"os"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend" // the pure-Go backend, always available
)

// NewBackend returns the computation backend named by $GOMLX_BACKEND
// ("go", or "xla:cuda" / "xla:cpu" in a binary built with -tags xla and a
// PJRT plugin installed), and the pure-Go backend when it is unset.
func NewBackend() (b compute.Backend, err error) {
	config, ok := os.LookupEnv(compute.ConfigEnvVar)
	if !ok || config == "" {
		config = "go"
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
