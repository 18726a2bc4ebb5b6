//go:build linux

package ipcbuf_test

// Reliability scenario 6 (TESTING.md, "Reliability scenarios"): 8 MiB on a
// full or tiny tmpfs fails at open with ENOSPC, never with SIGBUS later,
// and leaves nothing behind.

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"

	qt "github.com/frankban/quicktest"

	"github.com/ipcbuf/ipcbuf"
)

func init() {
	childRoles["rel-tmpfs-shm"] = relTmpfsShmChild
}

const relTinyTmpfs = "size=1m"

func TestFullTmpfs(t *testing.T) {
	dir := mountTemp(t, "tmpfs", relTinyTmpfs)

	t.Run("file", func(t *testing.T) {
		if !ipcbuf.KindFile.Supported() {
			_, err := ipcbuf.OpenFile(filepath.Join(dir, "f"), 4096)
			qt.Assert(t, err, qt.ErrorIs, errors.ErrUnsupported)
			requireKind(t, ipcbuf.KindFile)
		}
		empty := func() {
			t.Helper()
			entries, err := os.ReadDir(dir)
			qt.Assert(t, err, qt.IsNil)
			qt.Assert(t, entries, qt.HasLen, 0, qt.Commentf("a failed open left files behind"))
		}
		fds := relFDs(t)
		big := filepath.Join(dir, "big")
		for _, opts := range [][]ipcbuf.Option{nil, {ipcbuf.Exclusive()}, {ipcbuf.Mode(0o644)}} {
			b, err := ipcbuf.OpenFile(big, 8<<20, opts...)
			qt.Assert(t, err, qt.ErrorIs, syscall.ENOSPC)
			qt.Assert(t, b, qt.IsNil)
			empty()
			qt.Assert(t, relFDDiff(fds, relFDs(t)), qt.Equals, "", qt.Commentf("descriptors after a failed open"))
		}
		b, err := ipcbuf.Open(big, 8<<20)
		qt.Assert(t, err, qt.ErrorIs, syscall.ENOSPC, qt.Commentf("through Open"))
		qt.Assert(t, b, qt.IsNil)
		t.Logf("8 MiB on a 1 MiB tmpfs: %v", err)
		empty()

		// Half the space: reserved at open, so every byte can be written
		// through Bytes with no SIGBUS.
		okPath := filepath.Join(dir, "ok")
		ok, err := ipcbuf.OpenFile(okPath, 512<<10, ipcbuf.Exclusive())
		qt.Assert(t, err, qt.IsNil)
		p := ok.Bytes()
		qt.Assert(t, len(p), qt.Equals, 512<<10)
		for i := range p {
			p[i] = byte(i%253 + 1)
		}
		runtime.KeepAlive(ok)

		// The rest is too small for 768 KiB more, or for growing ok to 2 MiB;
		// a failed grow leaves the file as it was.
		_, err = ipcbuf.OpenFile(big, 768<<10)
		qt.Assert(t, err, qt.ErrorIs, syscall.ENOSPC)
		_, err = ipcbuf.OpenFile(okPath, 2<<20)
		qt.Assert(t, err, qt.ErrorIs, syscall.ENOSPC, qt.Commentf("growing past the free space"))
		fi, err := os.Stat(okPath)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, fi.Size(), qt.Equals, int64(512<<10), qt.Commentf("a failed grow changed the size"))
		entries, err := os.ReadDir(dir)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, len(entries), qt.Equals, 1)

		qt.Assert(t, ok.Close(), qt.IsNil)
		got, err := os.ReadFile(okPath)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, len(got), qt.Equals, 512<<10)
		for i, c := range got {
			if c != byte(i%253+1) {
				t.Fatalf("byte %d of the file is %#x; want %#x", i, c, byte(i%253+1))
			}
		}
		qt.Assert(t, os.Remove(okPath), qt.IsNil)
		empty()
		qt.Assert(t, mapped(t, big, okPath), qt.HasLen, 0)
		qt.Assert(t, relFDDiff(fds, relFDs(t)), qt.Equals, "")
	})

	// An existing sparse object (made with ftruncate, as Python and most C
	// code make them) has no storage behind its pages: a writable open must
	// allocate it, so a full file system is ENOSPC at open, not SIGBUS at
	// the first write through Bytes.
	t.Run("sparse existing", func(t *testing.T) {
		requireKind(t, ipcbuf.KindFile)
		sparse := filepath.Join(dir, "sparse")
		f, err := os.Create(sparse)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, f.Truncate(512<<10), qt.IsNil)
		qt.Assert(t, f.Close(), qt.IsNil)
		defer os.Remove(sparse)
		filler := filepath.Join(dir, "filler")
		fb, err := ipcbuf.OpenFile(filler, 960<<10) // about all the rest
		qt.Assert(t, err, qt.IsNil)
		defer os.Remove(filler)
		defer fb.Close()

		_, err = ipcbuf.OpenFile(sparse, 0)
		qt.Assert(t, err, qt.ErrorIs, syscall.ENOSPC)
		ro, err := ipcbuf.OpenFile(sparse, 0, ipcbuf.ReadOnly())
		qt.Assert(t, err, qt.IsNil, qt.Commentf("reading holes needs no storage"))
		qt.Assert(t, ro.Len(), qt.Equals, 512<<10)
		qt.Assert(t, ro.Close(), qt.IsNil)
	})

	t.Run("posix", func(t *testing.T) {
		name := shmName(t)
		if !ipcbuf.KindPOSIX.Supported() {
			_, err := ipcbuf.OpenShm(name, 4096)
			qt.Assert(t, err, qt.ErrorIs, errors.ErrUnsupported)
			requireKind(t, ipcbuf.KindPOSIX)
		}
		// /dev/shm is shared by the whole machine: the child mounts its
		// tiny tmpfs there in a mount namespace of its own.
		cmd := childCommand("rel-tmpfs-shm", name)
		cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
		out, err := cmd.CombinedOutput()
		if errors.Is(err, syscall.EPERM) {
			requireOrSkip(t, "cannot start a child in a new mount namespace (%v): unshare(CLONE_NEWNS) needs CAP_SYS_ADMIN", err)
		}
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) && ee.ExitCode() == 3 {
			requireOrSkip(t, "the child cannot mount a tmpfs on /dev/shm: %s", out)
		}
		qt.Assert(t, err, qt.IsNil, qt.Commentf("child:\n%s", out))
		t.Logf("child:\n%s", out)
		qt.Assert(t, string(out), qt.Contains, "all ok")
		// Nothing of the child's reached the real /dev/shm.
		for _, n := range []string{name, name + "-small", name + "-more"} {
			_, err := os.Stat("/dev/shm/" + n)
			qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist)
		}
	})
}

// relTmpfsShmChild runs in a mount namespace of its own: it mounts a 1 MiB
// tmpfs on /dev/shm and checks that POSIX objects too big for it fail at
// open with ENOSPC and leave nothing behind. It prints "all ok" and exits 0
// when every check passed, exits 3 if it cannot mount.
func relTmpfsShmChild(name string) int {
	failed := false
	fail := func(format string, args ...any) {
		fmt.Printf("FAIL: "+format+"\n", args...)
		failed = true
	}
	if err := syscall.Mount("tmpfs", "/dev/shm", "tmpfs", 0, relTinyTmpfs); err != nil {
		fmt.Printf("mount tmpfs on /dev/shm: %v\n", err)
		if errors.Is(err, syscall.EPERM) {
			return 3
		}
		return 1
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs("/dev/shm", &st); err != nil || st.Blocks*uint64(st.Bsize) > 1<<20 {
		fmt.Printf("FAIL: /dev/shm is not the 1 MiB tmpfs: %v %+v\n", err, st)
		return 1
	}
	shmEmpty := func(what string) {
		entries, err := os.ReadDir("/dev/shm")
		if err != nil || len(entries) != 0 {
			fail("%s: /dev/shm holds %v (%v)", what, entries, err)
		}
	}
	fds, err := relListFDs()
	if err != nil {
		fail("%v", err)
	}
	fdsFlat := func(what string) {
		now, err := relListFDs()
		if d := relFDDiff(fds, now); err != nil || d != "" {
			fail("%s: descriptors changed: %s %v", what, d, err)
		}
	}

	for i, opts := range [][]ipcbuf.Option{nil, {ipcbuf.Exclusive()}} {
		b, err := ipcbuf.OpenShm(name, 8<<20, opts...)
		if !errors.Is(err, syscall.ENOSPC) || b != nil {
			fail("OpenShm 8 MiB on a 1 MiB /dev/shm (options %d): %v; want ENOSPC", i, err)
		} else {
			fmt.Printf("8 MiB: %v\n", err)
		}
		shmEmpty("after the failed 8 MiB open")
		fdsFlat("after the failed 8 MiB open")
	}
	if _, err := ipcbuf.Open("*"+name, 8<<20); !errors.Is(err, syscall.ENOSPC) {
		fail("Open *name 8 MiB: %v; want ENOSPC", err)
	}
	shmEmpty("after Open")

	small, err := ipcbuf.OpenShm(name+"-small", 512<<10, ipcbuf.Exclusive())
	if err != nil {
		fail("OpenShm 512 KiB on a 1 MiB /dev/shm: %v", err)
		return 1
	}
	p := small.Bytes()
	for i := range p {
		p[i] = byte(i%251 + 1)
	}
	runtime.KeepAlive(small)
	fmt.Printf("wrote all %d bytes through Bytes\n", len(p))
	if _, err := ipcbuf.OpenShm(name+"-more", 768<<10); !errors.Is(err, syscall.ENOSPC) {
		fail("768 KiB more: %v; want ENOSPC", err)
	}
	if _, err := ipcbuf.OpenShm(name+"-small", 2<<20); !errors.Is(err, syscall.ENOSPC) {
		fail("growing to 2 MiB: %v; want ENOSPC", err)
	}
	if fi, err := os.Stat("/dev/shm/" + name + "-small"); err != nil || fi.Size() != 512<<10 {
		fail("after the failed grow: %v, %v", fi, err)
	}
	if err := small.Close(); err != nil {
		fail("close: %v", err)
	}
	data, err := os.ReadFile("/dev/shm/" + name + "-small")
	if err != nil || len(data) != 512<<10 {
		fail("read back: %d bytes, %v", len(data), err)
	}
	for i, c := range data {
		if c != byte(i%251+1) {
			fail("byte %d is %#x", i, c)
			break
		}
	}
	if err := ipcbuf.RemoveShm(name + "-small"); err != nil {
		fail("remove: %v", err)
	}
	shmEmpty("at the end")
	fdsFlat("at the end")
	if failed {
		return 1
	}
	fmt.Println("all ok")
	return 0
}
