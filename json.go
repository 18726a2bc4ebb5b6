package ipcbuf

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"unicode/utf8"
)

// This file holds the text forms of a Buffer: Node's toJSON (also as
// encoding/json's Marshaler and Unmarshaler) and util.inspect (as String).

var (
	_ json.Marshaler   = (*Buffer)(nil)
	_ json.Unmarshaler = (*Buffer)(nil)
	_ fmt.Stringer     = (*Buffer)(nil)
)

// jsonPrefix and jsonSuffix surround the bytes in Node's toJSON form.
const (
	jsonPrefix = `{"type":"Buffer","data":[`
	jsonSuffix = `]}`
)

// ToJSON returns JSON.stringify(buf) for b's bytes: exactly
// {"type":"Buffer","data":[104,105]}, with no spaces, and
// {"type":"Buffer","data":[]} for an empty buffer. A nil *Buffer gives
// null, as JSON.stringify(null) and encoding/json do; a zero Buffer is an
// error matching fs.ErrInvalid. A closed buffer is an
// error matching fs.ErrClosed. Unlike Node, whose strings stop at about
// 2^29 characters, ToJSON has no limit short of memory.
func (b *Buffer) ToJSON() (_ []byte, err error) {
	if b == nil {
		return []byte("null"), nil
	}
	mem, l, err := b.acquire("toJSON", false)
	if err != nil {
		return nil, err
	}
	defer l.release(&err)
	size := len(jsonPrefix) + len(jsonSuffix) + max(len(mem)-1, 0) // the commas
	for _, c := range mem {
		size += len(decimalByte[c])
	}
	out := make([]byte, 0, size)
	out = append(out, jsonPrefix...)
	for i, c := range mem {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, decimalByte[c]...)
	}
	return append(out, jsonSuffix...), nil
}

// decimalByte holds the decimal text of every byte value.
var decimalByte = func() (t [256]string) {
	for i := range t {
		t[i] = strconv.Itoa(i)
	}
	return t
}()

// MarshalJSON implements json.Marshaler with ToJSON, so a *Buffer (or a
// Buffer, when addressable) in a struct marshals as Node's
// JSON.stringify would write it. A closed buffer fails the marshalling.
func (b *Buffer) MarshalJSON() ([]byte, error) { return b.ToJSON() }

// UnmarshalJSON implements json.Unmarshaler for Node's toJSON form: it
// accepts an object whose "type" is the string "Buffer" and whose "data" is
// an array, and replaces *b with a new memory buffer holding one byte per
// element; b's old memory is left alone, not closed. JSON null leaves *b
// unchanged, the convention for Unmarshalers. Like every Unmarshaler,
// UnmarshalJSON must not run while b is in use by another goroutine.
//
// Each element becomes a byte as Node's Buffer.from({type, data}) makes it,
// by ToUint8: a number is truncated toward zero and taken modulo 256 (300
// is 44, -1 is 255, 1.7 is 1; NaN and infinities are 0); true is 1, false
// and null are 0; a string is first converted to a number as JS's Number()
// does (surrounding white space trimmed, "" is 0, "0x1F", "0o17" and "0b11"
// in those bases, "1e3", "Infinity"; anything else is NaN, so 0).
//
// Node converts an element that is an array or an object through its text
// form (and [7] is 7); UnmarshalJSON refuses those with an error instead, as
// it does an object with a "length" member, which Node would read as an
// array-like object instead of the data. Other members are ignored.
func (b *Buffer) UnmarshalJSON(data []byte) error {
	if b == nil {
		return b.unusableError("UnmarshalJSON")
	}
	if string(bytes.TrimSpace(data)) == "null" {
		return nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return fmt.Errorf(`ipcbuf: a Buffer in JSON must be {"type":"Buffer","data":[…]}: %w`, err)
	}
	var typ string
	if raw, ok := obj["type"]; !ok || json.Unmarshal(raw, &typ) != nil || typ != "Buffer" {
		return fmt.Errorf(`ipcbuf: a Buffer in JSON must be {"type":"Buffer","data":[…]}; "type" is %s`, rawOrMissing(raw, ok))
	}
	raw, ok := obj["data"]
	if !ok || !bytes.HasPrefix(raw, []byte("[")) {
		return fmt.Errorf(`ipcbuf: a Buffer in JSON must be {"type":"Buffer","data":[…]}; "data" is %s, not an array`, rawOrMissing(raw, ok))
	}
	if _, ok := obj["length"]; ok {
		return errors.New(`ipcbuf: a Buffer in JSON with a "length" member is an array-like object to Node, not {"type":"Buffer","data":[…]}; UnmarshalJSON does not read those`)
	}
	p, err := parseJSONData(raw)
	if err != nil {
		return err
	}
	*b = *newMemory(p)
	return nil
}

// rawOrMissing shows a JSON member's value in an error.
func rawOrMissing(raw json.RawMessage, ok bool) string {
	if !ok {
		return "missing"
	}
	if len(raw) > 40 {
		return string(raw[:40]) + "…"
	}
	return string(raw)
}

// parseJSONData converts the elements of raw, a JSON array that
// json.Unmarshal has already checked, to bytes by ToUint8.
func parseJSONData(raw []byte) ([]byte, error) {
	out := make([]byte, 0, len(raw)/4)
	i := skipJSONSpace(raw, 1)
	if i < len(raw) && raw[i] == ']' {
		return out, nil
	}
	for k := 0; i < len(raw); k++ {
		var v byte
		switch c := raw[i]; c {
		case '"':
			j := endOfJSONString(raw, i)
			if j < 0 {
				return nil, fmt.Errorf("ipcbuf: a Buffer in JSON: data[%d] is an unterminated string", k)
			}
			s := string(raw[i+1 : j-1])
			if bytes.IndexByte(raw[i:j], '\\') >= 0 {
				if err := json.Unmarshal(raw[i:j], &s); err != nil {
					return nil, fmt.Errorf("ipcbuf: a Buffer in JSON: data[%d]: %w", k, err)
				}
			}
			v = toUint8(jsStringToNumber(s))
			i = j
		case 't':
			v, i = 1, i+len("true")
		case 'f':
			v, i = 0, i+len("false")
		case 'n':
			v, i = 0, i+len("null")
		case '[', '{':
			kind := "an array"
			if c == '{' {
				kind = "an object"
			}
			return nil, fmt.Errorf("ipcbuf: a Buffer in JSON: data[%d] is %s; UnmarshalJSON takes only numbers, strings, booleans and null", k, kind)
		default:
			j := i
			for j < len(raw) && isJSONNumberByte(raw[j]) {
				j++
			}
			if j == i {
				return nil, fmt.Errorf("ipcbuf: a Buffer in JSON: data[%d] is not a JSON value", k)
			}
			v, i = jsonNumberToUint8(raw[i:j]), j
		}
		out = append(out, v)
		i = skipJSONSpace(raw, i)
		if i >= len(raw) || raw[i] == ']' {
			break
		}
		i = skipJSONSpace(raw, i+1) // past the comma
	}
	return out, nil
}

func skipJSONSpace(raw []byte, i int) int {
	for i < len(raw) && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\n' || raw[i] == '\r') {
		i++
	}
	return i
}

// endOfJSONString returns the index just past the string literal that
// starts at raw[i], or -1 if it does not end.
func endOfJSONString(raw []byte, i int) int {
	for j := i + 1; j < len(raw); j++ {
		switch raw[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

func isJSONNumberByte(c byte) bool {
	return '0' <= c && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// jsonNumberToUint8 is ToUint8 of a JSON number literal.
func jsonNumberToUint8(lit []byte) byte {
	// An integer of up to 15 digits is below 2^53, so it is its own
	// float64 and needs no float parsing.
	digits := bytes.TrimPrefix(lit, []byte("-"))
	if len(digits) <= 15 && bytes.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' }) < 0 {
		var n uint64
		for _, c := range digits {
			n = n*10 + uint64(c-'0')
		}
		if len(digits) < len(lit) {
			n = -n
		}
		return byte(n)
	}
	f, _ := strconv.ParseFloat(string(lit), 64) // out of range gives ±Inf or ±0, as in JS
	return toUint8(f)
}

// jsStringToNumber is JS's Number(s) (StringToNumber) for the JS string a
// Go string stands for.
func jsStringToNumber(s string) float64 {
	s = trimJSSpace(s)
	if s == "" {
		return 0
	}
	if len(s) > 2 && s[0] == '0' {
		base := 0
		switch s[1] | 0x20 {
		case 'x':
			base = 16
		case 'o':
			base = 8
		case 'b':
			base = 2
		}
		if base != 0 {
			return radixToNumber(s[2:], base)
		}
	}
	body := s
	if body[0] == '+' || body[0] == '-' {
		body = body[1:]
	}
	if body == "Infinity" {
		if s[0] == '-' {
			return math.Inf(-1)
		}
		return math.Inf(1)
	}
	if !isJSDecimal(body) {
		return math.NaN()
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return math.NaN() // cannot happen after isJSDecimal
	}
	return f
}

// isJSDecimal reports whether s is an unsigned StrUnsignedDecimalLiteral
// other than Infinity: digits with an optional fraction, or a fraction
// alone, then an optional exponent. strconv.ParseFloat alone would also
// take "inf", "nan", "1_0" and hex floats.
func isJSDecimal(s string) bool {
	i, digits := 0, 0
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i, digits = i+1, digits+1
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i, digits = i+1, digits+1
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i, exp = i+1, exp+1
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

// radixToNumber is the value of the digits in base (after JS's 0x, 0o or
// 0b prefix), rounded to the nearest float64 as JS does, or NaN if they are
// not all digits of that base.
func radixToNumber(digits string, base int) float64 {
	var n uint64
	exact := true
	for i := 0; i < len(digits); i++ {
		d, ok := unhex(digits[i])
		if !ok || int(d) >= base {
			return math.NaN()
		}
		if n > (1<<53)/uint64(base) {
			exact = false
		}
		n = n*uint64(base) + uint64(d)
	}
	if exact {
		return float64(n)
	}
	x, _ := new(big.Int).SetString(digits, base) // digits checked above
	f, _ := x.Float64()                          // nearest, ties to even
	return f
}

// trimJSSpace removes JS white space and line terminators (what
// String.prototype.trim removes) from both ends of s.
func trimJSSpace(s string) string {
	for s != "" {
		r, size := utf8.DecodeRuneInString(s)
		if !isJSSpace(r) {
			break
		}
		s = s[size:]
	}
	for s != "" {
		r, size := utf8.DecodeLastRuneInString(s)
		if !isJSSpace(r) {
			break
		}
		s = s[:len(s)-size]
	}
	return s
}

// isJSSpace reports whether r is JS WhiteSpace (tab, vertical tab, form
// feed, BOM and the Unicode Zs category) or a LineTerminator.
func isJSSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF:
		return true
	}
	return 0x2000 <= r && r <= 0x200A
}

// inspectMaxBytes is Node's buffer.INSPECT_MAX_BYTES, its default: the
// number of bytes util.inspect shows.
const inspectMaxBytes = 50

// String returns what Node's util.inspect(buf) prints for b's bytes: "<Buffer
// 68 65 6c 6c 6f>", "<Buffer >" when empty, and after the first 50 bytes
// (buffer.INSPECT_MAX_BYTES, which cannot be changed here) " ... 1 more
// byte" or " ... N more bytes" before the '>'. Whatever b's kind it says
// "Buffer", as Node prints the constructor's name. It never fails: a closed
// buffer prints "<Buffer closed>", a zero Buffer "<Buffer zero value>" and a
// nil *Buffer "<nil>", as fmt prints nil pointers; a buffer whose memory
// another process truncated away prints "<Buffer fault>".
func (b *Buffer) String() string {
	if b == nil {
		return "<nil>"
	}
	if b.m == nil {
		return "<Buffer zero value>"
	}
	s, err := b.inspect()
	switch {
	case errors.Is(err, ErrFault):
		return "<Buffer fault>"
	case err != nil:
		return "<Buffer closed>"
	}
	return s
}

// inspect is String for a usable buffer.
func (b *Buffer) inspect() (_ string, err error) {
	mem, l, err := b.acquire("inspect", false)
	if err != nil {
		return "", err
	}
	defer l.release(&err)
	const digits = "0123456789abcdef"
	shown := min(len(mem), inspectMaxBytes)
	out := make([]byte, 0, len("<Buffer >")+3*shown+len(" ... 4294967296 more bytes"))
	out = append(out, "<Buffer "...)
	for i, c := range mem[:shown] {
		if i > 0 {
			out = append(out, ' ')
		}
		out = append(out, digits[c>>4], digits[c&0xF])
	}
	if rest := len(mem) - shown; rest > 0 {
		out = fmt.Appendf(out, " ... %d more byte", rest)
		if rest > 1 {
			out = append(out, 's')
		}
	}
	return string(append(out, '>')), nil
}
