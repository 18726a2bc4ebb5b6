package ipcbuf

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strings"
	"testing"

	qt "github.com/frankban/quicktest"
)

func TestCreateShmTemp(t *testing.T) {
	if !KindPOSIX.Supported() {
		_, err := CreateShmTemp("x-*", 10)
		qt.Assert(t, err, qt.ErrorIs, errors.ErrUnsupported)
		t.Skip("this build has no POSIX shared memory: checked that CreateShmTemp says so")
	}
	prefix := fmt.Sprintf("ipcbuf-test-%d-tmp-", os.Getpid())
	seen := map[string]bool{}
	for range 20 {
		b, err := CreateShmTemp(prefix+"*.buf", 4096)
		qt.Assert(t, err, qt.IsNil)
		t.Cleanup(func() { b.Close(); b.Remove() })
		name := b.Name()
		qt.Assert(t, strings.HasPrefix(name, "*"+prefix), qt.IsTrue, qt.Commentf(name))
		qt.Assert(t, strings.HasSuffix(name, ".buf"), qt.IsTrue, qt.Commentf(name))
		qt.Assert(t, seen[name], qt.IsFalse, qt.Commentf("%s made twice", name))
		seen[name] = true
		if runtime.GOOS == "linux" { // elsewhere no file shows the object
			fi, err := os.Stat("/dev/shm/" + name[1:])
			qt.Assert(t, err, qt.IsNil)
			qt.Assert(t, fi.Mode().Perm(), qt.Equals, fs.FileMode(0o600))
		}
	}
	// No "*": the random part is appended.
	b, err := CreateShmTemp(prefix, 10)
	qt.Assert(t, err, qt.IsNil)
	t.Cleanup(func() { b.Close(); b.Remove() })
	qt.Assert(t, len(b.Name()) > len(prefix)+1, qt.IsTrue)

	for _, bad := range []struct {
		pattern string
		size    int
		opts    []Option
	}{
		{"a/b*", 10, nil},
		{prefix + "*", 0, nil},
		{prefix + "*", -1, nil},
		{prefix + "*", 10, []Option{OpenOnly()}},
		{prefix + "*", 10, []Option{ReadOnly()}},
		{strings.Repeat("x", 300) + "*", 10, nil},
	} {
		_, err := CreateShmTemp(bad.pattern, bad.size, bad.opts...)
		qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid, qt.Commentf("%q %d", bad.pattern, bad.size))
	}
}
