//go:build cgo && linux

package ipcbuf

import "unsafe"

// FailMadvise makes every madvise fail with err until the returned function
// restores it.
func FailMadvise(err error) (restore func()) {
	old := madvise
	madvise = func(unsafe.Pointer, int, int) error { return err }
	return func() { madvise = old }
}
