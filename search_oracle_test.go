package ipcbuf

import (
	"bytes"
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

// Generators for the differential test of indexOf, lastIndexOf, includes,
// equals, compare and Buffer.compare, and a replay of search_test.go's
// tables through Node.

// searchAlphabets make haystacks where needles match often, at odd and
// even offsets alike (for utf16le).
var searchAlphabets = []string{"ab", "a", "abc", "a\x00", "\x00a", "a\x00b\x00", "\x00\x01", "ab\x00", "€", "aé"}

// searchTokens make haystacks of whole characters, where the ways a Go
// string can spell a JS string matter: a supplementary character as UTF-8
// or as a WTF-8 surrogate pair, lone surrogates, U+FFFD.
var searchTokens = []string{
	"a", "b", "\x00", "€", "😀", "\xed\xa0\xbd", "\xed\xb8\x80", "\xed\xa0\xbd\xed\xb8\x80", "\xef\xbf\xbd", "\xff", "=",
}

// randTokenSearch returns a haystack of searchTokens and a string needle
// of tokens, often a run of the haystack's own.
func randTokenSearch(r *rand.Rand) ([]byte, searchArg) {
	toks := make([]string, r.Intn(12))
	for i := range toks {
		toks[i] = searchTokens[r.Intn(len(searchTokens))]
	}
	var needle string
	if len(toks) > 0 && r.Intn(4) != 0 {
		i := r.Intn(len(toks))
		needle = strings.Join(toks[i:min(i+1+r.Intn(3), len(toks))], "")
	} else {
		needle = searchTokens[r.Intn(len(searchTokens))]
	}
	if r.Intn(2) == 0 {
		needle = searchWTF8Pairs(needle)
	}
	return []byte(strings.Join(toks, "")), searchPlainArg(needle)
}

// randSearchHay returns a haystack: random bytes, a short alphabet
// repeated, or characters from searchTokens.
func randSearchHay(r *rand.Rand) []byte {
	switch r.Intn(5) {
	case 0, 1:
		return randBytes(r)
	case 2:
		var b []byte
		for range r.Intn(12) {
			b = append(b, searchTokens[r.Intn(len(searchTokens))]...)
		}
		return b
	}
	n := r.Intn(24)
	if r.Intn(8) == 0 {
		n = r.Intn(400)
	}
	alpha := searchAlphabets[r.Intn(len(searchAlphabets))]
	b := make([]byte, n)
	for i := range b {
		if r.Intn(12) == 0 {
			b[i] = byte(r.Intn(256))
		} else {
			b[i] = alpha[r.Intn(len(alpha))]
		}
	}
	return b
}

// randSearchPart returns a piece of hay, often a short one, sometimes running
// past its end or empty.
func randSearchPart(r *rand.Rand, hay []byte) []byte {
	if len(hay) == 0 || r.Intn(10) == 0 {
		return []byte{}
	}
	i := r.Intn(len(hay))
	n := 1 + r.Intn(4)
	if r.Intn(5) == 0 {
		n = r.Intn(len(hay) + 2)
	}
	return bytes.Clone(hay[i:min(i+n, len(hay))])
}

// randSearchOffset returns a byteOffset for a haystack of n bytes: near the
// ends, inside, far out and at Node's int32 clamp.
func randSearchOffset(r *rand.Rand, n int) int {
	switch r.Intn(10) {
	case 0:
		far := []int{
			-1 << 31, -1<<31 - 1, 1<<31 - 1, 1 << 31, -1<<31 + n, -1<<31 + n - 1,
			math.MinInt, math.MaxInt, 1 << 40, -1 << 40,
		}
		return far[r.Intn(len(far))]
	case 1:
		return -n - 1 - r.Intn(3)
	case 2:
		return -1 - r.Intn(n+1)
	case 3:
		return n - 2 + r.Intn(5)
	}
	return randIndex(r, n)
}

// A searchArg is a value for indexOf and friends, as Node and Go see it.
type searchArg struct {
	js any // the argument for Node
	// goValue returns the Go argument; bufs are the Buffers place made for
	// the []byte and jsSelf arguments.
	goValue func(bufs []*Buffer) any
	// bufLen is the needle's length in bytes when it is a Buffer or a
	// []byte, or -1.
	bufLen int
}

func searchPlainArg(v any) searchArg {
	return searchArg{js: v, goValue: func([]*Buffer) any { return v }, bufLen: -1}
}

// randSearchValue returns a needle for hay searched with the encoding
// argument enc.
func randSearchValue(r *rand.Rand, hay []byte, enc string) searchArg {
	switch k := r.Intn(40); {
	case k < 13: // a string, often from inside hay in enc
		if e, err := encodingOrUTF8(enc); err == nil && r.Intn(3) != 0 {
			return searchPlainArg(decodeBytes(e, randSearchPart(r, hay)))
		}
		switch r.Intn(5) {
		case 0:
			return searchPlainArg(string(randSearchPart(r, hay)))
		case 1:
			return searchPlainArg(searchWTF8Pairs(string(randSearchPart(r, hay))))
		case 2:
			var s string
			for range 1 + r.Intn(2) {
				s += searchTokens[r.Intn(len(searchTokens))]
			}
			return searchPlainArg(s)
		}
		return searchPlainArg(randGoString(r))
	case k < 19: // a Buffer argument, made by place
		part := randSearchPart(r, hay)
		if r.Intn(4) == 0 {
			part = randBytes(r)
		}
		return searchArg{js: part, goValue: func(bufs []*Buffer) any { return bufs[0] }, bufLen: len(part)}
	case k < 23: // a []byte in Go, a new Buffer in Node
		part := randSearchPart(r, hay)
		// place also makes a Buffer of it, which Go does not use.
		return searchArg{js: part, goValue: func([]*Buffer) any { return bytes.Clone(part) }, bufLen: len(part)}
	case k < 25: // the haystack itself
		return searchArg{js: jsSelf{}, goValue: func(bufs []*Buffer) any { return bufs[0] }, bufLen: len(hay)}
	case k < 38: // a number
		return randSearchNumber(r, hay)
	}
	// Not a needle at all.
	bad := []struct{ js, goValue any }{
		{jsUndefined{}, nil},
		{jsNull{}, nil},
		{true, true},
		{false, false},
		{jsList{1, 2}, []int{1, 2}},
	}
	v := bad[r.Intn(len(bad))]
	return searchArg{js: v.js, goValue: func([]*Buffer) any { return v.goValue }, bufLen: -1}
}

// randSearchNumber returns a number needle: sent to Node as a float64, and
// to Go as one of its integer types, a float32 or a float64.
func randSearchNumber(r *rand.Rand, hay []byte) searchArg {
	var f float64
	switch r.Intn(10) {
	case 0, 1, 2, 3, 4: // a byte of hay, give or take multiples of 256 and a fraction
		if len(hay) > 0 {
			f = float64(hay[r.Intn(len(hay))])
		}
		f += float64(256 * (r.Intn(9) - 4))
		if r.Intn(3) == 0 {
			f += float64(r.Intn(4)) / 4
		}
	case 5:
		f = float64(r.Intn(600) - 300)
	case 6:
		specials := []float64{
			math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1), 1e300, -1e300,
			1 << 32, 1<<32 + 98, -1<<32 - 98, 1<<53 - 1, -1<<53 + 1, 1 << 63, 4294967295.5,
		}
		f = specials[r.Intn(len(specials))]
	case 7:
		f = float64(r.Int63n(1<<54) - 1<<53)
	default:
		f = r.NormFloat64() * math.Pow(10, float64(r.Intn(12)))
		if r.Intn(2) == 0 {
			f = math.Trunc(f) + float64(r.Intn(4))/4
		}
	}
	arg := searchArg{js: f, bufLen: -1}
	arg.goValue = func([]*Buffer) any { return f }
	if f32 := float32(f); (float64(f32) == f || math.IsNaN(f)) && r.Intn(3) == 0 {
		// A float32 is exactly the JS number it widens to.
		arg.goValue = func([]*Buffer) any { return f32 }
		return arg
	}
	if f != math.Trunc(f) || math.Abs(f) > 1<<53 || r.Intn(3) == 0 {
		return arg
	}
	// An integer JS can hold exactly: pass it as a Go integer type.
	i := int64(f)
	var v any
	switch r.Intn(11) {
	case 0:
		v = int(i)
	case 1:
		v = int8(i)
	case 2:
		v = int16(i)
	case 3:
		v = int32(i)
	case 4:
		v = uint(i)
	case 5:
		v = uint8(i)
	case 6:
		v = uint16(i)
	case 7:
		v = uint32(i)
	case 8:
		v = uint64(i)
	case 9:
		v = uintptr(i)
	default:
		v = i
	}
	// A negative integer in an unsigned type, or one cut short by a narrow
	// type, has the same low byte, which is all the search looks at.
	arg.goValue = func([]*Buffer) any { return v }
	return arg
}

// nodeUCS2Bug reports whether Node's indexOf or lastIndexOf, given a Buffer
// needle of n bytes, utf16le and an L-byte haystack, reaches its unit
// search with an odd L. A failed search there returns L-1 instead of -1;
// IndexOf returns -1 (see its doc). This is an independent statement of
// Node's IndexOfOffset and the checks after it.
func nodeUCS2Bug(L, n, off int, enc string, forward bool) bool {
	if e, err := ParseEncoding(enc); err != nil || e != UTF16LE || L%2 == 0 || L < 2 || n < 2 || n > L {
		return false
	}
	o := int64(min(max(off, -1<<31), 1<<31-1))
	l, m := int64(L), int64(n)
	var start int64
	switch {
	case o < 0 && o+l >= 0:
		start = l + o
	case o < 0 && forward:
		start = 0
	case o < 0:
		return false
	case o+m <= l:
		start = o
	case forward:
		return false
	default:
		start = l - 1
	}
	return !forward || start+m <= l
}

// searchCase makes one indexOf, lastIndexOf or includes call.
func searchCase(r *rand.Rand, method string) nodeCase {
	this := randSearchHay(r)
	enc := randEncodingArg(r)
	if r.Intn(4) == 0 {
		enc = []string{"ucs2", "utf16le", "UTF-16LE", "hex", "base64", "latin1"}[r.Intn(6)]
	}
	var val searchArg
	if r.Intn(8) == 0 {
		// Characters in both, in utf8 mostly: a needle of whole tokens
		// from the haystack, maybe spelled another way.
		this, val = randTokenSearch(r)
		if r.Intn(4) != 0 {
			enc = []string{"", "utf8", "utf-8"}[r.Intn(3)]
		}
	} else {
		val = randSearchValue(r, this, enc)
	}
	forward := method != "lastIndexOf"
	off := randSearchOffset(r, len(this))
	var jsOff any = off
	if r.Intn(6) == 0 {
		// Node's undefined offset; Go passes the default itself.
		jsOff = jsUndefined{}
		off = 0
		if !forward {
			off = len(this)
		}
	}
	args := []any{val.js, jsOff, jsEncoding(enc)}
	if enc == "" && r.Intn(2) == 0 {
		args = args[:2]
	}
	bug := val.bufLen >= 0 && nodeUCS2Bug(len(this), val.bufLen, off, enc, forward)
	return nodeCase{
		method: method, this: this, args: args,
		goCall: func(b *Buffer, bufs []*Buffer) (any, error) {
			v := val.goValue(bufs)
			switch method {
			case "indexOf", "lastIndexOf":
				var i int
				var err error
				if forward {
					i, err = b.IndexOf(v, off, Encoding(enc))
				} else {
					i, err = b.LastIndexOf(v, off, Encoding(enc))
				}
				if err == nil && i == -1 && bug {
					i = b.Len() - 1 // what Node returns here
				}
				return i, err
			}
			ok, err := b.Includes(v, off, Encoding(enc))
			if err == nil && !ok && bug {
				ok = true // Node's L-1 is not -1
			}
			return ok, err
		},
	}
}

// randCompareIndex returns a compare range argument for a buffer of n
// bytes, up to 2^32 and beyond.
func randCompareIndex(r *rand.Rand, n int) int {
	switch r.Intn(20) {
	case 0:
		far := []int{1 << 32, 1<<32 - 1, 1<<32 + 1, 1 << 40, math.MaxInt, math.MinInt, -1 << 32}
		return far[r.Intn(len(far))]
	case 1:
		return -1 - r.Intn(3)
	case 2:
		return n + 1 + r.Intn(3)
	case 3:
		return n
	case 4:
		return 0
	}
	return r.Intn(n + 1)
}

// randCompareOther returns the other buffer of a comparison with this:
// equal, nearly equal, a prefix, or anything.
func randCompareOther(r *rand.Rand, this []byte) []byte {
	o := bytes.Clone(this)
	switch r.Intn(5) {
	case 0:
		return o
	case 1:
		if len(o) > 0 {
			o[r.Intn(len(o))] ^= byte(1 << r.Intn(8))
		}
		return o
	case 2:
		return o[:r.Intn(len(o)+1)]
	case 3:
		return append(o, byte(r.Intn(256)))
	}
	return randSearchHay(r)
}

func init() {
	for _, m := range []string{"indexOf", "lastIndexOf", "includes"} {
		registerNodeGen(m, func(r *rand.Rand) nodeCase { return searchCase(r, m) })
	}
	registerNodeGen("equals", func(r *rand.Rand) nodeCase {
		this := randSearchHay(r)
		var other any = randCompareOther(r, this)
		if r.Intn(8) == 0 {
			other = jsSelf{}
		}
		if r.Intn(20) == 0 {
			return nodeCase{
				method: "equals", this: this, args: []any{jsNull{}},
				goCall: func(b *Buffer, _ []*Buffer) (any, error) { return b.Equals(nil) },
			}
		}
		return nodeCase{
			method: "equals", this: this, args: []any{other},
			goCall: func(b *Buffer, bufs []*Buffer) (any, error) { return b.Equals(bufs[0]) },
		}
	})
	registerNodeGen("compare", func(r *rand.Rand) nodeCase {
		this := randSearchHay(r)
		other := randCompareOther(r, this)
		var target any = other
		tlen := len(other)
		if r.Intn(8) == 0 {
			target, tlen = jsSelf{}, len(this)
		}
		if r.Intn(30) == 0 {
			return nodeCase{
				method: "compare", this: this, args: []any{jsUndefined{}},
				goCall: func(b *Buffer, _ []*Buffer) (any, error) { return b.Compare(nil) },
			}
		}
		if r.Intn(4) == 0 {
			return nodeCase{
				method: "compare", this: this, args: []any{target},
				goCall: func(b *Buffer, bufs []*Buffer) (any, error) { return b.Compare(bufs[0]) },
			}
		}
		// Each range argument is a value or Node's undefined, for which Go
		// passes Node's default.
		lens := [4]int{tlen, tlen, len(this), len(this)}
		defaults := [4]int{0, tlen, 0, len(this)}
		var goArgs [4]int
		args := []any{target}
		for i := range goArgs {
			if r.Intn(4) == 0 {
				goArgs[i] = defaults[i]
				args = append(args, jsUndefined{})
				continue
			}
			goArgs[i] = randCompareIndex(r, lens[i])
			args = append(args, goArgs[i])
		}
		return nodeCase{
			method: "compare", this: this, args: args,
			goCall: func(b *Buffer, bufs []*Buffer) (any, error) {
				return b.CompareRange(bufs[0], goArgs[0], goArgs[1], goArgs[2], goArgs[3])
			},
		}
	})
	registerNodeGen("Buffer.compare", func(r *rand.Rand) nodeCase {
		a := randSearchHay(r)
		b := randCompareOther(r, a)
		switch r.Intn(40) {
		case 0:
			return nodeCase{
				method: "Buffer.compare", args: []any{jsNull{}, b},
				goCall: func(_ *Buffer, bufs []*Buffer) (any, error) { return Compare(nil, bufs[0]) },
			}
		case 1:
			return nodeCase{
				method: "Buffer.compare", args: []any{a, jsUndefined{}},
				goCall: func(_ *Buffer, bufs []*Buffer) (any, error) { return Compare(bufs[0], nil) },
			}
		case 2, 3, 4:
			// One buffer twice in Go; Node, which cannot be sent the same
			// Buffer twice here, compares two copies.
			return nodeCase{
				method: "Buffer.compare", args: []any{a, bytes.Clone(a)},
				goCall: func(_ *Buffer, bufs []*Buffer) (any, error) { return Compare(bufs[0], bufs[0]) },
			}
		}
		return nodeCase{
			method: "Buffer.compare", args: []any{a, b},
			goCall: func(_ *Buffer, bufs []*Buffer) (any, error) { return Compare(bufs[0], bufs[1]) },
		}
	})
}

// TestSearchTablesNode runs the rows of search_test.go's tables in Node, so
// that they are Node's answers and not only ours.
func TestSearchTablesNode(t *testing.T) {
	cases, rows := searchTableCases()
	replies := nodeReplies(t, "search-tables", cases)
	for i, c := range cases {
		if p := compareResult(rows[i].first, replies[i]); p != "" || replies[i].Err != "" {
			t.Errorf("%s: the table says %d; %s %s", c, rows[i].first, p, replies[i].Err)
		}
	}
}

// searchTableCases returns the calls of the search tables' rows that Node
// can make, and for each the row with the answer the table gives in first.
func searchTableCases() ([]nodeCase, []searchRow) {
	var cases []nodeCase
	var rows []searchRow
	for _, table := range [][]searchRow{searchAbcRows, searchEdgeRows, searchNumberRows} {
		for _, row := range table {
			var js any
			bufLen := -1
			switch v := row.value.(type) {
			case string, float64, int:
				js = v
			case []byte:
				js, bufLen = v, len(v)
			case searchNeedleBuf:
				js, bufLen = []byte(v), len(v)
			case uint64:
				if v > 1<<53 {
					continue // not a JS number
				}
				js = float64(v)
			case int8, int16, int32, int64, uint, uint8, uint16, uint32, uintptr:
				js = float64(searchInt64(v))
			default:
				panic(fmt.Sprintf("no JS value for %T", v))
			}
			for _, method := range []string{"indexOf", "lastIndexOf"} {
				var off any = row.off
				if row.off == searchDefault {
					off = jsUndefined{}
				}
				want := row.first
				if method == "lastIndexOf" {
					want = row.last
				}
				L := len(row.hay)
				goOff := row.off
				if row.off == searchDefault {
					goOff = 0
					if method == "lastIndexOf" {
						goOff = L
					}
				}
				if want == -1 && bufLen >= 0 && nodeUCS2Bug(L, bufLen, goOff, string(row.enc), method == "indexOf") {
					want = L - 1
				}
				cases = append(cases, nodeCase{
					method: method, this: []byte(row.hay), args: []any{js, off, jsEncoding(string(row.enc))},
				})
				rows = append(rows, searchRow{first: want})
			}
		}
	}
	return cases, rows
}

// searchInt64 returns an integer of any of Go's integer types as an int64.
func searchInt64(v any) int64 {
	switch v := v.(type) {
	case int8:
		return int64(v)
	case int16:
		return int64(v)
	case int32:
		return int64(v)
	case int64:
		return v
	case uint:
		return int64(v)
	case uint8:
		return int64(v)
	case uint16:
		return int64(v)
	case uint32:
		return int64(v)
	case uintptr:
		return int64(v)
	}
	panic("not an integer")
}

// searchWTF8Pairs respells each supplementary character of s as its WTF-8
// surrogate pair: the same JS string, other Go bytes.
func searchWTF8Pairs(s string) string {
	var b []byte
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r < 0x10000 {
			b = append(b, s[i:i+size]...)
		} else {
			for _, u := range utf16.AppendRune(nil, r) {
				b = append(b, 0xE0|byte(u>>12), 0x80|byte(u>>6)&0x3F, 0x80|byte(u)&0x3F)
			}
		}
		i += size
	}
	return string(b)
}
