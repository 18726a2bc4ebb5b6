package ipcbuf_test

// ReadAt and WriteAt, Go's io methods, share one rule for a negative
// offset: bad input, an *fs.PathError matching fs.ErrInvalid, as os.File
// and bytes.Reader refuse it; not Node's ERR_BUFFER_OUT_OF_BOUNDS, which
// WriteAt keeps for a write past the end.

import (
	"errors"
	"io"
	"io/fs"
	"math"
	"testing"

	qt "github.com/frankban/quicktest"

	"github.com/ipcbuf/ipcbuf"
)

func TestReadWriteAtNegativeOffset(t *testing.T) {
	parent, err := ipcbuf.Alloc(16)
	qt.Assert(t, err, qt.IsNil)
	copy(parent.Bytes(), "0123456789abcdef")
	for name, b := range map[string]*ipcbuf.Buffer{"buffer": parent, "view": parent.Slice(4, 12)} {
		for _, off := range []int64{-1, -8, math.MinInt64} {
			for _, n := range []int{0, 1, 4} {
				_, rerr := b.ReadAt(make([]byte, n), off)
				_, werr := b.WriteAt(make([]byte, n), off)
				for op, err := range map[string]error{"ReadAt": rerr, "WriteAt": werr} {
					what := qt.Commentf("%s of %d bytes at %d on a %s", op, n, off, name)
					var perr *fs.PathError
					qt.Assert(t, errors.As(err, &perr), qt.IsTrue, what)
					qt.Check(t, err, qt.ErrorIs, fs.ErrInvalid, what)
					qt.Check(t, errors.Is(err, ipcbuf.ErrBufferOutOfBounds), qt.IsFalse, what)
					qt.Check(t, err, qt.ErrorMatches, `.*negative offset -?\d+`, what)
				}
			}
		}
	}
	qt.Assert(t, string(parent.Bytes()), qt.Equals, "0123456789abcdef", qt.Commentf("a refused WriteAt wrote"))

	// The other edges stay as they were: past the end, ReadAt gives
	// io.EOF and WriteAt ErrBufferOutOfBounds, writing nothing.
	_, err = parent.ReadAt(make([]byte, 1), 16)
	qt.Check(t, err, qt.Equals, io.EOF)
	_, err = parent.WriteAt([]byte("xy"), 15)
	qt.Check(t, err, qt.ErrorIs, ipcbuf.ErrBufferOutOfBounds)
	n, err := parent.WriteAt([]byte("xy"), 14)
	qt.Check(t, err, qt.IsNil)
	qt.Check(t, n, qt.Equals, 2)
	qt.Assert(t, string(parent.Bytes()), qt.Equals, "0123456789abcdxy")
}
