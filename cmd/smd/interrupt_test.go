package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/smdlab/smd/experiment"
	"github.com/smdlab/smd/internal/outdir"
	"github.com/smdlab/smd/measure"
	"github.com/smdlab/smd/train"
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
// wrote nothing and exited 1. The interrupt comes 0.25 s after the start
// (before: 0.5 s; both runs are far from done then, and each of the two
// workers spins until it stops, so the wait is the test's CPU cost).
func TestSimulateInterrupt(t *testing.T) {
	for _, every := range []string{"1000", "250000000"} {
		out := filepath.Join(t.TempDir(), "out")
		ctx, cancel := context.WithCancelCause(context.Background())
		const at = 250 * time.Millisecond
		time.AfterFunc(at, func() { cancel(&interrupted{syscall.SIGINT}) })
		var so, se bytes.Buffer
		start := time.Now()
		code := run(ctx, []string{"simulate", "--config", interruptConfig(t, every), "--out", out}, &so, &se)
		took := time.Since(start)
		if code != 130 || !strings.HasSuffix(se.String(), "smd: interrupted by SIGINT\n") {
			t.Fatalf("record_every %s: exit %d, stderr %q; want 130 and a last line \"smd: interrupted by SIGINT\"", every, code, se.String())
		}
		if took > at+time.Second {
			t.Errorf("record_every %s: stopped %v after the start, 1 s after the interrupt at %v is the limit", every, took, at)
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
	cmd := smdCommand(t, "simulate", "--config", interruptConfig(t, "1000"), "--out", out) // on one core, as the other signal tests
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitCatches(t, cmd.Process.Pid, syscall.SIGTERM)
	time.Sleep(300 * time.Millisecond) // the Go runtime may catch it before main's Notify: give main time
	cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
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

// syncBuffer is a bytes.Buffer safe for a child's stderr and a poller.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// signalSmd runs the test binary as smd (TestMain, SMD_AS_MAIN=1: main's
// own signal wiring) on one core (GOMAXPROCS=1, to keep the tests' CPU
// cost down), sends sig once ready(stderr so far) holds, and returns the
// exit code, stderr and the time from the signal to the exit.
func signalSmd(t *testing.T, sig syscall.Signal, ready func(stderr string) bool, args ...string) (int, string, time.Duration) {
	t.Helper()
	cmd := smdCommand(t, args...)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitCatches(t, cmd.Process.Pid, sig)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for deadline := time.Now().Add(60 * time.Second); !ready(stderr.String()); time.Sleep(10 * time.Millisecond) {
		select {
		case err := <-done:
			t.Fatalf("smd %s ended (%v) before it was ready to be interrupted; stderr:\n%s", strings.Join(args, " "), err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("smd %s not ready after 60 s; stderr:\n%s", strings.Join(args, " "), stderr.String())
		}
	}
	sent := time.Now()
	cmd.Process.Signal(sig)
	err := <-done
	took := time.Since(sent)
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), stderr.String(), took
}

// smdCommand is the test binary as smd (TestMain, SMD_AS_MAIN=1) on one
// core.
func smdCommand(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), "SMD_AS_MAIN=1", "GOMAXPROCS=1")
	return cmd
}

// after returns a ready function that holds d after its creation.
func after(d time.Duration) func(string) bool {
	start := time.Now()
	return func(string) bool { return time.Since(start) > d }
}

// stopLimit is the stop latency beyond which an interrupt test fails (see
// checkInterrupted).
const stopLimit = 5 * time.Second

// checkInterrupted checks the common promises of class 5: the exit code of
// sig, a stop within a second, the last stderr line, and a run.json in out
// with "partial": true and a reason naming the signal. It returns run.json.
func checkInterrupted(t *testing.T, code int, stderr string, took time.Duration, sig syscall.Signal, out string) map[string]any {
	t.Helper()
	name, want := "SIGINT", 130
	if sig == syscall.SIGTERM {
		name, want = "SIGTERM", 143
	}
	if code != want || !strings.HasSuffix(stderr, "interrupted by "+name+"\n") || !strings.Contains(stderr, "interrupted: ") {
		t.Fatalf("exit %d, want %d, with a line saying where the partial outputs are and a last line ending \"interrupted by %s\"; stderr:\n%s", code, want, name, stderr)
	}
	// The promise is a stop within a second (README); a wall-clock bound
	// must not decide CI on a shared 2-core machine where go test runs
	// packages in parallel (house rule: no timed tests), so the latency is
	// logged and only a gross miss fails: every run signalled here would
	// go on for far longer than stopLimit (an endless train, 39 measure
	// pairs, the rest of verify's grid, Figure 2), and the exit code and
	// "partial" checks show that it did not.
	if took > time.Second {
		t.Logf("stopped %v after the signal (promise: within a second on an unloaded machine)", took)
	}
	if took > stopLimit {
		t.Errorf("stopped %v after the signal, want within a second (fails beyond %v)", took, stopLimit)
	}
	var info map[string]any
	readJSON(t, filepath.Join(out, "run.json"), &info)
	if reason, _ := info["partial_reason"].(string); info["partial"] != true || !strings.HasPrefix(reason, "interrupted by "+name+" ") {
		t.Errorf("run.json: partial %v, partial_reason %q", info["partial"], info["partial_reason"])
	}
	return info
}

// An interrupted verify writes the checks done so far (report.csv,
// report.md and run.json agree on their number) and exits 130. Before, it
// wrote nothing and exited 1. About 2.5 CPU-seconds: a case must finish
// before the signal, and the first progress line that says so comes after
// 2 s.
func TestVerifyInterrupt(t *testing.T) {
	out := filepath.Join(t.TempDir(), "v")
	// A progress line comes when a case is done, 2 s after the start at the
	// earliest.
	caseDone := func(stderr string) bool { return strings.Contains(stderr, "msg=verify done=") }
	code, stderr, took := signalSmd(t, syscall.SIGINT, caseDone, "verify", "--quick", "--out", out)
	info := checkInterrupted(t, code, stderr, took, syscall.SIGINT, out)
	rows := readCSV(t, filepath.Join(out, "report.csv"))
	if n, _ := info["checks"].(float64); len(rows) < 2 || int(n) != len(rows)-1 {
		t.Errorf("report.csv has %d rows, run.json says %v checks; want at least one, equal", len(rows)-1, info["checks"])
	}
	if md, _ := os.ReadFile(filepath.Join(out, "report.md")); !bytes.Contains(md, []byte("**Partial run: interrupted by SIGINT")) {
		t.Errorf("report.md does not say it is partial")
	}
}

// An interrupted reproduce (SIGTERM once Figure 1 is drawn) writes
// the finished figure (Figure 1) with an index.html that says partial, no
// panel of the unfinished figure, replaces the earlier run's folder as a
// whole (its fig2 panel goes with its manifest) and exits 143. Before, it
// wrote nothing and exited 1. About 2.5 CPU-seconds: Figure 1 must be
// simulated and drawn before the signal.
func TestReproduceInterrupt(t *testing.T) {
	out := filepath.Join(t.TempDir(), "figures")
	for name, body := range map[string]string{"index.html": "old", "run.json": "{}", "fig2a.png": "old", outdir.Manifest: "index.html\nrun.json\nfig2a.png\n", "mine.txt": "kept"} {
		if err := os.MkdirAll(out, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fig1Drawn := func(string) bool { // the combined image is the last file of a figure
		m, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".smd-tmp-*-figures", "fig1.svg"))
		return len(m) > 0
	}
	code, stderr, took := signalSmd(t, syscall.SIGTERM, fig1Drawn, "reproduce", "--out", out, "--trials", "2", "--workers", "1")
	info := checkInterrupted(t, code, stderr, took, syscall.SIGTERM, out)
	if reason, _ := info["partial_reason"].(string); !strings.HasSuffix(reason, "after 1 of 2 figures (finished: fig1)") {
		t.Errorf("partial_reason %q, want it to end \"after 1 of 2 figures (finished: fig1)\"", reason)
	}
	for _, name := range []string{"fig1.png", "fig1a.png", "fig1b.csv", "mine.txt"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("%s missing: %v", name, err)
		}
	}
	if m, _ := filepath.Glob(filepath.Join(out, "fig2*")); len(m) > 0 {
		t.Errorf("panels of the unfinished (or the earlier run's) Figure 2: %v", m)
	}
	index, _ := os.ReadFile(filepath.Join(out, "index.html"))
	if !bytes.Contains(index, []byte("Partial run:</strong> interrupted by SIGTERM")) || !bytes.Contains(index, []byte(`src="fig1a.png"`)) {
		t.Errorf("index.html does not say partial or does not show fig1a")
	}
}

// An interrupted train writes the finished epochs (here the first trial's)
// and the checkpoints saved so far, and exits 130. Before, it wrote nothing
// and exited 1.
func TestTrainInterrupt(t *testing.T) {
	dir, cfg, data, out := tinyTrain(t, "batch_size: 8\nmeasure_every: 1\ntest_samples: 16\n")
	// Ready when the checkpoint of step 4 exists: two epochs of 2 steps done.
	epoch2Done := func(string) bool {
		m, _ := filepath.Glob(filepath.Join(dir, ".smd-tmp-*-out", "checkpoints", "trial-0", "step-0000004.safetensors"))
		return len(m) > 0
	}
	code, stderr, took := signalSmd(t, syscall.SIGINT, epoch2Done, "train", "--preset", "cifar10-small", "--config", cfg, "--synthetic", "16",
		"--data", data, "--out", out, "--epochs", "100000", "--steps-per-epoch", "2", "--trials", "2", "--save-checkpoints", "1")
	info := checkInterrupted(t, code, stderr, took, syscall.SIGINT, out)
	if reason, _ := info["partial_reason"].(string); !strings.Contains(reason, "in trial 1 of 2") || !strings.Contains(reason, "the first trial's") {
		t.Errorf("partial_reason %q", reason)
	}
	series := readCSV(t, filepath.Join(out, train.SeriesFile))
	ckpts, _ := filepath.Glob(filepath.Join(out, "checkpoints", "trial-0", "*.safetensors"))
	if len(series) < 3 || len(ckpts) < 2*(len(series)-1) {
		t.Errorf("%d epochs in series.csv, %d checkpoints; want ≥ 2 epochs and a checkpoint per step of them", len(series)-1, len(ckpts))
	}
}

// An interrupted measure writes the pairs done and exits 143. Before, it
// wrote nothing and exited 1. The checkpoints are sparse files (16 MiB of
// zeros each, 16 tensors, no disk used) so that a pair takes a noticeable
// time; about 1.5 CPU-seconds.
func TestMeasureInterrupt(t *testing.T) {
	dir := t.TempDir()
	ck := filepath.Join(dir, "ckpt")
	os.Mkdir(ck, 0o755)
	const tensors, numel = 16, 256 << 10 // float32: 1 MiB a tensor
	var hdr strings.Builder
	hdr.WriteString(`{"__metadata__":{"step":"STEP","lr":"0.1","weight_decay":"0.01"}`)
	for k := range tensors {
		fmt.Fprintf(&hdr, `,"w%02d":{"dtype":"F32","shape":[%d],"data_offsets":[%d,%d]}`, k, numel, k*4*numel, (k+1)*4*numel)
	}
	hdr.WriteString("}")
	const files = 40
	for step := range files {
		h := strings.Replace(hdr.String(), "STEP", strconv.Itoa(step), 1)
		path := filepath.Join(ck, fmt.Sprintf("s%03d.safetensors", step))
		rawFile(t, path, h, nil)
		if err := os.Truncate(path, int64(8+len(h)+tensors*4*numel)); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "out")
	code, stderr, took := signalSmd(t, syscall.SIGTERM, after(time.Second), "measure", "--checkpoints", ck, "--out", out)
	info := checkInterrupted(t, code, stderr, took, syscall.SIGTERM, out)
	reason, _ := info["partial_reason"].(string)
	var pairs int
	if _, err := fmt.Sscanf(reason[strings.Index(reason, "after "):], "after %d of 39 pairs", &pairs); err != nil || pairs < 1 {
		t.Fatalf("partial_reason %q: want \"after N of 39 pairs\", N ≥ 1", reason)
	}
	if rows := readCSV(t, filepath.Join(out, measure.LayersFile)); len(rows) != 1+pairs*tensors {
		t.Errorf("layers.csv: %d rows, want %d pairs × %d tensors", len(rows)-1, pairs, tensors)
	}
}
