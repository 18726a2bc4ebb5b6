//go:build cgo && linux

package ipcbuf

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	qt "github.com/frankban/quicktest"
)

// The paths of createFD and openExisting that the kernel only takes on
// other file systems or in a race, forced by replacing publish.

func hardenEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	qt.Assert(t, err, qt.IsNil)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func hardenOpts(t *testing.T, size int, opts ...Option) options {
	t.Helper()
	o, err := parseOptions(size, opts)
	qt.Assert(t, err, qt.IsNil)
	return o
}

// Where the file system cannot rename without replacing, the object is
// created under its name with O_EXCL: exact mode, Exclusive exact, and no
// temporary name left.
func TestCreateFallbackWithoutRename(t *testing.T) {
	defer syscall.Umask(syscall.Umask(0o077))
	for _, errno := range []syscall.Errno{syscall.EINVAL, syscall.EOPNOTSUPP, syscall.EPERM} {
		dir := t.TempDir()
		path := filepath.Join(dir, "f")
		obj := fileObject(path)
		calls := 0
		obj.publish = func(string, string) error { calls++; return errno }

		b, err := openFD(obj, 5000, hardenOpts(t, 5000, Exclusive(), Mode(0o640)))
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, calls, qt.Equals, 1)
		qt.Assert(t, b.Len(), qt.Equals, 5000)
		qt.Assert(t, b.Close(), qt.IsNil)
		fi, err := os.Stat(path)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, fi.Mode().Perm(), qt.Equals, fs.FileMode(0o640))
		qt.Assert(t, fi.Size(), qt.Equals, int64(5000))
		qt.Assert(t, hardenEntries(t, dir), qt.DeepEquals, []string{"f"}, qt.Commentf("after %v", errno))

		_, err = openFD(obj, 5000, hardenOpts(t, 5000, Exclusive()))
		qt.Assert(t, err, qt.ErrorIs, fs.ErrExist)
		qt.Assert(t, hardenEntries(t, dir), qt.DeepEquals, []string{"f"})

		// A failure after the fallback created the name removes it.
		huge := fileObject(filepath.Join(dir, "huge"))
		huge.publish = obj.publish
		_, err = openFD(huge, 1<<46, hardenOpts(t, 1<<46))
		qt.Assert(t, err, qt.IsNotNil)
		qt.Assert(t, hardenEntries(t, dir), qt.DeepEquals, []string{"f"})
	}
}

// Any other failure to publish is the open's error, and the temporary
// object is removed.
func TestCreatePublishFails(t *testing.T) {
	dir := t.TempDir()
	obj := fileObject(filepath.Join(dir, "f"))
	obj.publish = func(string, string) error { return syscall.ENOSPC }
	_, err := openFD(obj, 4096, hardenOpts(t, 4096))
	qt.Assert(t, err, qt.ErrorIs, syscall.ENOSPC)
	qt.Assert(t, hardenEntries(t, dir), qt.HasLen, 0)
}

// The object vanished between the failed publish (EEXIST) and the O_CREAT
// open, which so creates it: openExisting must know that it did, and the
// open must then make it whole as a creator would — or remove it.
func TestCreateAdoptsVanished(t *testing.T) {
	defer syscall.Umask(syscall.Umask(0o022))
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	obj := fileObject(path)
	obj.publish = func(string, string) error { return syscall.EEXIST }

	b, err := openFD(obj, 3000, hardenOpts(t, 3000, Mode(0o604)))
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, b.Len(), qt.Equals, 3000)
	qt.Assert(t, b.Close(), qt.IsNil)
	fi, err := os.Stat(path)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, fi.Mode().Perm(), qt.Equals, fs.FileMode(0o604), qt.Commentf("the adopted object has the mode asked for"))
	qt.Assert(t, fi.Size(), qt.Equals, int64(3000))
	qt.Assert(t, hardenEntries(t, dir), qt.DeepEquals, []string{"f"})

	// Now it exists for real: opened, not adopted (its mode stays).
	qt.Assert(t, os.Chmod(path, 0o600), qt.IsNil)
	b, err = openFD(obj, 3000, hardenOpts(t, 3000, Mode(0o644)))
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, b.Close(), qt.IsNil)
	fi, err = os.Stat(path)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, fi.Mode().Perm(), qt.Equals, fs.FileMode(0o600))

	// An adopted object that cannot be made whole is removed.
	huge := fileObject(filepath.Join(dir, "huge"))
	huge.publish = obj.publish
	_, err = openFD(huge, 1<<46, hardenOpts(t, 1<<46))
	qt.Assert(t, err, qt.IsNotNil)
	qt.Assert(t, hardenEntries(t, dir), qt.DeepEquals, []string{"f"})
}

// Temporary names stay within NAME_MAX and start with the object's name.
func TestTempName(t *testing.T) {
	long := strings.Repeat("n", 255)
	for _, name := range []string{"a", "jobs", long} {
		got := tempName(name, "3w5e11264sgsf") // the longest base-36 uint64
		qt.Assert(t, len(got) <= 255, qt.IsTrue, qt.Commentf("%d bytes", len(got)))
		qt.Assert(t, strings.HasPrefix(got, name[:min(len(name), 200)]+".ipcbuf-tmp-"), qt.IsTrue)
	}
}
