package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/smdlab/smd"
	"github.com/smdlab/smd/cmd/smd/internal/progress"
	"github.com/smdlab/smd/experiment"
	"github.com/smdlab/smd/internal/outdir"
	"github.com/smdlab/smd/train"
)

// TrainCmd is `smd train`.
type TrainCmd struct {
	Preset        string  `help:"Preset: cifar10-small, cifar10-resnet18 (Figure 3), imagenet-resnet50 (Figure 4) or fashion-mlp (Figure 3 on Fashion-MNIST, smd reproduce fig3)." default:"cifar10-small" placeholder:"NAME"`
	Config        string  `help:"YAML file applied over the preset (unknown keys are errors; --print-config shows them all)." type:"path" placeholder:"FILE"`
	Data          string  `help:"Dataset directory: CIFAR-10 binary files (data_batch_1..5.bin, test_batch.bin); for imagenet train/ and val/ with one folder of JPEGs per class; for fashion-mnist the four IDX files (/usr/share/datasets/fashion-mnist from Debian's dataset-fashion-mnist)." type:"path" placeholder:"DIR"`
	Out           string  `help:"Output directory for series.csv, layers.csv, figure3.png/svg and run.json." default:"smd-train-out" type:"path" placeholder:"DIR"`
	Epochs        *int    `help:"Override the config's epochs."`
	Trials        *int    `help:"Override the config's trials (independent seeds averaged)."`
	StepsPerEpoch *int    `help:"Override the config's steps per epoch (0: one pass over the data)."`
	Seed          *uint64 `help:"Override the config's seed."`
	Synthetic     int     `help:"First write synthetic CIFAR-10-format data, N images per file, into --data (marked SYNTHETIC.txt; results say so). Only for cifar10." placeholder:"N"`
	PrintConfig   bool    `help:"Print the resolved config as YAML and exit." name:"print-config"`
	SaveCkpt      int     `name:"save-checkpoints" help:"Save the state as safetensors every N steps plus the following step (and the one after with momentum) into --out/checkpoints/trial-<i>/, for smd measure." placeholder:"N"`
}

// Help is shown by `smd train --help`.
func (TrainCmd) Help() string {
	return `Trains a normalized network with plain SGD (optional momentum) and weight decay,
and measures its spherical motion dynamics every measure_every steps: per
scale-invariant layer (a convolution followed by batch norm) the angular update
AU = angle(w_t, w_t+1), the norm |w_t| and the effective learning rate eta/|w_t|^2;
the mean AU against sqrt(2*lambda*eta/(1+mu)); training loss and test accuracy per
epoch, averaged over trials.

Outputs in --out: series.csv (per epoch), layers.csv (step, layer, au, norm, lr, eff_lr),
figure3.png and figure3.svg (the paper's Figure 3 panels), run.json (resolved
config, seed, version, backend, wall time). The computation runs on the pure-Go
backend unless GOMLX_BACKEND selects another (see docs/train.md). Bad input: one
line on stderr, exit code 2, nothing written.`
}

// Run trains.
func (t *TrainCmd) Run(g *Globals) error {
	cfg, err := train.Preset(t.Preset)
	if err != nil {
		return badInput(fmt.Errorf("--preset: %w", err))
	}
	if t.Config != "" {
		f, err := os.Open(t.Config)
		if err != nil {
			return badInput(fmt.Errorf("--config: %w", err))
		}
		cfg, err = train.ReadConfig(f, cfg)
		f.Close()
		if err != nil {
			return badInput(fmt.Errorf("--config %s: %w", t.Config, err))
		}
	}
	override(&cfg.Epochs, t.Epochs)
	override(&cfg.Trials, t.Trials)
	override(&cfg.StepsPerEpoch, t.StepsPerEpoch)
	override(&cfg.Seed, t.Seed)
	if err := cfg.Validate(); err != nil {
		return badInput(fmt.Errorf("config: %w", err))
	}
	if t.PrintConfig {
		enc := yaml.NewEncoder(g.Stdout)
		defer enc.Close()
		return enc.Encode(cfg)
	}
	if t.Data == "" {
		return badInput(errors.New("--data: required (a dataset directory; with --synthetic N, where to write synthetic data)"))
	}
	if t.SaveCkpt < 0 {
		return badInput(fmt.Errorf("--save-checkpoints: %d, want N ≥ 1 steps", t.SaveCkpt))
	}
	if t.Synthetic < 0 {
		return badInput(fmt.Errorf("--synthetic: %d, want N ≥ 1 images per file", t.Synthetic))
	}
	if t.Synthetic > 0 {
		if cfg.Dataset != train.DataCIFAR10 {
			return badInput(fmt.Errorf("--synthetic: only for cifar10 data, but the config's dataset is %s", cfg.Dataset))
		}
		if err := train.CheckCIFAR(t.Data); err == nil && !train.IsSynthetic(t.Data) {
			return badInput(fmt.Errorf("--synthetic: %s holds CIFAR-10 files not marked synthetic; refusing to overwrite them", t.Data))
		}
	}
	if err := experiment.PrepareOutDir(t.Out); err != nil {
		return badInput(err)
	}
	if t.Synthetic == 0 {
		if err := checkData(cfg, t.Data); err != nil {
			return badInput(fmt.Errorf("--data: %w", err))
		}
	}

	if t.Synthetic > 0 {
		if err := train.WriteSyntheticCIFAR(t.Data, t.Synthetic, 1, 0.1); err != nil {
			return err
		}
		g.Log.Info("wrote synthetic CIFAR-10-format data (not CIFAR-10)", "dir", t.Data, "images_per_file", t.Synthetic)
	}
	trainSet, testSet, err := loadData(cfg, t.Data)
	if err != nil {
		if errors.Is(err, train.ErrMissingData) || errors.Is(err, train.ErrBadData) {
			return badInput(fmt.Errorf("--data: %w", err))
		}
		return err
	}
	if trainSet.Len() < cfg.BatchSize {
		return badInput(fmt.Errorf("config: batch_size: %d, but %s has only %d training images", cfg.BatchSize, t.Data, trainSet.Len()))
	}
	synthetic := cfg.Dataset == train.DataCIFAR10 && train.IsSynthetic(t.Data)
	if synthetic {
		g.Log.Warn("data are SYNTHETIC (CIFAR-10 format, not CIFAR-10): accuracies say nothing about CIFAR-10", "dir", t.Data)
	}
	spe := cfg.StepsPerEpoch
	if spe == 0 {
		spe = trainSet.Len() / cfg.BatchSize
	}
	set, err := outdir.Create(t.Out) // the outputs appear together at the end (issue 12 class 6)
	if err != nil {
		return err
	}
	defer set.Discard()
	started := time.Now()
	rep := progress.New(g.Stderr, g.Log, g.Interactive, "train "+t.Preset, int64(cfg.Trials*cfg.Epochs*spe), 5*time.Second)
	// A step of the paper's networks takes seconds to minutes on a CPU;
	// say so when none has finished for stallAfter.
	defer rep.Watch(stallAfter)()
	var ckpt *train.Checkpoints
	if t.SaveCkpt > 0 {
		ckpt = &train.Checkpoints{Dir: set.Path("checkpoints"), Every: t.SaveCkpt}
	}
	res, err := train.Run(g.Ctx, cfg, trainSet, testSet, train.Options{
		Checkpoints: ckpt,
		Progress: func(p train.Progress) {
			rep.SetExtra(fmt.Sprintf("trial=%d loss=%.3f au=%.4f theory=%.4f", p.Trial+1, p.Loss, p.MeanAU, p.Theory))
			rep.Update(int64(p.Done))
		},
	})
	meta := train.Meta{Version: smd.Version(), Preset: t.Preset, ConfigFile: t.Config, DataDir: t.Data, Synthetic: synthetic, Started: started.UTC()}
	if in := interruptedBy(g.Ctx); err != nil && in != nil { // write the finished epochs and checkpoints
		if res != nil {
			if werr := train.WriteOutputs(set.Dir(), res, meta); werr != nil {
				return werr
			}
		} else if _, serr := os.Stat(set.Path("checkpoints")); serr != nil {
			return err // nothing finished: nothing written
		} else if werr := train.WriteCheckpointsOnly(set.Dir(), cfg, meta, fmt.Sprintf("%v before the first epoch finished: checkpoints only", in)); werr != nil {
			return werr
		}
		if cerr := set.Commit(); cerr != nil {
			return cerr
		}
		reason := "before the first epoch finished"
		if res != nil {
			reason = res.Partial
		}
		g.Log.Warn("train interrupted: the finished epochs and checkpoints written", "out", t.Out, "reason", reason)
		return err
	}
	if err != nil {
		var de *train.DivergedError
		if errors.As(err, &de) {
			return fmt.Errorf("%w (lower eta or lambda)", err)
		}
		return err
	}
	rep.Done()
	if err := train.WriteOutputs(set.Dir(), res, meta); err != nil {
		return err
	}
	if err := set.Commit(); err != nil {
		return err
	}
	for _, w := range res.Warnings {
		g.Log.Warn(w)
	}
	last := res.Epochs[len(res.Epochs)-1]
	g.Log.Info("train done", "out", t.Out, "backend", res.Backend, "synthetic", synthetic,
		"wall", res.Wall.Round(time.Millisecond), "s_per_step", fmt.Sprintf("%.3g", res.StepSeconds),
		"final_test_acc", fmt.Sprintf("%.4f", last.TestAcc),
		"last_epoch_mean_au", fmt.Sprintf("%.4g±%.2g", last.MeanAU, last.MeanAUSD),
		"au_theory", fmt.Sprintf("%.4g", last.AUTheory))
	return nil
}

// stallAfter is how long `smd train` waits for a step before reporting a
// stall. The slowest supported case here, a batch-256 ResNet step on the
// pure-Go backend, takes minutes (docs/train.md), hence generous.
var stallAfter = 5 * time.Minute

// checkData reports the first missing dataset file or folder.
func checkData(cfg train.Config, dir string) error {
	switch cfg.Dataset {
	case train.DataCIFAR10:
		return train.CheckCIFAR(dir)
	case train.DataFashionMNIST:
		return train.CheckFashionMNIST(dir)
	}
	for _, sub := range []string{"train", "val"} {
		p := filepath.Join(dir, sub)
		if st, err := os.Stat(p); err != nil || !st.IsDir() {
			return fmt.Errorf("%w: %s (ImageNet layout: see docs/train.md)", train.ErrMissingData, p)
		}
	}
	return nil
}

func loadData(cfg train.Config, dir string) (trainSet, testSet train.Dataset, err error) {
	if cfg.Dataset == train.DataFashionMNIST {
		tr, te, err := train.LoadSplits(train.LoadFashionMNIST, dir)
		if err != nil {
			return nil, nil, err
		}
		return tr, te, nil
	}
	if cfg.Dataset == train.DataCIFAR10 {
		tr, te, err := train.LoadSplits(train.LoadCIFAR, dir)
		if err != nil {
			return nil, nil, err
		}
		tr.Augment = cfg.Augment
		return tr, te, nil
	}
	tr, err := train.LoadFolder(filepath.Join(dir, "train"), cfg.ImageSize)
	if err != nil {
		return nil, nil, err
	}
	te, err := train.LoadFolder(filepath.Join(dir, "val"), cfg.ImageSize)
	if err != nil {
		return nil, nil, err
	}
	if te.Classes() != tr.Classes() {
		return nil, nil, fmt.Errorf("%w: %s has %d class folders but %s has %d", train.ErrMissingData, filepath.Join(dir, "val"), te.Classes(), filepath.Join(dir, "train"), tr.Classes())
	}
	return tr, te, nil
}
