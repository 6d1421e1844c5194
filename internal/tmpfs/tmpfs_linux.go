package tmpfs

import (
	"fmt"
	"syscall"
	"testing"
)

// Mount mounts a tmpfs of size bytes on a new temporary folder, unmounted
// when the test ends, and returns the folder. It skips the test under
// -short and where mounting is not permitted (it needs CAP_SYS_ADMIN).
func Mount(t *testing.T, size int) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: mounts a tmpfs")
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d", size)); err != nil {
		t.Skipf("cannot mount a tmpfs: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, 0) })
	return dir
}
