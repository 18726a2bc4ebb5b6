package ipcbuf

// Errors shared by the coordination primitives: the atomics and wait/wake
// methods of Buffer, Mutex and Semaphore.

import (
	"context"
	"errors"
	"os"
)

// ErrTimeout is matched (with errors.Is) by the error of a wait that gave
// up because its time ran out: WaitTimeout, Mutex.LockTimeout,
// Semaphore.WaitTimeout. It also matches os.ErrDeadlineExceeded and
// context.DeadlineExceeded, and reports Timeout() == true, as net errors do.
var ErrTimeout error = timeoutError{}

type timeoutError struct{}

func (timeoutError) Error() string   { return "ipcbuf: timed out" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }
func (timeoutError) Is(target error) bool {
	return target == os.ErrDeadlineExceeded || target == context.DeadlineExceeded
}

// ErrOwnerDead is returned with the lock held by Mutex.Lock and its kin
// when the process that held the mutex died without unlocking it. The data
// the mutex protects may be half-updated: repair it, then call
// Mutex.MarkConsistent before Unlock. Unlocking without MarkConsistent makes
// the mutex unusable (ErrNotRecoverable), as POSIX robust mutexes do.
var ErrOwnerDead = errors.New("ipcbuf: the previous owner of the mutex died holding it")

// ErrNotRecoverable is returned by Mutex.Lock and its kin when an owner
// that got ErrOwnerDead unlocked the mutex without marking it consistent:
// the data it protects cannot be trusted, and no one can lock it until it
// is reset (Mutex.Reset).
var ErrNotRecoverable = errors.New("ipcbuf: the mutex is not recoverable: its owner died and the data was not repaired")

// ErrCorrupt is matched by the error of a primitive whose shared bytes hold a state it never writes: garbage, or another program's data.
var ErrCorrupt = errors.New("ipcbuf: corrupt shared state")
