package ipcbuf_test

// Reliability scenario 14 (TESTING.md, "Reliability scenarios"): open,
// close and remove cycles, error paths included, leave descriptors,
// mappings, /dev/shm and memory flat.

import (
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"strings"
	"testing"
	"time"

	qt "github.com/frankban/quicktest"

	"github.com/ipcbuf/ipcbuf"
)

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
		maps:       len(procMaps(t)),
		ours:       mapped(t, needles...),
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
	if raceEnabled {
		return 256, 256 << 20, 64 << 20
	}
	return 32, 16 << 20, 4 << 20
}

func TestLeakCycles(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("counts descriptors, mappings and objects through /proc and /dev/shm, which Windows does not have")
	}
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
		collect(t, "the release of dropped buffers", func() bool {
			return len(mapped(t, needles...)) == 0 && relOwnSegs(t) <= segs0 && relOwnShm(t) <= shm0
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
		mapsSlack, rssGrowth>>20, rssSecondHalf>>20, raceEnabled)
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
