package ipcbuf

// The Ring's calls: sending and receiving, by copy and without, and how
// they block. Each attempt runs under the fault guard and never blocks;
// block runs attempts and sleeps between them on a futex word.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"runtime"
	"time"
	"unsafe"

	"github.com/ipcbuf/ipcbuf/internal/shatomic"
)

// An attempt's outcome, besides an error.
const (
	ringDone    = iota
	ringIdle    // nothing to do until the other side acts, which wakes us (see block)
	ringStalled // waiting on a process that may have died: sleep in slices and check it
)

// Send copies p into the ring as one message, and waits while the ring
// has no room for it. A message longer than MaxMessage is an error matching
// fs.ErrInvalid, at once.
func (r *Ring) Send(p []byte) error { return r.send("ringSend", p, nil, time.Time{}, false) }

// SendTimeout is Send for at most d: then it returns an error matching
// ErrTimeout, and the message is not sent. A negative d is an error.
func (r *Ring) SendTimeout(p []byte, d time.Duration) error {
	if d < 0 {
		return r.b.pathError("ringSend", invalid("negative timeout %v", d))
	}
	return r.send("ringSend", p, nil, time.Now().Add(d), false)
}

// SendContext is Send until ctx is done: then it returns an error matching
// ctx.Err(), and the message is not sent.
func (r *Ring) SendContext(ctx context.Context, p []byte) error {
	if ctx == nil {
		return r.b.pathError("ringSend", invalid("nil context"))
	}
	return r.send("ringSend", p, ctx, time.Time{}, false)
}

// TrySend is Send without waiting: if the ring has no room for p now, it
// returns an error matching ErrFull. It does too, matching ErrBusy as
// well, if another producer has held the producers' lock for over a
// millisecond (a process stopped or descheduled in the middle of a send).
func (r *Ring) TrySend(p []byte) error { return r.send("ringSend", p, nil, time.Time{}, true) }

func (r *Ring) send(op string, p []byte, ctx context.Context, deadline time.Time, try bool) error {
	_, err := r.reserve(op, len(p), ctx, deadline, try, func(dst []byte) { copy(dst, p) })
	return err
}

// Reservation is room for one message in the ring, which Reserve handed
// out: fill Bytes, then Commit to send it or Abort to drop it. Until then,
// consumers wait at this message (later ones wait behind it), so fill it
// promptly.
type Reservation struct {
	r    *Ring
	p    uint64
	data []byte
	done bool
}

// Reserve makes room for an n-byte message in the ring, waiting while
// there is none, and returns it to be filled in place: no copy.
func (r *Ring) Reserve(n int) (*Reservation, error) {
	return r.reserve("ringReserve", n, nil, time.Time{}, false, nil)
}

// ReserveContext is Reserve until ctx is done.
func (r *Ring) ReserveContext(ctx context.Context, n int) (*Reservation, error) {
	if ctx == nil {
		return nil, r.b.pathError("ringReserve", invalid("nil context"))
	}
	return r.reserve("ringReserve", n, ctx, time.Time{}, false, nil)
}

// TryReserve is Reserve without waiting: an error matching ErrFull if
// there is no room now.
func (r *Ring) TryReserve(n int) (*Reservation, error) {
	return r.reserve("ringReserve", n, nil, time.Time{}, true, nil)
}

// Bytes returns the message's bytes in the ring, to be filled before
// Commit. They belong to the ring again after Commit or Abort.
func (v *Reservation) Bytes() []byte { return v.data }

// Commit sends the message. A second Commit, or one after Abort, is an
// error matching fs.ErrInvalid.
func (v *Reservation) Commit() error { return v.finish("ringCommit", ringCommitted) }

// Abort drops the message: consumers skip it.
func (v *Reservation) Abort() error { return v.finish("ringAbort", ringSkipped) }

func (v *Reservation) finish(op string, to uint64) error {
	if v.done {
		return v.r.b.pathError(op, invalid("the reservation at position %d was already committed or aborted", v.p))
	}
	v.done = true
	_, err := guarded(v.r.b, op, true, func(mem []byte) (struct{}, error) {
		return struct{}{}, v.r.finishRecord(v.r.view(mem), op, v.p, to)
	})
	return err
}

func (r *Ring) finishRecord(v ringView, op string, p, to uint64) error {
	if !v.finish(p, to) {
		return r.b.pathError(op, fmt.Errorf("%w: the message at position %d was skipped: consumers took its producer for dead", ErrCorrupt, p))
	}
	if to == ringSkipped {
		v.addU64(ringSkippedOff, 1)
	}
	return nil
}

// reserve is Send and Reserve: with fill, it copies the message in and
// commits it; without, it returns the reservation.
func (r *Ring) reserve(op string, n int, ctx context.Context, deadline time.Time, try bool, fill func([]byte)) (*Reservation, error) {
	if r.closedRing.Load() {
		return nil, r.b.closedError(op)
	}
	if n < 0 || n > r.MaxMessage() {
		return nil, r.b.pathError(op, invalid("a message of %d bytes does not fit: this ring's data area is %d bytes, so its longest message is %d bytes", n, r.cap, r.MaxMessage()))
	}
	var res *Reservation
	err := r.block(op, ctx, deadline, try, ringSpaceSeqOff, ringSpaceWait, func(check bool) (int, error) {
		return guarded(r.b, op, true, func(mem []byte) (int, error) {
			v := r.view(mem)
			if check {
				r.unwedge(v)
			}
			whole := fill
			if r.flags&ringSingleProducer == 0 && n > ringLockedCopy {
				whole = nil // copied after the lock is given back
			}
			p, full, err := r.reserveRecord(v, op, uint64(n), try, whole)
			if err != nil || full {
				return ringStalled, err // room depends on consumers that may have died
			}
			switch {
			case fill == nil:
				res = &Reservation{r: r, p: p, data: v.bytes(p, uint64(n))}
			case whole == nil:
				fill(v.bytes(p, uint64(n)))
				return ringDone, r.finishRecord(v, op, p, ringCommitted)
			}
			return ringDone, nil
		})
	})
	if errors.Is(err, errNotReady) {
		return nil, r.b.pathError(op, ErrFull)
	}
	return res, r.wrap(op, err)
}

// wrap names op and the buffer in an error from the protocol's steps,
// which know neither; errors that already do pass through.
func (r *Ring) wrap(op string, err error) error {
	var pe *fs.PathError
	if err == nil || errors.As(err, &pe) {
		return err
	}
	return r.b.pathError(op, err)
}

// reserveRecord takes the producers' lock, reserves and gives it back.
func (r *Ring) reserveRecord(v ringView, op string, n uint64, try bool, fill func([]byte)) (p uint64, full bool, err error) {
	if r.flags&ringSingleProducer != 0 {
		r.pmu.Lock()
		defer r.pmu.Unlock()
		if err := r.takeRole(v, op, "producer", ringPLockOff, &r.pheld); err != nil {
			return 0, false, err
		}
		return v.reserve(n, fill, &r.freeSeen)
	}
	if ok, err := r.lockPerCall(v, op, "producers'", ringPLockOff, try); !ok {
		return 0, true, err
	}
	defer v.unlock(ringPLockOff)
	return v.reserve(n, fill, &r.freeSeen)
}

// takeRole makes sure this Ring holds a single role's lock, taking it if
// it is free or its holder dead.
func (r *Ring) takeRole(v ringView, op, role string, off uintptr, held *bool) error {
	if *held {
		return nil
	}
	res, holder := v.tryLock(off, true)
	if res == busy {
		if holder == v.me.word {
			return r.b.pathError(op, fmt.Errorf("%w: another Ring in this process is the ring's single %s (Close it first)", ErrBusy, role))
		}
		return r.b.pathError(op, fmt.Errorf("%w: process %d is the ring's single %s", ErrBusy, uint32(holder), role))
	}
	*held = true
	// A Ring dropped without Close gives its role back when collected.
	c := runtime.AddCleanup(r, ringGiveBack, ringRole{b: r.b, off: off})
	if off == ringPLockOff {
		r.pclean = c
	} else {
		r.cclean = c
	}
	if res == tookOver && off == ringCLockOff {
		return v.advanceFree(true) // what the dead consumer held is lost
	}
	return nil
}

// ringRole is a single role's lock in a ring: what Close, or the cleanup
// of a Ring dropped without it, gives back.
type ringRole struct {
	b   *Buffer
	off uintptr
}

// ringGiveBack gives a role back if this process holds it. On a Buffer
// closed meanwhile it does nothing: the role then stays with this process
// until it ends.
func ringGiveBack(role ringRole) {
	_, _ = guarded(role.b, "ringClose", true, func(mem []byte) (struct{}, error) {
		shatomic.CompareAndSwapUint64((*uint64)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(mem)), role.off)), ringSelf().word, 0)
		return struct{}{}, nil
	})
}

// lockPerCall takes a per-message lock. Its holders keep it for a few
// stores, so one that keeps it for a millisecond is a stopped or
// descheduled process: a Try call then fails with an error matching
// ErrFull (ErrEmpty for the consumers' lock) and ErrBusy, and a blocking
// call gets ok false with no error, sleeps a slice and tries again.
func (r *Ring) lockPerCall(v ringView, op, which string, off uintptr, try bool) (ok bool, err error) {
	res, holder := v.lockSpin(off, time.Millisecond)
	switch res {
	case busy:
		if try {
			// Not now, as a full (empty) ring is: callers that retry on
			// ErrFull (ErrEmpty) retry on this too.
			notNow := ErrFull
			if off == ringCLockOff {
				notNow = ErrEmpty
			}
			return false, r.b.pathError(op, fmt.Errorf("%w (%w: the %s lock has been held by process %d for over a millisecond)", notNow, ErrBusy, which, uint32(holder)))
		}
		return false, nil
	case tookOver:
		if off == ringCLockOff {
			return true, v.advanceFree(true)
		}
	}
	return true, nil
}

// unwedge undoes what dead consumers left, when a producer finds no room:
// it wakes the sleeping consumers if messages wait, and frees what dead
// consumers left claimed, taking the consumers' lock if it is free or its
// holder dead, moving free on and giving it back (a live holder moves
// free itself).
func (r *Ring) unwedge(v ringView) {
	// A consumer killed after the kernel woke it for a message took the
	// wake-up with it, and the others may sleep on while that message
	// waits: wake them.
	if shatomic.LoadUint64(v.u64(ringHeadOff)) != shatomic.LoadUint64(v.u64(ringTailOff)) {
		v.wake(ringDataSeqOff, ringDataWaitOff)
	}
	if res, _ := v.tryLock(ringCLockOff, true); res == busy {
		return
	}
	_ = v.advanceFree(true) // a corrupt ring shows in the call's own steps
	v.unlock(ringCLockOff)
}

// Recv waits for the next message, copies it into p and returns its
// length. If p is too short for it, Recv returns the message's length and
// an error matching io.ErrShortBuffer, and leaves the message in the ring.
func (r *Ring) Recv(p []byte) (int, error) { return r.recv("ringRecv", p, nil, time.Time{}, false) }

// RecvTimeout is Recv for at most d: then it returns an error matching
// ErrTimeout. A negative d is an error.
func (r *Ring) RecvTimeout(p []byte, d time.Duration) (int, error) {
	if d < 0 {
		return 0, r.b.pathError("ringRecv", invalid("negative timeout %v", d))
	}
	return r.recv("ringRecv", p, nil, time.Now().Add(d), false)
}

// RecvContext is Recv until ctx is done: then it returns an error matching
// ctx.Err().
func (r *Ring) RecvContext(ctx context.Context, p []byte) (int, error) {
	if ctx == nil {
		return 0, r.b.pathError("ringRecv", invalid("nil context"))
	}
	return r.recv("ringRecv", p, ctx, time.Time{}, false)
}

// TryRecv is Recv without waiting: an error matching ErrEmpty if no
// message is ready now (and ErrBusy as well if another consumer has held
// the consumers' lock for over a millisecond).
func (r *Ring) TryRecv(p []byte) (int, error) { return r.recv("ringRecv", p, nil, time.Time{}, true) }

func (r *Ring) recv(op string, p []byte, ctx context.Context, deadline time.Time, try bool) (int, error) {
	if p == nil {
		p = []byte{} // dst nil means Peek
	}
	_, n, err := r.claim(op, uint64(len(p)), ctx, deadline, try, p)
	return n, err
}

// Message is a message Peek handed out, still in the ring: read Bytes,
// then Release it. Until then its room stays taken.
type Message struct {
	r    *Ring
	p    uint64
	n    int
	data []byte
	done bool
}

// Peek waits for the next message and returns it in place: no copy. It is
// this caller's alone (no other consumer gets it); Release it when done.
func (r *Ring) Peek() (*Message, error) {
	m, _, err := r.claim("ringPeek", 1<<32, nil, time.Time{}, false, nil)
	return m, err
}

// PeekContext is Peek until ctx is done.
func (r *Ring) PeekContext(ctx context.Context) (*Message, error) {
	if ctx == nil {
		return nil, r.b.pathError("ringPeek", invalid("nil context"))
	}
	m, _, err := r.claim("ringPeek", 1<<32, ctx, time.Time{}, false, nil)
	return m, err
}

// TryPeek is Peek without waiting: an error matching ErrEmpty if no
// message is ready now.
func (r *Ring) TryPeek() (*Message, error) {
	m, _, err := r.claim("ringPeek", 1<<32, nil, time.Time{}, true, nil)
	return m, err
}

// Bytes returns the message's bytes in the ring, valid until Release.
func (m *Message) Bytes() []byte { return m.data }

// Release gives the message's room back to the producers. A second
// Release is an error matching fs.ErrInvalid.
func (m *Message) Release() error {
	if m.done {
		return m.r.b.pathError("ringRelease", invalid("the message at position %d was already released", m.p))
	}
	m.done = true
	_, err := guarded(m.r.b, "ringRelease", true, func(mem []byte) (struct{}, error) {
		return struct{}{}, m.r.releaseRecord(m.r.view(mem), "ringRelease", m.p)
	})
	return m.r.wrap("ringRelease", err)
}

// claim is Recv (into dst) and Peek (dst nil).
func (r *Ring) claim(op string, room uint64, ctx context.Context, deadline time.Time, try bool, dst []byte) (m *Message, got int, err error) {
	if r.closedRing.Load() {
		return nil, 0, r.b.closedError(op)
	}
	var short uint64
	got = -1
	err = r.block(op, ctx, deadline, try, ringDataSeqOff, ringDataWaitOff, func(check bool) (int, error) {
		return guarded(r.b, op, true, func(mem []byte) (int, error) {
			v := r.view(mem)
			p, n, res, copied, err := r.claimRecord(v, op, room, check, try, dst)
			switch {
			case err != nil:
				return ringDone, err
			case res == empty:
				return ringIdle, nil
			case res == notReady:
				return ringStalled, nil
			case res == tooShort:
				short = n
				return ringDone, nil
			}
			if dst == nil {
				m = &Message{r: r, p: p, n: int(n), data: v.bytes(p, n)}
				return ringDone, nil
			}
			got = int(n)
			if copied {
				return ringDone, nil
			}
			copy(dst, v.bytes(p, n))
			return ringDone, r.releaseRecord(v, op, p)
		})
	})
	switch {
	case errors.Is(err, errNotReady):
		return nil, 0, r.b.pathError(op, ErrEmpty)
	case err == nil && m == nil && got < 0:
		return nil, int(short), r.b.pathError(op, fmt.Errorf("%w: the next message is %d bytes and the room given is %d", io.ErrShortBuffer, short, room))
	}
	return m, got, r.wrap(op, err)
}

// claimRecord takes the consumers' lock, claims and gives it back, and
// wakes another sleeping consumer if more messages wait.
func (r *Ring) claimRecord(v ringView, op string, room uint64, check, try bool, dst []byte) (p, n uint64, res claimResult, copied bool, err error) {
	if r.flags&ringSingleConsumer != 0 {
		r.cmu.Lock()
		defer r.cmu.Unlock()
		if err := r.takeRole(v, op, "consumer", ringCLockOff, &r.cheld); err != nil {
			return 0, 0, 0, false, err
		}
		return v.claim(room, check, dst, math.MaxUint64, &r.tailSeen)
	}
	if ok, err := r.lockPerCall(v, op, "consumers'", ringCLockOff, try); !ok {
		return 0, 0, notReady, false, err
	}
	p, n, res, copied, err = v.claim(room, check, dst, ringLockedCopy, &r.tailSeen)
	v.unlock(ringCLockOff)
	return p, n, res, copied, err
}

// ringLockedCopy is the longest message that a ring with several
// producers (or consumers) copies in (or out) with the lock held. A longer
// copy would keep the other producers (consumers) waiting, so it goes
// through the writing (claimed) state and is copied after the lock is
// given back, at the price of two more atomic steps.
const ringLockedCopy = 4096

// releaseRecord releases this process's claimed record at p and moves
// free on.
func (r *Ring) releaseRecord(v ringView, op string, p uint64) error {
	if !v.release(p) {
		return r.b.pathError(op, fmt.Errorf("%w: the message at position %d is no longer this consumer's", ErrCorrupt, p))
	}
	if r.flags&ringSingleConsumer != 0 {
		r.cmu.Lock()
		defer r.cmu.Unlock()
		if r.cheld {
			return v.advanceFree(false)
		}
	}
	if ok, _ := r.lockPerCall(v, op, "consumers'", ringCLockOff, false); !ok {
		// The message is released; free moves over it with the next
		// release, or when a producer short of room looks.
		return nil
	}
	defer v.unlock(ringCLockOff)
	return v.advanceFree(false)
}

func (v ringView) loadU32(off uintptr) uint32   { return shatomic.LoadUint32(v.u32(off)) }
func (v ringView) addU32(off uintptr, d uint32) { shatomic.AddUint32(v.u32(off), d) }
func (v ringView) addU64(off uintptr, d uint64) { shatomic.AddUint64(v.u64(off), d) }

// errNotReady ends a Try call that found nothing to do.
var errNotReady = errors.New("not ready")

// block runs attempt until it is done, sleeping between attempts on the
// sequence word at seq (and counting itself in the waiting count at wait)
// until a wake-up, ctx is done, or deadline passes. A Try call makes one
// attempt and returns errNotReady if it found nothing to do. No sleep
// outlasts MutexCheckInterval, whatever it waits for: a wake-up can be
// lost with a process that died after the kernel woke it and before it
// looked, and the next look finds what it was for. An attempt that is
// stalled on a process that may be dead sleeps 1 ms first, doubling up to
// MutexCheckInterval, and the next attempt checks that process.
func (r *Ring) block(op string, ctx context.Context, deadline time.Time, try bool, seq, wait uintptr, attempt func(check bool) (int, error)) error {
	check := try && r.checkDue()
	st, err := attempt(check)
	if err != nil || st == ringDone {
		return err
	}
	if try {
		return errNotReady
	}
	if r.spin > 0 {
		for end := time.Now().Add(r.spin); time.Now().Before(end); {
			for range 64 {
				if st, err = attempt(false); err != nil || st == ringDone {
					return err
				}
			}
		}
	}
	nap := mutexFirstNap
	for check = false; ; {
		s, err := r.enterWait(op, seq, wait)
		if err != nil {
			return err
		}
		st, err = attempt(check)
		if err != nil || st == ringDone {
			r.leaveWait(op, wait)
			return err
		}
		slice := MutexCheckInterval
		if st == ringStalled {
			slice = nap
		}
		until, sliced := deadline, false
		if end := time.Now().Add(slice); until.IsZero() || end.Before(until) {
			until, sliced = end, true
		}
		werr := r.b.waitWord(op, int(seq), s, ctx, until)
		check = false
		if werr != nil {
			r.leaveWait(op, wait) // not woken: no waker took this count back
		}
		switch {
		case werr == nil:
		case sliced && errors.Is(werr, ErrTimeout):
			check = true
			if st == ringStalled {
				nap = min(2*nap, MutexCheckInterval)
			}
		default:
			return werr
		}
	}
}

// enterWait counts this caller in the waiting count at wait and returns
// the sequence word at seq, read after it. The waker that finds the count
// set takes it back to 0 (see ringView.wake).
func (r *Ring) enterWait(op string, seq, wait uintptr) (uint32, error) {
	return guarded(r.b, op, true, func(mem []byte) (uint32, error) {
		v := r.view(mem)
		v.addU32(wait, 1)
		return v.loadU32(seq), nil
	})
}

// leaveWait takes this caller's count back when it leaves without being
// woken (it gave up, or never slept), unless a waker has already set the
// count to 0. Taking back another sleeper's count instead costs that one
// at most a sleep's slice.
func (r *Ring) leaveWait(op string, wait uintptr) {
	_, _ = guarded(r.b, op, true, func(mem []byte) (struct{}, error) {
		p := r.view(mem).u32(wait)
		for n := shatomic.LoadUint32(p); n != 0 && !shatomic.CompareAndSwapUint32(p, n, n-1); n = shatomic.LoadUint32(p) {
		}
		return struct{}{}, nil
	})
}

// checkDue rate-limits the Try calls' checks for dead processes to one
// per MutexCheckInterval per Ring: a check costs tens of µs, and a caller
// polling a full ring would otherwise pay it every time.
func (r *Ring) checkDue() bool {
	now := time.Now().UnixNano()
	last := r.lastCheck.Load()
	return now-last >= int64(MutexCheckInterval) && r.lastCheck.CompareAndSwap(last, now)
}
