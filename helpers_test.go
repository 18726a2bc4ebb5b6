package ipcbuf_test

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	qt "github.com/frankban/quicktest"

	"github.com/ipcbuf/ipcbuf"
)

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
