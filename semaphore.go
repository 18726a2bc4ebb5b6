package ipcbuf

import (
	"context"
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
