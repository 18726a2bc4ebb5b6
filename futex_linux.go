package ipcbuf

// The futex system call, for waiting on a 32-bit word in memory that other
// processes share. It is made from Go rather than the C shim: it needs no
// C, it works on memory buffers in builds without cgo, and a cgo call would
// add its own cost to every wake-up.

import (
	"syscall"
	"time"
	"unsafe"
)

// Futex operations. Never FUTEX_PRIVATE_FLAG: the word may be shared
// between processes, and a private futex is keyed by this process's
// address space, so another process's wake would never reach it.
const (
	futexWait = 0 // FUTEX_WAIT
	futexWake = 1 // FUTEX_WAKE
)

const haveFutex = true

// futexWaitOnce sleeps while *addr == val, until a wake, a signal or d
// passes (d < 0: no limit). It returns nil when woken; EAGAIN when *addr
// did not hold val; ETIMEDOUT when d passed; EINTR when a signal (the Go
// runtime's preemption signal, often) interrupted it. A spurious return is
// possible: callers loop on their own condition.
func futexWaitOnce(addr *uint32, val uint32, d time.Duration) error {
	var ts *syscall.Timespec
	if d >= 0 {
		t := syscall.NsecToTimespec(d.Nanoseconds())
		ts = &t
	}
	_, _, e := syscall.Syscall6(syscall.SYS_FUTEX, uintptr(unsafe.Pointer(addr)),
		futexWait, uintptr(val), uintptr(unsafe.Pointer(ts)), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// futexWakeN wakes up to n (≥ 1) waiters on addr, in any process, and
// returns how many it woke.
func futexWakeN(addr *uint32, n int) (int, error) {
	r, _, e := syscall.Syscall6(syscall.SYS_FUTEX, uintptr(unsafe.Pointer(addr)),
		futexWake, uintptr(n), 0, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}
