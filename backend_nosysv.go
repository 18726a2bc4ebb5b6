//go:build !cgo || ipcbuf_nosysv

package ipcbuf

import "io/fs"

// OpenSysV would attach a System V segment, but this build leaves the System
// V backend out: it returns an error matching errors.ErrUnsupported.
func OpenSysV(key int, size int, opts ...Option) (*Buffer, error) {
	return nil, &fs.PathError{Op: "open", Path: keyPath(key), Err: errNoSysV}
}

// RemoveSysV would remove a System V segment, but this build leaves the
// System V backend out: it returns an error matching errors.ErrUnsupported.
func RemoveSysV(key int) error {
	return &fs.PathError{Op: "remove", Path: keyPath(key), Err: errNoSysV}
}

func removeSysVID(target string, id int) error {
	return &fs.PathError{Op: "remove", Path: target, Err: errNoSysV}
}

func removeSysVSegment(target string, id int, want objectID, attached bool) error {
	return removeSysVID(target, id)
}

const haveSysV = false
