package ipcbuf

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// region is memory mapped outside the Go heap: the bytes of a shared
// buffer, with what writes them back, gives them back and removes the
// object that holds them. It holds no pointer to its mapping, so the
// mapping's cleanup can take it as its argument. mu orders Close's changes
// to it before the cleanup's use of it.
//
// How a region is flushed and unmapped is fixed when it is made (its
// regionKind); what is left to do changes only with its state, as Close
// and the cleanup move it from mapped to reserved or released.
type region struct {
	mu      sync.Mutex
	dirty   atomic.Bool // a method wrote the memory since the last flush
	exposed atomic.Bool // Bytes or View handed the memory out: it may be written at any time, unseen, so every flush must msync
	addr    unsafe.Pointer
	size    int // bytes mapped at addr; 0 for an empty object, which maps nothing
	span    int // bytes that munmap and the reservation cover: size rounded up to whole huge pages once the kernel asked for that (see wholePages); 0 until then
	kind    regionKind
	state   regionState
	obj     namedObject // what Buffer.Remove removes
	sys     regionSys   // what the system needs besides the addresses: on Windows, the file's handle (region_windows.go)
}

// regionKind is how a region's memory is written back and given back.
type regionKind uint8

const (
	mappedWritable regionKind = iota // mmap(MAP_SHARED) of a file or POSIX object, writable: msync, munmap
	mappedReadOnly                   // the same, read-only: nothing here writes it, so never msync (a disk flush); munmap
	attachedSysV                     // shmat of a System V segment: nothing to write back; shmdt
)

// regionState is what a region's addresses hold now.
type regionState uint8

const (
	regionMapped   regionState = iota // the object's memory
	regionKept                        // the object's memory, which retire could not reserve: no longer flushed, unmapped by the cleanup
	regionReserved                    // an inaccessible reservation (see retire): munmap
	regionReleased                    // nothing: unmapped
)

// newRegion returns the region of size bytes mapped at addr, of kind k,
// that holds the named object obj.
func newRegion(addr unsafe.Pointer, size int, k regionKind, obj namedObject) *region {
	return &region{addr: addr, size: size, kind: k, obj: obj}
}

// newMapped returns a Buffer over n bytes of the region r (n ≤ r.size) and
// arranges for r to be released when the Buffer and its views are gone.
func newMapped(kind Kind, name string, r *region, n int, readOnly bool) *Buffer {
	m := &mapping{kind: kind, name: name, reg: r, readOnly: readOnly}
	if n > 0 {
		m.data = unsafe.Slice((*byte)(r.addr), n)
	}
	m.cleanup = runtime.AddCleanup(m, func(r *region) { _ = r.release() }, r)
	return &Buffer{m: m, n: n}
}

// release flushes and unmaps r: by Close, or by the cleanup when no view of
// the memory is reachable (after a retire, it unmaps the reservation).
func (r *region) release() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return errors.Join(r.sync(), r.unmap())
}

// sync flushes r if anything may have been written to it since the last
// flush: msync costs a disk flush even when nothing changed.
func (r *region) sync() error {
	if r.kind != mappedWritable || r.state != regionMapped || r.size == 0 || !r.exposed.Load() && !r.dirty.Swap(false) {
		return nil
	}
	if err := r.sys.flush(r.addr, r.size); err != nil {
		r.dirty.Store(true) // still to do
		return err
	}
	return nil
}

// written records that a method is about to write r.
func (r *region) written() {
	if !r.dirty.Load() {
		r.dirty.Store(true)
	}
}

// retire is Close's release: a method that found the mapping open just
// before Close, or a slice that Bytes or View handed out, may still touch
// the memory after Close, and must then fault (or, for a method, finish on
// this memory), never reach whatever the kernel maps at the same address
// next. So retire
// flushes r and replaces the mapping, in one mmap(MAP_FIXED), with an
// inaccessible reservation of the same addresses that holds no memory and
// no reference to the object; the cleanup unmaps the reservation when no
// Buffer on the memory is reachable. It returns whether the cleanup is
// still needed. The reservation serves every kind: MAP_FIXED detaches a
// System V segment as shmdt does.
//
// Where no reservation can be made (over huge pages, whose size cannot be
// learnt without /proc; when mmap fails; on Windows, see
// region_windows.go), retire keeps the memory
// mapped, for the cleanup to unmap as it would the reservation: unmapping
// now would free addresses that a stale slice still points to, for the
// next mapping to take.
func (r *region) retire() (needCleanup bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	err = r.sync()
	if r.size == 0 {
		return false, errors.Join(err, r.unmap()) // nothing is mapped
	}
	if r.state == regionMapped {
		r.state = regionKept // no more flushes, whatever comes next
		if r.sys.reserve(r) == nil {
			r.state = regionReserved
		}
		err = errors.Join(err, r.sys.close())
	}
	return true, err
}

// unmap gives r's addresses back, as r's kind and state say. r.mu must be
// held once r is shared.
func (r *region) unmap() error {
	state := r.state
	r.state = regionReleased
	var err error
	switch {
	case r.size == 0 || state == regionReleased:
	default:
		err = r.sys.unmap(r, state)
	}
	return errors.Join(err, r.sys.close())
}

// wholePages calls unmap (munmap or a reservation) with the length of r's
// mapping. That is r.size unless the mapping is of huge pages (a file on
// hugetlbfs, a System V segment made with SHM_HUGETLB): the kernel maps
// those whole, so the mapping runs to the end of the last huge page, and it
// refuses with EINVAL to unmap or replace part of one. Nothing at open
// tells the page size of a segment, so on EINVAL wholePages asks the
// mapping itself (pageSizeAt) and calls again on whole pages; r.span keeps
// the length for the next call. r.mu must be held.
func wholePages(r *region, unmap func(addr unsafe.Pointer, n int) error) error {
	n := max(r.span, r.size)
	err := unmap(r.addr, n)
	if err != syscall.EINVAL {
		return err
	}
	page, perr := pageSizeAt(r.addr)
	if perr != nil {
		return fmt.Errorf("%w (and the page size of the mapping is unknown: %v)", err, perr)
	}
	whole := (r.size + page - 1) / page * page
	if whole == n {
		return err // not a matter of page size
	}
	if err = unmap(r.addr, whole); err == nil {
		r.span = whole
	}
	return err
}

// pageSizeAt returns the size of the pages of the mapping that holds addr,
// as the kernel reports it (KernelPageSize in /proc/self/smaps): the huge
// page size for a file on hugetlbfs or a System V segment made with
// SHM_HUGETLB. Nothing cheaper tells it for both: IPC_STAT does not record
// SHM_HUGETLB, and a mapped file's descriptor is closed after mmap. It is
// read only when the kernel has refused a call on part of a page, so its
// cost (a walk of every mapping of the process) is paid only there.
func pageSizeAt(addr unsafe.Pointer) (int, error) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	a := uint64(uintptr(addr))
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Bytes()
		if lo, hi, ok := smapsRange(line); ok {
			in = a >= lo && a < hi
			continue
		}
		if rest, ok := bytes.CutPrefix(line, []byte("KernelPageSize:")); ok && in {
			kb, err := strconv.Atoi(string(bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(rest), []byte("kB")))))
			if err != nil || kb <= 0 {
				return 0, fmt.Errorf("cannot read the page size in /proc/self/smaps: %q", line)
			}
			return kb << 10, nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("/proc/self/smaps has no page size for the mapping at %#x", a)
}

// smapsRange parses the address range that starts the first line of each
// mapping in /proc/self/smaps ("7f04aa00000-7f04ac00000 rw-s ..."); the
// other lines ("Size: 4 kB") are not hexadecimal ranges.
func smapsRange(line []byte) (lo, hi uint64, ok bool) {
	field, _, _ := bytes.Cut(line, []byte(" "))
	l, h, ok := bytes.Cut(field, []byte("-"))
	if !ok {
		return 0, 0, false
	}
	lo, err := strconv.ParseUint(string(l), 16, 64)
	if err != nil {
		return 0, 0, false
	}
	hi, err = strconv.ParseUint(string(h), 16, 64)
	return lo, hi, err == nil
}

// remove removes the named object that r maps, if it is still the one
// opened (see Buffer.Remove). attached says that r is still mapped, so
// that the object cannot have been destroyed and its identity reused.
func (r *region) remove(attached bool) error { return r.obj.remove(attached) }

// namedObject is the object a region maps, as its backend identified it
// at open, so that Buffer.Remove removes that object and no other that has
// taken its name, or for System V its identifier, since.
type namedObject interface {
	remove(attached bool) error
}

// errNotTheObject is Remove's error when the name or identifier now
// belongs to another object than the buffer's.
func errNotTheObject(what string) error {
	return fmt.Errorf("%s: the object this buffer opened is gone, and the other one is left alone: %w", what, fs.ErrNotExist)
}

// notRegularError is the error for a target that is not a regular file. It
// matches fs.ErrInvalid, and the system's error if there was one.
type notRegularError struct {
	what string
	err  error
}

func (e *notRegularError) Error() string {
	msg := e.what + ", not a regular file: only regular files and shared memory objects can be mapped as buffers"
	if e.err != nil {
		msg += " (" + e.err.Error() + ")"
	}
	return msg
}
func (e *notRegularError) Is(target error) bool { return target == fs.ErrInvalid }
func (e *notRegularError) Unwrap() error        { return e.err }
