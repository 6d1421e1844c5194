//go:build unix

package outdir

import (
	"errors"
	"syscall"
)

// alive reports whether process pid exists (kill(pid, 0): EPERM means it
// exists but is another user's).
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
