package ipcbuf

// This file holds the searching and comparing methods: Node's indexOf,
// lastIndexOf, includes, equals, compare and Buffer.compare.

import (
	"bytes"
	"unicode/utf8"
	"unsafe"
)

// IndexOf returns the offset of the first occurrence of value in b at or
// after byteOffset, or -1, as Node's buf.indexOf(value, byteOffset, enc)
// does. value is one of:
//
//   - a string, encoded with enc ("" means utf8, where Node throws
//     ERR_UNKNOWN_ENCODING for an empty encoding; an unknown name is an
//     *Error with Code "ERR_UNKNOWN_ENCODING"). hex and base64 decode
//     leniently, as everywhere in this package, and may leave an empty
//     needle. For utf8, as in Node, a lone surrogate (written in the Go
//     string as its WTF-8 sequence, see Encoding) is searched for as those
//     three bytes rather than as U+FFFD.
//   - a []byte or a *Buffer: its bytes. enc matters only if it names
//     utf16le, and is otherwise ignored, even if unknown.
//   - a number: any Go integer type, a float32 or a float64. It searches
//     for the byte Node would, the low byte of ToUint32(value): -1 is 0xFF,
//     354 is 0x62, 98.7 is 0x62, NaN and ±Inf are 0. An integer is taken
//     exactly, even beyond 2^53, where Node would first round it to a
//     double: 1<<53+1 searches for 0x01, Node's indexOf(2**53+1) for 0x00.
//     enc is ignored. A rune is a number too: IndexOf('é', …) searches for
//     the byte 0xE9, not for the character; pass a string for that.
//
// Any other type, a nil or zero *Buffer included, is an *Error with Code
// "ERR_INVALID_ARG_TYPE". A string stands for a JS string as described at
// Encoding: invalid UTF-8 in it is U+FFFD, so in utf8 it searches for EF BF
// BD.
//
// byteOffset is first clamped to [-2^31, 2^31-1] as Node does; a negative
// one counts back from the end (and before the start means 0). An empty
// needle matches at the offset itself, clamped to [0, b.Len()]. With
// utf16le the search compares 16-bit units at even offsets only: for a
// string needle an odd final byte of b is ignored, and the search begins at
// the unit holding byteOffset, so an odd byteOffset can find a match one
// byte before it.
//
// Go has no undefined: byteOffset is always given (Node's default is 0),
// and there is no form with the encoding in byteOffset's place. Where Node
// differs:
//
//   - enc "" with a string value is utf8 (Node throws ERR_UNKNOWN_ENCODING),
//     and an integer value beyond 2^53 is taken exactly (see above).
//   - With a []byte or *Buffer needle, utf16le and a b of odd length, Node
//     returns b.Len()-1 instead of -1 when there is no match (a bug in its
//     C++ search, which compares the failed unit result with the byte
//     length). IndexOf returns -1, and Includes false.
//   - Node casts the result to a 32-bit int, so a match at 2^31 or beyond
//     (in a buffer over 2 GiB) comes out negative there; IndexOf returns
//     the real offset.
func (b *Buffer) IndexOf(value any, byteOffset int, enc Encoding) (int, error) {
	return b.search("indexOf", value, byteOffset, enc, true)
}

// LastIndexOf returns the offset of the last occurrence of value in b that
// starts at or before byteOffset, or -1, as Node's
// buf.lastIndexOf(value, byteOffset, enc) does. The arguments are those of
// IndexOf, with Node's rules for searching backwards: an offset past the
// end searches the whole buffer, one before the start finds nothing (except
// for an empty needle, which matches at 0).
//
// Node's default byteOffset, for an undefined argument, is the buffer's
// length: pass b.Len() for it. The differences from Node are those listed
// for IndexOf.
func (b *Buffer) LastIndexOf(value any, byteOffset int, enc Encoding) (int, error) {
	return b.search("lastIndexOf", value, byteOffset, enc, false)
}

// Includes reports whether IndexOf(value, byteOffset, enc) finds value, as
// Node's buf.includes(value, byteOffset, enc) does. The arguments and the
// differences from Node are those of IndexOf.
func (b *Buffer) Includes(value any, byteOffset int, enc Encoding) (bool, error) {
	i, err := b.search("includes", value, byteOffset, enc, true)
	return i != -1, err
}

// Equals reports whether b and other hold the same bytes, as Node's
// buf.equals(other) does. other may be b itself or share its memory. A nil
// or zero other is an *Error with Code "ERR_INVALID_ARG_TYPE", where Node
// throws for a value that is not a Uint8Array.
func (b *Buffer) Equals(other *Buffer) (_ bool, err error) {
	s, o, l, err := acquirePair("equals", b, "otherBuffer", other, writeNone)
	if err != nil {
		return false, err
	}
	defer l.release(&err)
	return bytes.Equal(s, o), nil
}

// Compare compares b with target byte by byte, unsigned, a shorter prefix
// sorting first, and returns -1, 0 or 1, as Node's buf.compare(target) does.
// It is the form of CompareRange with every range argument left to Node's
// default (which Go cannot leave out): CompareRange(target, 0, target.Len(),
// 0, b.Len()). target may be b itself or share its memory; a nil or zero
// target is an *Error with Code "ERR_INVALID_ARG_TYPE".
func (b *Buffer) Compare(target *Buffer) (int, error) {
	return b.CompareRange(target, 0, target.Len(), 0, b.Len())
}

// CompareRange compares b's bytes from sourceStart to sourceEnd with
// target's from targetStart to targetEnd and returns -1, 0 or 1, as Node's
// buf.compare(target, targetStart, targetEnd, sourceStart, sourceEnd) does.
//
// As in Node, targetStart and sourceStart must be from 0 to 2^32, and may
// lie past the end of their buffer; targetEnd must be from 0 to
// target.Len() and sourceEnd from 0 to b.Len(). Anything else is an *Error
// with Code "ERR_OUT_OF_RANGE", checked in that order. Then an empty source
// range compares equal to an empty target range and less than any other,
// and a non-empty source range is greater than an empty target range.
//
// Go has no undefined: Node's defaults are 0, target.Len(), 0 and b.Len(),
// and Compare is the call with all four. target may be b itself or share
// its memory; a nil or zero target is an *Error with Code
// "ERR_INVALID_ARG_TYPE".
func (b *Buffer) CompareRange(target *Buffer, targetStart, targetEnd, sourceStart, sourceEnd int) (_ int, err error) {
	s, t, l, err := acquirePair("compare", b, "target", target, writeNone)
	if err != nil {
		return 0, err
	}
	defer l.release(&err)
	switch {
	case targetStart < 0 || int64(targetStart) > maxBufferLength:
		return 0, errRange("targetStart", int64(targetStart), 0, maxBufferLength)
	case targetEnd < 0 || targetEnd > len(t):
		return 0, errRange("targetEnd", int64(targetEnd), 0, int64(len(t)))
	case sourceStart < 0 || int64(sourceStart) > maxBufferLength:
		return 0, errRange("sourceStart", int64(sourceStart), 0, maxBufferLength)
	case sourceEnd < 0 || sourceEnd > len(s):
		return 0, errRange("sourceEnd", int64(sourceEnd), 0, int64(len(s)))
	}
	if sourceStart >= sourceEnd {
		if targetStart >= targetEnd {
			return 0, nil
		}
		return -1, nil
	}
	if targetStart >= targetEnd {
		return 1, nil
	}
	// Both ranges now lie inside their buffers: start < end <= length.
	return bytes.Compare(s[sourceStart:sourceEnd], t[targetStart:targetEnd]), nil
}

// Compare compares a with b as Node's Buffer.compare(a, b) does: byte by
// byte, unsigned, a shorter prefix sorting first. It returns -1, 0 or 1. a
// and b may be the same buffer or share memory. A nil or zero a or b is an
// *Error with Code "ERR_INVALID_ARG_TYPE", reported before either buffer is
// looked at.
func Compare(a, b *Buffer) (_ int, err error) {
	if err := bufferArg("buf1", a); err != nil {
		return 0, err
	}
	if err := bufferArg("buf2", b); err != nil {
		return 0, err
	}
	s, t, l, err := acquirePair("compare", a, "buf2", b, writeNone)
	if err != nil {
		return 0, err
	}
	defer l.release(&err)
	return bytes.Compare(s, t), nil
}

// Bounds of the search offset: Node clamps byteOffset to an int32 before
// anything else.
const (
	minSearchOffset = -1 << 31
	maxSearchOffset = 1<<31 - 1
)

// search is IndexOf (forward) and LastIndexOf (backward). Each lease is
// taken in a function of its own with one defer and few returns, which the
// compiler can open-code: a defer it cannot costs a call that is most of a
// small search.
func (b *Buffer) search(op string, value any, byteOffset int, enc Encoding, forward bool) (int, error) {
	off := int64(min(max(byteOffset, minSearchOffset), maxSearchOffset))
	if nb, ok := value.(*Buffer); ok {
		return b.searchBuffer(op, nb, off, enc, forward)
	}
	return b.searchValue(op, value, off, enc, forward)
}

// searchBuffer is search for a *Buffer needle.
func (b *Buffer) searchBuffer(op string, nb *Buffer, off int64, enc Encoding, forward bool) (_ int, err error) {
	hay, ndl, l, err := acquirePair(op, b, "value", nb, writeNone)
	if err != nil {
		return -1, err
	}
	defer l.release(&err)
	return searchRaw(hay, ndl, off, enc, forward), nil
}

// searchValue is search for any needle but a *Buffer.
func (b *Buffer) searchValue(op string, value any, off int64, enc Encoding, forward bool) (int, error) {
	if hay, ok := b.openMem(false); ok && b.m.reg == nil {
		return searchIn(hay, value, off, enc, forward) // heap memory: no lease
	}
	// Mapped memory (or an error to report): under the guard of the
	// numeric methods, which costs a call less than a lease.
	i, err := guarded(b, op, false, func(hay []byte) (int, error) { return searchIn(hay, value, off, enc, forward) })
	if err != nil {
		return -1, err
	}
	return i, nil
}

// searchIn searches hay, the bytes of a buffer under its lease, for value.
func searchIn(hay []byte, value any, off int64, enc Encoding, forward bool) (int, error) {
	var one [1]byte
	switch v := value.(type) {
	case string:
		e, err := encodingOrUTF8(string(enc))
		if err != nil {
			return -1, err
		}
		switch e {
		case UTF16LE:
			// Node drops an odd final byte of the haystack for string
			// needles, before working out the start.
			return searchUnits(hay[:len(hay)&^1], encodeString(UTF16LE, v), off, forward), nil
		case UTF8:
			return searchBytes(hay, utf8Needle(v), off, forward), nil
		}
		return searchBytes(hay, encodeString(e, v), off, forward), nil
	case []byte:
		return searchRaw(hay, v, off, enc, forward), nil
	default:
		if n, ok := numberByte(value); ok {
			one[0] = n
			break
		}
		return -1, errValueType(value)
	}
	return searchBytes(hay, one[:], off, forward), nil
}

// searchRaw searches hay for the bytes ndl, as Node's indexOfBuffer does:
// in 16-bit units if enc names utf16le, else byte by byte. An unknown enc
// is ignored.
func searchRaw(hay, ndl []byte, off int64, enc Encoding, forward bool) int {
	if e, err := encodingOrUTF8(string(enc)); err != nil || e != UTF16LE {
		return searchBytes(hay, ndl, off, forward)
	}
	start, done := searchStart(len(hay), len(ndl), off, forward)
	if done {
		return start
	}
	if len(hay) < 2 || len(ndl) < 2 {
		return -1
	}
	// The units are the whole ones: an odd last byte of either side is not
	// compared. On an odd-length hay Node returns len(hay)-1 when this
	// finds nothing; we return -1 (see IndexOf).
	return unitSearch(hay[:len(hay)&^1], ndl[:len(ndl)&^1], start, forward)
}

// searchUnits searches hay for ndl in 16-bit units, as Node's indexOfString
// does for utf16le. len(hay) and len(ndl) are even.
func searchUnits(hay, ndl []byte, off int64, forward bool) int {
	start, done := searchStart(len(hay), len(ndl), off, forward)
	if done {
		return start
	}
	return unitSearch(hay, ndl, start, forward)
}

// searchBytes searches hay for ndl byte by byte.
func searchBytes(hay, ndl []byte, off int64, forward bool) int {
	start, done := searchStart(len(hay), len(ndl), off, forward)
	if done {
		return start
	}
	if len(ndl) == 1 { // one byte, the most common search: straight to the vector scan
		if forward {
			if i := bytes.IndexByte(hay[start:], ndl[0]); i >= 0 {
				return start + i
			}
			return -1
		}
		return bytes.LastIndexByte(hay[:min(start, len(hay)-1)+1], ndl[0])
	}
	if forward {
		if i := indexRare(hay[start:], ndl); i >= 0 {
			return start + i
		}
		return -1
	}
	return bytes.LastIndex(hay[:min(start, len(hay)-len(ndl))+len(ndl)], ndl)
}

// indexRare returns bytes.Index(hay, ndl), found by looking for the
// needle's rarest byte (by byteCommonness) with bytes.IndexByte, which
// skips through memory at vector speed, and comparing the needle only
// where that byte is. Every match has the byte at its place, and the
// places are tried in order, so the first match found is the first there
// is. If the byte turns up too often without a match (more than once per
// 32 bytes searched, after the first 16 misses), indexSkip takes over from
// there.
func indexRare(hay, ndl []byte) int {
	n := len(ndl)
	if n < 2 || len(hay) < 64 {
		return bytes.Index(hay, ndl)
	}
	k := rarestByte(ndl)
	c, last := ndl[k], len(hay)-n // last is the last place a match can start
	misses := 0
	for i := 0; i <= last; i++ {
		j := bytes.IndexByte(hay[i+k:last+k+1], c)
		if j < 0 {
			return -1
		}
		if i += j; bytes.Equal(hay[i:i+n], ndl) {
			return i
		}
		if misses++; misses > 16 && misses > i>>5 {
			if j := indexSkip(hay[i+1:], ndl); j >= 0 {
				return i + 1 + j
			}
			return -1
		}
	}
	return -1
}

// indexSkip returns bytes.Index(hay, ndl) by Horspool's rule: look at the
// byte under the needle's last byte and move the needle so that the last
// such byte in the rest of it comes under it, or past it if there is none,
// comparing the needle only when the last bytes agree. No match can start
// in the bytes skipped, so the first match found is the first. On text a
// long needle moves many bytes at a time, but a short needle, or data
// where the moves stay short or the comparisons long, makes this slower
// than bytes.Index; when the work passes half the bytes passed, after a
// start of 1024, bytes.Index takes over from there.
func indexSkip(hay, ndl []byte) int {
	n := len(ndl)
	if n < 8 {
		return bytes.Index(hay, ndl)
	}
	var move [256]int
	for c := range move {
		move[c] = n
	}
	for k, c := range ndl[:n-1] {
		move[c] = n - 1 - k
	}
	lastByte, head := ndl[n-1], ndl[:n-1]
	work := 0 // a unit a move, and one per 8 bytes compared
	for i := 0; i+n <= len(hay); {
		c := hay[i+n-1]
		if c == lastByte {
			if bytes.Equal(hay[i:i+n-1], head) {
				return i
			}
			work += n >> 3
		}
		i += move[c]
		if work++; work > 1024 && work > i>>1 {
			if j := bytes.Index(hay[i:], ndl); j >= 0 {
				return i + j
			}
			return -1
		}
	}
	return -1
}

// rarestByte returns the index of the byte of ndl that is least common by
// byteCommonness, the first of equals.
func rarestByte(ndl []byte) int {
	k := 0
	for i, c := range ndl {
		if byteCommonness[c] < byteCommonness[ndl[k]] {
			k = i
		}
	}
	return k
}

// byteCommonness ranks bytes by how often they occur in typical data:
// text (space, then letters by their frequency in English, digits and
// punctuation) and binary (zero and 0xFF). Bytes not listed rank lowest.
var byteCommonness = func() (t [256]uint8) {
	const common = " etaoinsrhldcumfpgwyb\x00vkETAOINSRHLDCUMFPGWYBVK\n.,0123456789xjqzXJQZ\xff-_/:\"'=()\r\t;"
	for i := 0; i < len(common); i++ {
		t[common[i]] = uint8(len(common) - i)
	}
	return t
}()

// searchStart applies Node's IndexOfOffset and the checks that follow it
// for an n-byte needle in an l-byte haystack. It returns where the search
// begins and false, or the answer and true when no search is needed: the
// start itself for an empty needle, -1 when no match can exist.
func searchStart(l, n int, off int64, forward bool) (int, bool) {
	L, N := int64(l), int64(n)
	var start int64
	switch {
	case off < 0 && off+L >= 0:
		start = L + off
	case off < 0 && (forward || N == 0):
		start = 0
	case off < 0:
		start = -1
	case off+N <= L:
		start = off
	case N == 0:
		start = L
	case forward:
		start = -1
	default:
		start = L - 1
	}
	switch {
	case N == 0:
		return int(start), true
	case L == 0, start < 0, N > L, forward && start+N > L:
		return -1, true
	}
	return int(start), false
}

// unitSearch finds ndl in hay at even offsets only, starting from the unit
// that holds byte start: forward the first match at or after it, backward
// the last at or before it. len(hay) and len(ndl) are even, ndl is not
// empty and not longer than hay.
//
// The byte search does the work; a match it finds at an odd offset is
// skipped. Text can hold many of those (U+6100 is 00 61, which occurs
// wherever an ASCII 'a' follows in UTF-16), so after one the next oddRun
// units are compared directly instead of paying a call per odd match.
func unitSearch(hay, ndl []byte, start int, forward bool) int {
	n := len(ndl)
	at := func(i int) bool {
		return hay[i] == ndl[0] && hay[i+1] == ndl[1] && bytes.Equal(hay[i+2:i+n], ndl[2:])
	}
	from := start &^ 1
	if forward {
		for i := from; i+n <= len(hay); {
			j := bytes.Index(hay[i:], ndl)
			if j < 0 {
				return -1
			}
			if i += j; i&1 == 0 {
				return i
			}
			k := i + 1
			for stop := min(k+2*oddRun, len(hay)-n+1); k < stop; k += 2 {
				if at(k) {
					return k
				}
			}
			i = k
		}
		return -1
	}
	end := min(from, len(hay)-n) + n // matches begin at or before end-n
	for {
		j := bytes.LastIndex(hay[:end], ndl)
		if j&1 == 0 || j < 0 {
			return j
		}
		i := j - 1
		for stop := max(i-2*oddRun, -1); i > stop; i -= 2 {
			if at(i) {
				return i
			}
		}
		if i < 0 {
			return -1
		}
		end = i + n
	}
}

// oddRun is how many units unitSearch compares one by one after a match
// at an odd offset.
const oddRun = 32

// utf8Needle returns the bytes Node searches for when the needle is the JS
// string that s stands for and the encoding is utf8. Node encodes it with
// V8's String::Utf8Value, which keeps a lone surrogate as its three-byte
// (WTF-8) sequence where Buffer.from would write U+FFFD.
func utf8Needle(s string) []byte {
	if validUTF8(s) {
		// No surrogates and no replacements: the needle is s itself,
		// which the search only reads.
		return unsafe.Slice(unsafe.StringData(s), len(s))
	}
	dst := make([]byte, 0, len(s)+len(s)/2)
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			dst = append(dst, c)
			i++
			continue
		}
		r, size := decodeJS(s, i)
		i += size
		if 0xD800 <= r && r <= 0xDBFF && i < len(s) {
			if r2, size2 := decodeJS(s, i); 0xDC00 <= r2 && r2 <= 0xDFFF {
				r = 0x10000 + (r-0xD800)<<10 + (r2 - 0xDC00)
				i += size2
			}
		}
		if 0xD800 <= r && r <= 0xDFFF {
			dst = append(dst, 0xE0|byte(r>>12), 0x80|byte(r>>6)&0x3F, 0x80|byte(r)&0x3F)
			continue
		}
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}
