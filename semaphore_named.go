package ipcbuf

import (
	"fmt"
	"io/fs"
	"math"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The largest value each kind of named semaphore can hold: SEM_VALUE_MAX
// for POSIX semaphores on Linux (glibc: INT_MAX), SEMVMX for System V
// semaphores (Linux: 32767, as ipcs -ls shows).
const (
	semValueMaxPOSIX = math.MaxInt32
	semValueMaxSysV  = 32767
)

// semWaitSlice bounds each blocking call of a named semaphore's wait: a
// waiter comes back to Go at least this often to see whether its context
// is done or the Semaphore was closed. It is the worst-case delay of a
// cancellation or a Close; a Post wakes a waiter at once, whatever it is.
const semWaitSlice = 50 * time.Millisecond

// semEINTRs counts the waits that a signal interrupted and that were
// retried; the tests read it to prove the path runs.
var semEINTRs atomic.Int64

// OpenSemaphore opens the named counting semaphore target, creating it
// with the given value if it does not exist (value is not used when it
// does), unless the options say otherwise:
//
//   - "*name" is a POSIX named semaphore (sem_open("/name")), the one C
//     programs open with sem_open and Python with ctypes or posix_ipc. On
//     Linux it is the file /dev/shm/sem.name. value may be 0 to
//     SEM_VALUE_MAX (2147483647). name follows OpenShm's rules, and is at
//     most 251 bytes, since "sem." goes in front of it.
//   - a number, decimal or 0x hexadecimal, is the key of a System V
//     semaphore set of one (semget), which ipcs -s lists and Python's
//     sysv_ipc.Semaphore opens. value may be 0 to 32767 (SEMVMX).
//
// A file path is an error: a semaphore is *name or a System V key.
//
// The options are Exclusive, OpenOnly, Mode and SemUndo (System V only).
// Mode gives a new semaphore exactly those permission bits, whatever the
// umask; the default is 0600. For a POSIX semaphore the kernel applies the
// umask when sem_open creates the file, so OpenSemaphore sets the bits
// again afterwards (chmod of /dev/shm/sem.name): in between, for a moment,
// the semaphore has the umask's narrower bits, and another user opening it
// then may get EACCES. ReadOnly is an error: every use of a semaphore
// changes it.
//
// A new System V set is initialised as W. Richard Stevens describes (UNIX
// Network Programming, volume 2, section 11.2): its creator gives it its
// value with a semop, which also sets sem_otime, and a process that opens
// an existing set waits until sem_otime or the last operator's pid
// (GETPID; semctl SETVAL sets it, as Python's sysv_ipc does when it
// creates) shows that someone initialised it. That wait is bounded by one
// second: a set whose creator died before initialising it, or one a C
// program made with semget alone, is then used as it is (value 0 on
// Linux).
//
// Blocking waits hold an OS thread each, in the C library or the kernel,
// as any blocking system call does; they come back to Go every 50ms, so
// context cancellation and Close take effect within that time. That also
// bounds a wake-up lost to a killed process: glibc's sem_post wakes one
// sleeper, and if that process is killed before it takes the unit, C
// programs blocked in sem_wait sleep on with the count above zero, while
// ipcbuf's waiters find the unit within 50ms. (For System V the kernel
// completes a woken waiter's operation itself, so nothing is lost there.)
//
// Semaphores outlive the processes that use them until RemoveSemaphore
// (or Semaphore.Remove), ipcrm -s, or a reboot.
//
// On Windows, "*name" is the Win32 semaphore Local\sem.name
// (CreateSemaphoreW, OpenSemaphoreW; "sem." keeps it apart from the
// section "*name", as on Linux), with Exclusive and OpenOnly as above and
// the same largest value, 2147483647; name may not contain '\'. What
// differs: it lives only while some process has it open, and goes, count
// and all, with the last Close (or the last process's exit); Remove does
// nothing but check that it exists (see RemoveSemaphore). A new semaphore
// gets the default security of the process's token, which lets its user,
// SYSTEM and the administrators open it: a Mode that lets other users in
// (any of 0077) is an error matching errors.ErrUnsupported, as for
// sections. The name is in the session's Local\ namespace, or with the
// Global option Global\sem.name, which every session sees. Waits come back
// to Go every 50ms, as above. A System V key is an error matching
// errors.ErrUnsupported: Windows has no System V IPC.
func OpenSemaphore(target string, value int, opts ...Option) (*Semaphore, error) {
	kind, name, key, err := parseSemTarget(target)
	var o options
	if err == nil {
		o, err = parseSemOptions(kind, opts)
	}
	if err == nil {
		err = checkSemValue(kind, value)
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: semLabel(target, kind, name, key), Err: err}
	}
	var impl semImpl
	switch kind {
	case KindPOSIX:
		impl, err = openPOSIXSem(name, value, o)
	default:
		impl, err = openSysVSem(key, value, o)
	}
	label := semLabel(target, kind, name, key)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: label, Err: err}
	}
	return &Semaphore{name: label, impl: impl}, nil
}

// RemoveSemaphore removes the named semaphore target (see OpenSemaphore):
// sem_unlink for a POSIX one, whose name is then free while processes that
// have it open keep using it; IPC_RMID for a System V set, which goes at
// once: its waiters fail. A missing semaphore is an error matching
// fs.ErrNotExist.
//
// On Windows a named object has no name to remove: it goes when the last
// process that has it open closes it. RemoveSemaphore then checks that the
// semaphore exists in Local\ (fs.ErrNotExist if not; Semaphore.Remove
// looks where the semaphore was opened) and does nothing else; while any
// process has it open, OpenSemaphore of the name still opens it.
func RemoveSemaphore(target string) error {
	kind, name, key, err := parseSemTarget(target)
	if err == nil {
		if kind == KindPOSIX {
			err = removePOSIXSem(name)
		} else {
			err = removeSysVSem(key)
		}
	}
	if err != nil {
		return &fs.PathError{Op: "remove", Path: semLabel(target, kind, name, key), Err: err}
	}
	return nil
}

// parseSemTarget is parseTarget for semaphores: a file path is an error,
// and a POSIX name leaves room for glibc's "sem." prefix.
func parseSemTarget(target string) (kind Kind, name string, key int, err error) {
	kind, name, key, err = parseTarget(target)
	switch {
	case err != nil:
	case kind == KindFile:
		err = invalid("%q is a file path: a semaphore is *name (POSIX) or a System V key", target)
	case kind == KindPOSIX && len(name) > 251:
		err = invalid("POSIX semaphore name is %d bytes; the limit is 251 (255 less the \"sem.\" the C library puts in front)", len(name))
	}
	return kind, name, key, err
}

// semLabel is how a semaphore is named in errors and by Name: "*name" or
// the key as 0x%08x, as buffers are; the target as given if it did not
// parse.
func semLabel(target string, kind Kind, name string, key int) string {
	switch {
	case kind == KindPOSIX && name != "":
		return "*" + name
	case kind == KindSysV && checkKey(key) == nil:
		return keyName(key)
	}
	return target
}

// parseSemOptions checks OpenSemaphore's options before any system call.
func parseSemOptions(kind Kind, opts []Option) (options, error) {
	o, err := applyOptions(opts)
	if err != nil {
		return o, err
	}
	switch {
	case o.readOnly:
		return o, invalid("ReadOnly makes no sense for a semaphore: every Post and Wait changes it")
	case o.exclusive && o.openOnly:
		return o, invalid("Exclusive and OpenOnly together can never succeed")
	case o.mode&^fs.ModePerm != 0:
		return o, invalid("mode %#o has bits outside the permission bits 0777", uint32(o.mode))
	case o.semUndo && kind != KindSysV:
		return o, invalid("SemUndo is for System V semaphores only: a POSIX semaphore has no undo")
	case o.populate || o.hugePages || o.noFollow:
		return o, invalid("Populate, HugePages and NoFollow are for buffers: a semaphore maps no memory of its own")
	}
	return o, nil
}

// checkSemValue checks an initial value against the kind's limit.
func checkSemValue(kind Kind, value int) error {
	max, what := semValueMaxPOSIX, "SEM_VALUE_MAX"
	if kind == KindSysV {
		max, what = semValueMaxSysV, "SEMVMX, the System V limit"
	}
	if value < 0 || value > max {
		return invalid("semaphore value %d is out of range: it must be 0 to %d (%s)", value, max, what)
	}
	return nil
}

// semGuard makes a named semaphore's Close safe while other goroutines use
// it: every call into the system holds the read lock, and no call blocks
// longer than semWaitSlice, so Close, which takes the write lock, waits at
// most that long before it releases what the calls use.
type semGuard struct {
	mu     sync.RWMutex
	closed bool
}

// enter takes the read lock, or returns fs.ErrClosed after Close.
func (g *semGuard) enter() error {
	g.mu.RLock()
	if g.closed {
		g.mu.RUnlock()
		return fs.ErrClosed
	}
	return nil
}

func (g *semGuard) leave() { g.mu.RUnlock() }

// shut marks the semaphore closed and runs release once no call is in
// the system; a second Close returns fs.ErrClosed.
func (g *semGuard) shut(release func() error) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return fs.ErrClosed
	}
	g.closed = true
	return release()
}

// semSlice returns how long the next blocking call of a wait may last, or
// false if the deadline (zero: none) has passed.
func semSlice(deadline time.Time) (time.Duration, bool) {
	if deadline.IsZero() {
		return semWaitSlice, true
	}
	d := time.Until(deadline)
	if d <= 0 {
		return 0, false
	}
	return min(d, semWaitSlice), true
}

// errSemRemoved is a System V set that was removed while in use, and
// errSemGone one that Remove finds gone. Both match fs.ErrNotExist.
var (
	errSemRemoved = &semGoneError{"the semaphore was removed while in use (EIDRM)"}
	errSemGone    = &semGoneError{"the semaphore set no longer exists"}
)

type semGoneError struct{ msg string }

func (e *semGoneError) Error() string      { return e.msg }
func (*semGoneError) Is(target error) bool { return target == fs.ErrNotExist }
func (*semGoneError) Unwrap() error        { return syscall.EIDRM }

// semFull says a post would pass the kind's largest value.
func semFull(max int, err error) error {
	return fmt.Errorf("the semaphore is at its largest value, %d: %w", max, err)
}
