package ipcbuf

// Benchmarks of the codecs and of the string search, and tests that check
// their fast paths against plain references.
//
// The benchmarks use inputs like those of the bench program's group 6
// (bench/bench_encoding.go): 1 MiB of random bytes, of ASCII text, of mixed
// UTF-8 text (30% of the characters multi-byte) and of Latin-1 text (30% of
// the bytes 0xA0..0xFF), and a 16 MiB haystack of ASCII text. Each case
// has three sub-benchmarks: ours, "std" (the standard library's nearest
// equivalent) and "ratio", the two alternated call by call, which gives a
// steady ratio on a noisy machine (see benchPair):
//
//	go test -run '^$' -bench 'Codec|IndexOfText|ValidUTF8' -cpuprofile cpu.out .

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

const benchCodecSize = 1 << 20

// benchText returns about n bytes of UTF-8 text in which pct percent of the
// characters are not ASCII: Latin letters, CJK ideographs and emoji.
func benchText(r *rand.Rand, n, pct int) []byte {
	const ascii = "the quick brown fox jumps over the lazy dog, THE QUICK BROWN FOX. 0123456789\n"
	out := make([]byte, 0, n)
	for {
		c := rune(ascii[r.IntN(len(ascii))])
		if p := r.IntN(100); p < pct {
			switch {
			case p < pct/2:
				c = 0xC0 + rune(r.IntN(0xBF))
			case p < pct*5/6:
				c = 0x4E00 + rune(r.IntN(0x5200))
			default:
				c = 0x1F600 + rune(r.IntN(0x50))
			}
		}
		if len(out)+utf8.RuneLen(c) > n {
			return out
		}
		out = utf8.AppendRune(out, c)
	}
}

// benchLatin1 returns n bytes of which pct percent are 0xA0..0xFF and the
// rest ASCII text.
func benchLatin1(r *rand.Rand, n, pct int) []byte {
	ascii := benchText(r, n, 0)
	for i := range ascii {
		if r.IntN(100) < pct {
			ascii[i] = byte(0xA0 + r.IntN(0x60))
		}
	}
	return ascii
}

// benchInputs returns the inputs, made on first use.
var benchInputs = sync.OnceValue(func() (in struct{ bin, ascii, mixed, latin1 []byte }) {
	r := rand.New(rand.NewPCG(6, 2024))
	in.bin = make([]byte, benchCodecSize)
	for i := range in.bin {
		in.bin[i] = byte(r.Uint32())
	}
	in.ascii = benchText(r, benchCodecSize, 0)
	in.mixed = benchText(r, benchCodecSize, 30)
	in.latin1 = benchLatin1(r, benchCodecSize, 30)
	return in
})

var (
	benchSinkString string
	benchSinkBytes  []byte
)

// codecBench is one input to decode (ToString) and the string that encodes
// back to it (From).
type codecBench struct {
	name      string
	enc       Encoding
	bytes     []byte
	str       string
	stdDecode func([]byte) string
	stdEncode func(string) []byte
}

func codecBenches() []codecBench {
	in := benchInputs()
	return []codecBench{
		{"base64", Base64, in.bin, base64.StdEncoding.EncodeToString(in.bin), base64.StdEncoding.EncodeToString,
			func(s string) []byte { b, _ := base64.StdEncoding.DecodeString(s); return b }},
		{"hex", Hex, in.bin, hex.EncodeToString(in.bin), hex.EncodeToString,
			func(s string) []byte { b, _ := hex.DecodeString(s); return b }},
		{"utf8ASCII", UTF8, in.ascii, string(in.ascii), func(b []byte) string { return string(b) },
			func(s string) []byte { return []byte(s) }},
		{"utf8Mixed", UTF8, in.mixed, string(in.mixed), func(b []byte) string { return string(b) },
			func(s string) []byte { return []byte(s) }},
		{"latin1", Latin1, in.latin1, decodeLatin1Obvious(in.latin1), decodeLatin1Obvious, encodeLatin1Obvious},
	}
}

// decodeLatin1Obvious and encodeLatin1Obvious are the loops a user would
// write, the standard library having no Latin-1 codec.
func decodeLatin1Obvious(b []byte) string {
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = utf8.AppendRune(out, rune(c))
	}
	return string(out)
}

func encodeLatin1Obvious(s string) []byte {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		out = append(out, byte(r))
	}
	return out
}

// BenchmarkCodecDecode is ToString's codec: bytes to a Go string.
func BenchmarkCodecDecode(b *testing.B) {
	for _, c := range codecBenches() {
		benchPair(b, c.name, len(c.bytes),
			func() { benchSinkString = decodeBytes(c.enc, c.bytes) },
			func() { benchSinkString = c.stdDecode(c.bytes) })
	}
}

// BenchmarkCodecEncode is From's codec: a Go string to bytes.
func BenchmarkCodecEncode(b *testing.B) {
	for _, c := range codecBenches() {
		benchPair(b, c.name, len(c.str),
			func() { benchSinkBytes = encodeString(c.enc, c.str) },
			func() { benchSinkBytes = c.stdEncode(c.str) })
	}
}

// benchPair runs three sub-benchmarks of name: ours alone, std alone, and
// "ratio", which alternates the two call by call and reports the median
// over its rounds of std's time divided by ours ("x-std": above 1 means
// ours is faster). Alternating makes the ratio steady on a noisy machine
// where the separate figures are not.
func benchPair(b *testing.B, name string, size int, ours, std func()) {
	b.Run(name, func(b *testing.B) {
		b.SetBytes(int64(size))
		for b.Loop() {
			ours()
		}
	})
	b.Run(name+"/std", func(b *testing.B) {
		b.SetBytes(int64(size))
		for b.Loop() {
			std()
		}
	})
	b.Run(name+"/ratio", func(b *testing.B) {
		var ratios, tOurs, tStd []float64
		for b.Loop() {
			t0 := time.Now()
			ours()
			t1 := time.Now()
			std()
			t2 := time.Now()
			tOurs, tStd = append(tOurs, float64(t1.Sub(t0))), append(tStd, float64(t2.Sub(t1)))
			ratios = append(ratios, tStd[len(tStd)-1]/tOurs[len(tOurs)-1])
		}
		median := func(v []float64) float64 { slices.Sort(v); return v[len(v)/2] }
		b.ReportMetric(median(ratios), "x-std")
		b.ReportMetric(median(tOurs), "ns-ours")
		b.ReportMetric(median(tStd), "ns-std")
	})
}

// BenchmarkIndexOfText searches 16 MiB of ASCII text for 32-byte needles 4
// KiB before the end: one that begins like the text and ends in a rare
// byte, and one of common letters only.
func BenchmarkIndexOfText(b *testing.B) {
	const size = 16 << 20
	r := rand.New(rand.NewPCG(1, 2))
	words := bytes.Fields([]byte("the of and to in is was that for it with as his on be at by had are but from or have an they which one you were all her she there"))
	text := make([]byte, 0, size+16)
	for len(text) < size {
		text = append(append(text, words[r.IntN(len(words))]...), ' ')
	}
	text = text[:size]
	for _, needle := range []string{"and the needle is right here #42", "and the needle is right here now"} {
		hay := bytes.Clone(text)
		copy(hay[size-4096:], needle)
		buf := searchBuf(b, string(hay))
		want := size - 4096
		name := "rare"
		if needle[len(needle)-1] == 'w' {
			name = "common"
		}
		benchPair(b, name, want,
			func() {
				if i, err := buf.IndexOf(needle, 0, ""); i != want || err != nil {
					b.Fatal(i, err)
				}
			},
			func() {
				if i := bytes.Index(hay, []byte(needle)); i != want {
					b.Fatal(i)
				}
			})
	}
}

var benchSinkBool bool

// BenchmarkValidUTF8 is the UTF-8 check alone, against utf8.Valid.
func BenchmarkValidUTF8(b *testing.B) {
	for _, c := range codecBenches()[2:4] {
		s := c.str
		benchPair(b, c.name, len(s),
			func() { benchSinkBool = validUTF8(s) },
			func() { benchSinkBool = utf8.ValidString(s) })
	}
}

// --- The fast paths against plain references ---

// TestEncodingFastUTF8Valid checks validUTF8 against utf8.ValidString on
// every string of up to 3 bytes; on each lead byte followed by every
// combination of 3 bytes from a set around the boundaries, alone and
// inside a 700-byte string at the edges of the 16-byte blocks and of the
// two halves that validUTF8 cuts it into; and on long random strings.
func TestEncodingFastUTF8Valid(t *testing.T) {
	var b [4]byte
	check := func(s string) {
		if got, want := validUTF8(s), utf8.ValidString(s); got != want {
			t.Fatalf("validUTF8(%x) = %v, want %v", s, got, want)
		}
	}
	for n := 1; n <= 3; n++ {
		for v := 0; v < 1<<(8*n); v++ {
			for k := range n {
				b[k] = byte(v >> (8 * k))
			}
			check(string(b[:n]))
		}
	}
	// The frame begins with a 2-byte character, so that no ASCII prefix
	// is skipped and all 700 bytes are cut in two, at 350 or just before.
	frame := []byte("é" + strings.Repeat("x", 698))
	conts := []byte{0x00, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xE0, 0xF0, 0xFF}
	for lead := 0xC0; lead <= 0xFF; lead++ {
		for _, c1 := range conts {
			for _, c2 := range conts {
				for _, c3 := range conts {
					seq := []byte{byte(lead), c1, c2, c3}
					check(string(seq))
					for _, at := range []int{2, 15, 16, 17, 349, 350, 351, 352, 696} {
						s := bytes.Clone(frame)
						copy(s[at:], seq)
						check(string(s))
					}
				}
			}
		}
	}
	valid := []string{"a", "0123456789abcdef", "é", "€", "😀", "\xef\xbb\xbf", strings.Repeat("x", 40)}
	invalid := []string{"\x80", "\xbf", "\xc2", "\xe0\xa0", "\xed\xa0\x80", "\xf0\x9f\x98", "\xf4\x90\x80\x80", "\xff"}
	r := rand.New(rand.NewPCG(1, 1))
	for range 20000 {
		var sb strings.Builder
		n := r.IntN(3000)
		for sb.Len() < n {
			if r.IntN(600) == 0 {
				sb.WriteString(invalid[r.IntN(len(invalid))])
			} else {
				sb.WriteString(valid[r.IntN(len(valid))])
			}
		}
		check(sb.String())
	}
}

// TestEncodingFastUTF8Blocks checks decodeBytes' block-by-block copy of
// long UTF-8, and encodeString, with characters, valid and not, across the
// block boundaries.
func TestEncodingFastUTF8Blocks(t *testing.T) {
	base := []byte(strings.Repeat("aé€😀", 3*utf8Block/10))
	seqs := []string{"é", "€", "😀", "\x80", "\xc3", "\xe2\x82", "\xf0\x9f\x98", "\xed\xa0\x80", "\xff"}
	for _, edge := range []int{utf8Block, 2 * utf8Block} {
		for at := edge - 5; at <= edge+2; at++ {
			for _, seq := range seqs {
				b := bytes.Clone(base)
				copy(b[at:], seq)
				valid := utf8.Valid(b)
				got := decodeBytes(UTF8, b)
				if !utf8.ValidString(got) || (got == string(b)) != valid {
					t.Fatalf("decodeBytes(utf8) with %+q at %d: valid %v, result valid %v, unchanged %v",
						seq, at, valid, utf8.ValidString(got), got == string(b))
				}
				enc := encodeString(UTF8, string(b))
				if !utf8.Valid(enc) || bytes.Equal(enc, b) != valid {
					t.Fatalf("encodeString(utf8) with %+q at %d: valid %v, result valid %v, unchanged %v",
						seq, at, valid, utf8.Valid(enc), bytes.Equal(enc, b))
				}
			}
		}
	}
}

// TestEncodingFastHex checks the word-at-a-time hex decoder against the
// pair-by-pair rule, with each of the 256 byte values at each position of
// a word of digits, and hex encoding against encoding/hex.
func TestEncodingFastHex(t *testing.T) {
	ref := func(s string) []byte {
		var out []byte
		for i := 0; i+1 < len(s); i += 2 {
			hi, ok1 := unhex(s[i])
			lo, ok2 := unhex(s[i+1])
			if !ok1 || !ok2 {
				break
			}
			out = append(out, hi<<4|lo)
		}
		return out
	}
	const digits = "0123456789abcdefABCDEF"
	r := rand.New(rand.NewPCG(2, 2))
	for pos := range 24 {
		for c := range 256 {
			b := make([]byte, 24)
			for i := range b {
				b[i] = digits[r.IntN(len(digits))]
			}
			b[pos] = byte(c)
			s := string(b)
			dst := make([]byte, 12)
			if got, want := dst[:hexDecodeInto(dst, s)], ref(s); !bytes.Equal(got, want) {
				t.Fatalf("hexDecodeInto(%q) = %x, want %x", s, got, want)
			}
		}
	}
	for n := range 80 {
		src := benchInputs().bin[:n]
		if got, want := decodeBytes(Hex, src), hex.EncodeToString(src); got != want {
			t.Fatalf("decodeBytes(hex, %x) = %q, want %q", src, got, want)
		}
	}
}

// TestEncodingFastBase64 checks the quantum-at-a-time base64 decoder
// against the byte-at-a-time rule on strings with garbage, padding and
// both alphabets, into destinations of every size, and base64 encoding
// against encoding/base64.
func TestEncodingFastBase64(t *testing.T) {
	ref := func(dst []byte, s string) int {
		var acc uint32
		bits, n := 0, 0
		for i := 0; i < len(s) && n < len(dst); i++ {
			v := b64Value[s[i]]
			if v == b64Stop {
				break
			}
			if v < 0 {
				continue
			}
			acc, bits = acc<<6|uint32(v), bits+6
			if bits >= 8 {
				bits -= 8
				dst[n] = byte(acc >> bits)
				n++
			}
		}
		return n
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_"
	r := rand.New(rand.NewPCG(3, 3))
	for range 20000 {
		b := make([]byte, r.IntN(60))
		for i := range b {
			switch r.IntN(40) {
			case 0:
				b[i] = "=\n !\x80\xff"[r.IntN(6)]
			default:
				b[i] = alphabet[r.IntN(len(alphabet))]
			}
		}
		s := string(b)
		size := r.IntN(len(s) + 2)
		got, want := make([]byte, size), make([]byte, size)
		n, m := base64DecodeInto(got, s), ref(want, s)
		if n != m || !bytes.Equal(got, want) {
			t.Fatalf("base64DecodeInto([%d]byte, %q) = %d %x, want %d %x", size, s, n, got, m, want)
		}
	}
	for n := range 80 {
		src := benchInputs().bin[:n]
		if got, want := decodeBytes(Base64, src), base64.StdEncoding.EncodeToString(src); got != want {
			t.Fatalf("decodeBytes(base64, %x) = %q, want %q", src, got, want)
		}
	}
}

// TestEncodingFastLatin1 checks the word-at-a-time latin1 encoder against
// the character-by-character rule on every arrangement of 8 bytes drawn
// from six classes (ASCII, C2, C3, continuation, other two-byte leads,
// longer leads), and latin1 decoding against the obvious loop.
func TestEncodingFastLatin1(t *testing.T) {
	ref := func(b []byte) (out []byte, in int) {
		in = 8
		if b[7] >= 0xC0 {
			in = 7
		}
		for i := 0; i < in; i++ {
			switch c := b[i]; {
			case c < 0x80:
				out = append(out, c)
			case (c == 0xC2 || c == 0xC3) && i+1 < in && b[i+1]&0xC0 == 0x80:
				out = append(out, c<<6|b[i+1]&0x3F)
				i++
			default:
				return nil, 0
			}
		}
		return out, in
	}
	r := rand.New(rand.NewPCG(4, 4))
	class := func(k int) byte {
		switch k {
		case 0:
			return byte(r.IntN(0x80))
		case 1:
			return 0xC2
		case 2:
			return 0xC3
		case 3:
			return byte(0x80 + r.IntN(0x40))
		case 4:
			return []byte{0xC0, 0xC1, 0xC4, 0xDF}[r.IntN(4)]
		}
		return byte(0xE0 + r.IntN(0x20))
	}
	var b [8]byte
	for v := 0; v < 6*6*6*6*6*6*6*6; v++ {
		for k, p := 0, v; k < 8; k, p = k+1, p/6 {
			b[k] = class(p % 6)
		}
		w, in, out := latin1Word(load64(string(b[:]), 0))
		wantOut, wantIn := ref(b[:])
		var got []byte
		for k := range out {
			got = append(got, byte(w>>(8*k)))
		}
		if in != wantIn || (in > 0 && !bytes.Equal(got, wantOut)) {
			t.Fatalf("latin1Word(% x) = %x, %d, %d; want % x, %d", b, w, in, out, wantOut, wantIn)
		}
		if in > 0 && out < 8 && w>>(8*out) != 0 {
			t.Fatalf("latin1Word(% x) = %x: not zero past %d bytes", b, w, out)
		}
	}
	for range 2000 {
		src := benchInputs().latin1[r.IntN(1000):][:r.IntN(200)]
		if got, want := decodeBytes(Latin1, src), decodeLatin1Obvious(src); got != want {
			t.Fatalf("decodeBytes(latin1, %x) = %q, want %q", src, got, want)
		}
		if got, want := encodeString(Latin1, decodeLatin1Obvious(src)), src; !bytes.Equal(got, want) {
			t.Fatalf("encodeString(latin1, %q) = %x, want %x", decodeLatin1Obvious(src), got, want)
		}
	}
}

// TestSearchFastPaths checks indexRare and indexSkip against bytes.Index on
// random haystacks over small alphabets, where near misses abound, and on
// repetitive ones that drive both to hand over to bytes.Index.
func TestSearchFastPaths(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	check := func(hay, ndl []byte) {
		want := bytes.Index(hay, ndl)
		if got := indexRare(hay, ndl); got != want {
			t.Fatalf("indexRare(%q, %q) = %d, want %d", hay, ndl, got, want)
		}
		if got := indexSkip(hay, ndl); got != want {
			t.Fatalf("indexSkip(%q, %q) = %d, want %d", hay, ndl, got, want)
		}
	}
	for _, alphabet := range []string{"ab", "abc", "a#", "the quick brown fox", "\x00\xff\x01"} {
		for range 3000 {
			hay := make([]byte, r.IntN(3000))
			for i := range hay {
				hay[i] = alphabet[r.IntN(len(alphabet))]
			}
			var ndl []byte
			if len(hay) > 0 && r.IntN(2) == 0 {
				i := r.IntN(len(hay))
				ndl = bytes.Clone(hay[i:min(len(hay), i+1+r.IntN(60))])
			} else {
				ndl = make([]byte, 1+r.IntN(40))
				for i := range ndl {
					ndl[i] = alphabet[r.IntN(len(alphabet))]
				}
			}
			check(hay, ndl)
		}
	}
	for _, n := range []int{2, 8, 31, 32, 100, 1000} {
		hay := bytes.Repeat([]byte("a"), 50000)
		ndl := bytes.Repeat([]byte("a"), n)
		ndl[0] = 'b'
		check(hay, ndl)
		copy(hay[len(hay)-n-7:], ndl)
		check(hay, ndl)
		ndl[0], ndl[n/2] = 'a', 'b'
		check(hay, ndl)
	}
}
