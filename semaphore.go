package ipcbuf

import (
	"context"
	"io/fs"
	"sync/atomic"
	"time"
)

// Semaphore is a counting semaphore that processes share. It lives in one of
// three places:
//
//   - in a Buffer, at an offset (NewSemaphore, InitSemaphore): SemaphoreSize
//     bytes on the futex word, for any shared kind of buffer (and memory
//     buffers, within one process);
//   - a named POSIX semaphore (OpenSemaphore("*name", …)), which C programs
//     (sem_open) and Python's posix_ipc open too; on Windows, a named
//     Win32 semaphore, which C programs open with OpenSemaphoreW
//     (Local\sem.name);
//   - a System V semaphore set of one (OpenSemaphore with a numeric key),
//     which ipcs lists and Python's sysv_ipc opens too.
//
// Its methods may be called from many goroutines at once. Every error is an
// *fs.PathError naming the operation and the semaphore (Name). After Close,
// every method but Name and Remove returns an error matching fs.ErrClosed.
type Semaphore struct {
	name   string  // the target, for errors and Name
	impl   semImpl // the kind's implementation
	closed atomic.Bool
}

// semImpl is what each kind of semaphore implements. Every method returns
// bare system errors or the package's sentinels; Semaphore wraps them in an
// *fs.PathError naming the semaphore.
type semImpl interface {
	post() error
	tryWait() (bool, error)
	// wait decrements the count, blocking while it is zero, until ctx is
	// done (ctx.Err()) or the deadline passes (ErrTimeout; zero: none).
	wait(ctx context.Context, deadline time.Time) error
	value() (int, error)
	close() error
	remove() error
}

// use returns s's implementation for op, or the error that says why s
// cannot be used.
func (s *Semaphore) use(op string) (semImpl, error) {
	switch {
	case s == nil || s.impl == nil:
		name := ""
		if s != nil {
			name = s.name
		}
		return nil, &fs.PathError{Op: op, Path: name, Err: invalid("a nil or zero Semaphore: make one with NewSemaphore, InitSemaphore or OpenSemaphore")}
	case s.closed.Load():
		return nil, &fs.PathError{Op: op, Path: s.name, Err: fs.ErrClosed}
	}
	return s.impl, nil
}

// wrap names s and op in err. An *fs.PathError from the buffer under an
// in-buffer semaphore gives way to one naming the semaphore, which names
// the buffer too.
func (s *Semaphore) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if pe, ok := err.(*fs.PathError); ok {
		err = pe.Err
	}
	return &fs.PathError{Op: op, Path: s.name, Err: err}
}

// Post adds one to the count and wakes a waiter, if any. At the largest
// count the kind allows (math.MaxInt32 in a buffer, SEM_VALUE_MAX for POSIX,
// SEMVMX for System V) it fails and changes nothing: a count never wraps.
func (s *Semaphore) Post() error {
	impl, err := s.use("post")
	if err != nil {
		return err
	}
	return s.wrap("post", impl.post())
}

// Wait takes one from the count, first sleeping while the count is zero.
// Signals do not end the wait. Closing the semaphore (or the buffer that
// holds an in-buffer one) ends it with an error matching fs.ErrClosed.
func (s *Semaphore) Wait() error {
	impl, err := s.use("wait")
	if err != nil {
		return err
	}
	return s.wrap("wait", impl.wait(context.Background(), time.Time{}))
}

// TryWait takes one from the count if it is above zero and reports whether
// it did; it never sleeps.
func (s *Semaphore) TryWait() (bool, error) {
	impl, err := s.use("trywait")
	if err != nil {
		return false, err
	}
	ok, err := impl.tryWait()
	return ok, s.wrap("trywait", err)
}

// WaitTimeout is Wait for at most d: when d passes first, it takes nothing
// and returns an error matching ErrTimeout. d is measured against a
// deadline, so signals do not stretch it. A zero d is TryWait with an
// error on failure; a negative d is an error matching fs.ErrInvalid.
func (s *Semaphore) WaitTimeout(d time.Duration) error {
	impl, err := s.use("wait")
	if err != nil {
		return err
	}
	if d < 0 {
		return s.wrap("wait", invalid("negative timeout %v", d))
	}
	return s.wrap("wait", impl.wait(context.Background(), time.Now().Add(d)))
}

// WaitContext is Wait until ctx is done: it then takes nothing and returns
// an error matching ctx.Err().
func (s *Semaphore) WaitContext(ctx context.Context) error {
	impl, err := s.use("wait")
	if err != nil {
		return err
	}
	if ctx == nil {
		return s.wrap("wait", invalid("nil context"))
	}
	return s.wrap("wait", impl.wait(ctx, time.Time{}))
}

// Value returns the count. Other processes may change it at any moment, so
// it is a snapshot, for display and tests rather than decisions.
func (s *Semaphore) Value() (int, error) {
	impl, err := s.use("value")
	if err != nil {
		return 0, err
	}
	v, err := impl.value()
	return v, s.wrap("value", err)
}

// Name returns what names the semaphore in errors: the target given to
// OpenSemaphore, or for one in a buffer, the buffer's name and the offset
// ("*jobs@64"; "memory buffer@64" in a memory buffer).
func (s *Semaphore) Name() string {
	if s == nil {
		return ""
	}
	return s.name
}

// Close lets go of the semaphore in this process: a named one is closed
// (sem_close), one in a buffer is forgotten, and this process's waits on s
// end with an error matching fs.ErrClosed. The semaphore itself, and its
// count, stay for the other processes; see Remove. A second Close returns
// an error matching fs.ErrClosed.
func (s *Semaphore) Close() error {
	if s == nil || s.impl == nil {
		_, err := s.use("close")
		return err
	}
	if s.closed.Swap(true) {
		return &fs.PathError{Op: "close", Path: s.name, Err: fs.ErrClosed}
	}
	return s.wrap("close", s.impl.close())
}

// Remove removes a named semaphore: a POSIX name is unlinked (processes
// that have it open keep using it), a System V set is removed at once
// (its waiters fail). It works before or after Close. On Windows, where
// the semaphore goes with the last handle to it, Remove only checks that
// it exists (see RemoveSemaphore). A semaphore in a
// buffer has no name of its own: Remove returns an error matching
// errors.ErrUnsupported, and the semaphore goes with its buffer.
func (s *Semaphore) Remove() error {
	if s == nil || s.impl == nil {
		_, err := s.use("remove")
		return err
	}
	return s.wrap("remove", s.impl.remove())
}
