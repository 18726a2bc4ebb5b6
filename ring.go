package ipcbuf

// A queue of messages in a buffer: the Ring type, how it is made and
// opened, and what it reports. The protocol is in ring_proto.go, the calls
// and how they wait in ring_ops.go; RING.md is the layout every language
// follows.

import (
	"errors"
	"fmt"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/ipcbuf/ipcbuf/internal/shatomic"
)

// RingHeaderSize is the number of bytes a Ring's header takes at the start
// of its buffer; the messages go in the rest, the data area.
const RingHeaderSize = 1024

// The header's fields, by offset; see RING.md.
const (
	ringMagicOff    = 0
	ringVersionOff  = 8
	ringFlagsOff    = 12
	ringCapOff      = 16
	ringHdrSizeOff  = 24
	ringTailOff     = 128
	ringPLockOff    = 136
	ringHeadOff     = 256
	ringCLockOff    = 264
	ringFreeOff     = 384
	ringLostOff     = 392
	ringSkippedOff  = 400
	ringDataSeqOff  = 512
	ringDataWaitOff = 516
	ringSpaceSeqOff = 640
	ringSpaceWait   = 644
)

const (
	ringMagic   = "IPCBRING"
	ringVersion = 1

	ringSingleProducer = 1 << 0
	ringSingleConsumer = 1 << 1
	ringKnownFlags     = ringSingleProducer | ringSingleConsumer

	ringMinCap = 64
	ringMaxCap = 1 << 40

	// ringRecHdr is the size of a record's header: the state word, the
	// length, the owner's pid and ticket, and a reserved word.
	ringRecHdr = 24
)

// ErrFull is matched by the error of TrySend and TryReserve when the ring
// has no room for the message now.
var ErrFull = errors.New("ipcbuf: the ring is full")

// ErrEmpty is matched by the error of TryRecv and TryPeek when no message is
// ready now.
var ErrEmpty = errors.New("ipcbuf: the ring is empty")

// ErrBusy is matched by the error of a Ring call that needs a role someone
// else holds: the producer of a SingleProducer ring (or the consumer of a
// SingleConsumer ring) is another live process or another Ring.
var ErrBusy = errors.New("ipcbuf: busy")

// Ring is a queue of messages of bytes in a Buffer: one or more goroutines
// and processes send, one or more receive, and each message goes to
// exactly one receiver, in the order it was sent. Messages are copied once
// on each side (Send and Recv), or not at all (Reserve and Peek hand out
// the ring's own bytes).
//
// The layout and the protocol are fixed and versioned in RING.md, so that
// programs in other languages can share a ring (examples/ring.py does, in
// plain Python).
//
// Blocking calls sleep on a futex word of the header when there is nothing
// to do, after an optional spin (RingSpin). A producer killed while writing
// a message leaves a record that the consumers skip once they see it dead,
// within about 50 ms of waiting for it; a consumer killed while holding a
// message loses that one message, which is counted (RingStat.Lost). No
// crash wedges the ring. See RING.md, "What a crash leaves".
//
// A Ring's methods may be called from many goroutines at once. It needs
// Linux's futex; elsewhere CreateRing and OpenRing return an error matching
// errors.ErrUnsupported. The Ring does not own its Buffer: Close the Ring,
// then the Buffer. Closing the Buffer wakes blocked calls, which return an
// error matching fs.ErrClosed.
type Ring struct {
	b     *Buffer
	me    ringOwner
	cap   uint64
	flags uint32
	spin  time.Duration

	// For the single roles: one goroutine at a time acts in the role, and
	// held says whether this Ring holds the role's lock in the header.
	pmu, cmu sync.Mutex
	pheld    bool // guarded by pmu
	cheld    bool // guarded by cmu
	pclean   runtime.Cleanup
	cclean   runtime.Cleanup

	// The free position this process's producers last read, and the tail
	// its consumers last read: behind the real ones, and so safe to act
	// on without reading the other side's cache line for every message.
	// Guarded by the producers' (consumers') lock, or by pmu (cmu).
	freeSeen, tailSeen uint64
	lastCheck          atomic.Int64
	closedRing         atomic.Bool
}

// A RingOption changes how CreateRing makes a ring or how a Ring behaves.
type RingOption func(*ringOptions)

type ringOptions struct {
	flags uint32
	spin  time.Duration
	spun  bool
	open  bool // OpenRing: header flags are not the caller's to set
	bad   error
}

// SingleProducer makes CreateRing mark the ring as having one producer at
// a time. That producer holds the producers' lock for as long as it sends
// (until Close), instead of taking it for each message: a second one gets
// an error matching ErrBusy while the first lives. A program that cannot
// compare-and-swap (examples/ring.py) can be the producer of such a ring.
func SingleProducer() RingOption {
	return func(o *ringOptions) {
		if o.open {
			o.bad = invalid("SingleProducer is a property of the ring: give it to CreateRing, not OpenRing")
		}
		o.flags |= ringSingleProducer
	}
}

// SingleConsumer is SingleProducer's counterpart for receiving.
func SingleConsumer() RingOption {
	return func(o *ringOptions) {
		if o.open {
			o.bad = invalid("SingleConsumer is a property of the ring: give it to CreateRing, not OpenRing")
		}
		o.flags |= ringSingleConsumer
	}
}

// RingSpin makes the Ring's blocking calls look again for up to d before
// they sleep, which saves the sleep and the wake-up when the other side
// answers within d, at the price of a CPU busy meanwhile. Zero, the
// default, sleeps at once. A negative d is an error.
func RingSpin(d time.Duration) RingOption {
	return func(o *ringOptions) {
		if d < 0 {
			o.bad = invalid("negative spin %v", d)
		}
		o.spin, o.spun = d, true
	}
}

// RingSize returns the size of buffer that holds a ring of capacity bytes
// of messages: capacity+RingHeaderSize.
func RingSize(capacity int) int { return capacity + RingHeaderSize }

// CreateRing makes an empty ring in all of b, erasing b's header, and
// returns it. The data area's capacity is the largest power of two that
// fits in b.Len()-RingHeaderSize, at least 64 bytes (so b holds at least
// 1088 bytes; RingSize gives the size to ask for). b must be writable, and
// its first byte a multiple of 8 in memory. Make a ring once, before any
// other process opens it: CreateRing does not know whether others use the
// bytes.
func CreateRing(b *Buffer, opts ...RingOption) (*Ring, error) {
	o, err := ringOpts(b, "createRing", false, opts)
	if err != nil {
		return nil, err
	}
	c, err := ringCapFor(b)
	if err != nil {
		return nil, err
	}
	r := &Ring{b: b, me: ringSelf(), cap: c, flags: o.flags, spin: o.spin}
	_, err = guarded(b, "createRing", true, func(mem []byte) (struct{}, error) {
		if err := ringAligned(b, mem); err != nil {
			return struct{}{}, err
		}
		clear(mem[:RingHeaderSize])
		v := r.view(mem)
		copy(mem[ringMagicOff:], ringMagic)
		shatomic.StoreUint32(v.u32(ringVersionOff), ringVersion)
		shatomic.StoreUint32(v.u32(ringFlagsOff), o.flags)
		shatomic.StoreUint64(v.u64(ringCapOff), c)
		shatomic.StoreUint32(v.u32(ringHdrSizeOff), RingHeaderSize)
		return struct{}{}, nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// OpenRing returns the ring in b, which CreateRing (here or in another
// process or language) made. It checks the header as RING.md says: bytes
// that are not a ring, or a ring whose header is corrupt, give an error
// matching ErrCorrupt that says what is wrong. Nothing is written.
func OpenRing(b *Buffer, opts ...RingOption) (*Ring, error) {
	o, err := ringOpts(b, "openRing", true, opts)
	if err != nil {
		return nil, err
	}
	return guarded(b, "openRing", true, func(mem []byte) (*Ring, error) {
		if err := ringAligned(b, mem); err != nil {
			return nil, err
		}
		h, err := ringCheckHeader(mem)
		if err != nil {
			return nil, b.pathError("openRing", err)
		}
		return &Ring{b: b, me: ringSelf(), cap: h.cap, flags: h.flags, spin: o.spin}, nil
	})
}

func ringOpts(b *Buffer, op string, open bool, opts []RingOption) (ringOptions, error) {
	o := ringOptions{open: open}
	for _, f := range opts {
		if f == nil {
			return o, b.pathError(op, invalid("nil RingOption"))
		}
		f(&o)
		if o.bad != nil {
			return o, b.pathError(op, o.bad)
		}
	}
	if !haveFutex {
		return o, b.pathError(op, mutexNoFutex())
	}
	if err := b.open(op, true); err != nil {
		return o, err
	}
	return o, nil
}

// ringCapFor returns the capacity a ring made in b gets.
func ringCapFor(b *Buffer) (uint64, error) {
	n := b.Len() - RingHeaderSize
	if n < ringMinCap {
		return 0, b.pathError("createRing", invalid("a %d-byte buffer is too small for a ring: it needs %d bytes of header and at least %d of data (%d in all)",
			b.Len(), RingHeaderSize, ringMinCap, RingSize(ringMinCap)))
	}
	return min(uint64(1)<<(bits.Len64(uint64(n))-1), ringMaxCap), nil
}

// ringAligned checks that a ring can start at mem's first byte.
func ringAligned(b *Buffer, mem []byte) error {
	if p := uintptr(unsafe.Pointer(unsafe.SliceData(mem))); p%8 != 0 {
		return b.pathError("ring", invalid("a ring must start at a multiple of 8 in memory, and this buffer's first byte is at %#x (byte %d of its mapping)", p, b.off))
	}
	return nil
}

// ringHeader is what a ring's header fixes.
type ringHeader struct {
	cap   uint64
	flags uint32
}

// ringCheckHeader reads and checks the header at the start of mem.
func ringCheckHeader(mem []byte) (ringHeader, error) {
	corrupt := func(format string, args ...any) (ringHeader, error) {
		return ringHeader{}, fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
	}
	if len(mem) < RingHeaderSize+ringMinCap {
		return corrupt("not a ring: %d bytes is too small for one (%d at least)", len(mem), RingSize(ringMinCap))
	}
	v := ringView{base: unsafe.Pointer(unsafe.SliceData(mem))}
	if string(mem[:8]) != ringMagic {
		return corrupt("not a ring: the first 8 bytes are %q, not %q", mem[:8], ringMagic)
	}
	if ver := shatomic.LoadUint32(v.u32(ringVersionOff)); ver != ringVersion {
		return corrupt("ring version %d: this ipcbuf reads version %d", ver, ringVersion)
	}
	flags := shatomic.LoadUint32(v.u32(ringFlagsOff))
	if flags&^ringKnownFlags != 0 {
		return corrupt("unknown ring flags %#x", flags&^ringKnownFlags)
	}
	c := shatomic.LoadUint64(v.u64(ringCapOff))
	if c < ringMinCap || c > ringMaxCap || c&(c-1) != 0 {
		return corrupt("ring capacity %d is not a power of two from %d to %d", c, ringMinCap, uint64(ringMaxCap))
	}
	if c > uint64(len(mem)-RingHeaderSize) {
		return corrupt("ring capacity %d does not fit in the %d bytes after the header", c, len(mem)-RingHeaderSize)
	}
	if hs := shatomic.LoadUint32(v.u32(ringHdrSizeOff)); hs != RingHeaderSize {
		return corrupt("ring header size %d, not %d", hs, RingHeaderSize)
	}
	v.cap, v.mask = c, c-1
	if _, _, _, err := v.positions(); err != nil {
		return ringHeader{}, err
	}
	return ringHeader{cap: c, flags: flags}, nil
}

// Cap returns the size of the ring's data area in bytes.
func (r *Ring) Cap() int { return int(r.cap) }

// MaxMessage returns the length of the longest message the ring can hold:
// Cap()-24, the size of a record's header.
func (r *Ring) MaxMessage() int { return int(r.cap) - ringRecHdr }

// Buffer returns the buffer the ring lives in.
func (r *Ring) Buffer() *Buffer { return r.b }

// RingStat is what Stat reports: the header's positions and counts, and
// what a walk over the waiting records finds.
type RingStat struct {
	Capacity int64 // bytes in the data area
	Used     int64 // bytes in use: records not yet given back to producers
	Messages int   // messages ready to be received
	Writing  int   // records their producers are still writing
	// DeadWriting counts the records in Writing whose producer has died:
	// the consumers will skip them.
	DeadWriting      int
	ProducersWaiting int // asleep until there is room (as the header counts them)
	ConsumersWaiting int // asleep until a message is ready
	SingleProducer   bool
	SingleConsumer   bool
	Head, Tail, Free uint64 // the positions; see RING.md
	Skipped          uint64 // records skipped because their producer died or aborted
	Lost             uint64 // messages lost with consumers that died holding them
}

// Stat reports the ring's state, read without taking any lock, so a busy
// ring may have moved on by the time it returns.
func (r *Ring) Stat() (RingStat, error) {
	return guarded(r.b, "ringStat", false, func(mem []byte) (RingStat, error) {
		v := r.view(mem)
		free, head, tail, err := v.positions()
		if err != nil {
			return RingStat{}, r.b.pathError("ringStat", err)
		}
		s := RingStat{
			Capacity:         int64(r.cap),
			Used:             int64(tail - free),
			ProducersWaiting: int(shatomic.LoadUint32(v.u32(ringSpaceWait))),
			ConsumersWaiting: int(shatomic.LoadUint32(v.u32(ringDataWaitOff))),
			SingleProducer:   r.flags&ringSingleProducer != 0,
			SingleConsumer:   r.flags&ringSingleConsumer != 0,
			Head:             head, Tail: tail, Free: free,
			Skipped: shatomic.LoadUint64(v.u64(ringSkippedOff)),
			Lost:    shatomic.LoadUint64(v.u64(ringLostOff)),
		}
		for p := head; p < tail; {
			w, size, err := v.record(p, tail)
			if err != nil {
				break // a record changed under the walk: report what was seen
			}
			switch w & ringStateMask {
			case ringCommitted, ringClaimed:
				s.Messages++
			case ringWriting:
				s.Writing++
				if !ringOwnerAlive(v.ownerWord(p)) {
					s.DeadWriting++
				}
			}
			p += size
		}
		return s, nil
	})
}

// Close ends r's single roles, so that another producer or consumer can
// take them, and makes r's later calls fail with fs.ErrClosed. It does not
// close the Buffer, and it does not wait for r's calls in flight. Close is
// idempotent. A Ring dropped without Close gives its roles back when the
// garbage collector finds it. Close the Ring before its Buffer: a role
// whose Buffer is closed first stays with this process until it ends, when
// others take it over.
func (r *Ring) Close() error {
	if r.closedRing.Swap(true) {
		return nil
	}
	for _, role := range []struct {
		mu    *sync.Mutex
		held  *bool
		clean *runtime.Cleanup
		off   uintptr
	}{{&r.pmu, &r.pheld, &r.pclean, ringPLockOff}, {&r.cmu, &r.cheld, &r.cclean, ringCLockOff}} {
		role.mu.Lock()
		if *role.held {
			*role.held = false
			role.clean.Stop()
			ringGiveBack(ringRole{b: r.b, off: role.off})
		}
		role.mu.Unlock()
	}
	return nil
}
