package ipcbuf

import "math"

// This file holds Node's numeric readers and writers, buf.readUInt8 to
// buf.writeDoubleBE, under Go names with Node's "Uint" spelling (Node's own
// aliases readUint8, writeBigUint64LE, …).
//
// The arguments are checked in Node's order and fail with Node's codes and
// messages: byteLength, for the variable-width methods, must be 1 to 6;
// then an integer value must fit the width (ERR_OUT_OF_RANGE); then the
// bytes at offset must lie inside the buffer. An offset outside it is
// ERR_BUFFER_OUT_OF_BOUNDS when the buffer is shorter than the width,
// whatever the offset, and ERR_OUT_OF_RANGE otherwise. Offsets, byteLengths
// and integer values are Go integers, so Node's errors for arguments that
// are not numbers (ERR_INVALID_ARG_TYPE) or not integers ("It must be an
// integer") cannot arise, nor can Node's coercions (value = +value, NaN
// written as 0); Node's optional offset is Go's 0. Messages show the
// integer received exactly, where Node shows the Number it became (they
// differ beyond 2^53). A method that fails writes nothing. A closed buffer
// fails with fs.ErrClosed and a write to a read-only one with ErrReadOnly,
// before any argument is looked at.

// numFlags say how a numeric method lays out and checks its number.
type numFlags uint8

const (
	numBE     numFlags = 1 << iota // big-endian; little-endian without it
	numSigned                      // two's complement: reads sign-extend, writes allow negative values
	numVar                         // the width is the caller's byteLength, which must be 1 to 6
	numRanged                      // the value written must fit in the width (integer writers, width ≤ 6)
)

// readNum is the body of every reader: it returns the width bytes at
// offset as an unsigned integer, sign-extended to 64 bits if f has
// numSigned.
func (b *Buffer) readNum(op string, offset, width int, f numFlags) (_ uint64, err error) {
	mem, l, err := b.acquire(op, false)
	if err != nil {
		return 0, err
	}
	defer l.release(&err)
	if err := checkNumeric(len(mem), offset, width, 0, f); err != nil {
		return 0, err
	}
	return getUint(mem[offset:offset+width], f), nil
}

// writeNum is the body of every writer: it stores the low width bytes of v
// at offset and returns offset+width. For the integer writers v is the
// int64 value's bits, which checkNumeric range-checks.
func (b *Buffer) writeNum(op string, v uint64, offset, width int, f numFlags) (_ int, err error) {
	mem, l, err := b.acquire(op, true)
	if err != nil {
		return 0, err
	}
	defer l.release(&err)
	if err := checkNumeric(len(mem), offset, width, int64(v), f); err != nil {
		return 0, err
	}
	putUint(mem[offset:offset+width], v, f)
	return offset + width, nil
}

// checkNumeric is the argument check every numeric method shares. It checks
// a call on a buffer of n bytes in Node's order: byteLength (if f has
// numVar), then value (if f has numRanged), then offset.
func checkNumeric(n, offset, width int, value int64, f numFlags) error {
	if f&numVar != 0 && (width < 1 || width > 6) {
		return errNumericRange("byteLength", int64(width), 1, 6)
	}
	if f&numRanged != 0 {
		bits := 8 * width
		lo, hi := int64(0), int64(1)<<bits-1
		if f&numSigned != 0 {
			lo, hi = -1<<(bits-1), 1<<(bits-1)-1
		}
		if value < lo || value > hi {
			return errNumericValue(value, lo, hi, width)
		}
	}
	if offset < 0 || offset > n-width {
		if n < width {
			return errBufferOutOfBounds()
		}
		return errNumericRange("offset", int64(offset), 0, int64(n-width))
	}
	return nil
}

// getUint decodes p, 1 to 8 bytes, in the byte order of f, sign-extending
// if f has numSigned.
func getUint(p []byte, f numFlags) uint64 {
	var v uint64
	for i := range p {
		if f&numBE == 0 {
			i = len(p) - 1 - i
		}
		v = v<<8 | uint64(p[i])
	}
	if s := 64 - 8*uint(len(p)); f&numSigned != 0 {
		v = uint64(int64(v<<s) >> s)
	}
	return v
}

// putUint stores the low len(p) bytes of v in p in the byte order of f.
func putUint(p []byte, v uint64, f numFlags) {
	for i := range p {
		if f&numBE != 0 {
			i = len(p) - 1 - i
		}
		p[i] = byte(v)
		v >>= 8
	}
}

// ReadUint8 returns the byte at offset, as Node's buf.readUInt8(offset).
func (b *Buffer) ReadUint8(offset int) (uint8, error) {
	v, err := b.readNum("readUInt8", offset, 1, 0)
	return uint8(v), err
}

// ReadInt8 returns the byte at offset as a two's complement int8, as Node's
// buf.readInt8(offset).
func (b *Buffer) ReadInt8(offset int) (int8, error) {
	v, err := b.readNum("readInt8", offset, 1, numSigned)
	return int8(v), err
}

// ReadUint16LE returns the little-endian uint16 at offset, as Node's
// buf.readUInt16LE(offset).
func (b *Buffer) ReadUint16LE(offset int) (uint16, error) {
	v, err := b.readNum("readUInt16LE", offset, 2, 0)
	return uint16(v), err
}

// ReadUint16BE is ReadUint16LE for big-endian bytes.
func (b *Buffer) ReadUint16BE(offset int) (uint16, error) {
	v, err := b.readNum("readUInt16BE", offset, 2, numBE)
	return uint16(v), err
}

// ReadInt16LE returns the little-endian int16 at offset, as Node's
// buf.readInt16LE(offset).
func (b *Buffer) ReadInt16LE(offset int) (int16, error) {
	v, err := b.readNum("readInt16LE", offset, 2, numSigned)
	return int16(v), err
}

// ReadInt16BE is ReadInt16LE for big-endian bytes.
func (b *Buffer) ReadInt16BE(offset int) (int16, error) {
	v, err := b.readNum("readInt16BE", offset, 2, numSigned|numBE)
	return int16(v), err
}

// ReadUint32LE returns the little-endian uint32 at offset, as Node's
// buf.readUInt32LE(offset).
func (b *Buffer) ReadUint32LE(offset int) (uint32, error) {
	v, err := b.readNum("readUInt32LE", offset, 4, 0)
	return uint32(v), err
}

// ReadUint32BE is ReadUint32LE for big-endian bytes.
func (b *Buffer) ReadUint32BE(offset int) (uint32, error) {
	v, err := b.readNum("readUInt32BE", offset, 4, numBE)
	return uint32(v), err
}

// ReadInt32LE returns the little-endian int32 at offset, as Node's
// buf.readInt32LE(offset).
func (b *Buffer) ReadInt32LE(offset int) (int32, error) {
	v, err := b.readNum("readInt32LE", offset, 4, numSigned)
	return int32(v), err
}

// ReadInt32BE is ReadInt32LE for big-endian bytes.
func (b *Buffer) ReadInt32BE(offset int) (int32, error) {
	v, err := b.readNum("readInt32BE", offset, 4, numSigned|numBE)
	return int32(v), err
}

// ReadUintLE returns the little-endian unsigned integer of byteLength bytes
// (1 to 6) at offset, as Node's buf.readUIntLE(offset, byteLength).
func (b *Buffer) ReadUintLE(offset, byteLength int) (uint64, error) {
	return b.readNum("readUIntLE", offset, byteLength, numVar)
}

// ReadUintBE is ReadUintLE for big-endian bytes.
func (b *Buffer) ReadUintBE(offset, byteLength int) (uint64, error) {
	return b.readNum("readUIntBE", offset, byteLength, numVar|numBE)
}

// ReadIntLE returns the little-endian two's complement integer of
// byteLength bytes (1 to 6) at offset, as Node's
// buf.readIntLE(offset, byteLength).
func (b *Buffer) ReadIntLE(offset, byteLength int) (int64, error) {
	v, err := b.readNum("readIntLE", offset, byteLength, numVar|numSigned)
	return int64(v), err
}

// ReadIntBE is ReadIntLE for big-endian bytes.
func (b *Buffer) ReadIntBE(offset, byteLength int) (int64, error) {
	v, err := b.readNum("readIntBE", offset, byteLength, numVar|numSigned|numBE)
	return int64(v), err
}

// ReadBigUint64LE returns the little-endian uint64 at offset, as Node's
// buf.readBigUInt64LE(offset).
func (b *Buffer) ReadBigUint64LE(offset int) (uint64, error) {
	return b.readNum("readBigUInt64LE", offset, 8, 0)
}

// ReadBigUint64BE is ReadBigUint64LE for big-endian bytes.
func (b *Buffer) ReadBigUint64BE(offset int) (uint64, error) {
	return b.readNum("readBigUInt64BE", offset, 8, numBE)
}

// ReadBigInt64LE returns the little-endian int64 at offset, as Node's
// buf.readBigInt64LE(offset).
func (b *Buffer) ReadBigInt64LE(offset int) (int64, error) {
	v, err := b.readNum("readBigInt64LE", offset, 8, 0)
	return int64(v), err
}

// ReadBigInt64BE is ReadBigInt64LE for big-endian bytes.
func (b *Buffer) ReadBigInt64BE(offset int) (int64, error) {
	v, err := b.readNum("readBigInt64BE", offset, 8, numBE)
	return int64(v), err
}

// ReadFloatLE returns the little-endian IEEE 754 float32 at offset, as
// Node's buf.readFloatLE(offset) (which widens it to a float64: convert it
// with float64 to get Node's Number).
func (b *Buffer) ReadFloatLE(offset int) (float32, error) {
	v, err := b.readNum("readFloatLE", offset, 4, 0)
	return math.Float32frombits(uint32(v)), err
}

// ReadFloatBE is ReadFloatLE for big-endian bytes.
func (b *Buffer) ReadFloatBE(offset int) (float32, error) {
	v, err := b.readNum("readFloatBE", offset, 4, numBE)
	return math.Float32frombits(uint32(v)), err
}

// ReadDoubleLE returns the little-endian IEEE 754 float64 at offset, as
// Node's buf.readDoubleLE(offset).
func (b *Buffer) ReadDoubleLE(offset int) (float64, error) {
	v, err := b.readNum("readDoubleLE", offset, 8, 0)
	return math.Float64frombits(v), err
}

// ReadDoubleBE is ReadDoubleLE for big-endian bytes.
func (b *Buffer) ReadDoubleBE(offset int) (float64, error) {
	v, err := b.readNum("readDoubleBE", offset, 8, numBE)
	return math.Float64frombits(v), err
}

// WriteUint8 writes value, which must be 0 to 255, as the byte at offset
// and returns offset+1, as Node's buf.writeUInt8(value, offset).
func (b *Buffer) WriteUint8(value int64, offset int) (int, error) {
	return b.writeNum("writeUInt8", uint64(value), offset, 1, numRanged)
}

// WriteInt8 writes value, which must be -128 to 127, as the two's
// complement byte at offset and returns offset+1, as Node's
// buf.writeInt8(value, offset).
func (b *Buffer) WriteInt8(value int64, offset int) (int, error) {
	return b.writeNum("writeInt8", uint64(value), offset, 1, numRanged|numSigned)
}

// WriteUint16LE writes value, which must be 0 to 65535, little-endian at
// offset and returns offset+2, as Node's buf.writeUInt16LE(value, offset).
func (b *Buffer) WriteUint16LE(value int64, offset int) (int, error) {
	return b.writeNum("writeUInt16LE", uint64(value), offset, 2, numRanged)
}

// WriteUint16BE is WriteUint16LE writing big-endian.
func (b *Buffer) WriteUint16BE(value int64, offset int) (int, error) {
	return b.writeNum("writeUInt16BE", uint64(value), offset, 2, numRanged|numBE)
}

// WriteInt16LE writes value, which must be -32768 to 32767, little-endian
// at offset and returns offset+2, as Node's buf.writeInt16LE(value, offset).
func (b *Buffer) WriteInt16LE(value int64, offset int) (int, error) {
	return b.writeNum("writeInt16LE", uint64(value), offset, 2, numRanged|numSigned)
}

// WriteInt16BE is WriteInt16LE writing big-endian.
func (b *Buffer) WriteInt16BE(value int64, offset int) (int, error) {
	return b.writeNum("writeInt16BE", uint64(value), offset, 2, numRanged|numSigned|numBE)
}

// WriteUint32LE writes value, which must be 0 to 2^32-1, little-endian at
// offset and returns offset+4, as Node's buf.writeUInt32LE(value, offset).
func (b *Buffer) WriteUint32LE(value int64, offset int) (int, error) {
	return b.writeNum("writeUInt32LE", uint64(value), offset, 4, numRanged)
}

// WriteUint32BE is WriteUint32LE writing big-endian.
func (b *Buffer) WriteUint32BE(value int64, offset int) (int, error) {
	return b.writeNum("writeUInt32BE", uint64(value), offset, 4, numRanged|numBE)
}

// WriteInt32LE writes value, which must be -2^31 to 2^31-1, little-endian
// at offset and returns offset+4, as Node's buf.writeInt32LE(value, offset).
func (b *Buffer) WriteInt32LE(value int64, offset int) (int, error) {
	return b.writeNum("writeInt32LE", uint64(value), offset, 4, numRanged|numSigned)
}

// WriteInt32BE is WriteInt32LE writing big-endian.
func (b *Buffer) WriteInt32BE(value int64, offset int) (int, error) {
	return b.writeNum("writeInt32BE", uint64(value), offset, 4, numRanged|numSigned|numBE)
}

// WriteUintLE writes value, which must be 0 to 2^(8·byteLength)-1, as
// byteLength bytes (1 to 6) little-endian at offset and returns
// offset+byteLength, as Node's buf.writeUIntLE(value, offset, byteLength).
func (b *Buffer) WriteUintLE(value int64, offset, byteLength int) (int, error) {
	return b.writeNum("writeUIntLE", uint64(value), offset, byteLength, numVar|numRanged)
}

// WriteUintBE is WriteUintLE writing big-endian.
func (b *Buffer) WriteUintBE(value int64, offset, byteLength int) (int, error) {
	return b.writeNum("writeUIntBE", uint64(value), offset, byteLength, numVar|numRanged|numBE)
}

// WriteIntLE writes value, which must be -2^(8·byteLength-1) to
// 2^(8·byteLength-1)-1, as byteLength two's complement bytes (1 to 6)
// little-endian at offset and returns offset+byteLength, as Node's
// buf.writeIntLE(value, offset, byteLength).
func (b *Buffer) WriteIntLE(value int64, offset, byteLength int) (int, error) {
	return b.writeNum("writeIntLE", uint64(value), offset, byteLength, numVar|numRanged|numSigned)
}

// WriteIntBE is WriteIntLE writing big-endian.
func (b *Buffer) WriteIntBE(value int64, offset, byteLength int) (int, error) {
	return b.writeNum("writeIntBE", uint64(value), offset, byteLength, numVar|numRanged|numSigned|numBE)
}

// WriteBigUint64LE writes value little-endian at offset and returns
// offset+8, as Node's buf.writeBigUInt64LE(value, offset). Every uint64 is
// in Node's range.
func (b *Buffer) WriteBigUint64LE(value uint64, offset int) (int, error) {
	return b.writeNum("writeBigUInt64LE", value, offset, 8, 0)
}

// WriteBigUint64BE is WriteBigUint64LE writing big-endian.
func (b *Buffer) WriteBigUint64BE(value uint64, offset int) (int, error) {
	return b.writeNum("writeBigUInt64BE", value, offset, 8, numBE)
}

// WriteBigInt64LE writes value little-endian at offset and returns
// offset+8, as Node's buf.writeBigInt64LE(value, offset). Every int64 is in
// Node's range.
func (b *Buffer) WriteBigInt64LE(value int64, offset int) (int, error) {
	return b.writeNum("writeBigInt64LE", uint64(value), offset, 8, 0)
}

// WriteBigInt64BE is WriteBigInt64LE writing big-endian.
func (b *Buffer) WriteBigInt64BE(value int64, offset int) (int, error) {
	return b.writeNum("writeBigInt64BE", uint64(value), offset, 8, numBE)
}

// WriteFloatLE rounds value to the nearest float32, as Go's float32(value)
// and Node do (1e40 becomes +Inf, 16777217 becomes 16777216), writes it
// little-endian at offset and returns offset+4, as Node's
// buf.writeFloatLE(value, offset).
func (b *Buffer) WriteFloatLE(value float64, offset int) (int, error) {
	return b.writeNum("writeFloatLE", uint64(math.Float32bits(float32(value))), offset, 4, 0)
}

// WriteFloatBE is WriteFloatLE writing big-endian.
func (b *Buffer) WriteFloatBE(value float64, offset int) (int, error) {
	return b.writeNum("writeFloatBE", uint64(math.Float32bits(float32(value))), offset, 4, numBE)
}

// WriteDoubleLE writes value's IEEE 754 bits little-endian at offset and
// returns offset+8, as Node's buf.writeDoubleLE(value, offset).
func (b *Buffer) WriteDoubleLE(value float64, offset int) (int, error) {
	return b.writeNum("writeDoubleLE", math.Float64bits(value), offset, 8, 0)
}

// WriteDoubleBE is WriteDoubleLE writing big-endian.
func (b *Buffer) WriteDoubleBE(value float64, offset int) (int, error) {
	return b.writeNum("writeDoubleBE", math.Float64bits(value), offset, 8, numBE)
}
