package ipcbuf

// The recorded answers of Node: the tests that compare Go with the real
// Node.js 20 (TestNodeDifferential, TestEncodingOracle,
// TestNodeErrorMessages, TestNumericNodeMessages, TestSearchTablesNode) ask
// the live Node when node is on PATH. Without it they replay
// testdata/node_corpus.jsonl.gz, which make oracle writes from the live
// Node: Go's answers are compared with the recorded ones exactly as the
// live tests compare them. IPCBUF_REQUIRE_NODE=1 (CI, make test-node-long)
// turns a missing Node into a failure instead.
//
// The corpus holds Node's replies, not the requests: each section is made
// again from its generator and seed, and the SHA-256 of the request lines
// recorded with it says whether the section still answers the requests the
// tests make now. A section whose requests changed (a generator, or the Go
// code a generator consults, changed since make oracle) fails the test that
// replays it: it cannot be replayed, and skipping would hide the change.
// A section that is not there (a generator added since) skips, saying so.
//
// The file is gzip'd lines: a header {"node": version, "format": 1}, then
// for each section a line "#" + {"section", "seed", "n", "sha"} followed by
// its n reply lines. A buffer_oracle.js reply leaves out the buffers the
// call did not change ("bs":1 for this, 1 in "a" for an argument), which
// most calls do not: that keeps the file small.

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"hash/fnv"
	"io/fs"
	"maps"
	"math/rand"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

const (
	// nodeCorpusPath is where make oracle writes the corpus.
	nodeCorpusPath = "testdata/node_corpus.jsonl.gz"
	// requireNodeEnv, set to 1, makes a missing Node a failure.
	requireNodeEnv = "IPCBUF_REQUIRE_NODE"
	// recordNodeEnv, set to 1, lets TestNodeCorpusRecord write the corpus.
	recordNodeEnv = "IPCBUF_ORACLE_RECORD"
	// nodeCorpusCases is the least number of differential cases make
	// oracle records, spread evenly over the generators.
	nodeCorpusCases = 100000
	// nodeCorpusSeed is the seed the sections' seeds derive from.
	nodeCorpusSeed = 20261130
)

// liveNode reports whether node is on PATH, for the live tests. Without
// it the tests replay the corpus, unless IPCBUF_REQUIRE_NODE=1: then t
// fails.
func liveNode(t testing.TB) bool {
	t.Helper()
	_, err := exec.LookPath("node")
	if err == nil {
		return true
	}
	if os.Getenv(requireNodeEnv) == "1" {
		t.Fatalf("node is not on PATH (%v), and %s=1 requires the tests against the live Node.js 20", err, requireNodeEnv)
	}
	return false
}

// A corpusSection is Node's replies to one section's requests.
type corpusSection struct {
	Name    string `json:"section"`
	Seed    int64  `json:"seed"`
	N       int    `json:"n"`
	SHA     string `json:"sha"`
	replies [][]byte
}

type nodeCorpus struct {
	Node     string `json:"node"`
	Format   int    `json:"format"`
	sections map[string]*corpusSection
	order    []string
	cases    int
}

var (
	corpusOnce   sync.Once
	corpusLoaded *nodeCorpus
	corpusErr    error
)

// loadedCorpus returns the corpus, read once.
func loadedCorpus() (*nodeCorpus, error) {
	corpusOnce.Do(func() { corpusLoaded, corpusErr = readNodeCorpus(nodeCorpusPath) })
	return corpusLoaded, corpusErr
}

func readNodeCorpus(path string) (*nodeCorpus, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(nil, 1<<24)
	if !sc.Scan() {
		return nil, fmt.Errorf("%s: empty: %v", path, sc.Err())
	}
	c := &nodeCorpus{sections: map[string]*corpusSection{}}
	if err := json.Unmarshal(sc.Bytes(), c); err != nil || c.Format != 1 || c.Node == "" {
		return nil, fmt.Errorf("%s: header %q is not a format 1 corpus (%v)", path, sc.Bytes(), err)
	}
	var sec *corpusSection
	for line := 2; sc.Scan(); line++ {
		text := sc.Bytes()
		if bytes.HasPrefix(text, []byte("#")) {
			if sec != nil && len(sec.replies) != sec.N {
				return nil, fmt.Errorf("%s: section %s has %d replies, not %d", path, sec.Name, len(sec.replies), sec.N)
			}
			sec = &corpusSection{}
			if err := json.Unmarshal(text[1:], sec); err != nil || sec.Name == "" {
				return nil, fmt.Errorf("%s:%d: bad section header %q (%v)", path, line, text, err)
			}
			c.sections[sec.Name] = sec
			c.order = append(c.order, sec.Name)
			continue
		}
		if sec == nil {
			return nil, fmt.Errorf("%s:%d: a reply before any section", path, line)
		}
		sec.replies = append(sec.replies, bytes.Clone(text))
		c.cases++
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if sec != nil && len(sec.replies) != sec.N {
		return nil, fmt.Errorf("%s: section %s has %d replies, not %d", path, sec.Name, len(sec.replies), sec.N)
	}
	return c, nil
}

// corpusOrSkip returns the corpus, or skips t if there is none.
func corpusOrSkip(t testing.TB) *nodeCorpus {
	t.Helper()
	c, err := loadedCorpus()
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("node is not on PATH and there is no recorded corpus (%s) to replay: install Node.js 20, or run make oracle where it is", nodeCorpusPath)
	}
	if err != nil {
		t.Fatalf("reading the recorded answers of Node: %v (make oracle writes them again)", err)
	}
	return c
}

// nodeCorpusVersion returns the version of the Node the corpus came from.
func nodeCorpusVersion(t testing.TB) string {
	return corpusOrSkip(t).Node
}

// recordedSection returns the corpus's section name, or skips t, which
// needs Node, if the corpus has no such section.
func recordedSection(t testing.TB, name string) *corpusSection {
	t.Helper()
	c := corpusOrSkip(t)
	sec, ok := c.sections[name]
	if !ok {
		t.Skipf("node is not on PATH, and %s has no recorded answers for %q (added since the corpus was made): run make oracle where Node.js 20 is installed", nodeCorpusPath, name)
	}
	return sec
}

// requestsSHA is the digest recorded with a section: of each request line
// with its newline.
func requestsSHA(requests []string) string {
	h := sha256.New()
	for _, r := range requests {
		h.Write([]byte(r))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// replay returns the recorded reply lines to requests, after checking that
// they are the requests the section was recorded for.
func (s *corpusSection) replay(t testing.TB, requests []string) [][]byte {
	t.Helper()
	if len(requests) != s.N || requestsSHA(requests) != s.SHA {
		t.Fatalf("%s: the %d requests this test makes now are not the %d that %s recorded Node's answers to: "+
			"a generator, or the Go code it consults, changed since make oracle. Run make oracle where Node.js 20 is installed, "+
			"or install Node to run the live test", s.Name, len(requests), s.N, nodeCorpusPath)
	}
	return s.replies
}

// replayNode returns Node's recorded replies to cases of buffer_oracle.js.
func (s *corpusSection) replayNode(t testing.TB, cases []nodeCase) []nodeReply {
	t.Helper()
	lines := s.replay(t, nodeRequests(cases))
	replies := make([]nodeReply, len(cases))
	for i, c := range cases {
		reply, err := expandNodeReply(c, lines[i])
		if err != nil {
			t.Fatalf("%s: recorded reply %d %q: %v", s.Name, i, lines[i], err)
		}
		replies[i] = reply
	}
	return replies
}

// nodeReplies returns Node's replies to cases: the live Node's, or else
// those recorded in section.
func nodeReplies(t testing.TB, section string, cases []nodeCase) []nodeReply {
	t.Helper()
	if liveNode(t) {
		return startNodeOracle(t).run(t, cases)
	}
	sec := recordedSection(t, section)
	t.Logf("node is not on PATH: replaying the answers of Node %s recorded in %s", nodeCorpusVersion(t), nodeCorpusPath)
	return sec.replayNode(t, cases)
}

func nodeRequests(cases []nodeCase) []string {
	lines := make([]string, len(cases))
	for i, c := range cases {
		lines[i] = nodeRequest(c)
	}
	return lines
}

// nodeInputs returns the hex of each buffer the oracle reports on after a
// call, in its order, as the call sent them: nil for `this` given as an
// argument, whose bytes the reply gives as null.
func nodeInputs(c nodeCase) []*string {
	var ins []*string
	var add func(a any)
	add = func(a any) {
		switch v := a.(type) {
		case []byte:
			h := hex.EncodeToString(v)
			ins = append(ins, &h)
		case jsSelf:
			ins = append(ins, nil)
		case jsList:
			for _, x := range v {
				add(x)
			}
		}
	}
	for _, a := range c.args {
		add(a)
	}
	return ins
}

func decodeJSONObject(line []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(line))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

// compactNodeReply leaves out of a buffer_oracle.js reply the buffers the
// call left as they were sent.
func compactNodeReply(c nodeCase, line []byte) (string, error) {
	m, err := decodeJSONObject(line)
	if err != nil {
		return "", err
	}
	if b, ok := m["b"].(string); ok && b == hex.EncodeToString(c.this) {
		delete(m, "b")
		m["bs"] = 1
	}
	if a, ok := m["a"].([]any); ok {
		ins := nodeInputs(c)
		for i, x := range a {
			if s, ok := x.(string); ok && i < len(ins) && ins[i] != nil && s == *ins[i] {
				a[i] = 1
			}
		}
		if len(a) == 0 {
			delete(m, "a")
		}
	}
	out, err := json.Marshal(m)
	return string(out), err
}

// expandNodeReply reads a reply compactNodeReply wrote: the buffers it
// left out are the ones c sent.
func expandNodeReply(c nodeCase, line []byte) (nodeReply, error) {
	var cr struct {
		nodeReply
		BS int               `json:"bs"`
		A  []json.RawMessage `json:"a"` // shadows nodeReply.A
	}
	if err := json.Unmarshal(line, &cr); err != nil {
		return nodeReply{}, err
	}
	reply := cr.nodeReply
	if cr.BS == 1 {
		h := hex.EncodeToString(c.this)
		reply.B = &h
	}
	ins := nodeInputs(c)
	for i, raw := range cr.A {
		switch {
		case string(raw) == "null":
			reply.A = append(reply.A, nil)
		case string(raw) == "1":
			if i >= len(ins) || ins[i] == nil {
				return nodeReply{}, fmt.Errorf("argument buffer %d: 1 stands for no buffer sent", i)
			}
			reply.A = append(reply.A, ins[i])
		default:
			var h string
			if err := json.Unmarshal(raw, &h); err != nil {
				return nodeReply{}, fmt.Errorf("argument buffer %d: %v", i, err)
			}
			reply.A = append(reply.A, &h)
		}
	}
	return reply, nil
}

// A corpusSpec says how to make a section's requests again.
type corpusSpec struct {
	name string
	seed int64
	// Exactly one of these: requests for buffer_oracle.js or for
	// encoding_oracle.js.
	node func(seed int64) []nodeCase
	enc  func(seed int64) []oracleCase
}

func (s corpusSpec) requests() []string {
	if s.node != nil {
		return nodeRequests(s.node(s.seed))
	}
	return encodingRequests(s.enc(s.seed))
}

// diffCasesPerGen is how many cases make oracle records per generator.
func diffCasesPerGen() int {
	return (nodeCorpusCases + len(nodeGens) - 1) / len(nodeGens)
}

// diffCases makes n cases of generator name from seed.
func diffCases(name string, seed int64, n int) []nodeCase {
	r := rand.New(rand.NewSource(seed))
	gen := nodeGens[name]
	cases := make([]nodeCase, n)
	for i := range cases {
		cases[i] = gen(r)
	}
	return cases
}

// sectionSeed is the seed of a section, from its name.
func sectionSeed(name string) int64 {
	h := fnv.New32a()
	h.Write([]byte(name))
	return nodeCorpusSeed + int64(h.Sum32())
}

// corpusSpecs returns the sections make oracle records.
func corpusSpecs() []corpusSpec {
	specs := []corpusSpec{
		{name: "encoding", seed: oracleSeed, enc: encodingCases},
		{name: "errors", node: func(int64) []nodeCase { return errorMessageCases() }},
		{name: "numeric-messages", seed: sectionSeed("numeric-messages"), node: numericMessageCases},
		{name: "search-tables", node: func(int64) []nodeCase { cases, _ := searchTableCases(); return cases }},
	}
	names := slices.Sorted(maps.Keys(nodeGens))
	n := diffCasesPerGen()
	for _, name := range names {
		specs = append(specs, corpusSpec{
			name: "differential/" + name, seed: sectionSeed("differential/" + name),
			node: func(seed int64) []nodeCase { return diffCases(name, seed, n) },
		})
	}
	return specs
}

// replayDifferential is TestNodeDifferential without Node: each
// generator's recorded cases, compared on a Buffer of each kind in turn.
func replayDifferential(t *testing.T) {
	c := corpusOrSkip(t)
	t.Logf("node is not on PATH: replaying the answers of Node %s recorded in %s (make oracle records them; IPCBUF_REQUIRE_NODE=1 requires the live Node; IPCBUF_NODE_SEED and IPCBUF_NODE_CASES are for the live Node)", c.Node, nodeCorpusPath)
	only := regexp.MustCompile(os.Getenv("IPCBUF_NODE_ONLY"))
	arenas := openArenas(t)
	total := 0
	for _, name := range slices.Sorted(maps.Keys(nodeGens)) {
		if !only.MatchString(name) {
			continue
		}
		t.Run(name, func(t *testing.T) {
			sec := recordedSection(t, "differential/"+name)
			cases := diffCases(name, sec.Seed, sec.N)
			replies := sec.replayNode(t, cases)
			failures := 0
			for i, c := range cases {
				arena := arenas[i%len(arenas)]
				if msg := checkNodeCase(arena, c, replies[i]); msg != "" {
					if failures++; failures <= 5 {
						t.Errorf("%s on a %s buffer:\n%s", c, arena.Kind(), msg)
					}
				}
			}
			if failures > 0 {
				t.Errorf("%s: %d of %d recorded cases differ from Node %s", name, failures, len(cases), c.Node)
			}
			total += len(cases)
		})
	}
	t.Logf("replayed %d recorded cases", total)
}

// TestNodeCorpusRecord writes the corpus from the live Node: make oracle.
func TestNodeCorpusRecord(t *testing.T) {
	if os.Getenv(recordNodeEnv) != "1" {
		t.Skipf("records %s from the live Node for make oracle; runs only with %s=1", nodeCorpusPath, recordNodeEnv)
	}
	oracle := startNodeOracle(t)
	var out bytes.Buffer
	zw, err := gzip.NewWriterLevel(&out, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(zw, `{"node":%q,"format":1}`+"\n", oracle.version)
	total := 0
	codes := map[string]int{}
	for _, spec := range corpusSpecs() {
		requests := spec.requests()
		var lines []string
		if spec.node != nil {
			cases := spec.node(spec.seed)
			for i, raw := range oracle.raw(t, requests) {
				reply := parseNodeReply(t, cases[i], raw)
				if reply.Err != "" {
					codes[reply.Err]++
				}
				line, err := compactNodeReply(cases[i], raw)
				if err != nil {
					t.Fatalf("%s: reply %q: %v", spec.name, raw, err)
				}
				lines = append(lines, line)
			}
		} else {
			version, raws := runEncodingOracle(t, requests)
			if version != oracle.version {
				t.Fatalf("two Node versions answered: %s and %s", oracle.version, version)
			}
			for _, raw := range raws {
				lines = append(lines, string(raw))
			}
		}
		head, _ := json.Marshal(corpusSection{Name: spec.name, Seed: spec.seed, N: len(requests), SHA: requestsSHA(requests)})
		fmt.Fprintf(zw, "#%s\n", head)
		for _, line := range lines {
			if strings.ContainsAny(line, "\n") || strings.HasPrefix(line, "#") {
				t.Fatalf("%s: a reply line the format cannot hold: %q", spec.name, line)
			}
			fmt.Fprintln(zw, line)
		}
		total += len(lines)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	tmp := nodeCorpusPath + ".tmp"
	if err := os.WriteFile(tmp, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, nodeCorpusPath); err != nil {
		os.Remove(tmp)
		t.Fatal(err)
	}
	t.Logf("wrote %s: %d cases from Node %s, %d bytes; error codes: %v", nodeCorpusPath, total, oracle.version, out.Len(), codes)
}

// TestNodeCorpusCurrent checks the corpus against the live Node: every
// section answers the requests the tests make now, and a sample of them
// (every section's first cases, then one in eight) gets the same replies
// from this Node as the recorded ones.
func TestNodeCorpusCurrent(t *testing.T) {
	if !liveNode(t) {
		t.Skip("node is not on PATH: no live Node to check the recorded answers against (the tests replay them)")
	}
	c, err := loadedCorpus()
	if err != nil {
		t.Fatalf("the recorded answers of Node: %v; run make oracle", err)
	}
	oracle := startNodeOracle(t)
	if oracle.version != c.Node {
		t.Logf("the corpus was recorded with Node %s; this Node is %s: comparing their answers", c.Node, oracle.version)
	}
	sampled, differ := 0, 0
	specs := corpusSpecs()
	want := map[string]bool{}
	for _, spec := range specs {
		want[spec.name] = true
		sec, ok := c.sections[spec.name]
		if !ok {
			t.Errorf("%s has no section %s: run make oracle", nodeCorpusPath, spec.name)
			continue
		}
		requests := spec.requests()
		if len(requests) != sec.N || requestsSHA(requests) != sec.SHA {
			t.Errorf("%s: the requests the tests make now are not those recorded (%d now, %d recorded): run make oracle", spec.name, len(requests), sec.N)
			continue
		}
		var idx []int
		for i := range requests {
			if i < 32 || i%8 == 0 {
				idx = append(idx, i)
			}
		}
		sample := make([]string, len(idx))
		for j, i := range idx {
			sample[j] = requests[i]
		}
		var live []string
		if spec.node != nil {
			cases := spec.node(spec.seed)
			for j, raw := range oracle.raw(t, sample) {
				line, err := compactNodeReply(cases[idx[j]], raw)
				if err != nil {
					t.Fatalf("%s: live reply %q: %v", spec.name, raw, err)
				}
				live = append(live, line)
			}
		} else {
			_, raws := runEncodingOracle(t, sample)
			for _, raw := range raws {
				live = append(live, string(raw))
			}
		}
		for j, i := range idx {
			if live[j] != string(sec.replies[i]) {
				if differ++; differ <= 10 {
					t.Errorf("%s case %d: %s\nNode %s now: %s\nrecorded by Node %s: %s", spec.name, i, requests[i], oracle.version, live[j], c.Node, sec.replies[i])
				}
			}
		}
		sampled += len(idx)
	}
	for _, name := range c.order {
		if !want[name] {
			t.Errorf("%s has a section %s that no test replays: run make oracle", nodeCorpusPath, name)
		}
	}
	if differ > 0 {
		t.Errorf("%d of %d sampled answers of Node %s differ from those recorded by Node %s: run make oracle if this Node is right", differ, sampled, oracle.version, c.Node)
	}
	t.Logf("%d of the %d recorded answers (Node %s) compared with Node %s", sampled, c.cases, c.Node, oracle.version)
}

// TestNodeCorpusCovers checks what the corpus holds: at least
// nodeCorpusCases differential cases over every generator, every encoding,
// and every error code that errors.go gives and Node has.
func TestNodeCorpusCovers(t *testing.T) {
	c, err := loadedCorpus()
	if errors.Is(err, fs.ErrNotExist) {
		requireNodeCorpus(t, "there is no recorded corpus %s: run make oracle where Node.js 20 is installed", nodeCorpusPath)
	}
	if err != nil {
		t.Fatal(err)
	}
	diff := 0
	codes := map[string]bool{}
	for _, name := range c.order {
		sec := c.sections[name]
		if strings.HasPrefix(name, "differential/") {
			diff += sec.N
		}
		for _, line := range sec.replies {
			if m := errField.FindSubmatch(line); m != nil {
				codes[string(m[1])] = true
			}
		}
	}
	if diff < nodeCorpusCases {
		t.Errorf("%d differential cases recorded, want at least %d", diff, nodeCorpusCases)
	}
	for name := range nodeGens {
		if _, ok := c.sections["differential/"+name]; !ok {
			t.Logf("generator %s has no recorded cases (TestNodeDifferential skips it without Node): run make oracle", name)
		}
	}
	// The encoding section is every case of encodingCases, which runs
	// each input through every encoding; its replay checks the requests.
	if sec, ok := c.sections["encoding"]; !ok || sec.N != 2*oracleCases*len(allEncodings) || len(allEncodings) != 7 {
		t.Errorf("the encoding section does not hold %d inputs in each of the 7 encodings", 2*oracleCases)
	}
	// Every code errors.go words, unless only Go has it (errRows says so).
	goOnly := map[string]bool{}
	for _, row := range errRows() {
		if row.c.method == "" {
			goOnly[row.code] = true
		}
	}
	goCodes := errorsGoCodes(t)
	if len(goCodes) < 5 {
		t.Fatalf("found only %d ERR_ codes in errors.go (%v): has the file moved?", len(goCodes), goCodes)
	}
	for _, code := range goCodes {
		if !codes[code] && !goOnly[code] {
			t.Errorf("no recorded Node answer throws %s, which errors.go gives", code)
		}
	}
	t.Logf("%d cases in %d sections from Node %s (%d differential); error codes: %v", c.cases, len(c.order), c.Node, diff, slices.Sorted(maps.Keys(codes)))
}

// errField finds the code of a reply that threw; the recorded lines are
// json.Marshal's, so the text of the field is plain.
var errField = regexp.MustCompile(`"err":"([^"]*)"`)

// requireNodeCorpus ends t, which needs the corpus: it skips, or fails if
// IPCBUF_REQUIRE_NODE=1.
func requireNodeCorpus(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv(requireNodeEnv) == "1" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// errorsGoCodes returns the ERR_ codes written in errors.go.
func errorsGoCodes(t testing.TB) []string {
	f, err := parser.ParseFile(token.NewFileSet(), "errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			if s, err := strconv.Unquote(lit.Value); err == nil && regexp.MustCompile(`^ERR_[A-Z_]+$`).MatchString(s) {
				seen[s] = true
			}
		}
		return true
	})
	return slices.Sorted(maps.Keys(seen))
}
