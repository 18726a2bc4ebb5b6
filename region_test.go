//go:build cgo && linux

package ipcbuf

import (
	"path/filepath"
	"testing"

	qt "github.com/frankban/quicktest"
)

// A region's kind is fixed when it is made, and Close and the cleanup only
// move its state on: mapped, then reserved (Bytes handed the memory out) or
// released; a release after that has nothing left to unmap.
func TestRegionLifecycle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	b, err := OpenFile(path, 4096)
	qt.Assert(t, err, qt.IsNil)
	r := b.m.reg
	qt.Assert(t, r.kind, qt.Equals, mappedWritable)
	qt.Assert(t, r.state, qt.Equals, regionMapped)

	ro, err := OpenFile(path, 0, ReadOnly())
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, ro.m.reg.kind, qt.Equals, mappedReadOnly)
	qt.Assert(t, ro.Close(), qt.IsNil)
	qt.Assert(t, ro.m.reg.state, qt.Equals, regionReserved, qt.Commentf("closed: a method that raced Close may still touch the addresses, so they stay reserved until the cleanup"))

	_ = b.Bytes()
	qt.Assert(t, b.Close(), qt.IsNil)
	qt.Assert(t, r.state, qt.Equals, regionReserved, qt.Commentf("closed after Bytes: the addresses stay reserved"))
	// What the cleanup does once no buffer is reachable; here by hand, so
	// that the cleanup then finds nothing left to unmap.
	qt.Assert(t, r.release(), qt.IsNil)
	qt.Assert(t, r.state, qt.Equals, regionReleased)
	qt.Assert(t, r.release(), qt.IsNil, qt.Commentf("a second release must not unmap addresses that may be another mapping's now"))
}
