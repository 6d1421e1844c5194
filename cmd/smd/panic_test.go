package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// panicWriter is a stderr that panics, once, at the first write holding
// trigger: an injected bug in whatever goroutine writes that line.
type panicWriter struct {
	mu      sync.Mutex
	trigger string
	fired   bool
	buf     bytes.Buffer
}

func (w *panicWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.fired && bytes.Contains(p, []byte(w.trigger)) {
		w.fired = true
		panic("injected\nbug")
	}
	return w.buf.Write(p)
}

// A panic anywhere under a command — in the command's goroutine
// (simulate's last log line) or in a worker goroutine (a sweep's progress
// line, written by the worker that finishes the last point) — reaches the
// user as one line "smd: internal error: …, please report" naming the file
// that holds the stack, and exit 1; never a Go stack trace. Before, the
// worker's panic ended the process with a stack trace and exit 2.
func TestPanicIsOneLine(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir) // where the stack file goes
	sweepCfg := writeFile(t, filepath.Join(dir, "s.yaml"), `base: {spectrum: [1, 2], sigma: 1, eta: 0.1, lambda: 0.001, init: {std: 1}, steps: 100, trials: 4}
grid: {eta: [0.1, 0.05]}
`)
	for _, c := range []struct {
		name, trigger, frame string
		args                 []string
	}{
		{"command goroutine", `msg="simulate done"`, "cmd/smd.(*SimulateCmd).Run", []string{"simulate", "--steps", "100", "--trials", "4", "--out", filepath.Join(dir, "sim")}},
		{"worker goroutine", `msg="sweep shard 0/1"`, "created by github.com/smdlab/smd/sweep.Run", []string{"sweep", "run", "--config", sweepCfg, "--out", filepath.Join(dir, "sweep"), "--workers", "2"}},
	} {
		w := &panicWriter{trigger: c.trigger}
		code := run(context.Background(), c.args, &bytes.Buffer{}, w)
		lines := strings.Split(strings.TrimSuffix(w.buf.String(), "\n"), "\n")
		last := lines[len(lines)-1]
		if !w.fired || code != 1 || !strings.HasPrefix(last, "smd: internal error: injected bug, please report with the stack in ") || strings.Contains(w.buf.String(), "goroutine ") {
			t.Errorf("%s: fired %v, exit %d, stderr:\n%s\nwant exit 1 and a last line \"smd: internal error: injected bug, please report with the stack in FILE\", no stack", c.name, w.fired, code, w.buf.String())
			continue
		}
		stack, err := os.ReadFile(strings.TrimPrefix(last, "smd: internal error: injected bug, please report with the stack in "))
		if err != nil || !bytes.Contains(stack, []byte("panicWriter")) || !bytes.Contains(stack, []byte(c.frame)) {
			t.Errorf("%s: stack file (%v) lacks the panicking frames panicWriter and %s:\n%s", c.name, err, c.frame, stack)
		}
	}
}
