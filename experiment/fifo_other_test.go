//go:build !unix

package experiment

import "errors"

func mkfifo(string) error { return errors.New("no FIFOs on this system") }
