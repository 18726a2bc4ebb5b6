package ipcbuf

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"runtime"
	"sync"
	"sync/atomic"
)

// Kind says where a Buffer's bytes live.
type Kind uint8

// The kinds of Buffer.
const (
	KindMemory Kind = iota // this process's memory
	KindPOSIX              // a POSIX shared memory object (shm_open)
	KindFile               // a file mapped with mmap(MAP_SHARED)
	KindSysV               // a System V shared memory segment (shmget)
)

func (k Kind) String() string {
	switch k {
	case KindMemory:
		return "memory"
	case KindPOSIX:
		return "posix"
	case KindFile:
		return "file"
	case KindSysV:
		return "sysv"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Supported reports whether this build can make buffers of kind k: memory
// buffers always, the shared kinds when cgo is on and no build tag has left
// their backend out.
func (k Kind) Supported() bool { return k <= KindSysV && k.leftOut() == nil }

// Buffer is a fixed-length run of bytes in one of the four kinds of memory.
// It implements io.ReaderAt, io.WriterAt and io.Closer.
//
// Make one with Alloc, Open, OpenShm, OpenFile or OpenSysV, or take a view of
// one with Slice; the zero Buffer is not usable (see "Nil and zero buffers"
// in the package documentation for what its methods give).
type Buffer struct {
	m   *mapping // shared by every view of the same memory
	off int      // where this view starts in m.data
	n   int      // this view's length
}

var (
	_ io.ReaderAt = (*Buffer)(nil)
	_ io.WriterAt = (*Buffer)(nil)
	_ io.Closer   = (*Buffer)(nil)
)

// mapping is the memory that a Buffer and all its views share. The runtime
// cleanup that releases shared memory is attached to it, so the memory stays
// mapped while any view is reachable.
type mapping struct {
	state    atomic.Uint32 // stateClosed once Close has begun; methods read it without a lock (see guard.go)
	mu       sync.RWMutex  // held by Close, and for reading by Remove; methods never take it
	data     []byte        // all the bytes; never changes, even at Close (methods read it without a lock)
	readOnly bool
	kind     Kind
	name     string  // the target that opens it again; "" for memory
	reg      *region // nil for memory buffers
	cleanup  runtime.Cleanup
	waits    waitList // this process's Wait calls on the memory, which Close wakes
}

// maxSize is the largest buffer ipcbuf will try to make: 128 TiB, the user
// address space of a 64-bit Linux process.
const maxSize = 1 << 47

// Len returns the number of bytes in b. It stays the same after Close. It
// is 0 for a nil or zero Buffer.
func (b *Buffer) Len() int {
	if b == nil {
		return 0
	}
	return b.n
}

// Kind returns where b's bytes live; KindMemory, the zero Kind, for a nil
// or zero Buffer.
func (b *Buffer) Kind() Kind {
	if !b.usable() {
		return KindMemory
	}
	return b.m.kind
}

// Name returns the target that opens b's memory again with Open: "*name" for
// POSIX shared memory, the path for a file, the key as "0x%08x" for System V,
// and "" for memory buffers and for a nil or zero Buffer.
func (b *Buffer) Name() string {
	if !b.usable() {
		return ""
	}
	return b.m.name
}

// ReadOnly reports whether b was opened read-only; false for a nil or zero
// Buffer.
func (b *Buffer) ReadOnly() bool {
	if !b.usable() {
		return false
	}
	return b.m.readOnly
}

// Bytes returns b's memory itself, not a copy: a write through the slice is
// seen by every process sharing the object, at once.
//
// The slice is valid until Close is called on b or on any buffer sharing its
// memory (its parent or a Slice of it), and only while one of those buffers
// is reachable: the garbage collector does not know that the slice points
// into the mapping, so after the last use of the slice keep b alive with
// runtime.KeepAlive(b). After Close, touching the slice faults: Close keeps
// the addresses reserved, inaccessible, until no buffer on the memory is
// reachable, so the slice cannot reach a mapping made later. Once the
// buffers are collected, the addresses are free and the slice may see
// other memory. Where Close cannot make the reservation (see Close), it
// leaves the memory mapped for that time instead: the slice then still
// reads and writes the object it came from, and never another mapping.
// Writing through the slice of a read-only buffer faults.
// Bytes returns nil once b is closed.
//
// Unlike the methods of Buffer, access through the slice is not guarded:
// if another process truncates the file or object, touching the lost pages
// raises SIGBUS.
func (b *Buffer) Bytes() []byte {
	mem, l, err := b.acquire("bytes", false)
	if err != nil {
		return nil
	}
	if b.m.reg != nil {
		b.m.reg.exposed.Store(true)
	}
	l.release(nil)
	return mem
}

// Slice returns a buffer that shares b's bytes from start to end, like
// Node's buf.subarray(start, end). Negative indices count back from the end;
// indices past either end are clamped; end before start gives an empty
// buffer. The new buffer keeps the memory mapped while it is reachable, even
// after b is not; closing either closes both. A Slice of a nil or zero
// Buffer is a new zero Buffer.
func (b *Buffer) Slice(start, end int) *Buffer {
	if !b.usable() {
		return &Buffer{}
	}
	start, end = clampRange(start, end, b.n)
	return &Buffer{m: b.m, off: b.off + start, n: end - start}
}

// Subarray is Slice, under the name Node prefers.
func (b *Buffer) Subarray(start, end int) *Buffer { return b.Slice(start, end) }

// clampRange applies the TypedArray rules for relative indices to n bytes.
func clampRange(start, end, n int) (int, int) {
	clamp := func(i int) int {
		if i < 0 {
			return max(i+n, 0)
		}
		return min(i, n)
	}
	start, end = clamp(start), clamp(end)
	return start, max(start, end)
}

// ReadAt reads len(p) bytes from b starting at byte off. It implements
// io.ReaderAt: at the end of b it returns fewer bytes and io.EOF. A
// negative off is bad input, as os.File and bytes.Reader take it: an
// *fs.PathError matching fs.ErrInvalid, the same in ReadAt and WriteAt.
func (b *Buffer) ReadAt(p []byte, off int64) (n int, err error) {
	mem, l, err := b.acquire("read", false)
	if err != nil {
		return 0, err
	}
	defer l.release(&err)
	if off < 0 {
		return 0, b.pathError("read", invalid("negative offset %d", off))
	}
	if off >= int64(len(mem)) {
		if len(p) == 0 && off == int64(len(mem)) {
			return 0, nil
		}
		return 0, io.EOF
	}
	n = copy(p, mem[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// WriteAt writes p into b starting at byte off. It implements io.WriterAt.
// A negative off is an *fs.PathError matching fs.ErrInvalid, as in
// ReadAt. A write that would run past the end of b writes nothing and
// returns an error matching ErrBufferOutOfBounds: a buffer never grows.
func (b *Buffer) WriteAt(p []byte, off int64) (n int, err error) {
	mem, l, err := b.acquire("write", true)
	if err != nil {
		return 0, err
	}
	defer l.release(&err)
	if off < 0 {
		return 0, b.pathError("write", invalid("negative offset %d", off))
	}
	if off > int64(len(mem)) || int64(len(p)) > int64(len(mem))-off {
		return 0, errWriteOutOfBounds(len(p), off, len(mem))
	}
	return copy(mem[off:], p), nil
}

// Sync writes b's bytes back to the file or object that holds them and waits
// until that is done (msync with MS_SYNC). For a file, everything written
// before Sync returns is then on disk. It does nothing for memory and
// System V buffers, and syncs the whole mapping when b is a Slice. When no
// method has written the memory since the last flush and Bytes and View
// never handed it out, there is nothing to write and Sync returns at once:
// msync would cost a disk flush all the same. On Windows, Sync is
// FlushViewOfFile, which starts the writes, and for a file FlushFileBuffers,
// which waits for them.
func (b *Buffer) Sync() error {
	_, l, err := b.acquire("sync", false)
	if err != nil {
		return err
	}
	defer l.release(nil)
	m := b.m
	if m.reg == nil {
		return nil
	}
	if err := m.reg.sync(); err != nil {
		return b.pathError("sync", err)
	}
	return nil
}

// Close syncs and unmaps b's memory. Every buffer sharing that memory is
// closed with it: their methods then return an error matching fs.ErrClosed,
// as does a second Close. Close does not remove the named object; see
// Remove.
//
// Close does not give the addresses back at once: it replaces the mapping
// with an inaccessible reservation (one mmap call), released by the garbage
// collector with the last buffer on the memory, so that a method racing
// Close, or a slice from Bytes or View used after Close, faults (the method
// then returns fs.ErrClosed) rather than reaching another mapping. Methods
// take no lock, so that a call costs a few nanoseconds; the reservation
// costs Close a few microseconds (see TESTING.md) and no memory. A method
// racing Close either returns fs.ErrClosed or completes; what it wrote
// after Close's flush is in the object, and reaches a file's disk in the
// kernel's own time. The reservation covers whole pages: for
// huge pages (a file on hugetlbfs, a System V segment made with
// SHM_HUGETLB) Close learns their size from /proc/self/smaps. Where no
// reservation can be made (huge pages without /proc mounted), Close leaves
// the memory mapped, still holding the object (a removed System V segment
// is not freed), until the buffers are collected: it never gives back
// addresses a slice may still point to. On Windows the swap takes two
// calls, UnmapViewOfFile and then VirtualAlloc(MEM_RESERVE) of the same
// addresses: another thread of the process that maps memory in the moment
// between them may take the addresses (see "Windows" in the README).
//
// Close wakes this process's waits on the memory (Wait, and the Semaphore
// and Mutex in it), which return an error matching fs.ErrClosed, and
// unmaps only once they have returned.
func (b *Buffer) Close() error {
	if !b.usable() {
		return b.unusableError("close")
	}
	m := b.m
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.state.Load()&stateClosed != 0 {
		return b.closedError("close")
	}
	m.state.Store(stateClosed)
	// Waiters sleep on the memory; they must be gone before it is: see
	// futex.go.
	m.waits.close()
	if m.reg == nil {
		return nil
	}
	// Methods take no lock (see guard.go): one may have found the mapping
	// open just now and be about to touch the memory. So the memory is
	// always swapped for a reservation, never unmapped here.
	needCleanup, err := m.reg.retire()
	if !needCleanup {
		m.cleanup.Stop()
	}
	if err != nil {
		return b.pathError("close", err)
	}
	return nil
}

// Remove removes the named object that holds b's bytes, and only that
// object: it unlinks the POSIX object or the file, or marks the System V
// segment for removal. b and every other process's mapping stay usable
// until closed; the name can then be created afresh. Remove may be called
// before or after Close.
//
// Once b's object is gone, its name (or a System V segment's identifier)
// may be given to another object, and Remove must not take that one for
// b's. So Remove checks the object against what b recorded at open, and
// if it is not the same returns an error matching fs.ErrNotExist and
// removes nothing:
//
//   - A file or POSIX object: the name must still refer to the same device
//     and inode, with the same birth time (statx), and be a regular file.
//     While b is open and not empty, its mapping keeps the inode from
//     being reused, so the check is exact. Otherwise a file system may
//     give the inode number to a new file; the birth time tells them apart
//     unless both were created within one tick of its clock (a few
//     milliseconds). A name replaced between the check and the unlink, a
//     window of one system call, is not noticed: no call unlinks a name
//     only if it still refers to a given inode. A file opened through a
//     symbolic link is refused: the link is not the file.
//   - A System V segment: while b is attached the segment cannot be
//     destroyed, so its identifier cannot be reused, and Remove marks it by
//     that identifier (a new segment made under the same key since b was
//     opened is left alone). After Close the identifier may belong to a new
//     segment; Remove then requires the key, the creator's user and
//     process, the creation time and the size to be those recorded at open
//     (IPC_STAT). A segment made by the same process under the same key
//     with the same size within the same second as b's, and given its
//     identifier, is not told apart; nor is one that replaces it between
//     the check and IPC_RMID. A segment whose mode another process changed
//     (IPC_SET updates the creation time) is refused after Close.
//
// On Windows a named section cannot be removed: it goes, name and all,
// when the last process closes it, so Remove checks that it still exists
// and does nothing more. A file is deleted if the path still names the file
// b opened (same volume and file index); while others have it open it is
// deleted when the last one closes it.
//
// Memory buffers have no name: Remove returns an error matching
// errors.ErrUnsupported. A nil or zero Buffer gives an error matching
// fs.ErrInvalid.
func (b *Buffer) Remove() error {
	if !b.usable() {
		return b.unusableError("remove")
	}
	m := b.m
	if m.kind == KindMemory {
		return fmt.Errorf("ipcbuf: a memory buffer has no named object to remove: %w", errors.ErrUnsupported)
	}
	// Held so that Close cannot unmap, and so let the object go, while
	// Remove relies on the mapping to keep it.
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.reg.remove(m.state.Load()&stateClosed == 0)
}

// ErrReadOnly is returned, wrapped in an *fs.PathError, by methods that
// would write to a read-only buffer.
var ErrReadOnly = errors.New("buffer is read-only")

// label names b in errors.
func (b *Buffer) label() string {
	if b.m.name == "" {
		return "memory buffer"
	}
	return b.m.name
}

func (b *Buffer) pathError(op string, err error) error {
	return &fs.PathError{Op: op, Path: b.label(), Err: err}
}

func (b *Buffer) closedError(op string) error { return b.pathError(op, fs.ErrClosed) }

// invalidError is bad input: it says what was wrong and matches
// fs.ErrInvalid. It always comes wrapped in an *fs.PathError, which names
// the operation and the object, so it has no "ipcbuf: " prefix of its own.
type invalidError struct{ msg string }

func (e *invalidError) Error() string        { return e.msg }
func (e *invalidError) Is(target error) bool { return target == fs.ErrInvalid }

func invalid(format string, args ...any) error {
	return &invalidError{msg: fmt.Sprintf(format, args...)}
}
