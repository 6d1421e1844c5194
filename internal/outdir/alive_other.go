//go:build !unix

package outdir

import "os"

// alive reports whether process pid exists (os.FindProcess opens it on
// Windows and fails when there is none).
func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	p.Release()
	return true
}
