package ipcbuf

import (
	"context"
	"io/fs"
	"time"
)

// Semaphore is a counting semaphore that processes share. It lives in one of
// three places:
//
//   - in a Buffer, at an offset (NewSemaphore, InitSemaphore): SemaphoreSize
//     bytes on the futex word, for any shared kind of buffer (and memory
//     buffers, within one process);
//   - a named POSIX semaphore (OpenSemaphore("*name", …)), which C programs
//     (sem_open) and Python's posix_ipc open too;
//   - a System V semaphore set of one (OpenSemaphore with a numeric key),
//     which ipcs lists and Python's sysv_ipc opens too.
//
// Its methods may be called from many goroutines at once.
type Semaphore struct {
	name string  // the target, for errors and Name
	impl semImpl // the kind's implementation
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

// The methods below are the thin wrappers over semImpl that the
// coordination plan gives to the in-buffer semaphore's branch; the named
// kinds need them too. If both branches add them, keep one copy.

// Post increments the semaphore, waking one waiter if there is any.
func (s *Semaphore) Post() error { return s.wrap("post", s.impl.post()) }

// Wait decrements the semaphore, blocking while it is zero.
func (s *Semaphore) Wait() error {
	return s.wrap("wait", s.impl.wait(context.Background(), time.Time{}))
}

// TryWait decrements the semaphore if it is above zero and reports
// whether it did; it never blocks.
func (s *Semaphore) TryWait() (bool, error) {
	ok, err := s.impl.tryWait()
	return ok, s.wrap("trywait", err)
}

// WaitTimeout is Wait that gives up after d with an error matching
// ErrTimeout. A negative d is an error; d == 0 only tries.
func (s *Semaphore) WaitTimeout(d time.Duration) error {
	if d < 0 {
		return s.wrap("wait", invalid("negative timeout %v", d))
	}
	return s.wrap("wait", s.impl.wait(context.Background(), time.Now().Add(d)))
}

// WaitContext is Wait that gives up when ctx is done, returning ctx.Err()
// (wrapped). A unit it took is never lost: when it returns an error, it
// took none.
func (s *Semaphore) WaitContext(ctx context.Context) error {
	return s.wrap("wait", s.impl.wait(ctx, time.Time{}))
}

// Value returns the semaphore's count at the moment of the call.
func (s *Semaphore) Value() (int, error) {
	v, err := s.impl.value()
	return v, s.wrap("value", err)
}

// Name returns the semaphore's target: "*name" for a POSIX named
// semaphore, the key as 0x%08x for a System V set.
func (s *Semaphore) Name() string { return s.name }

// Close releases what this process holds for the semaphore; the semaphore
// itself stays, for other processes, until Remove. After Close, methods
// return an error matching fs.ErrClosed.
func (s *Semaphore) Close() error { return s.wrap("close", s.impl.close()) }

// Remove removes the semaphore (sem_unlink, IPC_RMID); see
// RemoveSemaphore.
func (s *Semaphore) Remove() error { return s.wrap("remove", s.impl.remove()) }

func (s *Semaphore) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(*fs.PathError); ok {
		return err
	}
	return &fs.PathError{Op: op, Path: s.name, Err: err}
}
