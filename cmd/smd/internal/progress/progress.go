// Package progress shows the progress of a long run: a redrawn bar on a
// terminal, or a structured log line every few seconds otherwise.
package progress

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/smdlab/smd/internal/crash"
)

// Reporter shows progress of a task measured in abstract units (steps, epochs).
// It is safe for concurrent use.
type Reporter struct {
	mu          sync.Mutex
	w           io.Writer
	log         *slog.Logger
	interactive bool
	label       string
	total       int64
	start       time.Time
	last        time.Time
	every       time.Duration
	extra       string
	shown       int64     // last value displayed, -1 before any
	lastCall    time.Time // last Update, displayed or not
	lastDone    int64     // its units
}

// New returns a Reporter for a task of total units. With interactive set it
// redraws a bar on w; otherwise it logs through log at most every `every`.
func New(w io.Writer, log *slog.Logger, interactive bool, label string, total int64, every time.Duration) *Reporter {
	now := time.Now()
	return &Reporter{w: w, log: log, interactive: interactive, label: label, total: total, start: now, last: now, every: every, shown: -1, lastCall: now}
}

// Watch reports a stall: whenever no Update has come for `after`, it says
// so (a line on a terminal, a warning log line otherwise), again every
// `after` while the stall lasts, so that a run that stopped advancing does
// not sit silent. The returned function stops the watch.
func (r *Reporter) Watch(after time.Duration) (stop func()) {
	quit := make(chan struct{})
	done := make(chan struct{})
	var crashed crash.Box // a panic here (in the writer) is re-raised by stop
	go func() {
		defer close(done)
		defer crashed.Catch()
		tick := time.NewTicker(after / 4)
		defer tick.Stop()
		warned := time.Time{}
		for {
			select {
			case <-quit:
				return
			case now := <-tick.C:
				r.mu.Lock()
				since := now.Sub(r.lastCall)
				if since >= after && now.Sub(warned) >= after && r.lastDone < r.total {
					warned = now
					if r.interactive {
						fmt.Fprintf(r.w, "\r%s: no progress for %s (at %d/%d)\x1b[K\n", r.label, since.Round(time.Second), r.lastDone, r.total)
					} else {
						r.log.Warn(r.label+": stalled", "no_progress_for", since.Round(time.Second), "done", r.lastDone, "total", r.total)
					}
				}
				r.mu.Unlock()
			}
		}
	}()
	return func() { close(quit); <-done; crashed.Rethrow() }
}

// SetExtra sets a short status string (e.g. "loss=0.31 au=0.014") shown with the bar.
func (r *Reporter) SetExtra(s string) {
	r.mu.Lock()
	r.extra = s
	r.mu.Unlock()
}

// SetTotal changes the total number of units.
func (r *Reporter) SetTotal(total int64) {
	r.mu.Lock()
	r.total = total
	r.mu.Unlock()
}

// Update reports that done units of total are complete.
func (r *Reporter) Update(done int64) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	r.lastCall, r.lastDone = now, done
	minGap := r.every
	if r.interactive {
		minGap = 100 * time.Millisecond
	}
	if (now.Sub(r.last) < minGap && done < r.total) || done == r.shown {
		return
	}
	r.last, r.shown = now, done
	frac := 0.0
	if r.total > 0 {
		frac = float64(done) / float64(r.total)
	}
	elapsed := now.Sub(r.start)
	eta := time.Duration(0)
	if frac > 0 {
		eta = time.Duration(float64(elapsed) * (1 - frac) / frac)
	}
	if r.interactive {
		const width = 30
		n := int(frac * width)
		bar := strings.Repeat("█", n) + strings.Repeat("░", width-n)
		fmt.Fprintf(r.w, "\r%s %s %5.1f%% %d/%d eta %s %s\x1b[K", r.label, bar, 100*frac, done, r.total, eta.Round(time.Second), r.extra)
		return
	}
	args := []any{"done", done, "total", r.total, "percent", fmt.Sprintf("%.1f", 100*frac), "elapsed", elapsed.Round(time.Millisecond), "eta", eta.Round(time.Second)}
	if r.extra != "" {
		args = append(args, "status", r.extra)
	}
	r.log.Info(r.label, args...)
}

// Done finishes the display (ends the bar's line on a terminal).
func (r *Reporter) Done() {
	if r == nil {
		return
	}
	r.Update(r.total)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.interactive {
		fmt.Fprintln(r.w)
	}
}
