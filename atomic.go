package ipcbuf

// Atomic operations on aligned 32- and 64-bit words of a buffer. On shared
// memory they are atomic across processes too: the processor's atomic
// instructions work on the physical memory, whichever process mapped it.

import (
	"unsafe"

	"github.com/ipcbuf/ipcbuf/internal/shatomic"
)

// word returns the address of the size bytes at off in b, which must be
// aligned to align, and a lease on b that the caller releases, normally
// with defer l.release(&err). what names the bytes in errors ("4-byte
// word"). It checks, in this order, that b is open, that it is writable if
// write is set, and then what wordIn checks.
func (b *Buffer) word(op string, off, size, align int, what string, write bool) (unsafe.Pointer, lease, error) {
	mem, l, err := b.acquire(op, write)
	if err != nil {
		return nil, lease{}, err
	}
	p, err := b.wordIn(op, mem, off, size, align, what)
	if err != nil {
		l.release(nil)
		return nil, lease{}, err
	}
	return p, l, nil
}

// wordIn returns the address of the size bytes at off in mem, b's bytes,
// after checking that they lie inside b and that their address is a
// multiple of align: the check is on the real address, so a Slice that
// starts at an odd byte cannot pass a misaligned word to the processor.
func (b *Buffer) wordIn(op string, mem []byte, off, size, align int, what string) (unsafe.Pointer, error) {
	if off < 0 || off > len(mem)-size {
		if len(mem) < size {
			return nil, b.pathError(op, invalid("offset %d: a %d-byte buffer has no room for a %s", off, len(mem), what))
		}
		return nil, b.pathError(op, invalid("offset %d is outside the buffer: a %s in %d bytes must start from 0 to %d", off, what, len(mem), len(mem)-size))
	}
	p := unsafe.Pointer(&mem[off])
	if mis := int(uintptr(p) % uintptr(align)); mis != 0 {
		return nil, b.pathError(op, invalid("offset %d is not aligned: the %s's address %#x (byte %d of the mapping) is not a multiple of %d; use an offset %d bytes earlier or %d bytes later",
			off, what, uintptr(p), b.off+off, align, mis, align-mis))
	}
	return p, nil
}

// onWord runs f, one atomic instruction, on the aligned size-byte word at
// off (size 4 or 8), with word's checks in word's order: on heap memory
// directly, on mapped memory under the number methods' guard (guarded),
// which costs less than a lease.
func onWord[T any](b *Buffer, op string, off, size int, write bool, f func(p unsafe.Pointer) T) (T, error) {
	what := "4-byte word"
	if size == 8 {
		what = "8-byte word"
	}
	at := func(mem []byte) (T, error) {
		p, err := b.wordIn(op, mem, off, size, size, what)
		if err != nil {
			var zero T
			return zero, err
		}
		return f(p), nil
	}
	if mem, ok := b.openMem(write); ok && b.m.reg == nil {
		return at(mem)
	}
	return guarded(b, op, write, at)
}

// word32 resolves the 32-bit word at off for op, with b's lease held: the
// address for the atomics, the futex calls and the primitives built on
// them (Mutex, Semaphore). The caller releases the lease, normally with
// defer l.release(&err) so that a fault becomes its error.
func (b *Buffer) word32(op string, off int, write bool) (*uint32, lease, error) {
	p, l, err := b.word(op, off, 4, 4, "4-byte word", write)
	return (*uint32)(p), l, err
}

// LoadUint32 atomically loads the 32-bit word at byte off, in the machine's
// byte order. off must be from 0 to Len()-4 and the word's address a
// multiple of 4 (every multiple of 4 in a shared buffer or in a Slice of
// one that starts at a multiple of 4), or the error matches fs.ErrInvalid
// and names the offset. A closed b gives fs.ErrClosed, and a fault in
// memory another process truncated away ErrFault, as for every method.
// The atomics are sequentially consistent, as Go's sync/atomic, and work
// across processes on every shared kind.
func (b *Buffer) LoadUint32(off int) (uint32, error) {
	return onWord(b, "loadUint32", off, 4, false, func(p unsafe.Pointer) uint32 { return shatomic.LoadUint32((*uint32)(p)) })
}

// StoreUint32 atomically stores v in the 32-bit word at byte off; see
// LoadUint32 for the rules on off. A read-only b gives ErrReadOnly.
func (b *Buffer) StoreUint32(off int, v uint32) error {
	_, err := onWord(b, "storeUint32", off, 4, true, func(p unsafe.Pointer) struct{} {
		shatomic.StoreUint32((*uint32)(p), v)
		return struct{}{}
	})
	return err
}

// AddUint32 atomically adds delta to the 32-bit word at byte off and
// returns the new value; it wraps around, as sync/atomic does. To subtract
// d, add ^uint32(d-1). See LoadUint32 for the rules on off.
func (b *Buffer) AddUint32(off int, delta uint32) (uint32, error) {
	return onWord(b, "addUint32", off, 4, true, func(p unsafe.Pointer) uint32 { return shatomic.AddUint32((*uint32)(p), delta) })
}

// SwapUint32 atomically stores v in the 32-bit word at byte off and
// returns the value it held. See LoadUint32 for the rules on off.
func (b *Buffer) SwapUint32(off int, v uint32) (uint32, error) {
	return onWord(b, "swapUint32", off, 4, true, func(p unsafe.Pointer) uint32 { return shatomic.SwapUint32((*uint32)(p), v) })
}

// CompareAndSwapUint32 atomically stores new in the 32-bit word at byte off
// if it holds old, and reports whether it did. See LoadUint32 for the rules
// on off; a read-only b gives ErrReadOnly even when the word differs.
func (b *Buffer) CompareAndSwapUint32(off int, old, new uint32) (bool, error) {
	return onWord(b, "compareAndSwapUint32", off, 4, true, func(p unsafe.Pointer) bool { return shatomic.CompareAndSwapUint32((*uint32)(p), old, new) })
}

// LoadUint64 atomically loads the 64-bit word at byte off, in the machine's
// byte order. off must be from 0 to Len()-8 and the word's address a
// multiple of 8; otherwise as LoadUint32.
func (b *Buffer) LoadUint64(off int) (uint64, error) {
	return onWord(b, "loadUint64", off, 8, false, func(p unsafe.Pointer) uint64 { return shatomic.LoadUint64((*uint64)(p)) })
}

// StoreUint64 atomically stores v in the 64-bit word at byte off; see
// LoadUint64 for the rules on off.
func (b *Buffer) StoreUint64(off int, v uint64) error {
	_, err := onWord(b, "storeUint64", off, 8, true, func(p unsafe.Pointer) struct{} {
		shatomic.StoreUint64((*uint64)(p), v)
		return struct{}{}
	})
	return err
}

// AddUint64 atomically adds delta to the 64-bit word at byte off and
// returns the new value; it wraps around. To subtract d, add ^uint64(d-1).
// See LoadUint64 for the rules on off.
func (b *Buffer) AddUint64(off int, delta uint64) (uint64, error) {
	return onWord(b, "addUint64", off, 8, true, func(p unsafe.Pointer) uint64 { return shatomic.AddUint64((*uint64)(p), delta) })
}

// SwapUint64 atomically stores v in the 64-bit word at byte off and
// returns the value it held. See LoadUint64 for the rules on off.
func (b *Buffer) SwapUint64(off int, v uint64) (uint64, error) {
	return onWord(b, "swapUint64", off, 8, true, func(p unsafe.Pointer) uint64 { return shatomic.SwapUint64((*uint64)(p), v) })
}

// CompareAndSwapUint64 atomically stores new in the 64-bit word at byte off
// if it holds old, and reports whether it did. See LoadUint64 for the rules
// on off.
func (b *Buffer) CompareAndSwapUint64(off int, old, new uint64) (bool, error) {
	return onWord(b, "compareAndSwapUint64", off, 8, true, func(p unsafe.Pointer) bool { return shatomic.CompareAndSwapUint64((*uint64)(p), old, new) })
}
