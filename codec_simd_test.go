package ipcbuf

// The codecs' vector paths against the scalar code, which is the
// reference: every level this CPU has gives exactly the scalar result,
// including on inputs that leave a vector path midway. The test hook
// IPCBUF_CODEC_LEVEL caps the level for a whole test run, and
// TestCodecEveryPath runs the codec tests once more at each lower level.

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// codecLevelEnv caps the codec level of a test run: "scalar", "avx2" or
// "avx512" (the best the CPU has if it has less).
const codecLevelEnv = "IPCBUF_CODEC_LEVEL"

var codecLevelNames = []string{codecScalar: "scalar", codecAVX2: "avx2", codecAVX512: "avx512"}

func init() {
	name := os.Getenv(codecLevelEnv)
	if name == "" {
		return
	}
	for lv, n := range codecLevelNames {
		if n == name {
			codecLevel = min(lv, codecLevelMax)
			return
		}
	}
	panic(fmt.Sprintf("%s=%q: want one of %v", codecLevelEnv, name, codecLevelNames))
}

// codecTests are the tests that run every codec; TestCodecEveryPath runs
// them at each level. The fuzz targets run their seeds.
// (TestCodecPaths and FuzzCodecPaths compare all levels themselves.)
const codecTests = "^(TestEncoding|TestToString|TestWriteTable|TestConstructFrom|TestConstructByteLength|" +
	"TestNodeDifferential|TestDecodeWhileAnotherProcessWrites|TestSearchFastPaths|" +
	"FuzzDecodeBytes|FuzzEncodeInto|FuzzFrom|FuzzWriteToString)"

// TestCodecEveryPath runs the codec tests in a child test process at each
// level below the one this run uses, down to the scalar code alone (which
// is what a CPU with neither AVX2 nor AVX-512 runs).
func TestCodecEveryPath(t *testing.T) {
	if os.Getenv(codecLevelEnv) != "" {
		t.Skip("a child run at one level: the parent runs the others")
	}
	t.Logf("this run's codec level: %s", codecLevelNames[codecLevel])
	for lv := codecLevel - 1; lv >= codecScalar; lv-- {
		name := codecLevelNames[lv]
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run="+codecTests, "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), codecLevelEnv+"="+name)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("the codec tests at level %s: %v\n%s", name, err, out)
			}
			// A sample of what must have run, so that a regexp gone stale
			// fails rather than runs nothing.
			for _, test := range []string{"TestEncodingOracle", "TestEncodingFastBase64", "TestNodeDifferential", "FuzzEncodeInto"} {
				if !bytes.Contains(out, []byte("--- PASS: "+test+" ")) {
					t.Fatalf("the codec tests at level %s did not run %s:\n%s", name, test, out)
				}
			}
			t.Logf("level %s: %d codec tests passed", name, bytes.Count(out, []byte("\n--- PASS: ")))
		})
	}
	if codecLevel == codecScalar {
		t.Log("the scalar code is the only path on this CPU (or this run)")
	}
}

// atLevels calls f at each codec level this CPU has, from the scalar code
// up, and restores the run's level.
func atLevels(f func(level int)) {
	saved := codecLevel
	defer func() { codecLevel = saved }()
	for lv := codecScalar; lv <= codecLevelMax; lv++ {
		codecLevel = lv
		f(lv)
	}
}

// codecResults runs the codecs encs on b (as bytes to decode, and as a string
// to encode, into a destination of each size in sizes, filled with 0xEE
// first) and returns the results in one list, and if named their names.
func codecResults(b []byte, encs []Encoding, sizes []int, named bool) (names, results []string) {
	s := string(b)
	add := func(name string, v any) {
		if named {
			names = append(names, name)
		}
		switch v := v.(type) {
		case string:
			results = append(results, v)
		case []byte:
			results = append(results, string(v))
		default:
			results = append(results, fmt.Sprint(v))
		}
	}
	add("validUTF8", validUTF8(s))
	add("asciiPrefix", asciiPrefix(s))
	for _, enc := range encs {
		e := string(enc)
		add("decodeBytes "+e, decodeBytes(enc, b))
		add("decodeMemory unshared "+e, decodeMemory(enc, b, false))
		add("encodeString "+e, encodeString(enc, s))
		add("encodedLen "+e, encodedLen(enc, s))
		for _, n := range sizes {
			dst := bytes.Repeat([]byte{0xee}, n)
			c := encodeInto(enc, dst, s)
			add("encodeInto "+e+" ["+strconv.Itoa(n)+"]byte", strconv.Itoa(c)+" "+string(dst))
		}
	}
	return names, results
}

// checkLevels checks that every level gives the scalar results of the
// codecs encs on b.
func checkLevels(t *testing.T, what string, b []byte, encs []Encoding, sizes []int) {
	t.Helper()
	var want []string
	atLevels(func(lv int) {
		_, got := codecResults(b, encs, sizes, false)
		if lv == codecScalar {
			want = got
			if v := utf8.Valid(b); validUTF8(string(b)) != v {
				t.Fatalf("%s: scalar validUTF8 %v, utf8.Valid %v", what, !v, v)
			}
			return
		}
		for i := range want {
			if got[i] != want[i] {
				names, _ := codecResults(b, encs, sizes, true)
				t.Fatalf("%s (%d bytes %.300q): %s at level %s differs from the scalar code:\n got %.300q\nwant %.300q",
					what, len(b), b, names[i], codecLevelNames[lv], got[i], want[i])
			}
		}
	})
}

// codecSwitchPoints are where a test input changes: around the 32- and
// 64-byte blocks of the vector paths and their ends.
var codecSwitchPoints = []int{0, 1, 3, 4, 23, 24, 27, 28, 31, 32, 33, 47, 48, 49, 63, 64, 65, 95, 96, 127, 128, 129, 191, 192, 255, 256}

// TestCodecPathsSwitch runs every codec at every level on texts of each
// length up to 300 (base64 of both alphabets, hex, ASCII and mixed UTF-8)
// and, at the lengths switchLength picks, with one byte that leaves the
// vector path at each switch point and at the end: an invalid or truncated UTF-8 sequence, a non-alphabet byte,
// whitespace, '=' and the other alphabet's characters, a high byte.
func TestCodecPathsSwitch(t *testing.T) {
	if codecLevelMax == codecScalar {
		t.Skip("this CPU has no vector path to compare with the scalar code")
	}
	r := rand.New(rand.NewPCG(10, 2))
	const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	const b64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	const hexDigits = "0123456789abcdefABCDEF"
	texts := map[string]func(n int) []byte{
		"base64":    func(n int) []byte { return pick(r, b64, n) },
		"base64url": func(n int) []byte { return pick(r, b64url, n) },
		"hex":       func(n int) []byte { return pick(r, hexDigits, n) },
		"ascii":     func(n int) []byte { return pick(r, "the quick brown fox, 0123\n", n) },
		"mixed": func(n int) []byte {
			var b []byte
			for len(b) < n {
				b = utf8.AppendRune(b, []rune("aé€😀xyz")[r.IntN(7)])
			}
			return b[:n] // may cut a character: invalid at the end
		},
	}
	utf8Odd := []string{"\x80", "\xff", "\xc3", "\xe2\x82", "\xf0\x9f\x98", "\xed\xa0\x80", "é", "😀"}
	b64Odd := []string{"!", "\n", " ", "=", "==", "-", "_", "+", "/", "\x80"}
	odd := map[string][]string{"base64": b64Odd, "base64url": b64Odd, "hex": {"g", " ", "\x80"},
		"ascii": utf8Odd, "mixed": utf8Odd}
	// With a change, the codecs that read such text; without, all.
	b64Encs, utf8Encs := []Encoding{Base64, Base64URL}, []Encoding{UTF8, Latin1, ASCII}
	encs := map[string][]Encoding{"base64": b64Encs, "base64url": b64Encs, "hex": {Hex},
		"ascii": utf8Encs, "mixed": utf8Encs}
	for name, gen := range texts {
		for n := 0; n <= 300; n++ {
			base := gen(n)
			sizes := []int{n/4 + r.IntN(n/2+1), n + 8}
			checkLevels(t, fmt.Sprintf("%s of %d", name, n), base, allEncodings, sizes)
			if !switchLength(n) {
				continue
			}
			for _, at := range append(codecSwitchPoints, n-1, n-2, n-3) {
				if at < 0 || at >= n {
					continue
				}
				for _, o := range odd[name] {
					b := bytes.Clone(base)
					copy(b[at:], o)
					checkLevels(t, fmt.Sprintf("%s of %d with %+q at %d", name, n, o, at), b, encs[name], sizes)
				}
			}
		}
	}
}

// switchLength reports whether TestCodecPathsSwitch puts changes into
// texts of length n: up to 70, and around multiples of the block sizes
// (and of the 24 bytes plus 4 that the AVX2 base64 encoder reads).
func switchLength(n int) bool {
	return n <= 70 || n%32 <= 1 || n%32 == 31 || n%24 == 4 || n == 300
}

// pick returns n bytes drawn from chars.
func pick(r *rand.Rand, chars string, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[r.IntN(len(chars))]
	}
	return b
}

// TestCodecPathsLong checks the levels on long inputs that stay on the
// vector paths for many blocks before leaving them, and on each kind of
// text in full.
func TestCodecPathsLong(t *testing.T) {
	if codecLevelMax == codecScalar {
		t.Skip("this CPU has no vector path to compare with the scalar code")
	}
	in := benchInputs()
	b64 := []byte(encodeBase64(in.bin[:3000]))
	hx := []byte(encodeHex(in.bin[:3000]))
	for _, b := range [][]byte{in.bin[:5000], in.ascii[:5000], in.mixed[:5000], in.latin1[:5000], b64, hx} {
		for _, at := range []int{-1, 1000, 1001, 1002, 1003, len(b) - 1} {
			c := bytes.Clone(b)
			if at >= 0 {
				c[at] = "\x80*="[at%3]
			}
			checkLevels(t, fmt.Sprintf("%.20q... with a change at %d", b, at), c, allEncodings, []int{len(c), len(c) / 2, 1500})
		}
	}
}

// FuzzCodecPaths checks that every level gives the scalar results on any
// input, into a destination of any size.
func FuzzCodecPaths(f *testing.F) {
	f.Add([]byte("aGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8="), uint16(40))
	f.Add([]byte(strings.Repeat("0123456789abcdef", 9)), uint16(70))
	f.Add([]byte(strings.Repeat("héllo wörld € 😀 ", 9)), uint16(300))
	f.Add([]byte(strings.Repeat("-_-_", 40)+"\xff"), uint16(17))
	f.Fuzz(func(t *testing.T, b []byte, size uint16) {
		checkLevels(t, "fuzz input", b, allEncodings, []int{int(size) % (2*len(b) + 8)})
	})
}
