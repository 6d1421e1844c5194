package par

import (
	"errors"
	"runtime"
	"testing"

	"github.com/smdlab/smd/internal/crash"
)

// For calls f once per index, on several goroutines when GOMAXPROCS
// allows it.
func TestForEveryIndexOnce(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	for _, n := range []int{0, 1, 3, 100} {
		count := make([]int, n)
		For(n, func(i int) { count[i]++ })
		for i, c := range count {
			if c != 1 {
				t.Fatalf("n = %d: f(%d) called %d times", n, i, c)
			}
		}
	}
}

// A panic in f reaches the caller as a *crash.Panic, after the other
// calls have run.
func TestForPanic(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	done := make([]bool, 50)
	func() {
		defer func() {
			var p *crash.Panic
			if r := recover(); r == nil || !errors.As(r.(error), &p) || p.Value != "boom" {
				t.Fatalf("recovered %v, want the *crash.Panic of boom", r)
			}
		}()
		For(len(done), func(i int) {
			if i == 7 {
				panic("boom")
			}
			done[i] = true
		})
	}()
	for i, d := range done {
		if !d && i != 7 {
			t.Fatalf("f(%d) did not run", i)
		}
	}
}
