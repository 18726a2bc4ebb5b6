package ipcbuf

// Every method that touches a buffer's bytes holds a lease on them: the
// mapping's read lock, so that Close cannot unmap them mid-call, and, for
// mapped memory, a fault guard, so that touching pages another process
// truncated away is an error instead of a crash.

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

// A lease is what acquire hands a method: release it exactly once,
// normally with defer l.release(&err), where err is the method's named
// error result, so that a fault becomes that error.
type lease struct {
	op      string
	a, b    *Buffer // the buffers whose locks are held; b is nil for one
	guarded bool    // panic-on-fault was turned on for this goroutine
	old     bool    // its previous setting
}

// acquire returns b's bytes and a lease on them. It fails, holding
// nothing, if b is closed, or if write is set and b is read-only. op names
// the method in errors.
func (b *Buffer) acquire(op string, write bool) ([]byte, lease, error) {
	if err := b.lock(op, write); err != nil {
		return nil, lease{}, err
	}
	l := lease{op: op, a: b}
	l.guard()
	return b.mem(), l, nil
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
//
// Two buffers on one mapping take its lock once: a second RLock could
// deadlock behind a waiting Close. Two mappings are locked in a fixed order
// for the same reason.
func acquirePair(op string, b *Buffer, name string, arg *Buffer, w int) (mb, ma []byte, l lease, err error) {
	if err := bufferArg(name, arg); err != nil {
		if lerr := b.lock(op, w == writeRecv); lerr != nil {
			return nil, nil, lease{}, lerr
		}
		b.m.mu.RUnlock()
		return nil, nil, lease{}, err
	}
	if b.usable() && b.m == arg.m {
		if err := b.lock(op, w != writeNone); err != nil {
			return nil, nil, lease{}, err
		}
		l = lease{op: op, a: b}
	} else {
		if err := b.lock(op, w == writeRecv); err != nil {
			return nil, nil, lease{}, err
		}
		b.m.mu.RUnlock() // checked first; locked again below, in order
		first, second := b, arg
		fw, sw := w == writeRecv, w == writeArg
		if uintptr(unsafe.Pointer(arg.m)) < uintptr(unsafe.Pointer(b.m)) {
			first, second, fw, sw = arg, b, sw, fw
		}
		if err := first.lock(op, fw); err != nil {
			return nil, nil, lease{}, err
		}
		if err := second.lock(op, sw); err != nil {
			first.m.mu.RUnlock()
			return nil, nil, lease{}, err
		}
		l = lease{op: op, a: first, b: second}
	}
	l.guard()
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

// lock takes b's read lock, or reports why b cannot be used: it is nil or
// the zero Buffer, closed, or read-only and write is set. Every method
// that touches bytes comes through here, so none can panic on an unusable
// receiver.
func (b *Buffer) lock(op string, write bool) error {
	if !b.usable() {
		return b.unusableError(op)
	}
	m := b.m
	m.mu.RLock()
	switch {
	case m.closed:
		m.mu.RUnlock()
		return b.closedError(op)
	case write && m.readOnly:
		m.mu.RUnlock()
		return b.pathError(op, ErrReadOnly)
	}
	if write && m.reg != nil {
		m.reg.written()
	}
	return nil
}

// mem returns b's bytes; b's lock must be held.
func (b *Buffer) mem() []byte {
	return b.m.data[b.off : b.off+b.n : b.off+b.n]
}

// guard turns panic-on-fault on for this goroutine when the lease covers
// mapped memory; heap memory cannot fault.
func (l *lease) guard() {
	if l.a.m.reg != nil || l.b != nil && l.b.m.reg != nil {
		l.guarded = true
		l.old = debug.SetPanicOnFault(true)
	}
}

// release ends the lease. Deferred by a method, it turns a fault in the
// leased memory into a *FaultError in *err; any other panic goes on. err
// may be nil for a method that touches no bytes.
func (l lease) release(err *error) {
	if l.guarded {
		r := recover() // a fault, or any panic, in the method's body
		debug.SetPanicOnFault(l.old)
		if r != nil {
			l.unlock()
			fe := l.fault(r)
			if fe == nil || err == nil {
				panic(r)
			}
			*err = fe
			return
		}
	}
	l.unlock()
}

func (l lease) unlock() {
	if l.b != nil {
		l.b.m.mu.RUnlock()
	}
	l.a.m.mu.RUnlock()
}

// fault returns the *FaultError for a recovered panic value, or nil if it
// was not a memory fault inside one of the leased mappings.
func (l lease) fault(r any) *FaultError {
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
		if addr >= start && addr < start+uintptr(b.m.reg.size) {
			return &FaultError{Op: l.op, Name: b.label(), Offset: int64(addr) - int64(start) - int64(b.off)}
		}
	}
	return nil
}
