package ipcbuf

import "math/rand"

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
