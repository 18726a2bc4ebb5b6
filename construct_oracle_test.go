package ipcbuf

import (
	"encoding/json"
	"math"
	"math/rand"
	"strconv"
	"strings"
)

// Generators for the differential test of the static functions
// (Buffer.alloc, Buffer.from, Buffer.concat, Buffer.byteLength) and of
// toJSON, inspect and UnmarshalJSON. A static call's goCall ignores its
// receiver and returns the new *Buffer, whose bytes the harness compares
// with Node's result.

// ctorSize returns a size for Buffer.alloc: mostly small, sometimes a few
// hundred, sometimes out of range.
func ctorSize(r *rand.Rand) int {
	switch r.Intn(20) {
	case 0:
		return 0
	case 1:
		return -1 - r.Intn(3)
	case 2:
		return []int{1<<32 + 1, 1 << 40, -(1 << 32) - 1}[r.Intn(3)]
	case 3:
		return r.Intn(600)
	}
	return r.Intn(24)
}

// ctorInt returns an integer, in one Go integer type or another, and the
// same value for Node (within ±2^53, which JS holds exactly).
func ctorInt(r *rand.Rand) (goValue any, jsValue int) {
	var v int
	switch r.Intn(4) {
	case 0:
		v = r.Intn(256)
	case 1:
		v = r.Intn(1<<20) - 1<<19
	case 2:
		v = r.Intn(1<<53) - 1<<52
	default:
		v = []int{0, 255, 256, 257, -1, -255, -256, -257, 1<<53 - 1, -(1<<53 - 1), 1 << 32, -(1 << 31)}[r.Intn(12)]
	}
	// The same value in another integer type, where it fits.
	switch r.Intn(12) {
	case 0:
		return int8(v), int(int8(v))
	case 1:
		return uint8(v), int(uint8(v))
	case 2:
		return int16(v), int(int16(v))
	case 3:
		return uint16(v), int(uint16(v))
	case 4:
		return int32(v), int(int32(v))
	case 5:
		return uint32(v), int(uint32(v))
	case 6:
		return int64(v), v
	case 7:
		if v >= 0 {
			return uint64(v), v
		}
	case 8:
		if v >= 0 {
			return uint(v), v
		}
	}
	return v, v
}

// ctorList returns up to six byte strings for concat, short ones mostly.
func ctorList(r *rand.Rand) [][]byte {
	list := make([][]byte, r.Intn(7))
	for i := range list {
		p := make([]byte, r.Intn(6))
		if r.Intn(8) == 0 {
			p = randBytes(r)
		}
		r.Read(p)
		list[i] = p
	}
	return list
}

// ctorNumberText returns the text of a JSON number.
func ctorNumberText(r *rand.Rand) string {
	switch r.Intn(8) {
	case 0:
		return strconv.Itoa(r.Intn(600) - 300)
	case 1:
		return strconv.FormatInt(r.Int63()>>r.Intn(63)*int64(1-2*r.Intn(2)), 10)
	case 2:
		// Past 2^53, and past 2^64: rounded as a float64 before ToUint8.
		return strconv.FormatUint(r.Uint64(), 10) + strings.Repeat("0", r.Intn(3)*r.Intn(12))
	case 3:
		if f := randFloat(r); !math.IsNaN(f) && !math.IsInf(f, 0) {
			return strconv.FormatFloat(f, 'g', -1, 64)
		}
		return "-0"
	case 4:
		if f := randFloat(r); !math.IsNaN(f) && !math.IsInf(f, 0) {
			return strconv.FormatFloat(f, 'e', r.Intn(20), 64)
		}
		return "1e999"
	case 5:
		return []string{"1e400", "-1e400", "1e-400", "255.99999999999999", "256.00000000000001", "1E2", "0.5e1", "-0.0", "9007199254740993", "-9007199254740993", "1e21", "123456789012345678901234567890"}[r.Intn(12)]
	}
	return strconv.Itoa(r.Intn(256))
}

// ctorNumericString returns a string that JS's Number() may or may not
// read as a number: signs, digits, radix prefixes, exponents, white space
// of every kind and near misses.
func ctorNumericString(r *rand.Rand) string {
	spaces := []string{" ", "\t", "\n", "\v", "\f", "\r", "\u00a0", "\ufeff", "\u2028", "\u2029", "\u1680", "\u2000", "\u200a", "\u202f", "\u205f", "\u3000", "\u180e", "\u200b", "\u0085"}
	var sb strings.Builder
	pad := func() {
		for range r.Intn(3) {
			if r.Intn(3) == 0 {
				sb.WriteString(spaces[r.Intn(len(spaces))])
			}
		}
	}
	digits := func(alpha string, n int) {
		for range n {
			sb.WriteByte(alpha[r.Intn(len(alpha))])
		}
	}
	pad()
	switch r.Intn(8) {
	case 0:
		sb.WriteString([]string{"0x", "0X", "0o", "0O", "0b", "0B", "-0x", "+0x", "00x"}[r.Intn(9)])
		digits("0123456789abcdefABCDEFgz_", r.Intn(4)+r.Intn(2)*r.Intn(25))
	case 1:
		sb.WriteString([]string{"Infinity", "-Infinity", "+Infinity", "infinity", "NaN", "Inf", "Infinityx", "", ".", "-", "e5", "1_0", "1,0", "1 2", "١"}[r.Intn(15)])
	case 2:
		digits("0123456789", 15+r.Intn(10))
	default:
		if r.Intn(3) == 0 {
			sb.WriteByte("+-"[r.Intn(2)])
		}
		digits("0123456789", r.Intn(5))
		if r.Intn(2) == 0 {
			sb.WriteByte('.')
			digits("0123456789", r.Intn(4))
		}
		if r.Intn(3) == 0 {
			sb.WriteByte("eE"[r.Intn(2)])
			if r.Intn(2) == 0 {
				sb.WriteByte("+-"[r.Intn(2)])
			}
			digits("0123456789", r.Intn(4))
		}
		if r.Intn(10) == 0 {
			digits("xob_eE.+-abcdef ", 1)
		}
	}
	pad()
	return sb.String()
}

func init() {
	registerNodeGen("Buffer.alloc", func(r *rand.Rand) nodeCase {
		size := ctorSize(r)
		enc := randEncodingArg(r)
		c := nodeCase{method: "Buffer.alloc"}
		args := func(fill any) []any { return []any{size, fill, jsEncoding(enc)} }
		var fill any
		switch r.Intn(12) {
		case 0: // Node's undefined
			c.args = args(jsUndefined{})
		case 1, 2, 3, 4: // a string in any encoding
			s := randGoString(r)
			if r.Intn(10) == 0 {
				s = ""
			}
			fill, c.args = s, args(s)
		case 5, 6: // a Buffer: as a *Buffer view of the arena, or as []byte
			p := randBytes(r)
			if r.Intn(6) == 0 {
				p = nil
			}
			asSlice := r.Intn(2) == 0
			c.args = args(p)
			c.goCall = func(_ *Buffer, bufs []*Buffer) (any, error) {
				if asSlice {
					return AllocFill(size, bufs[0].Bytes(), Encoding(enc))
				}
				return AllocFill(size, bufs[0], Encoding(enc))
			}
			return c
		case 7, 8, 9: // an integer of any Go type
			v, jsV := ctorInt(r)
			fill, c.args = v, args(jsV)
		default: // a float64, or the float32 nearest it (exactly a JS number)
			f := randFloat(r)
			fill = f
			if r.Intn(3) == 0 {
				fill, f = float32(f), float64(float32(f))
			}
			c.args = args(f)
		}
		c.goCall = func(_ *Buffer, _ []*Buffer) (any, error) {
			return AllocFill(size, fill, Encoding(enc))
		}
		return c
	})

	registerNodeGen("Buffer.from", func(r *rand.Rand) nodeCase {
		s := randGoString(r)
		enc := randEncodingArg(r)
		return nodeCase{
			method: "Buffer.from",
			args:   []any{s, jsEncoding(enc)},
			goCall: func(_ *Buffer, _ []*Buffer) (any, error) { return From(s, Encoding(enc)) },
		}
	})

	registerNodeGen("Buffer.concat", func(r *rand.Rand) nodeCase {
		list := ctorList(r)
		jl := make(jsList, len(list))
		sum := 0
		for i, p := range list {
			jl[i] = p
			sum += len(p)
		}
		if r.Intn(3) == 0 {
			return nodeCase{
				method: "Buffer.concat",
				args:   []any{jl},
				goCall: func(_ *Buffer, bufs []*Buffer) (any, error) { return Concat(bufs) },
			}
		}
		var total int
		switch r.Intn(8) {
		case 0:
			total = 0
		case 1:
			total = -1 - r.Intn(3)
		case 2:
			total = []int{1<<32 + 1, 1 << 40, -(1 << 32) - 1, math.MinInt32}[r.Intn(4)]
		case 3:
			total = sum + 1 + r.Intn(20)
		case 4:
			total = r.Intn(sum + 1)
		default:
			total = max(sum+r.Intn(5)-2, 0)
		}
		return nodeCase{
			method: "Buffer.concat",
			args:   []any{jl, total},
			goCall: func(_ *Buffer, bufs []*Buffer) (any, error) { return ConcatLength(bufs, total) },
		}
	})

	registerNodeGen("Buffer.byteLength", func(r *rand.Rand) nodeCase {
		s := randGoString(r)
		enc := randEncodingArg(r)
		return nodeCase{
			method: "Buffer.byteLength",
			args:   []any{s, jsEncoding(enc)},
			goCall: func(_ *Buffer, _ []*Buffer) (any, error) { return ByteLength(s, Encoding(enc)), nil },
		}
	})

	// The oracle answers "JSON.stringify" with JSON.stringify(this), a
	// string.
	registerNodeGen("toJSON", func(r *rand.Rand) nodeCase {
		return nodeCase{
			method: "JSON.stringify", this: randBytes(r),
			goCall: func(b *Buffer, _ []*Buffer) (any, error) {
				j, err := b.ToJSON()
				return string(j), err
			},
		}
	})

	// buf.inspect() is util.inspect's custom inspector for Buffers.
	registerNodeGen("inspect", func(r *rand.Rand) nodeCase {
		this := randBytes(r)
		if r.Intn(4) == 0 {
			this = make([]byte, 45+r.Intn(10))
			r.Read(this)
		}
		return nodeCase{
			method: "inspect", this: this,
			goCall: func(b *Buffer, _ []*Buffer) (any, error) { return b.String(), nil },
		}
	})

	// Buffer.from(array) converts each element with ToUint8 exactly as
	// Buffer.from({type: 'Buffer', data: array}) does, which is what
	// UnmarshalJSON implements; the harness can send an array, not an
	// object.
	registerNodeGen("UnmarshalJSON", func(r *rand.Rand) nodeCase {
		n := r.Intn(8)
		if r.Intn(10) == 0 {
			n = r.Intn(100)
		}
		jl := make(jsList, n)
		texts := make([]string, n)
		for i := range jl {
			switch r.Intn(10) {
			case 0, 1, 2, 3:
				t := ctorNumberText(r)
				jl[i], texts[i] = jsNumber(t), t
			case 4, 5, 6, 7:
				s := ctorNumericString(r)
				q, _ := json.Marshal(s)
				jl[i], texts[i] = s, string(q)
			case 8:
				v := r.Intn(2) == 0
				jl[i], texts[i] = v, strconv.FormatBool(v)
			default:
				jl[i], texts[i] = jsNull{}, "null"
			}
		}
		data := `{"type":"Buffer","data":[` + strings.Join(texts, ",") + `]}`
		return nodeCase{
			method: "Buffer.from",
			args:   []any{jl},
			goCall: func(_ *Buffer, _ []*Buffer) (any, error) {
				var b Buffer
				if err := b.UnmarshalJSON([]byte(data)); err != nil {
					return nil, err
				}
				return &b, nil
			},
		}
	})
}
