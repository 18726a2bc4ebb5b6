package ipcbuf

import (
	"encoding/binary"
	"math"
	"runtime/debug"
	"unsafe"
)

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

// The fixed-width methods first try a fast path: on an open buffer (and
// writable, for a writer), with the offset in range and the value fitting,
// a call is a load or a store, under the fault guard on mapped memory.
// Anything else goes to readNum or writeNum, which check and report in
// Node's order. The guard is the least it can be: two runtime calls to
// turn panic-on-fault on and back, and a deferred closure that calls
// recover only when the access did not complete. It is in the same
// function as the access, which saves a call; heap memory returns before
// it.
//
// guardFirst: the defer must come before debug.SetPanicOnFault(true). The
// compiler assumes that only calls and its own checks can panic, not a
// plain load or store; it records that a defer is pending (for a panic to
// find) only as long as a call might still need it, and with no call
// between the defer and the access it may drop that record, so a fault in
// the access would find no defer and kill the process (seen with Go 1.26
// on the one-byte writer). The call that turns the guard on, after the
// defer, keeps the record.

// fixedUint is the unsigned integers of the fixed-width methods: the width
// is the type's size.
type fixedUint interface {
	uint8 | uint16 | uint32 | uint64
}

// readFixed is the body of the fixed-width readers: the unsigned integer
// of T's size at offset, in the byte order of f. Signed values are not
// extended: the callers convert to the signed type of the width.
func readFixed[T fixedUint](b *Buffer, op string, offset int, f numFlags) (v T, err error) {
	width := int(unsafe.Sizeof(v))
	mem, ok := b.openMem(false)
	if !ok || offset < 0 || offset > len(mem)-width {
		u, err := b.readNum(op, offset, width, f)
		return T(u), err
	}
	if b.m.reg == nil {
		return loadFixed[T](mem[offset:], f), nil
	}
	var old, done bool
	defer func() {
		if done { // no panic: recover would find none
			debug.SetPanicOnFault(old)
			return
		}
		err = b.recovered(op, recover(), old)
	}()
	old = debug.SetPanicOnFault(true) // after the defer: see guardFirst
	v = loadFixed[T](mem[offset:], f)
	done = true
	return v, nil
}

// writeFixed is the body of the fixed-width writers: it stores the low
// bytes of v, T's size of them, at offset in the byte order of f and
// returns the offset after them.
func writeFixed[T fixedUint](b *Buffer, op string, v uint64, offset int, f numFlags) (_ int, err error) {
	width := int(unsafe.Sizeof(T(0)))
	mem, ok := b.openMem(true)
	if !ok || offset < 0 || offset > len(mem)-width || !fits(v, width, f) {
		return b.writeNum(op, v, offset, width, f)
	}
	if b.m.reg == nil {
		storeFixed(mem[offset:], T(v), f)
		return offset + width, nil
	}
	b.m.reg.written()
	var old, done bool
	defer func() {
		if done {
			debug.SetPanicOnFault(old)
			return
		}
		err = b.recovered(op, recover(), old)
	}()
	old = debug.SetPanicOnFault(true) // after the defer: see guardFirst
	storeFixed(mem[offset:], T(v), f)
	done = true
	return offset + width, nil
}

// fits reports whether v, an integer writer's int64 value, passes
// checkNumeric's range check for width bytes (1, 2, 4 or 8) and flags f.
func fits(v uint64, width int, f numFlags) bool {
	switch {
	case f&numRanged == 0 || width == 8:
		return true
	case f&numSigned != 0:
		s := 64 - 8*uint(width)
		return int64(v)<<s>>s == int64(v)
	}
	return v>>(8*uint(width)) == 0
}

// loadFixed decodes the first bytes of p, T's size of them, in the byte
// order of f, with one load.
func loadFixed[T fixedUint](p []byte, f numFlags) T {
	switch unsafe.Sizeof(T(0)) {
	case 1:
		return T(p[0])
	case 2:
		return T(getU16(p, f))
	case 4:
		return T(getU32(p, f))
	}
	return T(getU64(p, f))
}

// storeFixed stores v in the first bytes of p, T's size of them, in the
// byte order of f, with one store.
func storeFixed[T fixedUint](p []byte, v T, f numFlags) {
	switch unsafe.Sizeof(v) {
	case 1:
		p[0] = byte(v)
	case 2:
		if f&numBE != 0 {
			binary.BigEndian.PutUint16(p, uint16(v))
		} else {
			binary.LittleEndian.PutUint16(p, uint16(v))
		}
	case 4:
		if f&numBE != 0 {
			binary.BigEndian.PutUint32(p, uint32(v))
		} else {
			binary.LittleEndian.PutUint32(p, uint32(v))
		}
	default:
		if f&numBE != 0 {
			binary.BigEndian.PutUint64(p, uint64(v))
		} else {
			binary.LittleEndian.PutUint64(p, uint64(v))
		}
	}
}

// getU16, getU32 and getU64 decode the first bytes of p in the byte
// order of f, with one load each.
func getU16(p []byte, f numFlags) uint16 {
	if f&numBE != 0 {
		return binary.BigEndian.Uint16(p)
	}
	return binary.LittleEndian.Uint16(p)
}

func getU32(p []byte, f numFlags) uint32 {
	if f&numBE != 0 {
		return binary.BigEndian.Uint32(p)
	}
	return binary.LittleEndian.Uint32(p)
}

func getU64(p []byte, f numFlags) uint64 {
	if f&numBE != 0 {
		return binary.BigEndian.Uint64(p)
	}
	return binary.LittleEndian.Uint64(p)
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
	v, err := readFixed[uint8](b, "readUInt8", offset, 0)
	return uint8(v), err
}

// ReadInt8 returns the byte at offset as a two's complement int8, as Node's
// buf.readInt8(offset).
func (b *Buffer) ReadInt8(offset int) (int8, error) {
	v, err := readFixed[uint8](b, "readInt8", offset, numSigned)
	return int8(v), err
}

// ReadUint16LE returns the little-endian uint16 at offset, as Node's
// buf.readUInt16LE(offset).
func (b *Buffer) ReadUint16LE(offset int) (uint16, error) {
	v, err := readFixed[uint16](b, "readUInt16LE", offset, 0)
	return uint16(v), err
}

// ReadUint16BE is ReadUint16LE for big-endian bytes.
func (b *Buffer) ReadUint16BE(offset int) (uint16, error) {
	v, err := readFixed[uint16](b, "readUInt16BE", offset, numBE)
	return uint16(v), err
}

// ReadInt16LE returns the little-endian int16 at offset, as Node's
// buf.readInt16LE(offset).
func (b *Buffer) ReadInt16LE(offset int) (int16, error) {
	v, err := readFixed[uint16](b, "readInt16LE", offset, numSigned)
	return int16(v), err
}

// ReadInt16BE is ReadInt16LE for big-endian bytes.
func (b *Buffer) ReadInt16BE(offset int) (int16, error) {
	v, err := readFixed[uint16](b, "readInt16BE", offset, numSigned|numBE)
	return int16(v), err
}

// ReadUint32LE returns the little-endian uint32 at offset, as Node's
// buf.readUInt32LE(offset).
func (b *Buffer) ReadUint32LE(offset int) (uint32, error) {
	v, err := readFixed[uint32](b, "readUInt32LE", offset, 0)
	return uint32(v), err
}

// ReadUint32BE is ReadUint32LE for big-endian bytes.
func (b *Buffer) ReadUint32BE(offset int) (uint32, error) {
	v, err := readFixed[uint32](b, "readUInt32BE", offset, numBE)
	return uint32(v), err
}

// ReadInt32LE returns the little-endian int32 at offset, as Node's
// buf.readInt32LE(offset).
func (b *Buffer) ReadInt32LE(offset int) (int32, error) {
	v, err := readFixed[uint32](b, "readInt32LE", offset, numSigned)
	return int32(v), err
}

// ReadInt32BE is ReadInt32LE for big-endian bytes.
func (b *Buffer) ReadInt32BE(offset int) (int32, error) {
	v, err := readFixed[uint32](b, "readInt32BE", offset, numSigned|numBE)
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
	return readFixed[uint64](b, "readBigUInt64LE", offset, 0)
}

// ReadBigUint64BE is ReadBigUint64LE for big-endian bytes.
func (b *Buffer) ReadBigUint64BE(offset int) (uint64, error) {
	return readFixed[uint64](b, "readBigUInt64BE", offset, numBE)
}

// ReadBigInt64LE returns the little-endian int64 at offset, as Node's
// buf.readBigInt64LE(offset).
func (b *Buffer) ReadBigInt64LE(offset int) (int64, error) {
	v, err := readFixed[uint64](b, "readBigInt64LE", offset, 0)
	return int64(v), err
}

// ReadBigInt64BE is ReadBigInt64LE for big-endian bytes.
func (b *Buffer) ReadBigInt64BE(offset int) (int64, error) {
	v, err := readFixed[uint64](b, "readBigInt64BE", offset, numBE)
	return int64(v), err
}

// ReadFloatLE returns the little-endian IEEE 754 float32 at offset, as
// Node's buf.readFloatLE(offset) (which widens it to a float64: convert it
// with float64 to get Node's Number).
func (b *Buffer) ReadFloatLE(offset int) (float32, error) {
	v, err := readFixed[uint32](b, "readFloatLE", offset, 0)
	return math.Float32frombits(uint32(v)), err
}

// ReadFloatBE is ReadFloatLE for big-endian bytes.
func (b *Buffer) ReadFloatBE(offset int) (float32, error) {
	v, err := readFixed[uint32](b, "readFloatBE", offset, numBE)
	return math.Float32frombits(uint32(v)), err
}

// ReadDoubleLE returns the little-endian IEEE 754 float64 at offset, as
// Node's buf.readDoubleLE(offset).
func (b *Buffer) ReadDoubleLE(offset int) (float64, error) {
	v, err := readFixed[uint64](b, "readDoubleLE", offset, 0)
	return math.Float64frombits(v), err
}

// ReadDoubleBE is ReadDoubleLE for big-endian bytes.
func (b *Buffer) ReadDoubleBE(offset int) (float64, error) {
	v, err := readFixed[uint64](b, "readDoubleBE", offset, numBE)
	return math.Float64frombits(v), err
}

// WriteUint8 writes value, which must be 0 to 255, as the byte at offset
// and returns offset+1, as Node's buf.writeUInt8(value, offset).
func (b *Buffer) WriteUint8(value int64, offset int) (int, error) {
	return writeFixed[uint8](b, "writeUInt8", uint64(value), offset, numRanged)
}

// WriteInt8 writes value, which must be -128 to 127, as the two's
// complement byte at offset and returns offset+1, as Node's
// buf.writeInt8(value, offset).
func (b *Buffer) WriteInt8(value int64, offset int) (int, error) {
	return writeFixed[uint8](b, "writeInt8", uint64(value), offset, numRanged|numSigned)
}

// WriteUint16LE writes value, which must be 0 to 65535, little-endian at
// offset and returns offset+2, as Node's buf.writeUInt16LE(value, offset).
func (b *Buffer) WriteUint16LE(value int64, offset int) (int, error) {
	return writeFixed[uint16](b, "writeUInt16LE", uint64(value), offset, numRanged)
}

// WriteUint16BE is WriteUint16LE writing big-endian.
func (b *Buffer) WriteUint16BE(value int64, offset int) (int, error) {
	return writeFixed[uint16](b, "writeUInt16BE", uint64(value), offset, numRanged|numBE)
}

// WriteInt16LE writes value, which must be -32768 to 32767, little-endian
// at offset and returns offset+2, as Node's buf.writeInt16LE(value, offset).
func (b *Buffer) WriteInt16LE(value int64, offset int) (int, error) {
	return writeFixed[uint16](b, "writeInt16LE", uint64(value), offset, numRanged|numSigned)
}

// WriteInt16BE is WriteInt16LE writing big-endian.
func (b *Buffer) WriteInt16BE(value int64, offset int) (int, error) {
	return writeFixed[uint16](b, "writeInt16BE", uint64(value), offset, numRanged|numSigned|numBE)
}

// WriteUint32LE writes value, which must be 0 to 2^32-1, little-endian at
// offset and returns offset+4, as Node's buf.writeUInt32LE(value, offset).
func (b *Buffer) WriteUint32LE(value int64, offset int) (int, error) {
	return writeFixed[uint32](b, "writeUInt32LE", uint64(value), offset, numRanged)
}

// WriteUint32BE is WriteUint32LE writing big-endian.
func (b *Buffer) WriteUint32BE(value int64, offset int) (int, error) {
	return writeFixed[uint32](b, "writeUInt32BE", uint64(value), offset, numRanged|numBE)
}

// WriteInt32LE writes value, which must be -2^31 to 2^31-1, little-endian
// at offset and returns offset+4, as Node's buf.writeInt32LE(value, offset).
func (b *Buffer) WriteInt32LE(value int64, offset int) (int, error) {
	return writeFixed[uint32](b, "writeInt32LE", uint64(value), offset, numRanged|numSigned)
}

// WriteInt32BE is WriteInt32LE writing big-endian.
func (b *Buffer) WriteInt32BE(value int64, offset int) (int, error) {
	return writeFixed[uint32](b, "writeInt32BE", uint64(value), offset, numRanged|numSigned|numBE)
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
	return writeFixed[uint64](b, "writeBigUInt64LE", value, offset, 0)
}

// WriteBigUint64BE is WriteBigUint64LE writing big-endian.
func (b *Buffer) WriteBigUint64BE(value uint64, offset int) (int, error) {
	return writeFixed[uint64](b, "writeBigUInt64BE", value, offset, numBE)
}

// WriteBigInt64LE writes value little-endian at offset and returns
// offset+8, as Node's buf.writeBigInt64LE(value, offset). Every int64 is in
// Node's range.
func (b *Buffer) WriteBigInt64LE(value int64, offset int) (int, error) {
	return writeFixed[uint64](b, "writeBigInt64LE", uint64(value), offset, 0)
}

// WriteBigInt64BE is WriteBigInt64LE writing big-endian.
func (b *Buffer) WriteBigInt64BE(value int64, offset int) (int, error) {
	return writeFixed[uint64](b, "writeBigInt64BE", uint64(value), offset, numBE)
}

// WriteFloatLE rounds value to the nearest float32, as Go's float32(value)
// and Node do (1e40 becomes +Inf, 16777217 becomes 16777216), writes it
// little-endian at offset and returns offset+4, as Node's
// buf.writeFloatLE(value, offset).
func (b *Buffer) WriteFloatLE(value float64, offset int) (int, error) {
	return writeFixed[uint32](b, "writeFloatLE", uint64(math.Float32bits(float32(value))), offset, 0)
}

// WriteFloatBE is WriteFloatLE writing big-endian.
func (b *Buffer) WriteFloatBE(value float64, offset int) (int, error) {
	return writeFixed[uint32](b, "writeFloatBE", uint64(math.Float32bits(float32(value))), offset, numBE)
}

// WriteDoubleLE writes value's IEEE 754 bits little-endian at offset and
// returns offset+8, as Node's buf.writeDoubleLE(value, offset).
func (b *Buffer) WriteDoubleLE(value float64, offset int) (int, error) {
	return writeFixed[uint64](b, "writeDoubleLE", math.Float64bits(value), offset, 0)
}

// WriteDoubleBE is WriteDoubleLE writing big-endian.
func (b *Buffer) WriteDoubleBE(value float64, offset int) (int, error) {
	return writeFixed[uint64](b, "writeDoubleBE", math.Float64bits(value), offset, numBE)
}
