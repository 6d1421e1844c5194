package repro

import (
	"context"
	"strings"
)

// Options are the settings `smd reproduce` passes to every target.
type Options struct {
	Trials  int    // trials per simulated curve
	Workers int    // worker goroutines (0: all cores); never changes the output
	Seed    uint64 // added to every preset's seed
	Out     string // the output directory (fig3 saves its trained results there)
	// Data is fig3's Fashion-MNIST directory ("": the Debian path);
	// Fig3StepsPerEpoch and Fig3TestSamples shorten its runs for tests (0:
	// whole epochs, the whole test set); Fig3From redraws it from a saved
	// fig3-results.gob.
	Data                               string
	Fig3StepsPerEpoch, Fig3TestSamples int
	Fig3From                           string
}

// Target is one figure `smd reproduce` can make.
type Target struct {
	Name string // the command-line argument, e.g. "fig2"
	// InAll: made by `smd reproduce all` (the default).
	InAll bool
	// Trials is the default number of trials per curve (0: 100).
	Trials int
	// Validate, if set, reports bad input (a missing dataset) before any
	// target runs.
	Validate func(o Options) error
	// Work returns the number of progress units Build reports (nil or 0:
	// no progress reporter).
	Work func(o Options) int64
	// Build runs the figure's simulations, checks its claims and returns
	// the figure and the runs recorded in run.json. progress (never nil) is
	// called with the units done so far.
	Build func(ctx context.Context, o Options, progress func(done int64)) (*Figure, []Run, error)
}

// Targets are the figures of `smd reproduce`, in output order. Register a
// new figure here (and document it in ReproduceCmd's help).
var Targets = []Target{
	{Name: "fig1", InAll: true, Build: buildFig1},
	{Name: "fig2", InAll: true, Work: fig2Work, Build: buildFig2},
	{Name: "periodic", Build: buildPeriodic},
	// Figure 3 trains 21 networks (≈ 20 minutes on two cores): only when asked for.
	{Name: "fig3", Trials: fig3DefaultTrials, Validate: validateFig3, Work: fig3Work, Build: buildFig3},
}

// Select returns the targets named by arg ("all": every InAll target).
func Select(arg string) ([]Target, bool) {
	var out []Target
	for _, t := range Targets {
		if t.Name == arg || (arg == "all" && t.InAll) {
			out = append(out, t)
		}
	}
	return out, len(out) > 0
}

// Names lists the valid arguments: every target's name and "all".
func Names() string {
	var s []string
	for _, t := range Targets {
		s = append(s, t.Name)
	}
	return strings.Join(append(s, "all"), ", ")
}
