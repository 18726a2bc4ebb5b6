package ipcbuf

// The semaphore in a buffer: two 32-bit words. The first is the count,
// which waiters sleep on with the futex; the second counts the waiters,
// so that Post makes the wake system call only when someone may sleep.
//
// A waiter adds itself to the second word, then tries the count, then
// sleeps while the count is 0; Post adds to the count, then reads the
// waiters. Both steps are sequentially consistent atomics, so either Post
// sees the waiter and wakes it, or the waiter sees the new count (the
// kernel compares the count with 0 as it puts the waiter to sleep).
//
// A process can die at any point, SIGKILL included, and must not strand
// the others:
//
//   - Killed while asleep, or between its steps, a waiter leaves the
//     waiters word one too high. That costs later Posts a wake system call
//     with no one to wake, nothing more.
//   - Killed after Post's wake reached it and before it took the unit, a
//     waiter leaves the count above zero while the others sleep: Post woke
//     one waiter, and the one it chose is gone. Two things bring the unit
//     to another waiter. Any waiter that leaves the semaphore (with a
//     unit, or on a timeout, a cancel or Close) and sees units left and
//     waiters still there wakes one more, so the stranded unit moves on as
//     soon as the semaphore is used again. And no waiter sleeps longer
//     than semRecheck at a time before it looks at the count again, so
//     even if nothing else happens the unit is taken within semRecheck.
//     This is the guarantee: a unit posted is never left behind while a
//     live waiter sleeps, and reaches one within semRecheck (100 ms) plus
//     scheduling delay, whoever dies.
//   - Killed in the middle of Post, a poster has either added its unit or
//     not: the count is one word, changed by one compare-and-swap. If it
//     died between adding and waking, a waiter finds the unit when its
//     sleep of at most semRecheck ends.

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"syscall"
	"time"
	"unsafe"

	"github.com/ipcbuf/ipcbuf/internal/shatomic"
)

// SemaphoreSize is the number of bytes a semaphore takes in a buffer: a
// 32-bit count and a 32-bit count of waiters, in the machine's byte order.
// Its offset must be a multiple of 4 (in absolute address terms: a whole
// shared buffer, or a Slice starting at a multiple of 4). Zero bytes are a
// semaphore with count 0.
const SemaphoreSize = 8

// semMax is the largest count of a semaphore in a buffer, as of a POSIX
// semaphore on Linux (SEM_VALUE_MAX): a count never wraps.
const semMax = math.MaxInt32

// semRecheck bounds a waiter's sleep between looks at the count: the
// longest a unit waits for a waiter after the waiter Post woke was killed
// before it could take it (see above).
const semRecheck = 100 * time.Millisecond

// bufSem is the semImpl of a semaphore in a buffer.
type bufSem struct {
	b    *Buffer
	off  int
	done context.Context // cancelled by close: this process's waits end
	stop context.CancelFunc
}

// NewSemaphore returns the semaphore in the SemaphoreSize bytes at off in
// b, as they are: zero bytes are a semaphore with count 0, and every
// process that calls NewSemaphore on the same bytes shares it. b must be
// writable. Bytes that hold no semaphore state (a count above
// math.MaxInt32) give an error matching ErrCorrupt; the semaphore's other
// methods check the same on every call.
//
// Such a semaphore lives as long as its buffer; closing the buffer ends
// this process's waits on it (fs.ErrClosed). It needs Linux's futex: on
// Windows and other systems NewSemaphore and InitSemaphore return an error
// matching errors.ErrUnsupported (on Windows, use OpenSemaphore("*name")).
// In a memory buffer it works between goroutines of one process.
func NewSemaphore(b *Buffer, off int) (*Semaphore, error) {
	s, err := newBufSem(b, off)
	if err != nil {
		return nil, err
	}
	if _, err := s.impl.value(); err != nil {
		return nil, s.wrap("semaphore", err)
	}
	return s, nil
}

// InitSemaphore writes a semaphore with count value (0 to math.MaxInt32)
// and no waiters into the SemaphoreSize bytes at off in b, whatever they
// held, and returns it. Call it before any process uses the semaphore: a
// process waiting on the bytes may otherwise sleep up to semRecheck (100
// ms) before it notices a unit. A value out of range is an error matching
// fs.ErrInvalid, and the bytes are left alone.
func InitSemaphore(b *Buffer, off int, value int) (*Semaphore, error) {
	s, err := newBufSem(b, off)
	if err != nil {
		return nil, err
	}
	if value < 0 || value > semMax {
		return nil, s.wrap("semaphore", invalid("initial value %d is out of range: a semaphore counts from 0 to %d", value, semMax))
	}
	impl := s.impl.(*bufSem)
	err = impl.do("semaphore", func(count, waiters *uint32) error {
		shatomic.StoreUint32(waiters, 0)
		shatomic.StoreUint32(count, uint32(value))
		return nil
	})
	if err != nil {
		return nil, s.wrap("semaphore", err)
	}
	return s, nil
}

// newBufSem checks the arguments and makes the Semaphore, reading nothing.
func newBufSem(b *Buffer, off int) (*Semaphore, error) {
	if b == nil || b.m == nil {
		return nil, &fs.PathError{Op: "semaphore", Path: "", Err: invalid("a nil or zero *Buffer: make one with Alloc or Open")}
	}
	if !haveFutex {
		// Waiting would fail; better at once than when a process waits.
		return nil, &fs.PathError{Op: "semaphore", Path: fmt.Sprintf("%s@%d", b.label(), off), Err: mutexNoFutex()}
	}
	done, stop := context.WithCancel(context.Background())
	s := &Semaphore{
		name: fmt.Sprintf("%s@%d", b.label(), off),
		impl: &bufSem{b: b, off: off, done: done, stop: stop},
	}
	// The checks of a method, with nothing touched: closed, read-only,
	// bounds, alignment.
	if err := s.impl.(*bufSem).do("semaphore", func(_, _ *uint32) error { return nil }); err != nil {
		stop()
		return nil, s.wrap("semaphore", err)
	}
	return s, nil
}

// do runs f on the two words, with the buffer's lease held. It checks that
// the buffer is open and writable, that the SemaphoreSize bytes lie inside
// it, and that they are aligned.
func (s *bufSem) do(op string, f func(count, waiters *uint32) error) (err error) {
	p, l, err := s.b.word(op, s.off, SemaphoreSize, 4, "8-byte semaphore", true)
	if err != nil {
		return err
	}
	defer l.release(&err)
	return f((*uint32)(p), (*uint32)(unsafe.Add(p, 4)))
}

// load reads a word that holds a count and checks it.
func (s *bufSem) load(p *uint32, what string) (uint32, error) {
	v := shatomic.LoadUint32(p)
	if v > semMax {
		return 0, fmt.Errorf("the semaphore's %s word holds %d, above the largest count %d: the bytes at offset %d are not a semaphore, or were overwritten: %w",
			what, v, semMax, s.off, ErrCorrupt)
	}
	return v, nil
}

func (s *bufSem) post() error {
	return s.do("post", func(count, waiters *uint32) error {
		// Both words are checked before anything changes: a Post that
		// fails has not posted.
		if _, err := s.load(waiters, "waiters"); err != nil {
			return err
		}
		for {
			v, err := s.load(count, "count")
			if err != nil {
				return err
			}
			if v == semMax {
				return fmt.Errorf("the count is at its largest, %d: %w", semMax, syscall.EOVERFLOW)
			}
			if shatomic.CompareAndSwapUint32(count, v, v+1) {
				break
			}
		}
		if shatomic.LoadUint32(waiters) == 0 {
			return nil
		}
		return s.wake(count, 1)
	})
}

// wake wakes up to n waiters on the count word.
func (s *bufSem) wake(count *uint32, n int) error {
	_, e := futexWakeN(count, n)
	switch {
	case e == nil:
		return nil
	case e == syscall.EFAULT:
		return &FaultError{Op: "wake", Name: s.b.label(), Offset: int64(s.off)}
	case errors.Is(e, errors.ErrUnsupported):
		return e
	}
	return fmt.Errorf("futex: %w", e)
}

func (s *bufSem) tryWait() (ok bool, err error) {
	err = s.do("trywait", func(count, _ *uint32) error {
		ok, err = s.take(count)
		return err
	})
	return ok, err
}

// take takes one from the count if it is above zero.
func (s *bufSem) take(count *uint32) (bool, error) {
	for {
		v, err := s.load(count, "count")
		if err != nil || v == 0 {
			return false, err
		}
		if shatomic.CompareAndSwapUint32(count, v, v-1) {
			return true, nil
		}
	}
}

func (s *bufSem) wait(ctx context.Context, deadline time.Time) error {
	if ok, err := s.tryWait(); ok || err != nil {
		return err
	}
	if err := s.do("wait", func(_, waiters *uint32) error {
		_, err := s.load(waiters, "waiters")
		if err == nil {
			shatomic.AddUint32(waiters, 1)
		}
		return err
	}); err != nil {
		return err
	}
	// Leaving, with a unit or without, a waiter hands a wake it may have
	// had on to another waiter while units are left (see above). If the
	// buffer is closed by then, it cannot: the waiters word stays one
	// high, which costs only wake calls.
	defer s.do("wait", func(count, waiters *uint32) error {
		for {
			w := shatomic.LoadUint32(waiters)
			if w == 0 || w > semMax || shatomic.CompareAndSwapUint32(waiters, w, w-1) {
				break
			}
		}
		if shatomic.LoadUint32(count) > 0 && shatomic.LoadUint32(waiters) > 0 {
			return s.wake(count, 1)
		}
		return nil
	})

	// Close of the semaphore ends the wait as Close of the buffer does.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(s.done, cancel)()

	for {
		ok, err := s.tryWait()
		if ok || err != nil {
			return err
		}
		slice := time.Now().Add(semRecheck)
		if !deadline.IsZero() && deadline.Before(slice) {
			slice = deadline
		}
		err = s.b.waitWord("wait", s.off, 0, ctx, slice)
		switch {
		case err == nil:
		case errors.Is(err, ErrTimeout):
			if !deadline.IsZero() && !time.Now().Before(deadline) {
				// One last look: a unit that came with the deadline is taken.
				if ok, err := s.tryWait(); ok || err != nil {
					return err
				}
				return ErrTimeout
			}
		case s.done.Err() != nil:
			return fs.ErrClosed
		default:
			return err
		}
	}
}

func (s *bufSem) value() (int, error) {
	var v uint32
	err := s.do("value", func(count, waiters *uint32) (err error) {
		if _, err = s.load(waiters, "waiters"); err == nil {
			v, err = s.load(count, "count")
		}
		return err
	})
	return int(v), err
}

func (s *bufSem) close() error {
	s.stop()
	return nil
}

func (s *bufSem) remove() error {
	return fmt.Errorf("a semaphore in a buffer has no name of its own to remove; it goes with the buffer: %w", errors.ErrUnsupported)
}
