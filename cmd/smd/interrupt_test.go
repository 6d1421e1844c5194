package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/smdlab/smd/experiment"
)

// interruptConfig writes a config whose run takes far longer than the test
// waits (10⁹ trial-steps).
func interruptConfig(t *testing.T, recordEvery string) string {
	t.Helper()
	body := "spectrum: [1, 2]\nmultiplicity: [1, 3]\nsigma: 1\neta: 0.1\nlambda: 0.001\ninit: {std: 1}\nsteps: 250000000\ntrials: 4\nmethod: full\nrecord_every: " + recordEvery + "\n"
	return writeFile(t, filepath.Join(t.TempDir(), "long.yaml"), body)
}

// An interrupted simulate stops within a second — also inside one huge
// record block — writes the rows completed so far with "partial": true and
// the reason in run.json, and exits 130 (issue 12 class 5). Before, it
// wrote nothing and exited 1.
func TestSimulateInterrupt(t *testing.T) {
	for _, every := range []string{"1000", "250000000"} {
		out := filepath.Join(t.TempDir(), "out")
		ctx, cancel := context.WithCancelCause(context.Background())
		time.AfterFunc(500*time.Millisecond, func() { cancel(&interrupted{syscall.SIGINT}) })
		var so, se bytes.Buffer
		start := time.Now()
		code := run(ctx, []string{"simulate", "--config", interruptConfig(t, every), "--out", out}, &so, &se)
		took := time.Since(start)
		if code != 130 || !strings.HasSuffix(se.String(), "smd: interrupted by SIGINT\n") {
			t.Fatalf("record_every %s: exit %d, stderr %q; want 130 and a last line \"smd: interrupted by SIGINT\"", every, code, se.String())
		}
		if took > 1500*time.Millisecond {
			t.Errorf("record_every %s: stopped %v after the start, 1 s after the interrupt at 0.5 s is the limit", every, took)
		}
		var info experiment.RunInfo
		readJSON(t, filepath.Join(out, "run.json"), &info)
		rows := readCSV(t, filepath.Join(out, "series.csv"))
		if !info.Partial || !strings.HasPrefix(info.PartialReason, "interrupted by SIGINT after ") {
			t.Errorf("record_every %s: run.json partial %v, reason %q", every, info.Partial, info.PartialReason)
		}
		if every == "1000" && (len(rows) < 2 || len(rows) > 250000) {
			t.Errorf("record_every 1000: %d CSV lines, want a header and some but not all of 250001 rows", len(rows))
		}
		if every != "1000" && len(rows) != 1 {
			t.Errorf("record_every %s: %d CSV lines, want the header only (no block completed)", every, len(rows))
		}
	}
}

// The real signals, through main's wiring: SIGTERM exits 143 with the
// partial outputs written.
func TestSimulateSIGTERM(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "simulate", "--config", interruptConfig(t, "1000"), "--out", out)
	cmd.Env = append(os.Environ(), "SMD_AS_MAIN=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitCatches(t, cmd.Process.Pid, syscall.SIGTERM)
	time.Sleep(300 * time.Millisecond) // the Go runtime may catch it before main's Notify: give main time
	cmd.Process.Signal(syscall.SIGTERM)
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 143 || !strings.Contains(stderr.String(), "interrupted by SIGTERM") {
		t.Fatalf("SIGTERM: %v, stderr:\n%s", err, stderr.String())
	}
	var info experiment.RunInfo
	readJSON(t, filepath.Join(out, "run.json"), &info)
	if !info.Partial {
		t.Errorf("run.json after SIGTERM: partial = false")
	}
}

// waitCatches waits until process pid catches sig (Linux: the SigCgt mask
// of /proc/PID/status), so that the signal is not sent before main's
// handler is installed; elsewhere it waits a second.
func waitCatches(t *testing.T, pid int, sig syscall.Signal) {
	t.Helper()
	status := filepath.Join("/proc", strconv.Itoa(pid), "status")
	if _, err := os.Stat(status); err != nil {
		time.Sleep(time.Second)
		return
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		b := readFile(t, status)
		for _, line := range strings.Split(string(b), "\n") {
			if mask, ok := strings.CutPrefix(line, "SigCgt:"); ok {
				if m, err := strconv.ParseUint(strings.TrimSpace(mask), 16, 64); err == nil && m&(1<<(sig-1)) != 0 {
					return
				}
			}
		}
	}
	t.Fatalf("process %d does not catch %v after 30 s", pid, sig)
}
