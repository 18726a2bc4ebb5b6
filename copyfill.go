package ipcbuf

// This file holds Copy, Fill and the byte swaps, the Buffer methods that
// mirror Node's buf.copy, buf.fill and buf.swap16/32/64. Go has no
// undefined, so every argument is given; each doc comment says which Go
// call is Node's call with the arguments left out.

import (
	"encoding/binary"
	"math/bits"
)

// Copy copies bytes of b into target, as Node's
// buf.copy(target, targetStart, sourceStart, sourceEnd) does, and returns
// the number of bytes copied. Node's buf.copy(target) with every offset left
// out is Copy(target, 0, 0, b.Len()).
//
// The bytes from sourceStart up to sourceEnd go to target from targetStart
// on, cut short at the end of b and at the end of target. targetStart must
// be at least 0 and sourceEnd at least 0, sourceStart from 0 to b.Len();
// otherwise Copy returns an *Error with Code "ERR_OUT_OF_RANGE". A
// targetStart past the end of target, a sourceEnd past the end of b and an
// empty range are not errors: they copy fewer bytes, perhaps none.
//
// b and target may share memory: the same buffer, two views from Slice of
// one buffer, or a parent and its view. Overlapping bytes are copied as if
// through a temporary copy (memmove), as in Node.
//
// A nil or zero target gives an *Error with Code "ERR_INVALID_ARG_TYPE"; a
// read-only target gives an error matching ErrReadOnly and a closed b or
// target one matching fs.ErrClosed. On any error nothing is written.
func (b *Buffer) Copy(target *Buffer, targetStart, sourceStart, sourceEnd int) (n int, err error) {
	src, dst, l, err := acquirePair("copy", b, "target", target, writeArg)
	if err != nil {
		return 0, err
	}
	defer l.release(&err)
	switch {
	case targetStart < 0:
		return 0, errNotNegative("targetStart", int64(targetStart))
	case sourceStart < 0 || sourceStart > len(src):
		return 0, errRange("sourceStart", int64(sourceStart), 0, int64(len(src)))
	case sourceEnd < 0:
		return 0, errNotNegative("sourceEnd", int64(sourceEnd))
	}
	if targetStart >= len(dst) || sourceStart >= sourceEnd {
		return 0, nil
	}
	// copy is memmove: overlapping views come out right.
	return copy(dst[targetStart:], src[sourceStart:min(sourceEnd, len(src))]), nil
}

// Fill fills b from offset up to end with value, as Node's
// buf.fill(value, offset, end, enc) does. Node's shapes with arguments left
// out are Fill(value, 0, b.Len(), enc) for buf.fill(value) and
// buf.fill(value, enc), and Fill(value, offset, b.Len(), enc) for
// buf.fill(value, offset).
//
// value is one of:
//
//   - a string, encoded with enc ("" means utf8; see Encoding). The encoded
//     bytes are repeated and cut at end, even in the middle of a character.
//     The empty string fills with zeros. A string that encodes to no bytes
//     (such as "zz" in hex) gives an *Error with Code
//     "ERR_INVALID_ARG_VALUE". An enc Node does not know gives one with
//     Code "ERR_UNKNOWN_ENCODING", checked first, so even when there is
//     nothing to fill.
//   - a []byte or a *Buffer, whose bytes are repeated. An empty one gives an
//     *Error with Code "ERR_INVALID_ARG_VALUE". The pattern may share memory
//     with b (a *Buffer may even be b): it is read as it was before Fill
//     began.
//   - a number: any Go integer type, which fills with its value modulo 256,
//     taken exactly even beyond 2^53 (where Node would first round it to a
//     double), or a float32 or float64, which fills with the byte Node's
//     ToUint8 gives: the value truncated toward zero, modulo 256, and 0 for
//     NaN and ±Inf.
//   - nil, Go's stand-in for Node's undefined, which fills with zeros, as
//     buf.fill(undefined) does. offset and end are checked all the same.
//
// For a value that is not a string enc is ignored, as Node ignores it. Types
// whose underlying type is one of these are accepted too; any other type,
// and a nil or zero *Buffer, gives an *Error with Code
// "ERR_INVALID_ARG_TYPE".
//
// offset must be from 0 to 2³² (it is not bounded by b.Len(), as in Node)
// and end from 0 to b.Len(), or Fill returns an *Error with Code
// "ERR_OUT_OF_RANGE". When offset is at or past end Fill does nothing and
// returns nil.
//
// A read-only b gives an error matching ErrReadOnly and a closed b or value
// one matching fs.ErrClosed. On any error b is left unchanged.
//
// Filling is fast for any pattern: Fill writes the pattern once and then
// copies what it has written in ever larger blocks.
func (b *Buffer) Fill(value any, offset, end int, enc Encoding) (err error) {
	const op = "fill"
	v, verr := classifyFill(value)
	if v.kind == fillBuffer {
		// Read the pattern and write b under one acquisition, which also
		// copes with the two sharing a mapping.
		var pat, mem []byte
		var l lease
		if mem, pat, l, err = acquirePair(op, b, "value", v.buf, writeRecv); err != nil {
			return err
		}
		defer l.release(&err)
		return fillBytes(mem, pat, offset, end)
	}
	mem, l, err := b.acquire(op, true)
	if err != nil {
		return err
	}
	defer l.release(&err)
	if verr != nil {
		return verr
	}
	switch v.kind {
	case fillString:
		e, err := encodingOrUTF8(string(enc))
		if err != nil {
			return err
		}
		if err := fillCheckRange(offset, end, len(mem)); err != nil || offset >= end {
			return err
		}
		if v.str == "" {
			clear(mem[offset:end])
			return nil
		}
		pat := encodeString(e, v.str)
		if len(pat) == 0 {
			return errEncodesToNothing(e, v.str)
		}
		fillRepeat(mem[offset:end], pat)
		return nil
	case fillByte:
		if err := fillCheckRange(offset, end, len(mem)); err != nil || offset >= end {
			return err
		}
		if v.num == 0 {
			clear(mem[offset:end])
		} else {
			fillRepeat(mem[offset:end], []byte{v.num})
		}
		return nil
	}
	return fillBytes(mem, v.bytes, offset, end)
}

// fillBytes is Fill with a byte pattern, which may overlap mem.
func fillBytes(mem, pat []byte, offset, end int) error {
	if err := fillCheckRange(offset, end, len(mem)); err != nil || offset >= end {
		return err
	}
	if len(pat) == 0 {
		return errEmptyPattern()
	}
	fillRepeat(mem[offset:end], pat)
	return nil
}

// fillCheckRange checks Fill's offset and end as Node's validateOffset
// does; it leaves offset >= end (nothing to do) to the caller.
func fillCheckRange(offset, end, n int) error {
	if offset < 0 || int64(offset) > maxBufferLength {
		return errRange("offset", int64(offset), 0, maxBufferLength)
	}
	if end < 0 || end > n {
		return errRange("end", int64(end), 0, int64(n))
	}
	return nil
}

// fillChunk is how far fillRepeat doubles the pattern before it copies
// fixed chunks instead: a chunk this size stays in the CPU's cache, so the
// copies after it read from the cache rather than from memory.
const fillChunk = 64 << 10

// fillRepeat fills dst with pat repeated, the last copy cut short. pat may
// overlap dst: the first copy is a memmove and every later one reads dst.
func fillRepeat(dst, pat []byte) {
	n := copy(dst, pat)
	// dst[:n] is whole copies of pat (or all of dst): double it.
	for n < len(dst) && n < fillChunk {
		n += copy(dst[n:], dst[:n])
	}
	chunk := n // still whole copies of pat unless dst is done
	for n < len(dst) {
		n += copy(dst[n:], dst[:chunk])
	}
}

// Swap16 reverses the byte order of each 2-byte unit of b in place, as
// Node's buf.swap16() does. b.Len() must be a multiple of 2, or Swap16
// returns an *Error with Code "ERR_INVALID_BUFFER_SIZE" and leaves b alone.
// A read-only b gives an error matching ErrReadOnly and a closed one an
// error matching fs.ErrClosed.
func (b *Buffer) Swap16() error { return b.swap("swap16", 2) }

// Swap32 reverses the byte order of each 4-byte unit of b in place, as
// Node's buf.swap32() does. b.Len() must be a multiple of 4, or Swap32
// returns an *Error with Code "ERR_INVALID_BUFFER_SIZE" and leaves b alone.
// A read-only b gives an error matching ErrReadOnly and a closed one an
// error matching fs.ErrClosed.
func (b *Buffer) Swap32() error { return b.swap("swap32", 4) }

// Swap64 reverses the byte order of each 8-byte unit of b in place, as
// Node's buf.swap64() does. b.Len() must be a multiple of 8, or Swap64
// returns an *Error with Code "ERR_INVALID_BUFFER_SIZE" and leaves b alone.
// A read-only b gives an error matching ErrReadOnly and a closed one an
// error matching fs.ErrClosed.
func (b *Buffer) Swap64() error { return b.swap("swap64", 8) }

// swap reverses each size-byte unit of b, eight bytes at a time where it
// can.
func (b *Buffer) swap(op string, size int) (err error) {
	mem, l, err := b.acquire(op, true)
	if err != nil {
		return err
	}
	defer l.release(&err)
	if len(mem)%size != 0 {
		return errSwapSize(size)
	}
	le := binary.LittleEndian
	i := 0
	for ; i+8 <= len(mem); i += 8 {
		x := le.Uint64(mem[i:])
		switch size {
		case 2:
			x = x>>8&0x00ff00ff00ff00ff | x&0x00ff00ff00ff00ff<<8
		case 4:
			x = bits.RotateLeft64(bits.ReverseBytes64(x), 32)
		case 8:
			x = bits.ReverseBytes64(x)
		}
		le.PutUint64(mem[i:], x)
	}
	for ; i < len(mem); i += size {
		u := mem[i : i+size]
		for j, k := 0, size-1; j < k; j, k = j+1, k-1 {
			u[j], u[k] = u[k], u[j]
		}
	}
	return nil
}
