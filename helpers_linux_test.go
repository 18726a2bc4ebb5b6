package ipcbuf_test

// The helpers that mount scratch file systems, which only Linux's mount(2)
// and the tests of Linux's file systems need.

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	qt "github.com/frankban/quicktest"
)

// mountTemp mounts a file system of type fstype, with the mount options
// data, on a new directory, and unmounts it when the test ends. Where
// mounting is not allowed (no root or CAP_SYS_ADMIN) or the kernel lacks
// fstype, it skips t with the reason (fails it in CI, see requireOrSkip).
func mountTemp(t *testing.T, fstype, data string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), fstype)
	qt.Assert(t, os.Mkdir(dir, 0o700), qt.IsNil)
	if err := syscall.Mount(fstype, dir, fstype, 0, data); err != nil {
		switch {
		case errors.Is(err, syscall.EPERM):
			requireOrSkip(t, "cannot mount a %s (%v): mounting needs root or CAP_SYS_ADMIN, which this process lacks", fstype, err)
		case errors.Is(err, syscall.ENODEV):
			requireOrSkip(t, "cannot mount a %s (%v): the kernel was built without it", fstype, err)
		}
		t.Fatalf("mount %s on %s: %v", fstype, dir, err)
	}
	unmountAtEnd(t, dir)
	return dir
}

// unmountAtEnd unmounts dir when the test ends; if something still uses
// the file system, the test fails and dir is detached.
func unmountAtEnd(t *testing.T, dir string) {
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v (something still uses it); detaching it", dir, err)
			syscall.Unmount(dir, syscall.MNT_DETACH)
		}
	})
}
