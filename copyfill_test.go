package ipcbuf

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"strings"
	"testing"

	qt "github.com/frankban/quicktest"
	"github.com/google/go-cmp/cmp"
)

// cfBuf makes a memory buffer holding the bytes written in hex.
func cfBuf(t testing.TB, h string) *Buffer {
	t.Helper()
	p, err := hex.DecodeString(h)
	qt.Assert(t, err, qt.IsNil)
	b, err := Alloc(len(p))
	qt.Assert(t, err, qt.IsNil)
	copy(b.Bytes(), p)
	return b
}

// cfReadOnly makes a read-only memory buffer holding the bytes in hex. Only
// the shared kinds can be opened read-only; this makes one in memory so the
// tests run in every build.
func cfReadOnly(t testing.TB, h string) *Buffer {
	b := cfBuf(t, h)
	b.m.readOnly = true
	return b
}

func cfHex(b *Buffer) string { return hex.EncodeToString(b.Bytes()) }

// cfCode checks that err is an *Error with the given code, or nil for "".
func cfCode(t testing.TB, err error, code string, what string) {
	t.Helper()
	if code == "" {
		qt.Assert(t, err, qt.IsNil, qt.Commentf(what))
		return
	}
	var nerr *Error
	qt.Assert(t, errors.As(err, &nerr), qt.IsTrue, qt.Commentf("%s: %v", what, err))
	qt.Assert(t, nerr.Code, qt.Equals, code, qt.Commentf("%s: %v", what, err))
}

// cfShared returns a buffer of n bytes of POSIX shared memory when the build
// has it, else of process memory, and closes it when the test ends.
func cfShared(t *testing.T, n int) *Buffer {
	t.Helper()
	if !KindPOSIX.Supported() {
		b, err := Alloc(n)
		qt.Assert(t, err, qt.IsNil)
		return b
	}
	name := fmt.Sprintf("ipcbuf-test-%d-copyfill-%s", os.Getpid(), strings.ReplaceAll(t.Name(), "/", "-"))
	b, err := OpenShm(name, n, Exclusive())
	qt.Assert(t, err, qt.IsNil)
	t.Cleanup(func() {
		b.Close()
		RemoveShm(name)
	})
	return b
}

// Node 20's buf.copy on source 0102030405, target eeeeeeee.
// Node's non-integer arguments are listed with the integers toInteger makes
// of them.
func TestCopyTable(t *testing.T) {
	for _, tc := range []struct {
		name                                string
		targetStart, sourceStart, sourceEnd int
		n                                   int
		after                               string
		code                                string
	}{
		{"copy()", 0, 0, 5, 4, "01020304", ""},
		{"copy(1)", 1, 0, 5, 3, "ee010203", ""},
		{"copy(1,1,3)", 1, 1, 3, 2, "ee0203ee", ""},
		{"copy(0,3,1)", 0, 3, 1, 0, "eeeeeeee", ""},
		{"copy(4)", 4, 0, 5, 0, "eeeeeeee", ""},
		{"copy(0,5)", 0, 5, 5, 0, "eeeeeeee", ""},
		{"copy(0,6)", 0, 6, 5, 0, "eeeeeeee", "ERR_OUT_OF_RANGE"},
		{"copy(0,0,10)", 0, 0, 10, 4, "01020304", ""},
		{"copy(0,1.7,3.2)", 0, 1, 3, 2, "0203eeee", ""},
		{"copy(NaN,NaN,NaN)", 0, 0, 0, 0, "eeeeeeee", ""},
		{"copy(Infinity)", 0, 0, 5, 4, "01020304", ""},
		{"copy(-1)", -1, 0, 5, 0, "eeeeeeee", "ERR_OUT_OF_RANGE"},
		{"copy(0,-1)", 0, -1, 5, 0, "eeeeeeee", "ERR_OUT_OF_RANGE"},
		{"copy(0,0,-1)", 0, 0, -1, 0, "eeeeeeee", "ERR_OUT_OF_RANGE"},
		{"copy(3,4)", 3, 4, 5, 1, "eeeeee05", ""},
		{"copy(2,0,1)", 2, 0, 1, 1, "eeee01ee", ""},
		{"copy(MaxInt)", math.MaxInt, 0, 5, 0, "eeeeeeee", ""},
		{"copy(MinInt)", math.MinInt, 0, 5, 0, "eeeeeeee", "ERR_OUT_OF_RANGE"},
		{"copy(0,MaxInt)", 0, math.MaxInt, 5, 0, "eeeeeeee", "ERR_OUT_OF_RANGE"},
		{"copy(0,MinInt)", 0, math.MinInt, 5, 0, "eeeeeeee", "ERR_OUT_OF_RANGE"},
		{"copy(0,0,MaxInt)", 0, 0, math.MaxInt, 4, "01020304", ""},
		{"copy(0,0,MinInt)", 0, 0, math.MinInt, 0, "eeeeeeee", "ERR_OUT_OF_RANGE"},
		{"copy(1,2,MaxInt)", 1, 2, math.MaxInt, 3, "ee030405", ""},
		{"copy(5,6,-1)", 5, 6, -1, 0, "eeeeeeee", "ERR_OUT_OF_RANGE"}, // sourceStart is checked before sourceEnd
	} {
		src, dst := cfBuf(t, "0102030405"), cfBuf(t, "eeeeeeee")
		n, err := src.Copy(dst, tc.targetStart, tc.sourceStart, tc.sourceEnd)
		cfCode(t, err, tc.code, tc.name)
		qt.Assert(t, n, qt.Equals, tc.n, qt.Commentf(tc.name))
		if diff := cmp.Diff(tc.after, cfHex(dst)); diff != "" {
			t.Errorf("%s: target after (-want +got):\n%s", tc.name, diff)
		}
		qt.Assert(t, cfHex(src), qt.Equals, "0102030405", qt.Commentf(tc.name))
	}
}

func TestCopyMessages(t *testing.T) {
	src, dst := cfBuf(t, "0102030405"), cfBuf(t, "eeeeeeee")
	for _, tc := range []struct {
		ts, ss, se int
		want       string
	}{
		{-1, 0, 5, `ipcbuf: The value of "targetStart" is out of range. It must be >= 0. Received -1`},
		{0, 6, 5, `ipcbuf: The value of "sourceStart" is out of range. It must be >= 0 && <= 5. Received 6`},
		{0, 1 << 40, 5, `ipcbuf: The value of "sourceStart" is out of range. It must be >= 0 && <= 5. Received 1_099_511_627_776`},
		{0, 0, -(1 << 32), `ipcbuf: The value of "sourceEnd" is out of range. It must be >= 0. Received -4294967296`},
		{0, 0, -(1 << 32) - 1, `ipcbuf: The value of "sourceEnd" is out of range. It must be >= 0. Received -4_294_967_297`},
	} {
		_, err := src.Copy(dst, tc.ts, tc.ss, tc.se)
		qt.Assert(t, err, qt.ErrorMatches, tc.want)
		qt.Assert(t, err, qt.ErrorIs, ErrOutOfRange)
	}
	_, err := src.Copy(nil, 0, 0, 5)
	cfCode(t, err, "ERR_INVALID_ARG_TYPE", "nil target")
	_, err = src.Copy(&Buffer{}, 0, 0, 5)
	cfCode(t, err, "ERR_INVALID_ARG_TYPE", "zero target")
}

// Copies within one buffer and between views of one mapping are memmoves.
func TestCopyOverlap(t *testing.T) {
	for _, tc := range []struct {
		name          string
		ts, ss, se, n int
		after         string
	}{
		{"b.copy(b,2,0,5)", 2, 0, 5, 5, "0102010203040508"},
		{"b.copy(b,0,2,7)", 0, 2, 7, 5, "0304050607060708"},
		{"b.copy(b,0,0,8)", 0, 0, 8, 8, "0102030405060708"},
		{"b.copy(b,7,0,8)", 7, 0, 8, 1, "0102030405060701"},
		{"b.copy(b,1)", 1, 0, 8, 7, "0101020304050607"},
	} {
		b := cfBuf(t, "0102030405060708")
		n, err := b.Copy(b, tc.ts, tc.ss, tc.se)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, n, qt.Equals, tc.n, qt.Commentf(tc.name))
		if diff := cmp.Diff(tc.after, cfHex(b)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}

	// Two overlapping views of one shared buffer, both ways.
	p := cfShared(t, 4096)
	copy(p.Bytes(), []byte{1, 2, 3, 4, 5, 6, 7, 8})
	a, c := p.Slice(0, 6), p.Slice(2, 8)
	n, err := a.Copy(c, 0, 0, 6)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, n, qt.Equals, 6)
	qt.Assert(t, hex.EncodeToString(p.Bytes()[:8]), qt.Equals, "0102010203040506")

	copy(p.Bytes(), []byte{1, 2, 3, 4, 5, 6, 7, 8})
	n, err = c.Copy(a, 0, 0, 6)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, n, qt.Equals, 6)
	qt.Assert(t, hex.EncodeToString(p.Bytes()[:8]), qt.Equals, "0304050607080708")

	// A parent into its own view, and a large overlapping move.
	big := p.Slice(0, 4096)
	for i := range big.Bytes() {
		big.Bytes()[i] = byte(i * 7)
	}
	want := append([]byte(nil), big.Bytes()...)
	copy(want[3:], want[:4000])
	n, err = big.Copy(p.Slice(3, 4096), 0, 0, 4000)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, n, qt.Equals, 4000)
	qt.Assert(t, bytes.Equal(p.Bytes(), want), qt.IsTrue)
}

func TestCopyReadOnlyAndClosed(t *testing.T) {
	src := cfBuf(t, "0102030405")
	ro := cfReadOnly(t, "eeeeeeee")
	n, err := src.Copy(ro, 0, 0, 5)
	qt.Assert(t, err, qt.ErrorIs, ErrReadOnly)
	qt.Assert(t, n, qt.Equals, 0)
	qt.Assert(t, cfHex(ro), qt.Equals, "eeeeeeee")
	// A read-only source is fine.
	n, err = ro.Copy(src, 1, 0, 2)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, n, qt.Equals, 2)
	qt.Assert(t, cfHex(src), qt.Equals, "01eeee0405")
	// Copying a read-only buffer onto itself is still a write.
	_, err = ro.Copy(ro, 0, 1, 2)
	qt.Assert(t, err, qt.ErrorIs, ErrReadOnly)

	closed := cfBuf(t, "0102")
	qt.Assert(t, closed.Close(), qt.IsNil)
	_, err = closed.Copy(src, 0, 0, 2)
	qt.Assert(t, err, qt.ErrorIs, fs.ErrClosed)
	_, err = src.Copy(closed, 0, 0, 2)
	qt.Assert(t, err, qt.ErrorIs, fs.ErrClosed)
	_, err = closed.Copy(nil, 0, 0, 2)
	qt.Assert(t, err, qt.ErrorIs, fs.ErrClosed)
	qt.Assert(t, cfHex(src), qt.Equals, "01eeee0405")

	// A shared buffer opened read-only.
	if KindPOSIX.Supported() {
		name := fmt.Sprintf("ipcbuf-test-%d-copyro", os.Getpid())
		w, err := OpenShm(name, 8, Exclusive())
		qt.Assert(t, err, qt.IsNil)
		t.Cleanup(func() { w.Close(); RemoveShm(name) })
		r, err := OpenShm(name, 8, ReadOnly()) // 8: a Windows section opens at whole pages
		qt.Assert(t, err, qt.IsNil)
		t.Cleanup(func() { r.Close() })
		_, err = src.Copy(r, 0, 0, 5)
		qt.Assert(t, err, qt.ErrorIs, ErrReadOnly)
		qt.Assert(t, r.Bytes(), qt.DeepEquals, make([]byte, 8))
		qt.Assert(t, r.Fill(1, 0, 8, ""), qt.ErrorIs, ErrReadOnly)
		qt.Assert(t, r.Swap16(), qt.ErrorIs, ErrReadOnly)
		qt.Assert(t, r.Bytes(), qt.DeepEquals, make([]byte, 8))
	}
}

// WTF-8 for the lone surrogate U+D800.
const cfLoneHigh = "\xed\xa0\x80"

type cfNamedInt int16
type cfNamedString string
type cfNamedFloat float64
type cfNamedFloat32 float32
type cfNamedBytes []byte

// Node 20's buf.fill, row by row, and more. Node's
// fill(value, encoding) shape is Fill(value, 0, len, encoding).
func TestFillTable(t *testing.T) {
	for _, tc := range []struct {
		name        string
		before      string
		value       any
		offset, end int // end -1: the length
		enc         Encoding
		after       string
		code        string
	}{
		{"alloc(8,0xee).fill('ab€',1,7)", "eeeeeeeeeeeeeeee", "ab€", 1, 7, "", "ee6162e282ac61ee", ""},
		{"alloc(8).fill('ab€')", "0000000000000000", "ab€", 0, -1, "", "6162e282ac6162e2", ""},
		{"alloc(5).fill('€')", "0000000000", "€", 0, -1, "", "e282ace282", ""},
		{"alloc(2).fill('€')", "0000", "€", 0, -1, "", "e282", ""},
		{"alloc(1).fill('€')", "00", "€", 0, -1, "", "e2", ""},
		{"alloc(4,0xee).fill('😀',0,3)", "eeeeeeee", "😀", 0, 3, "", "f09f98ee", ""},
		{"alloc(4,0xee).fill('',1,3)", "eeeeeeee", "", 1, 3, "", "ee0000ee", ""},
		{"alloc(4,0xee).fill('',1,3,'hex')", "eeeeeeee", "", 1, 3, Hex, "ee0000ee", ""},
		{"alloc(6).fill('\\uD800')", "000000000000", cfLoneHigh, 0, -1, "", "efbfbdefbfbd", ""},
		{"alloc(6).fill('\\uD800','ucs2')", "000000000000", cfLoneHigh, 0, -1, "ucs2", "00d800d800d8", ""},
		{"alloc(5).fill('\\uD83D','utf8')", "0000000000", "\xed\xa0\xbd", 0, -1, UTF8, "efbfbdefbf", ""},
		{"alloc(5).fill('😀','latin1')", "0000000000", "😀", 0, -1, Latin1, "3d003d003d", ""},
		{"alloc(5).fill('é','ucs2')", "0000000000", "é", 0, -1, "ucs2", "e900e900e9", ""},
		{"alloc(3).fill('ab','ucs2')", "000000", "ab", 0, -1, "ucs2", "610062", ""},
		{"alloc(4).fill('abzz','hex')", "00000000", "abzz", 0, -1, Hex, "abababab", ""},
		{"alloc(4).fill('a1b2c','hex')", "00000000", "a1b2c", 0, -1, Hex, "a1b2a1b2", ""},
		{"alloc(5).fill('AQID','base64')", "0000000000", "AQID", 0, -1, Base64, "0102030102", ""},
		{"alloc(5).fill('aGk','base64url')", "0000000000", "aGk", 0, -1, Base64URL, "6869686968", ""},
		{"alloc(6).fill('Ł€','latin1')", "000000000000", "Ł€", 0, -1, Latin1, "41ac41ac41ac", ""},
		{"alloc(6).fill('Ł€','binary')", "000000000000", "Ł€", 0, -1, "binary", "41ac41ac41ac", ""},
		{"alloc(3).fill('Ł','ascii')", "000000", "Ł", 0, -1, ASCII, "414141", ""},
		{"alloc(3).fill('a','UTF-8')", "000000", "a", 0, -1, "UTF-8", "616161", ""},
		{"alloc(5).fill(Buffer 0102,1,4)", "0000000000", cfBuf(t, "0102"), 1, 4, "", "0001020100", ""},
		{"alloc(5).fill([]byte 0102,1,4)", "0000000000", []byte{1, 2}, 1, 4, "", "0001020100", ""},
		{"alloc(5).fill(Buffer 010203040506)", "0000000000", cfBuf(t, "010203040506"), 0, -1, "", "0102030405", ""},
		// Shapes that do nothing.
		{"alloc(4).fill('a',5)", "00000000", "a", 5, -1, "", "00000000", ""},
		{"alloc(4).fill('a',4)", "00000000", "a", 4, -1, "", "00000000", ""},
		{"alloc(4).fill('a',3,1)", "00000000", "a", 3, 1, "", "00000000", ""},
		{"alloc(4).fill('a',2**32)", "00000000", "a", 1 << 32, -1, "", "00000000", ""},
		{"alloc(4).fill('zz',2,2,'hex')", "00000000", "zz", 2, 2, Hex, "00000000", ""},
		{"alloc(4).fill(Buffer(0),4)", "00000000", []byte{}, 4, 4, "", "00000000", ""},
		// Errors, the buffer unchanged.
		{"alloc(4).fill(65,1,5)", "00000000", 65, 1, 5, "", "00000000", "ERR_OUT_OF_RANGE"},
		{"alloc(4).fill(65,-1)", "00000000", 65, -1, -1, "", "00000000", "ERR_OUT_OF_RANGE"},
		{"alloc(4).fill(65,0,-1)", "00000000", 65, 0, -2, "", "00000000", "ERR_OUT_OF_RANGE"},
		{"alloc(4).fill(65,2**32+1)", "00000000", 65, 1<<32 + 1, -1, "", "00000000", "ERR_OUT_OF_RANGE"},
		{"alloc(4).fill(65,2**32+1,9)", "00000000", 65, 1<<32 + 1, 9, "", "00000000", "ERR_OUT_OF_RANGE"},
		{"alloc(4).fill('zz','hex')", "00000000", "zz", 0, -1, Hex, "00000000", "ERR_INVALID_ARG_VALUE"},
		{"alloc(4).fill('a','hex')", "00000000", "a", 0, -1, Hex, "00000000", "ERR_INVALID_ARG_VALUE"},
		{"alloc(4).fill('!!','base64')", "00000000", "!!", 0, -1, Base64, "00000000", "ERR_INVALID_ARG_VALUE"},
		{"alloc(4).fill(Buffer(0))", "00000000", []byte{}, 0, -1, "", "00000000", "ERR_INVALID_ARG_VALUE"},
		{"alloc(4).fill(empty Buffer)", "00000000", cfBuf(t, ""), 0, -1, "", "00000000", "ERR_INVALID_ARG_VALUE"},
		{"alloc(4).fill('ab','bogus')", "00000000", "ab", 0, -1, "bogus", "00000000", "ERR_UNKNOWN_ENCODING"},
		{"alloc(4).fill('','bogus')", "00000000", "", 0, -1, "bogus", "00000000", "ERR_UNKNOWN_ENCODING"},
		{"alloc(4).fill('ab',9,4,'bogus')", "00000000", "ab", 9, 4, "bogus", "00000000", "ERR_UNKNOWN_ENCODING"},
		{"alloc(4).fill('ab',-1,4,'bogus')", "00000000", "ab", -1, 4, "bogus", "00000000", "ERR_UNKNOWN_ENCODING"},
		// Numbers: ToUint8; the encoding is ignored.
		{"fill(0x141)", "00000000", 0x141, 0, -1, "", "41414141", ""},
		{"fill(-1)", "00000000", -1, 0, -1, "", "ffffffff", ""},
		{"fill(256)", "eeeeeeee", 256, 0, -1, "", "00000000", ""},
		{"fill(257.9)", "00000000", 257.9, 0, -1, "", "01010101", ""},
		{"fill(-1.5)", "00000000", -1.5, 0, -1, "", "ffffffff", ""},
		{"fill(-0.5)", "eeeeeeee", -0.5, 0, -1, "", "00000000", ""},
		{"fill(1e10)", "eeeeeeee", 1e10, 0, -1, "", "00000000", ""},
		{"fill(1e300)", "eeeeeeee", 1e300, 0, -1, "", "00000000", ""},
		{"fill(-255.2)", "00000000", -255.2, 0, -1, "", "01010101", ""},
		{"fill(NaN)", "eeeeeeee", math.NaN(), 0, -1, "", "00000000", ""},
		{"fill(Infinity)", "eeeeeeee", math.Inf(1), 0, -1, "", "00000000", ""},
		{"fill(-Infinity)", "eeeeeeee", math.Inf(-1), 0, -1, "", "00000000", ""},
		{"fill(97,1,3,'bogus')", "00000000", 97, 1, 3, "bogus", "00616100", ""},
		{"fill([]byte,0,4,'bogus')", "00000000", []byte{7}, 0, 4, "bogus", "07070707", ""},
		{"fill(int8(-2))", "00000000", int8(-2), 0, -1, "", "fefefefe", ""},
		{"fill(int16(0x1234))", "00000000", int16(0x1234), 0, -1, "", "34343434", ""},
		{"fill(int32(-257))", "00000000", int32(-257), 0, -1, "", "ffffffff", ""},
		{"fill(int64(MinInt64))", "eeeeeeee", int64(math.MinInt64), 0, -1, "", "00000000", ""},
		{"fill(uint(7))", "00000000", uint(7), 0, -1, "", "07070707", ""},
		{"fill(byte(200))", "00000000", byte(200), 0, -1, "", "c8c8c8c8", ""},
		{"fill(uint16(0xffab))", "00000000", uint16(0xffab), 0, -1, "", "abababab", ""},
		{"fill(uint32(0x100))", "eeeeeeee", uint32(0x100), 0, -1, "", "00000000", ""},
		{"fill(uint64(MaxUint64))", "00000000", uint64(math.MaxUint64), 0, -1, "", "ffffffff", ""},
		{"fill(uintptr(3))", "00000000", uintptr(3), 0, -1, "", "03030303", ""},
		{"fill(rune('a'))", "00000000", 'a', 0, -1, "", "61616161", ""},
		{"fill(named int)", "00000000", cfNamedInt(-3), 0, -1, "", "fdfdfdfd", ""},
		{"fill(named float)", "00000000", cfNamedFloat(2.5), 0, -1, "", "02020202", ""},
		{"fill(named string)", "00000000", cfNamedString("ab"), 0, -1, "", "61626162", ""},
		{"fill(named bytes)", "00000000", cfNamedBytes{9, 8, 7}, 0, -1, "", "09080709", ""},
		{"fill(float32(257.9))", "00000000", float32(257.9), 0, -1, "", "01010101", ""},
		{"fill(float32(-1.5))", "00000000", float32(-1.5), 0, -1, "", "ffffffff", ""},
		{"fill(float32(NaN))", "eeeeeeee", float32(math.NaN()), 0, -1, "", "00000000", ""},
		{"fill(float32(1e38))", "eeeeeeee", float32(1e38), 0, -1, "", "00000000", ""},
		{"fill(named float32)", "00000000", cfNamedFloat32(98.5), 0, -1, "", "62626262", ""},
		// Integers beyond 2^53 are taken exactly: Node would round 2^53+1
		// to 2^53 first and fill with 0.
		{"fill(1<<53+1)", "00000000", 1<<53 + 1, 0, -1, "", "01010101", ""},
		// nil is Node's undefined, which fill takes as 0; the range is
		// checked, the encoding is not.
		{"fill(undefined)", "eeeeeeee", nil, 0, -1, "", "00000000", ""},
		{"fill(undefined,1,3,'bogus')", "eeeeeeee", nil, 1, 3, "bogus", "ee0000ee", ""},
		{"fill(undefined,3,1)", "eeeeeeee", nil, 3, 1, "", "eeeeeeee", ""},
		{"fill(undefined,-1)", "eeeeeeee", nil, -1, -1, "", "eeeeeeee", "ERR_OUT_OF_RANGE"},
		{"fill(undefined,0,5)", "eeeeeeee", nil, 0, 5, "", "eeeeeeee", "ERR_OUT_OF_RANGE"},
		// Types Fill does not take.
		{"fill(true)", "00000000", true, 0, -1, "", "00000000", "ERR_INVALID_ARG_TYPE"},
		{"fill(nil *Buffer)", "00000000", (*Buffer)(nil), 0, -1, "", "00000000", "ERR_INVALID_ARG_TYPE"},
		{"fill(zero Buffer)", "00000000", &Buffer{}, 0, -1, "", "00000000", "ERR_INVALID_ARG_TYPE"},
		{"fill(Buffer value)", "00000000", Buffer{}, 0, -1, "", "00000000", "ERR_INVALID_ARG_TYPE"},
		{"fill([]int)", "00000000", []int{1}, 0, -1, "", "00000000", "ERR_INVALID_ARG_TYPE"},
		{"fill(struct)", "00000000", struct{}{}, 0, -1, "", "00000000", "ERR_INVALID_ARG_TYPE"},
		{"fill(true,9,1)", "00000000", true, 9, 1, "", "00000000", "ERR_INVALID_ARG_TYPE"},
	} {
		b := cfBuf(t, tc.before)
		end := tc.end
		if end == -1 {
			end = b.Len()
		}
		err := b.Fill(tc.value, tc.offset, end, tc.enc)
		cfCode(t, err, tc.code, tc.name)
		if diff := cmp.Diff(tc.after, cfHex(b)); diff != "" {
			t.Errorf("%s: buffer after (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestFillMessages(t *testing.T) {
	b := cfBuf(t, "00000000")
	qt.Assert(t, b.Fill(1, -1, 4, ""), qt.ErrorMatches,
		`ipcbuf: The value of "offset" is out of range. It must be >= 0 && <= 4294967296. Received -1`)
	qt.Assert(t, b.Fill(1, 1<<32+1, 4, ""), qt.ErrorMatches,
		`ipcbuf: The value of "offset" is out of range. It must be >= 0 && <= 4294967296. Received 4_294_967_297`)
	qt.Assert(t, b.Fill(1, 0, 5, ""), qt.ErrorMatches,
		`ipcbuf: The value of "end" is out of range. It must be >= 0 && <= 4. Received 5`)
	qt.Assert(t, b.Fill(1, 0, math.MinInt64, ""), qt.ErrorMatches,
		`ipcbuf: The value of "end" is out of range. It must be >= 0 && <= 4. Received -9_223_372_036_854_775_808`)
	qt.Assert(t, b.Fill(1, 0, 5, ""), qt.ErrorIs, ErrOutOfRange)
	qt.Assert(t, b.Fill("zz", 0, 4, Hex), qt.ErrorIs, ErrInvalidArgValue)
	qt.Assert(t, b.Fill("x", 0, 4, "nope"), qt.ErrorIs, ErrUnknownEncoding)
	qt.Assert(t, b.Fill(true, 0, 4, ""), qt.ErrorMatches, `ipcbuf: The "value" argument must be .*Received type bool \(true\)`)
	qt.Assert(t, cfHex(b), qt.Equals, "00000000")
}

// A pattern that shares memory with the buffer it fills is read as it was
// before the fill, as in Node.
func TestFillOverlap(t *testing.T) {
	b := cfBuf(t, "0102030405060708")
	qt.Assert(t, b.Fill(b, 3, 8, ""), qt.IsNil)
	qt.Assert(t, cfHex(b), qt.Equals, "0102030102030405")

	b = cfBuf(t, "0102030405060708")
	qt.Assert(t, b.Fill(b.Slice(2, 8), 0, 8, ""), qt.IsNil)
	qt.Assert(t, cfHex(b), qt.Equals, "0304050607080304")

	b = cfBuf(t, "0102030405060708")
	qt.Assert(t, b.Fill(b.Slice(5, 7), 0, 8, ""), qt.IsNil)
	qt.Assert(t, cfHex(b), qt.Equals, "0607060706070607")

	b = cfBuf(t, "0102030405060708")
	qt.Assert(t, b.Fill(b.Bytes()[1:3], 2, 8, ""), qt.IsNil)
	qt.Assert(t, cfHex(b), qt.Equals, "0102020302030203")

	// Views of one shared buffer: a pattern inside the range it fills.
	p := cfShared(t, 4096)
	copy(p.Bytes(), "abcdefgh")
	dst, pat := p.Slice(0, 4096), p.Slice(2, 5)
	qt.Assert(t, dst.Fill(pat, 1, 4096, ""), qt.IsNil)
	want := "a" + strings.Repeat("cde", 4095/3)
	qt.Assert(t, string(p.Bytes()), qt.Equals, want)
}

func TestFillReadOnlyAndClosed(t *testing.T) {
	ro := cfReadOnly(t, "eeeeeeee")
	for _, v := range []any{1, "ab", []byte{1}, cfBuf(t, "01"), ro, true} {
		qt.Assert(t, ro.Fill(v, 0, 8, ""), qt.ErrorIs, ErrReadOnly, qt.Commentf("%T", v))
		qt.Assert(t, ro.Fill(v, 8, 8, ""), qt.ErrorIs, ErrReadOnly, qt.Commentf("%T", v))
	}
	qt.Assert(t, cfHex(ro), qt.Equals, "eeeeeeee")
	// A read-only pattern is fine.
	b := cfBuf(t, "0000")
	qt.Assert(t, b.Fill(ro, 0, 2, ""), qt.IsNil)
	qt.Assert(t, cfHex(b), qt.Equals, "eeee")

	closed := cfBuf(t, "0102")
	qt.Assert(t, closed.Close(), qt.IsNil)
	for _, v := range []any{1, "ab", []byte{1}, b, closed, true, nil, (*Buffer)(nil)} {
		qt.Assert(t, closed.Fill(v, 0, 2, "bogus"), qt.ErrorIs, fs.ErrClosed, qt.Commentf("%T", v))
	}
	qt.Assert(t, b.Fill(closed, 0, 2, ""), qt.ErrorIs, fs.ErrClosed)
	qt.Assert(t, cfHex(b), qt.Equals, "eeee")
}

// A large fill with an odd-length pattern, past the doubling chunk.
func TestFillLarge(t *testing.T) {
	const n = 3*fillChunk + 12345
	b, err := Alloc(n)
	qt.Assert(t, err, qt.IsNil)
	for _, pat := range []string{"a", "xyz", strings.Repeat("0123456789", 7000)} {
		qt.Assert(t, b.Fill(pat, 7, n-3, ""), qt.IsNil)
		mem := b.Bytes()
		for i := 7; i < n-3; i++ {
			if mem[i] != pat[(i-7)%len(pat)] {
				t.Fatalf("pattern of %d bytes: byte %d is %q", len(pat), i, mem[i])
			}
		}
	}
	qt.Assert(t, b.Fill(0, 0, n, ""), qt.IsNil)
	qt.Assert(t, bytes.Count(b.Bytes(), []byte{0}), qt.Equals, n)
}

// Node's 4.6 examples, the size errors, and long buffers against a plain
// byte-by-byte swap.
func TestSwap(t *testing.T) {
	for _, tc := range []struct {
		name   string
		swap   func(*Buffer) error
		before string
		after  string
		code   string
		msg    string
	}{
		{"swap16", (*Buffer).Swap16, "0102030405060708", "0201040306050807", "", ""},
		{"swap32", (*Buffer).Swap32, "0102030405060708", "0403020108070605", "", ""},
		{"swap64", (*Buffer).Swap64, "0102030405060708", "0807060504030201", "", ""},
		{"swap16 empty", (*Buffer).Swap16, "", "", "", ""},
		{"swap32 empty", (*Buffer).Swap32, "", "", "", ""},
		{"swap64 empty", (*Buffer).Swap64, "", "", "", ""},
		{"swap16 2", (*Buffer).Swap16, "0102", "0201", "", ""},
		{"swap32 12", (*Buffer).Swap32, "0102030405060708090a0b0c", "04030201080706050c0b0a09", "", ""},
		{"swap16 odd", (*Buffer).Swap16, "010203", "010203", "ERR_INVALID_BUFFER_SIZE", "Buffer size must be a multiple of 16-bits"},
		{"swap32 6", (*Buffer).Swap32, "010203040506", "010203040506", "ERR_INVALID_BUFFER_SIZE", "Buffer size must be a multiple of 32-bits"},
		{"swap64 12", (*Buffer).Swap64, "0102030405060708090a0b0c", "0102030405060708090a0b0c", "ERR_INVALID_BUFFER_SIZE", "Buffer size must be a multiple of 64-bits"},
		{"swap64 1", (*Buffer).Swap64, "01", "01", "ERR_INVALID_BUFFER_SIZE", "Buffer size must be a multiple of 64-bits"},
	} {
		b := cfBuf(t, tc.before)
		err := tc.swap(b)
		cfCode(t, err, tc.code, tc.name)
		if tc.msg != "" {
			qt.Assert(t, err, qt.ErrorMatches, "ipcbuf: "+tc.msg)
			qt.Assert(t, err, qt.ErrorIs, ErrInvalidBufferSize)
		}
		if diff := cmp.Diff(tc.after, cfHex(b)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}

	for _, size := range []int{2, 4, 8} {
		for _, n := range []int{size, 3 * size, 8 * size, 13 * size, 1000 * size} {
			orig := make([]byte, n)
			for i := range orig {
				orig[i] = byte(i*31 + n)
			}
			b := cfBuf(t, hex.EncodeToString(orig))
			var err error
			switch size {
			case 2:
				err = b.Swap16()
			case 4:
				err = b.Swap32()
			case 8:
				err = b.Swap64()
			}
			qt.Assert(t, err, qt.IsNil)
			want := append([]byte(nil), orig...)
			for i := 0; i < n; i += size {
				for j := 0; j < size; j++ {
					want[i+j] = orig[i+size-1-j]
				}
			}
			qt.Assert(t, bytes.Equal(b.Bytes(), want), qt.IsTrue, qt.Commentf("swap%d of %d bytes", 8*size, n))
		}
	}

	// Swapping a view swaps only its bytes.
	p := cfShared(t, 4096)
	copy(p.Bytes(), []byte{1, 2, 3, 4, 5, 6, 7, 8})
	qt.Assert(t, p.Slice(2, 6).Swap32(), qt.IsNil)
	qt.Assert(t, hex.EncodeToString(p.Bytes()[:8]), qt.Equals, "0102060504030708")
}

func TestSwapReadOnlyAndClosed(t *testing.T) {
	ro := cfReadOnly(t, "0102030405060708")
	for _, swap := range []func(*Buffer) error{(*Buffer).Swap16, (*Buffer).Swap32, (*Buffer).Swap64} {
		qt.Assert(t, swap(ro), qt.ErrorIs, ErrReadOnly)
	}
	qt.Assert(t, cfHex(ro), qt.Equals, "0102030405060708")
	closed := cfBuf(t, "010203")
	qt.Assert(t, closed.Close(), qt.IsNil)
	for _, swap := range []func(*Buffer) error{(*Buffer).Swap16, (*Buffer).Swap32, (*Buffer).Swap64} {
		qt.Assert(t, swap(closed), qt.ErrorIs, fs.ErrClosed)
	}
}

// cfEdges are integer arguments at and beyond every limit.
var cfEdges = []int{math.MinInt, math.MinInt + 1, -(1 << 32) - 1, -2, -1, 0, 1, 3, 4, 5, 6, 1<<32 - 1, 1 << 32, 1<<32 + 1, math.MaxInt - 1, math.MaxInt}

// No argument makes Copy or Fill panic, and an error leaves every buffer as
// it was.
func TestCopyFillEdgesNoPanic(t *testing.T) {
	for _, ts := range cfEdges {
		for _, ss := range cfEdges {
			for _, se := range cfEdges {
				src, dst := cfBuf(t, "0102030405"), cfBuf(t, "eeeeeeee")
				n, err := src.Copy(dst, ts, ss, se)
				if err != nil {
					qt.Assert(t, cfHex(dst), qt.Equals, "eeeeeeee")
					qt.Assert(t, n, qt.Equals, 0)
				} else if n < 0 || n > 4 {
					t.Fatalf("Copy(%d, %d, %d) = %d", ts, ss, se, n)
				}
				b := cfBuf(t, "0102030405")
				_, err = b.Copy(b, ts, ss, se)
				if err != nil {
					qt.Assert(t, cfHex(b), qt.Equals, "0102030405")
				}
			}
		}
	}
	for _, off := range cfEdges {
		for _, end := range cfEdges {
			for _, v := range []any{"ab", "zz", 7, -1.5, []byte{1, 2, 3}, []byte{}, true} {
				for _, enc := range []Encoding{"", Hex, "bogus"} {
					b := cfBuf(t, "eeeeeeee")
					err := b.Fill(v, off, end, enc)
					if err != nil {
						qt.Assert(t, cfHex(b), qt.Equals, "eeeeeeee")
						continue
					}
					if off >= end && cfHex(b) != "eeeeeeee" {
						t.Fatalf("Fill(%v, %d, %d, %q) with offset >= end wrote %s", v, off, end, enc, cfHex(b))
					}
				}
			}
		}
	}
}

// FuzzFill fills a random buffer with a random value: no panic; on an error
// the buffer is unchanged; on success every byte in [offset, end) follows
// the pattern and the bytes outside are untouched.
func FuzzFill(f *testing.F) {
	f.Add([]byte("\xee\xee\xee\xee\xee\xee\xee\xee"), uint8(0), "ab€", int64(0), 0.0, 1, 7, uint8(1))
	f.Add([]byte("\x00\x00\x00\x00\x00"), uint8(0), "AQID", int64(0), 0.0, 0, 5, uint8(6))
	f.Add([]byte("\x00\x00\x00\x00"), uint8(0), "zz", int64(0), 0.0, 0, 4, uint8(8))
	f.Add([]byte("\x00\x00\x00\x00"), uint8(1), "", int64(0), 0.0, 0, 4, uint8(0))
	f.Add([]byte("\x00\x00\x00\x00"), uint8(2), "", int64(-1), 0.0, 1, 3, uint8(0))
	f.Add([]byte("\x00\x00\x00\x00"), uint8(3), "", int64(0), -1.5, 0, 4, uint8(0))
	f.Add([]byte("\x01\x02\x03\x04\x05\x06"), uint8(4), "", int64(2), 0.0, 1, 6, uint8(0))
	f.Add([]byte("\x00\x00\x00\x00"), uint8(0), "\xed\xa0\x80", int64(0), 0.0, 0, 4, uint8(11))
	f.Add([]byte{}, uint8(0), "a", int64(0), 0.0, 1<<32, 0, uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, kind uint8, s string, num int64, fl float64, offset, end int, encIdx uint8) {
		if len(data) > 1<<16 {
			return
		}
		b, err := Alloc(len(data))
		if err != nil {
			t.Fatal(err)
		}
		copy(b.Bytes(), data)
		enc := Encoding(encodingArgs[int(encIdx)%len(encodingArgs)])
		var value any
		var pat []byte // the pattern a successful fill must follow
		switch kind % 6 {
		case 0:
			value = s
			if e, err := encodingOrUTF8(string(enc)); err == nil {
				pat = encodeString(e, s)
				if s == "" {
					pat = []byte{0}
				}
			}
		case 1:
			value, pat = []byte(s), []byte(s)
		case 2:
			value, pat = num, []byte{byte(num)}
		case 3:
			value, pat = fl, []byte{toUint8(fl)}
		case 4: // a view of b itself, as it was before the fill
			start := int(uint64(num) % uint64(len(data)+1))
			view := b.Slice(start, len(data))
			value, pat = view, append([]byte(nil), view.Bytes()...)
		case 5:
			value = kind
			pat = []byte{kind}
		}
		err = b.Fill(value, offset, end, enc)
		got := b.Bytes()
		if err != nil {
			if !bytes.Equal(got, data) {
				t.Fatalf("Fill(%v, %d, %d, %q) failed (%v) and changed the buffer", value, offset, end, enc, err)
			}
			return
		}
		if offset >= end {
			if !bytes.Equal(got, data) {
				t.Fatalf("Fill with offset %d >= end %d changed the buffer", offset, end)
			}
			return
		}
		if len(pat) == 0 {
			t.Fatalf("Fill(%v, %d, %d, %q) succeeded with an empty pattern", value, offset, end, enc)
		}
		for i := range got {
			want := data[i]
			if i >= offset && i < end {
				want = pat[(i-offset)%len(pat)]
			}
			if got[i] != want {
				t.Fatalf("Fill(%v, %d, %d, %q): byte %d is %#x, want %#x", value, offset, end, enc, i, got[i], want)
			}
		}
	})
}

func BenchmarkFill(b *testing.B) {
	buf, _ := Alloc(64 << 20)
	for _, pat := range []any{0, 0x61, "abc", strings.Repeat("x", 1000)} {
		b.Run(fmt.Sprintf("%T%.3v", pat, pat), func(b *testing.B) {
			b.SetBytes(int64(buf.Len()))
			for range b.N {
				if err := buf.Fill(pat, 0, buf.Len(), ""); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSwap(b *testing.B) {
	buf, _ := Alloc(1 << 20)
	for _, s := range []struct {
		name string
		f    func(*Buffer) error
	}{{"16", (*Buffer).Swap16}, {"32", (*Buffer).Swap32}, {"64", (*Buffer).Swap64}} {
		b.Run(s.name, func(b *testing.B) {
			b.SetBytes(int64(buf.Len()))
			for range b.N {
				s.f(buf)
			}
		})
	}
}
