package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/ipcbuf/ipcbuf"

	"github.com/ipcbuf/ipcbuf/internal/testenv"
)

// Every POSIX object and System V segment the tests create is named after
// the test process's pid, so that test processes running at once (go test
// ./... runs packages in parallel) never meet, and TestMain can tell which
// objects are its own when it looks for leftovers.
var (
	testPid       = os.Getpid()
	testShmPrefix = fmt.Sprintf("ipcbuf-test-%d-", testPid)
	testShmSeq    atomic.Int32
	testKeySeq    atomic.Int32
)

// testShmName returns a POSIX object name no other test uses.
func testShmName() string { return fmt.Sprintf("%s%d", testShmPrefix, testShmSeq.Add(1)) }

// testKeyBase is where this process's System V keys start: the top bit set,
// the pid (below 2^22 on Linux) in the next 22 bits and 9 bits for
// testKey's sequence number. Such a key is never 0 and never a demo's
// (0x69…).
var testKeyBase = 1<<31 | testPid<<9

// testKey returns a System V key no other test uses.
func testKey(t *testing.T) int {
	n := int(testKeySeq.Add(1))
	if n >= 1<<9 {
		t.Fatalf("more than %d System V keys in one test process: widen testKey's sequence bits", 1<<9-1)
	}
	return testKeyBase + n
}

// isTestKey reports whether key is one testKey can return in this process.
func isTestKey(key int) bool { return key > testKeyBase && key < testKeyBase+1<<9 }

// TestMain fails the run if any test left a POSIX object or System V
// segment of this process behind, and removes it, so that one leaky test
// cannot fill the machine.
func TestMain(m *testing.M) {
	code := m.Run()
	if os.Getenv(ciEnv) == "1" {
		// Also covers the tests that only do more when a kind is there.
		for _, kind := range []ipcbuf.Kind{ipcbuf.KindPOSIX, ipcbuf.KindFile, ipcbuf.KindSysV} {
			if !kind.Supported() && leftOut(kind) == "" {
				fmt.Fprintf(os.Stderr, "FAIL: %s=1 (CI) and this build has no %s buffers though no build tag or CGO_ENABLED=0 asked to leave them out\n", ciEnv, kind)
				code = 1
			}
		}
	}
	for _, target := range leftovers() {
		fmt.Fprintf(os.Stderr, "left behind by the tests: %s\n", target)
		if sem, ok := strings.CutPrefix(target, "semaphore "); ok {
			_ = ipcbuf.RemoveSemaphore(sem)
		} else {
			_ = ipcbuf.Remove(target)
		}
		code = 1
	}
	os.Exit(code)
}

// leftovers lists, as targets, the POSIX objects and System V segments this
// process's tests or in-process demos created and did not remove, and the
// named semaphores, as "semaphore TARGET".
func leftovers() []string {
	var found []string
	entries, _ := os.ReadDir("/dev/shm")
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), testShmPrefix) || e.Name() == demoShmName(testPid) {
			found = append(found, "*"+e.Name())
		}
		if strings.HasPrefix(e.Name(), "sem."+testShmPrefix) {
			found = append(found, "semaphore *"+strings.TrimPrefix(e.Name(), "sem."))
		}
	}
	found = append(found, sectionLeftovers()...)
	for _, key := range keysIn("/proc/sysvipc/sem") {
		if isTestKey(key) {
			found = append(found, fmt.Sprintf("semaphore %#x", key))
		}
	}
	for _, key := range sysvKeys() {
		if isTestKey(key) || key == demoKey(testPid) {
			found = append(found, fmt.Sprintf("%#x", key))
		}
	}
	return found
}

// sysvKeys returns the keys of every System V segment on the system, from
// /proc/sysvipc/shm (first column, decimal). Segments marked for removal
// but still attached show key 0 and are left out.
func sysvKeys() []int { return keysIn("/proc/sysvipc/shm") }

// keysIn returns the keys listed in a /proc/sysvipc file (shm: segments,
// sem: semaphore sets).
func keysIn(path string) []int {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var keys []int
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Scan() // the header line
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		// key_t is signed: keys above 2^31 show as negative numbers.
		if k, err := strconv.ParseInt(fields[0], 10, 64); err == nil && k != 0 {
			keys = append(keys, int(uint32(k)))
		}
	}
	return keys
}

// removeAtCleanup removes target when t ends, whether or not the test got
// as far as removing it itself.
func removeAtCleanup(t *testing.T, target string) {
	t.Helper()
	t.Cleanup(func() {
		if err := ipcbuf.Remove(target); err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("removing %s: %v", target, err)
		}
	})
}

// exists reports whether target's object exists, asking the system
// directly rather than through the command under test.
func exists(t *testing.T, target string) bool {
	t.Helper()
	kind, name, key, err := ipcbuf.ParseTarget(target)
	if err != nil {
		t.Fatalf("ParseTarget(%q): %v", target, err)
	}
	switch kind {
	case ipcbuf.KindPOSIX:
		_, err = os.Stat(filepath.Join("/dev/shm", name))
		return err == nil
	case ipcbuf.KindSysV:
		for _, k := range sysvKeys() {
			if k == key {
				return true
			}
		}
		return false
	}
	_, err = os.Stat(name)
	return err == nil
}

// kindCase is one kind of object the command can address, with a fresh
// target for it.
type kindCase struct {
	kind   string
	target func(t *testing.T) string
}

// addressableKinds are the kinds a target can name. Memory buffers have no
// name, so the command cannot reach them.
var addressableKinds = []kindCase{
	{"posix", func(t *testing.T) string { return "*" + testShmName() }},
	{"file", func(t *testing.T) string { return filepath.Join(testenv.TempDir(t), "buf") }},
	{"sysv", func(t *testing.T) string { return strconv.Itoa(testKey(t)) }},
}

// forEachKind runs f in a subtest for each addressable kind, with a fresh
// target that is removed when the subtest ends.
func forEachKind(t *testing.T, f func(t *testing.T, target string)) {
	for _, k := range addressableKinds {
		t.Run(k.kind, func(t *testing.T) {
			if k.kind == "posix" {
				skipOnWindows(t, "a named section lives only while a process holds it, so what one command puts in it is gone when the command ends (windows_test.go tests sections held by the test)")
			}
			target := k.target(t)
			requireKind(t, target)
			removeAtCleanup(t, target)
			f(t, target)
		})
	}
}

// inBuild reports whether this build of the library has target's kind: the
// Makefile also tests builds whose tags leave POSIX or System V out. The
// probe opens the test's own fresh target without creating it, so it can
// only fail; how it fails tells.
func inBuild(t *testing.T, target string) bool {
	t.Helper()
	b, err := ipcbuf.Open(target, 0, ipcbuf.OpenOnly())
	if err == nil {
		b.Close()
		t.Fatalf("%s exists before the test made it", target)
	}
	return !errors.Is(err, errors.ErrUnsupported)
}

// requireKind skips the rest of t if this build leaves target's kind out,
// after checking that every command then says so instead of doing
// something else.
func requireKind(t *testing.T, target string) {
	t.Helper()
	if inBuild(t, target) {
		return
	}
	if kind, _, _, _ := ipcbuf.ParseTarget(target); kind == ipcbuf.KindSysV && runtime.GOOS == "windows" {
		mustFail(t, 1, "System V shared memory does not exist on Windows", "put", "--size", "8", target, "x")
		mustFail(t, 1, "does not exist on Windows", "get", target)
		mustFail(t, 1, "does not exist on Windows", "rm", target)
		t.Skip("Windows has no System V; checked that put, get and rm say so")
	}
	mustFail(t, 1, "not in this build", "put", "--size", "8", target, "x")
	mustFail(t, 1, "not in this build", "get", target)
	mustFail(t, 1, "not in this build", "rm", target)
	kind, _, _, err := ipcbuf.ParseTarget(target)
	if err != nil {
		t.Fatalf("ParseTarget(%q): %v", target, err)
	}
	if how := leftOut(kind); how != "" {
		t.Skipf("this build leaves out the kind of %s (%s); checked that put, get and rm say so", target, how)
	}
	requireOrSkip(t, "this build has no %s buffers, though no build tag or CGO_ENABLED=0 asked to leave them out (is cgo off for want of a C compiler?)", kind)
}

// ciEnv is the environment variable CI sets to 1: see internal/testenv.
const ciEnv = testenv.CIEnv

// requireOrSkip ends t, which cannot run on this machine for reason: it
// skips, or under CI (IPCBUF_CI=1) fails.
func requireOrSkip(t testing.TB, format string, args ...any) {
	t.Helper()
	testenv.RequireOrSkip(t, format, args...)
}

// leftOut returns how the build of this test binary was asked to leave out
// kind's backend, or "" if it was not: its build tag, or CGO_ENABLED=0 set
// in the environment (go test keeps it there for the test binary). A
// CGO_ENABLED=0 that go chose itself, finding no C compiler, does not
// count. On a system other than Linux it is also the reason ipcbuf lacks
// kind there by design (testenv.NotOnThisSystem: System V on Windows), so
// that TestMain does not count it missing under CI (IPCBUF_CI=1). The library's tests hold the same function.
func leftOut(kind ipcbuf.Kind) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return testenv.NotOnThisSystem(kind.String())
	}
	var tags []string
	cgoOff := false
	for _, s := range info.Settings {
		switch s.Key {
		case "-tags":
			tags = strings.Split(s.Value, ",")
		case "CGO_ENABLED":
			cgoOff = s.Value == "0"
		}
	}
	tag := map[ipcbuf.Kind]string{ipcbuf.KindPOSIX: "ipcbuf_noposix", ipcbuf.KindSysV: "ipcbuf_nosysv"}[kind]
	switch {
	case tag != "" && slices.Contains(tags, tag):
		return "build tag " + tag
	case cgoOff && os.Getenv("CGO_ENABLED") == "0":
		return "CGO_ENABLED=0"
	}
	return testenv.NotOnThisSystem(kind.String())
}

// result is what one in-process run of the command did.
type result struct {
	stdout, stderr string
	code           int
}

func ipcbufRun(args ...string) result {
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return result{stdout.String(), stderr.String(), code}
}

// mustRun runs the command and fails the test unless it succeeds with
// nothing on stderr; it returns stdout.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	r := ipcbufRun(args...)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("ipcbuf %q: status %d, stderr %q", args, r.code, r.stderr)
	}
	return r.stdout
}

// mustFail runs the command and fails the test unless it exits with code
// and an "ipcbuf: " message on stderr that contains want, and nothing on
// stdout.
func mustFail(t *testing.T, code int, want string, args ...string) {
	t.Helper()
	r := ipcbufRun(args...)
	if r.code != code || !strings.HasPrefix(r.stderr, "ipcbuf: ") || !strings.Contains(r.stderr, want) || r.stdout != "" {
		t.Fatalf("ipcbuf %q: status %d, stdout %q, stderr %q; want status %d and an ipcbuf: error containing %q",
			args, r.code, r.stdout, r.stderr, code, want)
	}
}

// notFound is how the system says that an object does not exist:
// "no such file or directory" on Linux; on Windows, what FormatMessage
// says of ERROR_FILE_NOT_FOUND (Wine: "File not found.").
var notFound = syscall.Errno(2).Error()

func expect(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

func TestPutGetRm(t *testing.T) {
	forEachKind(t, func(t *testing.T, target string) {
		expect(t, "put --size 32 (utf8)", mustRun(t, "put", "--size", "32", target, "hello, wörld"), "13\n")
		expect(t, "get --end 13", mustRun(t, "get", "--end", "13", target), "hello, wörld")
		// Without --end, get decodes the whole buffer, zero bytes and all.
		expect(t, "get", mustRun(t, "get", target), "hello, wörld"+strings.Repeat("\x00", 19))

		expect(t, "put --offset 20 --enc hex", mustRun(t, "put", "--offset", "20", "--enc", "hex", target, "cafe01"), "3\n")
		expect(t, "get --start 20 --end 23 --enc hex", mustRun(t, "get", "--start", "20", "--end", "23", "--enc", "hex", target), "cafe01")
		want := fmt.Sprintf("%x", "hello, wörld") + strings.Repeat("00", 7) + "cafe01" + strings.Repeat("00", 9)
		expect(t, "get --enc HEX", mustRun(t, "get", "--enc", "HEX", target), want)

		// Node's buf.write writes what fits and says how much.
		expect(t, "put --offset 28", mustRun(t, "put", "--offset", "28", target, "123456789"), "4\n")
		expect(t, "get --start 28", mustRun(t, "get", "--start", "28", target), "1234")

		expect(t, "rm", mustRun(t, "rm", target), "")
		if exists(t, target) {
			t.Fatalf("%s still exists after rm", target)
		}
		mustFail(t, 1, notFound, "get", target)
		mustFail(t, 1, notFound, "rm", target)
	})
}

func TestPutSizeOnlyCreates(t *testing.T) {
	forEachKind(t, func(t *testing.T, target string) {
		if exists(t, target) {
			t.Fatalf("%s exists before the test", target)
		}
		expect(t, "put --size 8", mustRun(t, "put", "--size", "8", target, "ab"), "2\n")
		expect(t, "get --enc hex", mustRun(t, "get", "--enc", "hex", target), "6162000000000000")
		// An existing object keeps its size whatever --size says: not grown
		// to 100 bytes, and not mapped as 4 either, so offset 6 still fits.
		expect(t, "put --size 100 (existing)", mustRun(t, "put", "--size", "100", "--offset", "6", target, "yz"), "2\n")
		expect(t, "put --size 4 (existing)", mustRun(t, "put", "--size", "4", "--offset", "6", target, "YZ"), "2\n")
		expect(t, "get --enc hex", mustRun(t, "get", "--enc", "hex", target), "616200000000595a")
	})
}

func TestPutMissingWithoutSize(t *testing.T) {
	forEachKind(t, func(t *testing.T, target string) {
		mustFail(t, 1, notFound+" (give --size N to create it)", "put", target, "x")
		mustFail(t, 1, notFound+" (give --size N to create it)", "put", "--size", "0", target, "x")
		mustFail(t, 1, notFound, "get", target)
		if exists(t, target) {
			t.Fatalf("a failed put created %s", target)
		}
	})
}

func TestFileTargetIsTheFile(t *testing.T) {
	t.Chdir(testenv.TempDir(t))
	// "./123" is the file named 123, not System V key 123.
	expect(t, "put --size 6 ./123", mustRun(t, "put", "--size", "6", "./123", "héllo"), "6\n")
	data, err := os.ReadFile("123")
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "file contents", string(data), "héllo")
	expect(t, "rm ./123", mustRun(t, "rm", "./123"), "")
	if _, err := os.Stat("123"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("file 123 after rm: %v", err)
	}
}

func TestBadTarget(t *testing.T) {
	for _, tc := range []struct{ target, want string }{
		{"", "empty target"},
		{"*", "empty POSIX shared memory name"},
		{"*a/b", "contains '/'"},
		{"*" + strings.Repeat("n", 256), "the limit is 255"},
		{"0", "IPC_PRIVATE"},
		{"0x0", "IPC_PRIVATE"},
		{"0x100000000", "out of range"},
		{"99999999999", "out of range"},
		{"a\x00b", "NUL"},
	} {
		for _, args := range [][]string{
			{"put", "--size", "8", tc.target, "x"},
			{"get", tc.target},
			{"rm", tc.target},
		} {
			mustFail(t, 2, "bad TARGET", args...)
			mustFail(t, 2, tc.want, args...)
		}
	}
}

func TestBadEncoding(t *testing.T) {
	forEachKind(t, func(t *testing.T, target string) {
		// Checked before opening: the object is not created.
		mustFail(t, 2, `invalid value "nope" for flag -enc: unknown encoding: nope`, "put", "--size", "8", "--enc", "nope", target, "x")
		if exists(t, target) {
			t.Fatalf("put with a bad --enc created %s", target)
		}
		mustRun(t, "put", "--size", "8", target, "x")
		mustFail(t, 2, "unknown encoding", "get", "--enc", "nope", target)
		mustFail(t, 2, "unknown encoding", "get", "--enc", "", target)
		mustFail(t, 2, "unknown encoding", "put", "--enc", "utf 8", target, "x")
	})
}

func TestEncodings(t *testing.T) {
	target := filepath.Join(testenv.TempDir(t), "buf")
	mustRun(t, "put", "--size", "16", target, "")
	for _, tc := range []struct {
		enc, in, n, hex string
	}{
		{"utf8", "é", "2", "c3a9"},
		{"utf-8", "é", "2", "c3a9"},
		{"ucs2", "hi", "4", "68006900"},
		{"UTF-16LE", "hi", "4", "68006900"},
		{"latin1", "é", "1", "e9"},
		{"binary", "é", "1", "e9"},
		{"ascii", "A", "1", "41"},
		{"base64", "aGk=", "2", "6869"},
		{"base64url", "_-8", "2", "ffef"},
		{"hex", "00ff", "2", "00ff"},
	} {
		expect(t, "put --enc "+tc.enc, mustRun(t, "put", "--enc", tc.enc, target, tc.in), tc.n+"\n")
		n, _ := strconv.Atoi(tc.n)
		expect(t, "bytes after put --enc "+tc.enc, mustRun(t, "get", "--end", tc.n, "--enc", "hex", target), tc.hex)
		expect(t, "get --enc "+tc.enc, mustRun(t, "get", "--end", strconv.Itoa(n), "--enc", tc.enc, target), tc.in)
	}
}

func TestOffsetOutOfRange(t *testing.T) {
	forEachKind(t, func(t *testing.T, target string) {
		mustRun(t, "put", "--size", "8", target, "")
		mustFail(t, 1, `"offset" is out of range`, "put", "--offset", "9", target, "x")
		mustFail(t, 1, `"offset" is out of range`, "put", "--offset", "-1", target, "x")
		// Offset 8 is the end: Node writes nothing there, and so does put.
		expect(t, "put --offset 8", mustRun(t, "put", "--offset", "8", target, "x"), "0\n")
	})
}

func TestGetRanges(t *testing.T) {
	target := filepath.Join(testenv.TempDir(t), "buf")
	mustRun(t, "put", "--size", "6", target, "abcdef")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "abcdef"},
		{[]string{"--start", "2"}, "cdef"},
		{[]string{"--end", "2"}, "ab"},
		{[]string{"--start", "1", "--end", "3"}, "bc"},
		{[]string{"--start", "-5"}, "abcdef"},               // below 0 means 0
		{[]string{"--end", "99"}, "abcdef"},                 // past the end means the end
		{[]string{"--end", "0"}, ""},                        // an empty range, not "the default"
		{[]string{"--start", "4", "--end", "2"}, ""},        // end before start
		{[]string{"--start", "9"}, ""},                      // start past the end
		{[]string{"--end", "-1"}, ""},                       // Node does not count back from the end here
		{[]string{"--enc", "base64", "--end", "3"}, "YWJj"}, // flags in any order
	} {
		args := append(append([]string{"get"}, tc.args...), target)
		expect(t, fmt.Sprint(args), mustRun(t, args...), tc.want)
	}
}

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		code   int
		stdout bool // usage on stdout rather than stderr
		want   []string
	}{
		{nil, 2, false, []string{"usage: ipcbuf", "demo", "put", "get", "rm", "'*name'", "0x1234", "./123"}},
		{[]string{"-h"}, 0, true, []string{"usage: ipcbuf", "demo", "put", "get", "rm", "'*name'"}},
		{[]string{"--help"}, 0, true, []string{"usage: ipcbuf", "'*name'"}},
		{[]string{"help"}, 0, true, []string{"usage: ipcbuf", "'*name'"}},
		{[]string{"help", "put"}, 0, true, []string{"usage: ipcbuf put", "--size N", "--offset N", "--enc E"}},
		{[]string{"put", "-h"}, 0, true, []string{"usage: ipcbuf put", "--size N"}},
		{[]string{"get", "--help"}, 0, true, []string{"usage: ipcbuf get", "--start N", "--end N", "--enc E"}},
		{[]string{"help", "nope"}, 2, false, []string{`unknown command "nope"`}},
		{[]string{"nope"}, 2, false, []string{`ipcbuf: unknown command "nope"`}},
		{[]string{"put", "*x"}, 2, false, []string{"put wants TARGET STRING", "usage: ipcbuf put"}},
		{[]string{"put", "*x", "a", "b"}, 2, false, []string{"got 3 argument(s)"}},
		{[]string{"get"}, 2, false, []string{"get wants TARGET", "usage: ipcbuf get"}},
		{[]string{"rm"}, 2, false, []string{"rm wants TARGET", "usage: ipcbuf rm"}},
		{[]string{"demo", "x"}, 2, false, []string{"demo takes no arguments"}},
		{[]string{"put", "--size", "x", "*x", "a"}, 2, false, []string{`invalid value "x" for flag -size`}},
		{[]string{"put", "--size", "-1", "*x", "a"}, 2, false, []string{"--size -1 is negative"}},
		{[]string{"get", "--bogus", "*x"}, 2, false, []string{"flag provided but not defined: -bogus"}},
	} {
		r := ipcbufRun(tc.args...)
		out, other := r.stderr, r.stdout
		if tc.stdout {
			out, other = r.stdout, r.stderr
		}
		if r.code != tc.code || other != "" {
			t.Errorf("ipcbuf %q: status %d, stdout %q, stderr %q; want status %d", tc.args, r.code, r.stdout, r.stderr, tc.code)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("ipcbuf %q printed %q, which lacks %q", tc.args, out, w)
			}
		}
	}
}

func TestPutDanglingSymlink(t *testing.T) {
	skipOnWindows(t, "Wine makes os.Symlink's links as Unix symbolic links, which Windows' own calls follow, and Windows needs a privilege to make one")
	dir := testenv.TempDir(t)
	link := filepath.Join(dir, "link")
	if err := os.Symlink(filepath.Join(dir, "missing", "x"), link); err != nil {
		t.Fatal(err)
	}
	// The link exists for O_EXCL and does not for a plain open: put must
	// neither loop between the two nor write through the link.
	mustFail(t, 1, notFound, "put", "--size", "8", link, "x")
	if _, err := os.Stat(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("put made %s/missing: %v", dir, err)
	}
}
