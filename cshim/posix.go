//go:build cgo && linux && !ipcbuf_noposix

package cshim

// #cgo CFLAGS: -DIPCBUF_POSIX
// #include "shm.h"
import "C"

// ShmOpen opens the POSIX shared memory object name (which starts with '/').
func ShmOpen(name string, flags int, mode uint32) (int, error) {
	p, err := cstring(name)
	if err != nil {
		return -1, err
	}
	fd, err := C.ipcbuf_shm_open(p, C.int(flags), C.unsigned(mode))
	if fd < 0 {
		return -1, err
	}
	return int(fd), nil
}

// ShmUnlink removes the POSIX shared memory object name.
func ShmUnlink(name string) error {
	p, err := cstring(name)
	if err != nil {
		return err
	}
	if r, err := C.ipcbuf_shm_unlink(p); r != 0 {
		return err
	}
	return nil
}
