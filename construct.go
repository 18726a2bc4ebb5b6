package ipcbuf

// This file holds the functions that make memory buffers, as Node's static
// Buffer functions do, and Buffer.byteLength. Go has no undefined: where
// Node lets an argument be left out, the Go function either takes a value
// that stands for it ("" for an encoding, nil for a fill) or comes in two
// forms (Concat and ConcatLength).

// maxBufferLength is Node's buffer.constants.MAX_LENGTH (kMaxLength): the
// largest size Buffer.alloc and Buffer.concat accept, and the bound Node
// puts on fill's offset and on compare's targetStart and sourceStart.
const maxBufferLength = 1 << 32

// newMemory returns a memory buffer holding data itself, not a copy.
func newMemory(data []byte) *Buffer {
	return &Buffer{m: &mapping{kind: KindMemory, data: data}, n: len(data)}
}

// Alloc returns a buffer of size bytes, all zero, in this process's
// memory, like Node's Buffer.alloc(size). size must be from 0 to 2^32
// (Node's buffer.constants.MAX_LENGTH), else the error is an *Error with
// Code ERR_OUT_OF_RANGE and Node's message. Node also truncates a fractional
// size and refuses a non-number; a Go int has neither problem.
func Alloc(size int) (*Buffer, error) {
	if err := checkMaxLength("size", size); err != nil {
		return nil, err
	}
	return newMemory(make([]byte, size)), nil
}

// AllocFill returns a memory buffer of size bytes filled with fill, like
// Node's Buffer.alloc(size, fill, enc): Alloc, then Fill(fill, 0, size, enc),
// so fill and enc follow the rules of Fill (a string encoded with enc, ""
// meaning utf8; a []byte or *Buffer repeated; a number's low byte; nil,
// Go's stand-in for undefined, zeros; a value that encodes to no bytes is
// ERR_INVALID_ARG_VALUE, an unknown encoding with a string fill
// ERR_UNKNOWN_ENCODING).
//
// As in Node, the size is checked first, and nothing is filled, so neither
// fill nor enc is checked, when size is 0 or fill is nil or a number whose
// byte is zero (the bytes are zero already).
func AllocFill(size int, fill any, enc Encoding) (*Buffer, error) {
	b, err := Alloc(size)
	if err != nil || size == 0 || fillsZero(fill) {
		return b, err
	}
	if err := b.Fill(fill, 0, size, enc); err != nil {
		return nil, err
	}
	return b, nil
}

// From returns a memory buffer holding s encoded with enc, like Node's
// Buffer.from(s, enc). enc "" means utf8 (Node's undefined, null and ”);
// any other name must be one IsEncoding accepts, else the error has Code
// ERR_UNKNOWN_ENCODING, even for an empty s, as in Node. How a Go string
// stands for a JS string is described on Encoding.
func From(s string, enc Encoding) (*Buffer, error) {
	e, err := encodingOrUTF8(string(enc))
	if err != nil {
		return nil, err
	}
	return newMemory(encodeString(e, s)), nil
}

// FromBytes returns a memory buffer holding a copy of p, like Node's
// Buffer.from(array) or Buffer.from(buffer). A nil p gives an empty buffer.
// It always copies: Node's Buffer.from(arrayBuffer), which shares the
// memory, has no counterpart here (Slice shares a Buffer's memory). To copy
// a *Buffer, use Concat([]*Buffer{b}).
func FromBytes(p []byte) *Buffer {
	return newMemory(append(make([]byte, 0, len(p)), p...))
}

// Concat returns a new memory buffer holding the bytes of every buffer in
// list, one after the other, like Node's Buffer.concat(list) without
// totalLength. The buffers may be of any kind, views included; each is read
// under its own lease in turn, so a buffer closed meanwhile fails the call
// with an error matching fs.ErrClosed. An empty list gives an empty buffer.
//
// A nil or zero Buffer in list is an *Error with Code ERR_INVALID_ARG_TYPE
// naming list[i], as Node's concat(list, totalLength) reports an element
// that is not a Buffer (without totalLength, Node throws a TypeError with no
// code for null). Together the buffers may hold at most 2^32 bytes, else
// the error has Code ERR_OUT_OF_RANGE, as Node's allocation of the result
// does.
func Concat(list []*Buffer) (*Buffer, error) {
	if len(list) == 0 {
		return newMemory([]byte{}), nil
	}
	var total int64
	for i, b := range list {
		if b == nil || b.m == nil {
			return nil, errListElement(i, b)
		}
		// Each length is at most 2^47, so the sum cannot overflow before
		// it passes 2^62.
		if total += int64(b.n); total > 1<<62 {
			break
		}
	}
	if total > maxBufferLength {
		// Node allocates the result with Buffer.allocUnsafe(total), which
		// reports its "size".
		return nil, errRange("size", total, 0, maxBufferLength)
	}
	return concatInto(list, int(total))
}

// ConcatLength is Concat with Node's totalLength argument, like
// Buffer.concat(list, totalLength): the result is exactly totalLength bytes,
// the concatenation cut short or followed by zero bytes. totalLength must
// be from 0 to 2^32, else the error has Code ERR_OUT_OF_RANGE; as in Node,
// it is checked before the elements but not at all when list is empty,
// which gives an empty buffer whatever totalLength is.
func ConcatLength(list []*Buffer, totalLength int) (*Buffer, error) {
	if len(list) == 0 {
		return newMemory([]byte{}), nil
	}
	if err := checkMaxLength("length", totalLength); err != nil {
		return nil, err
	}
	for i, b := range list {
		if b == nil || b.m == nil {
			return nil, errListElement(i, b)
		}
	}
	return concatInto(list, totalLength)
}

// concatInto copies the buffers of list, none nil, into a new memory buffer
// of total bytes, truncating or leaving zeros at the end. It holds one
// buffer's lease at a time. Every buffer is acquired, even past the point
// where total is reached, so a closed one fails the call whatever total is.
func concatInto(list []*Buffer, total int) (*Buffer, error) {
	dst := make([]byte, total)
	pos := 0
	for _, b := range list {
		n, err := b.copyOut(dst[pos:])
		if err != nil {
			return nil, err
		}
		pos += n
	}
	return newMemory(dst), nil
}

// copyOut copies b's bytes into p, as concat does, under b's lease.
func (b *Buffer) copyOut(p []byte) (n int, err error) {
	mem, l, err := b.acquire("concat", false)
	if err != nil {
		return 0, err
	}
	defer l.release(&err)
	return copy(p, mem), nil
}

// ByteLength returns the number of bytes s takes in enc, like Node's
// Buffer.byteLength(s, enc): exact for utf8, utf16le, latin1, ascii and hex,
// and for base64 and base64url Node's estimate, which counts characters
// outside the alphabet as if they were in it (see encodedLen): for those
// it can exceed len(From(s, enc)). enc "" means utf8, and so does an
// encoding Node does not know: like Node, ByteLength never fails. Node's
// byteLength also takes a Buffer, giving its length; in Go that is Len.
func ByteLength(s string, enc Encoding) int {
	e, ok := lookupEncoding(string(enc))
	if !ok {
		e = UTF8
	}
	return encodedLen(e, s)
}

// checkMaxLength checks a size argument against Node's [0, MAX_LENGTH] and
// returns Node's ERR_OUT_OF_RANGE for it.
func checkMaxLength(name string, n int) error {
	if n < 0 || int64(n) > maxBufferLength {
		return errRange(name, int64(n), 0, maxBufferLength)
	}
	return nil
}
