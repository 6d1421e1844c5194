package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smdlab/smd/sweep"
)

// TestMain lets the test binary stand in for smd (SMD_AS_MAIN=1), so that
// the Slurm test's array tasks run this very code.
func TestMain(m *testing.M) {
	if os.Getenv("SMD_AS_MAIN") == "1" { // as main does
		ctx, stop := notifyContext()
		code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	code := m.Run()
	if fig1Run.parent != "" { // sharedFig1's folder
		os.RemoveAll(fig1Run.parent)
	}
	os.Exit(code)
}

const sweepContract = `base: {spectrum: [1, 2], multiplicity: [1, 99], sigma: 1, eta: 0.1, lambda: 0.001,
       init: {std: 0.84}, steps: 20000, trials: 100, method: reduced}
grid: {eta: [0.1, 0.05], lambda: [0.001, 0.002]}
seeds: [1, 2]
`

// A point's series.csv is byte-identical to `smd simulate` on the point's
// config; run.json records the same resolved config. (Plumbing, not
// physics: 30 trials of 4000 steps.)
func TestSweepPointIsSimulate(t *testing.T) {
	dir := t.TempDir()
	small := strings.NewReplacer("trials: 100", "trials: 30", "steps: 20000", "steps: 4000").Replace(sweepContract)
	cfg := writeFile(t, filepath.Join(dir, "s.yaml"), small)
	out := filepath.Join(dir, "out")
	if code, _, stderr := runCLI(t, "sweep", "run", "--config", cfg, "--out", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	sw, err := sweep.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := sw.Points[5] // eta 0.05, lambda 0.001, seed 2
	if *p.Config.Eta != 0.05 || *p.Config.Lambda != 0.001 || p.Config.Seed != 2 {
		t.Fatalf("point 5 is %v", p.Params)
	}
	one := writeFile(t, filepath.Join(dir, "one.yaml"), `{spectrum: [1, 2], multiplicity: [1, 99], sigma: 1, eta: 0.05, lambda: 0.001,
       init: {std: 0.84}, steps: 4000, trials: 30, method: reduced, seed: 2}`)
	simOut := filepath.Join(dir, "sim")
	if code, _, stderr := runCLI(t, "simulate", "--config", one, "--out", simOut, "--workers", "1"); code != 0 {
		t.Fatalf("simulate exit %d: %s", code, stderr)
	}
	if !bytes.Equal(readFile(t, filepath.Join(simOut, "series.csv")), readFile(t, filepath.Join(sweep.PointDir(out, p.ID), "series.csv"))) {
		t.Fatal("the point's series.csv differs from smd simulate's")
	}
	if !bytes.Contains(readFile(t, filepath.Join(sweep.PointDir(out, p.ID), "run.json")), []byte(`"program": "smd sweep run"`)) {
		t.Error("run.json does not name smd sweep run")
	}
	// Collect, then plot.
	if code, _, stderr := runCLI(t, "sweep", "collect", out); code != 0 {
		t.Fatalf("collect exit %d: %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "sweep", "plot", out, "--x", "lambda_eta", "--by", "eta", "--logx"); code != 0 {
		t.Fatalf("plot exit %d: %s", code, stderr)
	}
	if b := readFile(t, filepath.Join(out, "risk-over-lambda_eta-by-eta.png")); len(b) < 10000 {
		t.Fatalf("PNG of %d bytes", len(b))
	}
	if code, _, stderr := runCLI(t, "sweep", "plot", out, "--x", "eta", "--heat", "lambda", "--y", "norm"); code != 0 {
		t.Fatalf("heat plot exit %d: %s", code, stderr)
	}
}

func TestSweepBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, filepath.Join(dir, "bad.yaml"), strings.Replace(sweepContract, "0.002]", "20]", 1))
	out := filepath.Join(dir, "out")
	for _, args := range [][]string{
		{"sweep", "run", "--config", bad, "--out", out},
		{"sweep", "slurm", "--config", bad, "--out", out, "--tasks", "2"},
		{"sweep", "k8s", "--config", bad, "--out", "o", "--tasks", "2", "--image", "i"},
	} {
		code, _, stderr := runCLI(t, args...)
		if code != 2 || !strings.Contains(stderr, "bad.yaml:3: point eta=0.1 lambda=20 seed=1: lambda: λη = 2 must be < 1") || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q", args[1], code, stderr)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Error("bad input created the output folder")
	}
	good := writeFile(t, filepath.Join(dir, "good.yaml"), sweepContract)
	for _, shard := range []string{"2/2", "-1/3", "a/b", "1"} {
		if code, _, stderr := runCLI(t, "sweep", "run", "--config", good, "--out", out, "--shard", shard); code != 2 || !strings.Contains(stderr, "--shard") {
			t.Errorf("--shard %s: exit %d, %q", shard, code, stderr)
		}
	}
	if code, _, stderr := runCLI(t, "sweep", "collect", dir); code != 2 || !strings.Contains(stderr, "not a sweep folder") {
		t.Errorf("collect of a non-sweep: exit %d, %q", code, stderr)
	}
}

// freePorts returns a port p with p and p+1 free on 127.0.0.1.
func freePorts(t *testing.T) int {
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := l.Addr().(*net.TCPAddr).Port
		l2, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p+1))
		l.Close()
		if err == nil {
			l2.Close()
			return p
		}
	}
	t.Fatal("no two consecutive free ports")
	return 0
}

// A real one-node Slurm cluster (scripts/slurm-local.sh) runs the script
// of `smd sweep slurm` as a 4-task job array; the collected summary equals
// a local run's byte for byte.
func TestSweepSlurm(t *testing.T) {
	for _, b := range []string{"slurmctld", "slurmd", "sbatch", "squeue", "munged", "mungekey"} {
		if _, err := exec.LookPath(b); err != nil {
			t.Skipf("%s not found: needs the Debian packages slurm-wlm and munge (apt-get install slurm-wlm munge)", b)
		}
	}
	if os.Getuid() != 0 {
		t.Skip("the one-node Slurm cluster needs root (slurmd)")
	}
	script, err := filepath.Abs("../../scripts/slurm-local.sh")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cluster := filepath.Join(dir, "cluster")
	env := append(os.Environ(), fmt.Sprintf("SLURM_LOCAL_PORT=%d", freePorts(t)), "SLURM_CONF="+filepath.Join(cluster, "slurm.conf"), "SMD_AS_MAIN=1")
	sh := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return string(out)
	}
	t0 := time.Now()
	t.Cleanup(func() {
		cmd := exec.Command(script, "stop", cluster)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("stopping the cluster: %v\n%s", err, out)
		}
	})
	sh(script, "start", cluster)
	up := time.Since(t0)

	cfg := writeFile(t, filepath.Join(dir, "contract.yaml"), sweepContract)
	out := filepath.Join(dir, "slurm-out")
	code, batch, stderr := runCLI(t, "sweep", "slurm", "--config", cfg, "--out", out, "--tasks", "4", "--cpus", "1", "--time", "00:10:00")
	if code != 0 {
		t.Fatalf("sweep slurm exit %d: %s", code, stderr)
	}
	batchFile := writeFile(t, filepath.Join(dir, "sweep.sbatch"), batch)
	jid := strings.TrimSpace(sh("sbatch", "--parsable", batchFile))
	// sbatch --wait polls slowly; squeue shows the array until it ends.
	deadline := time.Now().Add(3 * time.Minute)
	for strings.TrimSpace(sh("squeue", "-h", "-j", jid)) != "" {
		if time.Now().After(deadline) {
			t.Fatalf("array %s not done after 3 min:\n%s", jid, sh("squeue", "-j", jid))
		}
		time.Sleep(200 * time.Millisecond)
	}
	states := sh("scontrol", "-o", "show", "job", jid)
	if n := strings.Count(states, "JobState=COMPLETED"); n != 4 {
		t.Fatalf("%d of 4 array tasks COMPLETED:\n%s", n, states)
	}
	logs, _ := filepath.Glob(filepath.Join(out, "slurm", jid+"_*.out"))
	if len(logs) != 4 {
		t.Fatalf("%d task logs, want 4", len(logs))
	}
	t.Logf("fresh cluster up in %v; cluster + 4-task array done in %v", up.Round(time.Millisecond), time.Since(t0).Round(time.Millisecond))
	if code, _, stderr := runCLI(t, "sweep", "collect", out); code != 0 {
		t.Fatalf("collect exit %d: %s", code, stderr)
	}

	local := filepath.Join(dir, "local-out")
	if code, _, stderr := runCLI(t, "sweep", "run", "--config", cfg, "--out", local); code != 0 {
		t.Fatalf("local run exit %d: %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "sweep", "collect", local); code != 0 {
		t.Fatalf("collect exit %d: %s", code, stderr)
	}
	for _, f := range []string{"summary.csv", "summary.json", "sweep.json"} {
		if !bytes.Equal(readFile(t, filepath.Join(out, f)), readFile(t, filepath.Join(local, f))) {
			t.Errorf("%s from Slurm differs from the local run's", f)
		}
	}
	if s := string(readFile(t, filepath.Join(out, "summary.csv"))); strings.Count(s, ",ok,") != 8 || strings.Count(s, ",supported\n") != 8 {
		t.Errorf("summary:\n%s", s)
	}
}

// Ctrl-C stops a sweep cleanly (exit 1, no half-written file); a rerun
// resumes: it runs only the points not yet written.
func TestSweepInterrupt(t *testing.T) {
	dir := t.TempDir()
	// The contract's points take ≈ 0.1 s each on one worker: the interrupt,
	// sent within 20 ms of the first point's run.json, lands with six or
	// seven points to go.
	cfg := writeFile(t, filepath.Join(dir, "s.yaml"), sweepContract)
	out := filepath.Join(dir, "out")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "sweep", "run", "--config", cfg, "--out", out, "--workers", "1")
	cmd.Env = append(os.Environ(), "SMD_AS_MAIN=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Interrupt once the first point is written.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if m, _ := filepath.Glob(filepath.Join(out, "points", "*", "run.json")); len(m) > 0 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("no point written after 2 min")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(os.Interrupt)
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 || !strings.Contains(stderr.String(), "interrupted after") {
		t.Fatalf("interrupted sweep: %v, stderr:\n%s", err, stderr.String())
	}
	tmp, _ := filepath.Glob(filepath.Join(out, "points", "*", ".*tmp*"))
	done, _ := filepath.Glob(filepath.Join(out, "points", "*", "run.json"))
	if len(tmp) > 0 || len(done) == 0 || len(done) == 8 {
		t.Fatalf("after the interrupt: %d temporary files, %d of 8 points done", len(tmp), len(done))
	}
	code, _, errs := runCLI(t, "sweep", "run", "--config", cfg, "--out", out)
	if code != 0 || !strings.Contains(errs, fmt.Sprintf("ran=%d skipped=%d", 8-len(done), len(done))) {
		t.Fatalf("resume: exit %d, want ran=%d skipped=%d:\n%s", code, 8-len(done), len(done), errs)
	}
}
