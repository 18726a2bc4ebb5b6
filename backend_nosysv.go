//go:build !cgo || !linux || ipcbuf_nosysv

package ipcbuf

import (
	"io/fs"
	"unsafe"
)

// This build leaves the System V backend (backend_sysv.go) out.

const haveSysV = false

func openSysV(key int, _ int, _ options) (*Buffer, error) { return nil, noSysV("open", key) }

func removeSysV(key int) error { return noSysV("remove", key) }

func shmdt(unsafe.Pointer) error { return errNoSysV } // no region is ever attachedSysV

func noSysV(op string, key int) error {
	return &fs.PathError{Op: op, Path: keyPath(key), Err: errNoSysV}
}
