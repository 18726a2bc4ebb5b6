package ipcbuf

// Waiting on a 32-bit word of a buffer until another goroutine or process
// wakes it: the futex, shared between processes (see futex_linux.go).
//
// A waiter sleeps in the kernel, out of reach of the fault guard, so Close
// must not take the memory from under it. So a waiter resolves the word
// under its lease, enters itself in the mapping's waitList, ends the lease
// and sleeps. Close marks the list closing and wakes every word in it,
// again and again, until every waiter has left: only then does it swap
// the memory for its reservation. A waiter can be between its last look at
// the list and the system call when Close's first wake comes; the next
// wake reaches it. So no waiter sleeps on an address that Close gave back,
// and none sleeps on after Close.

import (
	"context"
	"errors"
	"math"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// waitList is the set of this process's waits on one mapping.
type waitList struct {
	mu      sync.Mutex
	closing bool // Close has begun: waiters return fs.ErrClosed
	waits   map[*waitRec]struct{}
}

// waitRec is one goroutine's wait on a word.
type waitRec struct {
	addr *uint32
	mu   sync.Mutex // orders kick's wakes before the waiter's leaving
	left bool       // the waiter has returned: kick must not touch addr
}

// add enters w, unless Close has begun.
func (wl *waitList) add(w *waitRec) bool {
	wl.mu.Lock()
	defer wl.mu.Unlock()
	if wl.closing {
		return false
	}
	if wl.waits == nil {
		wl.waits = make(map[*waitRec]struct{})
	}
	wl.waits[w] = struct{}{}
	return true
}

func (wl *waitList) remove(w *waitRec) {
	wl.mu.Lock()
	delete(wl.waits, w)
	wl.mu.Unlock()
}

func (wl *waitList) isClosing() bool {
	wl.mu.Lock()
	defer wl.mu.Unlock()
	return wl.closing
}

// close is Close's part: it marks the list closing and wakes the waiters'
// words until every waiter has left. A waiter leaves within a scheduling
// delay of a wake that finds it asleep, so this is short; the pause
// between rounds grows to 1 ms so that a long one costs little CPU.
func (wl *waitList) close() {
	wl.mu.Lock()
	wl.closing = true
	pause := 20 * time.Microsecond
	for len(wl.waits) > 0 {
		for w := range wl.waits {
			_, _ = futexWakeN(w.addr, math.MaxInt32)
		}
		wl.mu.Unlock()
		time.Sleep(pause)
		pause = min(2*pause, time.Millisecond)
		wl.mu.Lock()
	}
	wl.mu.Unlock()
}

// kick wakes w's word until w's waiter has returned: a waiter that looked
// at its context just before it was cancelled may enter the system call
// after the first wake. The wake reaches every waiter on the word, in every
// process; to them it is a spurious wake, which futex users expect.
func (w *waitRec) kick() {
	pause := 20 * time.Microsecond
	for {
		w.mu.Lock()
		if w.left {
			w.mu.Unlock()
			return
		}
		_, _ = futexWakeN(w.addr, math.MaxInt32)
		w.mu.Unlock()
		time.Sleep(pause)
		pause = min(2*pause, time.Millisecond)
	}
}

// waitWord sleeps while the 32-bit word at off holds val: until a wake
// (nil), until ctx is done (an error matching ctx.Err(); ctx may be nil),
// until deadline passes (ErrTimeout; the zero time means none), or until b
// is closed (fs.ErrClosed). It returns nil at once if the word does not
// hold val, and nil on a spurious wake: callers check their own condition
// and wait again. A signal does not end the wait. Every error is an
// *fs.PathError naming op and b.
//
// The Mutex and Semaphore in a buffer wait through waitWord, so that Close
// wakes them too.
func (b *Buffer) waitWord(op string, off int, val uint32, ctx context.Context, deadline time.Time) (err error) {
	p, l, err := b.word32(op, off, false)
	if err != nil {
		return err
	}
	w := &waitRec{addr: p}
	entered := b.m.waits.add(w)
	l.release(nil) // the waitList, not the lease, keeps Close away while asleep
	if !entered {
		return b.closedError(op)
	}
	defer func() {
		w.mu.Lock()
		w.left = true
		w.mu.Unlock()
		b.m.waits.remove(w)
		runtime.KeepAlive(b) // the mapping, and so the word, stay while we use p
	}()
	if ctx != nil && ctx.Done() != nil {
		stop := context.AfterFunc(ctx, w.kick)
		defer stop()
	}
	for first := true; ; first = false {
		if b.m.waits.isClosing() {
			return b.closedError(op)
		}
		if ctx != nil && ctx.Err() != nil {
			return b.pathError(op, ctx.Err())
		}
		d := time.Duration(-1) // no limit
		if !deadline.IsZero() {
			if d = time.Until(deadline); d <= 0 {
				if !first {
					return b.pathError(op, ErrTimeout)
				}
				d = 0 // still look at the word once: a word that differs is no timeout
			}
		}
		e := futexWaitOnce(p, val, d)
		if b.m.waits.isClosing() {
			return b.closedError(op)
		}
		if ctx != nil && ctx.Err() != nil {
			return b.pathError(op, ctx.Err())
		}
		switch {
		case e == nil || e == syscall.EAGAIN:
			return nil // woken, spuriously perhaps, or the word differs
		case e == syscall.ETIMEDOUT || e == syscall.EINTR:
			// The loop measures what is left against the deadline.
		case e == syscall.EFAULT:
			return b.memFault(op, off)
		case errors.Is(e, errors.ErrUnsupported):
			return b.pathError(op, e)
		default:
			return b.pathError(op, os.NewSyscallError("futex", e))
		}
	}
}

// Wait sleeps while the 32-bit word at byte off holds val, until Wake or
// WakeAll on the same word, from this process or any other sharing the
// memory. It returns nil when woken, at once when the word does not hold
// val, and on a spurious wake-up: like every futex user, the caller checks
// its condition in a loop and waits again. Signals do not end the wait.
//
// off follows the rules of LoadUint32 (from 0 to Len()-4, the address a
// multiple of 4). Close on b or on any buffer sharing its memory wakes the
// waits on it, which return an error matching fs.ErrClosed. On a memory
// buffer, Wait pairs with Wake in the same process. Wait needs Linux's
// futex: elsewhere it returns an error matching errors.ErrUnsupported.
func (b *Buffer) Wait(off int, val uint32) error {
	return b.waitWord("wait", off, val, nil, time.Time{})
}

// WaitTimeout is Wait for at most d: it returns an error matching
// ErrTimeout when d passes first. d is measured against a deadline, so
// signals and spurious returns from the kernel do not stretch it. A zero d
// looks at the word once. A negative d is an error matching fs.ErrInvalid.
func (b *Buffer) WaitTimeout(off int, val uint32, d time.Duration) error {
	if d < 0 {
		return b.pathError("wait", invalid("negative timeout %v", d))
	}
	return b.waitWord("wait", off, val, nil, time.Now().Add(d))
}

// WaitContext is Wait until ctx is done: it then returns an error matching
// ctx.Err() (context.Canceled or context.DeadlineExceeded) within about a
// millisecond. Cancelling wakes the word, which other waiters on it see as
// a spurious wake-up.
func (b *Buffer) WaitContext(ctx context.Context, off int, val uint32) error {
	if ctx == nil {
		return b.pathError("wait", invalid("nil context"))
	}
	return b.waitWord("wait", off, val, ctx, time.Time{})
}

// Wake wakes up to n (n ≥ 1) of the goroutines and processes waiting on the
// 32-bit word at byte off and returns how many it woke. Waking no one is
// not an error. Change the word before waking, or a waiter about to sleep
// misses the change; see Wait. off follows the rules of LoadUint32. A
// read-only buffer may wake. An n below 1 is an error matching fs.ErrInvalid.
func (b *Buffer) Wake(off int, n int) (woken int, err error) {
	if n < 1 {
		return 0, b.pathError("wake", invalid("wake %d waiters: n must be at least 1 (WakeAll wakes every waiter)", n))
	}
	return b.wake(off, min(n, math.MaxInt32))
}

// WakeAll wakes every goroutine and process waiting on the 32-bit word at
// byte off and returns how many it woke.
func (b *Buffer) WakeAll(off int) (woken int, err error) {
	return b.wake(off, math.MaxInt32)
}

func (b *Buffer) wake(off, n int) (woken int, err error) {
	p, l, err := b.word32("wake", off, false)
	if err != nil {
		return 0, err
	}
	defer l.release(&err)
	woken, e := futexWakeN(p, n)
	switch {
	case e == nil:
		return woken, nil
	case e == syscall.EFAULT:
		return 0, b.memFault("wake", off)
	case errors.Is(e, errors.ErrUnsupported):
		return 0, b.pathError("wake", e)
	}
	return 0, b.pathError("wake", os.NewSyscallError("futex", e))
}
