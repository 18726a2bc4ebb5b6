package ipcbuf

// Atomic operations on aligned 32- and 64-bit words of a buffer. On shared
// memory they are atomic across processes too: the processor's atomic
// instructions work on the physical memory, whichever process mapped it.

import (
	"sync/atomic"
	"unsafe"
)

// word returns the address of the size bytes at off in b, which must be
// aligned to align, and a lease on b that the caller releases, normally
// with defer l.release(&err). what names the bytes in errors ("4-byte
// word"). It checks, in this order, that b is open, that it is writable if
// write is set, that the bytes lie inside b and that their address is a
// multiple of align: the check is on the real address, so a Slice that
// starts at an odd byte cannot pass a misaligned word to the processor.
func (b *Buffer) word(op string, off, size, align int, what string, write bool) (unsafe.Pointer, lease, error) {
	mem, l, err := b.acquire(op, write)
	if err != nil {
		return nil, lease{}, err
	}
	if off < 0 || off > len(mem)-size {
		l.release(nil)
		if len(mem) < size {
			return nil, lease{}, b.pathError(op, invalid("offset %d: a %d-byte buffer has no room for a %s", off, len(mem), what))
		}
		return nil, lease{}, b.pathError(op, invalid("offset %d is outside the buffer: a %s in %d bytes must start from 0 to %d", off, what, len(mem), len(mem)-size))
	}
	p := unsafe.Pointer(&mem[off])
	if mis := int(uintptr(p) % uintptr(align)); mis != 0 {
		l.release(nil)
		return nil, lease{}, b.pathError(op, invalid("offset %d is not aligned: the %s's address %#x (byte %d of the mapping) is not a multiple of %d; use an offset %d bytes earlier or %d bytes later",
			off, what, uintptr(p), b.off+off, align, mis, align-mis))
	}
	return p, l, nil
}

// word32 resolves the 32-bit word at off for op, with b's lease held: the
// address for the atomics, the futex calls and the primitives built on
// them (Mutex, Semaphore). The caller releases the lease, normally with
// defer l.release(&err) so that a fault becomes its error.
func (b *Buffer) word32(op string, off int, write bool) (*uint32, lease, error) {
	p, l, err := b.word(op, off, 4, 4, "4-byte word", write)
	return (*uint32)(p), l, err
}

// word64 is word32 for a 64-bit word (8-byte aligned).
func (b *Buffer) word64(op string, off int, write bool) (*uint64, lease, error) {
	p, l, err := b.word(op, off, 8, 8, "8-byte word", write)
	return (*uint64)(p), l, err
}

// LoadUint32 atomically loads the 32-bit word at byte off, in the machine's
// byte order. off must be from 0 to Len()-4 and the word's address a
// multiple of 4 (every multiple of 4 in a shared buffer or in a Slice of
// one that starts at a multiple of 4), or the error matches fs.ErrInvalid
// and names the offset. A closed b gives fs.ErrClosed, and a fault in
// memory another process truncated away ErrFault, as for every method.
// The atomics are sequentially consistent, as Go's sync/atomic, and work
// across processes on every shared kind.
func (b *Buffer) LoadUint32(off int) (v uint32, err error) {
	p, l, err := b.word32("loadUint32", off, false)
	if err != nil {
		return 0, err
	}
	defer l.release(&err)
	return atomic.LoadUint32(p), nil
}

// StoreUint32 atomically stores v in the 32-bit word at byte off; see
// LoadUint32 for the rules on off. A read-only b gives ErrReadOnly.
func (b *Buffer) StoreUint32(off int, v uint32) (err error) {
	p, l, err := b.word32("storeUint32", off, true)
	if err != nil {
		return err
	}
	defer l.release(&err)
	atomic.StoreUint32(p, v)
	return nil
}

// AddUint32 atomically adds delta to the 32-bit word at byte off and
// returns the new value; it wraps around, as sync/atomic does. To subtract
// d, add ^uint32(d-1). See LoadUint32 for the rules on off.
func (b *Buffer) AddUint32(off int, delta uint32) (new uint32, err error) {
	p, l, err := b.word32("addUint32", off, true)
	if err != nil {
		return 0, err
	}
	defer l.release(&err)
	return atomic.AddUint32(p, delta), nil
}

// SwapUint32 atomically stores v in the 32-bit word at byte off and
// returns the value it held. See LoadUint32 for the rules on off.
func (b *Buffer) SwapUint32(off int, v uint32) (old uint32, err error) {
	p, l, err := b.word32("swapUint32", off, true)
	if err != nil {
		return 0, err
	}
	defer l.release(&err)
	return atomic.SwapUint32(p, v), nil
}

// CompareAndSwapUint32 atomically stores new in the 32-bit word at byte off
// if it holds old, and reports whether it did. See LoadUint32 for the rules
// on off; a read-only b gives ErrReadOnly even when the word differs.
func (b *Buffer) CompareAndSwapUint32(off int, old, new uint32) (swapped bool, err error) {
	p, l, err := b.word32("compareAndSwapUint32", off, true)
	if err != nil {
		return false, err
	}
	defer l.release(&err)
	return atomic.CompareAndSwapUint32(p, old, new), nil
}

// LoadUint64 atomically loads the 64-bit word at byte off, in the machine's
// byte order. off must be from 0 to Len()-8 and the word's address a
// multiple of 8; otherwise as LoadUint32.
func (b *Buffer) LoadUint64(off int) (v uint64, err error) {
	p, l, err := b.word64("loadUint64", off, false)
	if err != nil {
		return 0, err
	}
	defer l.release(&err)
	return atomic.LoadUint64(p), nil
}

// StoreUint64 atomically stores v in the 64-bit word at byte off; see
// LoadUint64 for the rules on off.
func (b *Buffer) StoreUint64(off int, v uint64) (err error) {
	p, l, err := b.word64("storeUint64", off, true)
	if err != nil {
		return err
	}
	defer l.release(&err)
	atomic.StoreUint64(p, v)
	return nil
}

// AddUint64 atomically adds delta to the 64-bit word at byte off and
// returns the new value; it wraps around. To subtract d, add ^uint64(d-1).
// See LoadUint64 for the rules on off.
func (b *Buffer) AddUint64(off int, delta uint64) (new uint64, err error) {
	p, l, err := b.word64("addUint64", off, true)
	if err != nil {
		return 0, err
	}
	defer l.release(&err)
	return atomic.AddUint64(p, delta), nil
}

// SwapUint64 atomically stores v in the 64-bit word at byte off and
// returns the value it held. See LoadUint64 for the rules on off.
func (b *Buffer) SwapUint64(off int, v uint64) (old uint64, err error) {
	p, l, err := b.word64("swapUint64", off, true)
	if err != nil {
		return 0, err
	}
	defer l.release(&err)
	return atomic.SwapUint64(p, v), nil
}

// CompareAndSwapUint64 atomically stores new in the 64-bit word at byte off
// if it holds old, and reports whether it did. See LoadUint64 for the rules
// on off.
func (b *Buffer) CompareAndSwapUint64(off int, old, new uint64) (swapped bool, err error) {
	p, l, err := b.word64("compareAndSwapUint64", off, true)
	if err != nil {
		return false, err
	}
	defer l.release(&err)
	return atomic.CompareAndSwapUint64(p, old, new), nil
}
