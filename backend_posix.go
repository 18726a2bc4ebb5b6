//go:build cgo && !ipcbuf_noposix

package ipcbuf

import (
	"io/fs"

	"github.com/ipcbuf/ipcbuf/cshim"
)

// OpenShm opens the POSIX shared memory object name (shm_open), creating it
// with size bytes if it does not exist, unless the options say otherwise;
// see the package documentation for how sizes work. Its bytes live in memory
// only (on Linux, a tmpfs file in /dev/shm) until RemoveShm or a reboot.
//
// name may be given with or without its leading '/': "jobs" and "/jobs" are
// the same object, the one Python's SharedMemory(name="jobs") opens. After
// that slash it must be 1 to 255 bytes with no '/' and no NUL, and not "."
// or "..".
//
// Exclusive is the safe way to create an object under a name others can
// guess: without it, another user may have created the name first.
func OpenShm(name string, size int, opts ...Option) (*Buffer, error) {
	o, err := parseOptions(size, opts)
	if err == nil {
		name, err = checkShmName(name)
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: "*" + name, Err: err}
	}
	path := "/" + name
	return openFD(fdObject{
		kind:   KindPOSIX,
		target: "*" + name,
		open: func(flags int, mode uint32) (int, error) {
			return cshim.ShmOpen(path, flags, mode)
		},
		unlink: func() error { return cshim.ShmUnlink(path) },
	}, size, o)
}

// RemoveShm removes the POSIX shared memory object name (shm_unlink).
// Processes that have it mapped keep their memory until they close it; the
// name is free at once. A missing object is an error matching
// fs.ErrNotExist.
func RemoveShm(name string) error {
	name, err := checkShmName(name)
	if err == nil {
		err = cshim.ShmUnlink("/" + name)
	}
	if err != nil {
		return &fs.PathError{Op: "remove", Path: "*" + name, Err: err}
	}
	return nil
}

const havePOSIX = true
