package ipcbuf

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strconv"
	"sync"
	"testing"
	"time"

	qt "github.com/frankban/quicktest"

	"github.com/google/go-cmp/cmp"
	"github.com/ipcbuf/ipcbuf/internal/testenv"
)

// A constructResult is what a constructor gave, in a form cmp can compare:
// the bytes in hex, or the error's Node code.
type constructResult struct {
	Hex  string
	Code string
}

func constructOutcome(b *Buffer, err error) constructResult {
	if err != nil {
		var nerr *Error
		switch {
		case errors.As(err, &nerr):
			return constructResult{Code: nerr.Code}
		case errors.Is(err, fs.ErrClosed):
			return constructResult{Code: "fs.ErrClosed"}
		}
		return constructResult{Code: "Go: " + err.Error()}
	}
	if b.Kind() != KindMemory {
		return constructResult{Code: "not a memory buffer: " + b.Kind().String()}
	}
	return constructResult{Hex: hex.EncodeToString(b.Bytes())}
}

func ok(h string) constructResult       { return constructResult{Hex: h} }
func fails(code string) constructResult { return constructResult{Code: code} }

// Node 20's Buffer.alloc: sizes from 0 to 2^32; the rest is
// ERR_OUT_OF_RANGE with Node's message.
func TestConstructAllocSizes(t *testing.T) {
	for _, size := range []int{0, 1, 7, 4096} {
		b, err := Alloc(size)
		qt.Assert(t, err, qt.IsNil)
		qt.Check(t, b.Len(), qt.Equals, size)
		qt.Check(t, b.Kind(), qt.Equals, KindMemory)
		if diff := cmp.Diff(make([]byte, size), b.Bytes()); diff != "" {
			t.Errorf("Alloc(%d) not zeroed (-want +got):\n%s", size, diff)
		}
	}
	tests := []struct {
		size int
		msg  string
	}{
		{-1, `The value of "size" is out of range. It must be >= 0 && <= 4294967296. Received -1`},
		{1<<32 + 1, `The value of "size" is out of range. It must be >= 0 && <= 4294967296. Received 4_294_967_297`},
		{-(1 << 32) - 1, `The value of "size" is out of range. It must be >= 0 && <= 4294967296. Received -4_294_967_297`},
		{-(1 << 40), `The value of "size" is out of range. It must be >= 0 && <= 4294967296. Received -1_099_511_627_776`},
		{math.MaxInt, `The value of "size" is out of range. It must be >= 0 && <= 4294967296. Received 9_223_372_036_854_775_807`},
		{math.MinInt, `The value of "size" is out of range. It must be >= 0 && <= 4294967296. Received -9_223_372_036_854_775_808`},
	}
	for _, tt := range tests {
		b, err := Alloc(tt.size)
		qt.Check(t, b, qt.IsNil)
		qt.Check(t, err, qt.ErrorIs, ErrOutOfRange)
		var nerr *Error
		if qt.Check(t, errors.As(err, &nerr), qt.IsTrue) {
			if diff := cmp.Diff(tt.msg, nerr.Msg); diff != "" {
				t.Errorf("Alloc(%d) message (-want +got):\n%s", tt.size, diff)
			}
		}
	}
	// The limit itself, without allocating it.
	qt.Check(t, checkMaxLength("size", 1<<32), qt.IsNil)
	qt.Check(t, checkMaxLength("size", 1<<32+1), qt.ErrorIs, ErrOutOfRange)
}

// Alloc(2^32) once for real: Go hands out fresh, already zero pages for it
// without touching them, so it takes milliseconds and no resident memory.
// -short skips it, for machines that do not overcommit memory.
func TestConstructAllocMaxLength(t *testing.T) {
	if testing.Short() || strconv.IntSize < 64 {
		t.Skip("allocates 4 GiB of address space")
	}
	start := time.Now()
	b, err := Alloc(1 << 32)
	qt.Assert(t, err, qt.IsNil)
	qt.Check(t, b.Len(), qt.Equals, 1<<32)
	mem := b.Bytes()
	qt.Check(t, mem[len(mem)-1], qt.Equals, byte(0))
	t.Logf("Alloc(2^32) took %v", time.Since(start))
	mem, b = nil, nil
	debug.FreeOSMemory()
}

// Node 20's Buffer.alloc(size, fill, encoding): fill values and encodings
// as buf.fill takes them (see TestFillTable), each row checked against
// Node 20.
func TestConstructAllocFill(t *testing.T) {
	closed, _ := Alloc(2)
	closed.Close()
	pattern := FromBytes([]byte{1, 2, 9})
	tests := []struct {
		size int
		fill any
		enc  Encoding
		want constructResult
	}{
		{5, "aGk=", Base64, ok("6869686968")},
		{3, "zz", Hex, fails("ERR_INVALID_ARG_VALUE")},
		{3, "!!", Base64, fails("ERR_INVALID_ARG_VALUE")},
		{0, "zz", Hex, ok("")}, // size 0: nothing is filled or checked
		{0, "a", "bogus", ok("")},
		{2, "a", "bogus", fails("ERR_UNKNOWN_ENCODING")},
		{-1, "a", "bogus", fails("ERR_OUT_OF_RANGE")}, // size first
		{1<<32 + 1, "a", "", fails("ERR_OUT_OF_RANGE")},
		{3, 0, "bogus", ok("000000")}, // fill 0 is skipped
		{3, -0.0, "bogus", ok("000000")},
		{3, nil, "bogus", ok("000000")}, // nil is Node's undefined
		{5, 0x141, "", ok("4141414141")},
		{3, -1, "", ok("ffffff")},
		{3, 257.9, "", ok("010101")},
		{3, -1.5, "", ok("ffffff")},
		{3, 1e10, "", ok("000000")},
		{3, math.NaN(), "", ok("000000")},
		{3, math.Inf(1), "", ok("000000")},
		{5, 255, Hex, ok("ffffffffff")}, // a number ignores enc
		{3, uint8(7), "", ok("070707")},
		{3, int64(-2), "", ok("fefefe")},
		{3, float32(-1.5), "", ok("ffffff")},
		{3, float32(257.9), "", ok("010101")},
		{3, float32(256), "bogus", ok("000000")},
		{3, 1<<53 + 1, "", ok("010101")}, // exact, where Node rounds to 2^53
		{3, "", "", ok("000000")},
		{3, "", "bogus", fails("ERR_UNKNOWN_ENCODING")},
		{3, []byte{}, "", fails("ERR_INVALID_ARG_VALUE")},
		{5, []byte{1, 2}, "", ok("0102010201")},
		{7, pattern, "", ok("01020901020901")},
		{4, pattern.Slice(1, 2), "", ok("02020202")},
		{3, closed, "", fails("fs.ErrClosed")},
		{8, "ab€", "", ok("6162e282ac6162e2")},
		{5, "€", "", ok("e282ace282")},
		{2, "€", "", ok("e282")},
		{1, "€", "", ok("e2")},
		{4, "😀", "", ok("f09f9880")},
		{6, js(0xD800), "", ok("efbfbdefbfbd")},
		{6, js(0xD800), "ucs2", ok("00d800d800d8")},
		{5, "é", "ucs2", ok("e900e900e9")},
		{3, "ab", "ucs2", ok("610062")},
		{4, "abzz", Hex, ok("abababab")},
		{4, "a1b2c", Hex, ok("a1b2a1b2")},
		{5, "AQID", Base64, ok("0102030102")},
		{6, "Ł€", Latin1, ok("41ac41ac41ac")},
		{3, "Ł", ASCII, ok("414141")},
		{3, "a", "UTF-8", ok("616161")},
	}
	for _, tt := range tests {
		got := constructOutcome(AllocFill(tt.size, tt.fill, tt.enc))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("AllocFill(%d, %#v, %q) mismatch (-want +got):\n%s", tt.size, tt.fill, tt.enc, diff)
		}
	}
}

func TestConstructFrom(t *testing.T) {
	tests := []struct {
		s    string
		enc  Encoding
		want constructResult
	}{
		{"hello", "", ok("68656c6c6f")},
		{"hello", UTF8, ok("68656c6c6f")},
		{"", "", ok("")},
		{"", "bogus", fails("ERR_UNKNOWN_ENCODING")}, // even when empty
		{"abc", "utf16", fails("ERR_UNKNOWN_ENCODING")},
		{"abc", " utf8", fails("ERR_UNKNOWN_ENCODING")},
		{"aGVsbG8=", Base64, ok("68656c6c6f")},
		{"aGVsbG8", "BASE64URL", ok("68656c6c6f")},
		{"abc", Hex, ok("ab")},
		{"zz", Hex, ok("")},
		{"é", Latin1, ok("e9")},
		{"é", "binary", ok("e9")},
		{"Ł", ASCII, ok("41")},
		{"é", UTF16LE, ok("e900")},
		{js(0xD800), "ucs-2", ok("00d8")},
		{js(0xD800), "", ok("efbfbd")},
		{js(0xD83D, 0xDE00), "", ok("f09f9880")},
		{"\xff", "", ok("efbfbd")},
	}
	for _, tt := range tests {
		got := constructOutcome(From(tt.s, tt.enc))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("From(%+q, %q) mismatch (-want +got):\n%s", tt.s, tt.enc, diff)
		}
	}
}

func TestConstructFromBytes(t *testing.T) {
	p := []byte{1, 2, 3}
	b := FromBytes(p)
	p[0] = 9 // a copy: b does not see it
	qt.Check(t, b.Bytes(), qt.DeepEquals, []byte{1, 2, 3})
	qt.Check(t, b.Kind(), qt.Equals, KindMemory)
	b.Bytes()[1] = 8
	qt.Check(t, p, qt.DeepEquals, []byte{9, 2, 3})
	for _, p := range [][]byte{nil, {}} {
		e := FromBytes(p)
		qt.Check(t, e.Len(), qt.Equals, 0)
		qt.Check(t, e.String(), qt.Equals, "<Buffer >")
	}
}

// Node 20's Buffer.concat rules.
func TestConstructConcat(t *testing.T) {
	a, b := FromBytes([]byte{1}), FromBytes([]byte{2, 3})
	empty := FromBytes(nil)
	parent := FromBytes([]byte{10, 11, 12, 13, 14})
	closed := FromBytes([]byte{7})
	closed.Close()
	concatLength := func(n int) func(list []*Buffer) (*Buffer, error) {
		return func(list []*Buffer) (*Buffer, error) { return ConcatLength(list, n) }
	}
	tests := []struct {
		name string
		f    func([]*Buffer) (*Buffer, error)
		list []*Buffer
		want constructResult
	}{
		{"Concat", Concat, []*Buffer{a, b}, ok("010203")},
		{"Concat", Concat, nil, ok("")},
		{"Concat", Concat, []*Buffer{}, ok("")},
		{"Concat", Concat, []*Buffer{empty, empty}, ok("")},
		{"Concat", Concat, []*Buffer{b, a, b}, ok("0203010203")},
		// Views of one buffer, overlapping, and the buffer itself.
		{"Concat", Concat, []*Buffer{parent.Slice(3, 5), parent, parent.Slice(0, 2), parent.Slice(1, 3)}, ok("0d0e0a0b0c0d0e0a0b0b0c")},
		{"Concat", Concat, []*Buffer{a, nil}, fails("ERR_INVALID_ARG_TYPE")},
		{"Concat", Concat, []*Buffer{a, {}}, fails("ERR_INVALID_ARG_TYPE")},
		{"Concat", Concat, []*Buffer{a, closed}, fails("fs.ErrClosed")},
		{"ConcatLength 5", concatLength(5), []*Buffer{a, b}, ok("0102030000")},
		{"ConcatLength 3", concatLength(3), []*Buffer{a, b}, ok("010203")},
		{"ConcatLength 2", concatLength(2), []*Buffer{a, b}, ok("0102")},
		{"ConcatLength 0", concatLength(0), []*Buffer{a, b}, ok("")},
		{"ConcatLength 5", concatLength(5), nil, ok("")},
		// An empty list returns before totalLength is checked, as in Node.
		{"ConcatLength -1", concatLength(-1), []*Buffer{}, ok("")},
		{"ConcatLength 2^32+1", concatLength(1<<32 + 1), nil, ok("")},
		{"ConcatLength -1", concatLength(-1), []*Buffer{a}, fails("ERR_OUT_OF_RANGE")},
		{"ConcatLength 2^32+1", concatLength(1<<32 + 1), []*Buffer{a}, fails("ERR_OUT_OF_RANGE")},
		{"ConcatLength MinInt", concatLength(math.MinInt), []*Buffer{a}, fails("ERR_OUT_OF_RANGE")},
		// totalLength is checked before the elements, as in Node.
		{"ConcatLength -1", concatLength(-1), []*Buffer{nil}, fails("ERR_OUT_OF_RANGE")},
		{"ConcatLength 1", concatLength(1), []*Buffer{a, nil}, fails("ERR_INVALID_ARG_TYPE")},
		// A closed element fails even past the truncation point.
		{"ConcatLength 1", concatLength(1), []*Buffer{a, closed}, fails("fs.ErrClosed")},
	}
	for _, tt := range tests {
		got := constructOutcome(tt.f(tt.list))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s(%v) mismatch (-want +got):\n%s", tt.name, tt.list, diff)
		}
	}

	_, err := ConcatLength([]*Buffer{a}, 1<<32+1)
	qt.Check(t, err, qt.ErrorMatches, `ipcbuf: The value of "length" is out of range. It must be >= 0 && <= 4294967296. Received 4_294_967_297`)
	_, err = Concat([]*Buffer{a, nil})
	qt.Check(t, err, qt.ErrorMatches, `ipcbuf: The "list\[1\]" argument must be an instance of Buffer or Uint8Array. Received nil`)

	// The result is new memory, not shared with the elements.
	c, err := Concat([]*Buffer{parent})
	qt.Assert(t, err, qt.IsNil)
	c.Bytes()[0] = 99
	qt.Check(t, parent.Bytes()[0], qt.Equals, byte(10))
	qt.Check(t, c.Kind(), qt.Equals, KindMemory)
}

// Over 2^32 bytes in all is ERR_OUT_OF_RANGE before anything is
// allocated: here 4097 views of one 1 MiB buffer.
func TestConstructConcatTooLong(t *testing.T) {
	big, _ := Alloc(1 << 20)
	list := make([]*Buffer, 1<<12+1)
	for i := range list {
		list[i] = big.Slice(0, 1<<20)
	}
	_, err := Concat(list)
	qt.Check(t, err, qt.ErrorMatches, `ipcbuf: The value of "size" is out of range. It must be >= 0 && <= 4294967296. Received 4_296_015_872`)
	// Far past any int: the sum stops growing once it is hopeless.
	huge := make([]*Buffer, 1<<17+5)
	fake := &Buffer{m: big.m, n: 1 << 47} // a length only: never read
	for i := range huge {
		huge[i] = fake
	}
	_, err = Concat(huge)
	qt.Check(t, err, qt.ErrorIs, ErrOutOfRange)
}

// Concat reads buffers of every kind, views included.
func TestConstructConcatKinds(t *testing.T) {
	var list []*Buffer
	want := []byte{}
	add := func(b *Buffer, p []byte) {
		_, err := b.WriteAt(p, 0)
		qt.Assert(t, err, qt.IsNil)
		list = append(list, b, b.Slice(1, 3))
		want = append(append(want, p...), p[1:3]...)
	}
	m, _ := Alloc(4)
	add(m, []byte("mem!"))
	if KindFile.Supported() {
		f, err := OpenFile(filepath.Join(testenv.TempDir(t), "f"), 4)
		qt.Assert(t, err, qt.IsNil)
		defer f.Close()
		add(f, []byte("file"))
	}
	if KindPOSIX.Supported() {
		name := fmt.Sprintf("ipcbuf-test-%d-concat", os.Getpid())
		p, err := OpenShm(name, 4, Exclusive())
		qt.Assert(t, err, qt.IsNil)
		RemoveShm(name)
		defer p.Close()
		add(p, []byte("shm!"))
	}
	c, err := Concat(list)
	qt.Assert(t, err, qt.IsNil)
	qt.Check(t, string(c.Bytes()), qt.Equals, string(want))
	c, err = ConcatLength(list, len(want)+3)
	qt.Assert(t, err, qt.IsNil)
	qt.Check(t, string(c.Bytes()), qt.Equals, string(want)+"\x00\x00\x00")
}

// Concat takes one buffer's lock at a time: with views of one buffer in
// the list and a Close of it waiting, taking its lock a second time would
// deadlock. Every Concat either completes or fails with fs.ErrClosed.
func TestConstructConcatRacesClose(t *testing.T) {
	for range 50 {
		b, _ := Alloc(1 << 16)
		list := []*Buffer{b, b.Slice(10, 100), FromBytes([]byte{1}), b.Slice(0, 1<<15), b}
		// started counts the goroutines that have completed one Concat:
		// Close waits for all of them, so it always races with running
		// Concat loops rather than with goroutines not yet scheduled.
		var wg, started sync.WaitGroup
		for range 4 {
			wg.Add(1)
			started.Add(1)
			go func() {
				defer wg.Done()
				_, err := Concat(list)
				started.Done()
				if err != nil {
					t.Errorf("Concat before Close: %v", err)
					return
				}
				for { // until b is closed
					if _, err := Concat(list); err != nil {
						if !errors.Is(err, fs.ErrClosed) {
							t.Errorf("Concat: %v", err)
						}
						return
					}
				}
			}()
		}
		started.Wait()
		// Close runs in a goroutine too: in a deadlock it is Close that
		// blocks, and the test must fail, not hang.
		closed := make(chan error, 1)
		go func() { closed <- b.Close() }()
		finished := make(chan struct{})
		go func() { wg.Wait(); close(finished) }()
		deadline := time.After(10 * time.Second)
		for closed != nil || finished != nil {
			select {
			case err := <-closed:
				qt.Assert(t, err, qt.IsNil)
				closed = nil
			case <-finished:
				finished = nil
			case <-deadline:
				t.Fatalf("Concat deadlocked with Close (Close returned: %t, every Concat returned: %t)", closed == nil, finished == nil)
			}
		}
	}
}

// Node 20's Buffer.byteLength, base64's estimate included; unknown
// encodings count as utf8 and never fail. Every row was run in Node 20.
func TestConstructByteLength(t *testing.T) {
	tests := []struct {
		s       string
		enc     Encoding
		want    int
		fromLen int // len(Buffer.from(s, enc)), where it differs
	}{
		{"hello", "", 5, -1},
		{"é", "", 2, -1},
		{"😀", UTF16LE, 4, -1},
		{"aGk=", Base64, 2, -1},
		{"aGk=", "BASE64", 2, -1},
		{"!!!!", Base64, 3, 0}, // the estimate counts garbage
		{"a=b=", Base64, 2, 0}, // and stops at no '='
		{"=", Base64, 0, -1},
		{"==", Base64, 0, -1},
		{"a", Base64, 0, -1},
		{"ab==", Base64URL, 1, -1},
		{"aGVsbG8", Base64URL, 5, -1},
		{"abc", Hex, 1, -1},
		{"é", "bogus", 2, -1},
		{"abcd", "utf-16", 4, -1},
		{"abcd", " utf8", 4, -1},
		{"", "bogus", 0, -1},
		{"é", Latin1, 1, -1},
		{"😀", Latin1, 2, -1},
		{"😀", ASCII, 2, -1},
		{js(0xD800), "", 3, -1},
		{js(0xD83D), UTF8, 3, -1},
		{"abc", "UTF16LE", 6, -1},
	}
	for _, tt := range tests {
		qt.Check(t, ByteLength(tt.s, tt.enc), qt.Equals, tt.want, qt.Commentf("ByteLength(%+q, %q)", tt.s, tt.enc))
		enc := tt.enc
		if !IsEncoding(string(enc)) {
			enc = ""
		}
		b, err := From(tt.s, enc)
		qt.Assert(t, err, qt.IsNil)
		wantLen := tt.fromLen
		if wantLen < 0 {
			wantLen = tt.want
		}
		qt.Check(t, b.Len(), qt.Equals, wantLen, qt.Commentf("From(%+q, %q)", tt.s, enc))
	}
}

// TestConstructNoPanics: arguments at the edges of what the constructors
// take give the result or Node error code each must give (a panic fails the
// test too). Where Go has values JavaScript has not (a nil or zero *Buffer,
// a bool or struct fill), the expected answer is the one the Go API
// documents; the comments give what Node 20 does with the nearest JS value.
func TestConstructNoPanics(t *testing.T) {
	tests := []struct {
		call string
		f    func() (*Buffer, error)
		want constructResult
		msg  string // part of the error's message, if any
	}{
		// Fill's doc: a nil *Buffer, and any type it does not list, is
		// ERR_INVALID_ARG_TYPE, where Node turns null, {} and true into a
		// number (alloc(3, null) is 000000, alloc(3, true) 010101).
		{"AllocFill(3, (*Buffer)(nil), \"\")", func() (*Buffer, error) { return AllocFill(3, (*Buffer)(nil), "") },
			fails("ERR_INVALID_ARG_TYPE"), `The "value" argument must be`},
		{"AllocFill(3, &Buffer{}, \"\")", func() (*Buffer, error) { return AllocFill(3, &Buffer{}, "") },
			fails("ERR_INVALID_ARG_TYPE"), `The "value" argument must be`},
		{"AllocFill(3, struct{}{}, \"\")", func() (*Buffer, error) { return AllocFill(3, struct{}{}, "") },
			fails("ERR_INVALID_ARG_TYPE"), `The "value" argument must be`},
		// Not a string, so the unknown encoding is not looked at.
		{"AllocFill(3, true, \"bogus\")", func() (*Buffer, error) { return AllocFill(3, true, "bogus") },
			fails("ERR_INVALID_ARG_TYPE"), `The "value" argument must be`},
		// The size is checked first; Node prints -2^63 as a double,
		// -9_223_372_036_854_776_000, where a Go int is exact.
		{"AllocFill(math.MinInt, nil, \"\")", func() (*Buffer, error) { return AllocFill(math.MinInt, nil, "") },
			fails("ERR_OUT_OF_RANGE"), `The value of "size" is out of range. It must be >= 0 && <= 4294967296. Received -9_223_372_036_854_775_808`},
		// Invalid UTF-8 reads as U+FFFD (section 2.9), whose low byte 0xfd is
		// not a hex digit: hex decoding stops at the first pair (2.8), as
		// Buffer.from('\uFFFD...', 'hex') does.
		{"From(CESU-8 and 0xff, hex)", func() (*Buffer, error) { return From("\xed\xa0\x80\xed\xb0\x80\xff", "hex") },
			ok(""), ""},
		{"From(\"x\", \"\\x00\")", func() (*Buffer, error) { return From("x", "\x00") },
			fails("ERR_UNKNOWN_ENCODING"), "unknown encoding: \x00"},
		{"FromBytes(nil)", func() (*Buffer, error) { return FromBytes(nil), nil },
			ok(""), ""},
		// Node's concat([null, …]) throws a TypeError with no code; the Go
		// doc gives its totalLength form's ERR_INVALID_ARG_TYPE for list[i].
		{"Concat({nil, zero})", func() (*Buffer, error) { return Concat([]*Buffer{nil, {}}) },
			fails("ERR_INVALID_ARG_TYPE"), `The "list[0]" argument must be an instance of Buffer or Uint8Array. Received nil`},
		// Buffer.concat([{}], 0): ERR_INVALID_ARG_TYPE for "list[0]".
		{"ConcatLength({zero}, 0)", func() (*Buffer, error) { return ConcatLength([]*Buffer{{}}, 0) },
			fails("ERR_INVALID_ARG_TYPE"), `The "list[0]" argument must be an instance of Buffer or Uint8Array. Received the zero Buffer`},
		// Buffer.concat([null], 2**63-1): the length is checked before
		// the elements.
		{"ConcatLength({nil}, math.MaxInt)", func() (*Buffer, error) { return ConcatLength([]*Buffer{nil}, math.MaxInt) },
			fails("ERR_OUT_OF_RANGE"), `The value of "length" is out of range. It must be >= 0 && <= 4294967296. Received 9_223_372_036_854_775_807`},
	}
	for _, tt := range tests {
		b, err := tt.f()
		if err != nil {
			qt.Check(t, b, qt.IsNil, qt.Commentf("%s returned a buffer with its error", tt.call))
		} else if b == nil {
			t.Errorf("%s = nil, nil", tt.call)
			continue
		}
		if diff := cmp.Diff(tt.want, constructOutcome(b, err)); diff != "" {
			t.Errorf("%s mismatch (-want +got):\n%s", tt.call, diff)
			continue
		}
		if tt.msg != "" {
			qt.Check(t, err, qt.ErrorMatches, ".*"+regexp.QuoteMeta(tt.msg)+".*", qt.Commentf(tt.call))
		}
	}
	// An unknown encoding counts as utf8, and invalid UTF-8 as U+FFFD
	// (ef bf bd) per maximal subpart: Buffer.byteLength('\uFFFD\uFFFD',
	// '\xff') is 6.
	qt.Check(t, ByteLength("\xff\xfe", "\xff"), qt.Equals, 6)
}

// FuzzFrom: From never panics, gives encodeString's bytes for every name
// Node accepts and ERR_UNKNOWN_ENCODING for the rest; ByteLength is exact
// except for base64 and hex, where it is an upper bound.
func FuzzFrom(f *testing.F) {
	for _, s := range []string{"", "hello", "a€😀", "\xed\xa0\xbd\xed\xb8\x80", "\xed\xa0\x80A", "\xff\xe2\x82", "aGVs bG8=", "!!!!", "abŁc", "0123456789abcdefABCDEF", "zz"} {
		for _, enc := range encodingArgs {
			f.Add(s, enc)
		}
	}
	f.Fuzz(func(t *testing.T, s, enc string) {
		b, err := From(s, Encoding(enc))
		n := ByteLength(s, Encoding(enc))
		canon, known := lookupEncoding(enc)
		if enc == "" {
			canon, known = UTF8, true
		}
		if !known {
			var nerr *Error
			if !errors.As(err, &nerr) || nerr.Code != "ERR_UNKNOWN_ENCODING" || b != nil {
				t.Fatalf("From(%+q, %+q) = %v, %v; want ERR_UNKNOWN_ENCODING", s, enc, b, err)
			}
			// byteLength counts an unknown encoding as utf8.
			if want := len(encodeString(UTF8, s)); n != want {
				t.Fatalf("ByteLength(%+q, %+q) = %d, want the utf8 length %d", s, enc, n, want)
			}
			return
		}
		if err != nil {
			t.Fatalf("From(%+q, %+q): %v", s, enc, err)
		}
		want := encodeString(canon, s)
		if got := b.Bytes(); string(got) != string(want) || b.Len() != len(want) || b.Kind() != KindMemory {
			t.Fatalf("From(%+q, %+q) = %x (%d bytes, %s), want %x", s, enc, got, b.Len(), b.Kind(), want)
		}
		switch canon {
		case Base64, Base64URL, Hex:
			if n < len(want) {
				t.Fatalf("ByteLength(%+q, %+q) = %d, below the %d bytes From gives", s, enc, n, len(want))
			}
		default:
			if n != len(want) {
				t.Fatalf("ByteLength(%+q, %+q) = %d, From gives %d bytes", s, enc, n, len(want))
			}
		}
	})
}
