package ipcbuf_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	qt "github.com/frankban/quicktest"
	"github.com/google/go-cmp/cmp"

	"github.com/ipcbuf/ipcbuf"
	"github.com/ipcbuf/ipcbuf/internal/testenv"
)

// The child process: the test binary re-run with childEnv set to a role.
const (
	childEnv       = "IPCBUF_TEST_CHILD"
	childTargetEnv = "IPCBUF_TEST_TARGET"
)

// testPrefix starts the name of every POSIX object these tests create, so
// TestMain can find any that a test left behind.
var testPrefix = fmt.Sprintf("ipcbuf-test-%d-", os.Getpid())

var (
	created   sync.Mutex
	usedKeys  []int // System V keys handed out, checked by TestMain
	nextID    atomic.Int64
	leftCheck = true
)

func TestMain(m *testing.M) {
	if role := os.Getenv(childEnv); role != "" {
		os.Exit(runChild(role, os.Getenv(childTargetEnv)))
	}
	code := m.Run()
	if missing := missingUnasked(); len(missing) > 0 && os.Getenv(ciEnv) == "1" {
		fmt.Fprintf(os.Stderr, "FAIL: %s=1 (CI) and this build has no %s buffers though no build tag or CGO_ENABLED=0 asked to leave them out: the tests that need them skipped\n",
			ciEnv, strings.Join(missing, ", "))
		code = 1
	}
	if leftCheck {
		if left := leftovers(); len(left) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: tests left OS objects behind (now removed): %s\n", strings.Join(left, ", "))
			code = 1
		}
	}
	os.Exit(code)
}

// leftovers removes and returns the POSIX objects, named semaphores and
// System V segments and semaphore sets that tests created and did not
// remove.
func leftovers() []string {
	var left []string
	entries, _ := os.ReadDir("/dev/shm")
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), testPrefix) {
			left = append(left, "*"+e.Name())
			os.Remove(filepath.Join("/dev/shm", e.Name()))
		}
		if strings.HasPrefix(e.Name(), "sem."+testPrefix) { // named semaphores
			left = append(left, "semaphore *"+strings.TrimPrefix(e.Name(), "sem."))
			os.Remove(filepath.Join("/dev/shm", e.Name()))
		}
	}
	created.Lock()
	defer created.Unlock()
	for _, key := range usedKeys {
		if sysvExists(key) {
			left = append(left, fmt.Sprintf("System V key %#x", key))
			ipcbuf.RemoveSysV(key)
		}
		if _, ok := semSetPerms(key); ok {
			left = append(left, fmt.Sprintf("System V semaphore set %#x", key))
			ipcbuf.RemoveSemaphore(strconv.Itoa(key))
		}
	}
	return left
}

// ciEnv is the environment variable CI sets to 1: see internal/testenv.
const ciEnv = testenv.CIEnv

// requireOrSkip ends t, which cannot run on this machine for reason: it
// skips, or under CI (IPCBUF_CI=1) fails.
func requireOrSkip(t testing.TB, format string, args ...any) {
	t.Helper()
	testenv.RequireOrSkip(t, format, args...)
}

// requireKind ends t unless this build has kind's backend. A build made to
// leave it out (a build tag or CGO_ENABLED=0, as make test-tags and
// test-nocgo ask) skips: TestUnsupportedKinds checks how such kinds fail.
// A build that lacks it unasked (cgo off for want of a C compiler) is this
// machine's lack, for requireOrSkip.
func requireKind(t testing.TB, kind ipcbuf.Kind) {
	t.Helper()
	if kind.Supported() {
		return
	}
	if how := leftOut(kind); how != "" {
		t.Skipf("this build leaves out %s buffers (%s); TestUnsupportedKinds checks how they fail", kind, how)
	}
	requireOrSkip(t, "this build has no %s buffers, though no build tag or CGO_ENABLED=0 asked to leave them out (is cgo off for want of a C compiler?)", kind)
}

// leftOut returns how the build of this test binary was asked to leave out
// kind's backend, or "" if it was not: its build tag, or CGO_ENABLED=0 set
// in the environment (go test keeps it there for the test binary). A
// CGO_ENABLED=0 that go chose itself, finding no C compiler, does not
// count. On a system other than Linux it is also the reason ipcbuf lacks
// kind there by design (testenv.NotOnThisSystem: System V on Windows), so
// that TestMain does not count it missing under CI (IPCBUF_CI=1).
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

// missingUnasked returns the shared kinds this build lacks without having
// been asked to leave them out. TestMain fails a CI run that has any, which
// also covers the tests that only do more when a kind is there.
func missingUnasked() []string {
	var missing []string
	for _, kc := range sharedKinds {
		if !kc.kind.Supported() && leftOut(kc.kind) == "" {
			missing = append(missing, kc.kind.String())
		}
	}
	return missing
}

// childRoles are the roles a child process can play, by name, besides
// "answer"; other test files add theirs in init. A role gets the target
// from the environment and returns the exit status.
var childRoles = map[string]func(target string) int{}

// runChild is the second process of the cross-process tests. In the role
// "answer" it opens target by name, expects "ping from parent" at 0, and
// answers at 64.
func runChild(role, target string) int {
	if f, ok := childRoles[role]; ok {
		return f(target)
	}
	switch role {
	case "answer":
		b, err := ipcbuf.Open(target, 0, ipcbuf.OpenOnly())
		if err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 1
		}
		defer b.Close()
		got := make([]byte, 16)
		if _, err := b.ReadAt(got, 0); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 1
		}
		fmt.Printf("child read %q\n", got)
		if _, err := b.WriteAt([]byte("pong from child "+strconv.Itoa(os.Getpid())), 64); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 1
		}
		return 0
	}
	fmt.Fprintln(os.Stderr, "child: unknown role", role)
	return 2
}

// childCommand returns a command that runs the test binary as a child in
// role, with target in its environment.
func childCommand(role, target string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+role, childTargetEnv+"="+target,
		"GORACE=atexit_sleep_ms=0") // under -race a child would sleep 1 s at exit
	return cmd
}

// startChild runs the test binary as a child with a role, and returns its
// standard output. Its standard error is shown only when it fails: the
// runtime writes there under some GODEBUG settings (make test-sanitize's
// checkfinalizers), which is no part of the child's answer.
func startChild(t *testing.T, role, target string) string {
	t.Helper()
	out, err := childOutput(childCommand(role, target))
	if err != nil {
		t.Fatalf("child %s %s: %v", role, target, err)
	}
	return out
}

// childOutput runs cmd and returns its standard output; an error carries
// its standard error too.
func childOutput(cmd *exec.Cmd) (string, error) {
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("%w\nstdout:\n%s\nstderr:\n%s", err, out, stderr.String())
	}
	return string(out), nil
}

// A kindCase makes unique targets of one kind for a test, and removes what
// they name when the test ends.
type kindCase struct {
	kind ipcbuf.Kind
	// target returns a new target; the object does not exist yet.
	target func(t *testing.T) string
}

var sharedKinds = []kindCase{
	{ipcbuf.KindPOSIX, func(t *testing.T) string { return "*" + shmName(t) }},
	{ipcbuf.KindFile, func(t *testing.T) string { return filepath.Join(testenv.TempDir(t), "buf") }},
	{ipcbuf.KindSysV, func(t *testing.T) string { return "0x" + strconv.FormatInt(int64(sysvKey(t)), 16) }},
}

// shmName returns a POSIX shared memory name unique to this test run.
func shmName(t *testing.T) string {
	name := fmt.Sprintf("%s%d", testPrefix, nextID.Add(1))
	t.Cleanup(func() {
		if err := ipcbuf.RemoveShm(name); err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("cleanup: %v", err)
		}
	})
	return name
}

// sysvKey returns a System V key unique to this test run: the pid in the
// high bits, a counter in the low ones.
func sysvKey(t *testing.T) int {
	key := 0x40000000 | (os.Getpid()&0xffff)<<12 | int(nextID.Add(1)&0xfff)
	created.Lock()
	usedKeys = append(usedKeys, key)
	created.Unlock()
	t.Cleanup(func() {
		if err := ipcbuf.RemoveSysV(key); err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("cleanup: %v", err)
		}
	})
	return key
}

// forKinds runs f for every shared kind this build has, and checks that the
// kinds it leaves out fail as documented.
func forKinds(t *testing.T, f func(t *testing.T, kc kindCase)) {
	for _, kc := range sharedKinds {
		t.Run(kc.kind.String(), func(t *testing.T) {
			if !kc.kind.Supported() {
				_, err := ipcbuf.Open(kc.target(t), 4096)
				qt.Assert(t, err, qt.ErrorIs, errors.ErrUnsupported)
				requireKind(t, kc.kind)
			}
			f(t, kc)
		})
	}
}

// open opens target and closes it when the test ends.
func open(t *testing.T, target string, size int, opts ...ipcbuf.Option) *ipcbuf.Buffer {
	t.Helper()
	b, err := ipcbuf.Open(target, size, opts...)
	qt.Assert(t, err, qt.IsNil)
	t.Cleanup(func() { b.Close() })
	return b
}

// objectSize returns the size of the object behind target, as the system
// sees it.
func objectSize(t *testing.T, kind ipcbuf.Kind, target string) int {
	t.Helper()
	switch {
	case kind == ipcbuf.KindPOSIX && runtime.GOOS == "windows":
		// A section shows in no file: measure a view of it (whole pages).
	case kind == ipcbuf.KindPOSIX:
		fi, err := os.Stat("/dev/shm/" + target[1:])
		qt.Assert(t, err, qt.IsNil)
		return int(fi.Size())
	case kind == ipcbuf.KindFile:
		fi, err := os.Stat(target)
		qt.Assert(t, err, qt.IsNil)
		return int(fi.Size())
	}
	b := open(t, target, 0, ipcbuf.ReadOnly())
	return b.Len()
}

// objectMode returns the permission bits of the object behind target.
func objectMode(t *testing.T, kind ipcbuf.Kind, target string) fs.FileMode {
	t.Helper()
	switch kind {
	case ipcbuf.KindPOSIX:
		target = "/dev/shm/" + target[1:]
	case ipcbuf.KindSysV:
		_, _, key, err := ipcbuf.ParseTarget(target)
		qt.Assert(t, err, qt.IsNil)
		seg, ok := sysvSegByKey(key)
		qt.Assert(t, ok, qt.IsTrue)
		return fs.FileMode(seg.perms) & fs.ModePerm
	}
	fi, err := os.Stat(target)
	qt.Assert(t, err, qt.IsNil)
	return fi.Mode().Perm()
}

func TestCrossProcess(t *testing.T) {
	forKinds(t, func(t *testing.T, kc kindCase) {
		target := kc.target(t)
		b := open(t, target, 4096, ipcbuf.Exclusive())
		_, err := b.WriteAt([]byte("ping from parent"), 0)
		qt.Assert(t, err, qt.IsNil)

		out := startChild(t, "answer", target)
		qt.Assert(t, out, qt.Contains, `child read "ping from parent"`)

		got := make([]byte, 16)
		_, err = b.ReadAt(got, 64)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, string(got), qt.Equals, "pong from child ")
		// The answer is in b's own memory, with no read from the object.
		qt.Assert(t, string(b.Bytes()[64:80]), qt.Equals, "pong from child ")
	})
}

func TestMemory(t *testing.T) {
	b, err := ipcbuf.Alloc(10)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, b.Kind(), qt.Equals, ipcbuf.KindMemory)
	qt.Assert(t, b.Name(), qt.Equals, "")
	qt.Assert(t, b.Bytes(), qt.DeepEquals, make([]byte, 10))
	_, err = b.WriteAt([]byte("hi"), 3)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, b.Sync(), qt.IsNil)
	qt.Assert(t, b.Bytes()[3:5], qt.DeepEquals, []byte("hi"))
	qt.Assert(t, b.Remove(), qt.ErrorIs, errors.ErrUnsupported)
	qt.Assert(t, b.Close(), qt.IsNil)
	_, err = b.ReadAt(make([]byte, 1), 0)
	qt.Assert(t, err, qt.ErrorIs, fs.ErrClosed)

	_, err = ipcbuf.Alloc(-1)
	qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrOutOfRange)
	empty, err := ipcbuf.Alloc(0)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, empty.Len(), qt.Equals, 0)
}

func TestFileContentsVisibleAtOpen(t *testing.T) {
	if !ipcbuf.KindFile.Supported() {
		_, err := ipcbuf.OpenFile(filepath.Join(testenv.TempDir(t), "f"), 1)
		qt.Assert(t, err, qt.ErrorIs, errors.ErrUnsupported)
		requireKind(t, ipcbuf.KindFile)
	}
	path := filepath.Join(testenv.TempDir(t), "data")
	qt.Assert(t, os.WriteFile(path, []byte("existing bytes"), 0o644), qt.IsNil)

	b, err := ipcbuf.OpenFile(path, 0)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, string(b.Bytes()), qt.Equals, "existing bytes")
	_, err = b.Write("EXIST", 0, ipcbuf.UTF8)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, b.Close(), qt.IsNil)

	got, err := os.ReadFile(path)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, string(got), qt.Equals, "EXISTing bytes")
	fi, err := os.Stat(path)
	qt.Assert(t, err, qt.IsNil)
	if runtime.GOOS != "windows" { // Windows keeps no Unix mode: os.Stat makes one up
		qt.Assert(t, fi.Mode().Perm(), qt.Equals, fs.FileMode(0o644), qt.Commentf("an existing file's mode is left alone"))
	}
}

func TestFileEveryWriteReachesFile(t *testing.T) {
	requireKind(t, ipcbuf.KindFile)
	path := filepath.Join(testenv.TempDir(t), "data")
	b, err := ipcbuf.OpenFile(path, 1<<20, ipcbuf.Exclusive())
	qt.Assert(t, err, qt.IsNil)
	want := make([]byte, 1<<20)
	for i := 0; i < len(want); i += 4093 {
		want[i] = byte(i / 4093)
		_, err := b.WriteAt(want[i:i+1], int64(i))
		qt.Assert(t, err, qt.IsNil)
	}
	qt.Assert(t, b.Sync(), qt.IsNil)
	qt.Assert(t, b.Close(), qt.IsNil)
	got, err := os.ReadFile(path)
	qt.Assert(t, err, qt.IsNil)
	if !bytes.Equal(want, got) {
		t.Fatal("file contents differ from what was written")
	}
}

func TestFileDroppedBufferIsSyncedAndUnmapped(t *testing.T) {
	requireKind(t, ipcbuf.KindFile)
	path := filepath.Join(testenv.TempDir(t), "dropped")
	func() {
		b, err := ipcbuf.OpenFile(path, 8192)
		qt.Assert(t, err, qt.IsNil)
		_, err = b.WriteAt([]byte("written, never closed"), 100)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, mapped(t, path), qt.Not(qt.HasLen), 0)
	}()
	collect(t, "unmapping the dropped buffer", func() bool { return len(mapped(t, path)) == 0 })
	got, err := os.ReadFile(path)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, string(got[100:121]), qt.Equals, "written, never closed")
}

func TestFileDanglingSymlink(t *testing.T) {
	requireKind(t, ipcbuf.KindFile)
	if runtime.GOOS == "windows" {
		t.Skip("on Windows, opening with creation through a dangling symbolic link creates its target, as os.OpenFile with O_CREATE does there (and making the link needs a privilege)")
	}
	// O_EXCL says the name exists, open says it does not: an error, not a
	// retry loop without end.
	link := filepath.Join(testenv.TempDir(t), "link")
	qt.Assert(t, os.Symlink(filepath.Join(testenv.TempDir(t), "nowhere"), link), qt.IsNil)
	_, err := ipcbuf.OpenFile(link, 4096)
	qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist)
}

// TestFileUntouchedByReading: opening a file read-write and closing it
// without writing changes nothing, not even its modification time; a write
// does reach it.
func TestFileUntouchedByReading(t *testing.T) {
	requireKind(t, ipcbuf.KindFile)
	path := filepath.Join(testenv.TempDir(t), "data")
	qt.Assert(t, os.WriteFile(path, []byte("contents"), 0o600), qt.IsNil)
	old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	qt.Assert(t, os.Chtimes(path, old, old), qt.IsNil)
	b, err := ipcbuf.OpenFile(path, 0)
	qt.Assert(t, err, qt.IsNil)
	s, err := b.ToString("", 0, b.Len())
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, s, qt.Equals, "contents")
	qt.Assert(t, b.Sync(), qt.IsNil)
	qt.Assert(t, b.Close(), qt.IsNil)
	fi, err := os.Stat(path)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, fi.ModTime().Equal(old), qt.IsTrue, qt.Commentf("mtime %v", fi.ModTime()))

	b, err = ipcbuf.OpenFile(path, 0)
	qt.Assert(t, err, qt.IsNil)
	_, err = b.Write("C", 0, "")
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, b.Close(), qt.IsNil)
	got, err := os.ReadFile(path)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, string(got), qt.Equals, "Contents")
	fi, err = os.Stat(path)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, fi.ModTime().After(old), qt.IsTrue, qt.Commentf("a write must change the mtime"))
}

func TestSizeRules(t *testing.T) {
	forKinds(t, func(t *testing.T, kc kindCase) {
		target := kc.target(t)
		first := open(t, target, 8192)
		qt.Assert(t, first.Len(), qt.Equals, 8192)
		for i := range first.Bytes() {
			first.Bytes()[i] = byte(i % 251)
		}
		intact := func(b *ipcbuf.Buffer) {
			t.Helper()
			for i, c := range b.Bytes()[:min(b.Len(), 8192)] {
				if c != byte(i%251) {
					t.Fatalf("byte %d is %#x; want %#x", i, c, byte(i%251))
				}
			}
		}

		smaller := open(t, target, 4096)
		qt.Assert(t, smaller.Len(), qt.Equals, 4096)
		intact(smaller)
		qt.Assert(t, objectSize(t, kc.kind, target), qt.Equals, 8192, qt.Commentf("a smaller size never shrinks"))

		equal := open(t, target, 8192)
		qt.Assert(t, equal.Len(), qt.Equals, 8192)
		intact(equal)

		zero := open(t, target, 0)
		qt.Assert(t, zero.Len(), qt.Equals, 8192, qt.Commentf("size 0 attaches at the existing size"))
		intact(zero)

		larger, err := ipcbuf.Open(target, 3*8192)
		if fixedSize(kc.kind) {
			qt.Assert(t, err, qt.ErrorMatches, `.*cannot grow.*`)
			qt.Assert(t, objectSize(t, kc.kind, target), qt.Equals, 8192)
		} else {
			qt.Assert(t, err, qt.IsNil)
			defer larger.Close()
			qt.Assert(t, larger.Len(), qt.Equals, 3*8192)
			intact(larger)
			qt.Assert(t, larger.Bytes()[8192:], qt.DeepEquals, make([]byte, 2*8192), qt.Commentf("new space is zero"))
			qt.Assert(t, objectSize(t, kc.kind, target), qt.Equals, 3*8192)
		}
		intact(first)

		missing := kc.target(t)
		_, err = ipcbuf.Open(missing, 0)
		qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist)
		_, err = ipcbuf.Open(missing, 0)
		qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist, qt.Commentf("size 0 created nothing"))
	})
}

// fixedSize reports whether objects of kind keep the size they were made
// with: System V segments, and Windows's named sections.
func fixedSize(kind ipcbuf.Kind) bool {
	return kind == ipcbuf.KindSysV || kind == ipcbuf.KindPOSIX && runtime.GOOS == "windows"
}

func TestOptions(t *testing.T) {
	forKinds(t, func(t *testing.T, kc kindCase) {
		target := kc.target(t)
		b := open(t, target, 4096, ipcbuf.Exclusive())
		copy(b.Bytes(), "original")

		_, err := ipcbuf.Open(target, 4096, ipcbuf.Exclusive())
		qt.Assert(t, err, qt.ErrorIs, fs.ErrExist)
		qt.Assert(t, string(b.Bytes()[:8]), qt.Equals, "original", qt.Commentf("exclusive create left the object untouched"))

		missing := kc.target(t)
		_, err = ipcbuf.Open(missing, 4096, ipcbuf.OpenOnly())
		qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist)
		_, err = ipcbuf.Open(missing, 0)
		qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist, qt.Commentf("open-only created nothing"))
		_, err = ipcbuf.Open(missing, 4096, ipcbuf.ReadOnly())
		qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist, qt.Commentf("read-only never creates"))

		ro := open(t, target, 0, ipcbuf.ReadOnly())
		qt.Assert(t, ro.ReadOnly(), qt.IsTrue)
		qt.Assert(t, string(ro.Bytes()[:8]), qt.Equals, "original")
		_, err = ro.WriteAt([]byte("x"), 0)
		qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrReadOnly)
		_, err = ro.Write("x", 0, "")
		qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrReadOnly)
		qt.Assert(t, string(b.Bytes()[:8]), qt.Equals, "original")
		_, err = ipcbuf.Open(target, 8192, ipcbuf.ReadOnly())
		qt.Assert(t, err, qt.ErrorMatches, `.*(read-only|cannot grow).*`)
		qt.Assert(t, objectSize(t, kc.kind, target), qt.Equals, 4096)

		for _, bad := range [][]ipcbuf.Option{
			{ipcbuf.Exclusive(), ipcbuf.OpenOnly()},
			{ipcbuf.Exclusive(), ipcbuf.ReadOnly()},
			{ipcbuf.Mode(0o1777)},
			{nil},
		} {
			_, err := ipcbuf.Open(missing, 4096, bad...)
			qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid)
		}
		_, err = ipcbuf.Open(target, 0, ipcbuf.Exclusive())
		qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid, qt.Commentf("Exclusive with size 0 can never create"))
		_, err = ipcbuf.Open(missing, 0)
		qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist, qt.Commentf("bad options created nothing"))
	})
}

func TestRemove(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("on Windows a removed object lives on under its name while it is open (a section until its last handle closes, a file until its last handle closes); TestWindowsRemove holds what Windows promises")
	}
	forKinds(t, func(t *testing.T, kc kindCase) {
		target := kc.target(t)
		b := open(t, target, 4096)
		copy(b.Bytes(), "still here")
		qt.Assert(t, b.Remove(), qt.IsNil)
		qt.Assert(t, string(b.Bytes()[:10]), qt.Equals, "still here", qt.Commentf("removal does not unmap"))
		_, err := ipcbuf.Open(target, 0)
		qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist)
		qt.Assert(t, ipcbuf.Remove(target), qt.ErrorIs, fs.ErrNotExist, qt.Commentf("removing twice"))

		again := open(t, target, 4096, ipcbuf.Exclusive())
		qt.Assert(t, again.Bytes()[:10], qt.DeepEquals, make([]byte, 10), qt.Commentf("the name is free for a new object"))
		qt.Assert(t, ipcbuf.Remove(target), qt.IsNil)
	})
}

func TestCloseAndAfter(t *testing.T) {
	forKinds(t, func(t *testing.T, kc kindCase) {
		b := open(t, kc.target(t), 4096)
		view := b.Slice(10, 20)
		qt.Assert(t, b.Close(), qt.IsNil)
		for _, buf := range []*ipcbuf.Buffer{b, view} {
			_, err := buf.ReadAt(make([]byte, 1), 0)
			qt.Assert(t, err, qt.ErrorIs, fs.ErrClosed)
			_, err = buf.WriteAt([]byte{1}, 0)
			qt.Assert(t, err, qt.ErrorIs, fs.ErrClosed)
			_, err = buf.ToString("", 0, 1)
			qt.Assert(t, err, qt.ErrorIs, fs.ErrClosed)
			_, err = buf.Write("x", 0, "")
			qt.Assert(t, err, qt.ErrorIs, fs.ErrClosed)
			qt.Assert(t, buf.Sync(), qt.ErrorIs, fs.ErrClosed)
			qt.Assert(t, buf.Close(), qt.ErrorIs, fs.ErrClosed)
			qt.Assert(t, buf.Bytes(), qt.IsNil)
		}
		qt.Assert(t, view.Len(), qt.Equals, 10)
	})
}

func TestReadAtWriteAt(t *testing.T) {
	b, err := ipcbuf.Alloc(8)
	qt.Assert(t, err, qt.IsNil)
	n, err := b.WriteAt([]byte("abcdefgh"), 0)
	qt.Assert(t, n, qt.Equals, 8)
	qt.Assert(t, err, qt.IsNil)

	p := make([]byte, 4)
	n, err = b.ReadAt(p, 6)
	qt.Assert(t, n, qt.Equals, 2)
	qt.Assert(t, err, qt.Equals, io.EOF)
	qt.Assert(t, string(p[:n]), qt.Equals, "gh")
	_, err = b.ReadAt(p, 8)
	qt.Assert(t, err, qt.Equals, io.EOF)
	_, err = b.ReadAt(p, -1)
	qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid)

	// A negative offset is bad input, as in ReadAt.
	_, err = b.WriteAt([]byte("XYZW"), -1)
	qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid)
	for _, off := range []int64{5, 9, 1 << 62} {
		n, err = b.WriteAt([]byte("XYZW"), off)
		qt.Assert(t, n, qt.Equals, 0)
		qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrBufferOutOfBounds)
	}
	qt.Assert(t, string(b.Bytes()), qt.Equals, "abcdefgh", qt.Commentf("a failed write changed nothing"))

	// io.SectionReader reads a Buffer as a stream.
	all, err := io.ReadAll(io.NewSectionReader(b, 2, 100))
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, string(all), qt.Equals, "cdefgh")
}

func TestSlice(t *testing.T) {
	b, err := ipcbuf.Alloc(10)
	qt.Assert(t, err, qt.IsNil)
	copy(b.Bytes(), "0123456789")
	for _, tc := range []struct {
		start, end int
		want       string
	}{
		{0, 10, "0123456789"},
		{2, 5, "234"},
		{-3, 10, "789"},
		{-3, -1, "78"},
		{5, 2, ""},
		{-100, 3, "012"},
		{8, 100, "89"},
		{10, 10, ""},
		{11, 12, ""},
	} {
		got := b.Slice(tc.start, tc.end)
		if diff := cmp.Diff(tc.want, string(got.Bytes())); diff != "" {
			t.Errorf("Slice(%d, %d) (-want +got):\n%s", tc.start, tc.end, diff)
		}
		qt.Assert(t, got.Len(), qt.Equals, len(tc.want))
	}
	view := b.Slice(2, 5)
	_, err = view.WriteAt([]byte("ab"), 1)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, string(b.Bytes()), qt.Equals, "012ab56789", qt.Commentf("a view writes its parent's memory"))
	_, err = view.WriteAt([]byte("abc"), 1)
	qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrBufferOutOfBounds, qt.Commentf("a view cannot write past its end"))
	qt.Assert(t, cap(view.Bytes()), qt.Equals, 3, qt.Commentf("append to a view's bytes must not overwrite the parent"))
}

// TestAliasOutlivesParent drops the parent of a view and keeps using the
// view while the collector runs: the memory must stay mapped and intact,
// and be unmapped once the view is gone too.
func TestAliasOutlivesParent(t *testing.T) {
	forKinds(t, func(t *testing.T, kc kindCase) {
		target := kc.target(t)
		const size = 1 << 20
		parent, err := ipcbuf.Open(target, size)
		qt.Assert(t, err, qt.IsNil)
		for i := range parent.Bytes() {
			parent.Bytes()[i] = byte(i)
		}
		alias := parent.Slice(4096, 3*4096)
		parent = nil

		var garbage [][]byte
		for round := 0; round < 200; round++ {
			runtime.GC()
			garbage = append(garbage, make([]byte, 64<<10))
			if len(garbage) > 64 {
				garbage = garbage[:0]
			}
			p := alias.Bytes()
			for i := 0; i < len(p); i += 97 {
				if p[i] != byte(4096+i+round) {
					t.Fatalf("round %d: byte %d is %#x; want %#x", round, i, p[i], byte(4096+i+round))
				}
				p[i]++
			}
			runtime.KeepAlive(alias)
			var one [1]byte
			_, err := alias.ReadAt(one[:], 0)
			qt.Assert(t, err, qt.IsNil)
		}
		if kc.kind == ipcbuf.KindSysV {
			return // System V attachments do not name a path in /proc/self/maps
		}
		path := target
		if kc.kind == ipcbuf.KindPOSIX {
			path = "/dev/shm/" + target[1:]
		}
		qt.Assert(t, mapped(t, path), qt.Not(qt.HasLen), 0)
		alias = nil
		collect(t, "unmapping after the last view was dropped", func() bool { return len(mapped(t, path)) == 0 })
	})
}

func TestSysV(t *testing.T) {
	if !ipcbuf.KindSysV.Supported() {
		_, err := ipcbuf.OpenSysV(0x1234, 4096)
		qt.Assert(t, err, qt.ErrorIs, errors.ErrUnsupported)
		qt.Assert(t, err, qt.ErrorMatches, `.*(ipcbuf_nosysv|CGO_ENABLED=0|does not exist on Windows).*`)
		requireKind(t, ipcbuf.KindSysV)
	}
	key := sysvKey(t)
	b, err := ipcbuf.OpenSysV(key, 10000, ipcbuf.Mode(0o640))
	qt.Assert(t, err, qt.IsNil)
	defer b.Close()
	qt.Assert(t, b.Name(), qt.Equals, fmt.Sprintf("0x%08x", key))

	// Size 0 attaches at the real size, which the kernel reports.
	again, err := ipcbuf.OpenSysV(key, 0)
	qt.Assert(t, err, qt.IsNil)
	defer again.Close()
	qt.Assert(t, again.Len(), qt.Equals, 10000)

	// ipcs lists the segment with the mode asked for.
	t.Run("ipcs", func(t *testing.T) {
		ipcs := requireTool(t, "ipcs", "to see the segment as ipcs -m lists it (Debian: util-linux)")
		out, err := exec.Command(ipcs, "-m").CombinedOutput()
		qt.Assert(t, err, qt.IsNil, qt.Commentf("%s", out))
		var line string
		for _, l := range strings.Split(string(out), "\n") {
			if f := strings.Fields(l); len(f) > 4 && f[0] == fmt.Sprintf("0x%08x", key) {
				line = l
				qt.Assert(t, f[3], qt.Equals, "640", qt.Commentf("ipcs perms column: %s", l))
				qt.Assert(t, f[4], qt.Equals, "10000", qt.Commentf("ipcs bytes column: %s", l))
			}
		}
		qt.Assert(t, line, qt.Not(qt.Equals), "", qt.Commentf("ipcs -m does not list key %#x:\n%s", key, out))
	})

	_, err = ipcbuf.OpenSysV(key, 4096, ipcbuf.Exclusive())
	qt.Assert(t, err, qt.ErrorIs, fs.ErrExist)

	// Removed while attached: the key no longer finds it, the attached
	// buffers still work, and it is gone after the last detach.
	qt.Assert(t, ipcbuf.RemoveSysV(key), qt.IsNil)
	qt.Assert(t, sysvExists(key), qt.IsFalse, qt.Commentf("the key is released at once"))
	_, err = ipcbuf.OpenSysV(key, 0)
	qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist)
	_, err = b.WriteAt([]byte("after removal"), 0)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, string(again.Bytes()[:13]), qt.Equals, "after removal")
	qt.Assert(t, ipcbuf.RemoveSysV(key), qt.ErrorIs, fs.ErrNotExist)

	for _, bad := range []int{0, -1 << 40, 1 << 33} {
		_, err := ipcbuf.OpenSysV(bad, 4096)
		qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid, qt.Commentf("key %d", bad))
	}
}

func TestParseTarget(t *testing.T) {
	for _, tc := range []struct {
		target string
		kind   ipcbuf.Kind
		name   string
		key    int
		bad    bool
	}{
		{target: "*jobs", kind: ipcbuf.KindPOSIX, name: "jobs"},
		{target: "*/jobs", kind: ipcbuf.KindPOSIX, name: "jobs"},
		{target: "4660", kind: ipcbuf.KindSysV, key: 4660},
		{target: "0x1234", kind: ipcbuf.KindSysV, key: 0x1234},
		{target: "0XfFfFfFfF", kind: ipcbuf.KindSysV, key: 0xffffffff},
		{target: "./123", kind: ipcbuf.KindFile, name: "./123"},
		{target: "/tmp/x", kind: ipcbuf.KindFile, name: "/tmp/x"},
		{target: "0x", kind: ipcbuf.KindFile, name: "0x"},
		{target: "12a", kind: ipcbuf.KindFile, name: "12a"},
		{target: "", bad: true},
		{target: "*", bad: true},
		{target: "*a/b", bad: true},
		{target: "*a\x00b", bad: true},
		{target: "*..", bad: true},
		{target: "*" + strings.Repeat("n", 256), bad: true},
		{target: "0", bad: true},
		{target: "0x100000000", bad: true},
		{target: "99999999999999999999999", bad: true},
		{target: "a\x00b", bad: true},
	} {
		kind, name, key, err := ipcbuf.ParseTarget(tc.target)
		if tc.bad {
			qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid, qt.Commentf("%q", tc.target))
			continue
		}
		qt.Assert(t, err, qt.IsNil, qt.Commentf("%q", tc.target))
		if diff := cmp.Diff([]any{tc.kind, tc.name, tc.key}, []any{kind, name, key}); diff != "" {
			t.Errorf("ParseTarget(%q) (-want +got):\n%s", tc.target, diff)
		}
	}
}

// TestKindsOnThisSystem holds testenv.NotOnThisSystem to the library: a
// kind it calls absent by design on this system must be absent from the
// build, or the tests of that kind would skip where they can run.
func TestKindsOnThisSystem(t *testing.T) {
	for _, kind := range []ipcbuf.Kind{ipcbuf.KindPOSIX, ipcbuf.KindFile, ipcbuf.KindSysV} {
		if why := testenv.NotOnThisSystem(kind.String()); why != "" && kind.Supported() {
			t.Errorf("this build has %s buffers, but internal/testenv says %q: add %q to its systemKinds for %s", kind, why, kind.String(), runtime.GOOS)
		}
	}
}

func TestUnsupportedKinds(t *testing.T) {
	b, err := ipcbuf.Alloc(4)
	qt.Assert(t, err, qt.IsNil, qt.Commentf("memory buffers work in every build"))
	qt.Assert(t, b.Len(), qt.Equals, 4)
	checked := 0
	for _, kind := range []ipcbuf.Kind{ipcbuf.KindPOSIX, ipcbuf.KindFile, ipcbuf.KindSysV} {
		if kind.Supported() {
			continue
		}
		checked++
		var target string
		switch kind {
		case ipcbuf.KindPOSIX:
			target = "*" + shmName(t)
		case ipcbuf.KindFile:
			target = filepath.Join(testenv.TempDir(t), "f")
		case ipcbuf.KindSysV:
			target = strconv.Itoa(sysvKey(t))
		}
		_, err := ipcbuf.Open(target, 4096)
		qt.Assert(t, err, qt.ErrorIs, errors.ErrUnsupported)
		qt.Assert(t, err, qt.ErrorMatches, `.*(ipcbuf_noposix|ipcbuf_nosysv|CGO_ENABLED=0|does not exist on Windows).*`)
		qt.Assert(t, ipcbuf.Remove(target), qt.Not(qt.IsNil))
	}
	if checked == 0 {
		// Not a lack of this machine: the builds that leave kinds out
		// (make test-tags, make test-nocgo) run this test.
		t.Skip("this build has every kind; the builds with ipcbuf_noposix, ipcbuf_nosysv or CGO_ENABLED=0 check how the kinds they leave out fail")
	}
}
