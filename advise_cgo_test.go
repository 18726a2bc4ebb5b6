//go:build cgo && linux

package ipcbuf_test

import (
	"bytes"
	"io/fs"
	"os"
	"syscall"
	"testing"

	qt "github.com/frankban/quicktest"

	"github.com/ipcbuf/ipcbuf"
)

// TestPopulateRefused makes the kernel refuse to populate: an object the
// open created is gone afterwards, and an existing one keeps its size and
// bytes.
func TestPopulateRefused(t *testing.T) {
	for _, kc := range sharedKinds {
		t.Run(kc.kind.String(), func(t *testing.T) {
			requireKind(t, kc.kind)
			target := kc.target(t)
			restore := ipcbuf.FailMadvise(syscall.ENOMEM)
			_, err := ipcbuf.Open(target, 1<<20, ipcbuf.Populate())
			restore()
			qt.Assert(t, err, qt.ErrorIs, syscall.ENOMEM)
			qt.Check(t, err, qt.ErrorMatches, `.*Populate: madvise\(MADV_POPULATE_WRITE\).*`)
			_, err = ipcbuf.Open(target, 0, ipcbuf.OpenOnly())
			qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist, qt.Commentf("the refused open left the object it created"))

			b, err := ipcbuf.Open(target, 1<<20, ipcbuf.Exclusive())
			qt.Assert(t, err, qt.IsNil)
			_, err = b.Write("kept", 0, "")
			qt.Assert(t, err, qt.IsNil)
			qt.Assert(t, b.Close(), qt.IsNil)
			restore = ipcbuf.FailMadvise(syscall.ENOMEM)
			_, err = ipcbuf.Open(target, 1<<20, ipcbuf.Populate())
			restore()
			qt.Assert(t, err, qt.ErrorIs, syscall.ENOMEM)
			b, err = ipcbuf.Open(target, 0, ipcbuf.OpenOnly())
			qt.Assert(t, err, qt.IsNil, qt.Commentf("the refused open lost the existing object"))
			defer b.Close()
			qt.Check(t, b.Len(), qt.Equals, 1<<20)
			qt.Check(t, bytes.HasPrefix(b.Bytes(), []byte("kept")), qt.IsTrue)
			if kc.kind == ipcbuf.KindFile {
				_, err := os.Stat(target)
				qt.Check(t, err, qt.IsNil)
			}
		})
	}
}
