package ipcbuf

// The messages of Node's errors, row by row against the real Node 20: every
// Node error a method or function returns has a row with the Go call and
// the same call in JS (through testdata/buffer_oracle.js, as in
// node_oracle_test.go). Where Go's message is worded for Go on purpose, or
// Node does not throw at all, the row says why and gives Go's code and
// message, and the test checks that Node still does what the row says.

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"math"
	"slices"
	"strings"
	"testing"
)

// An errRow is one error: a call to make in Go and in Node, and the
// constructor of errors.go that builds Go's error.
type errRow struct {
	by string // the constructor in errors.go
	c  nodeCase
	// differs says why Go's error is not Node's, and code and msg are then
	// Go's. Empty: Go's code and message are exactly Node's.
	differs   string
	code, msg string
}

// errCall makes the nodeCase of a row; method "" is a Go call that Node
// has no counterpart for.
func errCall(method string, this []byte, args []any, goCall func(b *Buffer, bufs []*Buffer) (any, error)) nodeCase {
	return nodeCase{method: method, this: this, args: args, goCall: goCall}
}

// errRows is every Node error the package returns.
func errRows() []errRow {
	b4, b8 := make([]byte, 4), make([]byte, 8)
	big := int(1<<32 + 1) // the first integer Node writes with '_'
	const (
		goType  = "Node names JS types; Go names the Go types a caller can pass"
		goNil   = "Go's nil is Node's null"
		noNode  = "Node has no counterpart"
		lower   = "Go's message starts in lower case, as Go's error strings do (the command line prints it after a colon); Node's in upper case"
		noCode  = "Node throws a TypeError without a code (it reads null.length); Go gives concat's ERR_INVALID_ARG_TYPE always"
		goWhy   = "Node shows the value; Go says why it has no bytes"
		nodeOK  = "Node converts any value to a number and fills; Go refuses types that are not numbers"
		argType = "The %q argument must be a *Buffer made by Alloc, From, Open or Slice. Received a nil *Buffer"
	)
	nilBuf := (*Buffer)(nil)
	bufArg := func(name string) string { return strings.Replace(argType, "%q", `"`+name+`"`, 1) }
	return []errRow{
		// toString and write.
		{by: "errUnknownEncoding", c: errCall("toString", b4, []any{"bogus", 0, 4},
			func(b *Buffer, _ []*Buffer) (any, error) { return b.ToString("bogus", 0, 4) }),
			differs: lower, code: "ERR_UNKNOWN_ENCODING", msg: "unknown encoding: bogus"},
		{by: "errRange", c: errCall("write", b8, []any{"a", 9},
			func(b *Buffer, _ []*Buffer) (any, error) { return b.Write("a", 9, "") })},
		{by: "errRange", c: errCall("write", b8, []any{"a", -1},
			func(b *Buffer, _ []*Buffer) (any, error) { return b.Write("a", -1, "") })},
		{by: "errRange", c: errCall("write", b8, []any{"a", big},
			func(b *Buffer, _ []*Buffer) (any, error) { return b.Write("a", big, "") })},
		{by: "errRange", c: errCall("write", b8, []any{"a", 0, 9, jsUndefined{}},
			func(b *Buffer, _ []*Buffer) (any, error) { return b.WriteLength("a", 0, 9, "") })},
		{by: "errRange", c: errCall("write", b8, []any{"a", 0, big, jsUndefined{}},
			func(b *Buffer, _ []*Buffer) (any, error) { return b.WriteLength("a", 0, big, "") })},
		{by: "errRange", c: errCall("write", b8, []any{"a", 0, -big, jsUndefined{}},
			func(b *Buffer, _ []*Buffer) (any, error) { return b.WriteLength("a", 0, -big, "") })},
		{by: "errUnknownEncoding", c: errCall("write", b8, []any{"a", 0, jsUndefined{}, "bogus"},
			func(b *Buffer, _ []*Buffer) (any, error) { return b.Write("a", 0, "bogus") }),
			differs: lower, code: "ERR_UNKNOWN_ENCODING", msg: "unknown encoding: bogus"},

		// copy.
		{by: "errNotNegative", c: errCall("copy", b8, []any{b8, -1, 0, 8},
			func(b *Buffer, bufs []*Buffer) (any, error) { return b.Copy(bufs[0], -1, 0, 8) })},
		{by: "errNotNegative", c: errCall("copy", b8, []any{b8, -big, 0, 8},
			func(b *Buffer, bufs []*Buffer) (any, error) { return b.Copy(bufs[0], -big, 0, 8) })},
		{by: "errRange", c: errCall("copy", b8, []any{b8, 0, 9, 8},
			func(b *Buffer, bufs []*Buffer) (any, error) { return b.Copy(bufs[0], 0, 9, 8) })},
		{by: "errRange", c: errCall("copy", b8, []any{b8, 0, big, 8},
			func(b *Buffer, bufs []*Buffer) (any, error) { return b.Copy(bufs[0], 0, big, 8) })},
		{by: "errNotNegative", c: errCall("copy", b8, []any{b8, 0, 0, -1},
			func(b *Buffer, bufs []*Buffer) (any, error) { return b.Copy(bufs[0], 0, 0, -1) })},
		{by: "errBufferArg", c: errCall("copy", b8, []any{jsNull{}, 0, 0, 8},
			func(b *Buffer, _ []*Buffer) (any, error) { return b.Copy(nil, 0, 0, 8) }),
			differs: goType, code: "ERR_INVALID_ARG_TYPE", msg: bufArg("target")},

		// fill.
		{by: "errRange", c: errCall("fill", b4, []any{1, -1, 4},
			func(b *Buffer, _ []*Buffer) (any, error) { return nil, b.Fill(1, -1, 4, "") })},
		{by: "errRange", c: errCall("fill", b4, []any{1, big, 4},
			func(b *Buffer, _ []*Buffer) (any, error) { return nil, b.Fill(1, big, 4, "") })},
		{by: "errRange", c: errCall("fill", b4, []any{1, 0, 5},
			func(b *Buffer, _ []*Buffer) (any, error) { return nil, b.Fill(1, 0, 5, "") })},
		{by: "errRange", c: errCall("fill", b4, []any{1, 0, math.MinInt64},
			func(b *Buffer, _ []*Buffer) (any, error) { return nil, b.Fill(1, 0, math.MinInt64, "") }),
			differs: "Go shows the exact int64; Node the double it became", code: "ERR_OUT_OF_RANGE",
			msg: `The value of "end" is out of range. It must be >= 0 && <= 4. Received -9_223_372_036_854_775_808`},
		{by: "errUnknownEncoding", c: errCall("fill", b4, []any{"a", 0, 4, "bogus"},
			func(b *Buffer, _ []*Buffer) (any, error) { return nil, b.Fill("a", 0, 4, "bogus") }),
			differs: lower, code: "ERR_UNKNOWN_ENCODING", msg: "unknown encoding: bogus"},
		{by: "errEncodesToNothing", c: errCall("fill", b4, []any{"zz", 0, 4, "hex"},
			func(b *Buffer, _ []*Buffer) (any, error) { return nil, b.Fill("zz", 0, 4, Hex) }),
			differs: goWhy, code: "ERR_INVALID_ARG_VALUE",
			msg: `The argument 'value' is invalid: it encodes to no bytes in hex. Received string "zz"`},
		{by: "errEmptyPattern", c: errCall("fill", b4, []any{[]byte{}, 0, 4},
			func(b *Buffer, bufs []*Buffer) (any, error) { return nil, b.Fill(bufs[0].Bytes(), 0, 4, "") }),
			differs: goWhy, code: "ERR_INVALID_ARG_VALUE", msg: "The argument 'value' is invalid: an empty pattern fills nothing"},
		{by: "errEmptyPattern", c: errCall("fill", b4, []any{[]byte{}, 0, 4},
			func(b *Buffer, bufs []*Buffer) (any, error) { return nil, b.Fill(bufs[0], 0, 4, "") }),
			differs: goWhy, code: "ERR_INVALID_ARG_VALUE", msg: "The argument 'value' is invalid: an empty pattern fills nothing"},
		{by: "errValueType", c: errCall("fill", b4, []any{true, 0, 4},
			func(b *Buffer, _ []*Buffer) (any, error) { return nil, b.Fill(true, 0, 4, "") }),
			differs: nodeOK, code: "ERR_INVALID_ARG_TYPE",
			msg: `The "value" argument must be a string, []byte, *Buffer, Go integer, float32 or float64. Received type bool (true)`},
		{by: "errBufferArg", c: errCall("fill", b4, []any{jsNull{}, 0, 4},
			func(b *Buffer, _ []*Buffer) (any, error) { return nil, b.Fill(nilBuf, 0, 4, "") }),
			differs: nodeOK, code: "ERR_INVALID_ARG_TYPE", msg: bufArg("value")},

		// The swaps.
		{by: "errSwapSize", c: errCall("swap16", make([]byte, 3), nil,
			func(b *Buffer, _ []*Buffer) (any, error) { return nil, b.Swap16() })},
		{by: "errSwapSize", c: errCall("swap32", make([]byte, 6), nil,
			func(b *Buffer, _ []*Buffer) (any, error) { return nil, b.Swap32() })},
		{by: "errSwapSize", c: errCall("swap64", make([]byte, 12), nil,
			func(b *Buffer, _ []*Buffer) (any, error) { return nil, b.Swap64() })},

		// The numeric readers and writers.
		{by: "errNumericRange", c: errCall("readUInt32LE", b8, []any{5},
			func(b *Buffer, _ []*Buffer) (any, error) { return b.ReadUint32LE(5) })},
		{by: "errNumericRange", c: errCall("readUInt8", b8, []any{-big},
			func(b *Buffer, _ []*Buffer) (any, error) { return b.ReadUint8(-big) })},
		{by: "errNumericRange", c: errCall("readBigInt64LE", b8, []any{1},
			func(b *Buffer, _ []*Buffer) (any, error) { return b.ReadBigInt64LE(1) })},
		{by: "errNumericRange", c: errCall("writeDoubleLE", b8, []any{0, 1},
			func(b *Buffer, _ []*Buffer) (any, error) { return b.WriteDoubleLE(0, 1) })},
		{by: "errBufferOutOfBounds", c: errCall("readUInt32LE", []byte{1, 2}, []any{0},
			func(b *Buffer, _ []*Buffer) (any, error) { return b.ReadUint32LE(0) })},
		{by: "errBufferOutOfBounds", c: errCall("writeBigUInt64LE", b4, []any{jsBigInt("0"), 0},
			func(b *Buffer, _ []*Buffer) (any, error) { return b.WriteBigUint64LE(0, 0) })},
		{by: "errNumericRange", c: errCall("readUIntLE", b8, []any{0, 7},
			func(b *Buffer, _ []*Buffer) (any, error) { return b.ReadUintLE(0, 7) })},
		{by: "errNumericRange", c: errCall("writeIntBE", b8, []any{0, 0, 0},
			func(b *Buffer, _ []*Buffer) (any, error) { return b.WriteIntBE(0, 0, 0) })},
		{by: "errNumericValue", c: errCall("writeUInt8", b8, []any{256, 0},
			func(b *Buffer, _ []*Buffer) (any, error) { return b.WriteUint8(256, 0) })},
		{by: "errNumericValue", c: errCall("writeInt8", b8, []any{200, 0},
			func(b *Buffer, _ []*Buffer) (any, error) { return b.WriteInt8(200, 0) })},
		{by: "errNumericValue", c: errCall("writeUInt32LE", b8, []any{big, 0},
			func(b *Buffer, _ []*Buffer) (any, error) { return b.WriteUint32LE(int64(big), 0) })},
		{by: "errNumericValue", c: errCall("writeInt32BE", b8, []any{-big, 0},
			func(b *Buffer, _ []*Buffer) (any, error) { return b.WriteInt32BE(int64(-big), 0) })},
		{by: "errNumericValue", c: errCall("writeUIntLE", b8, []any{1 << 40, 0, 5},
			func(b *Buffer, _ []*Buffer) (any, error) { return b.WriteUintLE(1<<40, 0, 5) })},
		{by: "errNumericValue", c: errCall("writeIntLE", b8, []any{1 << 47, 0, 6},
			func(b *Buffer, _ []*Buffer) (any, error) { return b.WriteIntLE(1<<47, 0, 6) })},
		{by: "errNumericValue", c: errCall("writeIntBE", b8, []any{-(1 << 39) - 1, 0, 5},
			func(b *Buffer, _ []*Buffer) (any, error) { return b.WriteIntBE(-(1<<39)-1, 0, 5) })},

		// The constructors.
		{by: "errRange", c: errCall("Buffer.alloc", nil, []any{-1},
			func(_ *Buffer, _ []*Buffer) (any, error) { return Alloc(-1) })},
		{by: "errRange", c: errCall("Buffer.alloc", nil, []any{big},
			func(_ *Buffer, _ []*Buffer) (any, error) { return Alloc(big) })},
		{by: "errRange", c: errCall("Buffer.alloc", nil, []any{-1, "zz", "bogus"},
			func(_ *Buffer, _ []*Buffer) (any, error) { return AllocFill(-1, "zz", "bogus") })},
		{by: "errUnknownEncoding", c: errCall("Buffer.alloc", nil, []any{4, "a", "bogus"},
			func(_ *Buffer, _ []*Buffer) (any, error) { return AllocFill(4, "a", "bogus") }),
			differs: lower, code: "ERR_UNKNOWN_ENCODING", msg: "unknown encoding: bogus"},
		{by: "errEncodesToNothing", c: errCall("Buffer.alloc", nil, []any{4, "zz", "hex"},
			func(_ *Buffer, _ []*Buffer) (any, error) { return AllocFill(4, "zz", Hex) }),
			differs: goWhy, code: "ERR_INVALID_ARG_VALUE",
			msg: `The argument 'value' is invalid: it encodes to no bytes in hex. Received string "zz"`},
		{by: "errEmptyPattern", c: errCall("Buffer.alloc", nil, []any{4, []byte{}},
			func(_ *Buffer, bufs []*Buffer) (any, error) { return AllocFill(4, bufs[0].Bytes(), "") }),
			differs: goWhy, code: "ERR_INVALID_ARG_VALUE", msg: "The argument 'value' is invalid: an empty pattern fills nothing"},
		{by: "errValueType", c: errCall("Buffer.alloc", nil, []any{4, true},
			func(_ *Buffer, _ []*Buffer) (any, error) { return AllocFill(4, true, "") }),
			differs: nodeOK, code: "ERR_INVALID_ARG_TYPE",
			msg: `The "value" argument must be a string, []byte, *Buffer, Go integer, float32 or float64. Received type bool (true)`},
		{by: "errUnknownEncoding", c: errCall("Buffer.from", nil, []any{"a", "bogus"},
			func(_ *Buffer, _ []*Buffer) (any, error) { return From("a", "bogus") }),
			differs: lower, code: "ERR_UNKNOWN_ENCODING", msg: "unknown encoding: bogus"},
		{by: "errUnknownEncoding", c: errCall("Buffer.from", nil, []any{"a", "\x00"},
			func(_ *Buffer, _ []*Buffer) (any, error) { return From("a", "\x00") }),
			differs: lower, code: "ERR_UNKNOWN_ENCODING", msg: "unknown encoding: \x00"},
		{by: "errListElement", c: errCall("Buffer.concat", nil, []any{jsList{b4, jsNull{}}, 8},
			func(_ *Buffer, bufs []*Buffer) (any, error) { return ConcatLength([]*Buffer{bufs[0], nil}, 8) }),
			differs: goNil, code: "ERR_INVALID_ARG_TYPE",
			msg: `The "list[1]" argument must be an instance of Buffer or Uint8Array. Received nil`},
		{by: "errListElement", c: errCall("Buffer.concat", nil, []any{jsList{b4, jsNull{}}},
			func(_ *Buffer, bufs []*Buffer) (any, error) { return Concat([]*Buffer{bufs[0], nil}) }),
			differs: noCode, code: "ERR_INVALID_ARG_TYPE",
			msg: `The "list[1]" argument must be an instance of Buffer or Uint8Array. Received nil`},
		{by: "errRange", c: errCall("Buffer.concat", nil, []any{jsList{b4}, -1},
			func(_ *Buffer, bufs []*Buffer) (any, error) { return ConcatLength(bufs, -1) })},
		{by: "errRange", c: errCall("Buffer.concat", nil, []any{jsList{b4}, big},
			func(_ *Buffer, bufs []*Buffer) (any, error) { return ConcatLength(bufs, big) })},
		// 4097 times the same MiB: more than 2^32 bytes, refused before
		// anything is allocated, in Go and in Node.
		{by: "errRange", c: errCall("Buffer.concat", make([]byte, 1<<20), []any{jsList(slices.Repeat([]any{jsSelf{}}, 4097))},
			func(_ *Buffer, bufs []*Buffer) (any, error) { return Concat(bufs) })},

		// The searches and comparisons.
		{by: "errValueType", c: errCall("indexOf", b4, []any{jsUndefined{}, 0},
			func(b *Buffer, _ []*Buffer) (any, error) { return b.IndexOf(nil, 0, "") }),
			differs: goType, code: "ERR_INVALID_ARG_TYPE",
			msg: `The "value" argument must be a string, []byte, *Buffer, Go integer, float32 or float64. Received nil`},
		{by: "errValueType", c: errCall("lastIndexOf", b4, []any{true, 4},
			func(b *Buffer, _ []*Buffer) (any, error) { return b.LastIndexOf(true, 4, "") }),
			differs: goType, code: "ERR_INVALID_ARG_TYPE",
			msg: `The "value" argument must be a string, []byte, *Buffer, Go integer, float32 or float64. Received type bool (true)`},
		{by: "errBufferArg", c: errCall("includes", b4, []any{jsNull{}, 0},
			func(b *Buffer, _ []*Buffer) (any, error) { return b.Includes(nilBuf, 0, "") }),
			differs: goType, code: "ERR_INVALID_ARG_TYPE", msg: bufArg("value")},
		{by: "errUnknownEncoding", c: errCall("indexOf", b4, []any{"a", 0, "bogus"},
			func(b *Buffer, _ []*Buffer) (any, error) { return b.IndexOf("a", 0, "bogus") }),
			differs: lower, code: "ERR_UNKNOWN_ENCODING", msg: "unknown encoding: bogus"},
		{by: "errUnknownEncoding", c: errCall("lastIndexOf", b4, []any{"a", 4, "bogus"},
			func(b *Buffer, _ []*Buffer) (any, error) { return b.LastIndexOf("a", 4, "bogus") }),
			differs: lower, code: "ERR_UNKNOWN_ENCODING", msg: "unknown encoding: bogus"},
		{by: "errUnknownEncoding", c: errCall("includes", b4, []any{"a", 0, "bogus"},
			func(b *Buffer, _ []*Buffer) (any, error) { return b.Includes("a", 0, "bogus") }),
			differs: lower, code: "ERR_UNKNOWN_ENCODING", msg: "unknown encoding: bogus"},
		{by: "errBufferArg", c: errCall("equals", b4, []any{jsNull{}},
			func(b *Buffer, _ []*Buffer) (any, error) { return b.Equals(nil) }),
			differs: goType, code: "ERR_INVALID_ARG_TYPE", msg: bufArg("otherBuffer")},
		{by: "errBufferArg", c: errCall("compare", b4, []any{jsNull{}},
			func(b *Buffer, _ []*Buffer) (any, error) { return b.Compare(nil) }),
			differs: goType, code: "ERR_INVALID_ARG_TYPE", msg: bufArg("target")},
		{by: "errRange", c: errCall("compare", b8, []any{b8, -1, 8, 0, 8},
			func(b *Buffer, bufs []*Buffer) (any, error) { return b.CompareRange(bufs[0], -1, 8, 0, 8) })},
		{by: "errRange", c: errCall("compare", b8, []any{b8, big, 2, 0, 8},
			func(b *Buffer, bufs []*Buffer) (any, error) { return b.CompareRange(bufs[0], big, 2, 0, 8) })},
		{by: "errRange", c: errCall("compare", b8, []any{b8, 0, 9, 0, 8},
			func(b *Buffer, bufs []*Buffer) (any, error) { return b.CompareRange(bufs[0], 0, 9, 0, 8) })},
		{by: "errRange", c: errCall("compare", b8, []any{b8, 0, 8, big, 8},
			func(b *Buffer, bufs []*Buffer) (any, error) { return b.CompareRange(bufs[0], 0, 8, big, 8) })},
		{by: "errRange", c: errCall("compare", b8, []any{b8, 0, 8, 0, -big},
			func(b *Buffer, bufs []*Buffer) (any, error) { return b.CompareRange(bufs[0], 0, 8, 0, -big) })},
		{by: "errBufferArg", c: errCall("Buffer.compare", nil, []any{jsNull{}, b4},
			func(_ *Buffer, bufs []*Buffer) (any, error) { return Compare(nil, bufs[0]) }),
			differs: goType, code: "ERR_INVALID_ARG_TYPE", msg: bufArg("buf1")},
		{by: "errBufferArg", c: errCall("Buffer.compare", nil, []any{b4, jsNull{}},
			func(_ *Buffer, bufs []*Buffer) (any, error) { return Compare(bufs[0], nil) }),
			differs: goType, code: "ERR_INVALID_ARG_TYPE", msg: bufArg("buf2")},

		// Go's own: View and WriteAt.
		{by: "errViewBuffer", c: errCall("", nil, nil,
			func(_ *Buffer, _ []*Buffer) (any, error) { return View[uint16](nil) }),
			differs: noNode, code: "ERR_INVALID_ARG_TYPE", msg: "View needs a *Buffer from Alloc, Open or Slice. Received a nil *Buffer"},
		{by: "errViewSize", c: errCall("", make([]byte, 6), nil,
			func(b *Buffer, _ []*Buffer) (any, error) { return View[uint32](b) }),
			differs: noNode, code: "ERR_INVALID_BUFFER_SIZE",
			msg: "a 6-byte buffer cannot be viewed as []uint32: its length must be a multiple of 4 (take a Slice of 4 bytes)"},
		{by: "errWriteOutOfBounds", c: errCall("", b4, nil,
			func(b *Buffer, _ []*Buffer) (any, error) { return b.WriteAt(make([]byte, 3), 2) }),
			differs: noNode, code: "ERR_BUFFER_OUT_OF_BOUNDS", msg: "writing 3 bytes at offset 2 runs outside a 4-byte buffer"},
	}
}

// errorMessageCases returns the calls of errRows that Node can make.
func errorMessageCases() []nodeCase {
	var calls []nodeCase
	for _, row := range errRows() {
		if row.c.method != "" {
			calls = append(calls, row.c)
		}
	}
	return calls
}

func TestNodeErrorMessages(t *testing.T) {
	rows := errRows()
	replies := nodeReplies(t, "errors", errorMessageCases())
	arena, err := Alloc(4 << 20)
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		c := row.c
		var node *nodeReply
		if c.method != "" {
			node, replies = &replies[0], replies[1:]
		}
		name := c.String()
		if c.method == "" {
			name = row.by + " (Go only)"
		}
		b, bufs, _ := place(arena, c)
		_, gotErr := c.goCall(b, bufs)
		var got *Error
		if !errors.As(gotErr, &got) {
			t.Errorf("%s: Go returned %v, not an *Error", name, gotErr)
			continue
		}
		if row.differs == "" {
			switch {
			case !strings.HasPrefix(node.Err, "ERR_"):
				t.Errorf("%s: Node gives %q (%s), not a Node error code; Go %s: %s", name, node.Err, node.Msg, got.Code, got.Msg)
			case got.Code != node.Err || got.Msg != node.Msg:
				t.Errorf("%s:\n Go   %s: %s\n Node %s: %s", name, got.Code, got.Msg, node.Err, node.Msg)
			}
			continue
		}
		if got.Code != row.code || got.Msg != row.msg {
			t.Errorf("%s (Go's own wording: %s):\n got  %s: %s\n want %s: %s", name, row.differs, got.Code, got.Msg, row.code, row.msg)
		}
		if node != nil && node.Err == got.Code && node.Msg == got.Msg {
			t.Errorf("%s: the row says Go differs from Node (%s), but Node gives the same error: drop the exception", name, row.differs)
		}
	}
}

// TestNodeErrorRowsCover: every constructor of errors.go has a row in
// errRows, so a new Node error cannot go without its message test.
func TestNodeErrorRowsCover(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, row := range errRows() {
		used[row.by] = true
	}
	// errOutOfRange words every ERR_OUT_OF_RANGE; the rows of errRange,
	// errNotNegative and the numeric ones are its rows.
	used["errOutOfRange"] = true
	n := 0
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Recv != nil || !strings.HasPrefix(fn.Name.Name, "err") {
			continue
		}
		n++
		if !used[fn.Name.Name] {
			t.Errorf("errors.go's %s has no row in errRows", fn.Name.Name)
		}
		delete(used, fn.Name.Name)
	}
	for name := range used {
		t.Errorf("errRows names %s, which errors.go does not have", name)
	}
	if n < 10 {
		t.Fatalf("found only %d constructors in errors.go: has the file moved?", n)
	}
}

// TestNodeInt: the digit grouping of Node's addNumericalSeparator, at the
// edges where it starts.
func TestNodeInt(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0", -1: "-1", 1 << 32: "4294967296", -(1 << 32): "-4294967296",
		1<<32 + 1: "4_294_967_297", -(1 << 32) - 1: "-4_294_967_297",
		1 << 40: "1_099_511_627_776", 123456789012: "123_456_789_012",
		math.MaxInt64: "9_223_372_036_854_775_807", math.MinInt64: "-9_223_372_036_854_775_808",
	} {
		if got := nodeInt(n); got != want {
			t.Errorf("nodeInt(%d) = %q, want %q", n, got, want)
		}
	}
}
