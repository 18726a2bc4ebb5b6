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
	m := b.m
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return "", b.closedError("toString")
	}
	start, end = max(start, 0), min(end, b.n)
	if end <= start {
		return "", nil
	}
	e, err := encodingOrUTF8(string(enc))
	if err != nil {
		return "", err
	}
	return decodeBytes(e, m.data[b.off+start:b.off+end]), nil
}

// Write encodes s with enc into b at offset, as Node's
// buf.write(s, offset, enc) does, and returns the number of bytes written.
// It writes as much as fits in the rest of b, never part of a character,
// and leaves the bytes after it alone. offset must be from 0 to b.Len();
// enc "" means utf8.
func (b *Buffer) Write(s string, offset int, enc Encoding) (int, error) {
	m := b.m
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return 0, b.closedError("write")
	}
	if offset < 0 || offset > b.n {
		return 0, outOfRange("offset", offset, 0, b.n)
	}
	e, err := encodingOrUTF8(string(enc))
	if err != nil {
		return 0, err
	}
	if m.readOnly {
		return 0, b.pathError("write", ErrReadOnly)
	}
	return encodeInto(e, m.data[b.off+offset:b.off+b.n], s), nil
}

// outOfRange is Node's ERR_OUT_OF_RANGE for an integer argument.
func outOfRange(name string, got, lo, hi int) error {
	return nodeError("ERR_OUT_OF_RANGE", "The value of %q is out of range. It must be >= %d && <= %d. Received %d", name, lo, hi, got)
}
