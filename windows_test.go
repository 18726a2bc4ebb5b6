//go:build windows

package ipcbuf_test

// The Windows backend's own promises: named sections and file mappings
// shared between two processes, the sizes Windows keeps, Exclusive on a
// taken name, what Remove does, a stale slice after Close, and the
// options Windows refuses. make test-windows runs them under Wine.

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	qt "github.com/frankban/quicktest"

	"github.com/ipcbuf/ipcbuf"
	"github.com/ipcbuf/ipcbuf/internal/testenv"
)

func init() {
	childRoles["win-write"] = winWriteChild
	childRoles["win-stale-slice"] = winStaleSliceChild
}

// winWriteChild opens target as it exists, checks the parent's greeting at
// 0 and writes its own at 4096, then exits without Close: the process's
// end must not take the bytes with it.
func winWriteChild(target string) int {
	b, err := ipcbuf.Open(target, 0, ipcbuf.OpenOnly())
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	got := make([]byte, 17)
	if _, err := b.ReadAt(got, 0); err != nil || string(got) != "hello from parent" {
		fmt.Fprintf(os.Stderr, "child: read %q, %v\n", got, err)
		return 1
	}
	if _, err := b.WriteAt([]byte("hello from child"), 4096); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	fmt.Println("child wrote at 4096 of", b.Len())
	return 0
}

// TestWindowsSharedAcrossProcesses: a named section and a file written by
// one process are read and written by another.
func TestWindowsSharedAcrossProcesses(t *testing.T) {
	targets := map[string]string{
		"section": "*" + shmName(t),
		"file":    filepath.Join(testenv.TempDir(t), "shared.bin"),
	}
	for what, target := range targets {
		t.Run(what, func(t *testing.T) {
			b, err := ipcbuf.Open(target, 8192, ipcbuf.Exclusive())
			qt.Assert(t, err, qt.IsNil)
			defer b.Close()
			_, err = b.WriteAt([]byte("hello from parent"), 0)
			qt.Assert(t, err, qt.IsNil)
			out, err := childCommand("win-write", target).CombinedOutput()
			qt.Assert(t, err, qt.IsNil, qt.Commentf("child said: %s", out))
			got := make([]byte, 16)
			_, err = b.ReadAt(got, 4096)
			qt.Assert(t, err, qt.IsNil)
			qt.Assert(t, string(got), qt.Equals, "hello from child")
		})
	}
}

// TestWindowsSectionSizes: a new section has the size asked for; an opener
// at size 0 gets it rounded up to whole pages (Windows keeps no exact
// size), the extra bytes zero; a section cannot grow; a smaller size maps
// a prefix.
func TestWindowsSectionSizes(t *testing.T) {
	target := "*" + shmName(t)
	b, err := ipcbuf.Open(target, 100000, ipcbuf.Exclusive())
	qt.Assert(t, err, qt.IsNil)
	defer b.Close()
	qt.Assert(t, b.Len(), qt.Equals, 100000)
	err = b.Fill(0xab, 0, b.Len(), "")
	qt.Assert(t, err, qt.IsNil)

	whole, err := ipcbuf.Open(target, 0, ipcbuf.OpenOnly())
	qt.Assert(t, err, qt.IsNil)
	defer whole.Close()
	qt.Assert(t, whole.Len() >= 100000 && whole.Len()%4096 == 0 && whole.Len() < 100000+4096, qt.IsTrue, qt.Commentf("len %d", whole.Len()))
	qt.Assert(t, whole.Bytes()[99999], qt.Equals, byte(0xab))
	qt.Assert(t, bytes.Count(whole.Bytes()[100000:], []byte{0}), qt.Equals, whole.Len()-100000)

	part, err := ipcbuf.Open(target, 10)
	qt.Assert(t, err, qt.IsNil)
	defer part.Close()
	qt.Assert(t, part.Len(), qt.Equals, 10)

	_, err = ipcbuf.Open(target, 1<<20)
	qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid)
	qt.Assert(t, err, qt.ErrorMatches, `.*cannot grow.*`)
}

// TestWindowsSectionOptions: Exclusive on a taken name is fs.ErrExist and
// leaks nothing; OpenOnly and size 0 on a missing one are fs.ErrNotExist;
// ReadOnly refuses writes; a '\' in a name, Mode letting others in and
// HugePages are refused, creating nothing.
func TestWindowsSectionOptions(t *testing.T) {
	name := shmName(t)
	b, err := ipcbuf.OpenShm(name, 4096, ipcbuf.Exclusive())
	qt.Assert(t, err, qt.IsNil)
	defer b.Close()
	for range 100 { // a leaked handle per try would keep piling up
		_, err = ipcbuf.OpenShm(name, 4096, ipcbuf.Exclusive())
		qt.Assert(t, err, qt.ErrorIs, fs.ErrExist)
	}
	ro, err := ipcbuf.OpenShm(name, 0, ipcbuf.ReadOnly())
	qt.Assert(t, err, qt.IsNil)
	defer ro.Close()
	_, err = ro.WriteAt([]byte("x"), 0)
	qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrReadOnly)

	missing := shmName(t)
	_, err = ipcbuf.OpenShm(missing, 4096, ipcbuf.OpenOnly())
	qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist)
	_, err = ipcbuf.OpenShm(missing, 0)
	qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist)
	qt.Assert(t, err, qt.ErrorMatches, `.*size 0 opens an existing section.*`)

	_, err = ipcbuf.OpenShm(`a\b`, 4096)
	qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid)
	for _, opt := range []ipcbuf.Option{ipcbuf.Mode(0o644), ipcbuf.HugePages()} {
		_, err = ipcbuf.OpenShm(missing, 4096, opt)
		qt.Assert(t, err, qt.ErrorIs, errors.ErrUnsupported)
		_, err = ipcbuf.OpenShm(missing, 0, ipcbuf.OpenOnly())
		qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist, qt.Commentf("a refused open created the section"))
	}
}

// TestWindowsRemove: RemoveShm of a missing section is fs.ErrNotExist; of
// an existing one it succeeds and the section lives on while it is open
// (Windows frees the name with the last handle). A file is deleted; a
// directory is refused and kept.
func TestWindowsRemove(t *testing.T) {
	name := shmName(t)
	qt.Assert(t, ipcbuf.RemoveShm(name), qt.ErrorIs, fs.ErrNotExist)
	b, err := ipcbuf.OpenShm(name, 4096, ipcbuf.Exclusive())
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, b.Remove(), qt.IsNil)
	again, err := ipcbuf.OpenShm(name, 0, ipcbuf.OpenOnly())
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, again.Close(), qt.IsNil)
	qt.Assert(t, b.Close(), qt.IsNil)

	dir := testenv.TempDir(t)
	path := filepath.Join(dir, "f.bin")
	f, err := ipcbuf.OpenFile(path, 4096)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, f.Close(), qt.IsNil)
	qt.Assert(t, ipcbuf.Remove(path), qt.IsNil)
	_, err = os.Stat(path)
	qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist)

	sub := filepath.Join(dir, "sub")
	qt.Assert(t, os.Mkdir(sub, 0o700), qt.IsNil)
	qt.Assert(t, ipcbuf.Remove(sub), qt.ErrorIs, fs.ErrInvalid)
	_, err = os.Stat(sub)
	qt.Assert(t, err, qt.IsNil)
	_, err = ipcbuf.OpenFile(sub, 4096)
	qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid)
}

// TestWindowsFile: a file's existing bytes are in the buffer, writes reach
// the file through Sync, a larger size grows it, a smaller one never
// shrinks it.
func TestWindowsFile(t *testing.T) {
	path := filepath.Join(testenv.TempDir(t), "data.bin")
	qt.Assert(t, os.WriteFile(path, []byte("existing bytes"), 0o600), qt.IsNil)
	b, err := ipcbuf.OpenFile(path, 0)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, string(b.Bytes()), qt.Equals, "existing bytes")
	_, err = b.Write("E", 0, "")
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, b.Sync(), qt.IsNil)
	got, err := os.ReadFile(path)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, string(got), qt.Equals, "Existing bytes")
	qt.Assert(t, b.Close(), qt.IsNil)

	grown, err := ipcbuf.OpenFile(path, 8192)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, grown.Len(), qt.Equals, 8192)
	qt.Assert(t, grown.Close(), qt.IsNil)
	small, err := ipcbuf.OpenFile(path, 4)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, string(small.Bytes()), qt.Equals, "Exis")
	qt.Assert(t, small.Close(), qt.IsNil)
	fi, err := os.Stat(path)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, fi.Size(), qt.Equals, int64(8192))

	empty := filepath.Join(testenv.TempDir(t), "empty")
	qt.Assert(t, os.WriteFile(empty, nil, 0o600), qt.IsNil)
	_, err = ipcbuf.OpenFile(empty, 0)
	qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid)
	_, err = ipcbuf.OpenFile(filepath.Join(testenv.TempDir(t), "missing"), 0)
	qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist)
	_, err = ipcbuf.OpenFile(path, 4096, ipcbuf.Exclusive())
	qt.Assert(t, err, qt.ErrorIs, fs.ErrExist)
}

// TestWindowsClosedReservesMemory: after Close, methods fail with
// fs.ErrClosed, and the addresses a slice from Bytes pointed to stay
// reserved: no mapping made afterwards lands on them, and touching the
// stale slice faults (in a child, which must die of it) rather than reading
// another object's bytes.
func TestWindowsClosedReservesMemory(t *testing.T) {
	b, err := ipcbuf.OpenShm(shmName(t), 1<<20, ipcbuf.Exclusive())
	qt.Assert(t, err, qt.IsNil)
	p := b.Bytes()
	lo := uintptr(unsafe.Pointer(&p[0]))
	hi := lo + uintptr(len(p))
	qt.Assert(t, b.Close(), qt.IsNil)
	_, err = b.WriteAt([]byte("x"), 0)
	qt.Assert(t, err, qt.ErrorIs, fs.ErrClosed)
	for range 20 {
		o, err := ipcbuf.OpenShm(shmName(t), 1<<20, ipcbuf.Exclusive())
		qt.Assert(t, err, qt.IsNil)
		q := o.Bytes()
		a := uintptr(unsafe.Pointer(&q[0]))
		qt.Assert(t, a+uintptr(len(q)) <= lo || a >= hi, qt.IsTrue, qt.Commentf("a new mapping at %#x overlaps the closed one's %#x-%#x", a, lo, hi))
		qt.Assert(t, o.Close(), qt.IsNil)
	}
	runtime.KeepAlive(p)

	out, err := childCommand("win-stale-slice", "*"+shmName(t)).CombinedOutput()
	qt.Assert(t, err, qt.Not(qt.IsNil), qt.Commentf("the child survived touching a closed buffer's slice: %s", out))
	qt.Assert(t, string(out), qt.Contains, "unexpected fault address")
	qt.Assert(t, string(out), qt.Not(qt.Contains), "read after close")
}

// winStaleSliceChild creates target, keeps a slice of it, closes it and
// reads the slice: the read must fault.
func winStaleSliceChild(target string) int {
	b, err := ipcbuf.Open(target, 4096, ipcbuf.Exclusive())
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	defer ipcbuf.Remove(target)
	p := b.Bytes()
	p[0] = 'x'
	if err := b.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	fmt.Printf("read after close: %q\n", p[0])
	return 0
}

// TestWindowsNoSysV: System V targets are errors.ErrUnsupported, and the
// message says that Windows has none.
func TestWindowsNoSysV(t *testing.T) {
	_, err := ipcbuf.Open("4660", 4096)
	qt.Assert(t, err, qt.ErrorIs, errors.ErrUnsupported)
	qt.Assert(t, strings.Contains(err.Error(), "Windows"), qt.IsTrue, qt.Commentf("%v", err))
	qt.Assert(t, ipcbuf.KindSysV.Supported(), qt.IsFalse)
	qt.Assert(t, ipcbuf.KindPOSIX.Supported(), qt.IsTrue)
	qt.Assert(t, ipcbuf.KindFile.Supported(), qt.IsTrue)
}

// TestWindowsTruncateRefused: while a file is mapped, Windows refuses to
// truncate it (ERROR_USER_MAPPED_FILE), so no page of a buffer can be
// taken away under it, as it can on Linux (see fault_test.go); the file
// keeps its size.
func TestWindowsTruncateRefused(t *testing.T) {
	path := filepath.Join(testenv.TempDir(t), "mapped.bin")
	b, err := ipcbuf.OpenFile(path, 1<<16, ipcbuf.Exclusive())
	qt.Assert(t, err, qt.IsNil)
	err = os.Truncate(path, 4096)
	qt.Assert(t, err, qt.Not(qt.IsNil))
	fi, err := os.Stat(path)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, fi.Size(), qt.Equals, int64(1<<16))
	_, err = b.WriteAt([]byte("end"), 1<<16-3)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, b.Close(), qt.IsNil)
	qt.Assert(t, os.Truncate(path, 4096), qt.IsNil, qt.Commentf("once closed, the file is the user's again"))
}

// TestWindowsDroppedFileReleased: a file buffer dropped without Close is
// written back and let go by its cleanup. Deleting a file that is still
// open or mapped only marks it for deletion (the processes holding it, with
// delete sharing as ipcbuf opens files, keep it); it goes once the cleanup
// has closed the last of this process's handles.
func TestWindowsDroppedFileReleased(t *testing.T) {
	path := filepath.Join(testenv.TempDir(t), "dropped.bin")
	func() {
		b, err := ipcbuf.OpenFile(path, 8192, ipcbuf.Exclusive())
		qt.Assert(t, err, qt.IsNil)
		_, err = b.WriteAt([]byte("written, never closed"), 100)
		qt.Assert(t, err, qt.IsNil)
	}()
	got, err := os.ReadFile(path)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, string(got[100:121]), qt.Equals, "written, never closed")
	qt.Assert(t, os.Remove(path), qt.IsNil)
	collect(t, "the release of the dropped buffer's file", func() bool {
		_, err := os.Stat(path)
		return errors.Is(err, fs.ErrNotExist)
	})
}

// TestWindowsNameOfAnotherType: a name that a kernel object of another
// type holds (here an event) is refused with an error that says so, and
// nothing is created.
func TestWindowsNameOfAnotherType(t *testing.T) {
	name := shmName(t)
	createEvent := syscall.NewLazyDLL("kernel32.dll").NewProc("CreateEventW")
	p, err := syscall.UTF16PtrFromString(`Local\` + name)
	qt.Assert(t, err, qt.IsNil)
	h, _, callErr := createEvent.Call(0, 1, 0, uintptr(unsafe.Pointer(p)))
	qt.Assert(t, h, qt.Not(qt.Equals), uintptr(0), qt.Commentf("CreateEventW: %v", callErr))
	defer syscall.CloseHandle(syscall.Handle(h))
	_, err = ipcbuf.OpenShm(name, 4096)
	qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid)
	qt.Assert(t, err, qt.ErrorMatches, `.*not a section.*`)
}

// TestWindowsGlobalNamespace: Global() puts a section in Global\, which a
// plain open (Local\) does not see, and a Global() open does.
func TestWindowsGlobalNamespace(t *testing.T) {
	name := shmName(t)
	b, err := ipcbuf.OpenShm(name, 4096, ipcbuf.Exclusive(), ipcbuf.Global())
	if errors.Is(err, fs.ErrPermission) {
		t.Skip("creating a Global\\ section needs the SeCreateGlobalPrivilege, which this process lacks (Wine grants it)")
	}
	qt.Assert(t, err, qt.IsNil)
	defer b.Close()
	_, err = b.WriteAt([]byte("global"), 0)
	qt.Assert(t, err, qt.IsNil)
	_, err = ipcbuf.OpenShm(name, 0, ipcbuf.OpenOnly())
	qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist, qt.Commentf("Local\\%s must be another name", name))
	g, err := ipcbuf.OpenShm(name, 0, ipcbuf.OpenOnly(), ipcbuf.Global())
	qt.Assert(t, err, qt.IsNil)
	defer g.Close()
	qt.Assert(t, string(g.Bytes()[:6]), qt.Equals, "global")
}

// TestWindowsNoHandleLeak: opening, failing to open and closing sections
// and files, many times over, leaves the process's handle count where it
// was (a leaked section or file handle would also keep the object alive).
func TestWindowsNoHandleLeak(t *testing.T) {
	count := syscall.NewLazyDLL("kernel32.dll").NewProc("GetProcessHandleCount")
	handles := func() uint32 {
		var n uint32
		r, _, err := count.Call(uintptr(^uintptr(0)), uintptr(unsafe.Pointer(&n))) // the current process
		qt.Assert(t, r, qt.Not(qt.Equals), uintptr(0), qt.Commentf("GetProcessHandleCount: %v", err))
		return n
	}
	dir := testenv.TempDir(t)
	name := shmName(t)
	cycle := func(i int) {
		b, err := ipcbuf.OpenShm(name, 8192, ipcbuf.Exclusive())
		qt.Assert(t, err, qt.IsNil)
		_, err = ipcbuf.OpenShm(name, 8192, ipcbuf.Exclusive())
		qt.Assert(t, err, qt.ErrorIs, fs.ErrExist)
		_, err = ipcbuf.OpenShm(name, 1<<20)
		qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid) // cannot grow
		qt.Assert(t, b.Close(), qt.IsNil)
		path := filepath.Join(dir, fmt.Sprintf("f%d", i%4))
		f, err := ipcbuf.OpenFile(path, 8192)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, f.Sync(), qt.IsNil)
		_, err = ipcbuf.OpenFile(path, 0, ipcbuf.Exclusive())
		qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid)
		qt.Assert(t, f.Close(), qt.IsNil)
		_, err = ipcbuf.OpenFile(dir, 4096)
		qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid)
	}
	for i := range 10 { // warm up: the runtime's own handles
		cycle(i)
	}
	before := handles()
	for i := range 500 {
		cycle(i)
	}
	after := handles()
	qt.Assert(t, after <= before+2, qt.IsTrue, qt.Commentf("handles %d before 500 cycles, %d after", before, after))
}

// TestWindowsPopulate: Populate, which on Windows touches every page at
// open, opens new and existing sections and files, read-write and
// read-only, with their bytes intact (the README promises it works there).
func TestWindowsPopulate(t *testing.T) {
	for _, target := range []string{"*" + shmName(t), filepath.Join(testenv.TempDir(t), "populated.bin")} {
		b, err := ipcbuf.Open(target, 1<<20, ipcbuf.Exclusive(), ipcbuf.Populate())
		qt.Assert(t, err, qt.IsNil, qt.Commentf("%s", target))
		_, err = b.WriteAt([]byte("populated"), 1<<20-9)
		qt.Assert(t, err, qt.IsNil)
		ro, err := ipcbuf.Open(target, 1<<20, ipcbuf.ReadOnly(), ipcbuf.Populate())
		qt.Assert(t, err, qt.IsNil, qt.Commentf("%s", target))
		qt.Assert(t, string(ro.Bytes()[1<<20-9:]), qt.Equals, "populated")
		qt.Assert(t, ro.Close(), qt.IsNil)
		qt.Assert(t, b.Close(), qt.IsNil)
	}
}
