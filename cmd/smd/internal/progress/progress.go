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
	shown       int64 // last value displayed, -1 before any
}

// New returns a Reporter for a task of total units. With interactive set it
// redraws a bar on w; otherwise it logs through log at most every `every`.
func New(w io.Writer, log *slog.Logger, interactive bool, label string, total int64, every time.Duration) *Reporter {
	now := time.Now()
	return &Reporter{w: w, log: log, interactive: interactive, label: label, total: total, start: now, last: now, every: every, shown: -1}
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
