//go:build xla

package train

// Built with -tags xla (and cgo), the XLA backend is compiled in; select it
// at run time with GOMLX_BACKEND=xla:cuda (or xla:cpu) where a PJRT plugin
// is installed.
import _ "github.com/gomlx/go-xla/compute/xla"
