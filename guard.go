package ipcbuf

// Every method that touches a buffer's bytes takes a lease on them. The
// lease takes no lock: a method loads the mapping's state word once, and
// if the mapping is open uses its memory, which Close never gives back
// while a Buffer on it is reachable. Close marks the state closed and swaps
// mapped memory for an inaccessible reservation of the same addresses in
// one mmap(MAP_FIXED) (see region.retire), so a method that loaded the
// state just before Close either finishes on the memory or faults on the
// reservation; the fault guard then reports fs.ErrClosed. Mapped memory is
// guarded against faults, so that touching pages another process
// truncated away is an error instead of a crash (ErrFault). Memory buffers
// need no guard, since heap memory cannot fault and the garbage collector
// keeps it while a method's slice of it is in use: their leases are
// empty, and the numeric methods take no lease at all (see heapMem).

import (
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"runtime/debug"
	"unsafe"
)

// ErrFault is matched (with errors.Is) by the error a method returns when
// the memory it touched is gone: another process truncated the file or the
// POSIX object below the size this process mapped, and the kernel answered
// the access with SIGBUS. The error is a *FaultError naming the offset. The
// process goes on; bytes the method wrote before the fault stay written.
//
// Only Buffer methods are guarded. Access through Bytes or View is plain
// memory access, and a fault there kills the program, as for any mmap.
var ErrFault = errors.New("memory fault")

// FaultError is the error of a method that touched memory another process
// truncated away. It matches ErrFault.
type FaultError struct {
	Op     string // the method, as Node names it
	Name   string // the buffer's target (or "memory buffer")
	Offset int64  // where the fault was, from the start of the buffer
}

func (e *FaultError) Error() string {
	return fmt.Sprintf("%s %s: memory fault at offset %d: the page is gone (the object was truncated by another process, or its file system is full)", e.Op, e.Name, e.Offset)
}

// Is reports whether target is ErrFault.
func (e *FaultError) Is(target error) bool { return target == ErrFault }

// The bits of a mapping's state word.
const (
	stateClosed uint32 = 1 << iota // Close has begun: methods return fs.ErrClosed
)

// A lease is what acquire hands a method: release it exactly once,
// normally with defer l.release(&err), where err is the method's named
// error result, so that a fault becomes that error. A lease on heap memory
// only is empty, and its release does nothing.
type lease struct {
	op   string
	a, b *Buffer // the buffers on mapped memory it guards; a is nil for none, b for one
	old  bool    // the goroutine's panic-on-fault setting before the lease
}

// acquire returns b's bytes and a lease on them. It fails, holding
// nothing, if b is closed, or if write is set and b is read-only. op names
// the method in errors.
func (b *Buffer) acquire(op string, write bool) ([]byte, lease, error) {
	if err := b.open(op, write); err != nil {
		return nil, lease{}, err
	}
	if b.m.reg == nil {
		return b.mem(), lease{}, nil
	}
	return b.mem(), lease{op: op, a: b, old: debug.SetPanicOnFault(true)}, nil
}

// Which buffer of a pair a method writes.
const (
	writeNone = iota // neither: both are only read
	writeRecv        // the receiver (Fill)
	writeArg         // the argument (Copy)
)

// acquirePair acquires b, a method's receiver, and arg, its *Buffer
// argument called name, under one lease, for writing the one w names. It
// is where every method taking a *Buffer checks it, in the order of the
// package documentation: b unusable, closed or read-only first, then arg
// nil or zero (ERR_INVALID_ARG_TYPE), then arg closed or read-only.
func acquirePair(op string, b *Buffer, name string, arg *Buffer, w int) (mb, ma []byte, l lease, err error) {
	if err := b.open(op, w == writeRecv); err != nil {
		return nil, nil, lease{}, err
	}
	if err := bufferArg(name, arg); err != nil {
		return nil, nil, lease{}, err
	}
	if err := arg.open(op, w == writeArg); err != nil {
		return nil, nil, lease{}, err
	}
	first, second := b, arg
	if b.m.reg == nil || b.m == arg.m {
		first, second = arg, nil
	}
	if second != nil && second.m.reg == nil {
		second = nil
	}
	if first.m.reg != nil {
		l = lease{op: op, a: first, b: second, old: debug.SetPanicOnFault(true)}
	}
	return b.mem(), arg.mem(), l, nil
}

// usable reports whether b was made by a constructor or Slice: neither nil
// nor a pointer to the zero Buffer, which have no memory at all.
func (b *Buffer) usable() bool { return b != nil && b.m != nil }

// unusableError is the error of a method called on a nil or zero Buffer
// (see the package documentation: "Nil and zero buffers").
func (b *Buffer) unusableError(op string) error {
	what := "zero Buffer"
	if b == nil {
		what = "nil *Buffer"
	}
	return &fs.PathError{Op: op, Path: what, Err: invalid("a %s is not a buffer: make buffers with Alloc, From, Open or Slice", what)}
}

// bufferArg checks a *Buffer argument called name: nil and the zero
// Buffer are Node's ERR_INVALID_ARG_TYPE for an argument that is not a
// Buffer.
func bufferArg(name string, arg *Buffer) error {
	if arg.usable() {
		return nil
	}
	return errBufferArg(name, arg)
}

// open reports why b cannot be used, or nil: it is nil or the zero Buffer,
// closed, or read-only and write is set. Every method that touches bytes
// comes through here, so none can panic on an unusable receiver. For a
// write to mapped memory it records that the memory is written, for Sync.
func (b *Buffer) open(op string, write bool) error {
	if !b.usable() {
		return b.unusableError(op)
	}
	m := b.m
	if m.state.Load()&stateClosed != 0 {
		return b.closedError(op)
	}
	if write {
		if m.readOnly {
			return b.pathError(op, ErrReadOnly)
		}
		if m.reg != nil {
			m.reg.written()
		}
	}
	return nil
}

// mem returns b's bytes. They stay valid while b is reachable: Close
// replaces mapped memory with a reservation rather than unmapping it, so
// they never reach another mapping, but touching them after Close faults.
func (b *Buffer) mem() []byte {
	return b.m.data[b.off : b.off+b.n : b.off+b.n]
}

// openMem returns b's bytes when b is open, and writable if write is set,
// with ok false for anything else (nil, zero, closed, read-only): the fast
// path of the small methods, a few loads, small enough to inline. It does
// not record a write (see open). On heap memory (b.m.reg nil) a method
// needs nothing more: heap memory cannot fault, and the garbage collector
// keeps it while the slice is used. Mapped memory must be touched under
// the fault guard. On ok false the method takes its lease, which reports
// what is wrong.
func (b *Buffer) openMem(write bool) (mem []byte, ok bool) {
	if b == nil || b.m == nil {
		return nil, false
	}
	m := b.m
	if m.state.Load() != 0 || write && m.readOnly {
		return nil, false
	}
	// b.off+b.n <= len(m.data) always: Slice makes it so.
	return unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(m.data)), b.off)), b.n), true
}

// release ends the lease. Deferred by a method, it turns a fault in the
// leased memory into an error in *err: one matching fs.ErrClosed if the
// memory was closed (the method touched the reservation Close left), else
// a *FaultError. Any other panic goes on. err may be nil for a method that
// touches no bytes.
func (l *lease) release(err *error) {
	if l.a == nil {
		return
	}
	r := recover() // a fault, or any panic, in the method's body
	debug.SetPanicOnFault(l.old)
	if r == nil {
		return
	}
	fe := l.fault(r)
	if fe == nil || err == nil {
		panic(r)
	}
	*err = fe
}

// fault returns the error for a recovered panic value, or nil if it was
// not a memory fault inside one of the leased mappings.
func (l *lease) fault(r any) error {
	re, ok := r.(runtime.Error)
	if !ok {
		return nil
	}
	at, ok := re.(interface{ Addr() uintptr })
	if !ok {
		return nil
	}
	addr := at.Addr()
	for _, b := range [2]*Buffer{l.a, l.b} {
		if b == nil || b.m.reg == nil {
			continue
		}
		start := uintptr(b.m.reg.addr)
		if addr < start || addr >= start+uintptr(b.m.reg.size) {
			continue
		}
		if b.m.state.Load()&stateClosed != 0 {
			return b.closedError(l.op) // the reservation Close left
		}
		return &FaultError{Op: l.op, Name: b.label(), Offset: int64(addr) - int64(start) - int64(b.off)}
	}
	return nil
}

// recovered is the end of a guard on b alone, for a panic: r is what
// recover returned in the deferred function and old the panic-on-fault
// setting to restore. It returns the error for a fault in b's memory, and
// panics again with anything else.
func (b *Buffer) recovered(op string, r any, old bool) error {
	debug.SetPanicOnFault(old)
	if r == nil {
		return nil // runtime.Goexit, which goes on
	}
	l := lease{op: op, a: b}
	if err := l.fault(r); err != nil {
		return err
	}
	panic(r)
}

// guarded runs f on b's bytes, b open (and writable if write is set), under
// the guard the numeric methods use (see guardFirst in numeric.go): a
// deferred closure that calls recover only if f did not return, which
// costs less than a lease and its release. f must not keep the bytes.
func guarded[R any](b *Buffer, op string, write bool, f func(mem []byte) (R, error)) (r R, err error) {
	if err := b.open(op, write); err != nil {
		return r, err
	}
	var old, done bool
	defer func() {
		if done { // no panic: recover would find none
			debug.SetPanicOnFault(old)
			return
		}
		err = b.recovered(op, recover(), old)
	}()
	old = debug.SetPanicOnFault(true) // after the defer: see guardFirst
	r, err = f(b.mem())
	done = true
	return r, err
}

// memFault is the error of a system call that found the memory at off
// gone (EFAULT): one matching fs.ErrClosed if b was closed meanwhile (the
// call met the reservation Close left), else a *FaultError.
func (b *Buffer) memFault(op string, off int) error {
	if b.m.state.Load()&stateClosed != 0 {
		return b.closedError(op)
	}
	return &FaultError{Op: op, Name: b.label(), Offset: int64(off)}
}
