//go:build unix

package experiment

import (
	"os"
	"syscall"
)

// openMatrixFlags opens a matrix file without blocking: a FIFO swapped in
// after the Stat does not hang the open (the second Stat refuses it).
const openMatrixFlags = os.O_RDONLY | syscall.O_NONBLOCK
