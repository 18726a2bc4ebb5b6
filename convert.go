package ipcbuf

// This file converts the Go values that stand for Node's loosely typed
// arguments: a number's byte (Fill, AllocFill and the searches), Fill's
// value sorted by kind, and the words that describe an argument in an
// error message.

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
)

// The kinds of Fill value.
const (
	fillInvalid = iota
	fillString
	fillSlice
	fillBuffer
	fillByte
)

// fillValue is a Fill value sorted by kind.
type fillValue struct {
	kind  int
	str   string
	bytes []byte
	buf   *Buffer
	num   byte
}

// classifyFill sorts a Fill value by kind, with an error for the types Fill
// does not take. It touches no buffer's memory. nil is Node's undefined,
// which fill converts to the number 0 (ToUint32(undefined) is 0): it fills
// with zeros, as buf.fill(undefined) does.
func classifyFill(value any) (fillValue, error) {
	switch v := value.(type) {
	case nil:
		return fillValue{kind: fillByte}, nil
	case string:
		return fillValue{kind: fillString, str: v}, nil
	case []byte:
		return fillValue{kind: fillSlice, bytes: v}, nil
	case *Buffer:
		// Even nil or zero: acquirePair checks it, after the receiver.
		return fillValue{kind: fillBuffer, buf: v}, nil
	default:
		if n, ok := numberByte(value); ok {
			return fillValue{kind: fillByte, num: n}, nil
		}
		// Named types over the same underlying types.
		rv := reflect.ValueOf(value)
		switch rv.Kind() {
		case reflect.String:
			return fillValue{kind: fillString, str: rv.String()}, nil
		case reflect.Slice:
			if rv.Type().Elem().Kind() == reflect.Uint8 {
				return fillValue{kind: fillSlice, bytes: rv.Bytes()}, nil
			}
		}
	}
	return fillValue{}, errValueType(value)
}

// fillsZero reports whether Fill with value writes only zero bytes, whatever
// the encoding: nil (Node's undefined) or a number whose byte is 0. On new
// memory such a fill changes nothing and cannot fail, so AllocFill skips
// it, as Node's Buffer.alloc skips undefined and 0.
func fillsZero(value any) bool {
	v, err := classifyFill(value)
	return err == nil && v.kind == fillByte && v.num == 0
}

// numberByte is the byte Node makes of a number argument, for Fill and the
// searches: an integer of any Go integer type (named ones too) modulo 256,
// taken exactly even beyond 2^53 where a JS Number would first round it; a
// float32 or float64 through ToUint8 (every float32 is exactly a JS
// Number). ok is false for any other type.
func numberByte(value any) (b byte, ok bool) {
	switch v := value.(type) {
	case int:
		return byte(v), true
	case int64:
		return byte(v), true
	case uint8:
		return v, true
	case float64:
		return toUint8(v), true
	case float32:
		return toUint8(float64(v)), true
	}
	rv := reflect.ValueOf(value)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return byte(rv.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return byte(rv.Uint()), true
	case reflect.Float32, reflect.Float64:
		return toUint8(rv.Float()), true
	}
	return 0, false
}

// toUint8 is JavaScript's ToUint8: truncate toward zero, modulo 256, with
// NaN and the infinities giving 0.
func toUint8(f float64) byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	m := math.Mod(math.Trunc(f), 256) // exact, in (-256, 256)
	if m < 0 {
		m += 256
	}
	return byte(m)
}

// describeArg says what an argument was, for ERR_INVALID_ARG_TYPE messages.
func describeArg(v any) string {
	switch x := v.(type) {
	case nil:
		return "nil"
	case *Buffer:
		if x == nil {
			return "a nil *Buffer"
		}
		return "a zero Buffer (make Buffers with Alloc, Open or Slice)"
	case string:
		if len(x) > 40 {
			x = x[:40] + "…"
		}
		return "string " + strconv.Quote(x)
	}
	s := fmt.Sprintf("%v", v)
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return fmt.Sprintf("type %T (%s)", v, s)
}
