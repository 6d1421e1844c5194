// Command smd simulates, predicts and measures spherical motion dynamics
// (SMD) of SGD with weight decay on the Noisy Rayleigh Quotient (NRQ) and
// on real normalized networks. Run `smd --help` for the subcommands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/alecthomas/kong"

	"github.com/smdlab/smd"
	"github.com/smdlab/smd/experiment"
	"github.com/smdlab/smd/internal/crash"
)

func main() {
	ctx, stop := notifyContext()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// notifyContext returns a context cancelled, with an *interrupted cause,
// by the first SIGINT or SIGTERM; a second one kills the process at once
// (the default action, restored after the first).
func notifyContext() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case s := <-ch:
			signal.Stop(ch)
			cancel(&interrupted{s})
		case <-ctx.Done():
		}
	}()
	return ctx, func() { signal.Stop(ch); cancel(nil) }
}

// interrupted is the cause of a context cancelled by a signal: run exits
// with 128 + the signal number (130 for SIGINT, 143 for SIGTERM).
type interrupted struct{ sig os.Signal }

func (e *interrupted) Error() string {
	if e.sig == syscall.SIGTERM {
		return "interrupted by SIGTERM"
	}
	return "interrupted by SIGINT"
}

func (e *interrupted) code() int {
	if s, ok := e.sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 130
}

// Globals is what every subcommand's Run method receives.
type Globals struct {
	Ctx    context.Context
	Stdout io.Writer
	Stderr io.Writer
	// Log writes structured progress lines to Stderr.
	Log *slog.Logger
	// Interactive reports whether Stderr is a terminal (progress bars)
	// rather than a file or pipe (periodic log lines).
	Interactive bool
}

// cli is the whole command line. Each subcommand lives in its own file.
type cli struct {
	Simulate  SimulateCmd  `cmd:"" help:"Simulate an NRQ/NQM ensemble from a YAML config; writes series.csv and run.json."`
	Reproduce ReproduceCmd `cmd:"" help:"Regenerate the paper's NRQ figures (1 and 2) with theory overlaid; writes PNG, SVG, CSV and index.html with the measured claims."`
	Plot      PlotCmd      `cmd:"" help:"Plot simulate or train output folders as the paper's panels, with SE bands and the theory of each run's config; overlay several runs."`
	Theory    TheoryCmd    `cmd:"" help:"Print the closed-form predictions (corrected, and as printed in the paper) for a config."`
	Train     TrainCmd     `cmd:"" help:"Train a normalized network (ResNet18/50, small CNN) with SGD and weight decay; measure per-layer angular updates."`
	Measure   MeasureCmd   `cmd:"" help:"Measure angular updates, norms and scale invariance of any training run from its safetensors checkpoints."`
	Verify    VerifyCmd    `cmd:"" help:"Check every closed-form result against simulation; writes report.md and report.csv."`
	Explore   ExploreCmd   `cmd:"" help:"Write (and with --serve, serve) a static site that runs the simulate engines in the browser as WebAssembly, with theory overlays."`
	Sweep     SweepCmd     `cmd:"" help:"Sweeps and phase diagrams: run a grid of configs locally or as a Slurm/Kubernetes job array, collect, plot."`
	Version   VersionCmd   `cmd:"" help:"Print the program version."`

	VersionFlag versionFlag `name:"version" help:"Print the program version and exit."`
}

// versionFlag is --version: it prints what `smd version` prints and exits 0.
type versionFlag bool

// BeforeReset runs when kong sees the flag, before any validation.
func (versionFlag) BeforeReset(app *kong.Kong) error {
	fmt.Fprintln(app.Stdout, smd.Version())
	app.Exit(0)
	return nil
}

// usageError marks bad input: exit code 2, one line on stderr.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// badInput wraps err so that run exits with code 2.
func badInput(err error) error {
	if err == nil {
		return nil
	}
	return usageError{err}
}

// run parses args, runs the subcommand and returns the exit code:
// 0 success, 1 runtime failure, 2 bad input, 130 (143) interrupted by
// SIGINT (SIGTERM): ctx cancelled with an *interrupted cause.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) (code int) {
	defer func() { // a panic never reaches the user as a stack trace
		if r := recover(); r != nil {
			fmt.Fprintln(stderr, internalError(r, args))
			code = 1
		}
	}()
	var c cli
	exitCode := -1
	parser, err := kong.New(&c,
		kong.Name("smd"),
		kong.Description("smd: spherical motion dynamics of SGD with weight decay on the Noisy Rayleigh Quotient and real normalized networks."),
		kong.Writers(stdout, stderr),
		kong.Exit(func(code int) { exitCode = code }),
		kong.UsageOnError(),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
		kong.Vars{"methods": strings.Join(experiment.Methods, ", ")},
	)
	if err != nil {
		fmt.Fprintf(stderr, "smd: %v\n", err)
		return 1
	}
	if len(args) == 0 { // `smd` alone: the full list of commands, not kong's truncated one
		args = []string{"--help"}
	}
	kctx, err := parser.Parse(args)
	if exitCode >= 0 { // --help or a parse error already handled by kong
		return exitCode
	}
	if err != nil {
		fmt.Fprintf(stderr, "smd: %v\n", err)
		return 2
	}
	g := &Globals{Ctx: ctx, Stdout: stdout, Stderr: stderr, Interactive: isTerminal(stderr)}
	g.Log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if err := kctx.Run(g); err != nil {
		var in *interrupted
		if errors.As(context.Cause(ctx), &in) && ctx.Err() != nil {
			msg := err.Error()
			if m, ok := strings.CutSuffix(msg, context.Canceled.Error()); ok {
				msg = m + in.Error() // "context canceled" says less
			}
			fmt.Fprintf(stderr, "smd: %s\n", msg)
			return in.code()
		}
		fmt.Fprintf(stderr, "smd: %v\n", err)
		var ue usageError
		if errors.As(err, &ue) {
			return 2
		}
		return 1
	}
	return 0
}

// internalError is the one line a panic r becomes: "smd: internal error:
// VALUE, please report", and where its stack was saved (a file
// smd-crash-*.txt in the temporary directory, with the version and the
// arguments). A panic of a worker goroutine arrives as a *crash.Panic
// (package internal/crash) carrying the worker's stack.
func internalError(r any, args []string) string {
	stack := debug.Stack()
	if p, ok := r.(*crash.Panic); ok {
		r, stack = p.Value, p.Stack
	}
	line := "smd: internal error: " + strings.Join(strings.Fields(fmt.Sprint(r)), " ") + ", please report"
	f, err := os.CreateTemp("", "smd-crash-*.txt")
	if err != nil {
		return line + " (the stack could not be saved: " + err.Error() + ")"
	}
	fmt.Fprintf(f, "%s\nsmd %s\npanic: %v\n\n%s", smd.Version(), strings.Join(args, " "), r, stack)
	if err := f.Close(); err != nil {
		return line + " (the stack could not be saved: " + err.Error() + ")"
	}
	return line + " with the stack in " + f.Name()
}

// interruptedBy returns the signal that cancelled ctx (an *interrupted, whose
// message is "interrupted by SIGINT"), or nil.
func interruptedBy(ctx context.Context) error {
	var in *interrupted
	if ctx.Err() != nil && errors.As(context.Cause(ctx), &in) {
		return in
	}
	return nil
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
