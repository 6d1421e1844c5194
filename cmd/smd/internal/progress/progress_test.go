package progress

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smdlab/smd/internal/crash"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestWatchReportsStall checks that a run without updates is reported as
// stalled, on a terminal and in the log, and that a run that keeps
// updating is not.
func TestWatchReportsStall(t *testing.T) {
	for _, interactive := range []bool{true, false} {
		var buf syncBuf
		r := New(&buf, slog.New(slog.NewTextHandler(&buf, nil)), interactive, "train", 10, time.Hour)
		r.Update(3)
		stop := r.Watch(40 * time.Millisecond)
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(buf.String(), "at 3/10") && !strings.Contains(buf.String(), "stalled") && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		stop()
		out := buf.String()
		if interactive && !strings.Contains(out, "no progress for") || !interactive && !(strings.Contains(out, "stalled") && strings.Contains(out, "done=3")) {
			t.Errorf("interactive=%v: no stall report in %q", interactive, out)
		}
	}
	// Updates more often than the stall time: nothing reported.
	var buf syncBuf
	r := New(&buf, slog.New(slog.NewTextHandler(&buf, nil)), false, "train", 1000, time.Hour)
	stop := r.Watch(300 * time.Millisecond) // ticks every 75 ms, so a stall would show within the second
	for i := range 100 {
		r.Update(int64(i))
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	if strings.Contains(buf.String(), "stalled") {
		t.Errorf("reported a 300 ms stall while updating every 10 ms: %q", buf.String())
	}
}

// panicking is a writer whose every write panics.
type panicking struct{}

func (panicking) Write([]byte) (int, error) { panic("writer bug") }

// A panic in the watch goroutine (here its writer's) is re-raised by stop,
// in the caller's goroutine, where the command's recover sees it; before,
// it ended the process with a stack trace.
func TestWatchPanicReachesStop(t *testing.T) {
	r := New(panicking{}, nil, true, "train", 10, time.Hour)
	stop := r.Watch(20 * time.Millisecond)
	time.Sleep(100 * time.Millisecond) // a stall report: the writer panics
	defer func() {
		if p, ok := recover().(*crash.Panic); !ok || p.Value != "writer bug" {
			t.Fatalf("stop raised %v, want the watch goroutine's panic", p)
		}
	}()
	stop()
	t.Fatal("stop did not re-raise the panic")
}
