//go:build cgo

package ipcbuf

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"syscall"

	"github.com/ipcbuf/ipcbuf/cshim"
)

// fdObject is a named object opened as a descriptor and then mapped: a POSIX
// shared memory object or a file. The two backends differ only in how they
// open and unlink the name.
type fdObject struct {
	kind   Kind
	target string                                    // what Name returns
	open   func(flags int, mode uint32) (int, error) // shm_open or open
	unlink func() error                              // to undo a creation that failed
	synced func() error                              // makes a new name durable; nil if none
}

// openFD opens (or creates) obj per o and maps size bytes of it (size 0: all
// of it). On any failure it closes what it opened and removes what it
// created, so nothing is left behind.
func openFD(obj fdObject, size int, o options) (*Buffer, error) {
	fail := func(err error) (*Buffer, error) {
		return nil, &fs.PathError{Op: "open", Path: obj.target, Err: err}
	}
	acc := syscall.O_RDWR
	if o.readOnly {
		acc = syscall.O_RDONLY
	}
	fd, created, err := createOrOpen(o, size, "object",
		func() (int, error) { return obj.open(acc|syscall.O_CREAT|syscall.O_EXCL, uint32(o.mode)) },
		func() (int, error) { return obj.open(acc, 0) })
	if err != nil {
		return fail(err)
	}
	defer cshim.Close(fd) // the mapping keeps the object open; the descriptor is not needed
	b, err := mapFD(obj, fd, size, o, created)
	if err != nil {
		if created {
			_ = obj.unlink()
		}
		return fail(err)
	}
	return b, nil
}

// mapFD sizes and maps the object open at fd.
func mapFD(obj fdObject, fd, size int, o options, created bool) (*Buffer, error) {
	if created {
		// The mode given to open was filtered by the umask.
		if err := cshim.Fchmod(fd, uint32(o.mode)); err != nil {
			return nil, err
		}
	}
	cur, allocated, err := cshim.FstatSize(fd)
	if err != nil {
		return nil, err
	}
	n := int64(size)
	if size == 0 {
		if cur > maxSize {
			return nil, invalid("the object's %d bytes are more than this process can map", cur)
		}
		n = cur
	}
	if n > cur && o.readOnly {
		return nil, invalid("the object is %d bytes: a read-only buffer cannot grow it to %d", cur, n)
	}
	if !o.readOnly {
		// Give every page we map storage now: on a full file system that is
		// ENOSPC here rather than SIGBUS when the page is first written.
		// Existing bytes may be sparse (an object made with ftruncate, as
		// Python's SharedMemory makes them); fallocate(2) fills the holes
		// and never writes. Where the file system cannot do that, the holes
		// stay as they are. A file with no holes is left alone: fallocate
		// would still change its modification time.
		if keep := min(cur, n); keep > 0 && allocated < cur {
			if err := cshim.FallocateKeep(fd, 0, keep); err != nil && err != syscall.EOPNOTSUPP {
				return nil, err
			}
		}
		if n > cur {
			if err := cshim.Fallocate(fd, cur, n-cur); err != nil {
				return nil, err
			}
		}
	}
	if created && obj.synced != nil {
		if err := obj.synced(); err != nil {
			return nil, err
		}
	}
	r := &region{flush: msyncRegion, unmap: munmapRegion, reserve: reserveRegion, sysvID: -1}
	if o.readOnly {
		r.flush = nil // nothing here can write the memory: never a disk flush
	}
	if n > 0 {
		if r.addr, err = cshim.Mmap(fd, int(n), !o.readOnly); err != nil {
			return nil, err
		}
		r.size = int(n)
	} else {
		// mmap cannot map 0 bytes: an empty object gets an empty buffer.
		r.flush, r.unmap = nil, func(*region) error { return nil }
	}
	return newMapped(obj.kind, obj.target, r, int(n), o.readOnly), nil
}

func msyncRegion(r *region) error { return cshim.Msync(r.addr, r.size) }

func munmapRegion(r *region) error {
	return wholePages(r, func(n int) error { return cshim.Munmap(r.addr, n) })
}

// reserveRegion swaps r's mapping for an inaccessible reservation of the
// same addresses (see region.retire), which munmap then releases. It
// serves every kind: MAP_FIXED detaches a System V segment as shmdt does.
func reserveRegion(r *region) error {
	if err := wholePages(r, func(n int) error { return cshim.Reserve(r.addr, n) }); err != nil {
		return err
	}
	r.unmap = munmapRegion
	return nil
}

// wholePages calls unmap (munmap or a reservation) with the length of r's
// mapping. That is r.size unless the mapping is of huge pages (a file on
// hugetlbfs, a System V segment made with SHM_HUGETLB): the kernel maps
// those whole, so the mapping runs to the end of the last huge page, and it
// refuses with EINVAL to unmap or replace part of one. Nothing at open
// tells the page size of a segment, so on EINVAL wholePages asks the
// mapping itself (pageSizeAt) and calls again on whole pages; r.span keeps
// the length for the next call. r.mu must be held.
func wholePages(r *region, unmap func(n int) error) error {
	n := max(r.span, r.size)
	err := unmap(n)
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
	if err = unmap(whole); err == nil {
		r.span = whole
	}
	return err
}

// OpenFile maps the file at path into memory, shared: the file's bytes are
// in the buffer at open, and writes to the buffer reach the file (on disk by
// Sync, Close, or when the buffer is collected). A missing file is created
// with the size asked for, unless the options say otherwise; see the
// package documentation for how sizes work.
func OpenFile(path string, size int, opts ...Option) (*Buffer, error) {
	o, err := parseOptions(size, opts)
	if err == nil {
		err = checkPath(path)
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return openFD(fdObject{
		kind:   KindFile,
		target: path,
		open: func(flags int, mode uint32) (int, error) {
			return cshim.Open(path, flags, mode)
		},
		unlink: func() error { return cshim.Unlink(path) },
		synced: func() error { return syncDir(filepath.Dir(path)) },
	}, size, o)
}

// syncDir makes a new directory entry durable, so that a file created and
// then synced survives a crash.
func syncDir(dir string) error {
	fd, err := cshim.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		return err
	}
	defer cshim.Close(fd)
	if err := cshim.Fsync(fd); err != nil && !errors.Is(err, syscall.EINVAL) {
		return err // EINVAL: this file system has nothing to sync for directories
	}
	return nil
}
