//go:build cgo && linux

package cshim

// #cgo CFLAGS: -std=gnu11 -Wall -Wextra -Werror
// #include "shm.h"
import "C"

import (
	"strings"
	"syscall"
	"unsafe"
)

// cstring converts s for C: a NUL-terminated copy in Go memory, which cgo
// lets C read during the call (it holds no Go pointers). That spares the
// two extra C calls of C.CString's malloc and free. A NUL inside s would
// silently shorten the name C sees, so it is refused.
func cstring(s string) (*C.char, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, syscall.EINVAL
	}
	b := make([]byte, len(s)+1)
	copy(b, s)
	return (*C.char)(unsafe.Pointer(&b[0])), nil
}

// Open opens path with open(2); O_CLOEXEC is always added.
func Open(path string, flags int, mode uint32) (int, error) {
	p, err := cstring(path)
	if err != nil {
		return -1, err
	}
	fd, err := C.ipcbuf_open(p, C.int(flags), C.unsigned(mode))
	if fd < 0 {
		return -1, err
	}
	return int(fd), nil
}

// Close closes fd.
func Close(fd int) error {
	if r, err := C.ipcbuf_close(C.int(fd)); r != 0 {
		return err
	}
	return nil
}

// Ftruncate sets the size of fd's file.
func Ftruncate(fd int, size int64) error {
	if r, err := C.ipcbuf_ftruncate(C.int(fd), C.off_t(size)); r != 0 {
		return err
	}
	return nil
}

// Fallocate reserves n bytes at off with posix_fallocate, growing the file
// if it is shorter and never shrinking it. Running out of space is reported
// here as ENOSPC instead of as SIGBUS when a page is first touched. EINTR,
// which the Go runtime's own signals can cause, is retried.
func Fallocate(fd int, off, n int64) error {
	for {
		r := C.ipcbuf_fallocate(C.int(fd), C.off_t(off), C.off_t(n))
		if r == 0 {
			return nil
		}
		if e := syscall.Errno(r); e != syscall.EINTR {
			return e
		}
	}
}

// FallocateKeep allocates storage for the n bytes at off that lack it
// (fallocate(2), mode 0), leaving existing bytes and the file size alone.
// Unlike Fallocate it never falls back to writing: a file system that
// cannot allocate says EOPNOTSUPP. EINTR is retried.
func FallocateKeep(fd int, off, n int64) error {
	for {
		r, err := C.ipcbuf_fallocate_keep(C.int(fd), C.off_t(off), C.off_t(n))
		if r == 0 {
			return nil
		}
		if err != syscall.EINTR {
			return err
		}
	}
}

// Stat is what Fstat reports of a descriptor's file.
type Stat struct {
	Size      int64  // st_size
	Allocated int64  // bytes of storage: st_blocks × 512
	Mode      uint32 // st_mode: the file type (S_IFMT bits) and permissions
	UID       uint32 // the owner
	Nlink     uint64 // how many names it has
	Dev, Ino  uint64 // which file it is
}

// Regular reports whether the file is a regular file.
func (s Stat) Regular() bool { return s.Mode&syscall.S_IFMT == syscall.S_IFREG }

// Fstat describes fd's file (fstat(2)).
func Fstat(fd int) (Stat, error) {
	var st C.struct_ipcbuf_stat
	if r, err := C.ipcbuf_fstat(C.int(fd), &st); r != 0 {
		return Stat{}, err
	}
	return Stat{
		Size:      int64(st.size),
		Allocated: int64(st.allocated),
		Mode:      uint32(st.mode),
		UID:       uint32(st.uid),
		Nlink:     uint64(st.nlink),
		Dev:       uint64(st.dev),
		Ino:       uint64(st.ino),
	}, nil
}

// Exists reports whether path names anything, a dangling symlink included
// (lstat(2)). An error other than ENOENT is returned as it is.
func Exists(path string) (bool, error) {
	p, err := cstring(path)
	if err != nil {
		return false, err
	}
	if r, err := C.ipcbuf_lstat_exists(p); r != 0 {
		if err == syscall.ENOENT {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// Fchmod sets fd's permission bits exactly, whatever the umask was.
func Fchmod(fd int, mode uint32) error {
	if r, err := C.ipcbuf_fchmod(C.int(fd), C.unsigned(mode)); r != 0 {
		return err
	}
	return nil
}

// Fsync flushes fd's file, or a directory's entries, to storage.
func Fsync(fd int) error {
	if r, err := C.ipcbuf_fsync(C.int(fd)); r != 0 {
		return err
	}
	return nil
}

// Unlink removes path.
func Unlink(path string) error {
	p, err := cstring(path)
	if err != nil {
		return err
	}
	if r, err := C.ipcbuf_unlink(p); r != 0 {
		return err
	}
	return nil
}

// RenameNoReplace moves oldpath to newpath (renameat2 with
// RENAME_NOREPLACE). It fails with EEXIST if newpath exists, whatever it
// is, and never follows a symlink there: this is how a finished object is
// published under its name in one atomic step. A file system that cannot
// do it says EINVAL (or ENOSYS on kernels before 3.15).
func RenameNoReplace(oldpath, newpath string) error {
	o, err := cstring(oldpath)
	if err != nil {
		return err
	}
	n, err := cstring(newpath)
	if err != nil {
		return err
	}
	if r, err := C.ipcbuf_rename_noreplace(o, n); r != 0 {
		return err
	}
	return nil
}

// Mmap maps the first n bytes of fd shared, readable and, if writable,
// writable. n must be positive.
func Mmap(fd int, n int, writable bool) (unsafe.Pointer, error) {
	w := C.int(0)
	if writable {
		w = 1
	}
	p, err := C.ipcbuf_mmap(C.size_t(n), w, C.int(fd))
	if p == nil {
		return nil, err
	}
	return p, nil
}

// Munmap unmaps n bytes at p.
func Munmap(p unsafe.Pointer, n int) error {
	if r, err := C.ipcbuf_munmap(p, C.size_t(n)); r != 0 {
		return err
	}
	return nil
}

// Reserve replaces the n mapped bytes at p, in one step, with address
// space that holds no memory and faults on any access. The object they
// mapped is released; the addresses stay taken until Munmap.
func Reserve(p unsafe.Pointer, n int) error {
	if r, err := C.ipcbuf_reserve(p, C.size_t(n)); r != 0 {
		return err
	}
	return nil
}

// The advice Madvise gives.
const (
	AdvicePopulateRead  = C.MADV_POPULATE_READ  // fault every page in for reading (Linux 5.14)
	AdvicePopulateWrite = C.MADV_POPULATE_WRITE // fault every page in for writing (Linux 5.14)
	AdviceHugePage      = C.MADV_HUGEPAGE       // back the range with transparent huge pages where allowed
)

// Madvise gives the kernel advice about the n mapped bytes at p.
func Madvise(p unsafe.Pointer, n int, advice int) error {
	if r, err := C.ipcbuf_madvise(p, C.size_t(n), C.int(advice)); r != 0 {
		return err
	}
	return nil
}

// Msync writes n mapped bytes at p back to their file and waits (MS_SYNC).
func Msync(p unsafe.Pointer, n int) error {
	if r, err := C.ipcbuf_msync(p, C.size_t(n)); r != 0 {
		return err
	}
	return nil
}

// FileID is the identity of a file or POSIX object (statx): the device and
// inode, and the birth time where the file system records one. An inode
// number can be given to a new file once the old one is gone; the birth
// time then differs, unless both were made within one tick of the file
// system's clock.
type FileID struct {
	Dev, Ino uint64
	Btime    int64 // nanoseconds since 1970; 0 if HasBtime is false
	HasBtime bool
	Mode     uint32 // st_mode: the file type and permission bits
}

// FstatID returns the identity of the file open at fd.
func FstatID(fd int) (FileID, error) {
	var id C.struct_ipcbuf_file_id
	if r, err := C.ipcbuf_fstatx_id(C.int(fd), &id); r != 0 {
		return FileID{}, err
	}
	return fileID(&id), nil
}

// LstatID returns the identity of what path names, not following a
// symbolic link at its end.
func LstatID(path string) (FileID, error) {
	p, err := cstring(path)
	if err != nil {
		return FileID{}, err
	}
	var id C.struct_ipcbuf_file_id
	if r, err := C.ipcbuf_lstatx_id(p, &id); r != 0 {
		return FileID{}, err
	}
	return fileID(&id), nil
}

func fileID(id *C.struct_ipcbuf_file_id) FileID {
	return FileID{
		Dev:      uint64(id.dev_major)<<32 | uint64(id.dev_minor),
		Ino:      uint64(id.ino),
		Btime:    int64(id.btime_sec)*1e9 + int64(id.btime_nsec),
		HasBtime: id.has_btime != 0,
		Mode:     uint32(id.mode),
	}
}
