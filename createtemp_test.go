package ipcbuf

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
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
		fi, err := os.Stat("/dev/shm/" + name[1:])
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, fi.Mode().Perm(), qt.Equals, fs.FileMode(0o600))
	}
	// No "*": the random part is appended.
	b, err := CreateShmTemp(prefix, 10, Mode(0o640))
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

// TestCreateShmTempCollision makes the first names taken, as a squatter
// would: CreateShmTemp must skip them and leave them untouched.
func TestCreateShmTempCollision(t *testing.T) {
	if !KindPOSIX.Supported() {
		t.Skip("this build has no POSIX shared memory")
	}
	prefix := fmt.Sprintf("ipcbuf-test-%d-squat-", os.Getpid())
	taken := []uint64{11, 22, 33}
	for _, n := range taken {
		name := fmt.Sprintf("%s%s", prefix, formatBase36(n))
		sq, err := OpenShm(name, 16, Exclusive())
		qt.Assert(t, err, qt.IsNil)
		copy(sq.Bytes(), "squatter")
		sq.Close()
		t.Cleanup(func() { RemoveShm(name) })
	}
	next := append(taken, 44)
	old := shmTempRand
	shmTempRand = func() uint64 { v := next[0]; next = next[1:]; return v }
	defer func() { shmTempRand = old }()
	b, err := CreateShmTemp(prefix+"*", 64)
	qt.Assert(t, err, qt.IsNil)
	defer func() { b.Close(); b.Remove() }()
	qt.Assert(t, b.Name(), qt.Equals, "*"+prefix+formatBase36(44))
	qt.Assert(t, b.Bytes()[:8], qt.DeepEquals, make([]byte, 8), qt.Commentf("a new object, not a squatted one"))
	sq, err := OpenShm(prefix+formatBase36(11), 0, ReadOnly())
	qt.Assert(t, err, qt.IsNil)
	defer sq.Close()
	qt.Assert(t, string(sq.Bytes()[:8]), qt.Equals, "squatter")
}

func formatBase36(n uint64) string { return strconv.FormatUint(n, 36) }
