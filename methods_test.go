package ipcbuf

import (
	"encoding/hex"
	"errors"
	"io/fs"
	"math"
	"strconv"
	"testing"

	qt "github.com/frankban/quicktest"
	"github.com/google/go-cmp/cmp"
)

func TestToString(t *testing.T) {
	hello := FromBytesForTest("hello")
	nums, _ := hex.DecodeString("0102030405")
	b5 := FromBytesForTest(string(nums))
	for _, tc := range []struct {
		b          *Buffer
		enc        Encoding
		start, end int
		want       string
		code       string
	}{
		{b: hello, enc: "", start: 0, end: 5, want: "hello"},
		{b: hello, enc: UTF8, start: 1, end: 3, want: "el"},
		{b: hello, enc: UTF8, start: 10, end: 5, want: ""},
		{b: hello, enc: UTF8, start: 1, end: 100, want: "ello"},
		{b: hello, enc: UTF8, start: -2, end: 5, want: "hello"},
		{b: hello, enc: UTF8, start: 0, end: -1, want: ""},
		{b: hello, enc: UTF8, start: math.MinInt, end: math.MaxInt, want: "hello"},
		{b: b5, enc: Hex, start: 1, end: 3, want: "0203"},
		{b: b5, enc: Base64, start: 1, end: 3, want: "AgM="},
		{b: hello, enc: "bogus", start: 3, end: 1, want: ""}, // empty range: the encoding is not looked at
		{b: hello, enc: "bogus", start: 0, end: 5, code: "ERR_UNKNOWN_ENCODING"},
		{b: hello, enc: "UTF-8", start: 0, end: 5, want: "hello"},
	} {
		got, err := tc.b.ToString(tc.enc, tc.start, tc.end)
		if tc.code != "" {
			var nerr *Error
			qt.Assert(t, errors.As(err, &nerr), qt.IsTrue, qt.Commentf("%q %d %d: %v", tc.enc, tc.start, tc.end, err))
			qt.Assert(t, nerr.Code, qt.Equals, tc.code)
			continue
		}
		qt.Assert(t, err, qt.IsNil)
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ToString(%q, %d, %d) (-want +got):\n%s", tc.enc, tc.start, tc.end, diff)
		}
	}
	// Cutting a character gives replacement characters.
	euro := FromBytesForTest("€")
	got, _ := euro.ToString(UTF8, 0, 2)
	qt.Assert(t, got, qt.Equals, "\uFFFD")
	got, _ = euro.ToString(UTF8, 1, 3)
	qt.Assert(t, got, qt.Equals, "\uFFFD\uFFFD")
}

// FromBytesForTest makes a memory buffer holding s.
func FromBytesForTest(s string) *Buffer {
	b, _ := Alloc(len(s))
	copy(b.Bytes(), s)
	return b
}

// Node 20's buf.write, row by row: a 4-byte buffer of ee, a call,
// what it returns and the buffer after.
func TestWriteTable(t *testing.T) {
	type call func(b *Buffer) (int, error)
	for _, tc := range []struct {
		name  string
		call  call
		n     int
		after string
		code  string
	}{
		{"write('€x', 2)", func(b *Buffer) (int, error) { return b.Write("€x", 2, "") }, 0, "eeeeeeee", ""},
		{"write('a€', 1)", func(b *Buffer) (int, error) { return b.Write("a€", 1, "") }, 1, "ee61eeee", ""},
		{"write('a€', 0)", func(b *Buffer) (int, error) { return b.Write("a€", 0, "") }, 4, "61e282ac", ""},
		{"write('😀', 0, 3)", func(b *Buffer) (int, error) { return b.WriteLength("😀", 0, 3, "") }, 0, "eeeeeeee", ""},
		{"write('a😀', 0)", func(b *Buffer) (int, error) { return b.Write("a😀", 0, "") }, 1, "61eeeeee", ""},
		{"write('\\uD800', 0)", func(b *Buffer) (int, error) { return b.Write("\xed\xa0\x80", 0, "") }, 3, "efbfbdee", ""},
		{"write('\\uD800', 0, 2)", func(b *Buffer) (int, error) { return b.WriteLength("\xed\xa0\x80", 0, 2, "") }, 0, "eeeeeeee", ""},
		{"write('éa', 3)", func(b *Buffer) (int, error) { return b.Write("éa", 3, "") }, 0, "eeeeeeee", ""},
		{"write('€€', 0)", func(b *Buffer) (int, error) { return b.Write("€€", 0, "") }, 3, "e282acee", ""},
		{"write('abcdef', 1, 2)", func(b *Buffer) (int, error) { return b.WriteLength("abcdef", 1, 2, "") }, 2, "ee6162ee", ""},
		{"write('ab', 1, 'latin1')", func(b *Buffer) (int, error) { return b.Write("ab", 1, Latin1) }, 2, "ee6162ee", ""},
		{"write('€Ł', 0, 'latin1')", func(b *Buffer) (int, error) { return b.Write("€Ł", 0, Latin1) }, 2, "ac41eeee", ""},
		{"write('//8=', 3, 'base64')", func(b *Buffer) (int, error) { return b.Write("//8=", 3, Base64) }, 1, "eeeeeeff", ""},
		{"write('abc', 3, 'hex')", func(b *Buffer) (int, error) { return b.Write("abc", 3, Hex) }, 1, "eeeeeeab", ""},
		{"write('aGVsbG8=', 0, 'base64url')", func(b *Buffer) (int, error) { return b.Write("aGVsbG8=", 0, Base64URL) }, 4, "68656c6c", ""},
		{"write('x', 4)", func(b *Buffer) (int, error) { return b.Write("x", 4, "") }, 0, "eeeeeeee", ""},
		{"write('ab', 5)", func(b *Buffer) (int, error) { return b.Write("ab", 5, "") }, 0, "eeeeeeee", "ERR_OUT_OF_RANGE"},
		{"write('ab', -1)", func(b *Buffer) (int, error) { return b.Write("ab", -1, "") }, 0, "eeeeeeee", "ERR_OUT_OF_RANGE"},
		{"write('ab', 0, 5)", func(b *Buffer) (int, error) { return b.WriteLength("ab", 0, 5, "") }, 0, "eeeeeeee", "ERR_OUT_OF_RANGE"},
		{"write('ab', 0, -1)", func(b *Buffer) (int, error) { return b.WriteLength("ab", 0, -1, "") }, 0, "eeeeeeee", "ERR_OUT_OF_RANGE"},
		{"write('ab', 3, 4)", func(b *Buffer) (int, error) { return b.WriteLength("ab", 3, 4, "") }, 1, "eeeeee61", ""},
		{"write('ab', 0, 'bogus')", func(b *Buffer) (int, error) { return b.Write("ab", 0, "bogus") }, 0, "eeeeeeee", "ERR_UNKNOWN_ENCODING"},
		{"write('', 0, 'bogus')", func(b *Buffer) (int, error) { return b.Write("", 0, "bogus") }, 0, "eeeeeeee", "ERR_UNKNOWN_ENCODING"},
	} {
		b := FromBytesForTest("\xee\xee\xee\xee")
		n, err := tc.call(b)
		if tc.code != "" {
			var nerr *Error
			qt.Assert(t, errors.As(err, &nerr), qt.IsTrue, qt.Commentf("%s: %v", tc.name, err))
			qt.Assert(t, nerr.Code, qt.Equals, tc.code, qt.Commentf(tc.name))
		} else {
			qt.Assert(t, err, qt.IsNil, qt.Commentf(tc.name))
		}
		qt.Assert(t, n, qt.Equals, tc.n, qt.Commentf(tc.name))
		if diff := cmp.Diff(tc.after, hex.EncodeToString(b.Bytes())); diff != "" {
			t.Errorf("%s: buffer after (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestMethodsOnClosedAndReadOnly(t *testing.T) {
	b := FromBytesForTest("abcd")
	qt.Assert(t, b.Close(), qt.IsNil)
	_, err := b.ToString("", 0, 4)
	qt.Assert(t, err, qt.ErrorIs, fs.ErrClosed)
	_, err = b.WriteLength("x", 0, 1, "")
	qt.Assert(t, err, qt.ErrorIs, fs.ErrClosed)
}

// FuzzWriteToString writes a string at an offset with an encoding and reads
// the buffer back: no panic, nothing written outside [offset, offset+n),
// and for utf8 the bytes written decode back to a prefix of what Node would
// write.
func FuzzWriteToString(f *testing.F) {
	f.Add(8, "héllo", 1, 8, "utf8")
	f.Add(4, "//8=", 3, 4, "base64")
	f.Add(3, "abc", 0, 3, "hex")
	f.Add(5, "\xed\xa0\x80A", 0, 5, "ucs2")
	f.Add(0, "", 0, 0, "")
	f.Add(2, "x", -1, 9, "bogus")
	f.Fuzz(func(t *testing.T, size int, s string, offset, length int, enc string) {
		if size < 0 || size > 1<<12 {
			return
		}
		b, err := Alloc(size)
		if err != nil {
			t.Fatal(err)
		}
		for i := range b.Bytes() {
			b.Bytes()[i] = 0xee
		}
		n, err := b.WriteLength(s, offset, length, Encoding(enc))
		if err != nil {
			for _, c := range b.Bytes() {
				if c != 0xee {
					t.Fatalf("a failed write changed the buffer: %v", err)
				}
			}
			return
		}
		if n < 0 || offset+n > size || n > length {
			t.Fatalf("wrote %d bytes at %d into %d (length %d)", n, offset, size, length)
		}
		for i, c := range b.Bytes() {
			if (i < offset || i >= offset+n) && c != 0xee {
				t.Fatalf("byte %d outside the write changed", i)
			}
		}
		e, _ := encodingOrUTF8(enc)
		if want := encodeString(e, s); string(want[:n]) != string(b.Bytes()[offset:offset+n]) {
			t.Fatalf("wrote %x; the encoding's prefix is %x", b.Bytes()[offset:offset+n], want[:n])
		}
		if _, err := b.ToString(Encoding(enc), offset, offset+n); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzParseTarget: no panic; a good target parses to one kind with a name
// or key that Open would accept, and Name-style text parses back the same.
func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"*jobs", "*/jobs", "4660", "0x1234", "0XFFFFFFFF", "./123", "/tmp/x", "", "*", "*a/b", "0", "0x", "0x100000000", "*..", "a\x00b", "-5", "99999999999999999999", "010", "08", "0755", "0x010"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, target string) {
		kind, name, key, err := ParseTarget(target)
		if err != nil {
			if !errors.Is(err, fs.ErrInvalid) {
				t.Fatalf("ParseTarget(%q): error %v does not match fs.ErrInvalid", target, err)
			}
			return
		}
		switch kind {
		case KindPOSIX:
			if _, err := checkShmName(name); err != nil || "*"+name != target && "*/"+name != target {
				t.Fatalf("ParseTarget(%q) = POSIX %q", target, name)
			}
		case KindSysV:
			if checkKey(key) != nil {
				t.Fatalf("ParseTarget(%q) = key %d, which checkKey refuses", target, key)
			}
			if k2, _, key2, err := ParseTarget(keyName(key)); err != nil || k2 != KindSysV || uint32(key2) != uint32(key) {
				t.Fatalf("key %d does not round-trip through %q", key, keyName(key))
			}
			// Digits without 0x are decimal, leading zeros or not.
			if d, err := strconv.ParseUint(target, 10, 64); err == nil && d != uint64(key) {
				t.Fatalf("ParseTarget(%q) = key %d, not the decimal %d", target, key, d)
			}
		case KindFile:
			if name != target || checkPath(name) != nil {
				t.Fatalf("ParseTarget(%q) = file %q", target, name)
			}
		default:
			t.Fatalf("ParseTarget(%q) = kind %v", target, kind)
		}
	})
}
