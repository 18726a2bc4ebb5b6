//go:build linux

package ipcbuf_test

// The open path against hostile or odd objects: scenarios 17, 18, 20 and 24
// of the reliability matrix (see TESTING.md), and NoFollow.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	qt "github.com/frankban/quicktest"

	"github.com/ipcbuf/ipcbuf"
)

func init() {
	childRoles["harden-churn"] = hardenChurnChild
	childRoles["harden-rlimit-as"] = hardenRlimitASChild
}

// hardenNobody is the uid (and gid) that plays "another user".
const hardenNobody = 65534

// hardenStat returns the size and allocated bytes of the file at path.
func hardenStat(t *testing.T, path string) (size, allocated int64) {
	t.Helper()
	var st syscall.Stat_t
	qt.Assert(t, syscall.Stat(path, &st), qt.IsNil)
	return st.Size, st.Blocks * 512
}

// hardenNoTemp fails t if dir holds a temporary name of the open path.
func hardenNoTemp(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	qt.Assert(t, err, qt.IsNil)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".ipcbuf-tmp-") && (dir != "/dev/shm" || strings.HasPrefix(e.Name(), testPrefix)) {
			t.Errorf("a temporary name was left behind: %s", filepath.Join(dir, e.Name()))
		}
	}
}

// ---------------------------------------------------------------------------
// Scenario 17: another user squats the name in a sticky world-writable
// directory, with fs.protected_regular=1.

func TestProtectedRegularSquat(t *testing.T) {
	if os.Geteuid() != 0 {
		requireOrSkip(t, "needs root: to set fs.protected_regular and to make a file another user owns")
	}
	const sysctl = "/proc/sys/fs/protected_regular"
	old, err := os.ReadFile(sysctl)
	if err != nil {
		requireOrSkip(t, "cannot read %s: %v", sysctl, err)
	}
	if err := os.WriteFile(sysctl, []byte("1"), 0); err != nil {
		requireOrSkip(t, "cannot set fs.protected_regular=1: %v", err)
	}
	t.Cleanup(func() {
		if err := os.WriteFile(sysctl, old, 0); err != nil {
			t.Errorf("restoring fs.protected_regular to %s: %v", strings.TrimSpace(string(old)), err)
		}
	})

	// squat makes path as the other user would: mode 0666, owned by them.
	squat := func(t *testing.T, path string) {
		t.Helper()
		qt.Assert(t, os.WriteFile(path, []byte("theirs"), 0o666), qt.IsNil)
		qt.Assert(t, os.Chmod(path, 0o666), qt.IsNil)
		qt.Assert(t, os.Chown(path, hardenNobody, hardenNobody), qt.IsNil)
		// The premise: a plain O_CREAT open by root is refused.
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err == nil {
			f.Close()
			requireOrSkip(t, "the kernel does not apply fs.protected_regular here (a plain O_CREAT open of the squatted name succeeded)")
		}
		qt.Assert(t, err, qt.ErrorIs, fs.ErrPermission, qt.Commentf("a plain O_CREAT open"))
	}
	check := func(t *testing.T, target, path string) {
		t.Helper()
		for _, size := range []int{4096, 6} {
			b, err := ipcbuf.Open(target, size)
			if err == nil {
				b.Close()
			}
			qt.Assert(t, err, qt.ErrorIs, fs.ErrPermission, qt.Commentf("default open of a squatted name, size %d", size))
			qt.Assert(t, b, qt.IsNil)
		}
		_, err := ipcbuf.Open(target, 4096, ipcbuf.Exclusive())
		qt.Assert(t, err, qt.ErrorIs, fs.ErrExist)
		data, err := os.ReadFile(path)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, string(data), qt.Equals, "theirs", qt.Commentf("the squatted object was changed"))
		hardenNoTemp(t, filepath.Dir(path))
	}

	t.Run("posix", func(t *testing.T) {
		requireKind(t, ipcbuf.KindPOSIX)
		name := shmName(t)
		path := "/dev/shm/" + name
		squat(t, path)
		check(t, "*"+name, path)
	})
	t.Run("file", func(t *testing.T) {
		requireKind(t, ipcbuf.KindFile)
		dir := filepath.Join(t.TempDir(), "sticky")
		qt.Assert(t, os.Mkdir(dir, 0o700), qt.IsNil)
		qt.Assert(t, os.Chmod(dir, 0o777|os.ModeSticky), qt.IsNil)
		path := filepath.Join(dir, "squatted")
		squat(t, path)
		check(t, path, path)
		// Through a symlink of our own the kernel's rule still applies.
		link := filepath.Join(t.TempDir(), "link")
		qt.Assert(t, os.Symlink(path, link), qt.IsNil)
		_, err := ipcbuf.OpenFile(link, 4096)
		qt.Assert(t, err, qt.ErrorIs, fs.ErrPermission, qt.Commentf("through a symlink"))
	})
}

// ---------------------------------------------------------------------------
// Scenario 18: the target is a FIFO, socket, device or directory.

// hardenOpenSoon runs open in a goroutine and fails t if it has not
// returned within a generous minute; unblock is called then, to let a
// blocked open(2) return.
func hardenOpenSoon(t *testing.T, what string, unblock func(), open func() (*ipcbuf.Buffer, error)) error {
	t.Helper()
	type result struct {
		b   *ipcbuf.Buffer
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := open()
		done <- result{b, err}
	}()
	select {
	case r := <-done:
		if r.b != nil {
			r.b.Close()
		}
		return r.err
	case <-time.After(time.Minute):
		unblock()
		<-done
		t.Fatalf("%s: open did not return within a minute (blocked in open(2))", what)
		return nil
	}
}

func TestNotRegularFile(t *testing.T) {
	type special struct {
		name string
		make func(t *testing.T, path string) // makes the thing at path
	}
	fifo := special{"fifo", func(t *testing.T, path string) {
		qt.Assert(t, syscall.Mkfifo(path, 0o666), qt.IsNil)
	}}
	dir := special{"directory", func(t *testing.T, path string) {
		qt.Assert(t, os.Mkdir(path, 0o777), qt.IsNil)
	}}
	socket := special{"socket", func(t *testing.T, path string) {
		l, err := net.Listen("unix", path)
		qt.Assert(t, err, qt.IsNil)
		t.Cleanup(func() { l.Close() })
	}}
	device := special{"device", func(t *testing.T, path string) {
		// /dev/null's numbers, 1:3.
		if err := syscall.Mknod(path, syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
			requireOrSkip(t, "cannot make a device node (mknod: %v): needs root", err)
		}
	}}
	// unblock opens a FIFO for reading and writing, which never blocks on
	// Linux, so that an open(2) blocked on it returns.
	unblock := func(path string) func() {
		return func() {
			if f, err := os.OpenFile(path, os.O_RDWR, 0); err == nil {
				time.AfterFunc(time.Second, func() { f.Close() })
			}
		}
	}
	opens := []struct {
		name string
		size int
		opts []ipcbuf.Option
	}{
		{"default", 4096, nil},
		{"size 0", 0, nil},
		{"read-only", 0, []ipcbuf.Option{ipcbuf.ReadOnly()}},
		{"open-only", 4096, []ipcbuf.Option{ipcbuf.OpenOnly()}},
		{"read-only sized", 8, []ipcbuf.Option{ipcbuf.ReadOnly()}},
	}
	try := func(t *testing.T, target, path string) {
		for _, o := range opens {
			err := hardenOpenSoon(t, o.name, unblock(path), func() (*ipcbuf.Buffer, error) {
				return ipcbuf.Open(target, o.size, o.opts...)
			})
			qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid, qt.Commentf("%s open", o.name))
			qt.Assert(t, err, qt.ErrorMatches, `open .*: it is .*not a regular file.*`, qt.Commentf("%s open", o.name))
		}
		err := hardenOpenSoon(t, "exclusive", unblock(path), func() (*ipcbuf.Buffer, error) {
			return ipcbuf.Open(target, 4096, ipcbuf.Exclusive())
		})
		qt.Assert(t, err, qt.ErrorIs, fs.ErrExist)
		// Left as it was, and nothing else made.
		_, err = os.Lstat(path)
		qt.Assert(t, err, qt.IsNil)
		hardenNoTemp(t, filepath.Dir(path))
	}

	t.Run("file", func(t *testing.T) {
		requireKind(t, ipcbuf.KindFile)
		for _, s := range []special{fifo, dir, socket, device} {
			t.Run(s.name, func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "x")
				s.make(t, path)
				try(t, path, path)
			})
		}
		t.Run("existing device", func(t *testing.T) {
			err := hardenOpenSoon(t, "/dev/null", func() {}, func() (*ipcbuf.Buffer, error) {
				return ipcbuf.OpenFile("/dev/null", 0, ipcbuf.ReadOnly())
			})
			qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid)
			qt.Assert(t, err, qt.ErrorMatches, `open /dev/null: it is a character device, not a regular file.*`)
		})
	})
	t.Run("posix", func(t *testing.T) {
		requireKind(t, ipcbuf.KindPOSIX)
		for _, s := range []special{fifo, dir, socket} {
			t.Run(s.name, func(t *testing.T) {
				name := shmName(t)
				path := "/dev/shm/" + name
				s.make(t, path)
				// Before shmName's cleanup, which cannot remove a directory.
				t.Cleanup(func() { os.Remove(path) })
				try(t, "*"+name, path)
			})
		}
	})
}

// ---------------------------------------------------------------------------
// Scenario 20: opening an existing object larger fails; the object keeps
// its size and allocation.

// hardenMountSmall mounts a file system of the given type and size on a new
// directory and returns it; it skips t when that cannot be done here.
func hardenMountSmall(t *testing.T, fstype string, mib int) string {
	t.Helper()
	if os.Geteuid() != 0 {
		requireOrSkip(t, "needs root to mount a small file system to fill")
	}
	if fstype == "tmpfs" {
		return mountTemp(t, "tmpfs", fmt.Sprintf("size=%dm", mib))
	}
	qt.Assert(t, fstype, qt.Equals, "ext4", qt.Commentf("hardenMountSmall makes tmpfs and ext4"))
	dir := filepath.Join(t.TempDir(), "mnt")
	qt.Assert(t, os.Mkdir(dir, 0o700), qt.IsNil)
	img := filepath.Join(t.TempDir(), "fs.img")
	f, err := os.Create(img)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, f.Truncate(int64(mib)<<20), qt.IsNil)
	qt.Assert(t, f.Close(), qt.IsNil)
	mkfs := requireTool(t, "mkfs.ext4", "to make a small ext4 file system to fill (Debian: e2fsprogs)")
	if out, err := exec.Command(mkfs, "-q", "-F", img).CombinedOutput(); err != nil {
		requireOrSkip(t, "cannot make an ext4 file system (mkfs.ext4: %v): %s", err, out)
	}
	mount := requireTool(t, "mount", "to mount the ext4 image on a loop device (Debian: mount)")
	if out, err := exec.Command(mount, "-o", "loop", img, dir).CombinedOutput(); err != nil {
		requireOrSkip(t, "cannot mount an ext4 image on a loop device: %v: %s", err, out)
	}
	unmountAtEnd(t, dir)
	return dir
}

func TestFailedGrowLeavesObject(t *testing.T) {
	requireKind(t, ipcbuf.KindFile)
	pattern := make([]byte, 4096)
	for i := range pattern {
		pattern[i] = byte(i%251 + 1)
	}
	// enospc opens a 4 KiB file at 64 MiB on a 16 MiB file system.
	enospc := func(t *testing.T, dir string) {
		path := filepath.Join(dir, "small")
		qt.Assert(t, os.WriteFile(path, pattern, 0o600), qt.IsNil)
		size, alloc := hardenStat(t, path)
		var before, after syscall.Statfs_t
		qt.Assert(t, syscall.Statfs(dir, &before), qt.IsNil)
		for _, opts := range [][]ipcbuf.Option{nil, {ipcbuf.OpenOnly()}} {
			b, err := ipcbuf.OpenFile(path, 64<<20, opts...)
			qt.Assert(t, err, qt.ErrorIs, syscall.ENOSPC)
			qt.Assert(t, b, qt.IsNil)
			gotSize, gotAlloc := hardenStat(t, path)
			qt.Assert(t, gotSize, qt.Equals, size, qt.Commentf("a failed grow changed the size"))
			qt.Assert(t, gotAlloc, qt.Equals, alloc, qt.Commentf("a failed grow kept storage"))
		}
		qt.Assert(t, syscall.Statfs(dir, &after), qt.IsNil)
		qt.Assert(t, after.Bfree, qt.Equals, before.Bfree, qt.Commentf("free blocks of the file system"))
		data, err := os.ReadFile(path)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, data, qt.DeepEquals, pattern)
		hardenNoTemp(t, dir)
	}
	t.Run("ENOSPC ext4", func(t *testing.T) { enospc(t, hardenMountSmall(t, "ext4", 16)) })
	t.Run("ENOSPC tmpfs", func(t *testing.T) { enospc(t, hardenMountSmall(t, "tmpfs", 16)) })

	// Under RLIMIT_AS, mapping 256 MiB fails with ENOMEM (in a child, whose
	// address space is limited to what it uses plus 64 MiB).
	rlimit := func(t *testing.T, target, path string) {
		qt.Assert(t, os.WriteFile(path, pattern, 0o600), qt.IsNil)
		size, alloc := hardenStat(t, path)
		out, err := childCommand("harden-rlimit-as", target).CombinedOutput()
		qt.Assert(t, err, qt.IsNil, qt.Commentf("child:\n%s", out))
		qt.Assert(t, string(out), qt.Contains, "ENOMEM ok")
		gotSize, gotAlloc := hardenStat(t, path)
		qt.Assert(t, gotSize, qt.Equals, size, qt.Commentf("a failed map changed the size"))
		qt.Assert(t, gotAlloc, qt.Equals, alloc, qt.Commentf("a failed map kept storage"))
		data, err := os.ReadFile(path)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, data, qt.DeepEquals, pattern)
		hardenNoTemp(t, filepath.Dir(path))
	}
	t.Run("ENOMEM file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "small")
		rlimit(t, path, path)
	})
	t.Run("ENOMEM posix", func(t *testing.T) {
		requireKind(t, ipcbuf.KindPOSIX)
		name := shmName(t)
		rlimit(t, "*"+name, "/dev/shm/"+name)
	})
}

// hardenRlimitASChild limits its address space to what it uses now plus
// 64 MiB and opens target (an existing 4 KiB object) at 256 MiB, which must
// fail with ENOMEM; it prints "ENOMEM ok" when it did.
func hardenRlimitASChild(target string) int {
	size, err := procStatus("VmSize")
	if err != nil || size == 0 {
		fmt.Println("VmSize:", size, err)
		return 1
	}
	vm := uint64(size)
	lim := syscall.Rlimit{Cur: vm + 64<<20, Max: vm + 64<<20}
	if err := syscall.Setrlimit(syscall.RLIMIT_AS, &lim); err != nil {
		fmt.Println("setrlimit:", err)
		return 1
	}
	b, err := ipcbuf.Open(target, 256<<20)
	if err == nil {
		b.Close()
		fmt.Println("opened at 256 MiB despite RLIMIT_AS")
		return 1
	}
	if !errors.Is(err, syscall.ENOMEM) {
		fmt.Println("want ENOMEM, got", err)
		return 1
	}
	fmt.Println("ENOMEM ok:", err)
	return 0
}

// ---------------------------------------------------------------------------
// Scenario 24: a size-0 attach racing a creator sees the full object or
// none.

const hardenChurnSize = 64 << 10

// hardenChurnChild creates target exclusively at 64 KiB and removes it, over
// and over, until its standard input closes. It prints "started" after the
// first creation, and the number of cycles at the end.
func hardenChurnChild(target string) int {
	stop := make(chan struct{})
	go func() {
		io.Copy(io.Discard, os.Stdin)
		close(stop)
	}()
	for n := 0; ; n++ {
		select {
		case <-stop:
			fmt.Println("cycles", n)
			return 0
		default:
		}
		b, err := ipcbuf.Open(target, hardenChurnSize, ipcbuf.Exclusive())
		if err != nil {
			fmt.Println("create:", err)
			return 1
		}
		if n == 0 {
			fmt.Println("started")
		}
		b.Close()
		if err := ipcbuf.Remove(target); err != nil {
			fmt.Println("remove:", err)
			return 1
		}
	}
}

func TestAttachNeverHalfMade(t *testing.T) {
	churn := func(t *testing.T, target string, dir string) {
		cmd := childCommand("harden-churn", target)
		stdin, err := cmd.StdinPipe()
		qt.Assert(t, err, qt.IsNil)
		stdout, err := cmd.StdoutPipe()
		qt.Assert(t, err, qt.IsNil)
		cmd.Stderr = os.Stderr
		qt.Assert(t, cmd.Start(), qt.IsNil)
		lines := bufio.NewScanner(stdout)
		stopped := false
		stop := func() string {
			if stopped {
				return ""
			}
			stopped = true
			stdin.Close()
			var rest []string
			for lines.Scan() {
				rest = append(rest, lines.Text())
			}
			if err := cmd.Wait(); err != nil {
				t.Errorf("churn child: %v: %s", err, rest)
			}
			return strings.Join(rest, "; ")
		}
		t.Cleanup(func() { stop() })
		if !lines.Scan() || lines.Text() != "started" {
			t.Fatalf("churn child did not start: %q", lines.Text())
		}

		var full, missing, opens int
		deadline := time.Now().Add(3 * time.Second)
		for opens < 20000 && time.Now().Before(deadline) {
			opens++
			b, err := ipcbuf.Open(target, 0, ipcbuf.ReadOnly())
			switch {
			case err == nil:
				n := b.Len()
				b.Close()
				if n != hardenChurnSize {
					t.Fatalf("open %d: a buffer of %d bytes; want %d (the full object) or fs.ErrNotExist", opens, n, hardenChurnSize)
				}
				full++
			case errors.Is(err, fs.ErrNotExist):
				missing++
			default:
				t.Fatalf("open %d: %v; want the full object or fs.ErrNotExist", opens, err)
			}
		}
		summary := stop()
		t.Logf("%d opens while another process created and removed: %d full, %d not there (child: %s)", opens, full, missing, summary)
		qt.Assert(t, full > 0, qt.IsTrue, qt.Commentf("no open ever met the object: the test proved nothing"))
		hardenNoTemp(t, dir)
	}
	t.Run("posix", func(t *testing.T) {
		requireKind(t, ipcbuf.KindPOSIX)
		churn(t, "*"+shmName(t), "/dev/shm")
	})
	t.Run("file", func(t *testing.T) {
		requireKind(t, ipcbuf.KindFile)
		dir := t.TempDir()
		churn(t, filepath.Join(dir, "churn"), dir)
	})
}

// An existing object of length 0 opened at size 0 is an error, not an
// empty buffer: size 0 means "as it is", and there is nothing to map.
func TestEmptyObjectSizeZero(t *testing.T) {
	check := func(t *testing.T, target, path string) {
		qt.Assert(t, os.WriteFile(path, nil, 0o600), qt.IsNil)
		for _, opts := range [][]ipcbuf.Option{nil, {ipcbuf.OpenOnly()}, {ipcbuf.ReadOnly()}} {
			b, err := ipcbuf.Open(target, 0, opts...)
			qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid)
			qt.Assert(t, err, qt.ErrorMatches, `open .*: the object is empty \(0 bytes\).*`)
			qt.Assert(t, b, qt.IsNil)
		}
		// A size still grows it, as before.
		b, err := ipcbuf.Open(target, 16)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, b.Len(), qt.Equals, 16)
		qt.Assert(t, b.Close(), qt.IsNil)
	}
	t.Run("posix", func(t *testing.T) {
		requireKind(t, ipcbuf.KindPOSIX)
		name := shmName(t)
		check(t, "*"+name, "/dev/shm/"+name)
	})
	t.Run("file", func(t *testing.T) {
		requireKind(t, ipcbuf.KindFile)
		path := filepath.Join(t.TempDir(), "empty")
		check(t, path, path)
	})
}

// A created object is published whole: exact mode, its full size, and no
// temporary name left, whether the create succeeds or fails.
func TestCreatePublishesWhole(t *testing.T) {
	check := func(t *testing.T, target, path string) {
		old := syscall.Umask(0o077)
		defer syscall.Umask(old)
		b, err := ipcbuf.Open(target, 12345, ipcbuf.Exclusive(), ipcbuf.Mode(0o644))
		qt.Assert(t, err, qt.IsNil)
		fi, err := os.Stat(path)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, fi.Mode().Perm(), qt.Equals, fs.FileMode(0o644))
		qt.Assert(t, fi.Size(), qt.Equals, int64(12345))
		qt.Assert(t, b.Close(), qt.IsNil)
		hardenNoTemp(t, filepath.Dir(path))
		// Exclusive on the existing name: ErrExist, the object untouched,
		// the temporary object gone.
		_, err = ipcbuf.Open(target, 99999, ipcbuf.Exclusive())
		qt.Assert(t, err, qt.ErrorIs, fs.ErrExist)
		fi, err = os.Stat(path)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, fi.Size(), qt.Equals, int64(12345))
		hardenNoTemp(t, filepath.Dir(path))
		// Too big to map: ENOMEM or EINVAL from mmap, nothing left.
		_, err = ipcbuf.Open(target+"-huge", 1<<46)
		qt.Assert(t, err, qt.IsNotNil)
		_, err = os.Stat(path + "-huge")
		qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist)
		hardenNoTemp(t, filepath.Dir(path))
	}
	t.Run("posix", func(t *testing.T) {
		requireKind(t, ipcbuf.KindPOSIX)
		name := shmName(t)
		check(t, "*"+name, "/dev/shm/"+name)
	})
	t.Run("file", func(t *testing.T) {
		requireKind(t, ipcbuf.KindFile)
		path := filepath.Join(t.TempDir(), "new")
		check(t, path, path)
	})
}

// ---------------------------------------------------------------------------
// NoFollow.

func TestNoFollow(t *testing.T) {
	requireKind(t, ipcbuf.KindFile)
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	qt.Assert(t, os.WriteFile(real, []byte("12345678"), 0o600), qt.IsNil)
	link := filepath.Join(dir, "link")
	qt.Assert(t, os.Symlink(real, link), qt.IsNil)
	dangling := filepath.Join(dir, "dangling")
	qt.Assert(t, os.Symlink(filepath.Join(dir, "nothing"), dangling), qt.IsNil)

	for _, path := range []string{link, dangling} {
		for _, o := range []struct {
			size int
			opts []ipcbuf.Option
		}{
			{0, []ipcbuf.Option{ipcbuf.NoFollow()}},
			{4096, []ipcbuf.Option{ipcbuf.NoFollow()}},
			{0, []ipcbuf.Option{ipcbuf.NoFollow(), ipcbuf.ReadOnly()}},
			{8, []ipcbuf.Option{ipcbuf.NoFollow(), ipcbuf.OpenOnly()}},
		} {
			b, err := ipcbuf.OpenFile(path, o.size, o.opts...)
			qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid, qt.Commentf("%s, size %d", path, o.size))
			qt.Assert(t, err, qt.ErrorIs, syscall.ELOOP)
			qt.Assert(t, err, qt.ErrorMatches, `open .*: it is a symbolic link, and NoFollow refuses to follow it.*`)
			qt.Assert(t, b, qt.IsNil)
		}
		_, err := ipcbuf.OpenFile(path, 4096, ipcbuf.NoFollow(), ipcbuf.Exclusive())
		qt.Assert(t, err, qt.ErrorIs, fs.ErrExist)
	}
	_, err := os.Stat(filepath.Join(dir, "nothing"))
	qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist, qt.Commentf("NoFollow created the dangling link's target"))
	data, err := os.ReadFile(real)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, string(data), qt.Equals, "12345678")
	hardenNoTemp(t, dir)

	// Without NoFollow a symlink is followed, as os.OpenFile does.
	b, err := ipcbuf.OpenFile(link, 0)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, b.Len(), qt.Equals, 8)
	qt.Assert(t, b.Close(), qt.IsNil)
	// And a regular file opens with NoFollow as without.
	b, err = ipcbuf.OpenFile(real, 16, ipcbuf.NoFollow())
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, b.Len(), qt.Equals, 16)
	qt.Assert(t, b.Close(), qt.IsNil)
	b, err = ipcbuf.OpenFile(filepath.Join(dir, "new"), 16, ipcbuf.NoFollow())
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, b.Close(), qt.IsNil)
}
