package ipcbuf_test

// Reliability tests: the scenarios of the reliability matrix
// (../shared/reference/reliability-matrix.md, beside the repository;
// TESTING.md lists each scenario with its tests) that need processes
// killed, file systems filled, many cycles or many goroutines. Plain go
// test runs short versions; IPCBUF_SOAK=1 (make test-soak) runs TestLeak*
// and TestDurab* at full size.

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc64"
	"io"
	"io/fs"
	"math/rand/v2"
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
	"syscall"
	"testing"
	"time"

	qt "github.com/frankban/quicktest"

	"github.com/ipcbuf/ipcbuf"
)

func init() {
	childRoles["rel-durab-writer"] = relDurabWriter
	childRoles["rel-tmpfs-shm"] = relTmpfsShmChild
	childRoles["rel-listfds"] = relListFDsChild
	childRoles["rel-sysv-attach"] = relSysVAttachChild
}

// relSoak reports whether the full-size (soak) versions should run.
func relSoak() bool {
	v := os.Getenv("IPCBUF_SOAK")
	return v != "" && v != "0"
}

// relRand returns a seeded generator and logs the seed; IPCBUF_SEED repeats
// a run.
func relRand(t *testing.T) *rand.Rand {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("IPCBUF_SEED"); s != "" {
		var err error
		seed, err = strconv.ParseUint(s, 0, 64)
		qt.Assert(t, err, qt.IsNil, qt.Commentf("IPCBUF_SEED"))
	}
	t.Logf("seed %d (IPCBUF_SEED=%d repeats this run)", seed, seed)
	return rand.New(rand.NewPCG(seed, 0x1bcb0f))
}

// relListFDs returns this process's open descriptors and what they point
// to, leaving out the one it uses to read the list.
func relListFDs() (map[int]string, error) {
	f, err := os.Open("/proc/self/fd")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	self := int(f.Fd())
	fds := make(map[int]string, len(names))
	for _, name := range names {
		fd, err := strconv.Atoi(name)
		if err != nil || fd == self {
			continue
		}
		target, err := os.Readlink("/proc/self/fd/" + name)
		if err != nil {
			continue // closed meanwhile
		}
		fds[fd] = target
	}
	return fds, nil
}

func relFDs(t *testing.T) map[int]string {
	t.Helper()
	fds, err := relListFDs()
	qt.Assert(t, err, qt.IsNil)
	return fds
}

// relFDDiff describes how two descriptor lists differ, "" if they do not.
func relFDDiff(before, after map[int]string) string {
	var diff []string
	for fd, target := range after {
		if before[fd] != target {
			diff = append(diff, fmt.Sprintf("+%d -> %s", fd, target))
		}
	}
	for fd, target := range before {
		if after[fd] != target {
			diff = append(diff, fmt.Sprintf("-%d -> %s", fd, target))
		}
	}
	slices.Sort(diff)
	return strings.Join(diff, ", ")
}

// relMaps returns the lines of /proc/self/maps.
func relMaps(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile("/proc/self/maps")
	qt.Assert(t, err, qt.IsNil)
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

// relMapped returns the lines of /proc/self/maps that name one of needles.
func relMapped(t *testing.T, needles []string) []string {
	t.Helper()
	var hits []string
	for _, line := range relMaps(t) {
		for _, n := range needles {
			if strings.HasSuffix(line, " "+n) || strings.HasSuffix(line, " "+n+" (deleted)") {
				hits = append(hits, line)
				break
			}
		}
	}
	return hits
}

// relMapNeedle is how target's memory appears in /proc/self/maps.
func relMapNeedle(t *testing.T, kind ipcbuf.Kind, target string) string {
	t.Helper()
	switch kind {
	case ipcbuf.KindPOSIX:
		return "/dev/shm/" + strings.TrimPrefix(target, "*")
	case ipcbuf.KindSysV:
		_, _, key, err := ipcbuf.ParseTarget(target)
		qt.Assert(t, err, qt.IsNil)
		return fmt.Sprintf("/SYSV%08x", uint32(key))
	}
	return target
}

// relSeg is a line of /proc/sysvipc/shm.
type relSeg struct {
	key, id, perms, cpid, nattch int
	size                         int64
}

func relSysVSegs(t *testing.T) []relSeg {
	t.Helper()
	data, err := os.ReadFile("/proc/sysvipc/shm")
	if errors.Is(err, fs.ErrNotExist) {
		return nil // a kernel without System V IPC
	}
	qt.Assert(t, err, qt.IsNil)
	var segs []relSeg
	for _, line := range strings.Split(string(data), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 7 {
			continue
		}
		var s relSeg
		var perms string
		var n int
		if n, err = fmt.Sscan(strings.Join(f[:7], " "), &s.key, &s.id, &perms, &s.size, &s.cpid, new(int), &s.nattch); err != nil || n != 7 {
			t.Fatalf("cannot parse /proc/sysvipc/shm line %q: %v", line, err)
		}
		p, err := strconv.ParseInt(perms, 8, 32)
		qt.Assert(t, err, qt.IsNil)
		s.perms = int(p)
		segs = append(segs, s)
	}
	return segs
}

// relSegByID returns the segment with identifier id, if the kernel lists it.
func relSegByID(t *testing.T, id int) (relSeg, bool) {
	for _, s := range relSysVSegs(t) {
		if s.id == id {
			return s, true
		}
	}
	return relSeg{}, false
}

// relOwnSegs counts the System V segments this process created. Other
// processes (other test runs on the machine) may create segments meanwhile,
// so the global count would not be flat.
func relOwnSegs(t *testing.T) int {
	n := 0
	for _, s := range relSysVSegs(t) {
		if s.cpid == os.Getpid() {
			n++
		}
	}
	return n
}

// relOwnShm counts the entries in /dev/shm made by this test process.
func relOwnShm(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/dev/shm")
	qt.Assert(t, err, qt.IsNil)
	n := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), testPrefix) {
			n++
		}
	}
	return n
}

// relRSS returns this process's resident set size in bytes.
func relRSS(t *testing.T) int64 {
	t.Helper()
	data, err := os.ReadFile("/proc/self/status")
	qt.Assert(t, err, qt.IsNil)
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			qt.Assert(t, err, qt.IsNil)
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}

// relCollect runs the garbage collector (so that runtime cleanups run)
// until cond holds, and fails the test if it does not within 10 seconds.
func relCollect(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s of garbage collection: %s did not happen", what)
		}
		runtime.GC()
		time.Sleep(2 * time.Millisecond)
	}
}

// relSupported returns the shared kinds this build has.
func relSupported() []kindCase {
	var kinds []kindCase
	for _, kc := range sharedKinds {
		if kc.kind.Supported() {
			kinds = append(kinds, kc)
		}
	}
	return kinds
}

// ---------------------------------------------------------------------------
// Scenario 12: file-backed buffer, write, Sync, SIGKILL.

const relRecSize = 16

var relCRC = crc64.MakeTable(crc64.ECMA)

// relRecord fills rec with record n: n little-endian, then a checksum of it.
func relRecord(rec []byte, n int) {
	binary.LittleEndian.PutUint64(rec[:8], uint64(n))
	binary.LittleEndian.PutUint64(rec[8:], crc64.Checksum(rec[:8], relCRC)^0x5a5a5a5a5a5a5a5a)
}

// relDurabWriter is the child of TestDurabilityUnderSIGKILL: it writes
// record after record into the file target, each followed by Sync and by
// "synced N" on stdout, until it is killed.
func relDurabWriter(target string) int {
	b, err := ipcbuf.OpenFile(target, 0, ipcbuf.OpenOnly())
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	rec := make([]byte, relRecSize)
	for n := 1; n*relRecSize <= b.Len(); n++ {
		relRecord(rec, n)
		off := int64((n - 1) * relRecSize)
		// Two writes, so that a kill can land between them.
		if _, err := b.WriteAt(rec[:8], off); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 1
		}
		if _, err := b.WriteAt(rec[8:], off+8); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 1
		}
		if err := b.Sync(); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 1
		}
		// os.Stdout is not buffered: one write(2) per line.
		if _, err := fmt.Fprintf(os.Stdout, "synced %d\n", n); err != nil {
			return 1
		}
	}
	fmt.Println("full")
	time.Sleep(time.Hour) // wait for the kill
	return 1
}

// TestDurabilityUnderSIGKILL kills a writer at random points and checks
// that every record it reported synced is in the file. A killed process
// loses nothing of what reached its MAP_SHARED mapping (the page cache
// outlives it), so this checks that writes reach the file and that Sync
// returns only after them; what a power loss would keep needs a machine
// that can lose power, which a test cannot arrange.
func TestDurabilityUnderSIGKILL(t *testing.T) {
	if !ipcbuf.KindFile.Supported() {
		_, err := ipcbuf.OpenFile(filepath.Join(t.TempDir(), "f"), 4096)
		qt.Assert(t, err, qt.ErrorIs, errors.ErrUnsupported)
		requireKind(t, ipcbuf.KindFile)
	}
	rounds, maxLines := 20, 100
	if relSoak() {
		rounds, maxLines = 300, 1000
	}
	const size = 64 << 10 // 4096 records: more than maxLines
	rng := relRand(t)
	dir := t.TempDir()
	var survived, totalSynced, early, nextWhole, nextPartial, nextAbsent int
	start := time.Now()
	for round := 0; round < rounds; round++ {
		path := filepath.Join(dir, fmt.Sprintf("durab-%d", round))
		b, err := ipcbuf.OpenFile(path, size, ipcbuf.Exclusive())
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, b.Close(), qt.IsNil)

		cmd := childCommand("rel-durab-writer", path)
		stdout, err := cmd.StdoutPipe()
		qt.Assert(t, err, qt.IsNil)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		qt.Assert(t, cmd.Start(), qt.IsNil)
		watchdog := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
		waited := false
		t.Cleanup(func() {
			if !waited { // the test failed mid-round
				cmd.Process.Kill()
				cmd.Wait()
			}
		})

		// Kill at a random point: one round in eight after a random delay
		// from the start (perhaps before the child has opened the file),
		// the others after a random number of synced lines and a random
		// delay of up to 0.5 ms, which lands anywhere in the child's
		// write, Sync, print loop (mostly in Sync, the slow part).
		killAfter := 1 + rng.IntN(maxLines)
		var killed atomic.Bool
		kill := func() {
			if killed.CompareAndSwap(false, true) {
				cmd.Process.Signal(syscall.SIGKILL)
			}
		}
		if rng.IntN(8) == 0 {
			killAfter = -1
			early++
			time.AfterFunc(time.Duration(rng.IntN(40_000))*time.Microsecond, kill)
		}
		extra := time.Duration(rng.IntN(500)) * time.Microsecond

		last := 0
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			n, err := strconv.Atoi(strings.TrimPrefix(line, "synced "))
			if err != nil || !strings.HasPrefix(line, "synced ") {
				kill()
				t.Fatalf("round %d: child said %q", round, line)
			}
			if n != last+1 {
				kill()
				t.Fatalf("round %d: child reported %d after %d", round, n, last)
			}
			last = n
			if n == killAfter {
				if extra > 0 {
					time.Sleep(extra)
				}
				kill()
			}
		}
		err = cmd.Wait()
		waited = true
		watchdog.Stop()
		if !killed.Load() {
			t.Fatalf("round %d: child ended before it was killed: %v\n%s", round, err, stderr.Bytes())
		}
		var exitErr *exec.ExitError
		qt.Assert(t, errors.As(err, &exitErr), qt.IsTrue, qt.Commentf("round %d: %v\n%s", round, err, stderr.Bytes()))
		ws := exitErr.Sys().(syscall.WaitStatus)
		qt.Assert(t, ws.Signaled() && ws.Signal() == syscall.SIGKILL, qt.IsTrue,
			qt.Commentf("round %d: child ended with %v, not SIGKILL\n%s", round, err, stderr.Bytes()))

		data, err := os.ReadFile(path)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, len(data), qt.Equals, size, qt.Commentf("round %d: the file's size changed", round))
		want := make([]byte, relRecSize)
		for n := 1; n <= last; n++ {
			relRecord(want, n)
			if got := data[(n-1)*relRecSize : n*relRecSize]; !bytes.Equal(got, want) {
				t.Fatalf("round %d: record %d of %d synced is %x; want %x", round, n, last, got, want)
			}
		}
		// Record last+1 may have been written, wholly or in part, before
		// the kill; each of its bytes is either still zero or right.
		relRecord(want, last+1)
		next := data[last*relRecSize : (last+1)*relRecSize]
		switch {
		case bytes.Equal(next, want):
			nextWhole++
		case bytes.Equal(next, make([]byte, relRecSize)):
			nextAbsent++
		default:
			for i, c := range next {
				if c != 0 && c != want[i] {
					t.Fatalf("round %d: record %d (unsynced) is %x: neither zero nor %x", round, last+1, next, want)
				}
			}
			nextPartial++
		}
		if rest := data[(last+1)*relRecSize:]; !bytes.Equal(rest, make([]byte, len(rest))) {
			t.Fatalf("round %d: bytes written past record %d, which the child never started", round, last+1)
		}
		survived++
		totalSynced += last
		qt.Assert(t, os.Remove(path), qt.IsNil)
	}
	t.Logf("%d of %d rounds survived SIGKILL with every synced record intact (%d records in all; %d rounds killed at a random time from start; unsynced next record whole %d, partial %d, absent %d) in %v",
		survived, rounds, totalSynced, early, nextWhole, nextPartial, nextAbsent, time.Since(start).Round(time.Millisecond))
}

// ---------------------------------------------------------------------------
// Scenario 6: a full or tiny tmpfs.

const relTinyTmpfs = "size=1m"

func TestFullTmpfs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tiny")
	qt.Assert(t, os.Mkdir(dir, 0o700), qt.IsNil)
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, relTinyTmpfs); err != nil {
		if errors.Is(err, syscall.EPERM) {
			requireOrSkip(t, "cannot mount a 1 MiB tmpfs to fill (mount: %v): mounting needs root or CAP_SYS_ADMIN, which this process lacks", err)
		}
		t.Fatalf("mount tmpfs on %s: %v", dir, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v (something still uses it); detaching it", dir, err)
			syscall.Unmount(dir, syscall.MNT_DETACH)
		}
	})

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
		qt.Assert(t, relMapped(t, []string{big, okPath}), qt.HasLen, 0)
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

// ---------------------------------------------------------------------------
// Scenario 14: open/close/remove cycles, with the error paths.

// relCycle is one cycle on target (missing at the start, missing again at
// the end). missing is a target of the same kind that never exists; bad an
// invalid one. It drops one extra buffer without Close when drop is set.
func relCycle(t *testing.T, kind ipcbuf.Kind, target, missing, bad string, i int, drop bool) {
	size := 4096 * (1 + i%3)
	if kind == ipcbuf.KindMemory {
		relCycleMemory(t, size, i)
		return
	}
	b, err := ipcbuf.Open(target, size, ipcbuf.Exclusive())
	qt.Assert(t, err, qt.IsNil, qt.Commentf("cycle %d", i))

	_, err = ipcbuf.Open(target, size, ipcbuf.Exclusive())
	qt.Assert(t, err, qt.ErrorIs, fs.ErrExist)
	_, err = ipcbuf.Open(missing, size, ipcbuf.OpenOnly())
	qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist)
	_, err = ipcbuf.Open(missing, 0)
	qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist)
	_, err = ipcbuf.Open(missing, size, ipcbuf.ReadOnly())
	qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist)
	_, err = ipcbuf.Open(bad, size)
	qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid)
	_, err = ipcbuf.Open(missing, size, ipcbuf.Exclusive(), ipcbuf.OpenOnly())
	qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid)
	_, err = ipcbuf.Open(missing, -1)
	qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid)

	ro, err := ipcbuf.Open(target, 0, ipcbuf.ReadOnly())
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, ro.Len(), qt.Equals, size)
	_, err = ipcbuf.Open(target, 2*size, ipcbuf.ReadOnly())
	qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid, qt.Commentf("read-only grow"))
	if kind == ipcbuf.KindSysV {
		_, err = ipcbuf.Open(target, 2*size)
		qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid, qt.Commentf("System V grow"))
	}
	_, err = ro.WriteAt([]byte{1}, 0)
	qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrReadOnly)

	alias := b.Slice(100, 200)
	stamp := fmt.Sprintf("cycle %07d", i)
	_, err = alias.Write(stamp, 0, "")
	qt.Assert(t, err, qt.IsNil)
	p := b.Bytes()
	p[0] = byte(i)
	qt.Assert(t, string(p[100:100+len(stamp)]), qt.Equals, stamp)
	runtime.KeepAlive(b)
	s, err := ro.ToString("latin1", 100, 100+len(stamp))
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, s, qt.Equals, stamp, qt.Commentf("a second mapping sees the writes"))
	qt.Assert(t, ro.Bytes()[0], qt.Equals, byte(i))
	runtime.KeepAlive(ro)
	qt.Assert(t, ro.Close(), qt.IsNil)

	if drop {
		d, err := ipcbuf.Open(target, 0)
		qt.Assert(t, err, qt.IsNil)
		_, err = d.Slice(0, 10).WriteAt([]byte("dropped"), 0)
		qt.Assert(t, err, qt.IsNil)
		// d is left to the garbage collector.
	}

	qt.Assert(t, b.Close(), qt.IsNil)
	_, err = alias.ReadAt(make([]byte, 1), 0)
	qt.Assert(t, err, qt.ErrorIs, fs.ErrClosed)
	qt.Assert(t, alias.Close(), qt.ErrorIs, fs.ErrClosed)
	qt.Assert(t, alias.Bytes(), qt.IsNil)
	qt.Assert(t, ipcbuf.Remove(target), qt.IsNil)
	qt.Assert(t, ipcbuf.Remove(target), qt.ErrorIs, fs.ErrNotExist)
}

// relCycleMemory is relCycle for a memory buffer.
func relCycleMemory(t *testing.T, size, i int) {
	b, err := ipcbuf.Alloc(size)
	qt.Assert(t, err, qt.IsNil)
	_, err = ipcbuf.Alloc(-1)
	qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrOutOfRange)
	alias := b.Slice(100, 200)
	stamp := fmt.Sprintf("cycle %07d", i)
	_, err = alias.Write(stamp, 0, "")
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, string(b.Bytes()[100:100+len(stamp)]), qt.Equals, stamp)
	qt.Assert(t, b.Remove(), qt.ErrorIs, errors.ErrUnsupported)
	qt.Assert(t, alias.Close(), qt.IsNil)
	_, err = b.ReadAt(make([]byte, 1), 0)
	qt.Assert(t, err, qt.ErrorIs, fs.ErrClosed)
	qt.Assert(t, b.Bytes(), qt.IsNil)
}

// relLeakState is what must stay flat.
type relLeakState struct {
	fds        map[int]string
	maps       int
	ours       []string // maps lines naming the test's objects
	shm, segs  int
	rss        int64
	heapInUse  uint64
	goroutines int
}

func relMeasure(t *testing.T, needles []string) relLeakState {
	t.Helper()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return relLeakState{
		fds:        relFDs(t),
		maps:       len(relMaps(t)),
		ours:       relMapped(t, needles),
		shm:        relOwnShm(t),
		segs:       relOwnSegs(t),
		rss:        relRSS(t),
		heapInUse:  ms.HeapInuse,
		goroutines: runtime.NumGoroutine(),
	}
}

func (s relLeakState) String() string {
	return fmt.Sprintf("fds %d, maps lines %d (ours %d), /dev/shm %d, System V segments %d, VmRSS %.1f MiB, heap in use %.1f MiB",
		len(s.fds), s.maps, len(s.ours), s.shm, s.segs, float64(s.rss)/(1<<20), float64(s.heapInUse)/(1<<20))
}

// relRace reports whether the test binary was built with -race.
func relRace() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// relLeakBounds are how much the process may grow over the cycles.
//
// maps: lines /proc/self/maps may gain, for the Go runtime's own mappings:
// each new OS thread (cgo calls can make the runtime start one) adds a
// stack and its guard page, and heap growth adds arena and metadata
// mappings or splits existing ones. 32 lines is about a dozen threads and
// some heap growth; a leak of one mapping per cycle would add thousands.
// The test's own objects are checked exactly: no maps line may name them.
//
// rss: VmRSS growth over all the cycles, and over their second half, which
// a steady leak would show and warm-up would not. Without -race the cycles
// grow VmRSS by well under 1 MiB (2,000 or 100,000 cycles alike): 16 MiB
// over 100,000 cycles is under 170 bytes a cycle.
//
// Under -race the ThreadSanitizer runtime keeps its own bookkeeping for
// every address range that was ever mapped and for every goroutine: over
// 2,000 cycles it adds ~40 lines and ~50 MiB, over 8,000 ~60 lines and
// ~80 MiB, almost all of it in the first 4,000 (measured with smaps: the
// growth is in TSan's anonymous regions, not the Go heap, which stays
// under 1 MiB). There the bounds only catch gross leaks; the builds
// without -race (make test-tags, test-nocgo, test-soak) check the tight
// ones.
func relLeakBounds() (maps int, rss, rssSecondHalf int64) {
	if relRace() {
		return 256, 256 << 20, 64 << 20
	}
	return 32, 16 << 20, 4 << 20
}

func TestLeakCycles(t *testing.T) {
	cycles := 2000
	if relSoak() {
		cycles = 100_000
	}
	// The kinds this build leaves out take no turn of their own; every
	// cycle tries to open one of them, which must fail and leak nothing.
	var unsupported []string
	for _, kc := range sharedKinds {
		if !kc.kind.Supported() {
			unsupported = append(unsupported, kc.target(t))
			t.Logf("%s: not in this build", kc.kind)
		}
	}
	type pool struct {
		kind    ipcbuf.Kind
		targets []string
		missing string
		bad     []string
	}
	pools := []pool{{kind: ipcbuf.KindMemory, targets: []string{""}, bad: []string{""}}}
	var needles []string
	for _, kc := range relSupported() {
		p := pool{kind: kc.kind, missing: kc.target(t)}
		for range 4 {
			target := kc.target(t)
			p.targets = append(p.targets, target)
			needles = append(needles, relMapNeedle(t, kc.kind, target))
		}
		needles = append(needles, relMapNeedle(t, kc.kind, p.missing))
		switch kc.kind {
		case ipcbuf.KindPOSIX:
			p.bad = []string{"*", "*a/b", "*..", "*" + strings.Repeat("n", 256), "*a\x00b"}
		case ipcbuf.KindFile:
			p.bad = []string{"", "a\x00b"}
		case ipcbuf.KindSysV:
			p.bad = []string{"0", "0x100000000", "99999999999999999999"}
		}
		pools = append(pools, p)
	}
	run := func(from, to int) {
		for i := from; i < to; i++ {
			p := pools[i%len(pools)]
			j := i / len(pools)
			relCycle(t, p.kind, p.targets[j%len(p.targets)], p.missing, p.bad[j%len(p.bad)], i, i%16 == 5)
			if len(unsupported) > 0 {
				_, err := ipcbuf.Open(unsupported[i%len(unsupported)], 4096)
				qt.Assert(t, err, qt.ErrorIs, errors.ErrUnsupported)
			}
			if i%256 == 255 {
				runtime.GC() // dropped buffers hold segments and mappings until collected
			}
		}
	}
	segs0, shm0 := relOwnSegs(t), relOwnShm(t) // other tests' objects, if any
	settle := func() relLeakState {
		// Let the cleanups of dropped buffers run.
		relCollect(t, "the release of dropped buffers", func() bool {
			return len(relMapped(t, needles)) == 0 && relOwnSegs(t) <= segs0 && relOwnShm(t) <= shm0
		})
		for range 3 {
			runtime.GC()
			time.Sleep(5 * time.Millisecond)
		}
		return relMeasure(t, needles)
	}

	// Warm up: the first cycles start threads, the poller, cgo.
	run(0, 3*len(pools))
	before := settle()
	start := time.Now()
	run(3*len(pools), cycles/2)
	mid := settle()
	run(cycles/2, cycles)
	elapsed := time.Since(start)
	after := settle()
	t.Logf("%d cycles over %d kind(s), memory included, in %v (%v per cycle)", cycles, len(pools), elapsed.Round(time.Millisecond), (elapsed / time.Duration(cycles)).Round(time.Microsecond))
	t.Logf("before: %v", before)
	t.Logf("middle: %v", mid)
	t.Logf("after:  %v", after)

	mapsSlack, rssGrowth, rssSecondHalf := relLeakBounds()
	t.Logf("bounds: maps lines +%d, VmRSS +%d MiB overall and +%d MiB over the second half (race detector: %v)",
		mapsSlack, rssGrowth>>20, rssSecondHalf>>20, relRace())
	qt.Check(t, relFDDiff(before.fds, after.fds), qt.Equals, "", qt.Commentf("descriptors"))
	qt.Check(t, after.ours, qt.HasLen, 0, qt.Commentf("mappings of the test's objects"))
	qt.Check(t, after.maps <= before.maps+mapsSlack, qt.IsTrue,
		qt.Commentf("maps lines %d -> %d (slack %d)", before.maps, after.maps, mapsSlack))
	qt.Check(t, after.shm, qt.Equals, before.shm, qt.Commentf("/dev/shm entries with %s", testPrefix))
	qt.Check(t, after.segs, qt.Equals, before.segs, qt.Commentf("System V segments this process created"))
	qt.Check(t, after.rss-before.rss <= rssGrowth, qt.IsTrue,
		qt.Commentf("VmRSS grew by %d bytes (bound %d)", after.rss-before.rss, rssGrowth))
	qt.Check(t, after.rss-mid.rss <= rssSecondHalf, qt.IsTrue,
		qt.Commentf("VmRSS grew by %d bytes in the second half (bound %d)", after.rss-mid.rss, rssSecondHalf))
}

// ---------------------------------------------------------------------------
// Scenario 5: no descriptor reaches a child.

// relListFDsChild prints every descriptor the child has, as "fd N -> target",
// and "self N" for the one it reads the list with. It uses system calls
// only, so that the Go runtime opens nothing (no poller) meanwhile. It also
// prints the lines of its maps naming /dev/shm, SYSV or target.
func relListFDsChild(target string) int {
	dfd, err := syscall.Open("/proc/self/fd", syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		fmt.Println("open /proc/self/fd:", err)
		return 1
	}
	var names []string
	buf := make([]byte, 8192)
	for {
		n, err := syscall.ReadDirent(dfd, buf)
		if err != nil {
			fmt.Println("readdirent:", err)
			return 1
		}
		if n <= 0 {
			break
		}
		_, _, names = syscall.ParseDirent(buf[:n], -1, names)
	}
	link := make([]byte, 4096)
	for _, name := range names {
		if name == strconv.Itoa(dfd) {
			fmt.Printf("self %s\n", name)
			continue
		}
		n, err := syscall.Readlink("/proc/self/fd/"+name, link)
		if err != nil {
			fmt.Printf("fd %s -> ? (%v)\n", name, err)
			continue
		}
		fmt.Printf("fd %s -> %s\n", name, link[:n])
	}
	syscall.Close(dfd)
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		fmt.Println("maps:", err)
		return 1
	}
	for _, line := range strings.Split(string(maps), "\n") {
		if strings.Contains(line, "/dev/shm/") || strings.Contains(line, "SYSV") || (target != "" && strings.Contains(line, target)) {
			fmt.Printf("map %s\n", line)
		}
	}
	return 0
}

// relInherited returns the descriptors of this process that a child would
// inherit (no close-on-exec): ones this process got from whatever started
// it, such as a make jobserver's pipe. They are not ipcbuf's.
func relInherited(t *testing.T) map[int]string {
	t.Helper()
	inh := map[int]string{}
	for fd, target := range relFDs(t) {
		info, err := os.ReadFile(fmt.Sprintf("/proc/self/fdinfo/%d", fd))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(info), "\n") {
			if v, ok := strings.CutPrefix(line, "flags:"); ok {
				flags, err := strconv.ParseUint(strings.TrimSpace(v), 8, 64)
				if err == nil && flags&syscall.O_CLOEXEC == 0 {
					inh[fd] = target
				}
			}
		}
	}
	return inh
}

func TestLeakNoDescriptorsInChild(t *testing.T) {
	inherited := relInherited(t)
	if len(inherited) > 0 {
		t.Logf("descriptors this test process inherited without close-on-exec (allowed in the child): %v", inherited)
	}
	dir := t.TempDir()
	var needles []string // what no child descriptor may name
	needles = append(needles, dir, "/dev/shm/", "SYSV")
	var targets []string
	for _, kc := range relSupported() {
		target := kc.target(t)
		if kc.kind == ipcbuf.KindFile {
			target = filepath.Join(dir, "mapped")
		}
		b := open(t, target, 64<<10, ipcbuf.Exclusive())
		_, err := b.Write("held open while the child starts", 0, "")
		qt.Assert(t, err, qt.IsNil)
		view := b.Slice(4096, 8192)
		t.Cleanup(func() { runtime.KeepAlive(view) })
		targets = append(targets, target)
		t.Cleanup(func() { ipcbuf.Remove(target) })
	}

	// Meanwhile other goroutines open, create and remove buffers, so that
	// some descriptors are open while the child is forked: only
	// close-on-exec keeps them out of it.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var churned atomic.Int64
	var churnErr atomic.Value
	for _, kc := range relSupported() {
		target := kc.target(t)
		if kc.kind == ipcbuf.KindFile {
			target = filepath.Join(dir, "churn")
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				b, err := ipcbuf.Open(target, 4096, ipcbuf.Exclusive())
				if err == nil {
					var again *ipcbuf.Buffer
					if again, err = ipcbuf.Open(target, 0); err == nil {
						err = again.Close()
					}
					err = errors.Join(err, b.Close(), ipcbuf.Remove(target))
				}
				if err != nil {
					churnErr.CompareAndSwap(nil, err)
					return
				}
				churned.Add(1)
			}
		}()
	}
	t.Cleanup(func() {
		// In case the test failed before stopping the goroutines.
		select {
		case <-stop:
		default:
			close(stop)
		}
		wg.Wait()
	})

	children := 10
	for c := 0; c < children; c++ {
		cmd := childCommand("rel-listfds", dir)
		out, err := cmd.CombinedOutput()
		qt.Assert(t, err, qt.IsNil, qt.Commentf("child:\n%s", out))
		var fds int
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			switch {
			case strings.HasPrefix(line, "self "):
			case strings.HasPrefix(line, "map "):
				t.Errorf("child %d maps one of our objects: %s", c, line)
			case strings.HasPrefix(line, "fd "):
				fds++
				num, target, _ := strings.Cut(strings.TrimPrefix(line, "fd "), " -> ")
				fd, err := strconv.Atoi(num)
				qt.Assert(t, err, qt.IsNil, qt.Commentf("%q", line))
				for _, n := range append(needles, targets...) {
					if strings.Contains(target, n) {
						t.Errorf("child %d has descriptor %d on %s", c, fd, target)
					}
				}
				if fd > 2 && inherited[fd] != target {
					t.Errorf("child %d has descriptor %d -> %s, which is neither 0-2 nor one the test process inherited", c, fd, target)
				}
			default:
				t.Errorf("child %d: unexpected output %q", c, line)
			}
		}
		qt.Assert(t, fds >= 3, qt.IsTrue, qt.Commentf("the child listed no stdin/stdout/stderr:\n%s", out))
		if c == 0 {
			t.Logf("child 0:\n%s", out)
		}
	}
	close(stop)
	wg.Wait()
	if err, _ := churnErr.Load().(error); err != nil {
		t.Fatalf("churning goroutine: %v", err)
	}
	t.Logf("%d children, with %d open/create/remove cycles running meanwhile", children, churned.Load())
}

// ---------------------------------------------------------------------------
// Scenario 9: goroutines using a buffer while another closes it.

// relUse calls a round of methods on worker w's region of b (region bytes
// from w*region), on its view v and on two halves of v. It returns the
// errors, one per call that can fail, in order; names lists the calls.
func relUse(b, v, lo, hi *ipcbuf.Buffer, w, region, it int) []error {
	off := w * region
	var errs []error
	add := func(err error) { errs = append(errs, err) }
	p := make([]byte, 16)
	_, err := b.ReadAt(p, int64(off))
	add(err)
	_, err = b.WriteAt([]byte("worker wrote"), int64(off+32))
	add(err)
	_, err = b.ToString("hex", off, off+16)
	add(err)
	_, err = b.Write("written by Write", off+64, "")
	add(err)
	_, err = b.ReadUint32LE(off + 96)
	add(err)
	_, err = b.WriteUint32LE(int64(it), off+100)
	add(err)
	_, err = v.IndexOf("Write", 0, "")
	add(err)
	add(v.Fill(byte(it), region/2-64, region/2, ""))
	_, err = lo.Copy(hi, 0, 0, 128)
	add(err)
	_, err = hi.Copy(lo, 256, 0, 64)
	add(err)
	_, err = v.ReadAt(p, int64(region-16))
	add(err)
	_, err = lo.ToString("utf8", 0, 32)
	add(err)
	_, err = hi.ReadUint32LE(8)
	add(err)
	return errs
}

var relUseNames = []string{"ReadAt", "WriteAt", "ToString", "Write", "ReadUint32LE", "WriteUint32LE",
	"view IndexOf", "view Fill", "view Copy", "view Copy back", "view ReadAt", "view ToString", "view ReadUint32LE"}

func TestCloseRacesUsers(t *testing.T) {
	rounds := 100
	if relSoak() {
		rounds = 1000
	}
	rng := relRand(t)
	var mu sync.Mutex
	seeds := func() uint64 { mu.Lock(); defer mu.Unlock(); return rng.Uint64() }
	const size = 64 << 10
	t.Run("memory", func(t *testing.T) {
		relCloseRaces(t, rounds, seeds, func() *ipcbuf.Buffer {
			b, err := ipcbuf.Alloc(size)
			qt.Assert(t, err, qt.IsNil)
			return b
		})
	})
	forKinds(t, func(t *testing.T, kc kindCase) {
		target := kc.target(t)
		open(t, target, size, ipcbuf.Exclusive()) // the object stays while rounds map it
		relCloseRaces(t, rounds, seeds, func() *ipcbuf.Buffer {
			b, err := ipcbuf.Open(target, 0)
			qt.Assert(t, err, qt.IsNil)
			return b
		})
	})
}

func relCloseRaces(t *testing.T, rounds int, seed func() uint64, mk func() *ipcbuf.Buffer) {
	const workers = 8
	var reported atomic.Int32
	report := func(format string, args ...any) {
		if reported.Add(1) <= 20 {
			t.Errorf(format, args...)
		}
	}
	var callsBefore, callsClosed, doubleClose atomic.Int64
	for round := 0; round < rounds; round++ {
		rng := rand.New(rand.NewPCG(seed(), uint64(round)))
		b := mk()
		region := b.Len() / workers
		views := make([]*ipcbuf.Buffer, workers)
		for w := range views {
			views[w] = b.Slice(w*region, (w+1)*region)
		}
		// Whoever closes: the buffer, a view or a view of a view.
		closers := []*ipcbuf.Buffer{b, views[rng.IntN(workers)], views[rng.IntN(workers)].Slice(10, 20)}
		closer := closers[rng.IntN(len(closers))]
		delay := time.Duration(rng.IntN(2000)) * time.Microsecond
		twoClosers := rng.IntN(4) == 0

		var closed atomic.Bool
		start := make(chan struct{})
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				v := views[w]
				lo, hi := v.Slice(0, region/2), v.Slice(region/2, region)
				<-start
				for it := 0; ; it++ {
					after := closed.Load()
					errs := relUse(b, v, lo, hi, w, region, it)
					for i, err := range errs {
						switch {
						case after && !errors.Is(err, fs.ErrClosed):
							report("round %d worker %d: %s after Close: %v; want fs.ErrClosed", round, w, relUseNames[i], err)
						case err != nil && !errors.Is(err, fs.ErrClosed):
							report("round %d worker %d: %s racing Close: %v; want nil or fs.ErrClosed", round, w, relUseNames[i], err)
						case err == nil:
							callsBefore.Add(1)
						default:
							callsClosed.Add(1)
						}
					}
					if n := v.Slice(1, 11).Len(); n != 10 {
						report("Slice(1, 11).Len() = %d", n)
					}
					if p := v.Bytes(); p != nil && len(p) != region {
						report("Bytes has %d bytes", len(p))
					} else if after && p != nil {
						report("round %d worker %d: Bytes after Close is not nil", round, w)
					}
					if after {
						return
					}
					// Let the closer run when its delay is up: with more
					// workers than cores it would otherwise wait for the
					// scheduler's 10 ms time slices.
					runtime.Gosched()
				}
			}()
		}
		var closeErrs [2]error
		var cwg sync.WaitGroup
		for c := range 1 + relBtoi(twoClosers) {
			cwg.Add(1)
			go func() {
				defer cwg.Done()
				<-start
				time.Sleep(delay)
				closeErrs[c] = closer.Close()
			}()
		}
		close(start)
		cwg.Wait()
		closed.Store(true)
		wg.Wait()
		if twoClosers {
			doubleClose.Add(1)
			nils := relBtoi(closeErrs[0] == nil) + relBtoi(closeErrs[1] == nil)
			if nils != 1 {
				report("round %d: two concurrent Close calls returned %v and %v; want one nil and one fs.ErrClosed", round, closeErrs[0], closeErrs[1])
			}
			for _, err := range closeErrs {
				if err != nil && !errors.Is(err, fs.ErrClosed) {
					report("round %d: concurrent Close: %v", round, err)
				}
			}
		} else if closeErrs[0] != nil {
			report("round %d: Close: %v", round, closeErrs[0])
		}
		qt.Assert(t, b.Close(), qt.ErrorIs, fs.ErrClosed)
		qt.Assert(t, b.Len(), qt.Equals, 8*region)
	}
	t.Logf("%d rounds, %d workers: %d calls completed, %d returned fs.ErrClosed; %d rounds with two concurrent Close calls",
		rounds, workers, callsBefore.Load(), callsClosed.Load(), doubleClose.Load())
}

func relBtoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ---------------------------------------------------------------------------
// Scenario 13: a System V segment removed while another process has it
// attached.

// relSysVAttachChild attaches target, says so, waits for a line on stdin,
// then prints what it reads, writes at 4096, detaches and says so.
func relSysVAttachChild(target string) int {
	b, err := ipcbuf.Open(target, 0, ipcbuf.OpenOnly())
	if err != nil {
		fmt.Println("child:", err)
		return 1
	}
	fmt.Printf("attached %d\n", b.Len())
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		fmt.Println("child: stdin:", err)
		return 1
	}
	s, err := b.ToString("latin1", 0, 64)
	if err != nil {
		fmt.Println("child:", err)
		return 1
	}
	fmt.Printf("read %q\n", strings.TrimRight(s, "\x00"))
	if _, err := b.Write("child wrote after the removal", 4096, ""); err != nil {
		fmt.Println("child:", err)
		return 1
	}
	if err := b.Close(); err != nil {
		fmt.Println("child:", err)
		return 1
	}
	fmt.Println("detached")
	return 0
}

func TestSysVRemovedWhileAttached(t *testing.T) {
	key := sysvKey(t)
	if !ipcbuf.KindSysV.Supported() {
		_, err := ipcbuf.OpenSysV(key, 4096)
		qt.Assert(t, err, qt.ErrorIs, errors.ErrUnsupported)
		requireKind(t, ipcbuf.KindSysV)
	}
	target := fmt.Sprintf("0x%x", key)
	b, err := ipcbuf.OpenSysV(key, 8192, ipcbuf.Exclusive())
	qt.Assert(t, err, qt.IsNil)
	closed := false
	t.Cleanup(func() {
		if !closed {
			b.Close()
		}
	})
	_, err = b.Write("parent wrote before", 0, "")
	qt.Assert(t, err, qt.IsNil)

	var seg relSeg
	for _, s := range relSysVSegs(t) {
		if s.key == int(int32(uint32(key))) {
			seg = s
		}
	}
	qt.Assert(t, seg.size, qt.Equals, int64(8192), qt.Commentf("the segment is listed by key"))
	id := seg.id

	cmd := childCommand("rel-sysv-attach", target)
	stdin, err := cmd.StdinPipe()
	qt.Assert(t, err, qt.IsNil)
	stdout, err := cmd.StdoutPipe()
	qt.Assert(t, err, qt.IsNil)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	qt.Assert(t, cmd.Start(), qt.IsNil)
	waited := false
	t.Cleanup(func() {
		if !waited {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	lines := bufio.NewScanner(stdout)
	next := func() string {
		t.Helper()
		if !lines.Scan() {
			t.Fatalf("child ended early: %v\n%s", lines.Err(), stderr.Bytes())
		}
		return lines.Text()
	}
	qt.Assert(t, next(), qt.Equals, "attached 8192")
	s, ok := relSegByID(t, id)
	qt.Assert(t, ok, qt.IsTrue)
	qt.Assert(t, s.nattch, qt.Equals, 2, qt.Commentf("parent and child attached"))

	qt.Assert(t, ipcbuf.RemoveSysV(key), qt.IsNil)
	_, err = ipcbuf.OpenSysV(key, 0)
	qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist, qt.Commentf("the key no longer finds the segment"))
	_, err = ipcbuf.Open(target, 0, ipcbuf.ReadOnly())
	qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist)
	qt.Assert(t, sysvExists(key), qt.IsFalse)
	qt.Assert(t, ipcbuf.RemoveSysV(key), qt.ErrorIs, fs.ErrNotExist)

	s, ok = relSegByID(t, id)
	qt.Assert(t, ok, qt.IsTrue, qt.Commentf("the segment is still there while attached"))
	qt.Assert(t, s.nattch, qt.Equals, 2)
	qt.Assert(t, s.key, qt.Equals, 0, qt.Commentf("the kernel lists a removed segment under IPC_PRIVATE"))
	const shmDest = 0o1000
	qt.Assert(t, s.perms&shmDest, qt.Equals, shmDest, qt.Commentf("perms %#o: marked for destruction", s.perms))
	out, err := exec.Command("ipcs", "-m", "-i", strconv.Itoa(id)).CombinedOutput()
	if errors.Is(err, exec.ErrNotFound) {
		t.Log("no ipcs here: /proc/sysvipc/shm alone checks the segment")
	} else {
		qt.Assert(t, err, qt.IsNil, qt.Commentf("ipcs -m -i %d: %s", id, out))
		// ipcs shows the mode with SHM_DEST (01000) set, and both attachments.
		qt.Assert(t, string(out), qt.Matches, `(?s).*mode=01[0-7]{3}\b.*nattch=2\b.*`, qt.Commentf("ipcs -m -i %d", id))
	}

	// The parent can still write, and the child reads what it wrote.
	_, err = b.Write("PARENT WROTE AFTER!", 0, "") // as long as what it covers
	qt.Assert(t, err, qt.IsNil)
	_, err = io.WriteString(stdin, "go on\n")
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, next(), qt.Equals, `read "PARENT WROTE AFTER!"`)
	qt.Assert(t, next(), qt.Equals, "detached")
	qt.Assert(t, cmd.Wait(), qt.IsNil, qt.Commentf("%s", stderr.Bytes()))
	waited = true

	got, err := b.ToString("latin1", 4096, 4096+29)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, got, qt.Equals, "child wrote after the removal")
	s, ok = relSegByID(t, id)
	qt.Assert(t, ok, qt.IsTrue, qt.Commentf("still attached by the parent"))
	qt.Assert(t, s.nattch, qt.Equals, 1)

	qt.Assert(t, b.Close(), qt.IsNil)
	closed = true
	_, ok = relSegByID(t, id)
	qt.Assert(t, ok, qt.IsFalse, qt.Commentf("the segment is gone after the last detach"))
	qt.Assert(t, relMapped(t, []string{relMapNeedle(t, ipcbuf.KindSysV, target)}), qt.HasLen, 0)
}

// ---------------------------------------------------------------------------
// Scenario 10: buffers dropped without Close.

func TestGCDroppedBuffersReleased(t *testing.T) {
	const perKind, reps = 40, 3
	forKinds(t, func(t *testing.T, kc kindCase) {
		dir := t.TempDir()
		// The objects are made once; each repetition maps them afresh.
		targets := make([]string, perKind)
		needles := make([]string, perKind)
		for j := range targets {
			if kc.kind == ipcbuf.KindFile {
				targets[j] = filepath.Join(dir, fmt.Sprintf("dropped-%d", j))
			} else {
				targets[j] = kc.target(t)
			}
			needles[j] = relMapNeedle(t, kc.kind, targets[j])
		}
		runtime.GC()
		fds := relFDs(t)
		for rep := 0; rep < reps; rep++ {
			var aliases []*ipcbuf.Buffer
			var aliased []string
			func() {
				for j, target := range targets {
					b, err := ipcbuf.Open(target, 16<<10)
					qt.Assert(t, err, qt.IsNil)
					_, err = b.Write(fmt.Sprintf("rep %d buffer %02d", rep, j), 4096, "")
					qt.Assert(t, err, qt.IsNil)
					if j%8 == 0 {
						aliases = append(aliases, b.Slice(4096, 8192))
						aliased = append(aliased, needles[j])
					}
					// b is dropped here, never closed.
				}
			}()
			qt.Assert(t, len(relMapped(t, needles)) >= perKind, qt.IsTrue, qt.Commentf("every buffer mapped"))
			var dropped []string
			for _, n := range needles {
				if !slices.Contains(aliased, n) {
					dropped = append(dropped, n)
				}
			}
			relCollect(t, "unmapping of the dropped buffers", func() bool { return len(relMapped(t, dropped)) == 0 })
			// The views keep their memory mapped and intact.
			qt.Assert(t, relMapped(t, aliased), qt.HasLen, len(aliased))
			for i, a := range aliases {
				want := fmt.Sprintf("rep %d buffer %02d", rep, 8*i)
				s, err := a.ToString("", 0, len(want))
				qt.Assert(t, err, qt.IsNil)
				qt.Assert(t, s, qt.Equals, want)
			}
			aliases = nil
			relCollect(t, "unmapping once the views are dropped too", func() bool { return len(relMapped(t, needles)) == 0 })
			qt.Assert(t, relFDDiff(fds, relFDs(t)), qt.Equals, "", qt.Commentf("descriptors"))

			// What was written reached the object.
			for j, target := range targets {
				want := fmt.Sprintf("rep %d buffer %02d", rep, j)
				var got []byte
				switch kc.kind {
				case ipcbuf.KindFile, ipcbuf.KindPOSIX:
					data, err := os.ReadFile(needles[j])
					qt.Assert(t, err, qt.IsNil)
					qt.Assert(t, len(data), qt.Equals, 16<<10)
					got = data[4096 : 4096+len(want)]
				default:
					b, err := ipcbuf.Open(target, 0, ipcbuf.ReadOnly())
					qt.Assert(t, err, qt.IsNil)
					got = make([]byte, len(want))
					_, err = b.ReadAt(got, 4096)
					qt.Assert(t, err, qt.IsNil)
					qt.Assert(t, b.Close(), qt.IsNil)
				}
				qt.Assert(t, string(got), qt.Equals, want, qt.Commentf("object %d", j))
			}
		}
		if kc.kind == ipcbuf.KindSysV {
			for _, target := range targets {
				_, _, key, _ := ipcbuf.ParseTarget(target)
				for _, s := range relSysVSegs(t) {
					if s.key == int(int32(uint32(key))) {
						qt.Assert(t, s.nattch, qt.Equals, 0, qt.Commentf("key %#x still attached", key))
					}
				}
			}
		}
		for _, target := range targets {
			qt.Assert(t, ipcbuf.Remove(target), qt.IsNil)
		}
		t.Logf("%d buffers dropped without Close, %d times: all unmapped by the collector, descriptors flat, writes in the objects", perKind, reps)
	})
}
