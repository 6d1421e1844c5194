package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/smdlab/smd/train"
)

func runSmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

// writeCIFAR writes a tiny synthetic CIFAR-10-format directory.
func writeCIFAR(t *testing.T, perFile int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "cifar")
	if err := train.WriteSyntheticCIFAR(dir, perFile, 1, 0.1); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestTrainBadInput(t *testing.T) {
	data := writeCIFAR(t, 8)
	if err := os.Remove(filepath.Join(data, "test_batch.bin")); err != nil {
		t.Fatal(err)
	}
	good := writeCIFAR(t, 8)
	realData := writeCIFAR(t, 8)
	if err := os.Remove(filepath.Join(realData, train.SyntheticMarker)); err != nil {
		t.Fatal(err)
	}
	badKey := filepath.Join(t.TempDir(), "bad.yaml")
	writeFile(t, badKey, "eta: 0.1\nlearning_rate: 3\n")
	badEta := filepath.Join(t.TempDir(), "eta.yaml")
	writeFile(t, badEta, "eta: -1\n")
	for _, c := range []struct {
		name string
		args []string
		want []string // substrings of the one stderr line
	}{
		{"missing data file", []string{"--data", data}, []string{"--data", filepath.Join(data, "test_batch.bin"), "not found"}},
		{"missing data dir", []string{"--data", filepath.Join(data, "nope")}, []string{"--data", "data_batch_1.bin", "not found"}},
		{"no data", nil, []string{"--data", "required"}},
		{"unknown preset", []string{"--preset", "mnist", "--data", good}, []string{"--preset", "mnist"}},
		{"unknown config key", []string{"--config", badKey, "--data", good}, []string{"--config", "learning_rate"}},
		{"negative eta", []string{"--config", badEta, "--data", good}, []string{"eta", "-1"}},
		{"zero epochs", []string{"--epochs", "0", "--data", good}, []string{"epochs", "0"}},
		{"synthetic imagenet", []string{"--preset", "imagenet-resnet50", "--synthetic", "4", "--data", good}, []string{"--synthetic", "cifar10"}},
		{"synthetic over real data", []string{"--synthetic", "4", "--data", realData}, []string{"--synthetic", "refusing"}},
		{"missing imagenet", []string{"--preset", "imagenet-resnet50", "--data", good}, []string{"--data", filepath.Join(good, "train"), "not found"}},
		{"batch larger than data", []string{"--preset", "cifar10-resnet18", "--data", good}, []string{"batch_size", "40 training images"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			code, stdout, stderr := runSmd(t, append([]string{"train", "--out", out}, c.args...)...)
			if code != 2 {
				t.Fatalf("exit %d, want 2; stderr:\n%s", code, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
			if len(lines) != 1 {
				t.Errorf("stderr has %d lines, want 1:\n%s", len(lines), stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q does not mention %q", stderr, w)
				}
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("out dir %s exists after bad input (stat: %v)", out, err)
			}
		})
	}
}

// tinyTrain makes a folder dir with the train config body as cfg, and
// names the data and output folders in it.
func tinyTrain(t *testing.T, body string) (dir, cfg, data, out string) {
	t.Helper()
	dir = t.TempDir()
	cfg = filepath.Join(dir, "tiny.yaml")
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, cfg, filepath.Join(dir, "data"), filepath.Join(dir, "out")
}

// TestTrainEndToEnd runs `smd train --synthetic` for a few steps of the
// small CNN and checks the outputs' shape and the synthetic-data flag.
func TestTrainEndToEnd(t *testing.T) {
	_, cfg, data, out := tinyTrain(t, "batch_size: 8\nmeasure_every: 2\ntest_samples: 16\nmilestones: [1]\nrescale: true\n")
	code, _, stderr := runSmd(t, "train", "--preset", "cifar10-small", "--config", cfg, "--synthetic", "16",
		"--data", data, "--out", out, "--epochs", "2", "--steps-per-epoch", "3", "--trials", "2")
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "SYNTHETIC") {
		t.Errorf("stderr does not say the data are synthetic:\n%s", stderr)
	}
	readOut := func(name string) [][]string { return readCSV(t, filepath.Join(out, name)) }
	series := readOut(train.SeriesFile)
	if len(series) != 1+2 {
		t.Errorf("series.csv has %d rows, want header + 2 epochs", len(series))
	}
	// η is 1 in epoch 1 and 1/5 in epoch 2 (milestone 1, decay factor 5).
	if series[1][2] != "1" || series[2][2] != "0.2" {
		t.Errorf("series.csv eta column %q, %q, want 1, 0.2", series[1][2], series[2][2])
	}
	layers := readOut(train.LayersFile)
	// Steps 0, 2, 4 measured; three scale-invariant convolutions.
	if len(layers) != 1+3*3 || strings.Join(layers[0], ",") != "step,layer,au,norm,lr,eff_lr" {
		t.Errorf("layers.csv: %d rows, header %v; want 1+9, step,layer,au,norm,lr,eff_lr", len(layers), layers[0])
	}
	var rj struct {
		Synthetic bool         `json:"synthetic"`
		Version   string       `json:"version"`
		Config    train.Config `json:"config"`
		Seed      uint64       `json:"seed"`
	}
	readJSON(t, filepath.Join(out, train.RunFile), &rj)
	if !rj.Synthetic || rj.Version == "" || rj.Config.Trials != 2 || rj.Config.BatchSize != 8 || rj.Seed != 1 {
		t.Errorf("run.json: synthetic %v version %q trials %d batch %d seed %d", rj.Synthetic, rj.Version, rj.Config.Trials, rj.Config.BatchSize, rj.Seed)
	}
	for _, f := range []string{train.PlotPNG, train.PlotSVG} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() < 1000 {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestTrainPrintConfig(t *testing.T) {
	code, stdout, stderr := runSmd(t, "train", "--preset", "cifar10-resnet18", "--epochs", "7", "--print-config")
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	c, err := train.ReadConfig(strings.NewReader(stdout), train.Config{})
	if err != nil {
		t.Fatal(err)
	}
	want := train.CIFAR10ResNet18()
	want.Epochs = 7
	if c.Model != want.Model || c.Epochs != 7 || c.Eta != want.Eta || c.Lambda != want.Lambda || len(c.Milestones) != 3 || c.Trials != want.Trials {
		t.Errorf("printed config reads back as %+v, want %+v", c, want)
	}
}
