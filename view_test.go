package ipcbuf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"runtime"
	"testing"
	"unsafe"

	qt "github.com/frankban/quicktest"
	"github.com/google/go-cmp/cmp"
)

func TestViewMemory(t *testing.T) {
	b, err := Alloc(16)
	qt.Assert(t, err, qt.IsNil)
	v, err := View[uint32](b)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, len(v), qt.Equals, 4)
	v[1] = 0x01020304
	v[3] = 0xdeadbeef
	want := make([]byte, 16)
	binary.NativeEndian.PutUint32(want[4:], 0x01020304)
	binary.NativeEndian.PutUint32(want[12:], 0xdeadbeef)
	got := make([]byte, 16)
	_, err = b.ReadAt(got, 0)
	qt.Assert(t, err, qt.IsNil)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("bytes after writes through the view (-want +got):\n%s", diff)
	}
	// And the other way: a write to the buffer is seen in the view.
	_, err = b.WriteAt([]byte{0xff, 0xff, 0xff, 0xff}, 8)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, v[2], qt.Equals, uint32(0xffffffff))
	runtime.KeepAlive(b)
}

// A view of POSIX shared memory is the object's memory: writes through a
// []uint32 reach a second, independent mapping of the same object.
func TestViewShm(t *testing.T) {
	if !KindPOSIX.Supported() {
		t.Skip("this build has no POSIX shared memory")
	}
	name := fmt.Sprintf("ipcbuf-test-%d-view", os.Getpid())
	b, err := OpenShm(name, 4096, Exclusive())
	qt.Assert(t, err, qt.IsNil)
	t.Cleanup(func() {
		b.Close()
		RemoveShm(name)
	})
	other, err := OpenShm(name, 0, ReadOnly())
	qt.Assert(t, err, qt.IsNil)
	t.Cleanup(func() { other.Close() })

	v, err := View[uint32](b)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, len(v), qt.Equals, 1024)
	for i := range v {
		v[i] = uint32(i) * 0x01010101
	}
	got := make([]byte, 4096)
	for _, r := range []*Buffer{b, other} {
		_, err = r.ReadAt(got, 0)
		qt.Assert(t, err, qt.IsNil)
		for i := range v {
			qt.Assert(t, binary.NativeEndian.Uint32(got[4*i:]), qt.Equals, uint32(i)*0x01010101)
		}
	}

	// Offset 0 of a shared buffer is page-aligned, so every type fits, and
	// so does a Slice at a multiple of the element size.
	v64, err := View[float64](b.Slice(8, 4096))
	qt.Assert(t, err, qt.IsNil)
	v64[0] = 1.5
	qt.Assert(t, math.Float64frombits(binary.NativeEndian.Uint64(other.Bytes()[8:])), qt.Equals, 1.5)

	// A read-only buffer can be viewed (writing through the view would
	// fault).
	ro, err := View[uint64](other)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, math.Float64frombits(ro[1]), qt.Equals, 1.5)
	runtime.KeepAlive(b)
	runtime.KeepAlive(other)
}

func TestViewErrors(t *testing.T) {
	b, err := Alloc(64)
	qt.Assert(t, err, qt.IsNil)

	// Misaligned: Slice(1, 9) starts one byte past an aligned address.
	_, err = View[uint32](b.Slice(1, 9))
	qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid)
	qt.Assert(t, err, qt.ErrorMatches, `view memory buffer: cannot view as \[\]uint32: the buffer starts at address 0x[0-9a-f]+ \(byte 1 of its mapping\), which is not a multiple of 4.*`)
	var pe *fs.PathError
	qt.Assert(t, errors.As(err, &pe), qt.IsTrue)
	_, err = View[uint64](b.Slice(4, 12))
	if unsafe.Alignof(uint64(0)) == 8 {
		qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid)
	} else {
		qt.Assert(t, err, qt.IsNil)
	}
	_, err = View[int16](b.Slice(3, 7))
	qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid)
	// One-byte types are never misaligned.
	_, err = View[int8](b.Slice(3, 7))
	qt.Assert(t, err, qt.IsNil)

	// Length not a multiple of the element size.
	_, err = View[uint32](b.Slice(0, 6))
	qt.Assert(t, err, qt.ErrorIs, ErrInvalidBufferSize)
	qt.Assert(t, err, qt.ErrorMatches, `ipcbuf: a 6-byte buffer cannot be viewed as \[\]uint32: its length must be a multiple of 4 \(take a Slice of 4 bytes\)`)
	_, err = View[float64](b.Slice(0, 12))
	qt.Assert(t, err, qt.ErrorIs, ErrInvalidBufferSize)
	// Both wrong: the length is reported.
	_, err = View[uint32](b.Slice(1, 4))
	qt.Assert(t, err, qt.ErrorIs, ErrInvalidBufferSize)

	// Empty: a nil view and no error.
	v, err := View[uint64](b.Slice(5, 5))
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, v, qt.IsNil)
	e, _ := Alloc(0)
	v, err = View[uint64](e)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, v, qt.IsNil)

	// nil and zero buffers.
	_, err = View[uint32](nil)
	var nerr *Error
	qt.Assert(t, errors.As(err, &nerr), qt.IsTrue)
	qt.Assert(t, nerr.Code, qt.Equals, "ERR_INVALID_ARG_TYPE")
	_, err = View[uint32](&Buffer{})
	qt.Assert(t, errors.As(err, &nerr), qt.IsTrue)
	qt.Assert(t, nerr.Code, qt.Equals, "ERR_INVALID_ARG_TYPE")

	// Closed.
	qt.Assert(t, b.Close(), qt.IsNil)
	_, err = View[uint32](b)
	qt.Assert(t, err, qt.ErrorIs, fs.ErrClosed)
	_, err = View[uint32](b.Slice(1, 3))
	qt.Assert(t, err, qt.ErrorIs, fs.ErrClosed)
}

type viewNamed uint16

// checkView writes a value through a []T view of a fresh buffer and checks
// the buffer's bytes, in the machine's order.
func checkView[T Number](t *testing.T, val T, put func([]byte)) {
	t.Run(fmt.Sprintf("%T", val), func(t *testing.T) {
		size := int(unsafe.Sizeof(val))
		b, err := Alloc(3 * size)
		qt.Assert(t, err, qt.IsNil)
		v, err := View[T](b)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, len(v), qt.Equals, 3)
		v[1] = val
		want := make([]byte, 3*size)
		put(want[size:])
		if diff := cmp.Diff(want, b.Bytes()); diff != "" {
			t.Errorf("bytes (-want +got):\n%s", diff)
		}
		// A view of a view at an element boundary sees the same element.
		w, err := View[T](b.Slice(size, 3*size))
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, w[0] == val, qt.IsTrue)
		runtime.KeepAlive(b)
	})
}

func TestViewEveryType(t *testing.T) {
	ne := binary.NativeEndian
	checkView(t, int8(-2), func(p []byte) { p[0] = 0xfe })
	checkView(t, uint8(200), func(p []byte) { p[0] = 200 })
	checkView(t, int16(-2), func(p []byte) { ne.PutUint16(p, 0xfffe) })
	checkView(t, uint16(0x1234), func(p []byte) { ne.PutUint16(p, 0x1234) })
	checkView(t, int32(-3), func(p []byte) { ne.PutUint32(p, 0xfffffffd) })
	checkView(t, uint32(0xdeadbeef), func(p []byte) { ne.PutUint32(p, 0xdeadbeef) })
	checkView(t, int64(-4), func(p []byte) { ne.PutUint64(p, 0xfffffffffffffffc) })
	checkView(t, uint64(0x0102030405060708), func(p []byte) { ne.PutUint64(p, 0x0102030405060708) })
	checkView(t, float32(0.1), func(p []byte) { ne.PutUint32(p, math.Float32bits(0.1)) })
	checkView(t, math.Pi, func(p []byte) { ne.PutUint64(p, math.Float64bits(math.Pi)) })
	checkView(t, viewNamed(0xabcd), func(p []byte) { ne.PutUint16(p, 0xabcd) })
}
