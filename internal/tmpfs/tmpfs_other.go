//go:build !linux

package tmpfs

import "testing"

// Mount skips the test: tmpfs is Linux's.
func Mount(t *testing.T, size int) string {
	t.Skip("tmpfs: Linux only")
	return ""
}
