package ipcbuf

import (
	"math/rand"
)

// Generators for the differential test of copy, fill and the swaps.

// cfBigIndex returns an index for a buffer of n bytes: mostly randIndex's,
// sometimes one far outside, within ±2^53 so that JS holds it exactly.
func cfBigIndex(r *rand.Rand, n int) int {
	if r.Intn(12) != 0 {
		return randIndex(r, n)
	}
	big := []int{1 << 31, 1<<32 - 1, 1 << 32, 1<<32 + 1, 1 << 40, 1<<53 - 1}
	v := big[r.Intn(len(big))]
	if r.Intn(2) == 0 {
		v = -v
	}
	return v
}

// cfFillOffset returns a Fill offset for a buffer of n bytes: near its
// edges, and near Node's limit of 2^32.
func cfFillOffset(r *rand.Rand, n int) int {
	switch r.Intn(10) {
	case 0:
		return 1<<32 - 1 + r.Intn(3) // 2^32-1, 2^32, 2^32+1
	case 1:
		return -1 - r.Intn(2)
	case 2:
		return cfBigIndex(r, n)
	}
	return randIndex(r, n)
}

// cfInt returns an integer fill value that JS holds exactly (|v| < 2^53).
func cfInt(r *rand.Rand) int {
	switch r.Intn(4) {
	case 0:
		return r.Intn(256)
	case 1:
		return r.Intn(1<<20) - 1<<19
	case 2:
		return r.Intn(1<<53) - (1 << 52)
	}
	return []int{0, 255, 256, 257, -1, -255, -256, -257, 1<<53 - 1, -(1<<53 - 1), 1 << 32, -(1 << 31)}[r.Intn(12)]
}

// cfSwapBytes returns bytes whose length is often, not always, a multiple
// of size.
func cfSwapBytes(r *rand.Rand, size int) []byte {
	n := size * r.Intn(8)
	if r.Intn(10) == 0 {
		n = size * r.Intn(200)
	}
	if r.Intn(4) == 0 {
		n += 1 + r.Intn(size)
	}
	b := make([]byte, n)
	r.Read(b)
	return b
}

func init() {
	registerNodeGen("copy", func(r *rand.Rand) nodeCase {
		this := randBytes(r)
		sourceStart, sourceEnd := cfBigIndex(r, len(this)), cfBigIndex(r, len(this))
		if r.Intn(3) == 0 {
			// b.copy(b, ...): the same memory, overlapping.
			targetStart := cfBigIndex(r, len(this))
			return nodeCase{
				method: "copy", this: this,
				args: []any{jsSelf{}, targetStart, sourceStart, sourceEnd},
				goCall: func(b *Buffer, bufs []*Buffer) (any, error) {
					return b.Copy(bufs[0], targetStart, sourceStart, sourceEnd)
				},
			}
		}
		target := randBytes(r)
		targetStart := cfBigIndex(r, len(target))
		return nodeCase{
			method: "copy", this: this,
			args: []any{target, targetStart, sourceStart, sourceEnd},
			goCall: func(b *Buffer, bufs []*Buffer) (any, error) {
				return b.Copy(bufs[0], targetStart, sourceStart, sourceEnd)
			},
		}
	})

	registerNodeGen("fill", func(r *rand.Rand) nodeCase {
		this := randBytes(r)
		offset, end := cfFillOffset(r, len(this)), randIndex(r, len(this))
		if r.Intn(4) == 0 {
			offset = r.Intn(len(this) + 1) // more fills that do something
			end = len(this)
		}
		enc := randEncodingArg(r)
		c := nodeCase{method: "fill", this: this}
		args := func(value any) []any { return []any{value, offset, end, jsEncoding(enc)} }
		switch r.Intn(11) {
		case 0, 1, 2, 3: // a string in any encoding
			s := randGoString(r)
			if r.Intn(8) == 0 {
				s = ""
			}
			c.args = args(s)
			c.goCall = func(b *Buffer, _ []*Buffer) (any, error) {
				return nil, b.Fill(s, offset, end, Encoding(enc))
			}
		case 4, 5: // a Buffer: as *Buffer or as []byte
			p := randBytes(r)
			if r.Intn(6) == 0 {
				p = nil
			}
			asSlice := r.Intn(2) == 0
			c.args = args(p)
			c.goCall = func(b *Buffer, bufs []*Buffer) (any, error) {
				if asSlice {
					return nil, b.Fill(bufs[0].Bytes(), offset, end, Encoding(enc))
				}
				return nil, b.Fill(bufs[0], offset, end, Encoding(enc))
			}
		case 6: // b.fill(b, ...): the pattern is the memory being filled
			c.args = args(jsSelf{})
			c.goCall = func(b *Buffer, bufs []*Buffer) (any, error) {
				return nil, b.Fill(bufs[0], offset, end, Encoding(enc))
			}
		case 7, 8: // an integer
			v := cfInt(r)
			c.args = args(v)
			c.goCall = func(b *Buffer, _ []*Buffer) (any, error) {
				return nil, b.Fill(v, offset, end, Encoding(enc))
			}
		case 9: // a float64, or the float32 nearest it (exactly a JS number)
			f := randFloat(r)
			var v any = f
			if r.Intn(3) == 0 {
				v, f = float32(f), float64(float32(f))
			}
			c.args = args(f)
			c.goCall = func(b *Buffer, _ []*Buffer) (any, error) {
				return nil, b.Fill(v, offset, end, Encoding(enc))
			}
		default: // nil, Go's undefined
			c.args = args(jsUndefined{})
			c.goCall = func(b *Buffer, _ []*Buffer) (any, error) {
				return nil, b.Fill(nil, offset, end, Encoding(enc))
			}
		}
		return c
	})

	for _, s := range []struct {
		name string
		size int
		f    func(*Buffer) error
	}{{"swap16", 2, (*Buffer).Swap16}, {"swap32", 4, (*Buffer).Swap32}, {"swap64", 8, (*Buffer).Swap64}} {
		registerNodeGen(s.name, func(r *rand.Rand) nodeCase {
			return nodeCase{
				method: s.name, this: cfSwapBytes(r, s.size),
				goCall: func(b *Buffer, _ []*Buffer) (any, error) { return nil, s.f(b) },
			}
		})
	}
}
