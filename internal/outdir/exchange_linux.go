package outdir

import (
	"errors"

	"golang.org/x/sys/unix"
)

// exchange swaps the folders tmp and final in one step,
// renameat2(RENAME_EXCHANGE) (Linux ≥ 3.15), or by two renames where the
// file system does not support it.
func exchange(tmp, final string) error {
	err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, final, unix.RENAME_EXCHANGE)
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.ENOTSUP) {
		return swapByRenames(tmp, final)
	}
	return err
}
