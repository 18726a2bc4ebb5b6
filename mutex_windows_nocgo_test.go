//go:build windows && !cgo

package ipcbuf_test

import (
	"errors"
	"testing"

	qt "github.com/frankban/quicktest"

	"github.com/ipcbuf/ipcbuf"
)

// TestWindowsMutexNoCgo: without cgo, the Mutex on Windows (a named Win32
// mutex, reached through the C shim) is unsupported, and says why.
func TestWindowsMutexNoCgo(t *testing.T) {
	b, err := ipcbuf.Alloc(64)
	qt.Assert(t, err, qt.IsNil)
	defer b.Close()
	_, err = ipcbuf.NewMutex(b, 0)
	qt.Assert(t, err, qt.ErrorIs, errors.ErrUnsupported)
	qt.Assert(t, err, qt.ErrorMatches, `mutex memory buffer: the Mutex on Windows is a named Win32 mutex, reached through cgo, and this program was built with CGO_ENABLED=0: .*`)
	var m ipcbuf.Mutex
	qt.Assert(t, m.Lock(), qt.ErrorIs, errors.ErrUnsupported)
	qt.Assert(t, m.Unlock(), qt.ErrorIs, errors.ErrUnsupported)
}
