//go:build linux

package ipcbuf_test

// Reliability scenario 21: memory of huge pages. The kernel maps huge pages
// only whole, and refuses (EINVAL) to unmap or replace part of one: a
// System V segment made with SHM_HUGETLB, or a file on hugetlbfs, whose size
// is not a multiple of the huge page must still close, unmap, and never let
// a stale Bytes slice reach another mapping.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	qt "github.com/frankban/quicktest"

	"github.com/ipcbuf/ipcbuf"
)

func init() {
	childRoles["huge-stale"] = func(target string) int { return hugeStaleChild(target, 0, false) }
	childRoles["huge-stale-100"] = func(target string) int { return hugeStaleChild(target, 100, false) }
	childRoles["huge-stale-noproc"] = func(target string) int { return hugeStaleChild(target, 0, true) }
}

// System V flags the syscall package does not define (linux/ipc.h, shm.h).
const (
	hugeIPCCreat   = 0o1000
	hugeIPCExcl    = 0o2000
	hugeIPCRmid    = 0
	hugeSHMHugeTLB = 0o4000
)

// hugeMeminfo returns the default huge page size and the number of free
// huge pages, from /proc/meminfo.
func hugeMeminfo(t *testing.T) (size, free int) {
	t.Helper()
	data, err := os.ReadFile("/proc/meminfo")
	qt.Assert(t, err, qt.IsNil)
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		n, err := strconv.Atoi(f[1])
		if err != nil {
			continue
		}
		switch f[0] {
		case "Hugepagesize:":
			size = n << 10 // kB
		case "HugePages_Free:":
			free = n
		}
	}
	if size == 0 {
		requireOrSkip(t, "this kernel has no huge pages (no Hugepagesize in /proc/meminfo)")
	}
	return size, free
}

// hugePages makes sure that n huge pages are free, raising vm.nr_hugepages
// if needed and restoring it when the test ends, and returns the huge page
// size. Call it before making anything that uses huge pages, so that the
// restore runs after they are gone.
func hugePages(t *testing.T, n int) int {
	t.Helper()
	size, free := hugeMeminfo(t)
	if free >= n {
		return size
	}
	const knob = "/proc/sys/vm/nr_hugepages"
	old, err := os.ReadFile(knob)
	qt.Assert(t, err, qt.IsNil)
	total, err := strconv.Atoi(strings.TrimSpace(string(old)))
	qt.Assert(t, err, qt.IsNil)
	if err := os.WriteFile(knob, []byte(strconv.Itoa(total+n-free)), 0); err != nil {
		requireOrSkip(t, "cannot reserve %d huge pages: writing %s: %v (needs root and a writable /proc/sys)", n, knob, err)
	}
	t.Cleanup(func() {
		if err := os.WriteFile(knob, old, 0); err != nil {
			t.Errorf("restoring %s to %s: %v", knob, strings.TrimSpace(string(old)), err)
		}
	})
	if _, free = hugeMeminfo(t); free < n {
		requireOrSkip(t, "the kernel found only %d free huge pages of the %d asked for (memory too fragmented)", free, n)
	}
	return size
}

// hugetlbfs mounts a hugetlbfs of the default huge page size on a new
// directory, unmounted when the test ends.
func hugetlbfs(t *testing.T) string {
	t.Helper()
	return mountTemp(t, "hugetlbfs", "")
}

// hugeSegment creates a System V segment of size bytes on huge pages
// (SHM_HUGETLB, which ipcbuf does not offer) with a raw system call, and
// returns its target. The segment is removed when the test ends.
func hugeSegment(t *testing.T, size int) string {
	t.Helper()
	key := sysvKey(t)
	id, _, errno := syscall.Syscall(syscall.SYS_SHMGET, uintptr(key), uintptr(size),
		hugeIPCCreat|hugeIPCExcl|hugeSHMHugeTLB|0o600)
	if errno != 0 {
		t.Fatalf("shmget(%#x, %d, IPC_CREAT|IPC_EXCL|SHM_HUGETLB): %v", key, size, errno)
	}
	t.Cleanup(func() {
		if _, _, errno := syscall.Syscall(syscall.SYS_SHMCTL, id, hugeIPCRmid, 0); errno != 0 && errno != syscall.EINVAL {
			t.Errorf("removing segment %d: %v", id, errno)
		}
	})
	return fmt.Sprintf("%#x", key)
}

// hugeReserved reports whether an inaccessible reservation (---p) covers
// the n bytes at addr, and returns the line of /proc/self/maps that holds
// addr. The kernel merges a reservation with an adjacent one (another
// closed buffer's, or the Go runtime's), so the line may cover more.
func hugeReserved(t *testing.T, addr, n uintptr) (bool, string) {
	t.Helper()
	line := hugeMapAt(t, addr)
	var lo, hi uintptr
	var perms string
	if _, err := fmt.Sscanf(line, "%x-%x %s", &lo, &hi, &perms); err != nil {
		return false, line
	}
	return perms == "---p" && lo <= addr && addr+n <= hi, line
}

// hugeMapAt returns the line of /proc/self/maps whose range holds addr, or
// "" if nothing is mapped there.
func hugeMapAt(t *testing.T, addr uintptr) string {
	t.Helper()
	for _, line := range procMaps(t) {
		var lo, hi uintptr
		if _, err := fmt.Sscanf(line, "%x-%x", &lo, &hi); err == nil && addr >= lo && addr < hi {
			return line
		}
	}
	return ""
}

// hugeAttached returns how many processes have the segment of target
// attached, from /proc/sysvipc/shm.
func hugeAttached(t *testing.T, target string) int {
	t.Helper()
	_, _, key, err := ipcbuf.ParseTarget(target)
	qt.Assert(t, err, qt.IsNil)
	for _, s := range sysvSegs(t) {
		if s.key == int(int32(uint32(key))) {
			return s.nattch
		}
	}
	t.Fatalf("segment %s is gone", target)
	return 0
}

func TestHugePages(t *testing.T) {
	if !ipcbuf.KindSysV.Supported() && !ipcbuf.KindFile.Supported() {
		t.Skip("this build has no backend that maps huge pages (neither System V nor files)")
	}
	// One page for the segment, one for the file.
	page := hugePages(t, 2)
	t.Logf("huge pages of %d KiB", page>>10)

	t.Run("sysv", func(t *testing.T) {
		if !ipcbuf.KindSysV.Supported() {
			t.Skip("no System V backend in this build")
		}
		// Half a huge page: the attachment spans a whole one.
		target := hugeSegment(t, page/2)

		b, err := ipcbuf.Open(target, 0)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, b.Len(), qt.Equals, page/2)
		_, err = b.Write("on a huge page", 0, "")
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, hugeAttached(t, target), qt.Equals, 1)
		qt.Assert(t, b.Close(), qt.IsNil)
		qt.Assert(t, hugeAttached(t, target), qt.Equals, 0)

		// Bytes, then Close: the whole huge page becomes a reservation, and
		// the segment is detached all the same.
		b, err = ipcbuf.Open(target, 0)
		qt.Assert(t, err, qt.IsNil)
		p := b.Bytes()
		qt.Assert(t, string(p[:14]), qt.Equals, "on a huge page")
		addr := uintptr(unsafe.Pointer(unsafe.SliceData(p)))
		qt.Assert(t, b.Close(), qt.IsNil)
		qt.Assert(t, hugeAttached(t, target), qt.Equals, 0)
		reserved, line := hugeReserved(t, addr, uintptr(page))
		qt.Assert(t, reserved, qt.IsTrue,
			qt.Commentf("want a reservation of %x-%x; /proc/self/maps has %q", addr, addr+uintptr(page), line))
		p = nil
		runtime.KeepAlive(b)
		b = nil
		collect(t, "releasing the reservation", func() bool {
			reserved, _ := hugeReserved(t, addr, uintptr(page))
			return !reserved
		})

		// A stale slice, in a child because touching it must fault.
		out := startChild(t, "huge-stale", target)
		qt.Assert(t, strings.TrimSpace(out), qt.Equals, "faulted=true")
	})

	t.Run("hugetlbfs", func(t *testing.T) {
		if !ipcbuf.KindFile.Supported() {
			t.Skip("no file backend in this build")
		}
		path := filepath.Join(hugetlbfs(t), "odd")

		// 100 bytes map one whole huge page; Close unmaps all of it.
		b, err := ipcbuf.OpenFile(path, 100, ipcbuf.Exclusive())
		qt.Assert(t, err, qt.IsNil)
		_, err = b.Write("on a huge page", 0, "")
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, mapped(t, path), qt.Not(qt.HasLen), 0)
		qt.Assert(t, b.Close(), qt.IsNil)
		qt.Assert(t, mapped(t, path), qt.HasLen, 0, qt.Commentf("Close left the mapping"))

		// hugetlbfs makes a file mapped writable as long as its pages, so
		// from now on the file is a whole huge page: open 100 bytes of it.
		fi, err := os.Stat(path)
		qt.Assert(t, err, qt.IsNil)
		t.Logf("the file is %d bytes after a writable mapping of 100", fi.Size())

		// A buffer dropped without Close is unmapped by the cleanup.
		func() {
			b, err := ipcbuf.OpenFile(path, 100)
			qt.Assert(t, err, qt.IsNil)
			qt.Assert(t, b.Len(), qt.Equals, 100)
			s, err := b.ToString("", 0, 14)
			qt.Assert(t, err, qt.IsNil)
			qt.Assert(t, s, qt.Equals, "on a huge page")
		}()
		collect(t, "unmapping the dropped buffer", func() bool { return len(mapped(t, path)) == 0 })

		// Bytes, then Close: a reservation of the whole huge page, released
		// when the buffer is collected.
		b, err = ipcbuf.OpenFile(path, 100)
		qt.Assert(t, err, qt.IsNil)
		addr := uintptr(unsafe.Pointer(unsafe.SliceData(b.Bytes())))
		qt.Assert(t, b.Close(), qt.IsNil)
		qt.Assert(t, mapped(t, path), qt.HasLen, 0)
		reserved, line := hugeReserved(t, addr, uintptr(page))
		qt.Assert(t, reserved, qt.IsTrue,
			qt.Commentf("want a reservation of %x-%x; /proc/self/maps has %q", addr, addr+uintptr(page), line))
		runtime.KeepAlive(b)
		b = nil
		collect(t, "releasing the reservation", func() bool {
			reserved, _ := hugeReserved(t, addr, uintptr(page))
			return !reserved
		})

		out := startChild(t, "huge-stale-100", path)
		qt.Assert(t, strings.TrimSpace(out), qt.Equals, "faulted=true")
	})

	// Where the page size cannot be learnt (no /proc), no reservation can
	// be made over the huge page: Close keeps the memory mapped, so the
	// stale slice still reaches the segment and never another mapping.
	t.Run("sysv without /proc", func(t *testing.T) {
		if !ipcbuf.KindSysV.Supported() {
			t.Skip("no System V backend in this build")
		}
		target := hugeSegment(t, page/2)
		cmd := childCommand("huge-stale-noproc", target)
		cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
		// Under -asan (make test-sanitize), LeakSanitizer reads /proc at
		// exit and fails the child without it; the leak check is for the
		// test process, which keeps its /proc.
		cmd.Env = append(cmd.Env, "ASAN_OPTIONS=detect_leaks=0")
		out, err := childOutput(cmd)
		if errors.Is(err, syscall.EPERM) {
			requireOrSkip(t, "cannot start a child in a new mount namespace (%v): unshare(CLONE_NEWNS) needs CAP_SYS_ADMIN", err)
		}
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, strings.TrimSpace(out), qt.Equals, "faulted=false kept=true")
		qt.Assert(t, hugeAttached(t, target), qt.Equals, 0, qt.Commentf("the child's exit detaches"))
		// The stale write reached the segment the slice came from.
		b, err := ipcbuf.Open(target, 0, ipcbuf.ReadOnly())
		qt.Assert(t, err, qt.IsNil)
		defer b.Close()
		s, err := b.ToString("", 0, 6)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, s, qt.Equals, "XXXXXX")
	})
}

// hugeStaleChild opens size bytes of target (0: all), takes its memory with Bytes,
// writes "secret" and closes it. It then maps 64 new 1 MiB buffers, checks
// that none takes the stale slice's addresses, writes through the stale
// slice and checks that the write faulted or reached no new buffer. It
// prints "faulted=…" (and, with noProc, "kept=…": whether the stale slice
// still reads the closed memory).
//
// With noProc it first hides /proc (it runs in a mount namespace of its
// own), so that the library cannot learn the page size of the mapping.
func hugeStaleChild(target string, size int, noProc bool) int {
	fail := func(format string, args ...any) int {
		fmt.Printf("child: "+format+"\n", args...)
		return 1
	}
	if noProc {
		if err := syscall.Mount("tmpfs", "/proc", "tmpfs", 0, "size=4k"); err != nil {
			return fail("hiding /proc: %v", err)
		}
		if _, err := os.Stat("/proc/self/smaps"); err == nil {
			return fail("/proc/self/smaps is still there")
		}
	}
	b, err := ipcbuf.Open(target, size)
	if err != nil {
		return fail("%v", err)
	}
	stale := b.Bytes()
	copy(stale, "secret")
	if err := b.Close(); err != nil {
		return fail("close: %v", err)
	}
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(stale)))
	hi := lo + uintptr(len(stale))

	dir, err := os.MkdirTemp("", "ipcbuf-huge-")
	if err != nil {
		return fail("%v", err)
	}
	defer os.RemoveAll(dir)
	var keep []*ipcbuf.Buffer
	defer func() {
		for _, nb := range keep {
			nb.Close()
		}
	}()
	for i := range 64 {
		var nb *ipcbuf.Buffer
		var err error
		if ipcbuf.KindPOSIX.Supported() {
			if nb, err = ipcbuf.OpenShm(fmt.Sprintf("%shuge-%d", testPrefix, i), 1<<20, ipcbuf.Exclusive()); err == nil {
				err = nb.Remove() // the mapping stays
			}
		} else {
			nb, err = ipcbuf.OpenFile(filepath.Join(dir, strconv.Itoa(i)), 1<<20)
		}
		if err != nil {
			return fail("new buffer %d: %v", i, err)
		}
		keep = append(keep, nb)
		p := uintptr(unsafe.Pointer(unsafe.SliceData(nb.Bytes())))
		if p+1<<20 > lo && p < hi {
			return fail("reused: new buffer %d at %#x overlaps the closed one at %#x-%#x", i, p, lo, hi)
		}
	}
	faulted := func() (faulted bool) {
		old := debug.SetPanicOnFault(true)
		defer debug.SetPanicOnFault(old)
		defer func() { faulted = recover() != nil }()
		for i := range stale {
			stale[i] = 'X'
		}
		return false
	}()
	for i, nb := range keep {
		if s, _ := nb.ToString("latin1", 0, nb.Len()); strings.Contains(s, "X") {
			return fail("the write through the stale slice reached new buffer %d", i)
		}
	}
	if noProc {
		// Reading the memory that was kept (unless the write faulted).
		kept := !faulted && string(stale[:6]) == "XXXXXX"
		fmt.Printf("faulted=%v kept=%v\n", faulted, kept)
	} else {
		fmt.Printf("faulted=%v\n", faulted)
	}
	runtime.KeepAlive(b)
	return 0
}
