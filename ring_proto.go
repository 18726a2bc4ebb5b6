package ipcbuf

// The ring's protocol, step by step as RING.md gives it: reserving and
// committing records, claiming and releasing them, moving free, and the
// two locks. Every function here runs under the fault guard, on the bytes
// of an open buffer, and never blocks.

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/ipcbuf/ipcbuf/internal/shatomic"
)

// A record's state, in the low 3 bits of its state word.
const (
	ringWriting   = 1
	ringCommitted = 2
	ringClaimed   = 3
	ringReleased  = 4
	ringPadding   = 5
	ringSkipped   = 6

	ringStateMask = 7
)

// ringView is a ring's bytes: the header at base, the data area after it.
type ringView struct {
	base      unsafe.Pointer
	cap, mask uint64
	me        ringOwner // this process
}

func (r *Ring) view(mem []byte) ringView {
	return ringView{base: unsafe.Pointer(unsafe.SliceData(mem)), cap: r.cap, mask: r.cap - 1, me: r.me}
}

// ringOwner is this process as a ring records it: its pid and ticket in
// records, its owner word in locks.
type ringOwner struct {
	pid, ticket uint32
	word        uint64
}

func (v ringView) u64(off uintptr) *uint64 { return (*uint64)(unsafe.Add(v.base, off)) }
func (v ringView) u32(off uintptr) *uint32 { return (*uint32)(unsafe.Add(v.base, off)) }

// at returns the offset from base of position p's byte in the data area.
func (v ringView) at(p uint64) uintptr { return RingHeaderSize + uintptr(p&v.mask) }

func (v ringView) state(p uint64) *uint64 { return v.u64(v.at(p)) }

// rec returns the header of the record at position p.
func (v ringView) rec(p uint64) *ringRecord { return (*ringRecord)(unsafe.Add(v.base, v.at(p))) }

// bytes returns the n bytes of the message of the record at p.
func (v ringView) bytes(p, n uint64) []byte {
	if n == 0 {
		// An empty record may end the data area: its message would start
		// one past the end of the memory, a pointer Go may not make.
		return []byte{}
	}
	return unsafe.Slice((*byte)(unsafe.Add(v.base, v.at(p)+ringRecHdr)), n)
}

// ringRecSize is the size of the record of an n-byte message.
func ringRecSize(n uint64) uint64 { return (ringRecHdr + n + 7) &^ 7 }

// ringCorrupt is the error for a ring whose shared state breaks the
// protocol: another program's data, or a bug in a program sharing it.
func ringCorrupt(format string, args ...any) error {
	return fmt.Errorf("%w: ring %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

// positions reads free, head and tail, and checks the order RING.md
// promises: free <= head <= tail <= free+capacity, all multiples of 8.
func (v ringView) positions() (free, head, tail uint64, err error) {
	free = shatomic.LoadUint64(v.u64(ringFreeOff))
	head = shatomic.LoadUint64(v.u64(ringHeadOff))
	tail = shatomic.LoadUint64(v.u64(ringTailOff))
	if free > head || head > tail || tail-free > v.cap || (free|head|tail)&7 != 0 {
		// Others may have moved on between the loads: read again, in the
		// order that makes a consistent answer possible (tail moves
		// first, free last).
		tail = shatomic.LoadUint64(v.u64(ringTailOff))
		head = shatomic.LoadUint64(v.u64(ringHeadOff))
		free = shatomic.LoadUint64(v.u64(ringFreeOff))
		if free > head || head > tail || tail-free > v.cap || (free|head|tail)&7 != 0 {
			return 0, 0, 0, ringCorrupt("positions out of order: free %d, head %d, tail %d, capacity %d (free <= head <= tail <= free+capacity, multiples of 8)", free, head, tail, v.cap)
		}
	}
	return free, head, tail, nil
}

// record reads the state word of the record at p, which must lie below
// limit, and returns it with the record's size, after checking that the
// record is one: its word names p, its state is known, it fits the data
// area before the wrap and before limit.
func (v ringView) record(p, limit uint64) (w, size uint64, err error) {
	w = shatomic.LoadUint64(v.state(p))
	if w&^ringStateMask != p {
		return 0, 0, ringCorrupt("record at position %d has the state word %#x, which names position %d", p, w, w&^ringStateMask)
	}
	left := v.cap - p&v.mask // bytes to the end of the data area
	switch w & ringStateMask {
	case ringPadding:
		size = left
	case ringWriting, ringCommitted, ringClaimed, ringReleased, ringSkipped:
		if left < ringRecHdr {
			return 0, 0, ringCorrupt("record at position %d: only %d bytes left before the end of the data area, less than a record header", p, left)
		}
		n := uint64(shatomic.LoadUint32(&v.rec(p).len))
		size = ringRecSize(n)
		if size > left {
			return 0, 0, ringCorrupt("record at position %d: a %d-byte message runs past the end of the data area", p, n)
		}
	default:
		return 0, 0, ringCorrupt("record at position %d has the unknown state %d", p, w&ringStateMask)
	}
	if size > limit-p {
		return 0, 0, ringCorrupt("record at position %d of %d bytes runs past position %d", p, size, limit)
	}
	return w, size, nil
}

// owner returns the pid and ticket in the record at p.
func (v ringView) owner(p uint64) (pid, ticket uint32) {
	h := v.rec(p)
	return shatomic.LoadUint32(&h.pid), shatomic.LoadUint32(&h.ticket)
}

// ringSelf returns this process's owner word: pid in the low half, ticket
// in the high half, as numbers (RING.md, "Owners").
func ringSelf() ringOwner {
	me := mutexSelf()
	return ringOwner{pid: me.pid, ticket: me.ticket, word: uint64(me.pid) | uint64(me.ticket)<<32}
}

// ringOwnerAlive reports whether the owner word w names a live process.
// A pid no process can have (0, or past Linux's PID_MAX_LIMIT, 2^22) is
// no one: kill would take 0 for our process group and -1 for every
// process.
func ringOwnerAlive(w uint64) bool {
	pid := uint32(w)
	if pid == 0 || pid > mutexPid {
		return false
	}
	return mutexOwnerAlive(pid, uint32(w>>32))
}

// reserve makes a record for an n-byte message at the tail and publishes
// it, with the producers' lock held. With fill nil the record is left in
// the writing state for its producer to fill and commit after the lock
// is given back; with fill, the message is written under the lock and
// the record published committed, which saves two atomic steps and the
// window where a producer can die with a record half written. full
// reports that there is no room now (a padding record may have been
// published).
func (v ringView) reserve(n uint64, fill func([]byte), seen *uint64) (p uint64, full bool, err error) {
	// free is the consumers' line, written with every message: read it
	// only when the free position this producer saw last (*seen, which
	// can only be behind) leaves no room. head is not read at all.
	tail := shatomic.LoadUint64(v.u64(ringTailOff))
	free := atomic.LoadUint64(seen) // atomic only for the race detector, which cannot see the lock in shared memory order it
	size := ringRecSize(n)
	need := size
	if left := v.cap - tail&v.mask; size > left {
		need += left
	}
	if free > tail || tail+need-free > v.cap || tail&7 != 0 {
		free = shatomic.LoadUint64(v.u64(ringFreeOff))
		if free > tail || tail-free > v.cap || (free|tail)&7 != 0 {
			// free moved between the loads: read again, in a safe order.
			if free, _, tail, err = v.positions(); err != nil {
				return 0, false, err
			}
		}
		atomic.StoreUint64(seen, free)
	}
	t := tail
	if left := v.cap - t&v.mask; size > left {
		if t+left-free > v.cap {
			return 0, true, nil
		}
		ringPut64(v.state(t), t|ringPadding) // published by the store of tail
		t += left
	}
	if t+size-free > v.cap && t != tail {
		// Only the padding fits, and the record waits for the room the
		// padding takes. Publish it and, if the consumers have taken
		// everything before it and their lock is free, pass it as a
		// consumer would (RING.md, step 1). Otherwise a consumer passes it.
		shatomic.StoreUint64(v.u64(ringTailOff), t)
		if res, _ := v.tryLock(ringCLockOff, false); res != busy {
			if shatomic.LoadUint64(v.u64(ringHeadOff)) == tail {
				shatomic.StoreUint64(v.u64(ringHeadOff), t)
				if shatomic.LoadUint64(v.u64(ringFreeOff)) == tail {
					shatomic.StoreUint64(v.u64(ringFreeOff), t)
					free = t
					atomic.StoreUint64(seen, free)
				}
			}
			v.unlock(ringCLockOff)
		}
		tail = t
		v.wake(ringDataSeqOff, ringDataWaitOff) // a consumer may pass it, if this did not
	}
	if t+size-free > v.cap {
		if t != tail {
			shatomic.StoreUint64(v.u64(ringTailOff), t)
		}
		return 0, true, nil
	}
	// The header is written with plain stores: the store of tail, after
	// them, publishes them (consumers read a record only below tail).
	h := v.rec(t)
	ringPut32(&h.len, uint32(n))
	ringPut32(&h.pid, v.me.pid)
	ringPut32(&h.ticket, v.me.ticket)
	ringPut32(&h.reserved, 0)
	state := uint64(ringWriting)
	if fill != nil {
		fill(v.bytes(t, n))
		state = ringCommitted
	}
	ringPut64(&h.state, t|state)
	shatomic.StoreUint64(v.u64(ringTailOff), t+size)
	if fill != nil {
		v.wake(ringDataSeqOff, ringDataWaitOff)
	}
	return t, false, nil
}

// ringRecord is a record's header; see RING.md.
type ringRecord struct {
	state            uint64
	len, pid, ticket uint32
	reserved         uint32
}

// finish ends the writing of the record at p: to committed, or to
// skipped for an aborted one. It reports false if the record was no
// longer being written: consumers took its producer for dead.
func (v ringView) finish(p uint64, to uint64) bool {
	ok := shatomic.CompareAndSwapUint64(v.state(p), p|ringWriting, p|to)
	v.wake(ringDataSeqOff, ringDataWaitOff)
	return ok
}

// wake wakes every sleeper on the sequence word at seq if the waiting
// count at wait says there may be one: it sets the count to 0, adds 1 to
// the sequence and wakes them all. Sleepers count themselves in before
// they sleep and are not counted again until they sleep again, so a side
// that sends while the other wakes up pays one system call, not one per
// message. An error of the system call is ignored: no sleep outlasts
// MutexCheckInterval (see Ring.block), and the call's own result does not
// depend on it.
func (v ringView) wake(seq, wait uintptr) {
	if shatomic.LoadUint32(v.u32(wait)) == 0 || shatomic.SwapUint32(v.u32(wait), 0) == 0 {
		return
	}
	shatomic.AddUint32(v.u32(seq), 1)
	_, _ = futexWakeN(v.u32(seq), 1<<30)
}

// claimResult says what claim found.
type claimResult int

const (
	claimed  claimResult = iota // a message, now the caller's
	empty                       // head == tail
	notReady                    // the record at head is still being written
	tooShort                    // the message is longer than the caller's room
)

// claim takes the message at head for this process, with the consumers'
// lock held, passing over padding, skipped records and (when check is set)
// records whose producer is dead. room is the most bytes the caller takes;
// a longer message is left where it is (tooShort, with its length). With
// dst, a message of up to copyMax bytes is copied into dst and released
// under the lock, which saves the claimed state's two atomic steps (copied
// reports it); any other is left claimed for the caller to release.
func (v ringView) claim(room uint64, check bool, dst []byte, copyMax uint64, seen *uint64) (p, n uint64, res claimResult, copied bool, err error) {
	for {
		// tail is the producers' line, written with every message: read
		// it only when head has reached the tail this consumer saw last
		// (*seen, which can only be behind). free is read only to report
		// a corrupt ring.
		head := shatomic.LoadUint64(v.u64(ringHeadOff))
		tail := atomic.LoadUint64(seen) // atomic: see reserve
		if head >= tail {
			tail = shatomic.LoadUint64(v.u64(ringTailOff))
			atomic.StoreUint64(seen, tail)
		}
		if head == tail {
			return 0, 0, empty, false, nil
		}
		if head > tail || tail-head > v.cap || (head|tail)&7 != 0 {
			if _, _, _, err := v.positions(); err != nil {
				return 0, 0, 0, false, err
			}
			continue
		}
		w, size, err := v.record(head, tail)
		if err != nil {
			return 0, 0, 0, false, err
		}
		switch w & ringStateMask {
		case ringPadding, ringSkipped:
			v.pass(head, size)
			continue
		case ringWriting:
			if !check || ringOwnerAlive(v.ownerWord(head)) {
				return head, 0, notReady, false, nil
			}
			if shatomic.CompareAndSwapUint64(v.state(head), w, head|ringSkipped) {
				shatomic.AddUint64(v.u64(ringSkippedOff), 1)
			}
			continue // committed just now, or skipped: look again
		case ringCommitted, ringClaimed:
			// claimed at head: a consumer died before it stored head, so
			// it never handed the message out. It is this one's now.
		default: // released at head
			return 0, 0, 0, false, ringCorrupt("record at position %d is released but head has not passed it", head)
		}
		h := v.rec(head)
		n = uint64(h.len)
		if n > room {
			return head, n, tooShort, false, nil
		}
		if dst != nil && n <= copyMax {
			copy(dst, v.bytes(head, n))
			ringPut64(&h.state, head|ringReleased) // published by the store of head
			v.pass(head, size)
			return head, n, claimed, true, nil
		}
		ringPut32(&h.pid, v.me.pid)
		ringPut32(&h.ticket, v.me.ticket)
		shatomic.StoreUint64(&h.state, head|ringClaimed)
		shatomic.StoreUint64(v.u64(ringHeadOff), head+size)
		return head, n, claimed, false, nil
	}
}

// pass moves head over the done record at head, and free with it when
// free was there too (no message before it is still held), waking the
// producers waiting for room.
func (v ringView) pass(head, size uint64) {
	shatomic.StoreUint64(v.u64(ringHeadOff), head+size)
	if shatomic.LoadUint64(v.u64(ringFreeOff)) == head {
		shatomic.StoreUint64(v.u64(ringFreeOff), head+size)
		v.wake(ringSpaceSeqOff, ringSpaceWait)
	}
}

func (v ringView) ownerWord(p uint64) uint64 {
	pid, ticket := v.owner(p)
	return uint64(pid) | uint64(ticket)<<32
}

// release marks this process's claimed record at p released. It reports
// false if the record was not claimed (a second Release, or a consumer
// that took this process for dead).
func (v ringView) release(p uint64) bool {
	return shatomic.CompareAndSwapUint64(v.state(p), p|ringClaimed, p|ringReleased)
}

// advanceFree moves free over the records that are done, with the
// consumers' lock held, and wakes the producers waiting for room. With
// check set, a record claimed by a dead consumer is done too: its message
// is lost, and counted.
func (v ringView) advanceFree(check bool) error {
	free, head, _, err := v.positions()
	if err != nil {
		return err
	}
	f := free
walk:
	for f < head {
		w, size, err := v.record(f, head)
		if err != nil {
			return err
		}
		switch w & ringStateMask {
		case ringReleased, ringPadding, ringSkipped:
		case ringClaimed:
			if !check || ringOwnerAlive(v.ownerWord(f)) {
				break walk
			}
			if !shatomic.CompareAndSwapUint64(v.state(f), w, f|ringReleased) {
				break walk // released by its owner after all: the next walk goes on
			}
			shatomic.AddUint64(v.u64(ringLostOff), 1)
		default:
			return ringCorrupt("record at position %d below head is in state %d", f, w&ringStateMask)
		}
		f += size
	}
	if f != free {
		shatomic.StoreUint64(v.u64(ringFreeOff), f)
		v.wake(ringSpaceSeqOff, ringSpaceWait)
	}
	return nil
}

// lockResult says what tryLock found.
type lockResult int

const (
	locked   lockResult = iota // taken, from free
	tookOver                   // taken from a dead holder
	busy                       // held by a live process (or this one)
)

// tryLock tries once to take the lock word at off for this process,
// taking it over from a dead holder when check is set. holder is the word
// it found when busy.
func (v ringView) tryLock(off uintptr, check bool) (res lockResult, holder uint64) {
	me := v.me.word
	p := v.u64(off)
	w := shatomic.LoadUint64(p)
	switch {
	case w == 0:
		if shatomic.CompareAndSwapUint64(p, 0, me) {
			return locked, 0
		}
		return busy, shatomic.LoadUint64(p)
	case w != me && check && !ringOwnerAlive(w):
		if shatomic.CompareAndSwapUint64(p, w, me) {
			return tookOver, 0
		}
		return busy, shatomic.LoadUint64(p)
	}
	return busy, w
}

func (v ringView) unlock(off uintptr) {
	shatomic.CompareAndSwapUint64(v.u64(off), v.me.word, 0)
}

// lockSpin takes a per-message lock, which its holders keep for a few
// stores: it spins, then yields, and checks the holder's life every
// millisecond or so, for at most patience. It reports busy, with the
// holder, if the lock stayed held.
func (v ringView) lockSpin(off uintptr, patience time.Duration) (lockResult, uint64) {
	var start, lastCheck time.Time
	for i := 0; ; i++ {
		check := false
		if i >= 64 && i%64 == 0 {
			now := time.Now()
			switch {
			case start.IsZero():
				start, lastCheck = now, now
			case now.Sub(start) >= patience:
				res, holder := v.tryLock(off, true)
				return res, holder
			case now.Sub(lastCheck) >= time.Millisecond:
				check, lastCheck = true, now
			}
		}
		if res, holder := v.tryLock(off, check); res != busy || i > 1<<30 {
			return res, holder
		}
		if i >= 16 {
			runtime.Gosched()
		}
	}
}
