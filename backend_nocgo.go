//go:build !cgo || !(linux || windows)

package ipcbuf

import (
	"io/fs"
	"unsafe"
)

// This build has no cgo: the file backend (backend_file.go) and the system
// calls of regions (mapfd.go) are left out, as are the POSIX and System V
// backends (see backend_noposix.go, backend_nosysv.go). No region is ever
// made, so the region's calls below are never reached.

func openFile(path string, _ int, _ options) (*Buffer, error) { return nil, noCgo("open", path) }

func removeFile(path string) error { return noCgo("remove", path) }

func noCgo(op, path string) error { return &fs.PathError{Op: op, Path: path, Err: errNoCgo} }

type regionSys struct{}

func (regionSys) reserve(*region) error            { return errNoCgo }
func (regionSys) unmap(*region, regionState) error { return errNoCgo }
func (regionSys) flush(unsafe.Pointer, int) error  { return errNoCgo }
func (regionSys) close() error                     { return nil }
