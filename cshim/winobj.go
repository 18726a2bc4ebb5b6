//go:build cgo && windows

package cshim

// #cgo CFLAGS: -std=gnu11 -Wall -Wextra -Werror
// #cgo LDFLAGS: -lntdll
// #include "winobj.h"
import "C"

import (
	"errors"
	"syscall"
	"unsafe"
)

// statusNoMoreEntries is the NTSTATUS that ends a directory's listing.
const statusNoMoreEntries = 0x8000001A

// ntErr turns an NTSTATUS into an error: nil for 0, else the Win32 error
// code Windows gives for it (RtlNtStatusToDosError) as a syscall.Errno, so
// that a missing directory matches fs.ErrNotExist and a refused one
// fs.ErrPermission, as the Win32 calls' errors do.
func ntErr(status C.long) error {
	if status == 0 {
		return nil
	}
	return syscall.Errno(C.ipcbuf_nt_error(status))
}

// SessionID returns the Terminal Services session of process pid
// (ProcessIdToSessionId): its Local\ objects are in the object directory
// \Sessions\<id>\BaseNamedObjects.
func SessionID(pid uint32) (uint32, error) {
	var s C.ulong
	if err := winErr(C.ipcbuf_session_id(C.ulong(pid), &s)); err != nil {
		return 0, err
	}
	return uint32(s), nil
}

// DirEntry is one named object of an object directory.
type DirEntry struct {
	Name string // its name in the directory
	Type string // its object type: "Section", "Semaphore", "Mutant"...
}

// OpenDirectory opens the object directory at the NT path dir (for example
// \Sessions\1\BaseNamedObjects) to list it (NtOpenDirectoryObject).
func OpenDirectory(dir string) (syscall.Handle, error) {
	p, err := syscall.UTF16FromString(dir)
	if err != nil || len(p) > 32767 { // a UNICODE_STRING counts bytes in 16 bits
		return 0, syscall.EINVAL
	}
	var h C.uintptr_t
	if err := ntErr(C.ipcbuf_open_directory((*C.wchar_t)(unsafe.Pointer(&p[0])), &h)); err != nil {
		return 0, err
	}
	return syscall.Handle(h), nil
}

// DirReader reads an open object directory one entry at a time.
type DirReader struct {
	dir     syscall.Handle
	buf     []uint16
	context C.ulong
	started bool
}

// NewDirReader reads the directory dir, which OpenDirectory opened, from
// its start.
func NewDirReader(dir syscall.Handle) *DirReader {
	// Room for the record and its two strings: an object name is at most
	// 32767 UTF-16 code units.
	return &DirReader{dir: dir, buf: make([]uint16, 2*32768+64)}
}

// Next returns the directory's next entry (NtQueryDirectoryObject, one
// entry a call), and ok false after the last. The listing is not a
// snapshot: an object made or gone meanwhile may or may not be in it.
func (r *DirReader) Next() (e DirEntry, ok bool, err error) {
	var nameOff, nameLen, typeOff, typeLen C.ulong
	restart := C.int(0)
	if !r.started {
		restart = 1
	}
	status := C.ipcbuf_query_directory(C.uintptr_t(r.dir), unsafe.Pointer(&r.buf[0]), C.ulong(2*len(r.buf)), restart,
		&r.context, &nameOff, &nameLen, &typeOff, &typeLen)
	if uint32(status) == statusNoMoreEntries {
		return DirEntry{}, false, nil
	}
	if err := ntErr(status); err != nil {
		return DirEntry{}, false, err
	}
	r.started = true
	str := func(off, n C.ulong) (string, error) {
		if off%2 != 0 || int(off/2+n) > len(r.buf) {
			return "", errors.New("NtQueryDirectoryObject gave a string outside its buffer")
		}
		return syscall.UTF16ToString(r.buf[off/2 : off/2+n]), nil
	}
	if e.Name, err = str(nameOff, nameLen); err == nil {
		e.Type, err = str(typeOff, typeLen)
	}
	return e, err == nil, err
}
