package main

// Group 6: ipcbuf's codecs and search against Go's standard library and
// Node 20. Every case does one operation on one input: ipcbuf and the
// standard library in this process, Node in a single `node node_bench.js`
// started for the group, which times its own loop so that no IPC is
// counted. Before timing, each case checks that the three produce the same
// result (SHA-256 of the output), so that the figures are for the same work.

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ipcbuf/ipcbuf"
)

func init() {
	register(group{
		id:    "6",
		title: "Encodings and search against Node 20 and Go's standard library",
		run:   runEncoding,
	})
}

// Contender names; the ipcbuf figure appears twice per case, once against
// each baseline, because the table shows one ratio per row.
const (
	cStd      = "Go stdlib"
	cNode     = "Node 20"
	cIPCVsGo  = "ipcbuf (vs Go)"
	cIPCVsJS  = "ipcbuf (vs Node)"
	unitMBps  = "MB/s"
	codecSize = 1 << 20  // input size of the codec cases
	haySize   = 16 << 20 // haystack of the indexOf case
)

// Targets: ipcbuf at least as fast as the standard library and at least
// half as fast as Node on every case, and as fast as Node on the
// geometric mean.
const (
	targetVsGo    = 1.0
	targetVsNode  = 0.5
	targetGeoMean = 1.0
)

// An encCase is one operation on one input, done by each contender.
type encCase struct {
	name  string // "toString base64"
	kind  string // Node's operation: "toString", "from" or "indexOf"
	enc   ipcbuf.Encoding
	input string // the input's name in inputs; for "from", the string's bytes
	// needle names the string searched for by "indexOf".
	needle string
	// size is the byte count the MB/s figures are of.
	size int
	// std is the standard library's way of doing the same work; nil when
	// there is none.
	std     func() any
	stdNote string
	note    string // about the case itself
}

// encInputs are the inputs of every case, by name. They are generated
// deterministically and sent once to Node, so both sides see the same bytes.
type encInputs map[string][]byte

// runEncoding is group 6.
func runEncoding(cfg *config) []result {
	in := makeEncInputs(cfg)
	cases := encCases(in)
	node, rs := startNodeFor(cNode, unitMBps, in)
	if node != nil {
		defer node.close()
	}
	sample := sampleTime(cfg)
	for _, c := range cases {
		rs = append(rs, measureCase(cfg, c, in, node, sample)...)
	}
	if node != nil {
		for i := range rs {
			if rs[i].contender == cNode {
				rs[i].note = "node " + node.version + " running node_bench.js, which times its own loop with process.hrtime.bigint()"
				break
			}
		}
	}
	return append(rs, geoMeanRows(rs, len(cases))...)
}

// makeEncInputs generates the inputs: random bytes, ASCII text, mixed
// UTF-8 text, Latin-1 text, the strings the "from" cases encode, and the
// haystack and needle of the search.
func makeEncInputs(cfg *config) encInputs {
	n := cfg.size(codecSize)
	r := rand.New(rand.NewPCG(6, 2024))
	bin := randomBytes(r, n)
	lat := latin1Bytes(r, n)
	in := encInputs{
		"binary": bin,
		"ascii":  asciiText(r, n),
		"mixed":  mixedText(r, n),
		"latin1": lat,
		// The "from" strings are about n bytes long too.
		"base64str": []byte(base64.StdEncoding.EncodeToString(bin[:n/4*3])),
		"hexstr":    []byte(hex.EncodeToString(bin[:n/2])),
		"latin1str": latin1ToUTF8(lat),
		"needle":    []byte(searchNeedle),
		"needle2":   []byte(searchNeedleCommon),
	}
	in["haystack"] = haystack(r, cfg.size(haySize))
	return in
}

// The 32-byte needles of the indexOf cases begin like the text around
// them, so the search meets many partial matches. One ends in a byte that
// occurs nowhere else in the haystack ('#'), the other is made of letters
// common in it.
const (
	searchNeedle       = "and the needle is right here #42"
	searchNeedleCommon = "and the needle is right here now"
)

// encCases lists the cases over the inputs in.
func encCases(in encInputs) []encCase {
	bin, hexStr, b64Str := in["binary"], string(in["hexstr"]), string(in["base64str"])
	ascii, mixed := in["ascii"], in["mixed"]
	asciiStr, mixedStr := string(ascii), string(mixed)
	lat, latStr := in["latin1"], string(in["latin1str"])
	hay := in["haystack"]
	const (
		utf8Dec = "string(b): a copy with no UTF-8 validation or U+FFFD replacement, which ipcbuf and Node do"
		utf8Enc = "[]byte(s): a copy with no UTF-8 validation or surrogate handling, which ipcbuf and Node do"
		latDec  = "the standard library has no Latin-1 decoder: the obvious loop, utf8.AppendRune of each byte"
		latEnc  = "the standard library has no Latin-1 encoder: the obvious loop, one byte per rune of the string"
	)
	return []encCase{
		{name: "toString base64", kind: "toString", enc: ipcbuf.Base64, input: "binary", size: len(bin),
			std: func() any { return base64.StdEncoding.EncodeToString(bin) }},
		{name: "toString hex", kind: "toString", enc: ipcbuf.Hex, input: "binary", size: len(bin),
			std: func() any { return hex.EncodeToString(bin) }},
		{name: "toString utf8 ASCII", kind: "toString", enc: ipcbuf.UTF8, input: "ascii", size: len(ascii),
			std: func() any { return string(ascii) }, stdNote: utf8Dec},
		{name: "toString utf8 mixed", kind: "toString", enc: ipcbuf.UTF8, input: "mixed", size: len(mixed),
			std: func() any { return string(mixed) }, stdNote: utf8Dec,
			note: "30% of the characters multi-byte: Latin, CJK and emoji"},
		{name: "toString latin1", kind: "toString", enc: ipcbuf.Latin1, input: "latin1", size: len(lat),
			std: func() any { return stdLatin1Decode(lat) }, stdNote: latDec,
			note: "30% of the bytes are 0xA0..0xFF, each 2 bytes of UTF-8 in the Go string"},
		{name: "from base64", kind: "from", enc: ipcbuf.Base64, input: "base64str", size: len(b64Str),
			std:  func() any { return mustBytes(base64.StdEncoding.DecodeString(b64Str)) },
			note: "MB/s of base64 text"},
		{name: "from hex", kind: "from", enc: ipcbuf.Hex, input: "hexstr", size: len(hexStr),
			std: func() any { return mustBytes(hex.DecodeString(hexStr)) }, note: "MB/s of hex text"},
		{name: "from utf8 ASCII", kind: "from", enc: ipcbuf.UTF8, input: "ascii", size: len(asciiStr),
			std: func() any { return []byte(asciiStr) }, stdNote: utf8Enc},
		{name: "from utf8 mixed", kind: "from", enc: ipcbuf.UTF8, input: "mixed", size: len(mixedStr),
			std: func() any { return []byte(mixedStr) }, stdNote: utf8Enc},
		{name: "from latin1", kind: "from", enc: ipcbuf.Latin1, input: "latin1str", size: len(latStr),
			std: func() any { return stdLatin1Encode(latStr) }, stdNote: latEnc,
			note: "MB/s of the Go string (UTF-8); Node holds it as one byte a character"},
		indexOfCase("indexOf 32 B, rare byte", "needle", searchNeedle, hay),
		indexOfCase("indexOf 32 B, common", "needle2", searchNeedleCommon, hay),
	}
}

// indexOfCase is the search of hay for needle, which the inputs hold under
// the name input.
func indexOfCase(name, input, needle string, hay []byte) encCase {
	ndl := []byte(needle)
	return encCase{name: name, kind: "indexOf", enc: ipcbuf.UTF8, input: "haystack", needle: input,
		size: bytes.Index(hay, ndl) + len(ndl),
		std:  func() any { return bytes.Index(hay, ndl) },
		note: fmt.Sprintf("a %s haystack; MB/s of it up to the end of the match; Go stdlib is bytes.Index", sizeText(len(hay)))}
}

// sizeText writes n bytes as KiB or MiB.
func sizeText(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d KiB", n>>10)
}

// mustBytes returns b; the standard library's decoders cannot fail on the
// inputs generated here, and the result check would catch it if they did.
func mustBytes(b []byte, err error) []byte {
	if err != nil {
		return nil
	}
	return b
}

// stdLatin1Decode is the obvious Latin-1 decoder: each byte is the code
// point of the same value, appended as UTF-8.
func stdLatin1Decode(b []byte) string {
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = utf8.AppendRune(out, rune(c))
	}
	return string(out)
}

// stdLatin1Encode is the obvious Latin-1 encoder: one byte, the low byte,
// per rune of s.
func stdLatin1Encode(s string) []byte {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		out = append(out, byte(r))
	}
	return out
}

// ipcbufOp returns one call of c's operation through ipcbuf.
func ipcbufOp(c encCase, in encInputs) func() (any, error) {
	switch c.kind {
	case "toString":
		b := ipcbuf.FromBytes(in[c.input])
		return func() (any, error) { return b.ToString(c.enc, 0, b.Len()) }
	case "from":
		s := string(in[c.input])
		return func() (any, error) {
			b, err := ipcbuf.From(s, c.enc)
			if err != nil {
				return nil, err
			}
			return b.Bytes(), nil
		}
	}
	b := ipcbuf.FromBytes(in[c.input])
	needle := string(in[c.needle])
	return func() (any, error) { return b.IndexOf(needle, 0, "") }
}

// measureCase checks that the contenders agree on c and then measures them
// side by side. It returns the case's rows, or a row saying what failed.
func measureCase(cfg *config, c encCase, in encInputs, node *nodeBench, sample time.Duration) []result {
	fail := func(err error) []result {
		return []result{{caseName: c.name, contender: cIPCVsGo, value: math.NaN(), unit: unitMBps, note: err.Error()}}
	}
	ipc := ipcbufOp(c, in)
	runners := []runner{goRunner(ipc), goRunner(func() (any, error) { return c.std(), nil })}
	if node != nil {
		runners = append(runners, node.runner(c))
	}
	if err := checkSameWork(c, ipc, node); err != nil {
		return fail(err)
	}
	fns := make([]func() float64, len(runners))
	for i, r := range runners {
		iters, err := calibrate(r, sample)
		if err != nil {
			return fail(err)
		}
		fns[i] = mbps(r, iters, c.size)
	}
	// One untimed round first: Node's allocator and garbage collector, and
	// Go's, settle into their steady state for this size of result only
	// after a few dozen calls, and the first round would otherwise pay for
	// that.
	alternate(1, fns...)
	med := alternate(cfg.rounds, fns...)
	rs := []result{
		{caseName: c.name, contender: cStd, value: med[1], unit: unitMBps, higher: true, note: c.stdNote},
	}
	if node != nil {
		rs = append(rs, result{caseName: c.name, contender: cNode, value: med[2], unit: unitMBps, higher: true})
	}
	rs = append(rs, result{caseName: c.name, contender: cIPCVsGo, value: med[0], unit: unitMBps, higher: true,
		baseline: cStd, target: targetVsGo, note: c.note})
	if node != nil {
		rs = append(rs, result{caseName: c.name, contender: cIPCVsJS, value: med[0], unit: unitMBps, higher: true,
			baseline: cNode, target: targetVsNode})
	}
	return rs
}

// checkSameWork runs each contender once and compares the digests of the
// results: ipcbuf must agree with Node, and with the standard library.
func checkSameWork(c encCase, ipc func() (any, error), node *nodeBench) error {
	v, err := ipc()
	if err != nil {
		return fmt.Errorf("ipcbuf: %w", err)
	}
	want := digest(v)
	if got := digest(c.std()); got != want {
		return fmt.Errorf("the standard library's result differs from ipcbuf's")
	}
	if node == nil {
		return nil
	}
	_, got, err := node.run(c, 1, true)
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("Node's result differs from ipcbuf's")
	}
	return nil
}

// digest is the SHA-256, in hex, of a result as node_bench.js computes it:
// a string's bytes, a byte slice, or an index's decimal text.
func digest(v any) string {
	var b []byte
	switch x := v.(type) {
	case string:
		b = []byte(x)
	case []byte:
		b = x
	case int:
		b = []byte(strconv.Itoa(x))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// A runner does iters calls of one contender and returns the seconds they
// took.
type runner func(iters int) (float64, error)

// encSink keeps every Go result reachable, so that no call is optimised
// away.
var encSink any

// goRunner times op in this process. It collects garbage first, untimed,
// so that each sample pays for its own garbage and not for the last one's.
func goRunner(op func() (any, error)) runner {
	return func(iters int) (float64, error) {
		runtime.GC()
		start := time.Now()
		for range iters {
			v, err := op()
			if err != nil {
				return 0, err
			}
			encSink = v
		}
		return time.Since(start).Seconds(), nil
	}
}

// calibrate returns the number of calls r needs to take about sample.
func calibrate(r runner, sample time.Duration) (int, error) {
	iters := 1
	for {
		secs, err := r(iters)
		if err != nil {
			return 0, err
		}
		if secs >= sample.Seconds()/8 || iters >= 1<<20 {
			return max(1, int(float64(iters)*sample.Seconds()/max(secs, 1e-9))), nil
		}
		iters *= 4
	}
}

// mbps returns a function that runs r for iters calls and returns MB/s of
// size bytes a call; a failure, which calibrate has already ruled out,
// gives NaN.
func mbps(r runner, iters, size int) func() float64 {
	return func() float64 {
		secs, err := r(iters)
		if err != nil {
			return math.NaN()
		}
		return float64(size) * float64(iters) / secs / 1e6
	}
}

// geoMeanRows returns the geometric-mean rows: the geometric mean of each
// contender's MB/s over the cases, so that the ratio shown for ipcbuf is
// the geometric mean of its per-case ratios. Against Node it has a target;
// against the standard library it is for information. A case without a
// figure for every contender leaves the means out.
func geoMeanRows(rs []result, cases int) []result {
	name := fmt.Sprintf("geometric mean, %d cases", cases)
	var out []result
	for _, p := range []struct {
		base, ipc string
		target    float64
	}{{cStd, cIPCVsGo, 0}, {cNode, cIPCVsJS, targetGeoMean}} {
		b, okB := geoMean(rs, p.base, cases)
		i, okI := geoMean(rs, p.ipc, cases)
		if !okB || !okI {
			continue
		}
		out = append(out,
			result{caseName: name, contender: p.base, value: b, unit: unitMBps, higher: true},
			result{caseName: name, contender: p.ipc, value: i, unit: unitMBps, higher: true, baseline: p.base, target: p.target})
	}
	if len(out) > 0 {
		gb, _ := geoMean(rs, cNode, cases)
		gi, _ := geoMean(rs, cIPCVsJS, cases)
		if gb > 0 {
			out[len(out)-1].note = fmt.Sprintf("geometric mean of ipcbuf ÷ Node over the %d cases: %.2f× (target ≥ %.2f×)", cases, gi/gb, targetGeoMean)
		}
	}
	return out
}

// geoMean is the geometric mean of contender's values over the cases; ok
// is false unless there is a finite, positive value for each case.
func geoMean(rs []result, contender string, cases int) (float64, bool) {
	sum, n := 0.0, 0
	for _, r := range rs {
		if r.contender == contender {
			if !(r.value > 0) || math.IsInf(r.value, 0) {
				return 0, false
			}
			sum += math.Log(r.value)
			n++
		}
	}
	if n != cases {
		return 0, false
	}
	return math.Exp(sum / float64(n)), true
}

// --- Inputs ---

// asciiWords are the words of the ASCII text.
var asciiWords = strings.Fields(`the of and to in is was that for it with as his on be at by
	had are but from or have an they which one you were all her she there would
	their we him been has when who will no more if out so said what up its about
	into than them can only other time new some could these two may first then
	do any like my now over such our man me even most made after also did many
	Buffer stream 2024 JSON value 42 node GO HTTP`)

// asciiText returns n bytes of words, spaces, punctuation and newlines.
func asciiText(r *rand.Rand, n int) []byte {
	out := make([]byte, 0, n+16)
	for len(out) < n {
		out = append(out, asciiWords[r.IntN(len(asciiWords))]...)
		switch p := r.IntN(20); {
		case p == 0:
			out = append(out, ".\n"...)
		case p < 3:
			out = append(out, ", "...)
		default:
			out = append(out, ' ')
		}
	}
	return out[:n]
}

// haystack returns n bytes of ASCII text with the needles near the end:
// searchNeedleCommon 8 KiB before it, searchNeedle 4 KiB.
func haystack(r *rand.Rand, n int) []byte {
	hay := asciiText(r, n)
	copy(hay[n-min(8192, n/8):], searchNeedleCommon)
	copy(hay[n-min(4096, n/16):], searchNeedle)
	return hay
}

// mixedText returns about n bytes (whole characters, at most n) of UTF-8
// text in which 70% of the characters are ASCII and 30% are not: half of
// those Latin letters (2 bytes), a third CJK (3 bytes), the rest emoji (4
// bytes).
func mixedText(r *rand.Rand, n int) []byte {
	const ascii = "the quick brown fox jumps over the lazy dog, THE QUICK BROWN FOX. 0123456789\n"
	out := make([]byte, 0, n+4)
	for {
		var c rune
		switch p := r.IntN(100); {
		case p < 70:
			c = rune(ascii[r.IntN(len(ascii))])
		case p < 85:
			c = 0xC0 + rune(r.IntN(0x17F-0xC0)) // Latin-1 Supplement and Latin Extended-A
		case p < 95:
			c = 0x4E00 + rune(r.IntN(0x9FFF-0x4E00)) // CJK Unified Ideographs
		default:
			c = 0x1F600 + rune(r.IntN(0x50)) // emoticons
		}
		if len(out)+utf8.RuneLen(c) > n {
			return out
		}
		out = utf8.AppendRune(out, c)
	}
}

// latin1Bytes returns n bytes of Latin-1 text: 70% ASCII, 30% 0xA0..0xFF.
func latin1Bytes(r *rand.Rand, n int) []byte {
	const ascii = "the quick brown fox jumps over the lazy dog, THE QUICK BROWN FOX. 0123456789\n"
	out := make([]byte, n)
	for i := range out {
		if r.IntN(100) < 70 {
			out[i] = ascii[r.IntN(len(ascii))]
		} else {
			out[i] = byte(0xA0 + r.IntN(0x60))
		}
	}
	return out
}

// latin1ToUTF8 returns the UTF-8 of the Latin-1 bytes b: the Go string
// that stands for the JS string latin1 decoding gives.
func latin1ToUTF8(b []byte) []byte { return []byte(stdLatin1Decode(b)) }

// randomBytes returns n random bytes.
func randomBytes(r *rand.Rand, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = byte(r.Uint32())
	}
	return out
}

// --- Node ---

// nodeBench is the running `node node_bench.js`.
type nodeBench struct {
	cmd     *exec.Cmd
	in      io.WriteCloser
	out     *bufio.Reader
	version string // "v20.20.2"
}

// nodeScript finds node_bench.js: next to this source file, or in the
// working directory (bench/, as `make bench` runs it) or its bench/.
func nodeScript() (string, error) {
	var dirs []string
	if _, file, _, ok := runtime.Caller(0); ok {
		dirs = append(dirs, filepath.Dir(file))
	}
	dirs = append(dirs, ".", "bench")
	for _, d := range dirs {
		p := filepath.Join(d, "node_bench.js")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("node_bench.js not found next to bench_encoding.go or in the working directory")
}

// startNodeFor starts node_bench.js for a group and loads in into it. If
// Node cannot be measured it returns a nil *nodeBench and the row that
// says why, under contender and unit.
func startNodeFor(contender, unit string, in encInputs) (*nodeBench, []result) {
	node, err := startNodeBench()
	if err == nil && len(in) > 0 {
		if err = node.load(in); err != nil {
			node.close()
		}
	}
	if err != nil {
		return nil, []result{{caseName: "every case", contender: contender, value: math.NaN(), unit: unit,
			note: "Node is not measured: " + err.Error()}}
	}
	return node, nil
}

// sampleTime is how long one sample of a calibrated loop takes.
func sampleTime(cfg *config) time.Duration {
	if cfg.quick {
		return 2 * time.Millisecond
	}
	return 100 * time.Millisecond
}

// startNodeBench starts node_bench.js under the node on PATH and checks
// that it is Node 20.
func startNodeBench() (*nodeBench, error) {
	path, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("node not found on PATH (%v)", err)
	}
	script, err := nodeScript()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, script)
	cmd.Stderr = os.Stderr
	in, out, err := startPiped(cmd)
	if err != nil {
		return nil, fmt.Errorf("starting node: %w", err)
	}
	n := &nodeBench{cmd: cmd, in: in, out: out}
	var v struct{ Version string }
	if err := n.call(map[string]any{"op": "version"}, nil, &v); err != nil {
		n.close()
		return nil, err
	}
	if !strings.HasPrefix(v.Version, "v20.") {
		n.close()
		return nil, fmt.Errorf("node on PATH is %s, not Node 20", v.Version)
	}
	n.version = v.Version
	return n, nil
}

// call sends one request, with payload after its header line, and decodes
// the reply into reply.
func (n *nodeBench) call(req map[string]any, payload []byte, reply any) error {
	req["len"] = len(payload)
	hdr, err := json.Marshal(req)
	if err != nil {
		return err
	}
	if _, err := n.in.Write(append(hdr, '\n')); err != nil {
		return fmt.Errorf("node_bench.js: %w", err)
	}
	if _, err := n.in.Write(payload); err != nil {
		return fmt.Errorf("node_bench.js: %w", err)
	}
	line, err := n.out.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("node_bench.js: %w", err)
	}
	var e struct{ Error string }
	if json.Unmarshal(line, &e) == nil && e.Error != "" {
		return fmt.Errorf("node_bench.js: %s", e.Error)
	}
	return json.Unmarshal(line, reply)
}

// load sends every input to Node.
func (n *nodeBench) load(in encInputs) error {
	for name, b := range in {
		var ok struct{ OK bool }
		if err := n.call(map[string]any{"op": "load", "name": name}, b, &ok); err != nil {
			return err
		}
	}
	return nil
}

// run has Node do c's operation iters times and returns the seconds its
// loop took and, if check, the digest of the result.
func (n *nodeBench) run(c encCase, iters int, check bool) (float64, string, error) {
	var reply struct {
		NS    string
		Check string
	}
	req := map[string]any{"op": "run", "kind": c.kind, "enc": string(c.enc), "input": c.input,
		"needle": c.needle, "iters": iters, "check": check}
	if err := n.call(req, nil, &reply); err != nil {
		return 0, "", err
	}
	ns, err := strconv.ParseInt(reply.NS, 10, 64)
	if err != nil {
		return 0, "", fmt.Errorf("node_bench.js: bad time %q", reply.NS)
	}
	return float64(ns) / 1e9, reply.Check, nil
}

// runner times c in Node.
func (n *nodeBench) runner(c encCase) runner {
	return func(iters int) (float64, error) {
		secs, _, err := n.run(c, iters, false)
		return secs, err
	}
}

// close ends Node by closing its input, and waits for it.
func (n *nodeBench) close() {
	n.in.Close()
	n.cmd.Wait()
}
