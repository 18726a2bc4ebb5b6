package ipcbuf

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io/fs"
	"math"
	"path/filepath"
	"slices"
	"testing"

	qt "github.com/frankban/quicktest"

	"github.com/google/go-cmp/cmp"
	"github.com/ipcbuf/ipcbuf/internal/testenv"
)

// numKind is what a numeric method's number is.
type numKind uint8

const (
	kUint    numKind = iota // value int64, result uint8…uint64
	kInt                    // value int64, result int8…int64
	kBigUint                // value uint64
	kBigInt                 // value int64
	kFloat                  // value float64, rounded to float32
	kDouble                 // value float64
)

// numSpec is one read/write pair of Node's numeric methods.
type numSpec struct {
	name  string // Node's name after "read" or "write": "UInt8", "IntLE", "DoubleBE"
	width int    // bytes; 0 for the variable-width methods, whose byteLength says
	kind  numKind
	be    bool
	read  func(b *Buffer, offset, byteLength int) (any, error)
	write func(b *Buffer, value any, offset, byteLength int) (int, error)
}

func (s numSpec) readName() string  { return "read" + s.name }
func (s numSpec) writeName() string { return "write" + s.name }

// w returns the width of a call with byteLength.
func (s numSpec) w(byteLength int) int {
	if s.width == 0 {
		return byteLength
	}
	return s.width
}

// res turns a reader's two results into the table's.
func res[T any](v T, err error) (any, error) { return v, err }

// numSpecs lists all 24 pairs, 48 methods.
var numSpecs = []numSpec{
	{"UInt8", 1, kUint, false,
		func(b *Buffer, o, _ int) (any, error) { return res(b.ReadUint8(o)) },
		func(b *Buffer, v any, o, _ int) (int, error) { return b.WriteUint8(v.(int64), o) }},
	{"Int8", 1, kInt, false,
		func(b *Buffer, o, _ int) (any, error) { return res(b.ReadInt8(o)) },
		func(b *Buffer, v any, o, _ int) (int, error) { return b.WriteInt8(v.(int64), o) }},
	{"UInt16LE", 2, kUint, false,
		func(b *Buffer, o, _ int) (any, error) { return res(b.ReadUint16LE(o)) },
		func(b *Buffer, v any, o, _ int) (int, error) { return b.WriteUint16LE(v.(int64), o) }},
	{"UInt16BE", 2, kUint, true,
		func(b *Buffer, o, _ int) (any, error) { return res(b.ReadUint16BE(o)) },
		func(b *Buffer, v any, o, _ int) (int, error) { return b.WriteUint16BE(v.(int64), o) }},
	{"Int16LE", 2, kInt, false,
		func(b *Buffer, o, _ int) (any, error) { return res(b.ReadInt16LE(o)) },
		func(b *Buffer, v any, o, _ int) (int, error) { return b.WriteInt16LE(v.(int64), o) }},
	{"Int16BE", 2, kInt, true,
		func(b *Buffer, o, _ int) (any, error) { return res(b.ReadInt16BE(o)) },
		func(b *Buffer, v any, o, _ int) (int, error) { return b.WriteInt16BE(v.(int64), o) }},
	{"UInt32LE", 4, kUint, false,
		func(b *Buffer, o, _ int) (any, error) { return res(b.ReadUint32LE(o)) },
		func(b *Buffer, v any, o, _ int) (int, error) { return b.WriteUint32LE(v.(int64), o) }},
	{"UInt32BE", 4, kUint, true,
		func(b *Buffer, o, _ int) (any, error) { return res(b.ReadUint32BE(o)) },
		func(b *Buffer, v any, o, _ int) (int, error) { return b.WriteUint32BE(v.(int64), o) }},
	{"Int32LE", 4, kInt, false,
		func(b *Buffer, o, _ int) (any, error) { return res(b.ReadInt32LE(o)) },
		func(b *Buffer, v any, o, _ int) (int, error) { return b.WriteInt32LE(v.(int64), o) }},
	{"Int32BE", 4, kInt, true,
		func(b *Buffer, o, _ int) (any, error) { return res(b.ReadInt32BE(o)) },
		func(b *Buffer, v any, o, _ int) (int, error) { return b.WriteInt32BE(v.(int64), o) }},
	{"UIntLE", 0, kUint, false,
		func(b *Buffer, o, n int) (any, error) { return res(b.ReadUintLE(o, n)) },
		func(b *Buffer, v any, o, n int) (int, error) { return b.WriteUintLE(v.(int64), o, n) }},
	{"UIntBE", 0, kUint, true,
		func(b *Buffer, o, n int) (any, error) { return res(b.ReadUintBE(o, n)) },
		func(b *Buffer, v any, o, n int) (int, error) { return b.WriteUintBE(v.(int64), o, n) }},
	{"IntLE", 0, kInt, false,
		func(b *Buffer, o, n int) (any, error) { return res(b.ReadIntLE(o, n)) },
		func(b *Buffer, v any, o, n int) (int, error) { return b.WriteIntLE(v.(int64), o, n) }},
	{"IntBE", 0, kInt, true,
		func(b *Buffer, o, n int) (any, error) { return res(b.ReadIntBE(o, n)) },
		func(b *Buffer, v any, o, n int) (int, error) { return b.WriteIntBE(v.(int64), o, n) }},
	{"BigUInt64LE", 8, kBigUint, false,
		func(b *Buffer, o, _ int) (any, error) { return res(b.ReadBigUint64LE(o)) },
		func(b *Buffer, v any, o, _ int) (int, error) { return b.WriteBigUint64LE(v.(uint64), o) }},
	{"BigUInt64BE", 8, kBigUint, true,
		func(b *Buffer, o, _ int) (any, error) { return res(b.ReadBigUint64BE(o)) },
		func(b *Buffer, v any, o, _ int) (int, error) { return b.WriteBigUint64BE(v.(uint64), o) }},
	{"BigInt64LE", 8, kBigInt, false,
		func(b *Buffer, o, _ int) (any, error) { return res(b.ReadBigInt64LE(o)) },
		func(b *Buffer, v any, o, _ int) (int, error) { return b.WriteBigInt64LE(v.(int64), o) }},
	{"BigInt64BE", 8, kBigInt, true,
		func(b *Buffer, o, _ int) (any, error) { return res(b.ReadBigInt64BE(o)) },
		func(b *Buffer, v any, o, _ int) (int, error) { return b.WriteBigInt64BE(v.(int64), o) }},
	{"FloatLE", 4, kFloat, false,
		func(b *Buffer, o, _ int) (any, error) { return res(b.ReadFloatLE(o)) },
		func(b *Buffer, v any, o, _ int) (int, error) { return b.WriteFloatLE(v.(float64), o) }},
	{"FloatBE", 4, kFloat, true,
		func(b *Buffer, o, _ int) (any, error) { return res(b.ReadFloatBE(o)) },
		func(b *Buffer, v any, o, _ int) (int, error) { return b.WriteFloatBE(v.(float64), o) }},
	{"DoubleLE", 8, kDouble, false,
		func(b *Buffer, o, _ int) (any, error) { return res(b.ReadDoubleLE(o)) },
		func(b *Buffer, v any, o, _ int) (int, error) { return b.WriteDoubleLE(v.(float64), o) }},
	{"DoubleBE", 8, kDouble, true,
		func(b *Buffer, o, _ int) (any, error) { return res(b.ReadDoubleBE(o)) },
		func(b *Buffer, v any, o, _ int) (int, error) { return b.WriteDoubleBE(v.(float64), o) }},
}

// numMethod finds a Node method by name ("readIntLE", "writeBigUInt64BE").
func numMethod(t testing.TB, method string) (numSpec, bool) {
	for _, s := range numSpecs {
		switch method {
		case s.readName():
			return s, false
		case s.writeName():
			return s, true
		}
	}
	t.Fatalf("no numeric method %q", method)
	panic("unreachable")
}

// zeroValue is a value of the right type for s's writer.
func (s numSpec) zeroValue() any {
	switch s.kind {
	case kBigUint:
		return uint64(0)
	case kFloat, kDouble:
		return 0.0
	}
	return int64(0)
}

// numBuffer returns a memory Buffer holding the bytes of hexBytes.
func numBuffer(t testing.TB, hexBytes string) *Buffer {
	t.Helper()
	p, err := hex.DecodeString(hexBytes)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Alloc(len(p))
	if err != nil {
		t.Fatal(err)
	}
	copy(b.Bytes(), p)
	return b
}

// sameFloat compares floats by their bits, so -0 differs from 0, except that
// every NaN equals every other NaN.
var sameFloat = cmp.Options{
	cmp.Comparer(func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) || x != x && y != y }),
	cmp.Comparer(func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) || x != x && y != y }),
}

// numCase is one call. Readers' results are compared with want as typed
// Go values, except float32 results, widened to float64 as Node does.
type numCase struct {
	method     string // Node's name
	buf        string // hex before
	value      any    // writers: int64, uint64 or float64
	offset     int
	byteLength int
	want       any    // the reader's result or the writer's offset+width
	after      string // hex afterwards; "" means unchanged
	code, msg  string // the error's Code and Msg, as Node's err.code and err.message
}

// numOutcome is what a numCase compares.
type numOutcome struct {
	Result    any
	Code, Msg string
	After     string
}

func runNumCase(t *testing.T, c numCase) {
	t.Helper()
	s, write := numMethod(t, c.method)
	b := numBuffer(t, c.buf)
	var got numOutcome
	var err error
	if write {
		got.Result, err = s.write(b, c.value, c.offset, c.byteLength)
	} else {
		got.Result, err = s.read(b, c.offset, c.byteLength)
		if f, ok := got.Result.(float32); ok {
			got.Result = float64(f)
		}
	}
	got.After = hex.EncodeToString(b.Bytes())
	if err != nil {
		if !isZero(got.Result) {
			t.Errorf("%s returned %v with its error", c.method, got.Result)
		}
		got.Result = nil
		got.Msg = err.Error()
		var nerr *Error
		if errors.As(err, &nerr) {
			got.Code, got.Msg = nerr.Code, nerr.Msg
			qt.Check(t, err, qt.ErrorIs, &Error{Code: c.code})
			qt.Check(t, err.Error(), qt.Equals, "ipcbuf: "+nerr.Msg)
		}
	}
	want := numOutcome{Result: c.want, Code: c.code, Msg: c.msg, After: c.after}
	if want.After == "" {
		want.After = c.buf
	}
	if diff := cmp.Diff(want, got, sameFloat); diff != "" {
		t.Errorf("%s(%v, %d, %d) on <%s>: (-want +got)\n%s", c.method, c.value, c.offset, c.byteLength, c.buf, diff)
	}
}

const fffe = "fffefdfcfbfaf9f8"

func TestNumericReadExamples(t *testing.T) {
	for _, c := range []numCase{
		// 5.3: variable widths on ff fe fd fc fb fa.
		{method: "readIntLE", buf: fffe, byteLength: 1, want: int64(-1)},
		{method: "readIntLE", buf: fffe, byteLength: 2, want: int64(-257)},
		{method: "readIntLE", buf: fffe, byteLength: 3, want: int64(-131329)},
		{method: "readIntLE", buf: fffe, byteLength: 4, want: int64(-50462977)},
		{method: "readIntLE", buf: fffe, byteLength: 5, want: int64(-17230332161)},
		{method: "readIntLE", buf: fffe, byteLength: 6, want: int64(-5514788471041)},
		{method: "readUIntBE", buf: fffe, byteLength: 1, want: uint64(255)},
		{method: "readUIntBE", buf: fffe, byteLength: 2, want: uint64(65534)},
		{method: "readUIntBE", buf: fffe, byteLength: 3, want: uint64(16776957)},
		{method: "readUIntBE", buf: fffe, byteLength: 4, want: uint64(4294901244)},
		{method: "readUIntBE", buf: fffe, byteLength: 5, want: uint64(1099494718715)},
		{method: "readUIntBE", buf: fffe, byteLength: 6, want: uint64(281470647991290)},
		{method: "readUIntLE", buf: fffe, offset: 2, byteLength: 6, want: uint64(0xf8f9fafbfcfd)},
		{method: "readIntBE", buf: fffe, offset: 2, byteLength: 6, want: int64(-0x020304050608)},
		// Extremes.
		{method: "readIntLE", buf: "ffffffffff7f", byteLength: 6, want: int64(140737488355327)},
		{method: "readIntLE", buf: "000000000080", byteLength: 6, want: int64(-140737488355328)},
		{method: "readIntBE", buf: "800000000000", byteLength: 6, want: int64(-140737488355328)},
		{method: "readUIntLE", buf: "ffffffffffff", byteLength: 6, want: uint64(281474976710655)},
		{method: "readIntBE", buf: "7fffffffff", byteLength: 5, want: int64(549755813887)},
		{method: "readIntBE", buf: "8000000000", byteLength: 5, want: int64(-549755813888)},
		// Two's complement at every fixed width.
		{method: "readInt8", buf: "80", want: int8(-128)},
		{method: "readInt8", buf: "7f", want: int8(127)},
		{method: "readUInt8", buf: "0080", offset: 1, want: uint8(128)},
		{method: "readInt16LE", buf: "0080", want: int16(-32768)},
		{method: "readInt16BE", buf: "8000", want: int16(-32768)},
		{method: "readUInt16LE", buf: "3412", want: uint16(0x1234)},
		{method: "readUInt16BE", buf: "1234", want: uint16(0x1234)},
		{method: "readInt32BE", buf: "80000000", want: int32(-2147483648)},
		{method: "readInt32LE", buf: "feffffff", want: int32(-2)},
		{method: "readUInt32LE", buf: "efbeadde", want: uint32(0xdeadbeef)},
		{method: "readUInt32BE", buf: "00deadbeef", offset: 1, want: uint32(0xdeadbeef)},
		{method: "readIntBE", buf: "800000", byteLength: 3, want: int64(-8388608)},
		{method: "readIntLE", buf: "ffff7f", byteLength: 3, want: int64(8388607)},
		// 5.5: BigInt.
		{method: "readBigInt64LE", buf: "ffffffffffffffff", want: int64(-1)},
		{method: "readBigUInt64LE", buf: "ffffffffffffffff", want: uint64(18446744073709551615)},
		{method: "readBigInt64BE", buf: "8000000000000000", want: int64(-9223372036854775808)},
		{method: "readBigUInt64BE", buf: "0102030405060708", want: uint64(72623859790382856)},
		{method: "readBigUInt64LE", buf: "0102030405060708", want: uint64(578437695752307201)},
		{method: "readBigInt64LE", buf: "00ffffffffffffff7f", offset: 1, want: int64(math.MaxInt64)},
		// 5.6: floats, as Node's Numbers.
		{method: "readFloatBE", buf: "3dcccccd", want: 0.10000000149011612},
		{method: "readFloatLE", buf: "cdcccc3d", want: 0.10000000149011612},
		{method: "readFloatBE", buf: "00000001", want: 1.401298464324817e-45},
		{method: "readFloatBE", buf: "80000000", want: math.Copysign(0, -1)},
		{method: "readFloatBE", buf: "7f800000", want: math.Inf(1)},
		{method: "readFloatBE", buf: "7fc00000", want: math.NaN()},
		{method: "readFloatBE", buf: "7f800001", want: math.NaN()},
		{method: "readDoubleBE", buf: "7ff0000000000000", want: math.Inf(1)},
		{method: "readDoubleBE", buf: "3fb999999999999a", want: 0.1},
		{method: "readDoubleLE", buf: "9a9999999999b93f", want: 0.1},
		{method: "readDoubleLE", buf: "0000000000000080", want: math.Copysign(0, -1)},
		{method: "readDoubleBE", buf: "7ff8000000000000", want: math.NaN()},
		{method: "readDoubleBE", buf: "0000000000000001", want: 5e-324},
	} {
		runNumCase(t, c)
	}
}

func TestNumericWriteExamples(t *testing.T) {
	for _, c := range []numCase{
		{method: "writeUInt16LE", buf: "0000", value: int64(0x1234), want: 2, after: "3412"},
		{method: "writeUInt16BE", buf: "000000", value: int64(0x1234), offset: 1, want: 3, after: "001234"},
		{method: "writeInt16LE", buf: "0000", value: int64(-2), want: 2, after: "feff"},
		{method: "writeInt16BE", buf: "0000", value: int64(-32768), want: 2, after: "8000"},
		{method: "writeUInt32LE", buf: "00000000", value: int64(0xdeadbeef), want: 4, after: "efbeadde"},
		{method: "writeUInt32BE", buf: "00000000", value: int64(0xdeadbeef), want: 4, after: "deadbeef"},
		{method: "writeInt32LE", buf: "00000000", value: int64(-2147483648), want: 4, after: "00000080"},
		{method: "writeInt32BE", buf: "00000000", value: int64(2147483647), want: 4, after: "7fffffff"},
		{method: "writeIntBE", buf: "000000000000", value: int64(-2), byteLength: 6, want: 6, after: "fffffffffffe"},
		{method: "writeIntLE", buf: "000000000000", value: int64(-1 << 47), byteLength: 6, want: 6, after: "000000000080"},
		{method: "writeIntLE", buf: "000000000000", value: int64(1<<47 - 1), byteLength: 6, want: 6, after: "ffffffffff7f"},
		{method: "writeIntBE", buf: "0000000000", value: int64(-1 << 39), byteLength: 5, want: 5, after: "8000000000"},
		{method: "writeUIntLE", buf: "000000000000", value: int64(1<<48 - 1), byteLength: 6, want: 6, after: "ffffffffffff"},
		{method: "writeUIntBE", buf: "00000000", value: int64(0x123456), offset: 1, byteLength: 3, want: 4, after: "00123456"},
		{method: "writeUIntLE", buf: "00000000", value: int64(0x123456), offset: 1, byteLength: 3, want: 4, after: "00563412"},
		{method: "writeIntLE", buf: "00", value: int64(-128), byteLength: 1, want: 1, after: "80"},
		{method: "writeUInt8", buf: "0000", value: int64(255), offset: 1, want: 2, after: "00ff"},
		{method: "writeUInt8", buf: "aa", value: int64(0), want: 1, after: "00"},
		{method: "writeInt8", buf: "00", value: int64(-1), want: 1, after: "ff"},
		{method: "writeInt8", buf: "00", value: int64(-128), want: 1, after: "80"},
		{method: "writeBigUInt64LE", buf: "0000000000000000", value: uint64(578437695752307201), want: 8, after: "0102030405060708"},
		{method: "writeBigUInt64BE", buf: "0000000000000000", value: uint64(math.MaxUint64), want: 8, after: "ffffffffffffffff"},
		{method: "writeBigInt64BE", buf: "0000000000000000", value: int64(math.MinInt64), want: 8, after: "8000000000000000"},
		{method: "writeBigInt64LE", buf: "000000000000000000", value: int64(-2), offset: 1, want: 9, after: "00feffffffffffffff"},
		// Floats: rounding to float32 as Node does.
		{method: "writeFloatBE", buf: "00000000", value: 0.1, want: 4, after: "3dcccccd"},
		{method: "writeFloatLE", buf: "00000000", value: 0.1, want: 4, after: "cdcccc3d"},
		{method: "writeFloatBE", buf: "00000000", value: 16777217.0, want: 4, after: "4b800000"},
		{method: "writeFloatBE", buf: "00000000", value: 16777219.0, want: 4, after: "4b800002"},
		{method: "writeFloatBE", buf: "00000000", value: 1e40, want: 4, after: "7f800000"},
		{method: "writeFloatBE", buf: "00000000", value: -1e40, want: 4, after: "ff800000"},
		{method: "writeFloatBE", buf: "00000000", value: 1e-46, want: 4, after: "00000000"},
		{method: "writeFloatBE", buf: "00000000", value: math.Copysign(0, -1), want: 4, after: "80000000"},
		{method: "writeFloatBE", buf: "00000000", value: 3.4028235677973366e38, want: 4, after: "7f800000"},
		{method: "writeFloatBE", buf: "00000000", value: 1.5, want: 4, after: "3fc00000"},
		{method: "writeFloatBE", buf: "00000000", value: math.NaN(), want: 4, after: "7fc00000"},
		{method: "writeDoubleBE", buf: "0000000000000000", value: 0.1, want: 8, after: "3fb999999999999a"},
		{method: "writeDoubleLE", buf: "0000000000000000", value: 0.1, want: 8, after: "9a9999999999b93f"},
		{method: "writeDoubleBE", buf: "0000000000000000", value: math.Inf(-1), want: 8, after: "fff0000000000000"},
		{method: "writeDoubleBE", buf: "0000000000000000", value: math.NaN(), want: 8, after: "7ff8000000000001"},
		{method: "writeDoubleBE", buf: "0000000000000000", value: math.Float64frombits(0x7ff0000000000001), want: 8, after: "7ff0000000000001"},
		{method: "writeDoubleLE", buf: "0000000000000000", value: math.Copysign(0, -1), want: 8, after: "0000000000000080"},
	} {
		runNumCase(t, c)
	}
}

func TestNumericErrors(t *testing.T) {
	const (
		oor    = "ERR_OUT_OF_RANGE"
		oob    = "ERR_BUFFER_OUT_OF_BOUNDS"
		oobMsg = "Attempt to access memory outside buffer bounds"
	)
	for _, c := range []numCase{
		// 5.2: a buffer shorter than the width is out of bounds at any offset.
		{method: "readUInt8", buf: "", code: oob, msg: oobMsg},
		{method: "readUInt16LE", buf: "01", code: oob, msg: oobMsg},
		{method: "readUInt16LE", buf: "01", offset: -1, code: oob, msg: oobMsg},
		{method: "readBigUInt64LE", buf: "01020304050607", code: oob, msg: oobMsg},
		{method: "readDoubleBE", buf: "01020304050607", offset: 99, code: oob, msg: oobMsg},
		{method: "readUIntLE", buf: "0102", byteLength: 3, code: oob, msg: oobMsg},
		{method: "writeUInt32LE", buf: "000000", value: int64(1), code: oob, msg: oobMsg},
		{method: "writeIntLE", buf: "00", value: int64(1), byteLength: 2, code: oob, msg: oobMsg},
		{method: "writeBigInt64LE", buf: "00000000000000", value: int64(1), code: oob, msg: oobMsg},
		{method: "writeFloatBE", buf: "000000", value: 1.0, code: oob, msg: oobMsg},
		// Otherwise an offset outside is out of range.
		{method: "readUInt8", buf: "01", offset: 1, code: oor,
			msg: `The value of "offset" is out of range. It must be >= 0 and <= 0. Received 1`},
		{method: "readUInt8", buf: "0102", offset: -1, code: oor,
			msg: `The value of "offset" is out of range. It must be >= 0 and <= 1. Received -1`},
		{method: "readUInt32LE", buf: "0102030405060708", offset: 5, code: oor,
			msg: `The value of "offset" is out of range. It must be >= 0 and <= 4. Received 5`},
		{method: "readBigInt64BE", buf: "0102030405060708", offset: 1, code: oor,
			msg: `The value of "offset" is out of range. It must be >= 0 and <= 0. Received 1`},
		{method: "readIntLE", buf: "0102030405060708", offset: 3, byteLength: 6, code: oor,
			msg: `The value of "offset" is out of range. It must be >= 0 and <= 2. Received 3`},
		{method: "readUInt32LE", buf: "00000000", offset: 1 << 40, code: oor,
			msg: `The value of "offset" is out of range. It must be >= 0 and <= 0. Received 1_099_511_627_776`},
		{method: "readUInt32LE", buf: "00000000", offset: -1<<32 - 1, code: oor,
			msg: `The value of "offset" is out of range. It must be >= 0 and <= 0. Received -4_294_967_297`},
		{method: "readUInt32LE", buf: "00000000", offset: -1 << 32, code: oor,
			msg: `The value of "offset" is out of range. It must be >= 0 and <= 0. Received -4294967296`},
		{method: "writeInt16LE", buf: "0000", value: int64(1), offset: 1, code: oor,
			msg: `The value of "offset" is out of range. It must be >= 0 and <= 0. Received 1`},
		{method: "writeUIntLE", buf: "000000000000", value: int64(1), offset: 2, byteLength: 6, code: oor,
			msg: `The value of "offset" is out of range. It must be >= 0 and <= 0. Received 2`},
		{method: "writeDoubleLE", buf: "0000000000000000", value: 1.0, offset: 1, code: oor,
			msg: `The value of "offset" is out of range. It must be >= 0 and <= 0. Received 1`},
		{method: "writeFloatBE", buf: "00000000", value: 1.0, offset: -1, code: oor,
			msg: `The value of "offset" is out of range. It must be >= 0 and <= 0. Received -1`},
		// 5.3: byteLength, checked before the offset.
		{method: "readUIntBE", buf: fffe, byteLength: 0, code: oor,
			msg: `The value of "byteLength" is out of range. It must be >= 1 and <= 6. Received 0`},
		{method: "readIntBE", buf: fffe, offset: 99, byteLength: 7, code: oor,
			msg: `The value of "byteLength" is out of range. It must be >= 1 and <= 6. Received 7`},
		{method: "readIntLE", buf: "", offset: -1, byteLength: 8, code: oor,
			msg: `The value of "byteLength" is out of range. It must be >= 1 and <= 6. Received 8`},
		{method: "readUIntLE", buf: fffe, byteLength: -1, code: oor,
			msg: `The value of "byteLength" is out of range. It must be >= 1 and <= 6. Received -1`},
		{method: "readUIntLE", buf: fffe, byteLength: 1 << 33, code: oor,
			msg: `The value of "byteLength" is out of range. It must be >= 1 and <= 6. Received 8_589_934_592`},
		// 5.4: writes check byteLength, then value, then offset.
		{method: "writeIntLE", buf: "000000000000", value: int64(1) << 60, byteLength: 7, code: oor,
			msg: `The value of "byteLength" is out of range. It must be >= 1 and <= 6. Received 7`},
		{method: "writeUIntLE", buf: "000000000000", value: int64(1), byteLength: 0, code: oor,
			msg: `The value of "byteLength" is out of range. It must be >= 1 and <= 6. Received 0`},
		{method: "writeUIntBE", buf: "", value: int64(-1), offset: -5, byteLength: -1, code: oor,
			msg: `The value of "byteLength" is out of range. It must be >= 1 and <= 6. Received -1`},
		{method: "writeUInt8", buf: "00", value: int64(256), offset: 5, code: oor,
			msg: `The value of "value" is out of range. It must be >= 0 and <= 255. Received 256`},
		{method: "writeUInt8", buf: "", value: int64(256), code: oor,
			msg: `The value of "value" is out of range. It must be >= 0 and <= 255. Received 256`},
		{method: "writeUInt8", buf: "00", value: int64(-1), code: oor,
			msg: `The value of "value" is out of range. It must be >= 0 and <= 255. Received -1`},
		{method: "writeUInt8", buf: "00", value: int64(-5000000000), code: oor,
			msg: `The value of "value" is out of range. It must be >= 0 and <= 255. Received -5_000_000_000`},
		{method: "writeInt8", buf: "00", value: int64(128), code: oor,
			msg: `The value of "value" is out of range. It must be >= -128 and <= 127. Received 128`},
		{method: "writeInt8", buf: "00", value: int64(-129), code: oor,
			msg: `The value of "value" is out of range. It must be >= -128 and <= 127. Received -129`},
		{method: "writeUInt16BE", buf: "0000", value: int64(65536), code: oor,
			msg: `The value of "value" is out of range. It must be >= 0 and <= 65535. Received 65536`},
		{method: "writeInt16LE", buf: "0000", value: int64(-32769), code: oor,
			msg: `The value of "value" is out of range. It must be >= -32768 and <= 32767. Received -32769`},
		{method: "writeUInt32BE", buf: "00000000", value: int64(1) << 32, code: oor,
			msg: `The value of "value" is out of range. It must be >= 0 and <= 4294967295. Received 4294967296`},
		{method: "writeUInt32LE", buf: "000000", value: int64(1) << 32, code: oor,
			msg: `The value of "value" is out of range. It must be >= 0 and <= 4294967295. Received 4294967296`},
		{method: "writeInt32BE", buf: "00000000", value: int64(1) << 31, code: oor,
			msg: `The value of "value" is out of range. It must be >= -2147483648 and <= 2147483647. Received 2147483648`},
		{method: "writeInt32LE", buf: "00000000", value: int64(-1)<<31 - 1, code: oor,
			msg: `The value of "value" is out of range. It must be >= -2147483648 and <= 2147483647. Received -2147483649`},
		{method: "writeIntLE", buf: "000000", value: int64(1) << 23, byteLength: 3, code: oor,
			msg: `The value of "value" is out of range. It must be >= -8388608 and <= 8388607. Received 8388608`},
		{method: "writeUIntLE", buf: "000000", value: int64(1) << 24, byteLength: 3, code: oor,
			msg: `The value of "value" is out of range. It must be >= 0 and <= 16777215. Received 16777216`},
		{method: "writeIntBE", buf: "00", value: int64(-129), byteLength: 1, code: oor,
			msg: `The value of "value" is out of range. It must be >= -128 and <= 127. Received -129`},
		{method: "writeUIntLE", buf: "000000000000", value: int64(1) << 40, byteLength: 5, code: oor,
			msg: `The value of "value" is out of range. It must be >= 0 and < 2 ** 40. Received 1_099_511_627_776`},
		{method: "writeUIntBE", buf: "000000000000", value: int64(-1), byteLength: 6, code: oor,
			msg: `The value of "value" is out of range. It must be >= 0 and < 2 ** 48. Received -1`},
		{method: "writeIntBE", buf: "000000000000", value: int64(-1)<<47 - 1, byteLength: 6, code: oor,
			msg: `The value of "value" is out of range. It must be >= -(2 ** 47) and < 2 ** 47. Received -140_737_488_355_329`},
		{method: "writeIntLE", buf: "0000000000", value: int64(1) << 39, byteLength: 5, code: oor,
			msg: `The value of "value" is out of range. It must be >= -(2 ** 39) and < 2 ** 39. Received 549_755_813_888`},
	} {
		runNumCase(t, c)
	}
}

// TestNumericGoEdges calls every method with the Go integers at the ends of
// their types: nothing panics, nothing is written, and the errors are
// Node's.
func TestNumericGoEdges(t *testing.T) {
	offsets := []int{math.MinInt, math.MinInt + 1, -1 << 53, -9, -1, 9, 1 << 53, math.MaxInt - 8, math.MaxInt - 7, math.MaxInt - 1, math.MaxInt}
	byteLengths := []int{math.MinInt, -1, 0, 7, 8, 1 << 32, math.MaxInt}
	for _, s := range numSpecs {
		for _, n := range []int{0, 1, 3, 8} {
			b, _ := Alloc(n)
			before := hex.EncodeToString(b.Bytes())
			for _, off := range offsets {
				for _, bl := range append(byteLengths, 1, 6) {
					// A bad byteLength is out of range; else the offset is,
					// or out of bounds if the width does not fit.
					wantCode := "ERR_OUT_OF_RANGE"
					if w := s.w(bl); (s.width != 0 || bl >= 1 && bl <= 6) && n < w {
						wantCode = "ERR_BUFFER_OUT_OF_BOUNDS"
					}
					_, err := s.read(b, off, bl)
					qt.Check(t, err, qt.ErrorIs, &Error{Code: wantCode}, qt.Commentf("%s(%d, %d) on %d bytes", s.readName(), off, bl, n))
					_, err = s.write(b, s.zeroValue(), off, bl)
					qt.Check(t, err, qt.ErrorIs, &Error{Code: wantCode}, qt.Commentf("%s(0, %d, %d) on %d bytes", s.writeName(), off, bl, n))
				}
			}
			// Values at the ends of int64, at an offset that is fine.
			if s.kind == kUint || s.kind == kInt {
				for _, v := range []int64{math.MinInt64, math.MaxInt64} {
					_, err := s.write(b, v, 0, 6)
					qt.Check(t, err, qt.ErrorIs, ErrOutOfRange, qt.Commentf("%s(%d, 0, 6)", s.writeName(), v))
				}
			}
			qt.Check(t, hex.EncodeToString(b.Bytes()), qt.Equals, before, qt.Commentf("%s on %d bytes", s.writeName(), n))
		}
	}
	b, _ := Alloc(8)
	_, err := b.WriteUint8(math.MinInt64, math.MinInt)
	qt.Check(t, err, qt.ErrorMatches, `ipcbuf: The value of "value" is out of range. It must be >= 0 and <= 255. Received -9_223_372_036_854_775_808`)
	_, err = b.WriteIntBE(math.MaxInt64, 0, 6)
	qt.Check(t, err, qt.ErrorMatches, `ipcbuf: The value of "value" is out of range. It must be >= -\(2 \*\* 47\) and < 2 \*\* 47. Received 9_223_372_036_854_775_807`)
	_, err = b.ReadDoubleLE(math.MinInt)
	qt.Check(t, err, qt.ErrorMatches, `ipcbuf: The value of "offset" is out of range. It must be >= 0 and <= 0. Received -9_223_372_036_854_775_808`)
	_, err = b.ReadUintBE(0, math.MinInt)
	qt.Check(t, err, qt.ErrorMatches, `ipcbuf: The value of "byteLength" is out of range. It must be >= 1 and <= 6. Received -9_223_372_036_854_775_808`)
	_, err = b.WriteBigUint64BE(math.MaxUint64, math.MaxInt)
	qt.Check(t, err, qt.ErrorMatches, `ipcbuf: The value of "offset" is out of range. It must be >= 0 and <= 0. Received 9_223_372_036_854_775_807`)
}

func TestNumericReadOnly(t *testing.T) {
	mem := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	ro := &Buffer{m: &mapping{data: mem, readOnly: true}, n: len(mem)}
	bufs := []*Buffer{ro}
	if KindFile.Supported() {
		path := filepath.Join(testenv.TempDir(t), "numeric")
		rw, err := OpenFile(path, 8)
		qt.Assert(t, err, qt.IsNil)
		copy(rw.Bytes(), mem)
		qt.Assert(t, rw.Close(), qt.IsNil)
		// Mapped PROT_READ: a write that got through would fault.
		f, err := OpenFile(path, 0, ReadOnly())
		qt.Assert(t, err, qt.IsNil)
		defer f.Close()
		bufs = append(bufs, f)
	}
	for _, b := range bufs {
		for _, s := range numSpecs {
			n, err := s.write(b, s.zeroValue(), 0, 2)
			qt.Check(t, err, qt.ErrorIs, ErrReadOnly, qt.Commentf("%s on %s", s.writeName(), b.Kind()))
			qt.Check(t, n, qt.Equals, 0)
			var perr *fs.PathError
			qt.Check(t, errors.As(err, &perr) && perr.Op == s.writeName(), qt.IsTrue, qt.Commentf("%v", err))
			// Read-only is reported before any argument is looked at.
			_, err = s.write(b, s.zeroValue(), -1, -1)
			qt.Check(t, err, qt.ErrorIs, ErrReadOnly)
			_, err = s.read(b, 0, 2)
			qt.Check(t, err, qt.IsNil, qt.Commentf("%s on %s", s.readName(), b.Kind()))
		}
		qt.Check(t, b.Bytes(), qt.DeepEquals, mem)
	}
	v, err := ro.ReadUint32BE(0)
	qt.Check(t, err, qt.IsNil)
	qt.Check(t, v, qt.Equals, uint32(0x01020304))
}

func TestNumericClosed(t *testing.T) {
	b, _ := Alloc(8)
	view := b.Slice(0, 8)
	qt.Assert(t, b.Close(), qt.IsNil)
	for _, x := range []*Buffer{b, view} {
		for _, s := range numSpecs {
			v, err := s.read(x, 0, 2)
			qt.Check(t, err, qt.ErrorIs, fs.ErrClosed, qt.Commentf("%s", s.readName()))
			qt.Check(t, isZero(v), qt.IsTrue, qt.Commentf("%s returned %v", s.readName(), v))
			var perr *fs.PathError
			qt.Check(t, errors.As(err, &perr) && perr.Op == s.readName(), qt.IsTrue, qt.Commentf("%v", err))
			n, err := s.write(x, s.zeroValue(), 0, 2)
			qt.Check(t, err, qt.ErrorIs, fs.ErrClosed, qt.Commentf("%s", s.writeName()))
			qt.Check(t, n, qt.Equals, 0)
		}
	}
}

// isZero reports whether v, a method's first result, is its type's zero
// value (for floats: +0).
func isZero(v any) bool {
	switch x := v.(type) {
	case float32:
		return math.Float32bits(x) == 0
	case float64:
		return math.Float64bits(x) == 0
	case int:
		return x == 0
	}
	return intOf(v) == 0
}

// TestNumericViews checks that the methods work at a view's offsets, not
// its parent's, and never touch the bytes around it.
func TestNumericViews(t *testing.T) {
	b := numBuffer(t, "a5a5a5a5a5a5a5a5a5a5a5a5")
	v := b.Slice(2, 10)
	for _, s := range numSpecs {
		w := s.w(6)
		n, err := s.write(v, s.zeroValue(), 8-w, 6)
		qt.Assert(t, err, qt.IsNil, qt.Commentf("%s", s.writeName()))
		qt.Check(t, n, qt.Equals, 8)
		_, err = s.write(v, s.zeroValue(), 9-w, 6)
		qt.Check(t, err, qt.ErrorIs, ErrOutOfRange)
		copy(v.Bytes(), []byte{0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5})
	}
	qt.Check(t, hex.EncodeToString(b.Bytes()), qt.Equals, "a5a5a5a5a5a5a5a5a5a5a5a5")
	got, err := v.ReadUint16BE(6)
	qt.Check(t, err, qt.IsNil)
	qt.Check(t, got, qt.Equals, uint16(0xa5a5))
}

// TestNumericAllocs checks the hot path: no allocation on success.
func TestNumericAllocs(t *testing.T) {
	if asanEnabled {
		t.Skip("built with -asan, which makes pointer conversions escape and turns off the tiny allocator: allocation counts do not hold (every other build checks them)")
	}
	b, _ := Alloc(16)
	allocs := testing.AllocsPerRun(100, func() {
		b.WriteUint32LE(0xdeadbeef, 4)
		b.ReadUint32LE(4)
		b.WriteIntBE(-5, 2, 6)
		b.ReadIntBE(2, 6)
		b.WriteDoubleLE(0.1, 8)
		b.ReadDoubleLE(8)
		b.WriteFloatBE(0.1, 0)
		b.ReadFloatBE(0)
	})
	qt.Check(t, allocs, qt.Equals, 0.0)
}

// numRange returns the values an integer writer of width bytes accepts.
func numRange(kind numKind, width int) (lo, hi int64) {
	bits := 8 * width
	if kind == kInt {
		return -1 << (bits - 1), 1<<(bits-1) - 1
	}
	return 0, 1<<bits - 1
}

// numRef decodes p as s does, written independently with encoding/binary.
func numRef(s numSpec, p []byte) any {
	var full [8]byte
	w := len(p)
	var u uint64
	if s.be {
		copy(full[8-w:], p)
		u = binary.BigEndian.Uint64(full[:])
	} else {
		copy(full[:], p)
		u = binary.LittleEndian.Uint64(full[:])
	}
	signed := int64(u)
	if w < 8 && u&(1<<(8*w-1)) != 0 {
		signed = int64(u) - 1<<(8*w)
	}
	switch {
	case s.kind == kFloat:
		return math.Float32frombits(uint32(u))
	case s.kind == kDouble:
		return math.Float64frombits(u)
	case s.kind == kBigUint:
		return u
	case s.kind == kBigInt:
		return signed
	case s.width == 0 && s.kind == kUint:
		return u
	case s.width == 0:
		return signed
	}
	switch w {
	case 1:
		if s.kind == kInt {
			return int8(signed)
		}
		return uint8(u)
	case 2:
		if s.kind == kInt {
			return int16(signed)
		}
		return uint16(u)
	}
	if s.kind == kInt {
		return int32(signed)
	}
	return uint32(u)
}

func FuzzNumeric(f *testing.F) {
	f.Add([]byte(nil), 0, 1, int64(0), uint64(0))
	f.Add([]byte{0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0xfa, 0xf9, 0xf8}, 1, 6, int64(-2), uint64(0x7ff0000000000001))
	f.Add([]byte{1, 2, 3}, math.MaxInt, math.MinInt, int64(math.MinInt64), uint64(math.MaxUint64))
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9}, -1, 7, int64(256), uint64(0x4170000010000000))
	f.Fuzz(func(t *testing.T, data []byte, offset, byteLength int, value int64, bits uint64) {
		b, _ := Alloc(len(data))
		for _, s := range numSpecs {
			w := s.w(byteLength)
			inBounds := (s.width != 0 || 1 <= w && w <= 6) && offset >= 0 && offset <= len(data)-w

			// Reads: Node's result where the bytes are inside, else an error.
			copy(b.Bytes(), data)
			got, err := s.read(b, offset, byteLength)
			if inBounds != (err == nil) || !slices.Equal(b.Bytes(), data) {
				t.Fatalf("%s(%d, %d) on %x: %v, %v", s.readName(), offset, byteLength, data, got, err)
			}
			if err == nil {
				if diff := cmp.Diff(numRef(s, data[offset:offset+w]), got, sameFloat); diff != "" {
					t.Fatalf("%s(%d, %d) on %x: (-want +got)\n%s", s.readName(), offset, byteLength, data, diff)
				}
			}

			// Writes with the raw arguments: an error changes nothing; success
			// changes only the width bytes at offset.
			var v any
			inRange := true
			switch s.kind {
			case kUint, kInt:
				v = value
				if w >= 1 && w <= 6 {
					lo, hi := numRange(s.kind, w)
					inRange = lo <= value && value <= hi
				}
			case kBigUint:
				v = bits
			case kBigInt:
				v = int64(bits)
			default:
				v = math.Float64frombits(bits)
			}
			n, err := s.write(b, v, offset, byteLength)
			if (inBounds && inRange) != (err == nil) {
				t.Fatalf("%s(%v, %d, %d) on %x: %d, %v", s.writeName(), v, offset, byteLength, data, n, err)
			}
			after := b.Bytes()
			if err != nil {
				if !slices.Equal(after, data) {
					t.Fatalf("%s(%v, %d, %d) on %x failed (%v) but wrote %x", s.writeName(), v, offset, byteLength, data, err, after)
				}
				continue
			}
			if n != offset+w || !slices.Equal(after[:offset], data[:offset]) || !slices.Equal(after[offset+w:], data[offset+w:]) {
				t.Fatalf("%s(%v, %d, %d) on %x: returned %d, wrote %x", s.writeName(), v, offset, byteLength, data, n, after)
			}

			// Round trip: reading back gives the value written (the float32
			// it rounds to, for the float writers), to the bit.
			back, err := s.read(b, offset, byteLength)
			if err != nil {
				t.Fatal(err)
			}
			ok := false
			switch s.kind {
			case kUint, kInt:
				ok = intOf(back) == value
			case kBigUint, kBigInt:
				ok = uint64(intOf(back)) == bits
			case kFloat:
				ok = math.Float32bits(back.(float32)) == math.Float32bits(float32(v.(float64)))
			case kDouble:
				ok = math.Float64bits(back.(float64)) == bits
			}
			if !ok {
				t.Fatalf("%s(%v, %d, %d) then %s: %v", s.writeName(), v, offset, byteLength, s.readName(), back)
			}
		}
	})
}

// intOf returns an integer reader's result as an int64 (a uint64's bits).
func intOf(v any) int64 {
	switch x := v.(type) {
	case uint8:
		return int64(x)
	case int8:
		return int64(x)
	case uint16:
		return int64(x)
	case int16:
		return int64(x)
	case uint32:
		return int64(x)
	case int32:
		return int64(x)
	case uint64:
		return int64(x)
	case int64:
		return x
	}
	return -1 // not an integer
}

func BenchmarkNumeric(b *testing.B) {
	buf, _ := Alloc(64)
	b.Run("ReadUint32LE", func(b *testing.B) {
		for i := range b.N {
			buf.ReadUint32LE(i & 31)
		}
	})
	b.Run("WriteUint32BE", func(b *testing.B) {
		for i := range b.N {
			buf.WriteUint32BE(int64(i&0xffff), i&31)
		}
	})
	b.Run("ReadIntLE6", func(b *testing.B) {
		for i := range b.N {
			buf.ReadIntLE(i&31, 6)
		}
	})
	b.Run("WriteDoubleLE", func(b *testing.B) {
		for i := range b.N {
			buf.WriteDoubleLE(float64(i), i&31)
		}
	})
	b.Run("ReadDoubleBE", func(b *testing.B) {
		for i := range b.N {
			buf.ReadDoubleBE(i & 31)
		}
	})
}
