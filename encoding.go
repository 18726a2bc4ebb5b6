package ipcbuf

import (
	"encoding/base64"
	"encoding/hex"
	"math/bits"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// Encoding is a Node.js Buffer character encoding. The constants are the
// canonical names; ParseEncoding maps every spelling Node accepts to one of
// them.
//
// Node's encoders work on the UTF-16 code units of a JS string, and a Go
// string is bytes. Wherever this package takes a Go string where Node takes
// a JS string, the Go string is read as UTF-8 into UTF-16 code units:
//
//   - A valid UTF-8 sequence is its code point: one code unit, or a
//     surrogate pair for a code point above U+FFFF.
//   - A three-byte WTF-8 surrogate sequence (ED A0..BF 80..BF), which valid
//     UTF-8 forbids, is that lone surrogate code unit (U+D800..U+DFFF).
//     Decoding utf16le produces exactly these for lone surrogates, so a
//     string decoded from utf16le encodes back to the same bytes.
//   - Any other invalid byte sequence is one U+FFFD per maximal invalid
//     subpart, as if the bytes had come through Node's toString('utf8').
//
// Node's rule for the encoding then applies to those code units. utf8 turns
// a lone surrogate into EF BF BD, while a WTF-8 high surrogate directly
// followed by a WTF-8 low surrogate is one supplementary character, as the
// two code units would be in JS. utf16le keeps lone surrogates. latin1 and
// ascii take the low byte of each code unit. hex and base64 test the low
// byte of each code unit.
//
// In the other direction, decoding bytes always gives valid UTF-8, except
// that utf16le decoding gives a lone surrogate as its WTF-8 sequence. That
// holds even while another process writes the bytes being decoded: every
// decoder reads each byte once, so the result is always valid for its
// encoding (latin1 and ascii give one character per byte, U+0000..U+00FF
// and U+0000..U+007F; base64 and hex only their alphabet, at the length
// the byte count gives) and decodes the bytes as they were when read, one
// by one. Which of a racing writer's bytes it sees is not ordered: use
// your own synchronisation for that.
type Encoding string

const (
	// UTF8 is UTF-8. Decoding replaces each maximal invalid subpart with
	// U+FFFD and keeps a leading BOM; encoding turns a lone surrogate into
	// U+FFFD. Also spelled "utf-8".
	UTF8 Encoding = "utf8"
	// UTF16LE is UTF-16 little-endian with no validation: lone surrogates
	// pass through both ways and an odd final byte is dropped. Also spelled
	// "utf-16le", "ucs2" and "ucs-2".
	UTF16LE Encoding = "utf16le"
	// Latin1 decodes each byte to the code point of the same value
	// (U+0000..U+00FF) and encodes the low byte of each UTF-16 code unit.
	// Also spelled "binary".
	Latin1 Encoding = "latin1"
	// ASCII clears the high bit of each byte when decoding; encoding is the
	// same as Latin1 (the high bit is kept).
	ASCII Encoding = "ascii"
	// Base64 decodes bytes to standard base64 text with '=' padding.
	// Encoding text to bytes is lenient and never fails: both alphabets are
	// accepted, characters outside them are skipped and the first '=' ends
	// the input.
	Base64 Encoding = "base64"
	// Base64URL decodes bytes to URL-safe base64 text without padding.
	// Encoding text to bytes is identical to Base64.
	Base64URL Encoding = "base64url"
	// Hex decodes bytes to lowercase hex pairs. Encoding text to bytes stops
	// at the first pair that is not two hex digits and drops an odd last
	// digit.
	Hex Encoding = "hex"
)

// IsEncoding reports whether name is an encoding Node's Buffer.isEncoding
// accepts: one of the spellings listed on the Encoding constants, compared
// ASCII case-insensitively, with no trimming. The empty string is not an
// encoding.
func IsEncoding(name string) bool {
	_, ok := lookupEncoding(name)
	return ok
}

// ParseEncoding returns the canonical Encoding for any spelling Node accepts
// (see IsEncoding). For anything else, including the empty string, it returns
// an *Error with Code "ERR_UNKNOWN_ENCODING", as Node's toString does; the
// Buffer methods whose Node counterparts treat a missing encoding as utf8 do
// that mapping themselves before calling it.
func ParseEncoding(name string) (Encoding, error) {
	if enc, ok := lookupEncoding(name); ok {
		return enc, nil
	}
	return "", errUnknownEncoding(name)
}

// encodingOrUTF8 is ParseEncoding except that "" means UTF8, which is what
// most Node APIs do with a missing or empty encoding argument.
func encodingOrUTF8(name string) (Encoding, error) {
	switch e := Encoding(name); e {
	case "", UTF8:
		return UTF8, nil
	case UTF16LE, Latin1, ASCII, Base64, Base64URL, Hex:
		return e, nil // the constants, as most calls pass them: no folding
	}
	return ParseEncoding(name)
}

// lookupEncoding folds only ASCII letters: Node lower-cases with Unicode
// rules, but no non-ASCII character lower-cases to a letter used in these
// names, whereas strings.EqualFold would wrongly accept "aſcii" (long s).
func lookupEncoding(name string) (Encoding, bool) {
	if len(name) < 3 || len(name) > 9 {
		return "", false
	}
	var buf [9]byte
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	switch string(buf[:len(name)]) {
	case "utf8", "utf-8":
		return UTF8, true
	case "utf16le", "utf-16le", "ucs2", "ucs-2":
		return UTF16LE, true
	case "latin1", "binary":
		return Latin1, true
	case "ascii":
		return ASCII, true
	case "base64":
		return Base64, true
	case "base64url":
		return Base64URL, true
	case "hex":
		return Hex, true
	}
	return "", false
}

// badEncoding panics. The codec primitives below take only the canonical
// constants (from ParseEncoding or encodingOrUTF8), so anything else is a bug
// in the caller, not bad user input.
func badEncoding(enc Encoding) {
	panic("ipcbuf: internal error: non-canonical encoding " + string(enc))
}

// decodeBytes returns Node's buf.toString(enc) for exactly the bytes b. enc
// must be canonical. The result is valid UTF-8, except that utf16le emits a
// lone surrogate as WTF-8. Every decoder reads each byte of b once (the
// base64 and hex encoders by their nature, the others by copying first or
// decoding in one pass), so that this holds even when b is shared memory
// that another process writes meanwhile.
func decodeBytes(enc Encoding, b []byte) string { return decodeMemory(enc, b, true) }

// decodeMemory is decodeBytes, told whether b may be shared memory that
// another process can write while it is read. Only shared memory needs
// the decoders' one read of each byte: for heap memory, latin1 and ascii
// skip a copy (a memory Buffer that another goroutine writes meanwhile is
// a data race, as with any []byte).
func decodeMemory(enc Encoding, b []byte, shared bool) string {
	switch enc {
	case UTF8:
		return decodeUTF8(b)
	case UTF16LE:
		return decodeUTF16LE(b)
	case Latin1:
		return decodeLatin1(b, shared)
	case ASCII:
		return decodeASCII(b, shared)
	case Base64:
		return encodeBase64(b)
	case Base64URL:
		return encodeBase64URL(b)
	case Hex:
		return encodeHex(b)
	}
	badEncoding(enc)
	return ""
}

// ownedString returns b as a string without copying. The caller gives up
// b: nothing may write to it afterwards.
func ownedString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// b64Pairs[v] is the two standard base64 characters of the 12 bits v, the
// first in the low byte.
var b64Pairs = func() (t [1 << 12]uint16) {
	const std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for v := range t {
		t[v] = uint16(std[v>>6]) | uint16(std[v&63])<<8
	}
	return t
}()

// encodeBase64 returns b as standard base64 with padding, as
// base64.StdEncoding does. It encodes 12 bytes to 16 characters at a time,
// with two lookups in b64Pairs per 3 bytes, and leaves the last few bytes
// and the padding to encoding/base64.
func encodeBase64(b []byte) string {
	dst := make([]byte, base64.StdEncoding.EncodedLen(len(b)))
	s, d := bytesView(b), dst
	k := base64EncodeFast(d, s, false) // the vector path first (codec_simd.go)
	s, d = s[k:], d[k/3*4:]
	for len(s) >= 14 && len(d) >= 16 { // each load reads 8 bytes and uses 6
		x := bits.ReverseBytes64(load64(s, 0)) // big-endian: the first byte on top
		y := bits.ReverseBytes64(load64(s, 6))
		store64(d, 0, uint64(b64Pairs[x>>52])|uint64(b64Pairs[x>>40&0xFFF])<<16|
			uint64(b64Pairs[x>>28&0xFFF])<<32|uint64(b64Pairs[x>>16&0xFFF])<<48)
		store64(d, 8, uint64(b64Pairs[y>>52])|uint64(b64Pairs[y>>40&0xFFF])<<16|
			uint64(b64Pairs[y>>28&0xFFF])<<32|uint64(b64Pairs[y>>16&0xFFF])<<48)
		s, d = s[12:], d[16:]
	}
	base64.StdEncoding.Encode(d, b[len(b)-len(s):])
	return ownedString(dst)
}

// encodeHex returns b as lowercase hex, as hex.EncodeToString does, 8
// bytes at a time with hexWord, the rest by encoding/hex.
func encodeHex(b []byte) string {
	dst := make([]byte, 2*len(b))
	src := bytesView(b)
	i := hexEncodeFast(dst, src) // the vector path first (codec_simd.go)
	for ; i+8 <= len(src); i += 8 {
		x := load64(src, i)
		store64(dst, 2*i, hexWord(uint32(x)))
		store64(dst, 2*i+8, hexWord(uint32(x>>32)))
	}
	hex.Encode(dst[2*i:], b[i:])
	return ownedString(dst)
}

// hexWord returns the 8 lowercase hex digits of the 4 bytes of v, the
// first byte's in the low bytes of the result.
func hexWord(v uint32) uint64 {
	// Spread the bytes over 16-bit lanes, then put each byte's high
	// nibble in the lane's low byte and its low nibble in the high byte.
	x := uint64(v)
	x = (x | x<<16) & 0x0000FFFF0000FFFF
	x = (x | x<<8) & 0x00FF00FF00FF00FF
	x = x>>4&(0x0F*0x0001000100010001) | (x&(0x0F*0x0001000100010001))<<8
	// Nibble n is '0'+n, plus 'a'-'0'-10 when n >= 10, which is when
	// n+6 reaches bit 4; no byte carries into the next.
	letter := (x + 0x06*loBits) >> 4 & loBits
	return x + '0'*loBits + letter*('a'-'0'-10)
}

// encodedLen returns Node's Buffer.byteLength(s, enc); enc must be
// canonical. For base64 and
// base64url this is Node's estimate, not the decoded size: it counts every
// code unit, garbage included, less at most two trailing '='.
func encodedLen(enc Encoding, s string) int {
	switch enc {
	case UTF8:
		return utf8EncodedLen(s)
	case UTF16LE:
		return 2 * unitCount(s)
	case Latin1, ASCII:
		return unitCount(s)
	case Base64, Base64URL:
		return base64Len(s, unitCount(s))
	case Hex:
		return unitCount(s) >> 1
	}
	badEncoding(enc)
	return 0
}

// encodeInto writes s encoded with enc into dst as Node's buf.write does
// when dst is the space available, and returns the number of bytes written.
// utf8 stops before the first character that does not fit whole; utf16le
// writes whole code units (so a surrogate pair can be split); base64 and hex
// write the decoded prefix that fits. Bytes of dst past the count are left
// alone. enc must be canonical.
func encodeInto(enc Encoding, dst []byte, s string) int {
	switch enc {
	case UTF8:
		return utf8EncodeInto(dst, s)
	case UTF16LE:
		return utf16EncodeInto(dst, s)
	case Latin1, ASCII:
		return lowBytesInto(dst, s)
	case Base64, Base64URL:
		if isASCII(s) {
			return base64DecodeInto(dst, s)
		}
		return base64DecodeInto(dst, bytesView(lowBytes(s)))
	case Hex:
		if isASCII(s) {
			return hexDecodeInto(dst, s)
		}
		return hexDecodeInto(dst, bytesView(lowBytes(s)))
	}
	badEncoding(enc)
	return 0
}

// base64Len is encodedLen for Base64 and Base64URL, given the length of s
// in code units.
func base64Len(s string, units int) int {
	n := units
	// '=' is ASCII, so a trailing '=' byte is a trailing '=' code unit.
	if n > 0 && s[len(s)-1] == '=' {
		n--
		if n > 1 && s[len(s)-2] == '=' {
			n--
		}
	}
	return n * 3 >> 2
}

// encodeString returns Node's Buffer.from(s, enc). enc must be canonical.
func encodeString(enc Encoding, s string) []byte {
	switch enc {
	case Base64, Base64URL, Hex:
		if isASCII(s) {
			// Its own code units: size and decode it without looking
			// for them again.
			if enc == Hex {
				dst := make([]byte, len(s)>>1)
				return dst[:hexDecodeInto(dst, s)]
			}
			dst := make([]byte, base64Len(s, len(s)))
			return dst[:base64DecodeInto(dst, s)]
		}
	case UTF8:
		if validUTF8(s) {
			// Valid UTF-8 has no surrogates and no replacements: the
			// bytes are already Node's.
			return []byte(s)
		}
	case Latin1, ASCII:
		if isASCII(s) {
			return []byte(s)
		}
		return lowBytes(s)
	}
	dst := make([]byte, encodedLen(enc, s))
	n := encodeInto(enc, dst, s)
	// base64 and hex lengths are upper bounds; Node truncates the same way.
	return dst[:n]
}

// badRune is what decodeRune returns for a maximal invalid subpart.
const badRune = -1

// decodeRune decodes the UTF-8 sequence at s[i:] by the WHATWG rules. For an
// invalid sequence it returns badRune and the length of the maximal subpart
// (the longest prefix of some valid sequence, at least one byte), which is
// what WHATWG and Node replace with a single U+FFFD.
func decodeRune[T string | []byte](s T, i int) (r rune, size int) {
	b0 := s[i]
	if b0 < utf8.RuneSelf {
		return rune(b0), 1
	}
	var need int
	lo, hi := byte(0x80), byte(0xBF)
	switch {
	case 0xC2 <= b0 && b0 <= 0xDF:
		need, r = 1, rune(b0&0x1F)
	case 0xE0 <= b0 && b0 <= 0xEF:
		need, r = 2, rune(b0&0x0F)
		if b0 == 0xE0 {
			lo = 0xA0 // overlong below U+0800
		} else if b0 == 0xED {
			hi = 0x9F // surrogates
		}
	case 0xF0 <= b0 && b0 <= 0xF4:
		need, r = 3, rune(b0&0x07)
		if b0 == 0xF0 {
			lo = 0x90 // overlong below U+10000
		} else if b0 == 0xF4 {
			hi = 0x8F // above U+10FFFF
		}
	default:
		return badRune, 1
	}
	for k := 1; k <= need; k++ {
		if i+k >= len(s) || s[i+k] < lo || s[i+k] > hi {
			return badRune, k
		}
		r = r<<6 | rune(s[i+k]&0x3F)
		lo, hi = 0x80, 0xBF
	}
	return r, need + 1
}

// decodeJS decodes the character at s[i:] by the Go-to-JS rule at the top of
// this file: a valid code point, a WTF-8 surrogate as the surrogate, or
// U+FFFD for a maximal invalid subpart.
func decodeJS(s string, i int) (r rune, size int) {
	if s[i] == 0xED && i+2 < len(s) && s[i+1] >= 0xA0 && s[i+1] <= 0xBF && s[i+2]&0xC0 == 0x80 {
		return 0xD000 | rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F), 3
	}
	r, size = decodeRune(s, i)
	if r == badRune {
		r = utf8.RuneError
	}
	return r, size
}

// decodeUTF8Char decodes the character at s[i:] as Node's utf8 encoder sees
// it: a WTF-8 high surrogate followed by a WTF-8 low surrogate is one
// supplementary code point, and any other surrogate is U+FFFD.
func decodeUTF8Char(s string, i int) (r rune, size int) {
	r, size = decodeJS(s, i)
	switch {
	case 0xD800 <= r && r <= 0xDBFF:
		if j := i + size; j < len(s) {
			if r2, size2 := decodeJS(s, j); 0xDC00 <= r2 && r2 <= 0xDFFF {
				return 0x10000 + (r-0xD800)<<10 + (r2 - 0xDC00), size + size2
			}
		}
		return utf8.RuneError, size
	case 0xDC00 <= r && r <= 0xDFFF:
		return utf8.RuneError, size
	}
	return r, size
}

// unitIter yields the UTF-16 code units of a Go string.
type unitIter struct {
	s  string
	i  int
	lo uint16 // pending low surrogate of a pair; never 0 when pending
}

// next returns the next code unit, or ok false at the end.
func (it *unitIter) next() (u uint16, ok bool) {
	if it.lo != 0 {
		u, it.lo = it.lo, 0
		return u, true
	}
	if it.i >= len(it.s) {
		return 0, false
	}
	if c := it.s[it.i]; c < utf8.RuneSelf {
		it.i++
		return uint16(c), true
	}
	r, size := decodeJS(it.s, it.i)
	it.i += size
	if r >= 0x10000 {
		r -= 0x10000
		it.lo = 0xDC00 | uint16(r&0x3FF)
		return 0xD800 | uint16(r>>10), true
	}
	return uint16(r), true
}

// appendUnits appends the UTF-16 code units of s (the JS string it stands
// for) to dst.
func appendUnits(dst []uint16, s string) []uint16 {
	it := unitIter{s: s}
	for u, ok := it.next(); ok; u, ok = it.next() {
		dst = append(dst, u)
	}
	return dst
}

// unitCount returns the length of s as a JS string, in code units.
func unitCount(s string) int {
	n := asciiPrefix(s) // one unit a byte
	for i := n; i < len(s); {
		if s[i] < utf8.RuneSelf {
			n++
			i++
			continue
		}
		r, size := decodeJS(s, i)
		i += size
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

// Word-at-a-time (SWAR) constants: loBits has the low bit of each byte of a
// 64-bit word set, hiBits the high bit.
const (
	loBits = 0x0101010101010101
	hiBits = 0x8080808080808080
)

// load64 returns the 8 bytes of s at i as a little-endian word; the
// compiler makes it one load.
func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// store64 writes w to b[i:i+8] little-endian; the compiler makes it one
// store.
func store64(b []byte, i int, w uint64) {
	b = b[i : i+8]
	b[0], b[1], b[2], b[3] = byte(w), byte(w>>8), byte(w>>16), byte(w>>24)
	b[4], b[5], b[6], b[7] = byte(w>>32), byte(w>>40), byte(w>>48), byte(w>>56)
}

// bytesView returns b as a string without copying, for reading only; the
// string must not outlive the caller's hold on b.
func bytesView(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// packUnits returns the low bytes of the 4 16-bit units of x (the first
// in the low bytes), packed into the low 4 bytes.
func packUnits(x uint64) uint64 {
	x &= 0x00FF00FF00FF00FF
	x = (x | x>>8) & 0x0000FFFF0000FFFF
	return (x | x>>16) & 0xFFFFFFFF
}

// asciiPrefix returns the length of the leading run of ASCII bytes of s.
// It tests 32 bytes, then 8, at a time. (The loops keep t from becoming
// empty, which spares the compiler a fix-up of the pointer at each step.)
func asciiPrefix(s string) int {
	t := s[asciiPrefixFast(s):] // the vector path first (codec_simd.go)
	for len(t) > 32 && (load64(t, 0)|load64(t, 8)|load64(t, 16)|load64(t, 24))&hiBits == 0 {
		t = t[32:]
	}
	for len(t) > 8 && load64(t, 0)&hiBits == 0 {
		t = t[8:]
	}
	for len(t) > 0 && t[0] < utf8.RuneSelf {
		t = t[1:]
	}
	return len(s) - len(t)
}

// isASCII reports whether s is all ASCII, so that it is its own sequence of
// code units.
func isASCII(s string) bool { return asciiPrefix(s) == len(s) }

// lowBytes returns the low byte of each code unit of s: its latin1 encoding,
// and the bytes Node's hex and base64 decoders actually look at.
//
// Every byte of s that is not a continuation byte (80..BF) begins a
// character of its own (valid, a WTF-8 surrogate or a maximal invalid
// subpart), of one or two code units, so their count is a lower bound on
// the length. It is exact unless s holds a character above U+FFFF (two
// units) or a stray continuation byte (a unit with none): then the units
// overflow it, and the exact count is taken instead.
func lowBytes(s string) []byte {
	dst := make([]byte, len(s)-contBytes(s))
	if n, all := lowBytesAll(dst, s, true); all {
		return dst[:n]
	}
	dst = make([]byte, unitCount(s))
	lowBytesInto(dst, s)
	return dst
}

// contBytes returns the number of continuation bytes (80..BF) in s.
func contBytes(s string) int {
	n := 0
	for len(s) >= 8 {
		x := load64(s, 0)
		n += bits.OnesCount64(x &^ (x << 1) & hiBits) // bit 7 set, bit 6 clear
		s = s[8:]
	}
	for k := range len(s) {
		if s[k]&0xC0 == 0x80 {
			n++
		}
	}
	return n
}

// lowBytesInto writes the low byte of each code unit of s into dst until
// either runs out and returns the count.
func lowBytesInto(dst []byte, s string) int {
	n, _ := lowBytesAll(dst, s, false)
	return n
}

// lowBytesAll is lowBytesInto that also reports whether every code unit of
// s was written. Runs of characters up to U+00FF go through latin1Run; any
// other character through unitIter. If scratch, it may write anything to
// dst past the count.
func lowBytesAll(dst []byte, s string, scratch bool) (n int, all bool) {
	i := 0
	for {
		k, m := latin1Run(dst[n:], s[i:], scratch)
		i, n = i+k, n+m
		switch {
		case i == len(s):
			return n, true
		case n == len(dst):
			return n, false
		}
		it := unitIter{s: s, i: i}
		u, _ := it.next()
		dst[n] = byte(u)
		n++
		if it.lo != 0 { // the second unit of a surrogate pair
			if n == len(dst) {
				return n, false
			}
			dst[n] = byte(it.lo)
			n++
		}
		i = it.i
	}
}

// latin1Run writes the latin1 bytes of the leading characters of s that are
// ASCII or U+0080..U+00FF (C2 or C3 and a continuation byte) into dst,
// until either runs out or another character comes, and returns how many
// bytes of s it took and how many it wrote. It goes a word at a time
// through latin1Word while a word fits both sides, character by character
// otherwise. If scratch, it may write anything to dst past the count.
func latin1Run(dst []byte, s string, scratch bool) (i, n int) {
	for n < len(dst) && i < len(s) {
		if n+8 <= len(dst) && i+8 <= len(s) {
			if w, in, out := latin1Word(load64(s, i)); in > 0 {
				if scratch || out == 8 {
					store64(dst, n, w) // zeros after the out bytes
				} else {
					for k := range out {
						dst[n+k] = byte(w >> (8 * k))
					}
				}
				i, n = i+in, n+out
				continue
			}
		}
		c := s[i]
		if c < utf8.RuneSelf {
			dst[n] = c
			i, n = i+1, n+1
			continue
		}
		if c&^1 != 0xC2 || i+1 == len(s) || s[i+1]&0xC0 != 0x80 {
			break
		}
		dst[n] = c<<6 | s[i+1]&0x3F
		i, n = i+2, n+1
	}
	return i, n
}

// latin1Word converts the characters in the 8 bytes of x (the first in the
// low byte) from UTF-8 to latin1, if they are all ASCII or C2/C3 and a
// continuation byte: it returns their latin1 bytes in the low bytes of w,
// the number of bytes of x taken (8, or 7 when the last is a lead byte
// whose character goes on in the next word) and the number of bytes of w.
// Otherwise in is 0.
func latin1Word(x uint64) (w uint64, in, out int) {
	if x&hiBits == 0 {
		return x, 8, 8
	}
	in = 8 - int(x>>63&(x>>62)) // a lead byte last waits for the next word
	keep := ^uint64(0) >> (8 * (8 - in) & 63)
	x &= keep
	lead := x & (x << 1) & hiBits  // C0..FF
	cont := x &^ (x << 1) & hiBits // 80..BF
	// Every lead byte must be C2 or C3 and every continuation byte follow
	// one. z is 0 in a byte that is C2 or C3; nz has bit 7 set in the
	// others (adding 7F to the low 7 bits carries into no other byte).
	z := (x ^ 0xC2*loBits) & (0xFE * loBits)
	nz := (z&(0x7F*loBits) + 0x7F*loBits | z) & hiBits
	if nz&lead != 0 || cont != lead<<8 {
		return 0, 0, 0
	}
	// A lead byte becomes its character's latin1 byte: its low 2 bits on
	// top of the continuation byte's low 6.
	leadFF := lead >> 7 * 0xFF
	w = x&^leadFF | ((x&(0x03*loBits))<<6|(x>>8)&(0x3F*loBits))&leadFF
	// Drop the continuation bytes: every other byte moves down by the
	// number of them before it, at most 3 (a fourth would need a ninth
	// byte after it), in a step of 1 byte and one of 2. The moves never
	// decrease along the word, so no byte lands on one that stays.
	contFF := cont >> 7 * 0xFF
	w &^= contFF
	shift := (cont >> 7 * loBits << 8) &^ contFF // byte k: continuation bytes before k
	move := shift & loBits * 0xFF
	w = w&^move | (w&move)>>8
	shift = shift&^move | (shift&move)>>8
	move = shift >> 1 & loBits * 0xFF
	w = w&^move | (w&move)>>16
	return w, in, in - bits.OnesCount64(cont)
}

// utf8EncodedLen is encodedLen for UTF8.
func utf8EncodedLen(s string) int {
	if validUTF8(s) {
		return len(s)
	}
	n := 0
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			n++
			i++
			continue
		}
		r, size := decodeUTF8Char(s, i)
		i += size
		n += utf8.RuneLen(r)
	}
	return n
}

// utf8EncodeInto is encodeInto for UTF8.
func utf8EncodeInto(dst []byte, s string) int {
	if len(s) <= len(dst) && validUTF8(s) {
		return copy(dst, s)
	}
	n := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if n == len(dst) {
				break
			}
			dst[n] = c
			n++
			i++
			continue
		}
		r, size := decodeUTF8Char(s, i)
		// Node never writes part of a character, and stops at the first
		// one that does not fit rather than skipping to shorter ones.
		if n+utf8.RuneLen(r) > len(dst) {
			break
		}
		n += utf8.EncodeRune(dst[n:], r)
		i += size
	}
	return n
}

// utf16EncodeInto is encodeInto for UTF16LE.
func utf16EncodeInto(dst []byte, s string) int {
	n := 0
	it := unitIter{s: s}
	for n+2 <= len(dst) {
		u, ok := it.next()
		if !ok {
			break
		}
		dst[n] = byte(u)
		dst[n+1] = byte(u >> 8)
		n += 2
	}
	return n
}

// b64Stop and b64Skip mark '=' and non-alphabet bytes in b64Value.
const (
	b64Stop = -2
	b64Skip = -1
)

// b64Value maps a byte to its 6-bit value in either base64 alphabet; Node
// decodes base64 and base64url alike.
var b64Value = func() (t [256]int8) {
	for i := range t {
		t[i] = b64Skip
	}
	const std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(std); i++ {
		t[std[i]] = int8(i)
	}
	t['-'], t['_'] = 62, 63
	t['='] = b64Stop
	return t
}()

// b64Quad[j][c] is the 6-bit value of c placed as the j-th character of a
// four-character quantum (shifted left by 18-6j), or b64Bad for a byte
// that is not in either alphabet, '=' included. OR-ing the four entries of
// a quantum gives its 24 bits, or a value above 0xFFFFFF if any of the four
// needs the byte-at-a-time rule.
var b64Quad = func() (t [4][256]uint32) {
	for c, v := range b64Value {
		for j := range t {
			if v < 0 {
				t[j][c] = b64Bad
			} else {
				t[j][c] = uint32(v) << (18 - 6*j)
			}
		}
	}
	return t
}()

// b64Bad marks, in b64Quad, a byte that only the byte-at-a-time rule
// handles.
const b64Bad = 1 << 31

// base64DecodeInto decodes src by Node's lenient rule into dst until either
// runs out and returns the count. It never fails: bytes outside both
// alphabets are skipped, the first '=' ends the input and leftover bits are
// dropped.
//
// Whenever it is at a quantum boundary it decodes whole quantums of four
// alphabet characters at a time (base64Quanta); the byte-at-a-time loop
// takes over for a quantum holding anything else, and hands back once it
// reaches the next boundary. Both emit each byte as soon as its 8 bits are
// in, so the result is the same as the byte-at-a-time loop's alone.
func base64DecodeInto(dst []byte, src string) int {
	var acc uint32
	bits, n := 0, 0
	for i := 0; i < len(src) && n < len(dst); i++ {
		if bits == 0 {
			k, m := base64Quanta(dst[n:], src[i:])
			if i, n = i+k, n+m; i == len(src) || n == len(dst) {
				break
			}
		}
		v := b64Value[src[i]]
		if v < 0 {
			if v == b64Stop {
				break
			}
			continue
		}
		acc = acc<<6 | uint32(v)
		bits += 6
		if bits >= 8 {
			bits -= 8
			dst[n] = byte(acc >> bits)
			n++
			acc &= 1<<bits - 1
		}
	}
	return n
}

// base64Quanta decodes the leading quantums of four alphabet characters of
// src into dst, while whole quantums fit, 16 characters to 12 bytes at a
// time, then 4 to 3, and stops before the first quantum holding any other
// byte. It returns the number of characters taken and of bytes written, and
// writes nothing past those.
func base64Quanta(dst []byte, src string) (int, int) {
	k, m := base64DecodeFast(dst, src) // the vector path first (codec_simd.go)
	s, d := src[k:], dst[m:]
	for len(s) >= 16 && len(d) >= 12 {
		v := b64Quad[0][s[0]] | b64Quad[1][s[1]] | b64Quad[2][s[2]] | b64Quad[3][s[3]]
		w := b64Quad[0][s[4]] | b64Quad[1][s[5]] | b64Quad[2][s[6]] | b64Quad[3][s[7]]
		x := b64Quad[0][s[8]] | b64Quad[1][s[9]] | b64Quad[2][s[10]] | b64Quad[3][s[11]]
		y := b64Quad[0][s[12]] | b64Quad[1][s[13]] | b64Quad[2][s[14]] | b64Quad[3][s[15]]
		if (v|w|x|y)&b64Bad != 0 {
			break
		}
		// Each pair of quantums as 6 big-endian bytes on top of a word;
		// the first word's last 2 bytes are overwritten by the second's.
		store64(d, 0, bits.ReverseBytes64(uint64(v)<<40|uint64(w)<<16))
		z := bits.ReverseBytes64(uint64(x)<<40 | uint64(y)<<16)
		q := d[6:12]
		q[0], q[1], q[2], q[3], q[4], q[5] = byte(z), byte(z>>8), byte(z>>16), byte(z>>24), byte(z>>32), byte(z>>40)
		s, d = s[16:], d[12:]
	}
	for len(s) >= 4 && len(d) >= 3 {
		v := b64Quad[0][s[0]] | b64Quad[1][s[1]] | b64Quad[2][s[2]] | b64Quad[3][s[3]]
		if v&b64Bad != 0 {
			break
		}
		d[0], d[1], d[2] = byte(v>>16), byte(v>>8), byte(v)
		s, d = s[4:], d[3:]
	}
	return len(src) - len(s), len(dst) - len(d)
}

// unhex returns the value of the hex digit c.
func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// hexDecodeInto decodes pairs of hex digits from src into dst until either
// runs out or a pair is not two hex digits, and returns the count; an odd
// last digit is dropped. hexDecodeWords does the bulk; the pair-by-pair
// loop finishes, from where it stopped.
func hexDecodeInto(dst []byte, src string) int {
	i, n := hexDecodeWords(dst, src)
	for ; i+1 < len(src) && n < len(dst); i, n = i+2, n+1 {
		hi, ok1 := unhex(src[i])
		lo, ok2 := unhex(src[i+1])
		if !ok1 || !ok2 {
			break
		}
		dst[n] = hi<<4 | lo
	}
	return n
}

// hexDecodeWords decodes src into dst 16 digits to 8 bytes at a time,
// while a whole block fits both and holds only hex digits, and returns how
// far it got in each.
func hexDecodeWords(dst []byte, src string) (i, n int) {
	for ; i+16 <= len(src) && n+8 <= len(dst); i, n = i+16, n+8 {
		lo, ok1 := unhexWord(load64(src, i))
		hi, ok2 := unhexWord(load64(src, i+8))
		if !ok1 || !ok2 {
			break
		}
		store64(dst, n, uint64(lo)|uint64(hi)<<32)
	}
	return i, n
}

// unhexWord decodes the 8 characters of x, the first in the low byte, to
// 4 bytes, the first in the low byte, or reports false if any is not a hex
// digit.
func unhexWord(x uint64) (uint32, bool) {
	// Adding k to a byte below 0x80 sets its high bit exactly when the
	// byte is at least 0x80-k, and carries into no other byte. A byte of
	// 0x80 or more (which may carry into the next) comes out as neither a
	// digit nor a letter.
	digit := (x + 0x50*loBits) &^ (x + 0x46*loBits) // '0'..'9'
	y := x | 0x20*loBits                            // 'A'..'F' to 'a'..'f'
	alpha := (y + 0x1F*loBits) &^ (y + 0x19*loBits) // 'a'..'f'
	// Each digit's value is its low nibble, plus 9 for a letter (bit 6
	// set). Byte 2k of v<<4 | v>>8 is digit 2k's value times 16 plus
	// digit 2k+1's; then bytes 0, 2, 4 and 6 are packed.
	v := x&(0x0F*loBits) + (x>>6)&loBits*9
	v = (v<<4 | v>>8) & 0x00FF00FF00FF00FF
	v = (v | v>>8) & 0x0000FFFF0000FFFF
	return uint32(v | v>>16), (digit|alpha)&hiBits == hiBits
}

// UTF-8 validation by a deterministic automaton with the states packed in
// a word: utf8DFA[c] holds, at bit offset s for each state s, the 6-bit
// state that byte c leads to from s, so one step is a load and a shift
// (the shift by the state takes its low 6 bits only). The states are
// multiples of 6; dfaAccept is 0, and dfaError absorbs.
const (
	dfaAccept = 6 * iota // between characters
	dfaCont1             // one more continuation byte (80..BF) to go
	dfaCont2             // two more
	dfaCont3             // three more
	dfaE0                // after E0: A0..BF, then one more (no overlongs)
	dfaED                // after ED: 80..9F, then one more (no surrogates)
	dfaF0                // after F0: 90..BF, then two more (no overlongs)
	dfaF4                // after F4: 80..8F, then two more (≤ U+10FFFF)
	dfaError
)

var utf8DFA = func() (t [256]uint64) {
	for c := range t {
		for st := dfaAccept; st <= dfaError; st += 6 {
			t[c] |= dfaError << st
		}
	}
	// set makes the bytes lo..hi lead from state from to state to.
	set := func(lo, hi int, from, to uint64) {
		for c := lo; c <= hi; c++ {
			t[c] = t[c]&^(63<<from) | to<<from
		}
	}
	set(0x00, 0x7F, dfaAccept, dfaAccept)
	set(0xC2, 0xDF, dfaAccept, dfaCont1)
	set(0xE0, 0xE0, dfaAccept, dfaE0)
	set(0xE1, 0xEC, dfaAccept, dfaCont2)
	set(0xED, 0xED, dfaAccept, dfaED)
	set(0xEE, 0xEF, dfaAccept, dfaCont2)
	set(0xF0, 0xF0, dfaAccept, dfaF0)
	set(0xF1, 0xF3, dfaAccept, dfaCont3)
	set(0xF4, 0xF4, dfaAccept, dfaF4)
	set(0x80, 0xBF, dfaCont1, dfaAccept)
	set(0x80, 0xBF, dfaCont2, dfaCont1)
	set(0x80, 0xBF, dfaCont3, dfaCont2)
	set(0xA0, 0xBF, dfaE0, dfaCont1)
	set(0x80, 0x9F, dfaED, dfaCont1)
	set(0x90, 0xBF, dfaF0, dfaCont2)
	set(0x80, 0x8F, dfaF4, dfaCont2)
	return t
}()

// validUTF8 reports whether s is valid UTF-8, exactly as utf8.ValidString
// does. An ASCII prefix goes 32 bytes at a time. A long rest is cut in two
// at a character boundary and the halves go through validUTF8Pair side by
// side, so that the two chains of dependent steps overlap: a valid string
// cut before a lead or ASCII byte is two valid strings, and two valid
// strings make a valid one.
func validUTF8(s string) bool {
	if valid, done := validUTF8Fast(s); done { // the vector path (codec_simd.go)
		return valid
	}
	s = s[asciiPrefix(s):]
	if len(s) < 512 {
		return validUTF8From(s, dfaAccept)
	}
	mid := len(s) / 2
	for k := 0; k < 3 && s[mid]&0xC0 == 0x80; k++ {
		mid-- // back to the lead byte; more than 3 fails in the second half
	}
	return validUTF8Pair(s[:mid], s[mid:])
}

// validUTF8Pair reports whether a and b are both valid UTF-8, walking them
// in step, 16 bytes of each at a time: skipped when both blocks are ASCII
// between characters, else through utf8DFA, then the rest of each alone.
func validUTF8Pair(a, b string) bool {
	var sa, sb uint64 // dfaAccept
	for len(a) > 16 && len(b) > 16 {
		if (sa|sb)&63 != dfaAccept || (load64(a, 0)|load64(a, 8)|load64(b, 0)|load64(b, 8))&hiBits != 0 {
			for k := 0; k < 16; k += 8 { // unrolled: the loop costs more than a step
				qa, qb := a[k:k+8], b[k:k+8]
				sa = utf8DFA[qa[0]] >> (sa & 63)
				sb = utf8DFA[qb[0]] >> (sb & 63)
				sa = utf8DFA[qa[1]] >> (sa & 63)
				sb = utf8DFA[qb[1]] >> (sb & 63)
				sa = utf8DFA[qa[2]] >> (sa & 63)
				sb = utf8DFA[qb[2]] >> (sb & 63)
				sa = utf8DFA[qa[3]] >> (sa & 63)
				sb = utf8DFA[qb[3]] >> (sb & 63)
				sa = utf8DFA[qa[4]] >> (sa & 63)
				sb = utf8DFA[qb[4]] >> (sb & 63)
				sa = utf8DFA[qa[5]] >> (sa & 63)
				sb = utf8DFA[qb[5]] >> (sb & 63)
				sa = utf8DFA[qa[6]] >> (sa & 63)
				sb = utf8DFA[qb[6]] >> (sb & 63)
				sa = utf8DFA[qa[7]] >> (sa & 63)
				sb = utf8DFA[qb[7]] >> (sb & 63)
			}
		}
		a, b = a[16:], b[16:]
	}
	return validUTF8From(a, sa) && validUTF8From(b, sb)
}

// validUTF8From reports whether s leaves utf8DFA in dfaAccept when it
// starts in state st. Blocks of 16 ASCII bytes between characters are
// skipped.
func validUTF8From(s string, st uint64) bool {
	for len(s) > 16 {
		if st&63 != dfaAccept || (load64(s, 0)|load64(s, 8))&hiBits != 0 {
			for k := 0; k < 16; k += 4 { // unrolled: the loop costs more than a step
				q := s[k : k+4]
				st = utf8DFA[q[0]] >> (st & 63)
				st = utf8DFA[q[1]] >> (st & 63)
				st = utf8DFA[q[2]] >> (st & 63)
				st = utf8DFA[q[3]] >> (st & 63)
			}
		}
		s = s[16:]
	}
	for k := range len(s) {
		st = utf8DFA[s[k]] >> (st & 63)
	}
	return st&63 == dfaAccept
}

// decodeUTF8 copies long valid UTF-8 and checks the copy in blocks of
// utf8Block bytes, so that the check finds each block in the cache. Each
// block but the last ends before a character, found by stepping back over
// at most 3 continuation bytes, and is checked as a string of its own,
// which it is if the whole is valid: valid blocks make a valid whole.
const utf8Block = 16 << 10

// utf8BlockEnd returns the length of the block that begins s.
func utf8BlockEnd(s string) int {
	n := min(utf8Block, len(s))
	for k := 0; k < 3 && n < len(s) && s[n]&0xC0 == 0x80; k++ {
		n--
	}
	return n
}

// copyUTF8 returns a copy of b as a string and the length of its prefix
// known to be valid UTF-8: all of it when the copy is valid. It checks the
// copy rather than b, and decodeUTF8 works on the copy only, so that the
// result is valid even if b is shared memory that another process writes
// meanwhile: each byte of b is read once. A string builder's memory is not
// cleared before the blocks fill it; after an invalid block the rest is
// copied unchecked.
func copyUTF8(b []byte) (string, int) {
	if len(b) <= utf8Block {
		s := string(b)
		if validUTF8(s) {
			return s, len(s)
		}
		return s, 0
	}
	var sb strings.Builder
	sb.Grow(len(b))
	for len(b) > 0 {
		n := utf8BlockEnd(bytesView(b))
		sb.Write(b[:n])
		if s := sb.String(); !validUTF8(s[len(s)-n:]) {
			valid := len(s) - n // a cut before a character, whatever b holds now
			sb.Write(b[n:])
			return sb.String(), valid
		}
		b = b[n:]
	}
	return sb.String(), sb.Len()
}

// decodeUTF8 is decodeBytes for UTF8: each maximal invalid subpart becomes
// one U+FFFD. It decodes a copy of b (see copyUTF8).
func decodeUTF8(b []byte) string {
	s, valid := copyUTF8(b)
	if valid == len(s) {
		return s
	}
	var sb strings.Builder
	sb.Grow(len(s) + len(s)/2)
	start := 0
	for i := valid; i < len(s); {
		if s[i] < utf8.RuneSelf {
			i += asciiPrefix(s[i:])
			continue
		}
		r, size := decodeRune(s, i)
		if r == badRune {
			sb.WriteString(s[start:i])
			sb.WriteString("\uFFFD")
			start = i + size
		}
		i += size
	}
	sb.WriteString(s[start:])
	return sb.String()
}

// decodeUTF16LE is decodeBytes for UTF16LE. It reads each code unit of b
// once, in one pass (a unit read to see whether it completes a surrogate
// pair is kept for the next step), so that the result is valid even if b
// is shared memory that another process writes meanwhile.
func decodeUTF16LE(b []byte) string {
	n := len(b) / 2 // Node drops an odd final byte
	unit := func(i int) rune { return rune(b[2*i]) | rune(b[2*i+1])<<8 }
	// Size the result from the ASCII prefix: one byte a unit, then at most
	// three. This look only sizes; if the units change before they are
	// read below, the builder grows.
	ascii := 0
	for ascii < n && unit(ascii) < utf8.RuneSelf {
		ascii++
	}
	var sb strings.Builder
	sb.Grow(ascii + (n-ascii)*3)
	i := 0
	// ASCII units 8 at a time: two loads, each byte read once, packed to
	// 8 bytes and written through a buffer that spares the builder a call
	// per unit. A block that is not all ASCII is read again unit by unit
	// below, and only that read counts.
	src := bytesView(b)
	var chunk [512]byte
	for i+8 <= n {
		k := 0
		for ; k+8 <= len(chunk) && i+8 <= n; k, i = k+8, i+8 {
			x, y := load64(src, 2*i), load64(src, 2*i+8)
			if (x|y)&0xFF80FF80FF80FF80 != 0 {
				break
			}
			store64(chunk[:], k, packUnits(x)|packUnits(y)<<32)
		}
		sb.Write(chunk[:k])
		if k < len(chunk) {
			break
		}
	}
	var u rune
	for ; i < n; i++ {
		if u = unit(i); u >= utf8.RuneSelf {
			break
		}
		sb.WriteByte(byte(u))
	}
	if i == n {
		return sb.String()
	}
	var tmp [3]byte
	for {
		// u is unit i, read once.
		if 0xD800 <= u && u <= 0xDBFF && i+1 < n {
			u2 := unit(i + 1)
			if 0xDC00 <= u2 && u2 <= 0xDFFF {
				sb.WriteRune(0x10000 + (u-0xD800)<<10 + (u2 - 0xDC00))
				if i += 2; i == n {
					break
				}
				u = unit(i)
				continue
			}
			// A lone high surrogate; u2 is the next unit, as read.
			tmp[0], tmp[1], tmp[2] = 0xE0|byte(u>>12), 0x80|byte(u>>6)&0x3F, 0x80|byte(u)&0x3F
			sb.Write(tmp[:])
			i, u = i+1, u2
			continue
		}
		if 0xD800 <= u && u <= 0xDFFF {
			// A lone surrogate is kept as WTF-8 rather than replaced, so
			// that encoding the string as utf16le gives back these bytes.
			tmp[0], tmp[1], tmp[2] = 0xE0|byte(u>>12), 0x80|byte(u>>6)&0x3F, 0x80|byte(u)&0x3F
			sb.Write(tmp[:])
		} else if u < utf8.RuneSelf {
			sb.WriteByte(byte(u))
		} else {
			sb.WriteRune(u)
		}
		if i++; i == n {
			break
		}
		u = unit(i)
	}
	return sb.String()
}

// decodeLatin1 is decodeBytes for Latin1: each byte from 0x80 up becomes
// two bytes of UTF-8. After an ASCII prefix it counts those bytes to size
// the result, then converts 8 bytes at a time (latin1ToUTF8).
//
// If b may be shared memory that another process writes meanwhile, it
// reads b once, into a copy, which is the result if it is all ASCII, and
// counts and converts the copy: the count and the conversion then agree
// and the result is valid. Heap memory (a memory Buffer) that no other
// process can write is read in place, which spares the copy.
func decodeLatin1(b []byte, shared bool) string {
	src := bytesView(b)
	if shared {
		src = string(b)
	}
	k := asciiPrefix(src)
	if k == len(src) {
		if shared {
			return src
		}
		return string(b)
	}
	// One byte of slack: latin1Pairs writes two bytes for every byte.
	dst := make([]byte, len(src)+highBytes(src[k:])+1)
	j := copy(dst, src[:k])
	j = latin1ToUTF8(dst, src[k:], j)
	return ownedString(dst[:j])
}

// highBytes returns the number of bytes of s from 0x80 up.
func highBytes(s string) int {
	n := 0
	for len(s) >= 8 {
		n += bits.OnesCount64(load64(s, 0) & hiBits)
		s = s[8:]
	}
	for k := range len(s) {
		n += int(s[k] >> 7)
	}
	return n
}

// latin1Pairs[c] is the UTF-8 of the code point c in its low bytes, the
// first in the low byte: for c below 0x80 just c, then a zero byte.
var latin1Pairs = func() (t [256]uint16) {
	for c := range t {
		if c < utf8.RuneSelf {
			t[c] = uint16(c)
		} else {
			t[c] = uint16(0xC0|c>>6) | uint16(0x80|c&0x3F)<<8
		}
	}
	return t
}()

// latin1ToUTF8 writes the UTF-8 of the Latin-1 text s into dst from j, as
// far as whole characters fit with one byte to spare, and returns where it
// stopped. It goes 8 bytes at a time: a word of ASCII is copied whole, any
// other as two halves through latin1Half.
func latin1ToUTF8(dst []byte, s string, j int) int {
	for len(s) >= 8 && j+16 <= len(dst) {
		x := load64(s, 0)
		if x&hiBits == 0 {
			store64(dst, j, x)
			j += 8
		} else {
			w, n := latin1Half(uint32(x))
			store64(dst, j, w)
			j += n
			w, n = latin1Half(uint32(x >> 32))
			store64(dst, j, w)
			j += n
		}
		s = s[8:]
	}
	for k := 0; k < len(s) && j+2 <= len(dst); k++ {
		p := latin1Pairs[s[k]]
		dst[j], dst[j+1] = byte(p), byte(p>>8)
		j += 1 + int(s[k]>>7)
	}
	return j
}

// latin1Half returns the UTF-8 of the 4 Latin-1 bytes of y (the first in
// the low byte) in the low n bytes of w, n being 4 to 8. Byte k goes at
// offset k plus the number of high bytes before it; one multiplication
// gives, in byte k of sh, the bit offset of byte k+1 (at most 48), and in
// byte 3 that of the end.
func latin1Half(y uint32) (w uint64, n int) {
	sh := (y>>7&0x01010101)*0x01010101*8 + 0x20181008
	w = uint64(latin1Pairs[byte(y)]) |
		uint64(latin1Pairs[byte(y>>8)])<<(sh&63) |
		uint64(latin1Pairs[byte(y>>16)])<<(sh>>8&63) |
		uint64(latin1Pairs[byte(y>>24)])<<(sh>>16&63)
	return w, int(sh >> 27)
}

// decodeASCII is decodeBytes for ASCII: it copies b, reading each byte
// once, and clears the high bit of every byte of the copy after its ASCII
// prefix, a word at a time. Heap memory that no other process can write
// (shared false) is first scanned in place: all ASCII, it is the result
// of one plain copy.
func decodeASCII(b []byte, shared bool) string {
	if !shared && isASCII(bytesView(b)) {
		return string(b)
	}
	dst := append([]byte(nil), b...) // appending to nil leaves no memory to clear
	src := bytesView(dst)
	k := asciiPrefix(src)
	for ; k+8 <= len(dst); k += 8 {
		store64(dst, k, load64(src, k)&^hiBits)
	}
	for ; k < len(dst); k++ {
		dst[k] &= 0x7F
	}
	return ownedString(dst)
}
