package ipcbuf

// This file is the one place where Node's errors are made: the *Error type,
// its sentinels, and a constructor for every Node error a method returns,
// worded as Node 20 words it (errors_oracle_test.go holds each message
// against the real Node). Where Go cannot say what Node says (a Go type
// where Node names a JS one), the constructor's comment says so.

import (
	"fmt"
	"strconv"
)

// Error is returned where Node.js's Buffer throws. Code is the err.code Node
// gives for the same call, such as "ERR_OUT_OF_RANGE", so code ported from
// Node can branch on the same values:
//
//	var nerr *ipcbuf.Error
//	if errors.As(err, &nerr) && nerr.Code == "ERR_OUT_OF_RANGE" { … }
//
// errors.Is matches an *Error against the sentinel with the same Code, so
// errors.Is(err, ipcbuf.ErrOutOfRange) works too.
type Error struct {
	Code string // Node's err.code
	Msg  string // what was wrong, in words
}

func (e *Error) Error() string { return "ipcbuf: " + e.Msg }

// Is reports whether target is an *Error with the same Code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Sentinels for the Node error codes, for use with errors.Is.
var (
	ErrOutOfRange        = &Error{Code: "ERR_OUT_OF_RANGE", Msg: "value out of range"}
	ErrBufferOutOfBounds = &Error{Code: "ERR_BUFFER_OUT_OF_BOUNDS", Msg: "attempt to access memory outside buffer bounds"}
	ErrInvalidArgType    = &Error{Code: "ERR_INVALID_ARG_TYPE", Msg: "invalid argument type"}
	ErrInvalidArgValue   = &Error{Code: "ERR_INVALID_ARG_VALUE", Msg: "invalid argument value"}
	ErrUnknownEncoding   = &Error{Code: "ERR_UNKNOWN_ENCODING", Msg: "unknown encoding"}
	ErrInvalidBufferSize = &Error{Code: "ERR_INVALID_BUFFER_SIZE", Msg: "invalid buffer size"}
)

// nodeError returns an *Error with the given Node code and a formatted message.
func nodeError(code string, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// ERR_OUT_OF_RANGE. Node words the condition two ways: buffer.js's
// validateOffset and validateInteger (offsets and sizes of write, fill,
// copy, compare, alloc and concat) join the bounds with "&&", the numeric
// readers and writers of internal/buffer.js with "and".

// errOutOfRange is Node's ERR_OUT_OF_RANGE for the integer argument name,
// which failed the condition must (in Node's words).
func errOutOfRange(name, must string, got int64) error {
	return nodeError("ERR_OUT_OF_RANGE", "The value of %q is out of range. It must be %s. Received %s", name, must, nodeInt(got))
}

// errRange is ERR_OUT_OF_RANGE for an argument that must lie in [lo, hi],
// as buffer.js's validateOffset and validateInteger word it.
func errRange(name string, got, lo, hi int64) error {
	return errOutOfRange(name, fmt.Sprintf(">= %d && <= %d", lo, hi), got)
}

// errNotNegative is ERR_OUT_OF_RANGE for an argument that must be >= 0 and
// has no upper bound (copy's targetStart and sourceEnd).
func errNotNegative(name string, got int64) error {
	return errOutOfRange(name, ">= 0", got)
}

// errNumericRange is ERR_OUT_OF_RANGE for an offset or byteLength of a
// numeric reader or writer that must lie in [lo, hi].
func errNumericRange(name string, got, lo, hi int64) error {
	return errOutOfRange(name, fmt.Sprintf(">= %d and <= %d", lo, hi), got)
}

// errNumericValue is ERR_OUT_OF_RANGE for a value outside [lo, hi] given
// to an integer writer of the given width in bytes. Node words the limits
// of the 40- and 48-bit writers as powers of two.
func errNumericValue(got, lo, hi int64, width int) error {
	limits := fmt.Sprintf(">= %d and <= %d", lo, hi)
	switch bits := 8 * width; {
	case width > 4 && lo == 0:
		limits = fmt.Sprintf(">= 0 and < 2 ** %d", bits)
	case width > 4:
		limits = fmt.Sprintf(">= -(2 ** %d) and < 2 ** %d", bits-1, bits-1)
	}
	return errOutOfRange("value", limits, got)
}

// nodeInt writes an integer as Node's ERR_OUT_OF_RANGE shows one received
// (addNumericalSeparator in Node's internal/errors.js): with '_' between
// groups of three digits when its magnitude is above 2³². It is the one
// place that groups digits.
func nodeInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	if n >= -(1<<32) && n <= 1<<32 {
		return s
	}
	start := 0
	if n < 0 {
		start = 1
	}
	groups := ""
	i := len(s)
	for ; i >= start+4; i -= 3 {
		groups = "_" + s[i-3:i] + groups
	}
	return s[:i] + groups
}

// errBufferOutOfBounds is Node's ERR_BUFFER_OUT_OF_BOUNDS, which the
// numeric methods give when the buffer is shorter than the number.
func errBufferOutOfBounds() error {
	return nodeError("ERR_BUFFER_OUT_OF_BOUNDS", "Attempt to access memory outside buffer bounds")
}

// errWriteOutOfBounds is ERR_BUFFER_OUT_OF_BOUNDS for WriteAt (io.WriterAt,
// which Node has not): n bytes at off do not fit in size bytes. The message
// says what did not fit, where Node's fixed one would not.
func errWriteOutOfBounds(n int, off int64, size int) error {
	return nodeError("ERR_BUFFER_OUT_OF_BOUNDS", "writing %d bytes at offset %d runs outside a %d-byte buffer", n, off, size)
}

// ERR_INVALID_ARG_TYPE. Node names JS types ("must be an instance of
// Buffer or Uint8Array. Received null"); where the argument is a Go value
// the messages name Go types, which is what a Go caller can act on.

// errBufferArg is ERR_INVALID_ARG_TYPE for the *Buffer argument name that
// is nil or the zero Buffer.
func errBufferArg(name string, arg *Buffer) error {
	return nodeError("ERR_INVALID_ARG_TYPE", "The %q argument must be a *Buffer made by Alloc, From, Open or Slice. Received %s", name, describeArg(arg))
}

// errListElement is ERR_INVALID_ARG_TYPE for element i of concat's list,
// nil or the zero Buffer, in Node's words but for "nil" (Node: "null").
func errListElement(i int, b *Buffer) error {
	what := "nil"
	if b != nil {
		what = "the zero Buffer"
	}
	return nodeError("ERR_INVALID_ARG_TYPE", "The \"list[%d]\" argument must be an instance of Buffer or Uint8Array. Received %s", i, what)
}

// errValueType is ERR_INVALID_ARG_TYPE for the value of Fill, AllocFill or
// a search whose type none of them takes.
func errValueType(value any) error {
	return nodeError("ERR_INVALID_ARG_TYPE",
		"The \"value\" argument must be a string, []byte, *Buffer, Go integer, float32 or float64. Received %s", describeArg(value))
}

// errViewBuffer is ERR_INVALID_ARG_TYPE for View of a nil or zero Buffer.
func errViewBuffer(b *Buffer) error {
	return nodeError("ERR_INVALID_ARG_TYPE", "View needs a *Buffer from Alloc, Open or Slice. Received %s", describeArg(b))
}

// ERR_INVALID_ARG_VALUE, for a Fill value that has no bytes to repeat.
// Node's message shows the value ("Received 'zz'"); these say why it has
// none, in Go's terms.

// errEncodesToNothing is ERR_INVALID_ARG_VALUE for a Fill string s that
// encodes to no bytes in enc.
func errEncodesToNothing(enc Encoding, s string) error {
	return nodeError("ERR_INVALID_ARG_VALUE",
		"The argument 'value' is invalid: it encodes to no bytes in %s. Received %s", enc, describeArg(s))
}

// errEmptyPattern is ERR_INVALID_ARG_VALUE for an empty []byte or *Buffer
// Fill value.
func errEmptyPattern() error {
	return nodeError("ERR_INVALID_ARG_VALUE", "The argument 'value' is invalid: an empty pattern fills nothing")
}

// errUnknownEncoding is Node's ERR_UNKNOWN_ENCODING for the name given.
// Node's message starts "Unknown"; this one in lower case, as Go's error
// strings do, since the command line prints it after a colon.
func errUnknownEncoding(name string) error {
	return nodeError("ERR_UNKNOWN_ENCODING", "unknown encoding: %s", name)
}

// ERR_INVALID_BUFFER_SIZE.

// errSwapSize is Node's ERR_INVALID_BUFFER_SIZE for a swap of size-byte
// units on a buffer whose length is not a multiple of size.
func errSwapSize(size int) error {
	return nodeError("ERR_INVALID_BUFFER_SIZE", "Buffer size must be a multiple of %d-bits", 8*size)
}

// errViewSize is ERR_INVALID_BUFFER_SIZE for a View of n bytes as []T,
// named typeName, of size-byte elements. Node's typed arrays throw a
// RangeError without a code here.
func errViewSize(n int, typeName string, size int) error {
	return nodeError("ERR_INVALID_BUFFER_SIZE",
		"a %d-byte buffer cannot be viewed as []%s: its length must be a multiple of %d (take a Slice of %d bytes)",
		n, typeName, size, n-n%size)
}
