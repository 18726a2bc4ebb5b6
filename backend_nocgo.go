//go:build !cgo

package ipcbuf

import "io/fs"

// OpenFile would map a file, but this build has no cgo: it returns an error
// matching errors.ErrUnsupported.
func OpenFile(path string, size int, opts ...Option) (*Buffer, error) {
	return nil, &fs.PathError{Op: "open", Path: path, Err: errNoCgo}
}

func removeFileObject(path string, id objectID) error {
	return &fs.PathError{Op: "remove", Path: path, Err: errNoCgo}
}
