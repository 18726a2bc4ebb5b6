package ipcbuf

// The differential test against the real Node: every generator registered
// with registerNodeGen makes random calls of one Buffer method; each call
// runs in Node (testdata/buffer_oracle.js) and in Go on a Buffer of each
// kind in turn, and the results, the errors' codes and the bytes afterwards
// must agree.

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ipcbuf/ipcbuf/internal/testenv"
)

// Tags for Node arguments that have no Go value of their own. Plain Go
// values are sent as themselves: string (by its JS code units), []byte (a
// new Buffer), int and int64 (a Number), float64 (a Number, bit-exact), bool.
type (
	jsUndefined struct{}
	jsNull      struct{}
	jsSelf      struct{} // the `this` Buffer itself, for overlapping calls
	jsBigInt    string   // a BigInt, in decimal
	jsNumber    string   // a Number from its JS text: "1.5", "NaN", "-0"
	jsList      []any    // an Array
)

// A nodeCase is one call. method is Node's name ("readUInt8"), or
// "Buffer.name" for a static function, whose this, if not empty, is sent
// only to stand for jsSelf arguments.
type nodeCase struct {
	method string
	this   []byte
	args   []any
	// goCall makes the same call in Go on b, a Buffer of some kind holding
	// this; bufs holds a Buffer for each []byte or jsSelf argument, in order.
	// It returns the Go result: nil where Node returns undefined or this.
	goCall func(b *Buffer, bufs []*Buffer) (any, error)
}

// nodeGens are the generators, by the name counted in the report.
var nodeGens = map[string]func(r *rand.Rand) nodeCase{}

func registerNodeGen(name string, gen func(r *rand.Rand) nodeCase) {
	if _, dup := nodeGens[name]; dup {
		panic("two node generators named " + name)
	}
	nodeGens[name] = gen
}

// nodeOracle is a running buffer_oracle.js.
type nodeOracle struct {
	version string // process.version
	cmd     *exec.Cmd
	in      io.WriteCloser
	out     *bufio.Reader
}

func startNodeOracle(t testing.TB) *nodeOracle {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("Node.js 20 is required on PATH for the differential tests: %v", err)
	}
	cmd := exec.Command(node, filepath.Join("testdata", "buffer_oracle.js"))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	o := &nodeOracle{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<20)}
	t.Cleanup(func() { in.Close(); cmd.Wait() })
	fmt.Fprintln(in, "version")
	line, err := o.out.ReadBytes('\n')
	if err != nil {
		t.Fatalf("node oracle: %v", err)
	}
	var v struct{ R struct{ V string } }
	json.Unmarshal(line, &v)
	if !strings.HasPrefix(v.R.V, "v20.") {
		t.Fatalf("the differential tests need Node.js 20; node is %q", v.R.V)
	}
	o.version = v.R.V
	return o
}

type nodeReply struct {
	Err string `json:"err"`
	Msg string `json:"msg"`
	R   struct {
		T      string `json:"t"`
		V      any    `json:"v"`
		H      string `json:"h"`
		Shared bool   `json:"shared"`
	} `json:"r"`
	B *string   `json:"b"`
	A []*string `json:"a"`
}

// nodeRequest is the line that asks buffer_oracle.js for c.
func nodeRequest(c nodeCase) string {
	var w strings.Builder
	w.WriteString(`{"m":"` + c.method + `"`)
	if !strings.HasPrefix(c.method, "Buffer.") || len(c.this) > 0 {
		w.WriteString(`,"b":"` + hex.EncodeToString(c.this) + `"`)
	}
	w.WriteString(`,"a":[`)
	for i, a := range c.args {
		if i > 0 {
			w.WriteByte(',')
		}
		w.WriteString(jsArg(a))
	}
	w.WriteString("]}")
	return w.String()
}

// run sends a batch of cases and returns Node's replies in order.
func (o *nodeOracle) run(t testing.TB, cases []nodeCase) []nodeReply {
	lines := make([]string, len(cases))
	for i, c := range cases {
		lines[i] = nodeRequest(c)
	}
	replies := make([]nodeReply, len(cases))
	for i, line := range o.raw(t, lines) {
		replies[i] = parseNodeReply(t, cases[i], line)
	}
	return replies
}

// parseNodeReply reads Node's reply to c.
func parseNodeReply(t testing.TB, c nodeCase, line []byte) nodeReply {
	t.Helper()
	var reply nodeReply
	if err := json.Unmarshal(line, &reply); err != nil {
		t.Fatalf("node oracle reply %q: %v", line, err)
	}
	if reply.Err == "ORACLE" {
		t.Fatalf("node oracle failed on %s: %s", c, reply.Msg)
	}
	return reply
}

// raw sends request lines in batches small enough for the pipes (Node
// writes to a pipe synchronously, so it stops reading while its replies
// wait) and returns the reply lines in order.
func (o *nodeOracle) raw(t testing.TB, lines []string) [][]byte {
	const batch = 512
	replies := make([][]byte, 0, len(lines))
	for len(lines) > 0 {
		n := min(batch, len(lines))
		w := bufio.NewWriterSize(o.in, 1<<20)
		for _, line := range lines[:n] {
			w.WriteString(line)
			w.WriteByte('\n')
		}
		w.WriteString("flush\n")
		if err := w.Flush(); err != nil {
			t.Fatalf("node oracle: %v", err)
		}
		for range n {
			line, err := o.out.ReadBytes('\n')
			if err != nil {
				t.Fatalf("node oracle: %v", err)
			}
			replies = append(replies, bytes.TrimSuffix(line, []byte("\n")))
		}
		lines = lines[n:]
	}
	return replies
}

// jsArg writes one argument in the oracle's tagged form.
func jsArg(a any) string {
	switch v := a.(type) {
	case jsUndefined:
		return `{"u":1}`
	case jsNull:
		return `{"null":1}`
	case jsSelf:
		return `{"self":1}`
	case jsBigInt:
		return `{"big":"` + string(v) + `"}`
	case jsNumber:
		return `{"n":"` + string(v) + `"}`
	case jsList:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = jsArg(x)
		}
		return `{"list":[` + strings.Join(parts, ",") + `]}`
	case string:
		u := appendUnits(nil, v)
		b := make([]byte, 2*len(u))
		for i, c := range u {
			b[2*i], b[2*i+1] = byte(c), byte(c>>8)
		}
		return `{"s":"` + hex.EncodeToString(b) + `"}`
	case []byte:
		return `{"b":"` + hex.EncodeToString(v) + `"}`
	case int:
		return `{"n":"` + strconv.Itoa(v) + `"}`
	case int64:
		return `{"n":"` + strconv.FormatInt(v, 10) + `"}`
	case float64:
		return `{"f":"` + fmt.Sprintf("%016x", math.Float64bits(v)) + `"}`
	case bool:
		return `{"bool":` + strconv.FormatBool(v) + `}`
	}
	panic(fmt.Sprintf("no JS form for %T", a))
}

func (c nodeCase) String() string {
	args := make([]string, len(c.args))
	for i, a := range c.args {
		switch v := a.(type) {
		case []byte:
			args[i] = "<Buffer " + hex.EncodeToString(v) + ">"
		case string:
			args[i] = strconv.QuoteToASCII(v)
		case jsUndefined:
			args[i] = "undefined"
		case jsNull:
			args[i] = "null"
		default:
			args[i] = fmt.Sprintf("%v", a)
		}
	}
	recv := "Buffer"
	if !strings.HasPrefix(c.method, "Buffer.") {
		recv = "<Buffer " + hex.EncodeToString(c.this) + ">."
	} else {
		recv = ""
	}
	return recv + c.method + "(" + strings.Join(args, ", ") + ")"
}

// The arenas: one shared buffer of each kind that the build has, from which
// each case takes views, with guard bytes around them.
const (
	arenaSize = 1 << 20
	guard     = 16
	guardByte = 0xA5
)

func openArenas(t testing.TB) []*Buffer {
	arenas := []*Buffer{}
	mem, _ := Alloc(arenaSize)
	arenas = append(arenas, mem)
	prefix := fmt.Sprintf("ipcbuf-test-%d-", os.Getpid())
	if KindPOSIX.Supported() {
		name := prefix + "oracle"
		b, err := OpenShm(name, arenaSize, Exclusive())
		if err != nil {
			t.Fatal(err)
		}
		RemoveShm(name) // stays mapped until closed; nothing to leave behind
		arenas = append(arenas, b)
	}
	if KindFile.Supported() {
		b, err := OpenFile(filepath.Join(testenv.TempDir(t), "oracle"), arenaSize, Exclusive())
		if err != nil {
			t.Fatal(err)
		}
		arenas = append(arenas, b)
	}
	if KindSysV.Supported() {
		key := 0x5e000000 | os.Getpid()&0xffffff
		b, err := OpenSysV(key, arenaSize, Exclusive())
		if err != nil {
			t.Fatal(err)
		}
		RemoveSysV(key)
		arenas = append(arenas, b)
	}
	t.Cleanup(func() {
		for _, a := range arenas {
			a.Close()
		}
	})
	return arenas
}

// A span is where place put one buffer in an arena.
type span struct{ start, n int }

// place copies the case's buffers into views of arena, each between guard
// bytes, and returns this, the argument Buffers and where they are.
func place(arena *Buffer, c nodeCase) (*Buffer, []*Buffer, []span) {
	mem := arena.Bytes()
	off := 0
	var spans []span
	put := func(p []byte) *Buffer {
		for i := range guard {
			mem[off+i] = guardByte
		}
		off += guard
		spans = append(spans, span{off, len(p)})
		copy(mem[off:], p)
		v := arena.Slice(off, off+len(p))
		off += len(p)
		for i := range guard {
			mem[off+i] = guardByte
		}
		off += guard
		return v
	}
	b := put(c.this)
	var bufs []*Buffer
	var add func(a any)
	add = func(a any) {
		switch v := a.(type) {
		case []byte:
			bufs = append(bufs, put(v))
		case jsSelf:
			bufs = append(bufs, b)
		case jsList:
			for _, x := range v {
				add(x)
			}
		}
	}
	for _, a := range c.args {
		add(a)
	}
	return b, bufs, spans
}

// guardsIntact reports whether the guard bytes around every span are
// intact.
func guardsIntact(arena *Buffer, spans []span) bool {
	mem := arena.Bytes()
	for _, s := range spans {
		for j := 1; j <= guard; j++ {
			if mem[s.start-j] != guardByte || mem[s.start+s.n+j-1] != guardByte {
				return false
			}
		}
	}
	return true
}

func TestNodeDifferential(t *testing.T) {
	if !liveNode(t) {
		replayDifferential(t)
		return
	}
	total := 20000
	if v := os.Getenv("IPCBUF_NODE_CASES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("IPCBUF_NODE_CASES: %v", err)
		}
		if n < 1 {
			t.Fatalf("IPCBUF_NODE_CASES=%d: compares nothing; give at least 1", n)
		}
		total = n
	}
	seed := time.Now().UnixNano()
	if v := os.Getenv("IPCBUF_NODE_SEED"); v != "" {
		s, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatalf("IPCBUF_NODE_SEED: %v", err)
		}
		seed = s
	}
	t.Logf("seed %d, %d cases; rerun with IPCBUF_NODE_SEED=%d", seed, total, seed)
	defer func() {
		if t.Failed() {
			t.Logf("to rerun: IPCBUF_NODE_SEED=%d IPCBUF_NODE_CASES=%d go test -run TestNodeDifferential .", seed, total)
		}
	}()
	only := regexp.MustCompile(os.Getenv("IPCBUF_NODE_ONLY")) // e.g. IPCBUF_NODE_ONLY='^(fill|copy)$'
	names := make([]string, 0, len(nodeGens))
	for name := range nodeGens {
		if only.MatchString(name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	if len(names) == 0 {
		t.Fatalf("no generator's name matches IPCBUF_NODE_ONLY=%q (of %d registered)", only, len(nodeGens))
	}
	oracle := startNodeOracle(t)
	arenas := openArenas(t)
	r := rand.New(rand.NewSource(seed))
	counts := map[string]int{}
	failures := map[string]int{} // by generator: each reports its first few only
	const batch = 512
	for done := 0; done < total; {
		n := min(batch, total-done)
		cases := make([]nodeCase, n)
		caseNames := make([]string, n)
		for i := range cases {
			caseNames[i] = names[(done+i)%len(names)]
			cases[i] = nodeGens[caseNames[i]](r)
		}
		replies := oracle.run(t, cases)
		for i, c := range cases {
			arena := arenas[(done+i)%len(arenas)]
			if msg := checkNodeCase(arena, c, replies[i]); msg != "" {
				if failures[caseNames[i]]++; failures[caseNames[i]] <= 5 {
					t.Errorf("%s on a %s buffer:\n%s", c, arena.Kind(), msg)
				}
			}
			counts[caseNames[i]]++
		}
		done += n
	}
	var sb strings.Builder
	for _, name := range names {
		fmt.Fprintf(&sb, "%s=%d ", name, counts[name])
		if failures[name] > 0 {
			t.Errorf("%s: %d of %d cases differ from Node", name, failures[name], counts[name])
		}
	}
	t.Logf("cases per method: %s", sb.String())
}

// checkNodeCase runs c in Go on a view of arena and compares with Node's
// reply; it returns what differs, or "".
func checkNodeCase(arena *Buffer, c nodeCase, want nodeReply) (msg string) {
	b, bufs, spans := place(arena, c)
	var got any
	var err error
	func() {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("PANIC: %v", p)
			}
		}()
		got, err = c.goCall(b, bufs)
	}()
	var problems []string
	if want.Err != "" {
		var nerr *Error
		switch {
		case err == nil:
			problems = append(problems, fmt.Sprintf("Node throws %s (%s); Go returned %v and no error", want.Err, want.Msg, show(got)))
		case !errors.As(err, &nerr) && strings.HasPrefix(want.Err, "ERR_"):
			problems = append(problems, fmt.Sprintf("Node throws %s (%s); Go's error %q carries no code", want.Err, want.Msg, err))
		case nerr != nil && nerr.Code != want.Err:
			problems = append(problems, fmt.Sprintf("Node throws %s (%s); Go's error has code %s: %v", want.Err, want.Msg, nerr.Code, err))
		}
	} else if err != nil {
		problems = append(problems, fmt.Sprintf("Go error %v; Node returns %+v", err, want.R))
	} else if p := compareResult(got, want); p != "" {
		problems = append(problems, p)
	}
	all := append([]*Buffer{b}, bufs...)
	wantBufs := append([]*string{want.B}, want.A...)
	for i, gb := range all {
		if i >= len(wantBufs) || wantBufs[i] == nil {
			continue
		}
		if gotHex := hex.EncodeToString(gb.Bytes()); gotHex != *wantBufs[i] {
			what := "this"
			if i > 0 {
				what = fmt.Sprintf("argument buffer %d", i)
			}
			problems = append(problems, fmt.Sprintf("%s afterwards: Go %s, Node %s", what, gotHex, *wantBufs[i]))
		}
	}
	if !guardsIntact(arena, spans) {
		problems = append(problems, "Go wrote outside the buffer")
	}
	return strings.Join(problems, "\n")
}

func show(v any) string {
	if b, ok := v.(*Buffer); ok && b != nil {
		return "<Buffer " + hex.EncodeToString(b.Bytes()) + ">"
	}
	return fmt.Sprintf("%#v", v)
}

// compareResult compares a Go result with Node's.
func compareResult(got any, want nodeReply) string {
	r := want.R
	mismatch := func() string { return fmt.Sprintf("Go returned %s; Node %+v", show(got), r) }
	switch r.T {
	case "u", "this":
		if got != nil {
			return mismatch()
		}
	case "n", "big":
		text, _ := r.V.(string)
		switch g := got.(type) {
		case float32:
			return compareFloat(float64(g), text, mismatch)
		case float64:
			return compareFloat(g, text, mismatch)
		case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
			if fmt.Sprint(g) != text {
				return mismatch()
			}
		default:
			return mismatch()
		}
	case "s":
		units, err := unitsFromHex(r.H)
		if err != nil {
			return err.Error()
		}
		if g, ok := got.(string); !ok || g != fromUnits(units) {
			return mismatch()
		}
	case "bool":
		if g, ok := got.(bool); !ok || g != r.V.(bool) {
			return mismatch()
		}
	case "buf":
		var gb []byte
		switch g := got.(type) {
		case *Buffer:
			gb = g.Bytes()
		case []byte:
			gb = g
		default:
			return mismatch()
		}
		if hex.EncodeToString(gb) != r.H {
			return mismatch()
		}
	case "json":
		var g string
		switch v := got.(type) {
		case []byte:
			g = string(v)
		case string:
			g = v
		}
		if g != r.V.(string) {
			return mismatch()
		}
	default:
		return "unknown Node result " + r.T
	}
	return ""
}

func compareFloat(g float64, text string, mismatch func() string) string {
	var w float64
	switch text {
	case "NaN":
		if !math.IsNaN(g) {
			return mismatch()
		}
		return ""
	case "Infinity":
		w = math.Inf(1)
	case "-Infinity":
		w = math.Inf(-1)
	default:
		var err error
		if w, err = strconv.ParseFloat(text, 64); err != nil {
			return mismatch()
		}
	}
	if math.Float64bits(g) != math.Float64bits(w) {
		return mismatch()
	}
	return ""
}
