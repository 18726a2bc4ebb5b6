//go:build cgo && linux && !ipcbuf_noposix

package ipcbuf

import (
	"fmt"
	"os"
	"strconv"
	"testing"

	qt "github.com/frankban/quicktest"
)

// Tests that replace the POSIX backend's shmTempRand, which builds without
// the backend do not have.

// TestCreateShmTempCollision makes the first names taken, as a squatter
// would: CreateShmTemp must skip them and leave them untouched.
func TestCreateShmTempCollision(t *testing.T) {
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
