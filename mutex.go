package ipcbuf

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"sync"
	"time"
	"unsafe"

	"github.com/ipcbuf/ipcbuf/internal/shatomic"
)

// MutexSize is the number of bytes a Mutex takes in a buffer. Its offset
// must be a multiple of 8 in memory, and 16 zero bytes are an unlocked,
// consistent mutex, so a new buffer needs no initialisation.
const MutexSize = 16

// Mutex is a robust mutual-exclusion lock that lives in MutexSize bytes of
// a Buffer, so that every process mapping the buffer shares it. When the
// process holding it dies, the next Lock notices, takes the lock and
// returns an error matching ErrOwnerDead: the data the mutex protects may
// be half-updated, so the new owner repairs it and calls MarkConsistent
// before Unlock. An owner that unlocks without MarkConsistent makes the
// mutex unusable: every later Lock returns ErrNotRecoverable until Reset.
// That is the contract of POSIX robust mutexes; it neither gives up for
// good once an owner has died nor hands the lock over silently as if
// nothing had happened.
//
// # Ownership
//
// A Mutex is held by a process, not by a goroutine or a thread: any
// goroutine of the process that locked it may Unlock it, as with
// sync.Mutex, and a goroutine that locks it while another goroutine of the
// same process holds it waits for that Unlock (it is not reentrant).
// Unlock from a process that does not hold it is an error matching
// fs.ErrPermission and changes nothing.
//
// pthread's robust mutexes are not used because the kernel's robust list
// ties ownership to an OS thread, which a goroutine does not keep: it
// migrates between threads, and Go kills a locked thread whose goroutine
// exits. The price of tying ownership to the process instead: the kernel
// does not release the lock the instant its owner dies. A waiter notices a
// dead owner by checking it whenever its sleep ends without a wake-up: 1
// ms into the wait, then at doubling intervals up to MutexCheckInterval
// (and at once in TryLock, and before LockTimeout gives up). So a dead
// owner costs a waiter at most MutexCheckInterval, and about a millisecond
// when it was already dead. The owner is named by its process id and start
// time (field 22 of /proc/<pid>/stat), so a process that happens to get a
// dead owner's pid is not taken for it, and a zombie counts as dead. For
// those checks to mean anything, every process using a mutex must share
// one PID namespace (and one time namespace, which shifts start times);
// without /proc, a living process with the owner's pid is taken for the
// owner.
//
// # Layout
//
// The layout is fixed, so that programs in other languages can share a
// mutex. All words are in the machine's byte order.
//
//	offset 0, 32 bits: the state, which is the futex word:
//	    bits 0-21   the owner's pid (0: unlocked)
//	    bits 22-29  zero
//	    bit 30      waiters: a process may be asleep on the word, so Unlock
//	                must wake one (FUTEX_WAKE, not FUTEX_PRIVATE_FLAG)
//	    bit 31      inconsistent: the owner took over from a dead owner and
//	                has not called MarkConsistent; with pid 0, the mutex is
//	                not recoverable
//	offset 4, 32 bits: the owner's ticket, the low 32 bits of its start
//	    time in clock ticks (0 when unlocked; 0 while locked means unknown)
//	offset 8, 64 bits: reserved, zero
//
// The state and the ticket change together, in one 64-bit compare-and-swap
// of the 8 bytes at offset 0, so there is no moment when a lock is taken
// and its owner is not yet known: a waiter never takes a live owner for a
// dead one. The states, with every transition a compare-and-swap:
//
//	unlocked        state 0, ticket 0 (all 16 bytes zero)
//	locked          state pid [|waiters], ticket t
//	inconsistent    state pid|inconsistent [|waiters], ticket t
//	not recoverable state inconsistent (0x80000000), ticket 0
//
//	unlocked      -> locked             Lock (with waiters set if the
//	                                    locker has slept: others may too)
//	locked        -> locked|waiters     a waiter, before FUTEX_WAIT
//	locked(me)    -> unlocked           Unlock; FUTEX_WAKE one if waiters
//	locked(dead)  -> inconsistent(me)   Lock finds the owner dead:
//	                                    ErrOwnerDead (waiters kept)
//	inconsistent(dead) -> inconsistent(me) the repairer died too: the next
//	                                    one gets ErrOwnerDead again
//	inconsistent(me) -> locked(me)      MarkConsistent
//	inconsistent(me) -> not recoverable Unlock without MarkConsistent;
//	                                    FUTEX_WAKE all
//	any           -> unlocked           Reset (all 16 bytes zeroed); wake all
//
// Any other content (reserved bits or bytes set, a ticket without an
// owner) is not a mutex: the methods return an error matching ErrCorrupt
// and change nothing.
//
// # Waiting
//
// A blocked Lock holds no lock of the buffer while it sleeps: it waits as
// Buffer.Wait does, so Close wakes it at once, it returns an error
// matching fs.ErrClosed, and Close unmaps only after it has. LockContext
// returns as soon as its context is done, LockTimeout when its time is up. A Mutex is two words of Go memory naming the buffer and offset; its
// methods may be called from many goroutines at once. It works on every
// kind of buffer (on a memory buffer, between goroutines) on Linux, and on
// Windows as the next section says; on other systems, and on Windows
// without cgo, NewMutex returns an error matching errors.ErrUnsupported.
//
// # Windows
//
// Windows has no futex that processes share, and its own robust lock: a
// named Win32 mutex (CreateMutexW), which the system gives to the next
// waiter, with WAIT_ABANDONED, the moment its owner's thread ends. So on
// Windows the Mutex is such a mutex, named from the 16 bytes, which hold
// what Windows does not keep: whether the data is consistent, and who holds
// the lock. The contract is the one above (ErrOwnerDead, MarkConsistent,
// ErrNotRecoverable, Reset, any goroutine may Unlock); what differs
// follows.
//
// The layout, in the machine's byte order (little-endian):
//
//	offset 0, 32 bits: the state: 0 consistent; 1<<31 inconsistent (the
//	    holder took over from a dead owner and has not called
//	    MarkConsistent); 1<<30 not recoverable (then the holder is 0)
//	offset 4, 32 bits: the holder's process id, 0 when unlocked
//	offset 8, 64 bits: the id; the Win32 mutex is
//	    Global\ipcbuf.mutex.<the id in 16 hexadecimal digits>. It is 0
//	    until the first Lock, which writes a random one with a
//	    compare-and-swap, so that every process derives the same name
//	    from the bytes.
//
// All 16 bytes zero are still an unlocked, consistent mutex, and a new
// buffer needs no initialisation; an unlocked mutex that has been used has
// zero in its first 8 bytes and its id in the last 8. Anything else (a
// state it never writes, a holder with "not recoverable" or none with
// "inconsistent", a state or holder without an id) is ErrCorrupt. Reset
// zeroes all 16, so the next Lock names a new Win32 mutex, and waiters in
// every process move to it; a process that held the old one keeps it, and
// its Unlock fails. A buffer whose bytes are copied elsewhere copies the
// id, and its mutex is the same one.
//
// A Lock that gets the Win32 mutex without WAIT_ABANDONED but finds a
// holder's process id in the bytes treats that holder as dead, as it is:
// Unlock clears the id before it releases the mutex, and a dead owner that
// alone had the mutex open took the Win32 mutex with it, so the next Lock
// made a new one.
//
// A Win32 mutex belongs to a thread, and only that thread may release it,
// while a goroutine moves between threads. So each process runs, for each
// mutex it uses, a goroutine locked to its own OS thread that waits on and
// releases the Win32 mutex for the others; it and the handle stay for a
// second after the last use. A waiting Lock comes back to Go at least
// every 50 ms to see whether its buffer was closed (then fs.ErrClosed) or
// Reset ran; a cancelled context ends it at once. MutexCheckInterval does
// not apply: Windows hands an abandoned mutex to the next waiter at once.
//
// The names are in the Global\ namespace, so that processes of different
// sessions that share a section made with the Global option share its
// mutex too. Unlike a section, a mutex needs no privilege to be made
// there. Its default security lets in the user who made it, SYSTEM and
// the administrators.
type Mutex struct {
	b   *Buffer
	off int
}

// MutexCheckInterval is the longest a waiting Lock sleeps before it checks
// that the holder is still alive: the worst-case time to notice a dead
// owner, beyond the time the kernel takes to end the process. A check
// costs a kill(pid, 0) and a read of /proc/<pid>/stat, some tens of µs of
// CPU at most (31 µs on a loaded 2-core test machine), so 50 ms keeps a
// long wait's cost under 0.1% of a CPU while a dead owner still costs less
// than a human notices.
const MutexCheckInterval = 50 * time.Millisecond

// mutexFirstNap is how long a Lock first sleeps before it checks the
// owner; each check that finds it alive doubles the next sleep, up to
// MutexCheckInterval. An owner found dead at once costs about a
// millisecond, and a check costs a waiter at most 1% of the time it has
// waited, so the contended path, where most waits end with a wake-up long
// before, pays nothing for it.
const mutexFirstNap = time.Millisecond

// The fields of the state word; see Mutex.
const (
	mutexPid      = 1<<22 - 1 // PID_MAX_LIMIT is 2^22 on Linux
	mutexReserved = 0xff << 22
	mutexWaiters  = 1 << 30
	mutexIncons   = 1 << 31
	mutexNotRecov = mutexIncons // no owner, inconsistent
)

// mutexLittleEndian says where the state lies in the 64-bit word at offset 0:
// its low half on a little-endian machine, its high half otherwise.
var mutexLittleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

func mutexPack(state, ticket uint32) uint64 {
	if mutexLittleEndian {
		return uint64(state) | uint64(ticket)<<32
	}
	return uint64(state)<<32 | uint64(ticket)
}

func mutexUnpack(v uint64) (state, ticket uint32) {
	if mutexLittleEndian {
		return uint32(v), uint32(v >> 32)
	}
	return uint32(v >> 32), uint32(v)
}

// mutexValid reports whether the 16 bytes hold a state the mutex writes.
func mutexValid(v, reserved uint64) bool {
	state, ticket := mutexUnpack(v)
	switch {
	case reserved != 0 || state&mutexReserved != 0:
		return false
	case state&mutexPid == 0: // unlocked or not recoverable
		return ticket == 0 && (state == 0 || state == mutexNotRecov)
	}
	return true
}

// mutexOwner is a process as a mutex records its owner: its pid and
// ticket, and the word its Lock writes.
type mutexOwner struct {
	pid, ticket uint32
	word        uint64
}

// mutexSelf returns this process as a mutex owner, read once: a process's
// start time never changes, and Go cannot fork without exec.
var mutexSelf = sync.OnceValue(func() mutexOwner {
	pid := uint32(os.Getpid())
	ticket := uint32(mutexStartTime())
	return mutexOwner{pid: pid, ticket: ticket, word: mutexPack(pid, ticket)}
})

// NewMutex returns the Mutex at byte off of b. The MutexSize bytes there
// must be zero (an unlocked mutex) or hold a mutex; anything else is an
// error matching ErrCorrupt. b must be open and writable, and off must be
// within it and a multiple of 8 in memory (for a Slice of a buffer, count
// from the start of the whole mapping), else the error matches
// fs.ErrInvalid. Nothing is written: two processes may call NewMutex on the
// same bytes at any time.
func NewMutex(b *Buffer, off int) (*Mutex, error) {
	if mutexNamedObject {
		return newNamedMutex(b, off)
	}
	if !haveFutex {
		return nil, b.pathError("mutex", mutexNoFutex())
	}
	m := &Mutex{b: b, off: off}
	if _, err := m.inspect("mutex"); err != nil {
		return nil, err
	}
	return m, nil
}

// mutexNoFutex returns the error futexWakeN gives where there is no futex.
func mutexNoFutex() error {
	_, err := futexWakeN(nil, 1)
	return err
}

// mutexWord resolves the mutex's 16 bytes at off in b, with b's lease
// held (see Buffer.word): b open and writable, the bytes inside b, their
// address a multiple of 8.
func (b *Buffer) mutexWord(op string, off int) (*uint64, lease, error) {
	p, l, err := b.word(op, off, MutexSize, 8, "16-byte mutex", true)
	return (*uint64)(p), l, err
}

// mutexReservedOf returns the address of the reserved word after p.
func mutexReservedOf(p *uint64) *uint64 { return (*uint64)(unsafe.Add(unsafe.Pointer(p), 8)) }

// mutexStateOf returns the address of the 32-bit state word, the futex word,
// which is the first 4 bytes in either byte order.
func mutexStateOf(p *uint64) *uint32 { return (*uint32)(unsafe.Pointer(p)) }

// inspect returns the mutex's word, or an error if the buffer cannot be
// used or the bytes are not a mutex.
func (m *Mutex) inspect(op string) (v uint64, err error) {
	p, l, err := m.b.mutexWord(op, m.off)
	if err != nil {
		return 0, err
	}
	defer l.release(&err)
	v = shatomic.LoadUint64(p)
	if !mutexValid(v, shatomic.LoadUint64(mutexReservedOf(p))) {
		return 0, m.corrupt(op, p)
	}
	return v, nil
}

// corrupt returns the error for bytes that are not a mutex; the lease on
// p must be held.
func (m *Mutex) corrupt(op string, p *uint64) error {
	raw := unsafe.Slice((*byte)(unsafe.Pointer(p)), MutexSize)
	return m.b.pathError(op, fmt.Errorf("%w: the %d bytes at offset %d (% x) are not a mutex", ErrCorrupt, MutexSize, m.off, raw))
}

// Lock locks m, waiting as long as it takes. It returns nil, or an error
// matching ErrOwnerDead with m locked all the same: the previous owner
// died holding it, and the data it protects needs repair and
// MarkConsistent before Unlock. Any other error (ErrNotRecoverable,
// ErrCorrupt, fs.ErrClosed, ErrFault) leaves m not locked by this process.
func (m *Mutex) Lock() error {
	_, err := m.lock("lock", nil, time.Time{}, false)
	return err
}

// LockTimeout is Lock that gives up after d: then it returns an error
// matching ErrTimeout, having checked that the owner is alive. A negative d
// is an error matching fs.ErrInvalid; 0 means one attempt.
func (m *Mutex) LockTimeout(d time.Duration) error {
	if d < 0 {
		return m.b.pathError("lock", invalid("negative timeout %v", d))
	}
	_, err := m.lock("lock", nil, time.Now().Add(d), false)
	return err
}

// LockContext is Lock that gives up when ctx is done: then it returns an
// error matching ctx.Err().
func (m *Mutex) LockContext(ctx context.Context) error {
	_, err := m.lock("lock", ctx, time.Time{}, false)
	return err
}

// TryLock locks m if it can without waiting. It returns true when it
// locked it: with a nil error, or with one matching ErrOwnerDead, as Lock.
// When another living process (or another goroutine of this one) holds m,
// it returns false and nil.
func (m *Mutex) TryLock() (bool, error) {
	return m.lock("trylock", nil, time.Time{}, true)
}

// lock is Lock, LockTimeout, LockContext and TryLock: it waits until ctx
// is done (nil: never), until deadline (zero: none), or not at all (try).
func (m *Mutex) lock(op string, ctx context.Context, deadline time.Time, try bool) (bool, error) {
	if mutexNamedObject {
		return m.lockNamed(op, ctx, deadline, try)
	}
	if ctx != nil {
		if err := ctx.Err(); err != nil {
			return false, m.b.pathError(op, err)
		}
	}
	if ok, err := m.fastLock(op); ok || err != nil {
		return ok, err
	}
	if ctx != nil && ctx.Done() != nil {
		// Wake the sleepers on the word when ctx is done, this goroutine
		// among them; in other processes that is a spurious wake-up,
		// which they shrug off.
		stop := context.AfterFunc(ctx, func() { m.wake(math.MaxInt32) })
		defer stop()
	}
	check := try || !deadline.IsZero() && !time.Now().Before(deadline)
	slept := false
	nap := mutexFirstNap
	for {
		if ctx != nil {
			if err := ctx.Err(); err != nil {
				return false, m.b.pathError(op, err)
			}
		}
		s, err := m.step(op, slept, check)
		if err != nil {
			return false, err
		}
		switch s.what {
		case mutexStepLocked:
			return true, nil
		case mutexStepRetry:
			continue
		case mutexStepCheck:
			check = false
			pid := s.state & mutexPid
			if !mutexOwnerAlive(pid, s.ticket) {
				taken, err := m.takeOver(op, s.v)
				if err != nil {
					return false, err
				}
				if taken {
					return true, m.b.pathError(op, fmt.Errorf("%w (it was pid %d)", ErrOwnerDead, pid))
				}
				check = true // the word changed: look at whoever holds it now
				continue
			}
			if try {
				return false, nil
			}
			if !deadline.IsZero() && !time.Now().Before(deadline) {
				return false, m.b.pathError(op, ErrTimeout)
			}
		case mutexStepSleep:
			d := nap
			if !deadline.IsZero() {
				left := time.Until(deadline)
				if left <= 0 {
					check = true // one last look at the owner before giving up
					continue
				}
				d = min(d, left)
			}
			slept = true
			// Through the buffer's waits, so that Close wakes this one at
			// once (fs.ErrClosed) and unmaps only after it has returned.
			switch err := m.b.waitWord(op, m.off, s.state, ctx, time.Now().Add(d)); {
			case err == nil:
				// Woken, or the state changed: look again.
			case errors.Is(err, ErrTimeout):
				check = true
				nap = min(2*nap, MutexCheckInterval)
			default:
				return false, err
			}
		}
	}
}

// fastLock is the uncontended Lock: one compare-and-swap of an unlocked
// word.
func (m *Mutex) fastLock(op string) (bool, error) {
	return onMutexWord(m, op, func(p *uint64) (bool, error) {
		// Reserved bytes set: not a mutex; the slow path says so.
		return shatomic.LoadUint64(mutexReservedOf(p)) == 0 && shatomic.CompareAndSwapUint64(p, 0, mutexSelf().word), nil
	})
}

// onMutexWord runs f on the mutex's word, with mutexWord's checks, under
// the number methods' guard (guarded), which costs less than a lease: the
// uncontended Lock and Unlock.
func onMutexWord[T any](m *Mutex, op string, f func(p *uint64) (T, error)) (T, error) {
	return guarded(m.b, op, true, func(mem []byte) (T, error) {
		p, err := m.b.wordIn(op, mem, m.off, MutexSize, 8, "16-byte mutex")
		if err != nil {
			var zero T
			return zero, err
		}
		return f((*uint64)(p))
	})
}

// What a step of lock found, and what to do next.
const (
	mutexStepLocked = iota // the mutex is ours
	mutexStepRetry         // a compare-and-swap lost a race: step again
	mutexStepCheck         // check whether the owner lives, then step again
	mutexStepSleep         // wait on addr while it holds state
)

type mutexStep struct {
	what   int
	v      uint64 // the word seen
	state  uint32 // its state: for mutexStepSleep, the value to wait on
	ticket uint32
	addr   *uint32
}

// step makes one attempt to lock m under a lease. slept says whether this
// Lock has slept (so other waiters may exist, and the waiters bit must be
// kept). With check, a held mutex is reported for a liveness check instead
// of a sleep.
func (m *Mutex) step(op string, slept, check bool) (s mutexStep, err error) {
	p, l, err := m.b.mutexWord(op, m.off)
	if err != nil {
		return s, err
	}
	defer l.release(&err)
	v := shatomic.LoadUint64(p)
	state, ticket := mutexUnpack(v)
	s = mutexStep{v: v, state: state, ticket: ticket, addr: mutexStateOf(p)}
	switch {
	case !mutexValid(v, shatomic.LoadUint64(mutexReservedOf(p))):
		return s, m.corrupt(op, p)
	case state == mutexNotRecov:
		return s, m.b.pathError(op, ErrNotRecoverable)
	case state == 0:
		next := mutexSelf().word
		if slept {
			next = mutexPack(mutexSelf().pid|mutexWaiters, mutexSelf().ticket)
		}
		if shatomic.CompareAndSwapUint64(p, v, next) {
			s.what = mutexStepLocked
		} else {
			s.what = mutexStepRetry
		}
		return s, nil
	case check:
		s.what = mutexStepCheck
		return s, nil
	case state&mutexWaiters == 0:
		state |= mutexWaiters
		if !shatomic.CompareAndSwapUint64(p, v, mutexPack(state, ticket)) {
			s.what = mutexStepRetry
			return s, nil
		}
	}
	s.what, s.state = mutexStepSleep, state
	return s, nil
}

// takeOver locks m from an owner found dead, if the word is still v: it
// becomes inconsistent, owned by this process, waiters bit kept.
func (m *Mutex) takeOver(op string, v uint64) (ok bool, err error) {
	p, l, err := m.b.mutexWord(op, m.off)
	if err != nil {
		return false, err
	}
	defer l.release(&err)
	state, _ := mutexUnpack(v)
	me := mutexSelf()
	return shatomic.CompareAndSwapUint64(p, v, mutexPack(me.pid|mutexIncons|state&mutexWaiters, me.ticket)), nil
}

// wake wakes up to n waiters on m's word, if the buffer is still open.
func (m *Mutex) wake(n int) {
	p, l, err := m.b.mutexWord("wake", m.off)
	if err != nil {
		return
	}
	defer l.release(nil)
	_, _ = futexWakeN(mutexStateOf(p), n)
}

// Unlock unlocks m. The process must hold it (any of its goroutines may
// call Unlock); otherwise the error matches fs.ErrPermission and m is left
// as it was. If this process took m over from a dead owner and has not
// called MarkConsistent, Unlock still unlocks it, but m becomes not
// recoverable: every waiter and every later Lock gets ErrNotRecoverable,
// and so does this Unlock, to say so.
func (m *Mutex) Unlock() error {
	if mutexNamedObject {
		return m.unlockNamed()
	}
	_, err := onMutexWord(m, "unlock", func(p *uint64) (struct{}, error) { return struct{}{}, m.unlock(p) })
	return err
}

// unlock is Unlock on the mutex's word p, under its guard.
func (m *Mutex) unlock(p *uint64) error {
	for {
		v := shatomic.LoadUint64(p)
		state, _ := mutexUnpack(v)
		if err := m.mustHold("unlock", p, v); err != nil {
			return err
		}
		if state&mutexIncons != 0 {
			if !shatomic.CompareAndSwapUint64(p, v, mutexPack(mutexNotRecov, 0)) {
				continue
			}
			_, _ = futexWakeN(mutexStateOf(p), math.MaxInt32)
			return m.b.pathError("unlock", fmt.Errorf("%w: unlocked without MarkConsistent after ErrOwnerDead", ErrNotRecoverable))
		}
		if !shatomic.CompareAndSwapUint64(p, v, 0) {
			continue // a waiter set its bit
		}
		if state&mutexWaiters != 0 {
			if _, err := futexWakeN(mutexStateOf(p), 1); err != nil {
				return m.b.pathError("unlock", err)
			}
		}
		return nil
	}
}

// MarkConsistent tells m that the data it protects has been repaired after
// Lock returned ErrOwnerDead, so that Unlock leaves it usable. The process
// must hold m (else an error matching fs.ErrPermission); on a consistent
// mutex it does nothing.
func (m *Mutex) MarkConsistent() (err error) {
	if mutexNamedObject {
		return m.markConsistentNamed()
	}
	p, l, err := m.b.mutexWord("markconsistent", m.off)
	if err != nil {
		return err
	}
	defer l.release(&err)
	for {
		v := shatomic.LoadUint64(p)
		state, ticket := mutexUnpack(v)
		if err := m.mustHold("markconsistent", p, v); err != nil {
			return err
		}
		if state&mutexIncons == 0 ||
			shatomic.CompareAndSwapUint64(p, v, mutexPack(state&^mutexIncons, ticket)) {
			return nil
		}
	}
}

// mustHold returns nil if this process holds the mutex whose word v was
// read from p, and otherwise an error that says who does; the lease on p
// must be held.
func (m *Mutex) mustHold(op string, p *uint64, v uint64) error {
	state, ticket := mutexUnpack(v)
	me := mutexSelf()
	pid := state & mutexPid
	var who string
	switch {
	case !mutexValid(v, shatomic.LoadUint64(mutexReservedOf(p))):
		return m.corrupt(op, p)
	case pid == me.pid && ticket == me.ticket:
		return nil
	case state == 0:
		who = "is not locked"
	case state == mutexNotRecov:
		who = "is not recoverable and not locked"
	case pid == me.pid:
		who = fmt.Sprintf("is held by an earlier process with this pid (%d), which has died", pid)
	default:
		who = fmt.Sprintf("is held by pid %d", pid)
	}
	return m.b.pathError(op, &mutexNotOwnerError{fmt.Sprintf("the mutex at offset %d %s, not by this process (pid %d)", m.off, who, me.pid)})
}

// mutexNotOwnerError is an operation on a mutex by a process that does not hold
// it. It matches fs.ErrPermission.
type mutexNotOwnerError struct{ msg string }

func (e *mutexNotOwnerError) Error() string        { return e.msg }
func (e *mutexNotOwnerError) Is(target error) bool { return target == fs.ErrPermission }

// Reset makes m unlocked and consistent whatever its bytes hold: after
// ErrNotRecoverable once the data has been checked, or over bytes that are
// not a mutex (ErrCorrupt). It wakes every waiter. It is for when no
// process is using m: one that holds it would go on as if it did.
func (m *Mutex) Reset() (err error) {
	if mutexNamedObject {
		return m.resetNamed()
	}
	p, l, err := m.b.mutexWord("reset", m.off)
	if err != nil {
		return err
	}
	defer l.release(&err)
	shatomic.StoreUint64(mutexReservedOf(p), 0)
	shatomic.StoreUint64(p, 0)
	_, _ = futexWakeN(mutexStateOf(p), math.MaxInt32)
	return nil
}
