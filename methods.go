package ipcbuf

// This file holds the Buffer methods that mirror Node.js's Buffer methods.
// Go has no undefined: where Node lets an argument be left out, the Go
// method takes its zero value ("" for an encoding means utf8) or an explicit
// length.

// ToString decodes the bytes from start to end with enc, as Node's
// buf.toString(enc, start, end) does: start at or below 0 means 0, end past
// the buffer means its length, and an empty range gives "" without looking
// at enc. enc "" means utf8. See the package documentation for how decoded
// text becomes a Go string.
func (b *Buffer) ToString(enc Encoding, start, end int) (string, error) {
	if mem, ok := b.openMem(false); ok && b.m.reg == nil {
		return toString(mem, enc, start, end, false) // heap memory: no lease
	}
	return b.toStringLeased(enc, start, end)
}

func (b *Buffer) toStringLeased(enc Encoding, start, end int) (string, error) {
	return guarded(b, "toString", false, func(mem []byte) (string, error) {
		return toString(mem, enc, start, end, b.m.reg != nil)
	})
}

// toString is ToString on mem, the buffer's bytes under its lease if
// shared is set.
func toString(mem []byte, enc Encoding, start, end int, shared bool) (string, error) {
	start, end = max(start, 0), min(end, len(mem))
	if end <= start {
		return "", nil
	}
	e, err := encodingOrUTF8(string(enc))
	if err != nil {
		return "", err
	}
	// Shared memory may change while it is decoded (see Encoding).
	return decodeMemory(e, mem[start:end], shared), nil
}

// Write encodes s with enc into b at offset, as Node's
// buf.write(s, offset, enc) does, and returns the number of bytes written.
// It writes as much as fits in the rest of b, never part of a character,
// and leaves the bytes after it alone. offset must be from 0 to b.Len();
// enc "" means utf8.
func (b *Buffer) Write(s string, offset int, enc Encoding) (int, error) {
	return b.WriteLength(s, offset, b.Len(), enc)
}

// WriteLength is Write with Node's length argument: it writes at most
// length bytes, which must be from 0 to b.Len() (and is then cut to the
// space after offset), as buf.write(s, offset, length, enc) does.
func (b *Buffer) WriteLength(s string, offset, length int, enc Encoding) (int, error) {
	if mem, ok := b.openMem(true); ok && b.m.reg == nil {
		return writeString(mem, s, offset, length, enc) // heap memory: no lease
	}
	return b.writeLengthLeased(s, offset, length, enc)
}

func (b *Buffer) writeLengthLeased(s string, offset, length int, enc Encoding) (int, error) {
	return guarded(b, "write", true, func(mem []byte) (int, error) {
		return writeString(mem, s, offset, length, enc)
	})
}

// writeString is WriteLength on mem, the buffer's bytes under its lease.
func writeString(mem []byte, s string, offset, length int, enc Encoding) (int, error) {
	if offset < 0 || offset > len(mem) {
		return 0, errRange("offset", int64(offset), 0, int64(len(mem)))
	}
	if length < 0 || length > len(mem) {
		return 0, errRange("length", int64(length), 0, int64(len(mem)))
	}
	e, err := encodingOrUTF8(string(enc))
	if err != nil {
		return 0, err
	}
	return encodeInto(e, mem[offset:offset+min(length, len(mem)-offset)], s), nil
}
