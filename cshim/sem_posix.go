//go:build cgo && linux && !ipcbuf_noposix

package cshim

// #cgo CFLAGS: -DIPCBUF_POSIX
// #include <fcntl.h>
// #include "shm.h"
import "C"

// Flags for SemOpen.
const (
	OCreat = C.O_CREAT
	OExcl  = C.O_EXCL
)

// Sem is an open POSIX named semaphore: glibc maps the semaphore's file
// and hands out a pointer into that mapping, outside the Go heap. It is
// valid until SemClose; using it after that is a use-after-free, which
// the caller must rule out.
type Sem struct{ p *C.sem_t }

// SemOpen opens the POSIX named semaphore name (which starts with '/');
// with OCreat in flags it may create it with mode and value.
func SemOpen(name string, flags int, mode uint32, value uint32) (Sem, error) {
	p, err := cstring(name)
	if err != nil {
		return Sem{}, err
	}
	s, err := C.ipcbuf_sem_open(p, C.int(flags), C.unsigned(mode), C.unsigned(value))
	if s == nil {
		return Sem{}, err
	}
	return Sem{s}, nil
}

// SemClose closes s (sem_close), unmapping it.
func SemClose(s Sem) error {
	if r, err := C.ipcbuf_sem_close(s.p); r != 0 {
		return err
	}
	return nil
}

// SemUnlink removes the POSIX named semaphore name.
func SemUnlink(name string) error {
	p, err := cstring(name)
	if err != nil {
		return err
	}
	if r, err := C.ipcbuf_sem_unlink(p); r != 0 {
		return err
	}
	return nil
}

// SemPost increments s, waking a waiter; EOVERFLOW at SEM_VALUE_MAX.
func SemPost(s Sem) error {
	if r, err := C.ipcbuf_sem_post(s.p); r != 0 {
		return err
	}
	return nil
}

// SemTrywait decrements s if it is above zero, else fails with EAGAIN.
func SemTrywait(s Sem) error {
	if r, err := C.ipcbuf_sem_trywait(s.p); r != 0 {
		return err
	}
	return nil
}

// SemClockwait decrements s, blocking while it is zero until the
// CLOCK_MONOTONIC time deadline (ns, as Monotonic reads it): ETIMEDOUT
// then. A signal ends it early with EINTR. It holds its OS thread while
// it blocks.
func SemClockwait(s Sem, deadline int64) error {
	if r, err := C.ipcbuf_sem_clockwait(s.p, C.longlong(deadline)); r != 0 {
		return err
	}
	return nil
}

// SemGetvalue returns s's value.
func SemGetvalue(s Sem) (int, error) {
	var v C.int
	if r, err := C.ipcbuf_sem_getvalue(s.p, &v); r != 0 {
		return 0, err
	}
	return int(v), nil
}

// Monotonic returns CLOCK_MONOTONIC's time in nanoseconds, the clock of
// SemClockwait's deadlines.
func Monotonic() (int64, error) {
	var ns C.longlong
	if r, err := C.ipcbuf_clock_monotonic(&ns); r != 0 {
		return 0, err
	}
	return int64(ns), nil
}
