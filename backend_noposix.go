//go:build !cgo || !(linux || windows) || ipcbuf_noposix

package ipcbuf

import "io/fs"

// This build leaves the POSIX backend (backend_posix.go) out.

const havePOSIX = false

func openShm(name string, _ int, _ options) (*Buffer, error) { return nil, noPOSIX("open", name) }

func createShmTemp(pattern string, _ int, _ []Option) (*Buffer, error) {
	return nil, noPOSIX("createtemp", pattern)
}

func removeShm(name string) error { return noPOSIX("remove", name) }

func noPOSIX(op, name string) error { return &fs.PathError{Op: op, Path: "*" + name, Err: errNoPOSIX} }
