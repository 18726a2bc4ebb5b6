//go:build cgo && linux

package ipcbuf

import (
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"strconv"
	"syscall"
	"unsafe"

	"github.com/ipcbuf/ipcbuf/cshim"
)

// fdObject is a named object opened as a descriptor and then mapped: a POSIX
// shared memory object (backend_posix.go) or a file (backend_file.go). The
// two backends differ only in how they name, open, publish and unlink.
type fdObject struct {
	kind   Kind
	target string                                                 // what Name returns
	name   string                                                 // what open, unlink and link take for the object: "/name" or the path
	path   string                                                 // where the name is as a file, for lstat: the path, or the object's file in shmDir
	open   func(name string, flags int, mode uint32) (int, error) // shm_open or open
	unlink func(name string) error                                // shm_unlink or unlink
	// publish moves the finished object made under a temporary name to
	// its own in one atomic step, failing with EEXIST if that exists (see
	// createFD); temp returns such a name, in the same directory, with rnd
	// in it.
	publish func(oldname, newname string) error
	temp    func(rnd string) string
	synced  func() error // makes a new name durable; nil if none
}

// openFD opens (or creates) obj per o and maps size bytes of it (size 0: all
// of it). On any failure it closes what it opened, removes what it created
// and undoes what it grew, so nothing is left behind or changed.
//
// Every open passes O_NONBLOCK. Opening a FIFO for reading waits for a
// writer, and a device's open may wait too: with O_NONBLOCK it returns at
// once, and the fstat that follows refuses anything that is not a regular
// file. The flag is left set on the descriptor: it only changes read(2) and
// write(2), and for regular files not even those; mmap and the page faults
// on the mapping never look at it, and the descriptor is closed once mapped.
func openFD(obj fdObject, size int, o options) (*Buffer, error) {
	fail := func(err error) (*Buffer, error) {
		return nil, &fs.PathError{Op: "open", Path: obj.target, Err: err}
	}
	acc := syscall.O_RDWR | syscall.O_NONBLOCK
	if o.readOnly {
		acc = syscall.O_RDONLY | syscall.O_NONBLOCK
	}
	if o.noFollow {
		acc |= syscall.O_NOFOLLOW
	}
	if o.hugePages {
		if err := hugePagesRefusal(obj.kind); err != nil {
			return fail(err)
		}
	}
	for try := 1; ; try++ {
		// Without Exclusive, an existing name is the common case: one lstat
		// spares making a whole temporary object only to find the name
		// taken. It is only a hint: createFD and openExisting handle a
		// name that appears or vanishes after it.
		existing := false
		if o.mayCreate(size) && !o.exclusive {
			existing, _ = cshim.Exists(obj.path)
		}
		if o.mayCreate(size) && !existing {
			b, err := createFD(obj, acc, size, o)
			if err == nil {
				return b, nil
			}
			if err != syscall.EEXIST || o.exclusive {
				return fail(notRegularOpen(obj, o, err))
			}
		}
		fd, st, adopted, err := openExisting(obj, acc, o.mayCreate(size), o)
		if err == syscall.ENOENT && o.mayCreate(size) && try < maxOpenTries {
			continue // it vanished since the create said it exists
		}
		if err == syscall.ENOENT && size == 0 && !o.openOnly {
			err = fmt.Errorf("size 0 opens an existing object, and there is none: %w", err)
		}
		if err != nil {
			return fail(notRegularOpen(obj, o, err))
		}
		var b *Buffer
		if adopted {
			b, err = finishCreated(obj, obj.name, fd, size, o)
		} else {
			b, err = mapExisting(obj, fd, st, size, o)
		}
		cshim.Close(fd) // the mapping keeps the object open; the descriptor is not needed
		if err != nil {
			return fail(err)
		}
		return b, nil
	}
}

// maxOpenTries bounds the create-or-open loops. An object that vanishes
// between a failed create and a failed open is retried; a name that keeps
// doing so (a dangling symlink: O_EXCL says it exists, open says it does
// not) is an error, not a hang.
const maxOpenTries = 8

// createOrOpen is how System V segments and the named semaphores open: the
// same loop as openFD's, for objects that have no descriptor to check or
// publish. Create exclusively when the options allow, so we know whether
// the object is ours; if it exists (and Exclusive is not set), open it; if
// it vanished between the two calls, try again. create fails with EEXIST
// when the object exists, open with ENOENT when it does not; what
// describes it in the message is what.
func createOrOpen[H any](o options, size int, what string, create, open func() (H, error)) (h H, created bool, err error) {
	for try := 1; ; try++ {
		if o.mayCreate(size) {
			h, err = create()
			if err == nil {
				return h, true, nil
			}
			if err != syscall.EEXIST || o.exclusive {
				return h, false, err
			}
		}
		h, err = open()
		if err == nil {
			return h, false, nil
		}
		if err == syscall.ENOENT && o.mayCreate(size) && try < maxOpenTries {
			continue
		}
		if err == syscall.ENOENT && size == 0 && !o.openOnly {
			err = fmt.Errorf("size 0 opens an existing %s, and there is none: %w", what, err)
		}
		return h, false, err
	}
}

// createFD creates obj new with size bytes and maps it. It makes the object
// whole under a temporary name in the same directory (O_EXCL), sets its
// exact mode, maps it and reserves its storage, and only then moves it to
// its name with renameat2(RENAME_NOREPLACE), which fails with EEXIST if the
// name exists: so no one who opens the name ever sees an object still being
// made, and Exclusive stays exact. A rename rather than link(2) and unlink:
// one system call instead of two, and the object keeps its one directory
// entry, so /proc/<pid>/maps and lsof show the mapping under its real name
// rather than as a deleted temporary file. The temporary name is removed on
// every failure path.
//
// Where that cannot work — the temporary name cannot be created (a
// directory we may not write to, where the object may well exist) or the
// file system cannot rename without replacing (EINVAL, EOPNOTSUPP, ENOSYS:
// some network and FUSE file systems, kernels before 3.15) — it creates the
// name itself with O_EXCL as before: Exclusive and the mode stay exact, but
// until it is sized another process can open the object at length 0 (size 0
// then is an error, see mapExisting).
//
// createFD returns EEXIST, unwrapped, when the name exists.
func createFD(obj fdObject, acc, size int, o options) (*Buffer, error) {
	if obj.publish == nil {
		return createAt(obj, acc, size, o)
	}
	var tmp string
	fd := -1
	for try := 0; fd < 0; try++ {
		tmp = obj.temp(strconv.FormatUint(tempRand(), 36))
		var err error
		fd, err = obj.open(tmp, acc|syscall.O_CREAT|syscall.O_EXCL, uint32(o.mode))
		if err == syscall.EEXIST && try < 100 {
			continue
		}
		if err != nil {
			return createAt(obj, acc, size, o)
		}
	}
	defer cshim.Close(fd)
	r, err := initCreated(obj, fd, size, o)
	if err != nil {
		_ = obj.unlink(tmp)
		return nil, err
	}
	if err := obj.publish(tmp, obj.name); err != nil {
		_ = r.unmap()
		_ = obj.unlink(tmp)
		switch err {
		case syscall.EINVAL, syscall.EOPNOTSUPP, syscall.ENOSYS, syscall.EPERM, syscall.EXDEV:
			return createAt(obj, acc, size, o)
		}
		return nil, err
	}
	if obj.synced != nil {
		if err := obj.synced(); err != nil {
			_ = r.unmap()
			_ = obj.unlink(obj.name)
			return nil, err
		}
	}
	return newMapped(obj.kind, obj.target, r, size, false), nil
}

// tempRand gives createFD its temporary names; math/rand/v2's generator is
// seeded unpredictably.
var tempRand = rand.Uint64

// createAt creates obj under its own name with O_EXCL and makes it whole
// there: the fallback of createFD.
func createAt(obj fdObject, acc, size int, o options) (*Buffer, error) {
	fd, err := obj.open(obj.name, acc|syscall.O_CREAT|syscall.O_EXCL, uint32(o.mode))
	if err != nil {
		return nil, err
	}
	defer cshim.Close(fd)
	return finishCreated(obj, obj.name, fd, size, o)
}

// finishCreated makes the object at fd, which this process created under
// name, whole and maps it; on failure it removes name.
func finishCreated(obj fdObject, name string, fd, size int, o options) (*Buffer, error) {
	r, err := initCreated(obj, fd, size, o)
	if err == nil && obj.synced != nil {
		if err = obj.synced(); err != nil {
			_ = r.unmap()
		}
	}
	if err != nil {
		_ = obj.unlink(name)
		return nil, err
	}
	return newMapped(obj.kind, obj.target, r, size, false), nil
}

// initCreated gives a new object at fd its exact mode and size bytes of
// storage, and maps it.
func initCreated(obj fdObject, fd, size int, o options) (*region, error) {
	// The mode given to open was filtered by the umask.
	if err := cshim.Fchmod(fd, uint32(o.mode)); err != nil {
		return nil, err
	}
	return mapAndGrow(obj, fd, cshim.Stat{}, int64(size), o)
}

// openExisting opens obj's existing object. When the options allow
// creating, it opens with O_CREAT (and without O_EXCL), so that the
// kernel's rules for an O_CREAT open of someone else's file in a sticky
// world-writable directory (fs.protected_regular, fs.protected_fifos)
// apply: a default open is never weaker than a plain O_CREAT open. Without
// O_CREAT the kernel does not check them, and a name another user squatted
// would be opened.
//
// If the object vanished since createFD found it, that O_CREAT open creates
// it. The open passes mode 0 so that such a file is recognisable: regular,
// empty, ours, one name and no permission bits at all (the umask can only
// clear bits). openExisting then reports it as adopted and openFD makes it
// whole as a creator would, mode included. An existing object with all of
// those properties could only be taken for a new one by root (any other
// owner's open of a mode 0 file fails), and is then given the requested
// mode and size, which the default open would grow it to anyway.
//
// For a file that is a symlink (and NoFollow is not set), the O_CREAT open
// would create the missing target of a dangling link, so the link is first
// followed without O_CREAT (ENOENT when dangling, as before) and then
// opened again with O_CREAT for the kernel's check; both must be the same
// file.
func openExisting(obj fdObject, acc int, mayCreate bool, o options) (fd int, st cshim.Stat, adopted bool, err error) {
	if !mayCreate {
		fd, err = obj.open(obj.name, acc, 0)
		if err == nil {
			st, err = checkRegular(fd)
		}
		return fd, st, false, err
	}
	fd, err = obj.open(obj.name, acc|syscall.O_CREAT|syscall.O_NOFOLLOW, 0)
	if err == syscall.ELOOP && !o.noFollow && obj.kind == KindFile {
		return openSymlinked(obj, acc)
	}
	if err != nil {
		return -1, st, false, err
	}
	if st, err = checkRegular(fd); err != nil {
		return -1, st, false, err
	}
	fresh := st.Mode&0o7777 == 0 && st.Size == 0 && st.Nlink == 1 && st.UID == uint32(os.Geteuid())
	return fd, st, fresh, nil
}

// openSymlinked opens the file a symlink at obj.name points to: see
// openExisting.
func openSymlinked(obj fdObject, acc int) (int, cshim.Stat, bool, error) {
	fd, err := obj.open(obj.name, acc, 0)
	if err != nil {
		return -1, cshim.Stat{}, false, err
	}
	st, err := checkRegular(fd)
	if err != nil {
		return -1, st, false, err
	}
	probe, err := obj.open(obj.name, acc|syscall.O_CREAT, 0)
	if err != nil {
		cshim.Close(fd)
		return -1, st, false, err
	}
	pst, err := cshim.Fstat(probe)
	cshim.Close(probe)
	if err == nil && (pst.Dev != st.Dev || pst.Ino != st.Ino) {
		err = fmt.Errorf("the file the symlink points to changed while it was being opened: %w", syscall.EAGAIN)
	}
	if err != nil {
		cshim.Close(fd)
		return -1, st, false, err
	}
	return fd, st, false, nil
}

// checkRegular refuses, closing fd, anything but a regular file: mapping a
// FIFO, socket, device or directory makes no sense, and opening one as a
// buffer is a mistake (or someone else's trap).
func checkRegular(fd int) (cshim.Stat, error) {
	st, err := cshim.Fstat(fd)
	if err == nil && !st.Regular() {
		err = &notRegularError{what: "it is " + fileTypeName(st.Mode)}
	}
	if err != nil {
		cshim.Close(fd)
	}
	return st, err
}

// mapExisting sizes and maps the existing object open at fd, whose fstat
// is st.
func mapExisting(obj fdObject, fd int, st cshim.Stat, size int, o options) (*Buffer, error) {
	n := int64(size)
	if size == 0 {
		switch {
		case st.Size == 0:
			return nil, invalid("the object is empty (0 bytes): size 0 maps an object at the size it has, and this one has none (it may be still being made by a program that sizes it after creating it)")
		case st.Size > maxSize:
			return nil, invalid("the object's %d bytes are more than this process can map", st.Size)
		}
		n = st.Size
	}
	if n > st.Size && o.readOnly {
		return nil, invalid("the object is %d bytes: a read-only buffer cannot grow it to %d", st.Size, n)
	}
	r, err := mapAndGrow(obj, fd, st, n, o)
	if err != nil {
		return nil, err
	}
	return newMapped(obj.kind, obj.target, r, int(n), o.readOnly), nil
}

// mapAndGrow maps n bytes of obj, open at fd, whose state was st, and,
// unless read-only, gives every mapped page storage, growing the object to
// n bytes if it is smaller. On failure the object is left as it was found:
// the mapping is made first (mapping past the end of a file is allowed), so
// running out of address space (ENOMEM, RLIMIT_AS) changes nothing; a grow
// that fails part way (ENOSPC on ext4 keeps what it allocated and the size
// it reached) is cut back to the old size with ftruncate, which frees every
// block past it. Holes inside the old size that a failed fallocate filled
// before giving up stay filled on file systems that keep partial
// allocations (ext4): their bytes are still zero. And should another
// process grow the same object at the very moment this grow fails, the
// cut takes its growth back too: nothing here locks the object against
// other openers.
func mapAndGrow(obj fdObject, fd int, st cshim.Stat, n int64, o options) (*region, error) {
	kind := mappedWritable
	if o.readOnly {
		kind = mappedReadOnly // nothing here can write the memory: never a disk flush
	}
	var addr unsafe.Pointer
	if n > 0 { // mmap cannot map 0 bytes: an empty object gets an empty region
		var err error
		if addr, err = cshim.Mmap(fd, int(n), !o.readOnly); err != nil {
			return nil, err
		}
	}
	r := newRegion(addr, int(n), kind, identify(obj, fd))
	if o.readOnly {
		if err := o.advise(obj.kind, addr, int(n)); err != nil {
			_ = r.unmap()
			return nil, err
		}
		return r, nil
	}
	// Give every page we map storage now: on a full file system that is
	// ENOSPC here rather than SIGBUS when the page is first written.
	// Existing bytes may be sparse (an object made with ftruncate, as
	// Python's SharedMemory makes them); fallocate(2) fills the holes and
	// never writes. Where the file system cannot do that, the holes stay as
	// they are. A file with no holes is left alone: fallocate would still
	// change its modification time.
	var err error
	grow := n > st.Size
	if o.hugePages && obj.kind == KindPOSIX {
		// tmpfs gives huge pages only to the faults of a mapping advised
		// to have them (huge=advise): fallocate, which has no mapping,
		// would fill the object with small pages. So the object grows
		// sparse and every page is faulted in (Populate) after the
		// advice, which claims the memory now as fallocate would.
		o.populate = true
		if grow {
			err = cshim.Ftruncate(fd, n)
		}
	} else {
		err = allocate(fd, st, n)
	}
	if err == nil {
		err = o.advise(obj.kind, addr, int(n)) // Populate, HugePages
	}
	if err != nil {
		if now, serr := cshim.Fstat(fd); grow && serr == nil && now.Size > st.Size {
			_ = cshim.Ftruncate(fd, st.Size)
		}
		_ = r.unmap()
		return nil, err
	}
	return r, nil
}

// allocate gives every byte of the first n of the object at fd, whose
// state was st, storage: the holes in what it has, and what it grows by.
func allocate(fd int, st cshim.Stat, n int64) (err error) {
	if keep := min(st.Size, n); keep > 0 && st.Allocated < st.Size {
		if err = cshim.FallocateKeep(fd, 0, keep); err == syscall.EOPNOTSUPP {
			err = nil
		}
	}
	if err == nil && n > st.Size {
		err = cshim.Fallocate(fd, st.Size, n-st.Size)
	}
	return err
}

// notRegularOpen turns the errors by which open(2) refuses what is not a
// regular file into a notRegularError; others it returns as they are.
func notRegularOpen(obj fdObject, o options, err error) error {
	switch {
	case err == syscall.EISDIR:
		return &notRegularError{what: "it is a directory", err: err}
	case err == syscall.EINVAL && obj.kind == KindPOSIX:
		// glibc's shm_open turns EISDIR into EINVAL, and the name was
		// checked before: a directory in /dev/shm.
		return &notRegularError{what: "it is a directory", err: err}
	case err == syscall.ENXIO:
		// A socket, or a device with no driver or nothing behind it.
		return &notRegularError{what: "it is a socket or a device", err: err}
	case err == syscall.ELOOP && (o.noFollow || obj.kind == KindPOSIX):
		why := "NoFollow refuses to follow it"
		if obj.kind == KindPOSIX {
			why = "POSIX shared memory names are never followed"
		}
		return &notRegularError{what: "it is a symbolic link, and " + why, err: err}
	}
	return err
}

// The system calls by which a region (region.go) is flushed, reserved and
// unmapped.

// regionSys is empty on Linux: a mapping needs nothing but its addresses.
type regionSys struct{}

// reserve swaps r's memory for an inaccessible reservation of the same
// addresses, in one mmap(MAP_FIXED) (see region.retire).
func (regionSys) reserve(r *region) error { return wholePages(r, cshim.Reserve) }

// unmap gives r's addresses back: shmdt for a System V segment still
// attached, munmap for the rest. state is what r held.
func (regionSys) unmap(r *region, state regionState) error {
	if r.kind == attachedSysV && state != regionReserved {
		return shmdt(r.addr)
	}
	return wholePages(r, cshim.Munmap)
}

// flush writes the n bytes at addr back to their object (msync, MS_SYNC).
func (regionSys) flush(addr unsafe.Pointer, n int) error { return cshim.Msync(addr, n) }

// close has nothing to close on Linux.
func (regionSys) close() error { return nil }

// tempName is the temporary name under which an object called name is made
// (see createFD): name, cut short so the whole stays within NAME_MAX, then
// ".ipcbuf-tmp-" and rnd. It starts with name so that whoever sees it knows
// what it is for.
func tempName(name, rnd string) string {
	return name[:min(len(name), 200)] + ".ipcbuf-tmp-" + rnd
}
