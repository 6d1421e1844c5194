package crash

import (
	"fmt"
	"runtime/debug"
	"sync"
)

// Panic is a panic caught in a worker goroutine: its value and the
// worker's stack at the panic.
type Panic struct {
	Value any
	Stack []byte
}

func (p *Panic) Error() string { return fmt.Sprint(p.Value) }

// Box holds the first panic of a group of workers. The zero value is
// ready to use.
type Box struct {
	// OnPanic, if set, is called once, at the first panic (e.g. a
	// context's cancel, to stop the other workers early).
	OnPanic func()

	mu sync.Mutex
	p  *Panic
}

// Catch records the calling goroutine's panic, if any, and lets the
// goroutine end normally; it must be deferred directly (recover only works
// there). A *Panic from a nested Box keeps its original stack.
func (b *Box) Catch() {
	r := recover()
	if r == nil {
		return
	}
	p, ok := r.(*Panic)
	if !ok {
		p = &Panic{Value: r, Stack: debug.Stack()}
	}
	b.mu.Lock()
	first := b.p == nil
	if first {
		b.p = p
	}
	b.mu.Unlock()
	if first && b.OnPanic != nil {
		b.OnPanic()
	}
}

// Rethrow panics with the recorded *Panic, if any, in the calling
// goroutine; call it after the workers are waited for.
func (b *Box) Rethrow() {
	b.mu.Lock()
	p := b.p
	b.mu.Unlock()
	if p != nil {
		panic(p)
	}
}
