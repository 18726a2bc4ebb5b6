package ipcbuf

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"unicode/utf8"
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
// that utf16le decoding gives a lone surrogate as its WTF-8 sequence.
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
	return "", nodeError("ERR_UNKNOWN_ENCODING", "unknown encoding: %s", name)
}

// encodingOrUTF8 is ParseEncoding except that "" means UTF8, which is what
// most Node APIs do with a missing or empty encoding argument.
func encodingOrUTF8(name string) (Encoding, error) {
	if name == "" {
		return UTF8, nil
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
// lone surrogate as WTF-8.
func decodeBytes(enc Encoding, b []byte) string {
	switch enc {
	case UTF8:
		return decodeUTF8(b)
	case UTF16LE:
		return decodeUTF16LE(b)
	case Latin1:
		return decodeLatin1(b)
	case ASCII:
		return decodeASCII(b)
	case Base64:
		return base64.StdEncoding.EncodeToString(b)
	case Base64URL:
		return base64.RawURLEncoding.EncodeToString(b)
	case Hex:
		return hex.EncodeToString(b)
	}
	badEncoding(enc)
	return ""
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
		n := unitCount(s)
		// '=' is ASCII, so a trailing '=' byte is a trailing '=' code unit.
		if n > 0 && s[len(s)-1] == '=' {
			n--
			if n > 1 && s[len(s)-2] == '=' {
				n--
			}
		}
		return n * 3 >> 2
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
		return base64DecodeInto(dst, lowBytes(s))
	case Hex:
		if isASCII(s) {
			return hexDecodeInto(dst, s)
		}
		return hexDecodeInto(dst, lowBytes(s))
	}
	badEncoding(enc)
	return 0
}

// encodeString returns Node's Buffer.from(s, enc). enc must be canonical.
func encodeString(enc Encoding, s string) []byte {
	switch enc {
	case UTF8:
		if utf8.ValidString(s) {
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
	n := 0
	for i := 0; i < len(s); {
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

// asciiPrefix returns the length of the leading run of ASCII bytes of s.
func asciiPrefix(s string) int {
	i := 0
	for i < len(s) && s[i] < utf8.RuneSelf {
		i++
	}
	return i
}

// isASCII reports whether s is all ASCII, so that it is its own sequence of
// code units.
func isASCII(s string) bool { return asciiPrefix(s) == len(s) }

// lowBytes returns the low byte of each code unit of s: its latin1 encoding,
// and the bytes Node's hex and base64 decoders actually look at.
func lowBytes(s string) []byte {
	dst := make([]byte, unitCount(s))
	lowBytesInto(dst, s)
	return dst
}

// lowBytesInto writes the low byte of each code unit of s into dst until
// either runs out and returns the count.
func lowBytesInto(dst []byte, s string) int {
	k := asciiPrefix(s)
	n := copy(dst, s[:k])
	if n < k {
		return n
	}
	it := unitIter{s: s, i: k}
	for n < len(dst) {
		u, ok := it.next()
		if !ok {
			break
		}
		dst[n] = byte(u)
		n++
	}
	return n
}

// utf8EncodedLen is encodedLen for UTF8.
func utf8EncodedLen(s string) int {
	if utf8.ValidString(s) {
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
	if len(s) <= len(dst) && utf8.ValidString(s) {
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

// base64DecodeInto decodes src by Node's lenient rule into dst until either
// runs out and returns the count. It never fails: bytes outside both
// alphabets are skipped, the first '=' ends the input and leftover bits are
// dropped.
func base64DecodeInto[T string | []byte](dst []byte, src T) int {
	var acc uint32
	bits, n := 0, 0
	for i := 0; i < len(src) && n < len(dst); i++ {
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
// last digit is dropped.
func hexDecodeInto[T string | []byte](dst []byte, src T) int {
	n := 0
	for i := 0; i+1 < len(src) && n < len(dst); i += 2 {
		hi, ok1 := unhex(src[i])
		lo, ok2 := unhex(src[i+1])
		if !ok1 || !ok2 {
			break
		}
		dst[n] = hi<<4 | lo
		n++
	}
	return n
}

// decodeUTF8 is decodeBytes for UTF8: each maximal invalid subpart becomes
// one U+FFFD.
func decodeUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b) + len(b)/2)
	start := 0
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := decodeRune(b, i)
		if r == badRune {
			sb.Write(b[start:i])
			sb.WriteString("\uFFFD")
			start = i + size
		}
		i += size
	}
	sb.Write(b[start:])
	return sb.String()
}

// decodeUTF16LE is decodeBytes for UTF16LE.
func decodeUTF16LE(b []byte) string {
	n := len(b) / 2 // Node drops an odd final byte
	var sb strings.Builder
	i := 0
	for i < n && b[2*i+1] == 0 && b[2*i] < utf8.RuneSelf {
		i++
	}
	if i == n {
		sb.Grow(n)
		for i := 0; i < n; i++ {
			sb.WriteByte(b[2*i])
		}
		return sb.String()
	}
	sb.Grow(i + (n-i)*3)
	for j := 0; j < i; j++ {
		sb.WriteByte(b[2*j])
	}
	var tmp [3]byte
	for ; i < n; i++ {
		u := rune(b[2*i]) | rune(b[2*i+1])<<8
		if 0xD800 <= u && u <= 0xDBFF && i+1 < n {
			if u2 := rune(b[2*i+2]) | rune(b[2*i+3])<<8; 0xDC00 <= u2 && u2 <= 0xDFFF {
				sb.WriteRune(0x10000 + (u-0xD800)<<10 + (u2 - 0xDC00))
				i++
				continue
			}
		}
		if 0xD800 <= u && u <= 0xDFFF {
			// A lone surrogate is kept as WTF-8 rather than replaced, so
			// that encoding the string as utf16le gives back these bytes.
			tmp[0] = 0xE0 | byte(u>>12)
			tmp[1] = 0x80 | byte(u>>6)&0x3F
			tmp[2] = 0x80 | byte(u)&0x3F
			sb.Write(tmp[:])
			continue
		}
		sb.WriteRune(u)
	}
	return sb.String()
}

// asciiPrefixBytes returns the length of the leading run of ASCII bytes of b.
func asciiPrefixBytes(b []byte) int {
	i := 0
	for i < len(b) && b[i] < utf8.RuneSelf {
		i++
	}
	return i
}

// decodeLatin1 is decodeBytes for Latin1.
func decodeLatin1(b []byte) string {
	k := asciiPrefixBytes(b)
	if k == len(b) {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(k + 2*(len(b)-k))
	sb.Write(b[:k])
	for _, c := range b[k:] {
		if c < utf8.RuneSelf {
			sb.WriteByte(c)
		} else {
			sb.WriteByte(0xC0 | c>>6)
			sb.WriteByte(0x80 | c&0x3F)
		}
	}
	return sb.String()
}

// decodeASCII is decodeBytes for ASCII.
func decodeASCII(b []byte) string {
	k := asciiPrefixBytes(b)
	if k == len(b) {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b))
	sb.Write(b[:k])
	for _, c := range b[k:] {
		sb.WriteByte(c & 0x7F)
	}
	return sb.String()
}
