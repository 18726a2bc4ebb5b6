package ipcbuf_test

// Helpers shared by the tests: what the process has open, mapped and in
// use (from /proc/self), the System V segments the kernel lists (the one
// parser of /proc/sysvipc/shm), scratch mounts, waiting for the garbage
// collector, and the knobs of the reliability tests (reliability_*_test.go, one file per group of the
// scenarios in TESTING.md's reliability table). Plain go test runs short
// versions of those; IPCBUF_SOAK=1 (make test-soak) runs them at full size.

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

// procMaps returns the lines of /proc/self/maps.
func procMaps(t *testing.T) []string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("this test looks for mappings in /proc/self/maps, which Windows does not have; windows_test.go checks mapping and unmapping there by what Windows allows")
	}
	data, err := os.ReadFile("/proc/self/maps")
	qt.Assert(t, err, qt.IsNil)
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

// mapped returns the lines of /proc/self/maps that map one of paths (files,
// /dev/shm/… objects or /SYSV… segments, see relMapNeedle), deleted or not.
func mapped(t *testing.T, paths ...string) []string {
	t.Helper()
	var hits []string
	for _, line := range procMaps(t) {
		for _, p := range paths {
			if strings.HasSuffix(line, " "+p) || strings.HasSuffix(line, " "+p+" (deleted)") {
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

// sysvSeg is a line of /proc/sysvipc/shm, which lists the System V
// segments of this process's IPC namespace.
type sysvSeg struct {
	key, id, perms, cpid, nattch int
	size                         int64
}

// readSysVSegs parses /proc/sysvipc/shm: the one parser of it, for tests
// and for child processes, which have no *testing.T. A kernel without
// System V IPC has no segments.
func readSysVSegs() ([]sysvSeg, error) {
	data, err := os.ReadFile("/proc/sysvipc/shm")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var segs []sysvSeg
	for _, line := range strings.Split(string(data), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 7 {
			continue
		}
		var s sysvSeg
		var perms string
		if n, err := fmt.Sscan(strings.Join(f[:7], " "), &s.key, &s.id, &perms, &s.size, &s.cpid, new(int), &s.nattch); err != nil || n != 7 {
			return nil, fmt.Errorf("cannot parse /proc/sysvipc/shm line %q: %v", line, err)
		}
		p, err := strconv.ParseInt(perms, 8, 32)
		if err != nil {
			return nil, fmt.Errorf("cannot parse the perms of /proc/sysvipc/shm line %q: %v", line, err)
		}
		s.perms = int(p)
		segs = append(segs, s)
	}
	return segs, nil
}

// sysvSegs returns the segments /proc/sysvipc/shm lists.
func sysvSegs(t *testing.T) []sysvSeg {
	t.Helper()
	segs, err := readSysVSegs()
	qt.Assert(t, err, qt.IsNil)
	return segs
}

// sysvSegByID returns the segment with identifier id, if the kernel lists it.
func sysvSegByID(t *testing.T, id int) (sysvSeg, bool) {
	t.Helper()
	for _, s := range sysvSegs(t) {
		if s.id == id {
			return s, true
		}
	}
	return sysvSeg{}, false
}

// sysvSegByKey returns the segment with key, if the kernel lists it (and
// /proc/sysvipc/shm can be read: it takes no *testing.T, for TestMain and
// child processes). A segment marked for removal is listed under key 0.
func sysvSegByKey(key int) (sysvSeg, bool) {
	segs, _ := readSysVSegs()
	for _, s := range segs {
		if s.key == int(int32(uint32(key))) {
			return s, true
		}
	}
	return sysvSeg{}, false
}

// sysvExists reports whether a segment with key is listed by the kernel.
func sysvExists(key int) bool {
	_, ok := sysvSegByKey(key)
	return ok
}

// relOwnSegs counts the System V segments this process created. Other
// processes (other test runs on the machine) may create segments meanwhile,
// so the global count would not be flat.
func relOwnSegs(t *testing.T) int {
	n := 0
	for _, s := range sysvSegs(t) {
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

// procStatus returns the number of a line of /proc/self/status ("VmRSS",
// "Threads"), in bytes for the fields the kernel gives in kB. It takes no
// *testing.T, for child processes.
func procStatus(field string) (int64, error) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		rest, ok := strings.CutPrefix(line, field+":")
		if !ok {
			continue
		}
		rest = strings.TrimSpace(rest)
		num, kB := strings.CutSuffix(rest, " kB")
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/self/status: %s: %v", field, err)
		}
		if kB {
			n <<= 10
		}
		return n, nil
	}
	return 0, fmt.Errorf("no %s in /proc/self/status", field)
}

// relRSS returns this process's resident set size in bytes.
func relRSS(t *testing.T) int64 {
	t.Helper()
	rss, err := procStatus("VmRSS")
	qt.Assert(t, err, qt.IsNil)
	return rss
}

// collect runs the garbage collector (so that runtime cleanups run) until
// cond holds, and fails the test if it still does not after 10 seconds and
// at least 20 collections: under GODEBUG=checkfinalizers=1 (make
// test-sanitize) one collection can take several seconds on its own.
func collect(t *testing.T, what string, cond func() bool) {
	t.Helper()
	const cycles = 20
	deadline := time.Now().Add(10 * time.Second)
	for n := 0; !cond(); n++ {
		if n >= cycles && time.Now().After(deadline) {
			t.Fatalf("after %d garbage collections and 10 s: %s did not happen", n, what)
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

// semSetPerms returns the permission bits of the System V semaphore set
// with key, from /proc/sysvipc/sem, which is what ipcs -s reads.
func semSetPerms(key int) (string, bool) {
	data, err := os.ReadFile("/proc/sysvipc/sem")
	if err != nil {
		return "", false
	}
	for _, line := range strings.Split(string(data), "\n")[1:] {
		fields := strings.Fields(line)
		if len(fields) > 2 && fields[0] == strconv.FormatInt(int64(int32(uint32(key))), 10) {
			return fields[2], true
		}
	}
	return "", false
}
