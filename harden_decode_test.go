package ipcbuf_test

// Reliability scenario 22: another process writes shared memory while this
// one decodes it. Every decoder must read each byte once, so that whatever
// the writer does, the result is valid for its encoding: it is then the
// decoding of some state the bytes were in, one byte at a time.

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	qt "github.com/frankban/quicktest"

	"github.com/ipcbuf/ipcbuf"
)

func init() {
	childRoles["decode-writer"] = decodeWriterChild
}

// decodeEncodings are all the encodings, canonical names.
var decodeEncodings = []ipcbuf.Encoding{ipcbuf.UTF8, ipcbuf.UTF16LE, ipcbuf.Latin1, ipcbuf.ASCII,
	ipcbuf.Base64, ipcbuf.Base64URL, ipcbuf.Hex}

// decodeInvalid returns why s is not a possible result of decoding n bytes
// with enc, or "" if it is one. It checks what holds for every input:
//
//   - utf8: valid UTF-8 (U+FFFD replaces what was invalid).
//   - utf16le: n/2 code units, as UTF-8 in which a lone surrogate is its
//     three-byte WTF-8 form; a high surrogate directly followed by a low
//     one is a pair and must be one four-byte character.
//   - latin1: n characters, each U+0000..U+00FF, in valid UTF-8.
//   - ascii: n bytes, each at most 0x7F.
//   - base64: the standard alphabet with '=' padding, of the length that n
//     bytes encode to; base64url: the URL alphabet, unpadded; hex: 2n
//     lowercase hex digits.
func decodeInvalid(enc ipcbuf.Encoding, n int, s string) string {
	switch enc {
	case ipcbuf.UTF8:
		if !utf8.ValidString(s) {
			return "not valid UTF-8"
		}
	case ipcbuf.UTF16LE:
		units, lastHigh := 0, false
		for i := 0; i < len(s); {
			if s[i] == 0xED && i+2 < len(s) && s[i+1] >= 0xA0 && s[i+1] <= 0xBF && s[i+2]&0xC0 == 0x80 {
				high := s[i+1] < 0xB0
				if lastHigh && !high {
					return fmt.Sprintf("a WTF-8 high surrogate followed by a low one at byte %d: a pair must be one character", i)
				}
				lastHigh = high
				units++
				i += 3
				continue
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				return fmt.Sprintf("byte %d (%#x) is neither UTF-8 nor a WTF-8 surrogate", i, s[i])
			}
			lastHigh = false
			units++
			if r >= 0x10000 {
				units++
			}
			i += size
		}
		if units != n/2 {
			return fmt.Sprintf("%d code units, want %d", units, n/2)
		}
	case ipcbuf.Latin1:
		if !utf8.ValidString(s) {
			return "not valid UTF-8"
		}
		chars := 0
		for _, r := range s {
			if r > 0xFF {
				return fmt.Sprintf("U+%04X is above U+00FF", r)
			}
			chars++
		}
		if chars != n {
			return fmt.Sprintf("%d characters, want %d", chars, n)
		}
	case ipcbuf.ASCII:
		if len(s) != n {
			return fmt.Sprintf("%d bytes, want %d", len(s), n)
		}
		for i := range len(s) {
			if s[i] > 0x7F {
				return fmt.Sprintf("byte %d is %#x", i, s[i])
			}
		}
	case ipcbuf.Base64:
		if want := base64.StdEncoding.EncodedLen(n); len(s) != want {
			return fmt.Sprintf("%d characters, want %d", len(s), want)
		}
		if _, err := base64.StdEncoding.Strict().DecodeString(s); err != nil || strings.ContainsAny(s, "\r\n") {
			return fmt.Sprintf("not standard base64: %v", err)
		}
	case ipcbuf.Base64URL:
		if want := base64.RawURLEncoding.EncodedLen(n); len(s) != want {
			return fmt.Sprintf("%d characters, want %d", len(s), want)
		}
		if _, err := base64.RawURLEncoding.Strict().DecodeString(s); err != nil || strings.ContainsAny(s, "\r\n") {
			return fmt.Sprintf("not unpadded base64url: %v", err)
		}
	case ipcbuf.Hex:
		if len(s) != 2*n {
			return fmt.Sprintf("%d digits, want %d", len(s), 2*n)
		}
		if i := strings.IndexFunc(s, func(r rune) bool { return !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') }); i >= 0 {
			return fmt.Sprintf("byte %d (%q) is not a lowercase hex digit", i, s[i])
		}
	default:
		return "unknown encoding " + string(enc)
	}
	return ""
}

// decodePatterns returns contents of n bytes for the writer to alternate
// between, each chosen to make a decoder that reads a byte twice see it
// change: ASCII text, bytes from 0x80 up, valid UTF-8 of 2, 3 and 4 bytes,
// random bytes, UTF-16 code units with surrogates, and 0x80 throughout.
func decodePatterns(n int) [][]byte {
	r := rand.New(rand.NewPCG(22, 22))
	mk := func(unit func() []byte) []byte {
		p := make([]byte, 0, n+8)
		for len(p) < n {
			p = append(p, unit()...)
		}
		return p[:n]
	}
	const text = "the quick brown fox jumps over the lazy dog 0123456789\n"
	chars := []string{"é", "ÿ", "中", "€", "😀", "a", " "}
	units := [][]byte{{'a', 0}, {0x3D, 0xD8}, {0x00, 0xDE}, {0xE9, 0}, {0x2D, 0x4E}, {0x00, 0xDC}, {0xFF, 0xDB}}
	return [][]byte{
		mk(func() []byte { return []byte(text) }),
		mk(func() []byte { return []byte{byte(0x80 + r.IntN(0x80))} }),
		mk(func() []byte { return []byte(chars[r.IntN(len(chars))]) }),
		mk(func() []byte { return []byte{byte(r.Uint32())} }),
		mk(func() []byte { return units[r.IntN(len(units))] }),
		mk(func() []byte { return []byte{0x80} }),
	}
}

// decodeWriterChild opens target and, until its standard input closes,
// writes the patterns of decodePatterns over all but the last 8 bytes
// through Bytes, in whole and in random parts, counting its rounds in the
// last 8 bytes.
func decodeWriterChild(target string) int {
	b, err := ipcbuf.Open(target, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	mem := b.Bytes()
	body, count := mem[:len(mem)-8], mem[len(mem)-8:]
	patterns := decodePatterns(len(body))
	var stop atomic.Bool
	go func() {
		io.Copy(io.Discard, os.Stdin)
		stop.Store(true)
	}()
	r := rand.New(rand.NewPCG(uint64(os.Getpid()), 22))
	for i := uint64(1); !stop.Load(); i++ {
		p := patterns[r.IntN(len(patterns))]
		if i%2 == 0 {
			copy(body, p)
		} else {
			lo := r.IntN(len(body))
			hi := lo + 1 + r.IntN(len(body)-lo)
			copy(body[lo:hi], p[lo:hi])
		}
		binary.LittleEndian.PutUint64(count, i)
	}
	runtime.KeepAlive(b)
	return 0
}

// TestDecodeWhileAnotherProcessWrites is reliability scenario 22: a child
// process rewrites a 64 KiB buffer through Bytes without pause while this
// one decodes it with ToString in every encoding, over the whole buffer
// and over random ranges (short ones, and long ones that utf8 copies in
// blocks). Every result must be valid for its encoding.
func TestDecodeWhileAnotherProcessWrites(t *testing.T) {
	const size = 64 << 10
	forKinds(t, func(t *testing.T, kc kindCase) {
		target := kc.target(t)
		b := open(t, target, size, ipcbuf.Exclusive())
		body := size - 8
		cmd := childCommand("decode-writer", target)
		stdin, err := cmd.StdinPipe()
		qt.Assert(t, err, qt.IsNil)
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		qt.Assert(t, cmd.Start(), qt.IsNil)
		stopped := false
		stopWriter := func() {
			if !stopped {
				stopped = true
				stdin.Close()
				if err := cmd.Wait(); err != nil {
					t.Errorf("writer: %v\n%s", err, out.String())
				}
			}
		}
		t.Cleanup(stopWriter)

		rounds := func() uint64 {
			v, err := b.ReadBigUint64LE(body)
			qt.Assert(t, err, qt.IsNil)
			return v
		}
		deadline := time.Now().Add(10 * time.Second)
		for rounds() == 0 {
			if time.Now().After(deadline) {
				stopWriter()
				t.Fatalf("the writer did not start writing in 10 s:\n%s", out.String())
			}
			time.Sleep(time.Millisecond)
		}
		first := rounds()

		r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 22))
		type failure struct {
			count   int
			example string
		}
		failures := map[ipcbuf.Encoding]*failure{}
		decodes := 0
		// At least a second and 2,000 decodes: the old decoders failed
		// hundreds of times a second here.
		for end := time.Now().Add(time.Second); decodes < 2000 || time.Now().Before(end); decodes++ {
			enc := decodeEncodings[decodes%len(decodeEncodings)]
			start, stop := 0, body
			switch decodes / len(decodeEncodings) % 3 {
			case 1: // short
				start = r.IntN(body)
				stop = start + 1 + r.IntN(min(body-start, 256))
			case 2: // long
				start = r.IntN(body / 4)
				stop = start + body/2 + r.IntN(body/4)
			}
			s, err := b.ToString(enc, start, stop)
			qt.Assert(t, err, qt.IsNil)
			if why := decodeInvalid(enc, stop-start, s); why != "" {
				f := failures[enc]
				if f == nil {
					f = &failure{example: fmt.Sprintf("ToString(%s, %d, %d): %s: %+.80q", enc, start, stop, why, s)}
					failures[enc] = f
				}
				f.count++
			}
		}
		last := rounds()
		stopWriter()
		t.Logf("%d decodes while the writer made %d rounds", decodes, last-first)
		qt.Assert(t, last > first, qt.IsTrue, qt.Commentf("the writer made no progress while we decoded: the test proved nothing"))
		for _, enc := range decodeEncodings {
			if f := failures[enc]; f != nil {
				t.Errorf("%s: %d invalid results; the first: %s", enc, f.count, f.example)
			}
		}
	})
}

// BenchmarkToStringKinds decodes 1 MiB with ToString from a memory buffer
// and from POSIX shared memory (a file where POSIX is left out), in every
// encoding and on inputs that take the decoders' different paths:
//
//	go test -run '^$' -bench ToStringKinds -count 5 .
func BenchmarkToStringKinds(b *testing.B) {
	const size = 1 << 20
	r := rand.New(rand.NewPCG(6, 22))
	text := make([]byte, 0, size+8)
	for len(text) < size {
		text = append(text, "the quick brown fox jumps over the lazy dog 0123456789\n"...)
	}
	text = text[:size]
	random := make([]byte, size)
	for i := range random {
		random[i] = byte(r.Uint32())
	}
	mixed := make([]byte, 0, size+8) // valid UTF-8, 30% of the characters not ASCII
	for len(mixed) < size {
		if r.IntN(10) < 3 {
			mixed = utf8.AppendRune(mixed, []rune{'é', '中', '😀'}[r.IntN(3)])
		} else {
			mixed = append(mixed, text[r.IntN(64)])
		}
	}
	mixed = mixed[:size-utf8.RuneLen('😀')]
	mixed = append(mixed, strings.Repeat("x", size-len(mixed))...)
	latin1 := append([]byte(nil), text...) // 30% of the bytes 0xA0..0xFF
	for i := range latin1 {
		if r.IntN(10) < 3 {
			latin1[i] = byte(0xA0 + r.IntN(0x60))
		}
	}
	wide := make([]byte, 0, size) // UTF-16LE of ASCII text
	for _, c := range text[:size/2] {
		wide = append(wide, c, 0)
	}
	wideMixed := make([]byte, 0, size) // UTF-16LE, 30% of the units not ASCII
	for _, c := range text[:size/2] {
		if r.IntN(10) < 3 {
			wideMixed = append(wideMixed, 0x2D, 0x4E)
		} else {
			wideMixed = append(wideMixed, c, 0)
		}
	}
	cases := []struct {
		name string
		enc  ipcbuf.Encoding
		in   []byte
	}{
		{"utf8/ascii", ipcbuf.UTF8, text},
		{"utf8/mixed", ipcbuf.UTF8, mixed},
		{"utf8/random", ipcbuf.UTF8, random},
		{"utf16le/ascii", ipcbuf.UTF16LE, wide},
		{"utf16le/mixed", ipcbuf.UTF16LE, wideMixed},
		{"latin1/ascii", ipcbuf.Latin1, text},
		{"latin1/30pct", ipcbuf.Latin1, latin1},
		{"ascii/ascii", ipcbuf.ASCII, text},
		{"ascii/random", ipcbuf.ASCII, random},
		{"base64", ipcbuf.Base64, random},
		{"base64url", ipcbuf.Base64URL, random},
		{"hex", ipcbuf.Hex, random},
	}
	mem, err := ipcbuf.Alloc(size)
	qt.Assert(b, err, qt.IsNil)
	var shared *ipcbuf.Buffer
	sharedKind := "posix"
	switch {
	case ipcbuf.KindPOSIX.Supported():
		if shared, err = ipcbuf.CreateShmTemp(testPrefix+"bench-*", size); err == nil {
			err = shared.Remove() // the mapping stays
		}
	case ipcbuf.KindFile.Supported():
		sharedKind = "file"
		shared, err = ipcbuf.OpenFile(b.TempDir()+"/bench", size)
	}
	qt.Assert(b, err, qt.IsNil)
	bufs := map[string]*ipcbuf.Buffer{"memory": mem}
	if shared != nil {
		defer shared.Close()
		bufs[sharedKind] = shared
	}
	for _, c := range cases {
		for _, kind := range []string{"memory", sharedKind} {
			buf := bufs[kind]
			if buf == nil {
				continue
			}
			b.Run(c.name+"/"+kind, func(b *testing.B) {
				_, err := buf.WriteAt(c.in, 0)
				qt.Assert(b, err, qt.IsNil)
				b.SetBytes(size)
				for b.Loop() {
					decodeSink, _ = buf.ToString(c.enc, 0, size)
				}
			})
		}
	}
}

var decodeSink string
