//go:build !cgo || ipcbuf_noposix

package ipcbuf

import "io/fs"

// OpenShm would open a POSIX shared memory object, but this build leaves the
// POSIX backend out: it returns an error matching errors.ErrUnsupported.
func OpenShm(name string, size int, opts ...Option) (*Buffer, error) {
	return nil, &fs.PathError{Op: "open", Path: "*" + name, Err: errNoPOSIX}
}

// CreateShmTemp would create a POSIX shared memory object, but this build
// leaves the POSIX backend out: it returns an error matching
// errors.ErrUnsupported.
func CreateShmTemp(pattern string, size int, opts ...Option) (*Buffer, error) {
	return nil, &fs.PathError{Op: "createtemp", Path: "*" + pattern, Err: errNoPOSIX}
}

// RemoveShm would remove a POSIX shared memory object, but this build leaves
// the POSIX backend out: it returns an error matching errors.ErrUnsupported.
func RemoveShm(name string) error {
	return &fs.PathError{Op: "remove", Path: "*" + name, Err: errNoPOSIX}
}

func removeShmObject(name string, id objectID) error { return RemoveShm(name) }

const havePOSIX = false
