package testenv

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// TempDir is t.TempDir, but for Windows: Go 1.26's os.RemoveAll deletes
// through FILE_DISPOSITION_POSIX_SEMANTICS, which Wine 8 refuses with
// ERROR_INVALID_FUNCTION (Go falls back only on the statuses Windows gives),
// so t.TempDir's cleanup fails under Wine. There the directory is emptied
// one name at a time with os.Remove, which takes another path.
func TempDir(t testing.TB) string {
	t.Helper()
	if runtime.GOOS != "windows" {
		return t.TempDir()
	}
	dir, err := os.MkdirTemp("", "ipcbuf-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// A buffer the test dropped without Close keeps its file mapped,
		// and undeletable, until the collector finds it.
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
