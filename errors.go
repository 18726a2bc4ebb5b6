package ipcbuf

import "fmt"

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
