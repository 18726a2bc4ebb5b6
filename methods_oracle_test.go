package ipcbuf

import (
	"math"
	"math/rand"
)

// Generators for the differential test of toString and write.

// encodingArgs are the encoding arguments the generators try: every
// canonical name, Node's other spellings in odd cases, and names Node
// refuses. "" is Go's stand-in for Node's undefined.
var encodingArgs = []string{
	"", "utf8", "utf16le", "latin1", "ascii", "base64", "base64url", "hex",
	"UTF-8", "Utf8", "ucs2", "UCS-2", "utf-16le", "binary", "BINARY", "Hex", "BASE64",
	"utf16", "latin-1", "bogus", "utf-16", " utf8",
}

func randEncodingArg(r *rand.Rand) string { return encodingArgs[r.Intn(len(encodingArgs))] }

// jsEncoding is how an encoding argument goes to Node.
func jsEncoding(enc string) any {
	if enc == "" {
		return jsUndefined{}
	}
	return enc
}

// randIndex returns an index near the interesting places of a buffer of n
// bytes: its ends, just outside them, and anywhere inside.
func randIndex(r *rand.Rand, n int) int {
	switch r.Intn(6) {
	case 0:
		return 0
	case 1:
		return n
	case 2:
		return -1 - r.Intn(3)
	case 3:
		return n + 1 + r.Intn(3)
	}
	return r.Intn(n + 1)
}

// randFloat returns a float64 argument: fractions, negatives, the edges of
// a byte, huge values, NaN and the infinities.
func randFloat(r *rand.Rand) float64 {
	switch r.Intn(8) {
	case 0:
		return math.NaN()
	case 1:
		return math.Inf(1 - 2*r.Intn(2))
	case 2:
		return math.Copysign(0, -1)
	case 3:
		return (r.Float64() - 0.5) * 1e20
	case 4:
		return float64(r.Intn(2000)-1000) + []float64{0.5, -0.5, 0.25, 0.999, 1e-9}[r.Intn(5)]
	case 5:
		return (r.Float64() - 0.5) * 1e300
	case 6:
		return float64(int64(r.Intn(1<<20)-(1<<19)) << r.Intn(40))
	}
	return (r.Float64() - 0.5) * 600
}

func init() {
	registerNodeGen("toString", func(r *rand.Rand) nodeCase {
		this := randBytes(r)
		enc := randEncodingArg(r)
		start, end := randIndex(r, len(this)), randIndex(r, len(this))
		return nodeCase{
			method: "toString", this: this,
			args: []any{jsEncoding(enc), start, end},
			goCall: func(b *Buffer, _ []*Buffer) (any, error) {
				return b.ToString(Encoding(enc), start, end)
			},
		}
	})
	registerNodeGen("write", func(r *rand.Rand) nodeCase {
		this := randBytes(r)
		s := randGoString(r)
		enc := randEncodingArg(r)
		offset := randIndex(r, len(this))
		if r.Intn(2) == 0 {
			return nodeCase{
				method: "write", this: this,
				args: []any{s, offset, jsUndefined{}, jsEncoding(enc)},
				goCall: func(b *Buffer, _ []*Buffer) (any, error) {
					return b.Write(s, offset, Encoding(enc))
				},
			}
		}
		length := randIndex(r, len(this))
		return nodeCase{
			method: "write", this: this,
			args: []any{s, offset, length, jsEncoding(enc)},
			goCall: func(b *Buffer, _ []*Buffer) (any, error) {
				return b.WriteLength(s, offset, length, Encoding(enc))
			},
		}
	})
}
