package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// tempDir is t.TempDir, but for Windows: Go 1.26's os.RemoveAll, which
// t.TempDir's cleanup uses, deletes through
// FILE_DISPOSITION_POSIX_SEMANTICS, which Wine 8 refuses with "Invalid
// function". There the directory is emptied one name at a time with
// os.Remove, as the library's tests do (its tempdir_test.go).
func tempDir(t testing.TB) string {
	t.Helper()
	if runtime.GOOS != "windows" {
		return t.TempDir()
	}
	dir, err := os.MkdirTemp("", "ipcbuf-cmd-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// A buffer dropped without Close keeps its file mapped, and
		// undeletable, until the collector finds it.
		var err error
		for range 50 {
			if err = removeTree(dir); err == nil {
				return
			}
			runtime.GC()
			time.Sleep(10 * time.Millisecond)
		}
		t.Errorf("cleanup: %v", err)
	})
	return dir
}

// removeTree removes dir and what it holds, one name at a time, children
// before their directory.
func removeTree(dir string) error {
	var names []string
	_ = filepath.WalkDir(dir, func(path string, _ fs.DirEntry, err error) error {
		names = append(names, path)
		return nil
	})
	var errs []error
	for i := len(names) - 1; i >= 0; i-- {
		if err := os.Remove(names[i]); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// skipOnWindows skips t on Windows, saying why: for the tests of what
// Windows does not have (/dev/shm, /proc, System V, symbolic links a
// test can make, a Go toolchain under Wine).
func skipOnWindows(t testing.TB, why string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("not on Windows: " + why)
	}
}
