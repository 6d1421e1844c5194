package crash

import (
	"strings"
	"sync"
	"testing"
)

// A worker's panic reaches the waiting goroutine with the worker's stack;
// the other workers run to their end.
func TestRethrow(t *testing.T) {
	var (
		b    Box
		wg   sync.WaitGroup
		done = make([]bool, 4)
	)
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer b.Catch()
			if i == 2 {
				worker2Panics()
			}
			done[i] = true
		}()
	}
	wg.Wait()
	defer func() {
		p, ok := recover().(*Panic)
		if !ok || p.Value != "boom" || !strings.Contains(string(p.Stack), "worker2Panics") {
			t.Fatalf("recovered %#v, want a *Panic of \"boom\" with the worker's stack", p)
		}
		if !done[0] || !done[1] || done[2] || !done[3] {
			t.Errorf("workers done: %v", done)
		}
	}()
	b.Rethrow()
	t.Fatal("Rethrow did not panic")
}

func worker2Panics() { panic("boom") }

// Without a panic Rethrow does nothing.
func TestNoPanic(t *testing.T) {
	var b Box
	func() { defer b.Catch() }()
	b.Rethrow()
}
