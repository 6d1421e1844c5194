// Package tmpfs gives tests a tiny file system that fills up: a real
// ENOSPC for the full-disk tests of issue 12 (class 6).
package tmpfs
