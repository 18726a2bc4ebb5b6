package ipcbuf

// Every method that touches a buffer's bytes holds a lease on them: the
// mapping's read lock, so that Close cannot unmap them mid-call, and, for
// mapped memory, a fault guard, so that touching pages another process
// truncated away is an error instead of a crash.

import (
	"errors"
	"fmt"
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

// acquirePair acquires src for reading and dst (for writing if write is
// set) under one lease. Two buffers on one mapping take its lock once: a
// second RLock could deadlock behind a waiting Close. Two mappings are
// locked in a fixed order for the same reason.
func acquirePair(op string, src, dst *Buffer, write bool) (s, d []byte, l lease, err error) {
	if src.m == dst.m {
		if err := dst.lock(op, write); err != nil {
			return nil, nil, lease{}, err
		}
		l = lease{op: op, a: dst}
	} else {
		first, second := src, dst
		if uintptr(unsafe.Pointer(dst.m)) < uintptr(unsafe.Pointer(src.m)) {
			first, second = dst, src
		}
		if err := first.lock(op, write && first == dst); err != nil {
			return nil, nil, lease{}, err
		}
		if err := second.lock(op, write && second == dst); err != nil {
			first.m.mu.RUnlock()
			return nil, nil, lease{}, err
		}
		l = lease{op: op, a: first, b: second}
	}
	l.guard()
	return src.mem(), dst.mem(), l, nil
}

// lock takes b's read lock, or reports why b cannot be used.
func (b *Buffer) lock(op string, write bool) error {
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
