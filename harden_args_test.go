package ipcbuf_test

// Hardening of the library's arguments, reliability scenarios 19, 23, 25
// and 26 of reliability-matrix.md: targets with leading zeros, nil and zero
// buffers as receivers and arguments, Remove by a buffer whose object was
// replaced, and Remove of what is not a buffer.

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"testing"

	qt "github.com/frankban/quicktest"

	"github.com/ipcbuf/ipcbuf"
)

// TestTargetLeadingZeros is scenario 19: a key is decimal or 0x hex, as
// the documentation says; a leading zero does not make it octal, and
// errors name the value as it was given.
func TestTargetLeadingZeros(t *testing.T) {
	for _, tc := range []struct {
		target string
		key    int
	}{
		{"010", 10},
		{"08", 8},
		{"0755", 755},
		{"09", 9},
		{"000000000000000000000000004660", 4660},
		{"04294967295", 0xffffffff},
		{"0x010", 0x10},
		{"0X0000ff", 0xff},
	} {
		kind, _, key, err := ipcbuf.ParseTarget(tc.target)
		qt.Assert(t, err, qt.IsNil, qt.Commentf("%q", tc.target))
		qt.Check(t, kind, qt.Equals, ipcbuf.KindSysV, qt.Commentf("%q", tc.target))
		qt.Check(t, key, qt.Equals, tc.key, qt.Commentf("%q", tc.target))
	}
	for _, tc := range []struct{ target, want string }{
		{"00", "IPC_PRIVATE"},
		{"0x000", "IPC_PRIVATE"},
		{"4294967296", "System V key 4294967296 is out of range"},
		{"04294967296", "System V key 04294967296 is out of range"},
		{"0x100000000", "System V key 0x100000000 is out of range"},
		{"99999999999999999999999", "System V key 99999999999999999999999 is out of range"},
	} {
		_, _, _, err := ipcbuf.ParseTarget(tc.target)
		qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid, qt.Commentf("%q", tc.target))
		qt.Check(t, err, qt.ErrorMatches, ".*"+tc.want+".*", qt.Commentf("%q", tc.target))
	}

	// Keys out of range are named as given, not cut to 32 bits (which
	// would name another, valid key).
	for _, key := range []int{-2147483649, 1 << 32, -1 << 40} {
		for _, err := range []error{
			func() error { _, err := ipcbuf.OpenSysV(key, 64); return err }(),
			ipcbuf.RemoveSysV(key),
		} {
			var pe *fs.PathError
			qt.Assert(t, errors.As(err, &pe), qt.IsTrue, qt.Commentf("key %d: %v", key, err))
			qt.Check(t, pe.Path, qt.Equals, strconv.Itoa(key))
			if ipcbuf.KindSysV.Supported() {
				qt.Check(t, err, qt.ErrorIs, fs.ErrInvalid)
				qt.Check(t, err, qt.ErrorMatches, fmt.Sprintf(".*System V key %d is out of range.*", key))
			}
		}
	}

	// The object: "0" and the decimal digits open the key those digits
	// name, the one the same digits without the zero open.
	if !ipcbuf.KindSysV.Supported() {
		t.Skip("no System V backend in this build: the parsing above is all there is")
	}
	key := sysvKey(t)
	b := open(t, "0"+strconv.Itoa(key), 64)
	qt.Assert(t, b.Name(), qt.Equals, fmt.Sprintf("0x%08x", key))
	again := open(t, strconv.Itoa(key), 0, ipcbuf.OpenOnly())
	qt.Assert(t, again.Len(), qt.Equals, 64)
	qt.Assert(t, ipcbuf.Remove("00"+strconv.Itoa(key)), qt.IsNil)
	qt.Assert(t, sysvExists(key), qt.IsFalse)
}
