package ipcbuf

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	qt "github.com/frankban/quicktest"
	"github.com/google/go-cmp/cmp"
)

// searchBuf returns a memory buffer holding s.
func searchBuf(t testing.TB, s string) *Buffer {
	t.Helper()
	b, err := Alloc(len(s))
	if err != nil {
		t.Fatal(err)
	}
	copy(b.Bytes(), s)
	return b
}

// searchDefault stands for Node's undefined byteOffset in searchRow: 0 for
// indexOf, the length for lastIndexOf.
const searchDefault = math.MinInt + 12345

// A searchRow is one line of Node 20's indexOf results: a haystack, a
// call, and what indexOf and lastIndexOf return for it.
type searchRow struct {
	hay         string
	value       any
	off         int
	enc         Encoding
	first, last int
}

func (r searchRow) String() string {
	v := fmt.Sprintf("%#v", r.value)
	if s, ok := r.value.(string); ok {
		v = fmt.Sprintf("%+q", s)
	}
	off := fmt.Sprint(r.off)
	if r.off == searchDefault {
		off = "undefined"
	}
	return fmt.Sprintf("Buffer(%+q).indexOf(%s, %s, %q)", r.hay, v, off, r.enc)
}

func checkSearchRows(t *testing.T, rows []searchRow) {
	t.Helper()
	for _, row := range rows {
		b := searchBuf(t, row.hay)
		value := row.value
		if p, ok := value.(searchNeedleBuf); ok {
			value = searchBuf(t, string(p))
		}
		fwd, back := row.off, row.off
		if row.off == searchDefault {
			fwd, back = 0, b.Len()
		}
		first, err := b.IndexOf(value, fwd, row.enc)
		qt.Assert(t, err, qt.IsNil, qt.Commentf("%s", row))
		last, err := b.LastIndexOf(value, back, row.enc)
		qt.Assert(t, err, qt.IsNil, qt.Commentf("%s", row))
		found, err := b.Includes(value, fwd, row.enc)
		qt.Assert(t, err, qt.IsNil, qt.Commentf("%s", row))
		want := []int{row.first, row.last}
		if diff := cmp.Diff(want, []int{first, last}); diff != "" {
			t.Errorf("%s: [indexOf lastIndexOf] (-want +got):\n%s", row, diff)
		}
		qt.Check(t, found, qt.Equals, row.first != -1, qt.Commentf("includes: %s", row))
	}
}

// searchNeedleBuf in a row's value is made into a *Buffer holding it.
type searchNeedleBuf string

const searchAbc = "abcabcabc"

// Node 20's indexOf and lastIndexOf on abcabcabc, plus the extremes of
// Go's int.
var searchAbcRows = []searchRow{
	{searchAbc, "b", searchDefault, "", 1, 7},
	{searchAbc, "b", 2, "", 4, 1},
	{searchAbc, "b", -1, "", -1, 7},
	{searchAbc, "b", -3, "", 7, 4},
	{searchAbc, "b", -100, "", 1, -1},
	{searchAbc, "b", 100, "", -1, 7},
	{searchAbc, "", searchDefault, "", 0, 9},
	{searchAbc, "", 5, "", 5, 5},
	{searchAbc, "", 100, "", 9, 9},
	{searchAbc, "", -1, "", 8, 8},
	{searchAbc, "", -100, "", 0, 0},
	{searchAbc, "abc", 1, "", 3, 0},
	{searchAbc, "b", 0, "", 1, -1}, // ('b', null): null is 0
	{searchAbc, 0x62 + 256, searchDefault, "", 1, 7},
	{searchAbc, []byte("bc"), 2, "", 4, 1},
	{searchAbc, searchNeedleBuf("bc"), 2, "", 4, 1},
	{searchAbc, "YmM=", searchDefault, Base64, 1, 7},
	{searchAbc, "626", searchDefault, Hex, 1, 7},
	{searchAbc, "zz", searchDefault, Hex, 0, 9}, // an empty needle
	{searchAbc, "bc", searchDefault, "ucs2", -1, -1},
	{searchAbc, "b", math.MinInt, "", 1, -1},
	{searchAbc, "b", math.MaxInt, "", -1, 7},
	{searchAbc, "", math.MinInt, "", 0, 0},
	{searchAbc, "", math.MaxInt, "", 9, 9},
	{searchAbc, "b", -1 << 31, "", 1, -1},
	{searchAbc, "b", 1<<31 - 1, "", -1, 7},
	{searchAbc, []byte{}, 4, "", 4, 4},
	{searchAbc, []byte(nil), -2, "", 7, 7},
	{searchAbc, searchNeedleBuf(""), 100, "", 9, 9},
	{searchAbc, "abcabcabcx", searchDefault, "", -1, -1},
	{searchAbc, "abcabcabc", searchDefault, "", 0, 0},
	{searchAbc, "abcabcabc", 1, "", -1, 0},
	{searchAbc, "c", 8, "", 8, 8},
	{searchAbc, "c", 7, "", 8, 5},
	{searchAbc, "bca", -1, "", -1, 4},
}

// The other examples of 4.2: empty buffers, empty needles, 'a€b€' and the
// utf16le rules.
var searchEdgeRows = []searchRow{
	{"", "", searchDefault, "", 0, 0},
	{"", "", 1, "", 0, 0},
	{"", "", -1, "", 0, 0},
	{"", 0, searchDefault, "", -1, -1},
	{"", "a", searchDefault, "", -1, -1},
	{"", []byte("a"), searchDefault, "", -1, -1},
	{"aaaa", "a", -5, "", 0, -1},
	{"aaaa", "", -5, "", 0, 0},
	{"aaaa", "a", 4, "", -1, 3},
	{"abc", "a", -3, "", 0, 0},
	{"abc", "a", -4, "", 0, -1},
	{"a€b€", "€", searchDefault, "", 1, 5},
	{"a€b€", "€", 4, "", 5, 1},
	{"a€b€", "€", 2, "", 5, 1},
	{"a€b€", "€", -3, "", 5, 5},
	{"a€b€", "€", 1, "", 1, 1},
	{"a€b€", "\xe2\x82", 0, Latin1, -1, -1}, // U+FFFD ×1 in latin1 is FD
	{"a€b€", "\xe2\x82", 0, UTF8, -1, -1},   // one U+FFFD: EF BF BD
	// utf16le: unit-aligned, string needles round the haystack down.
	{"a\x00a\x00a\x00", "a", 1, "ucs2", 0, 0},
	{"a\x00a\x00a\x00", "a", 3, UTF16LE, 2, 2},
	{"a\x00a\x00a\x00", "a", searchDefault, "UCS-2", 0, 4},
	{"a\x00a\x00a\x00a", "a", 100, "utf-16le", -1, 4},
	{"a\x00a\x00a", "", 100, UTF16LE, 4, 4},
	{"a\x00a\x00a", searchNeedleBuf(""), 100, UTF16LE, 5, 5},
	{"\x00a\x00b", []byte("a\x00"), 0, "ucs2", -1, -1},
	{"\x00a\x00b", []byte("a\x00"), 0, "", 1, -1},
	{"\x00a\x00b", []byte("a\x00"), searchDefault, "", 1, 1},
	{"\x00a\x00b", "a", 0, "ucs2", -1, -1},
	{"abc", "a", searchDefault, "ucs2", -1, -1},
	{"a\x00b\x00", []byte("b\x00c"), searchDefault, "ucs2", 2, 2}, // the odd last byte of the needle is not compared
	{"a\x00b\x00", []byte("b\x00c"), 2, "ucs2", -1, 2},            // but counts in the bounds: 2+3 > 4
	{"a\x00b\x00c", []byte("b\x00c"), searchDefault, "ucs2", 2, 2},
	{"a\x00b\x00c", []byte("b"), searchDefault, "ucs2", -1, -1}, // needles under 2 bytes never match
	{"a", "a", searchDefault, "ucs2", -1, -1},
	{"aaab", []byte("aa"), searchDefault, "ucs2", 0, 0}, // backwards past the odd match at 1 to the even one at 0
	{"baaa", "a", searchDefault, "ucs2", -1, -1},
	{"baaa", []byte("aa"), searchDefault, "ucs2", 2, 2}, // just after the odd match at 1
	// Long runs of odd matches before the even one.
	{"x" + strings.Repeat("ab", 40) + "xab", "\u6261", searchDefault, "ucs2", 82, 82},
	{"abx" + strings.Repeat("ab", 40), []byte("ab"), searchDefault, "ucs2", 0, 0},
	// Node returns 4 for both here (the odd-haystack bug); see IndexOf.
	{"\x01\x02\x03\x04\x05", []byte{0xaa, 0xbb}, 0, "ucs2", -1, -1},
	{"\x01\x02\x03\x04\x05", searchNeedleBuf("\xaa\xbb"), searchDefault, "ucs2", -1, -1},
	// A lone surrogate in a utf8 string needle is searched for as WTF-8.
	{"a\xed\xa0\x80b", "\xed\xa0\x80", searchDefault, "", 1, 1},
	{"a\xef\xbf\xbdb", "\xed\xa0\x80", searchDefault, "", -1, -1},
	{"a\xef\xbf\xbdb", "\xff", searchDefault, "", 1, 1},
	{"\xf0\x90\x80\x80", "\xed\xa0\x80\xed\xb0\x80", searchDefault, "", 0, 0},
	{"\xed\xa0\x80\xed\xb0\x80", "\xed\xa0\x80\xed\xb0\x80", searchDefault, "", -1, -1},
	// latin1 and ascii take the low byte of each code unit.
	{"\xe9\x3d\x00", "é", searchDefault, ASCII, 0, 0},
	{"\xe9\x3d\x00", "😀", searchDefault, "binary", 1, 1},
	{"\x00\xac", "€", searchDefault, Latin1, 1, 1},
	{"\xff\xfe", "/w", searchDefault, Base64URL, 0, 0},
	{"\xff\xfe", "_w", searchDefault, Base64, 0, 0},
	{"\xab\xcd", "ABCD", searchDefault, "HEX", 0, 0},
}

const searchNumHay = "\x00abc\xffb"

// Number needles search for the low byte of ToUint32(value).
var searchNumberRows = []searchRow{
	{searchNumHay, -1, searchDefault, "", 4, 4},
	{searchNumHay, 354, searchDefault, "", 2, 5},
	{searchNumHay, 98.7, searchDefault, "", 2, 5},
	{searchNumHay, math.NaN(), searchDefault, "", 0, 0},
	{searchNumHay, math.Inf(1), searchDefault, "", 0, 0},
	{searchNumHay, math.Inf(-1), searchDefault, "", 0, 0},
	{searchNumHay, -158.0, searchDefault, "", 2, 5},
	{searchNumHay, 1e300, searchDefault, "", 0, 0},
	{searchNumHay, -0.5, searchDefault, "", 0, 0},
	{searchNumHay, 255.99, searchDefault, "", 4, 4},
	{searchNumHay, -255.5, searchDefault, "", -1, -1},
	{searchNumHay, float64(1<<32 + 98), searchDefault, "", 2, 5},
	{searchNumHay, int64(-1<<40 + 0x61), searchDefault, "", 1, 1},
	{searchNumHay, int8(-1), searchDefault, "", 4, 4},
	{searchNumHay, int16(0x162), searchDefault, "", 2, 5},
	{searchNumHay, int32('c'), searchDefault, "", 3, 3},
	{searchNumHay, uint(0x100), searchDefault, "", 0, 0},
	{searchNumHay, uint8(0xff), searchDefault, "", 4, 4},
	{searchNumHay, uint16(0xff62), searchDefault, "", 2, 5},
	{searchNumHay, uint32(0xffffff61), searchDefault, "", 1, 1},
	{searchNumHay, uint64(math.MaxUint64), searchDefault, "", 4, 4},
	{searchNumHay, uintptr(0x63), searchDefault, "", 3, 3},
	{searchNumHay, 'b', 3, "", 5, 2},
	{searchNumHay, 'b', -1, "", 5, 5},
	{searchNumHay, 'b', 6, "", -1, 5},
	{searchNumHay, 'b', -7, "", 2, -1},
	{searchNumHay, 0x62, 0, "bogus", 2, -1}, // the encoding is ignored
	{searchNumHay, 0x62, 0, "ucs2", 2, -1},
}

func searchCode(err error) string {
	var nerr *Error
	if errors.As(err, &nerr) {
		return nerr.Code
	}
	return fmt.Sprintf("no code: %v", err)
}

// The number needles Node has no Go type for, and the two places where the
// searches take what Node refuses or rounds (see IndexOf).
func TestSearchFloat32AndExact(t *testing.T) {
	b := searchBuf(t, "a\x00b\x01\xff")
	type f32 float32
	for _, tc := range []struct {
		value any
		want  int
	}{
		{float32(98), 2},
		{float32(98.75), 2},
		{float32(354), 2}, // 354 mod 256 is 'b'
		{float32(-1), 4},
		{float32(math.NaN()), 1},
		{float32(math.Inf(-1)), 1},
		{f32(97), 0},
		{1<<53 + 1, 3},         // Node: 2**53+1 is 2**53, byte 0, found at 1
		{uint64(1<<64 - 1), 4}, // low byte 0xff, exactly
	} {
		got, err := b.IndexOf(tc.value, 0, "")
		qt.Check(t, err, qt.IsNil, qt.Commentf("%T(%v)", tc.value, tc.value))
		qt.Check(t, got, qt.Equals, tc.want, qt.Commentf("IndexOf(%T(%v))", tc.value, tc.value))
		last, err := b.LastIndexOf(tc.value, b.Len(), "")
		qt.Check(t, err, qt.IsNil)
		qt.Check(t, last, qt.Equals, tc.want, qt.Commentf("LastIndexOf(%T(%v))", tc.value, tc.value))
		in, err := b.Includes(tc.value, 0, "")
		qt.Check(t, err, qt.IsNil)
		qt.Check(t, in, qt.IsTrue)
	}
	// "" is utf8 for a string needle, where Node throws.
	for _, f := range []func() (any, error){
		func() (any, error) { return b.IndexOf("b", 0, "") },
		func() (any, error) { return b.LastIndexOf("b", 5, "") },
	} {
		got, err := f()
		qt.Check(t, err, qt.IsNil)
		qt.Check(t, got, qt.Equals, 2)
	}
	in, err := b.Includes("b", 0, "")
	qt.Check(t, err, qt.IsNil)
	qt.Check(t, in, qt.IsTrue)
}

func TestSearchErrors(t *testing.T) {
	b := searchBuf(t, "abcabc")
	type weird struct{ x int }
	for _, tc := range []struct {
		value any
		enc   Encoding
		code  string
	}{
		{nil, "", "ERR_INVALID_ARG_TYPE"},
		{true, "", "ERR_INVALID_ARG_TYPE"},
		{[]int{1}, "", "ERR_INVALID_ARG_TYPE"},
		{weird{1}, "", "ERR_INVALID_ARG_TYPE"},
		{(*Buffer)(nil), "", "ERR_INVALID_ARG_TYPE"},
		{Buffer{}, "", "ERR_INVALID_ARG_TYPE"},
		{UTF8, "", "ERR_INVALID_ARG_TYPE"}, // a named string type is not a string
		{"b", "bogus", "ERR_UNKNOWN_ENCODING"},
		{"", "bogus", "ERR_UNKNOWN_ENCODING"},
		{"b", "utf16", "ERR_UNKNOWN_ENCODING"},
		{"b", " utf8", "ERR_UNKNOWN_ENCODING"},
	} {
		for _, call := range []struct {
			name string
			f    func() error
		}{
			{"IndexOf", func() error { _, err := b.IndexOf(tc.value, 0, tc.enc); return err }},
			{"LastIndexOf", func() error { _, err := b.LastIndexOf(tc.value, 6, tc.enc); return err }},
			{"Includes", func() error { _, err := b.Includes(tc.value, 0, tc.enc); return err }},
		} {
			err := call.f()
			qt.Check(t, searchCode(err), qt.Equals, tc.code, qt.Commentf("%s(%#v, %q)", call.name, tc.value, tc.enc))
		}
	}
	// Unknown encodings are ignored for byte needles.
	for _, v := range []any{[]byte("b"), searchBuf(t, "b")} {
		i, err := b.IndexOf(v, 0, "bogus")
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, i, qt.Equals, 1)
	}
	// The returned values on error.
	i, _ := b.IndexOf(nil, 0, "")
	qt.Assert(t, i, qt.Equals, -1)
	ok, _ := b.Includes(nil, 0, "")
	qt.Assert(t, ok, qt.IsFalse)
}

func TestSearchClosed(t *testing.T) {
	b := searchBuf(t, "abc")
	needle := searchBuf(t, "b")
	qt.Assert(t, needle.Close(), qt.IsNil)
	_, err := b.IndexOf(needle, 0, "")
	qt.Assert(t, err, qt.ErrorIs, fs.ErrClosed)
	_, err = b.LastIndexOf(needle, 3, "")
	qt.Assert(t, err, qt.ErrorIs, fs.ErrClosed)

	qt.Assert(t, b.Close(), qt.IsNil)
	for _, v := range []any{"b", []byte("b"), 98, searchBuf(t, "b"), nil, (*Buffer)(nil), true} {
		_, err := b.IndexOf(v, 0, "")
		qt.Check(t, err, qt.ErrorIs, fs.ErrClosed, qt.Commentf("IndexOf(%#v)", v))
		_, err = b.LastIndexOf(v, 3, "bogus")
		qt.Check(t, err, qt.ErrorIs, fs.ErrClosed, qt.Commentf("LastIndexOf(%#v)", v))
		_, err = b.Includes(v, 0, "")
		qt.Check(t, err, qt.ErrorIs, fs.ErrClosed, qt.Commentf("Includes(%#v)", v))
	}
	// Searching a buffer with itself as the needle, closed.
	_, err = b.IndexOf(b, 0, "")
	qt.Assert(t, err, qt.ErrorIs, fs.ErrClosed)
}

// Views of one buffer as haystack and needle: they share a mapping, so
// acquirePair takes its lock once.
func TestSearchViews(t *testing.T) {
	parent := searchBuf(t, "xxabcabcabcxx")
	hay := parent.Slice(2, 11) // abcabcabc
	for _, tc := range []struct {
		needle      *Buffer
		off         int
		first, last int
	}{
		{parent.Slice(3, 5), 0, 1, -1},  // bc, overlapping the haystack
		{parent.Slice(3, 5), 9, -1, 7},  // from the end
		{parent.Slice(0, 2), 0, -1, -1}, // xx lies outside the view
		{parent.Slice(10, 12), 9, -1, -1},
		{hay, 0, 0, 0},
		{hay.Slice(3, 9), 1, 3, 0}, // abcabc
		{hay.Slice(3, 9), 3, 3, 3},
		{hay.Slice(0, 0), 4, 4, 4},
		{parent, 0, -1, -1},
	} {
		first, err := hay.IndexOf(tc.needle, tc.off, "")
		qt.Assert(t, err, qt.IsNil)
		last, err := hay.LastIndexOf(tc.needle, tc.off, "")
		qt.Assert(t, err, qt.IsNil)
		if diff := cmp.Diff([]int{tc.first, tc.last}, []int{first, last}); diff != "" {
			t.Errorf("needle %q from %d (-want +got):\n%s", tc.needle.Bytes(), tc.off, diff)
		}
	}
	// A search of a closed view's memory fails through any view.
	other := parent.Slice(0, 1)
	qt.Assert(t, other.Close(), qt.IsNil)
	_, err := hay.IndexOf(parent.Slice(3, 5), 0, "")
	qt.Assert(t, err, qt.ErrorIs, fs.ErrClosed)
}

// Node 20's buf.compare examples and its argument rules.
func TestCompareRange(t *testing.T) {
	src := searchBuf(t, "\x01\x02\x03\x04\x05")
	tgt := searchBuf(t, "\x02\x03\x04\x05\x06")
	const big = 1 << 32
	for _, tc := range []struct {
		args [4]int // targetStart, targetEnd, sourceStart, sourceEnd
		want int
		code string
	}{
		{[4]int{0, 5, 0, 5}, -1, ""}, // ()
		{[4]int{0, 0, 0, 5}, 1, ""},  // (0, 0)
		{[4]int{0, 0, 0, 0}, 0, ""},  // (0, 0, 0, 0)
		{[4]int{5, 5, 0, 5}, 1, ""},  // (5)
		{[4]int{10, 5, 0, 5}, 1, ""}, // (10)
		{[4]int{0, 6, 0, 5}, 0, "ERR_OUT_OF_RANGE"},
		{[4]int{0, 5, 6, 5}, -1, ""}, // sourceStart 6 >= sourceEnd 5
		{[4]int{0, 5, 0, 6}, 0, "ERR_OUT_OF_RANGE"},
		{[4]int{-1, 5, 0, 5}, 0, "ERR_OUT_OF_RANGE"},
		{[4]int{0, -1, 0, 5}, 0, "ERR_OUT_OF_RANGE"},
		{[4]int{0, 5, -1, 5}, 0, "ERR_OUT_OF_RANGE"},
		{[4]int{0, 5, 0, -1}, 0, "ERR_OUT_OF_RANGE"},
		{[4]int{big, 5, 0, 5}, 1, ""},
		{[4]int{big + 1, 5, 0, 5}, 0, "ERR_OUT_OF_RANGE"},
		{[4]int{0, 5, big, 5}, -1, ""},
		{[4]int{0, 5, big + 1, 5}, 0, "ERR_OUT_OF_RANGE"},
		{[4]int{big, 5, big, 5}, 0, ""},
		{[4]int{math.MinInt, 5, 0, 5}, 0, "ERR_OUT_OF_RANGE"},
		{[4]int{math.MaxInt, 5, 0, 5}, 0, "ERR_OUT_OF_RANGE"},
		{[4]int{0, math.MaxInt, 0, 5}, 0, "ERR_OUT_OF_RANGE"},
		{[4]int{0, 5, 0, math.MinInt}, 0, "ERR_OUT_OF_RANGE"},
		{[4]int{0, 1, 1, 2}, 0, ""},  // 02 vs 02
		{[4]int{0, 2, 1, 2}, -1, ""}, // 02 vs 0203
		{[4]int{0, 1, 1, 3}, 1, ""},  // 0203 vs 02
		{[4]int{4, 5, 0, 1}, -1, ""}, // 01 vs 06
		{[4]int{0, 1, 4, 5}, 1, ""},  // 05 vs 02
		{[4]int{3, 5, 4, 5}, -1, ""}, // 05 vs 0506: the shorter sorts first
		{[4]int{3, 4, 3, 5}, -1, ""}, // 0405 vs 05
	} {
		got, err := src.CompareRange(tgt, tc.args[0], tc.args[1], tc.args[2], tc.args[3])
		what := qt.Commentf("compare(tgt, %d, %d, %d, %d)", tc.args[0], tc.args[1], tc.args[2], tc.args[3])
		if tc.code != "" {
			qt.Check(t, searchCode(err), qt.Equals, tc.code, what)
			continue
		}
		qt.Check(t, err, qt.IsNil, what)
		qt.Check(t, got, qt.Equals, tc.want, what)
	}
}

// Compare, Equals and Buffer.compare return only -1, 0 and 1, compare
// unsigned and put a shorter prefix first.
func TestCompareAndEquals(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"\x01", "\x01\x00", -1},
		{"\xff", "\x00\xff", 1},
		{"\x80", "\x7f", 1},
		{"", "\x00", -1},
		{"", "", 0},
		{"abc", "abc", 0},
		{"abc", "abd", -1},
		{"\x00\x00\x09", "\x00\x00\x01", 1}, // never the difference 8
	} {
		a, b := searchBuf(t, tc.a), searchBuf(t, tc.b)
		got, err := a.Compare(b)
		qt.Assert(t, err, qt.IsNil)
		qt.Check(t, got, qt.Equals, tc.want, qt.Commentf("%q.compare(%q)", tc.a, tc.b))
		got, err = Compare(a, b)
		qt.Assert(t, err, qt.IsNil)
		qt.Check(t, got, qt.Equals, tc.want, qt.Commentf("Buffer.compare(%q, %q)", tc.a, tc.b))
		got, err = Compare(b, a)
		qt.Assert(t, err, qt.IsNil)
		qt.Check(t, got, qt.Equals, -tc.want, qt.Commentf("Buffer.compare(%q, %q)", tc.b, tc.a))
		got, err = a.CompareRange(b, 0, b.Len(), 0, a.Len())
		qt.Assert(t, err, qt.IsNil)
		qt.Check(t, got, qt.Equals, tc.want, qt.Commentf("%q.compare(%q, defaults)", tc.a, tc.b))
		eq, err := a.Equals(b)
		qt.Assert(t, err, qt.IsNil)
		qt.Check(t, eq, qt.Equals, tc.want == 0, qt.Commentf("%q.equals(%q)", tc.a, tc.b))
	}
}

func TestCompareErrors(t *testing.T) {
	a := searchBuf(t, "ab")
	_, err := a.Compare(nil)
	qt.Check(t, searchCode(err), qt.Equals, "ERR_INVALID_ARG_TYPE")
	_, err = a.CompareRange(nil, 0, 0, 0, 0)
	qt.Check(t, searchCode(err), qt.Equals, "ERR_INVALID_ARG_TYPE")
	_, err = a.Equals(nil)
	qt.Check(t, searchCode(err), qt.Equals, "ERR_INVALID_ARG_TYPE")
	_, err = Compare(nil, a)
	qt.Check(t, err, qt.ErrorMatches, `.*"buf1".*`)
	qt.Check(t, searchCode(err), qt.Equals, "ERR_INVALID_ARG_TYPE")
	_, err = Compare(a, nil)
	qt.Check(t, err, qt.ErrorMatches, `.*"buf2".*`)
	_, err = a.CompareRange(a, 0, 3, 0, 2)
	qt.Check(t, err, qt.ErrorMatches, `.*"targetEnd" is out of range. It must be >= 0 && <= 2. Received 3`)
	qt.Check(t, err, qt.ErrorIs, ErrOutOfRange)
	_, err = a.CompareRange(searchBuf(t, "abcde"), 0, 5, 0, 3)
	qt.Check(t, err, qt.ErrorMatches, `.*"sourceEnd" is out of range. It must be >= 0 && <= 2. Received 3`)
	_, err = searchBuf(t, "abcde").CompareRange(a, 0, 3, 0, 5)
	qt.Check(t, err, qt.ErrorMatches, `.*"targetEnd" is out of range. It must be >= 0 && <= 2. Received 3`)
	_, err = a.CompareRange(a, 1<<32+1, 2, 0, 2)
	// Node groups the digits above 2^32 (errors_oracle_test.go holds this
	// against Node).
	qt.Check(t, err, qt.ErrorMatches, `.*"targetStart" is out of range. It must be >= 0 && <= 4294967296. Received 4_294_967_297`)
	// Node checks targetStart, targetEnd, sourceStart, sourceEnd in turn.
	_, err = a.CompareRange(a, 0, 9, -1, 9)
	qt.Check(t, err, qt.ErrorMatches, `.*"targetEnd".*`)
	_, err = a.CompareRange(a, 0, 2, -1, 9)
	qt.Check(t, err, qt.ErrorMatches, `.*"sourceStart".*`)

	closed := searchBuf(t, "ab")
	qt.Assert(t, closed.Close(), qt.IsNil)
	for _, f := range []func() error{
		func() error { _, err := a.Compare(closed); return err },
		func() error { _, err := closed.Compare(a); return err },
		func() error { _, err := closed.Compare(nil); return err },
		func() error { _, err := closed.Compare(closed); return err },
		func() error { _, err := a.CompareRange(closed, 0, 0, 0, 0); return err },
		func() error { _, err := closed.CompareRange(a, -1, 0, 0, 0); return err },
		func() error { _, err := closed.CompareRange(nil, 0, 0, 0, 0); return err },
		func() error { _, err := a.Equals(closed); return err },
		func() error { _, err := closed.Equals(nil); return err },
		func() error { _, err := closed.Equals(closed); return err },
		func() error { _, err := Compare(a, closed); return err },
		func() error { _, err := Compare(closed, a); return err },
	} {
		qt.Check(t, f(), qt.ErrorIs, fs.ErrClosed)
	}
}

// Views of one buffer compared with each other and with themselves.
func TestCompareViews(t *testing.T) {
	parent := searchBuf(t, "abcabcx")
	x, y := parent.Slice(0, 3), parent.Slice(3, 6)
	for _, tc := range []struct {
		a, b *Buffer
		want int
	}{
		{x, y, 0},
		{x, x, 0},
		{parent, x, 1},
		{x, parent, -1},
		{parent.Slice(1, 4), y, 1}, // bca vs abc
		{parent.Slice(2, 2), parent.Slice(5, 5), 0},
	} {
		got, err := tc.a.Compare(tc.b)
		qt.Assert(t, err, qt.IsNil)
		qt.Check(t, got, qt.Equals, tc.want, qt.Commentf("%q vs %q", tc.a.Bytes(), tc.b.Bytes()))
		got, err = Compare(tc.a, tc.b)
		qt.Assert(t, err, qt.IsNil)
		qt.Check(t, got, qt.Equals, tc.want)
		eq, err := tc.a.Equals(tc.b)
		qt.Assert(t, err, qt.IsNil)
		qt.Check(t, eq, qt.Equals, tc.want == 0)
	}
	got, err := parent.CompareRange(parent, 3, 6, 0, 3)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, got, qt.Equals, 0)
	got, err = parent.CompareRange(parent, 0, 6, 3, 7) // abcabc vs abcx
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, got, qt.Equals, 1)
}

// FuzzIndexOf checks that no argument makes the searches panic, and that
// every result is -1 or a real match at a place the model allows.
func FuzzIndexOf(f *testing.F) {
	f.Add([]byte("abcabcabc"), "bc", 2, uint8(0), false)
	f.Add([]byte("abcabcabc"), "", -100, uint8(0), true)
	f.Add([]byte("a\x00a\x00a"), "a", 1, uint8(2), false)
	f.Add([]byte("\x01\x02\x03\x04\x05"), "\xaa\xbb", 0, uint8(2), true)
	f.Add([]byte("a\xed\xa0\x80b"), "\xed\xa0\x80", math.MaxInt, uint8(1), true)
	f.Add([]byte("YmM=abc"), "YmM=", math.MinInt, uint8(6), false)
	f.Fuzz(func(t *testing.T, hay []byte, s string, off int, encIdx uint8, asBytes bool) {
		encs := []Encoding{"", UTF8, UTF16LE, Latin1, ASCII, Base64, Base64URL, Hex, "bogus"}
		enc := encs[int(encIdx)%len(encs)]
		b := searchBuf(t, string(hay))
		var value any = s
		if asBytes {
			value = []byte(s)
		}
		for _, forward := range []bool{true, false} {
			var i int
			var err error
			if forward {
				i, err = b.IndexOf(value, off, enc)
			} else {
				i, err = b.LastIndexOf(value, off, enc)
			}
			if err != nil {
				if enc != "bogus" || asBytes {
					t.Fatalf("unexpected error %v", err)
				}
				continue
			}
			if i < -1 || i > len(hay) {
				t.Fatalf("result %d outside [-1, %d]", i, len(hay))
			}
			// Any match is real: the needle's bytes are there, at an even
			// offset for utf16le.
			e, _ := encodingOrUTF8(string(enc))
			ndl := []byte(s)
			switch {
			case asBytes && e == UTF16LE:
				ndl = ndl[:len(ndl)&^1]
			case asBytes:
			case e == UTF8:
				ndl = utf8Needle(s)
			default:
				ndl = encodeString(e, s)
			}
			if i >= 0 && len(ndl) > 0 {
				if i+len(ndl) > len(hay) || !bytes.Equal(hay[i:i+len(ndl)], ndl) || (e == UTF16LE && i%2 != 0) {
					t.Fatalf("%s(%q, %d, %q) = %d, which is no match of %x", map[bool]string{true: "IndexOf", false: "LastIndexOf"}[forward], s, off, enc, i, ndl)
				}
			}
			// For utf8 (and for raw bytes in anything but utf16le) the needle
			// is the bytes themselves when s is valid UTF-8.
			bytewise := (asBytes && enc != UTF16LE) || (!asBytes && (enc == "" || enc == UTF8) && utf8.ValidString(s))
			if !bytewise {
				continue
			}
			n := len(s)
			clamped := min(max(off, -1<<31), 1<<31-1)
			if n == 0 {
				// An empty needle matches at the clamped offset.
				want := clamped
				if want < 0 {
					want = max(want+len(hay), 0)
				}
				want = min(want, len(hay))
				if i != want {
					t.Fatalf("empty needle at %d: got %d, want %d", off, i, want)
				}
				continue
			}
			start := clamped
			if start < 0 {
				start += len(hay)
			}
			if forward {
				want := -1
				if start < 0 {
					start = 0
				}
				if start <= len(hay) {
					if j := bytes.Index(hay[start:], []byte(s)); j >= 0 {
						want = start + j
					}
				}
				if i != want {
					t.Fatalf("IndexOf(%q, %d) = %d, want %d", s, off, i, want)
				}
				continue
			}
			want := -1
			if start >= 0 {
				end := min(start+n, len(hay))
				want = bytes.LastIndex(hay[:end], []byte(s))
			}
			if i != want {
				t.Fatalf("LastIndexOf(%q, %d) = %d, want %d", s, off, i, want)
			}
		}
	})
}

func TestSearchTables(t *testing.T) {
	for _, rows := range [][]searchRow{searchAbcRows, searchEdgeRows, searchNumberRows} {
		checkSearchRows(t, rows)
	}
}

// BenchmarkIndexOf searches 1 MiB for a needle at its end, byte-wise and in
// utf16le units.
func BenchmarkIndexOf(b *testing.B) {
	const size = 1 << 20
	hay := bytes.Repeat([]byte("ab"), size/2)
	copy(hay, "q\x00r\x00")
	copy(hay[size-4:], "x\x00y\x00")
	buf := searchBuf(b, string(hay))
	for _, bc := range []struct {
		name    string
		value   any
		enc     Encoding
		forward bool
	}{
		{"byte", 'x', "", true},
		{"lastByte", 'q', "", false},
		{"string", "x\x00y", "", true},
		{"lastString", "q\x00r", "", false},
		{"ucs2", "xy", UTF16LE, true},
		{"ucs2Odd", []byte("ba"), UTF16LE, true}, // matches only at odd offsets
		{"lastUcs2", "qr", UTF16LE, false},
		{"lastUcs2Odd", []byte("ba"), UTF16LE, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				var err error
				if bc.forward {
					_, err = buf.IndexOf(bc.value, 0, bc.enc)
				} else {
					_, err = buf.LastIndexOf(bc.value, size, bc.enc)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestSearchCompareRaceClose searches and compares views of one buffer
// while it is closed: each call completes or reports fs.ErrClosed.
func TestSearchCompareRaceClose(t *testing.T) {
	parent := searchBuf(t, strings.Repeat("abcabc", 1000))
	x, y := parent.Slice(0, 3000), parent.Slice(3000, 6000)
	other := searchBuf(t, "abc")
	done := make(chan error)
	for g := range 4 {
		go func() {
			var err error
			for err == nil {
				switch g {
				case 0:
					_, err = x.IndexOf(y.Slice(10, 20), 0, "")
				case 1:
					_, err = y.LastIndexOf("cab", y.Len(), UTF16LE)
				case 2:
					_, err = x.CompareRange(y, 0, 10, 3, 13)
				default:
					_, err = Compare(other, y)
				}
			}
			done <- err
		}()
	}
	parent.Close()
	for range 4 {
		qt.Check(t, <-done, qt.ErrorIs, fs.ErrClosed)
	}
}
