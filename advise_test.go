//go:build linux

package ipcbuf_test

// The Populate and HugePages options: what the kernel was asked for is what
// the mapping has (read back from /proc/self/smaps), and where the system
// refuses, opening fails clearly and creates nothing.

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	qt "github.com/frankban/quicktest"

	"github.com/ipcbuf/ipcbuf"
)

func init() {
	childRoles["huge-shm-advise"] = func(target string) int { return hugeShmChild(target, "advise") }
	childRoles["huge-shm-never"] = func(target string) int { return hugeShmChild(target, "never") }
}

// smapsOf returns the kB figures (Rss, KernelPageSize, ShmemPmdMapped, …)
// of the mapping that holds p's first byte, from /proc/self/smaps.
func smapsOf(p []byte) (map[string]int, error) {
	if len(p) == 0 {
		return nil, errors.New("no memory")
	}
	addr := uint64(uintptr(unsafe.Pointer(&p[0])))
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out map[string]int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if lo, hi, ok := strings.Cut(fields[0], "-"); ok {
			l, err1 := strconv.ParseUint(lo, 16, 64)
			h, err2 := strconv.ParseUint(hi, 16, 64)
			if err1 == nil && err2 == nil {
				if out != nil {
					break // the next mapping
				}
				if addr >= l && addr < h {
					out = map[string]int{}
				}
				continue
			}
		}
		if out != nil && len(fields) == 3 && fields[2] == "kB" {
			n, err := strconv.Atoi(fields[1])
			if err == nil {
				out[strings.TrimSuffix(fields[0], ":")] = n
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if out == nil {
		return nil, fmt.Errorf("no mapping holds %#x", addr)
	}
	return out, nil
}

func TestPopulate(t *testing.T) {
	const size = 8 << 20
	for _, kc := range sharedKinds {
		t.Run(kc.kind.String(), func(t *testing.T) {
			requireKind(t, kc.kind)
			target := kc.target(t)

			// Without the option nothing is resident until touched.
			plain, err := ipcbuf.Open(target, size, ipcbuf.Exclusive())
			qt.Assert(t, err, qt.IsNil)
			defer plain.Close()
			m, err := smapsOf(plain.Bytes())
			qt.Assert(t, err, qt.IsNil)
			qt.Check(t, m["Rss"] < size>>10, qt.IsTrue, qt.Commentf("a new %s mapping without Populate is resident already: %d kB", kc.kind, m["Rss"]))

			// With it, every page is, before any access from Go.
			pop, err := ipcbuf.Open(target, size, ipcbuf.Populate())
			qt.Assert(t, err, qt.IsNil)
			defer pop.Close()
			m, err = smapsOf(pop.Bytes())
			qt.Assert(t, err, qt.IsNil)
			qt.Check(t, m["Rss"], qt.Equals, size>>10, qt.Commentf("Rss of the mapping opened with Populate"))
			_, err = pop.WriteUint32LE(0xfeedface, size-4)
			qt.Assert(t, err, qt.IsNil)

			// Read-only: faulted in for reading, and the bytes are there.
			ro, err := ipcbuf.Open(target, 0, ipcbuf.ReadOnly(), ipcbuf.Populate())
			qt.Assert(t, err, qt.IsNil)
			defer ro.Close()
			m, err = smapsOf(ro.Bytes())
			qt.Assert(t, err, qt.IsNil)
			qt.Check(t, m["Rss"], qt.Equals, size>>10, qt.Commentf("Rss of the read-only mapping opened with Populate"))
			v, err := ro.ReadUint32LE(size - 4)
			qt.Assert(t, err, qt.IsNil)
			qt.Check(t, v, qt.Equals, uint32(0xfeedface))
		})
	}
}

func TestHugePagesFileRefused(t *testing.T) {
	requireKind(t, ipcbuf.KindFile)
	path := sharedKinds[1].target(t)
	_, err := ipcbuf.OpenFile(path, 4<<20, ipcbuf.HugePages())
	qt.Assert(t, err, qt.ErrorIs, errors.ErrUnsupported)
	qt.Check(t, err, qt.ErrorMatches, `.*hugetlbfs.*`)
	_, err = os.Lstat(path)
	qt.Check(t, err, qt.ErrorIs, fs.ErrNotExist, qt.Commentf("the refused open created the file"))
}

// TestHugePagesPOSIX opens POSIX objects with HugePages in children that
// have a mount namespace of their own, with a tmpfs of their own at
// /dev/shm mounted with huge=advise or huge=never, so the test depends on
// neither the machine's /dev/shm nor changes it.
func TestHugePagesPOSIX(t *testing.T) {
	requireKind(t, ipcbuf.KindPOSIX)
	for _, mode := range []string{"advise", "never"} {
		t.Run(mode, func(t *testing.T) {
			cmd := childCommand("huge-shm-"+mode, "*"+shmName(t))
			cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
			out, err := childOutput(cmd)
			var exit *exec.ExitError
			if errors.As(err, &exit) && exit.ExitCode() == 3 {
				requireOrSkip(t, "cannot mount a tmpfs of huge pages in a mount namespace of its own: %s", strings.TrimSpace(out))
			}
			if err != nil && strings.Contains(err.Error(), "operation not permitted") {
				requireOrSkip(t, "cannot make a mount namespace (needs root or CAP_SYS_ADMIN): %v", err)
			}
			qt.Assert(t, err, qt.IsNil)
			if mode == "advise" {
				qt.Check(t, out, qt.Matches, `huge pages: \d+ kB of 4096 kB\n`)
			} else {
				qt.Check(t, out, qt.Equals, "refused, nothing created\n")
			}
		})
	}
}

// hugeShmChild mounts a tmpfs with huge=mode at /dev/shm (in the mount
// namespace the parent gave it) and opens target there with HugePages and
// Populate. With advise it prints how much of the mapping the kernel
// backs with huge pages; with never, that opening was refused. Exit 3: the
// mount failed.
func hugeShmChild(target, mode string) int {
	if err := syscall.Mount("tmpfs", "/dev/shm", "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "huge="+mode+",size=64m"); err != nil {
		fmt.Println("mount tmpfs huge=" + mode + " on /dev/shm: " + err.Error())
		return 3
	}
	const size = 4 << 20
	b, err := ipcbuf.Open(target, size, ipcbuf.Exclusive(), ipcbuf.HugePages(), ipcbuf.Populate())
	if mode == "never" {
		if !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), "huge=advise") {
			fmt.Fprintf(os.Stderr, "opening with HugePages on a tmpfs without them: got %v, want an error matching errors.ErrUnsupported that says how to allow them\n", err)
			return 1
		}
		if ents, _ := os.ReadDir("/dev/shm"); len(ents) != 0 {
			fmt.Fprintf(os.Stderr, "the refused open left %d objects in /dev/shm\n", len(ents))
			return 1
		}
		fmt.Println("refused, nothing created")
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	defer func() {
		b.Close()
		b.Remove()
	}()
	m, err := smapsOf(b.Bytes())
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	// The kernel gives huge pages to the 2 MiB-aligned parts of the range.
	if m["ShmemPmdMapped"] < 2048 {
		fmt.Fprintf(os.Stderr, "the mapping has %d kB in huge pages: %v\n", m["ShmemPmdMapped"], m)
		return 1
	}
	fmt.Printf("huge pages: %d kB of %d kB\n", m["ShmemPmdMapped"], size>>10)
	return 0
}

func TestHugePagesSysV(t *testing.T) {
	requireKind(t, ipcbuf.KindSysV)
	hugeSize := hugePages(t, 2)
	t.Run("made of huge pages", func(t *testing.T) {
		size := hugeSize + hugeSize/2 // rounded up to two huge pages
		key := sysvKey(t)
		b, err := ipcbuf.OpenSysV(key, size, ipcbuf.Exclusive(), ipcbuf.HugePages(), ipcbuf.Populate())
		qt.Assert(t, err, qt.IsNil)
		defer b.Close()
		qt.Check(t, b.Len(), qt.Equals, size)
		m, err := smapsOf(b.Bytes())
		qt.Assert(t, err, qt.IsNil)
		qt.Check(t, m["KernelPageSize"], qt.Equals, hugeSize>>10)
		_, err = b.WriteUint32LE(7, size-4)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, b.Remove(), qt.IsNil)
	})
	t.Run("pool too small", func(t *testing.T) {
		_, free := hugeMeminfo(t)
		key := sysvKey(t)
		_, err := ipcbuf.OpenSysV(key, (free+1)*hugeSize, ipcbuf.Exclusive(), ipcbuf.HugePages())
		qt.Assert(t, err, qt.Not(qt.IsNil))
		qt.Check(t, err, qt.ErrorMatches, `.*vm.nr_hugepages.*`)
		qt.Check(t, sysvExists(key), qt.IsFalse, qt.Commentf("the refused open created a segment"))
	})
}

// TestOptionsForBuffersOnly: the options that shape a mapping are refused
// by semaphores, which map nothing, and SemUndo by buffers, which have no
// semaphore; each is refused before anything is created.
func TestOptionsForBuffersOnly(t *testing.T) {
	requireKind(t, ipcbuf.KindPOSIX) // a build without it answers ErrUnsupported first
	for _, opt := range []ipcbuf.Option{ipcbuf.Populate(), ipcbuf.HugePages(), ipcbuf.NoFollow()} {
		_, err := ipcbuf.OpenSemaphore("*"+shmName(t), 1, opt)
		qt.Check(t, err, qt.ErrorIs, fs.ErrInvalid)
		qt.Check(t, err, qt.ErrorMatches, `.*are for buffers.*`)
	}
	target := sharedKinds[0].target(t)
	_, err := ipcbuf.Open(target, 4096, ipcbuf.SemUndo())
	qt.Check(t, err, qt.ErrorIs, fs.ErrInvalid)
	qt.Check(t, err, qt.ErrorMatches, `.*SemUndo is for System V semaphores.*`)
}
