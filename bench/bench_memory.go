package main

// Group 1: the speed of a buffer's memory, kind by kind, against a plain
// []byte. Every contender runs the same loop over the slice Bytes returns;
// what differs is only where the memory comes from (the Go heap, tmpfs, the
// page cache of a file, a System V segment).

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/ipcbuf/ipcbuf"
)

func init() {
	register(group{id: "1", title: "Memory speed: each kind against a plain []byte", run: runMemory})
}

const (
	sizeKiB = 1 << 10
	sizeMiB = 1 << 20
	sizeGiB = 1 << 30
)

// memSink receives every sum, so the compiler cannot drop the loops.
var memSink uint64

// memTarget is the least acceptable ratio of a kind to a plain []byte.
const memTarget = 0.98

// memPlainName is the baseline contender of group 1.
const memPlainName = "plain []byte"

// A bufKind opens fresh buffers of one kind, each under a name of its own.
type bufKind struct {
	name string
	open func(size int) (*ipcbuf.Buffer, error)
}

// bufObjectSeq numbers the objects this process creates, for unique names.
var bufObjectSeq atomic.Uint32

// bufOpenUnique calls open with a new sequence number until the name it makes
// is free (open must create exclusively): another program may hold a name.
func bufOpenUnique(open func(seq uint32) (*ipcbuf.Buffer, error)) (*ipcbuf.Buffer, error) {
	for try := 0; ; try++ {
		b, err := open(bufObjectSeq.Add(1))
		if errors.Is(err, fs.ErrExist) && try < 100 {
			continue
		}
		return b, err
	}
}

// bufSysVKey makes a System V key from the pid and a sequence number.
func bufSysVKey(seq uint32) int {
	return int(0x40000000 | uint32(os.Getpid()&0x3fffff)<<8 | seq&0xff)
}

// bufMemoryKind is ipcbuf.Alloc: memory in this process's heap.
var bufMemoryKind = bufKind{name: "memory", open: ipcbuf.Alloc}

// bufSharedKinds returns the three shared kinds; files are created in dir.
func bufSharedKinds(dir string) []bufKind {
	pid := os.Getpid()
	return []bufKind{
		{"posix", func(size int) (*ipcbuf.Buffer, error) {
			return bufOpenUnique(func(seq uint32) (*ipcbuf.Buffer, error) {
				return ipcbuf.OpenShm(fmt.Sprintf("ipcbuf-bench-%d-%d", pid, seq), size, ipcbuf.Exclusive())
			})
		}},
		{"file", func(size int) (*ipcbuf.Buffer, error) {
			return bufOpenUnique(func(seq uint32) (*ipcbuf.Buffer, error) {
				return ipcbuf.OpenFile(filepath.Join(dir, fmt.Sprintf("buf-%d-%d", pid, seq)), size, ipcbuf.Exclusive())
			})
		}},
		{"sysv", func(size int) (*ipcbuf.Buffer, error) {
			return bufOpenUnique(func(seq uint32) (*ipcbuf.Buffer, error) {
				return ipcbuf.OpenSysV(bufSysVKey(seq), size, ipcbuf.Exclusive())
			})
		}},
	}
}

// bufDispose closes b and removes its object, if it has one.
func bufDispose(b *ipcbuf.Buffer) error {
	err := b.Close()
	if b.Kind() != ipcbuf.KindMemory {
		err = errors.Join(err, b.Remove())
	}
	return err
}

// bufBenchDir makes the directory for file buffers and says which file system
// holds it.
func bufBenchDir() (dir, fsType string, err error) {
	dir, err = os.MkdirTemp("", "ipcbuf-bench-")
	if err != nil {
		return "", "", err
	}
	return dir, bufFileSystem(dir), nil
}

// bufFileSystem names the file system holding path, from statfs's magic number.
func bufFileSystem(path string) string {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return "unknown file system"
	}
	switch uint32(st.Type) {
	case 0xEF53:
		return "ext4"
	case 0x01021994:
		return "tmpfs"
	case 0x58465342:
		return "xfs"
	case 0x9123683E:
		return "btrfs"
	case 0x794C7630:
		return "overlayfs"
	}
	return fmt.Sprintf("file system 0x%x", st.Type)
}

// bufSizeName writes a byte count as "256 MiB", "1 GiB" or "16 KiB".
func bufSizeName(n int) string {
	switch {
	case n >= sizeGiB && n%sizeGiB == 0:
		return fmt.Sprintf("%d GiB", n/sizeGiB)
	case n >= sizeMiB && n%sizeMiB == 0:
		return fmt.Sprintf("%d MiB", n/sizeMiB)
	}
	return fmt.Sprintf("%d KiB", n/sizeKiB)
}

// memWords is p seen as 8-byte words (p's start is page-aligned for every
// contender, and its length a multiple of 8).
func memWords(p []byte) []uint64 {
	return unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(p))), len(p)/8)
}

// memFill writes v into every word of p, front to back.
func memFill(p []byte, v uint64) {
	w := memWords(p)
	for i := range w {
		w[i] = v
	}
}

// memSum adds up every word of p, front to back, in four independent chains so
// that the adds keep up with the loads.
func memSum(p []byte) uint64 { return sumWords(memWords(p)) }

// memRandomSeed starts the same sequence of offsets for every contender.
const memRandomSeed = 0x9E3779B97F4A7C15

// memXorshift is the next number of Marsaglia's xorshift64 sequence; it
// inlines into the loops below.
func memXorshift(x uint64) uint64 {
	x ^= x << 13
	x ^= x >> 7
	return x ^ x<<17
}

// memRandomRead reads n words of p at offsets from a xorshift sequence and
// returns their sum. The offsets do not depend on the loaded values, so the
// CPU can have several misses in flight, as a hash table lookup would.
// len(p)/8 must be a power of two.
func memRandomRead(p []byte, n int) uint64 {
	w := memWords(p)
	mask := uint64(len(w) - 1)
	x, s := uint64(memRandomSeed), uint64(0)
	for range n {
		x = memXorshift(x)
		s += w[x&mask]
	}
	return s
}

// memRandomWrite writes n words of p at the offsets memRandomRead reads.
func memRandomWrite(p []byte, n int) {
	w := memWords(p)
	mask := uint64(len(w) - 1)
	x := uint64(memRandomSeed)
	for range n {
		x = memXorshift(x)
		w[x&mask] = x
	}
}

// A memArena is one contender's memory, open and touched for the whole
// comparison.
type memArena struct {
	name   string
	mem    []byte
	buf    *ipcbuf.Buffer // nil for the plain []byte
	err    error          // why it could not be opened
	layout string         // its pages, once touched: see memPageLayout
}

// memOpenArenas makes a plain []byte and a buffer of every kind, size bytes
// each, and touches every page of each once, so that no page fault is timed.
func memOpenArenas(dir string, size int) []*memArena {
	if sponge, err := memSoak(memSpongeFactor * size); err == nil {
		defer syscall.Munmap(sponge)
	}
	as := []*memArena{{name: memPlainName, mem: make([]byte, size)}}
	for _, k := range append([]bufKind{bufMemoryKind}, bufSharedKinds(dir)...) {
		a := &memArena{name: k.name}
		if a.buf, a.err = k.open(size); a.err == nil {
			a.mem = a.buf.Bytes()
		}
		as = append(as, a)
	}
	for _, a := range as {
		if a.err == nil {
			memFill(a.mem, 0x5a5a5a5a5a5a5a5a)
			a.layout = memPageLayout(a.mem)
		}
	}
	return as
}

// memSpongeFactor is how much memory memSoak takes before the arenas are made,
// in arena sizes.
const memSpongeFactor = 4

// memSoak maps and touches size bytes of anonymous memory, to be unmapped once
// the arenas hold their pages. Pages freed a moment ago (by the arenas of
// the previous size, say) are handed out again first, and in scattered
// order: whichever buffer first allocates after a free gets physically
// scattered pages, and random access over scattered pages is slower (the
// CPU's TLB can merge the entries of physically adjacent pages). The sponge
// takes those pages, so that no contender is favoured by the order in which
// the arenas are made.
func memSoak(size int) ([]byte, error) {
	return syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS|syscall.MAP_POPULATE)
}

// memCloseArenas closes and removes every buffer and gives the heap back, so
// that the groups after this one start from the same state.
func memCloseArenas(as []*memArena) {
	for _, a := range as {
		if a.buf != nil {
			if err := bufDispose(a.buf); err != nil {
				fmt.Fprintln(os.Stderr, "bench:", err)
			}
		}
		a.mem, a.buf = nil, nil
	}
	runtime.GC()
	debug.FreeOSMemory()
}

// A memCase is one kind of work over a contender's memory; measure does it
// once and returns the figure.
type memCase struct {
	name    string
	unit    string
	measure func(p []byte) float64
	layout  bool // note each contender's page layout on this case's rows
}

// memBestOf times unit reps times and returns the fastest, which is one
// sample of a case: the machine's noise (other processes, other tenants of
// the memory bus) only ever slows a repetition down, so the fastest is the
// figure least disturbed by it. The median over the rounds is then taken as
// usual.
func memBestOf(reps int, unit func()) float64 {
	best := math.Inf(1)
	for range reps {
		best = min(best, timeIt(unit))
	}
	return best
}

// memStreamBytes is how many bytes one sample of a sequential case moves, in
// passes over the whole buffer (at least memMinPasses): tens of milliseconds.
const (
	memStreamBytes = 512 * sizeMiB
	memMinPasses   = 4
)

// memSequentialCases are the fill and the sum, for every size: each
// repetition is one pass over the whole buffer.
func memSequentialCases(cfg *config) []memCase {
	reps := func(p []byte) int { return max(memMinPasses, cfg.size(memStreamBytes)/len(p)) }
	return []memCase{
		{"fill", "GB/s", func(p []byte) float64 {
			v := uint64(0)
			return gbps(len(p), memBestOf(reps(p), func() { v++; memFill(p, v) }))
		}, false},
		{"sum", "GB/s", func(p []byte) float64 {
			return gbps(len(p), memBestOf(reps(p), func() { memSink += memSum(p) }))
		}, false},
	}
}

// memRandomAccesses is how many random accesses one sample makes, in
// memRandomReps repetitions of the same sequence.
const (
	memRandomAccesses = 16 << 20
	memRandomReps     = 8
)

// memRandomCases are 8-byte reads and writes at random aligned offsets.
func memRandomCases(cfg *config) []memCase {
	n := cfg.size(memRandomAccesses) / memRandomReps
	perSec := func(s float64) float64 { return float64(n) / s / 1e6 }
	return []memCase{
		{"random 8-byte reads", "M/s", func(p []byte) float64 {
			return perSec(memBestOf(memRandomReps, func() { memSink += memRandomRead(p, n) }))
		}, false},
		{"random 8-byte writes", "M/s", func(p []byte) float64 {
			return perSec(memBestOf(memRandomReps, func() { memRandomWrite(p, n) }))
		}, true},
	}
}

// runMemory is group 1.
func runMemory(cfg *config) []result {
	dir, fsType, err := bufBenchDir()
	if err != nil {
		return []result{{caseName: "setup", contender: "file", value: math.NaN(), note: err.Error()}}
	}
	defer os.RemoveAll(dir)
	var rs []result
	small, large := cfg.size(16*sizeMiB), cfg.size(256*sizeMiB)
	rs = append(rs, memCompareArenas(cfg, dir, small, memSequentialCases(cfg))...)
	rs = append(rs, memCompareArenas(cfg, dir, large, append(memSequentialCases(cfg), memRandomCases(cfg)...))...)
	memAddNotes(rs, fsType, large)
	return rs
}

// memAddNotes says, once each, what the reader needs to read group 1:
// where the file is, what the second heap contender shows, what the small
// size measures and what the random cases depend on.
func memAddNotes(rs []result, fsType string, large int) {
	first := func(contender, casePrefix, note string) {
		for i := range rs {
			if rs[i].contender == contender && strings.HasPrefix(rs[i].caseName, casePrefix) {
				rs[i].note = ocJoinNote(rs[i].note, note)
				return
			}
		}
	}
	first(memPlainName, "fill", "every buffer is touched before timing and stays open; a sample is the best of several passes, the figure the median of the rounds' samples")
	first(memPlainName, "fill", "the smaller size fits this CPU's L3 cache ("+memCacheL3()+"): it measures the cache, the larger one DRAM")
	first("memory", "fill", "ipcbuf.Alloc is heap memory like the baseline: its ratio shows this run's noise")
	first("file", "fill", fmt.Sprintf("a file in %s (%s), mapped MAP_SHARED", os.TempDir(), fsType))
	first(memPlainName, "random 8-byte reads", fmt.Sprintf("%s is %d pages of %s: nearly every random access misses the TLB, so random access depends "+
		"on the page size and on how the pages lie in physical memory, which differ from object to object and run to run (notes on the writes rows)",
		bufSizeName(large), large/sysPageSize, bufSizeName(sysPageSize)))
}

// memCacheL3 is the size of the CPU's L3 cache ("32 MiB"), from sysfs.
func memCacheL3() string {
	b, err := os.ReadFile("/sys/devices/system/cpu/cpu0/cache/index3/size")
	k, cut := strings.CutSuffix(strings.TrimSpace(string(b)), "K")
	n, perr := strconv.Atoi(k)
	if err != nil || !cut || perr != nil {
		return "size unknown"
	}
	return bufSizeName(n * sizeKiB)
}

// memPageLayout describes the pages under p: how many bytes of the mapping
// holding it are mapped with 2 MiB pages (smaps), and the share of its
// 4 KiB pages that directly follow the previous one in physical memory
// (/proc/self/pagemap), which lets the CPU's TLB cover more with one entry.
func memPageLayout(p []byte) string {
	f, err := mappingFields(p)
	if err != nil {
		return err.Error()
	}
	huge := f["AnonHugePages"] + f["ShmemPmdMapped"] + f["FilePmdMapped"]
	s := fmt.Sprintf("%s of its mapping in 2 MiB pages", bufSizeName(huge))
	if c, ok := memContiguity(p); ok {
		s += fmt.Sprintf("; %.0f%% of its 4 KiB pages physically follow the one before", 100*c)
	}
	return s
}

// memContiguity returns the share of p's pages whose physical frame is the
// one after the previous page's. ok is false where pagemap hides frame
// numbers (without CAP_SYS_ADMIN).
func memContiguity(p []byte) (share float64, ok bool) {
	f, err := os.Open("/proc/self/pagemap")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	n := len(p) / sysPageSize
	if n < 2 {
		return 0, false
	}
	entries := make([]byte, 8*n)
	start := uintptr(unsafe.Pointer(unsafe.SliceData(p))) / uintptr(sysPageSize)
	if _, err := f.ReadAt(entries, int64(start*8)); err != nil {
		return 0, false
	}
	adjacent, prev := 0, uint64(0)
	for i := range n {
		frame := binary.LittleEndian.Uint64(entries[8*i:]) & (1<<55 - 1)
		if frame == 0 {
			return 0, false
		}
		if i > 0 && frame == prev+1 {
			adjacent++
		}
		prev = frame
	}
	return float64(adjacent) / float64(n-1), true
}

// memCompareArenas opens every contender at size and runs each case on all of
// them in alternation.
func memCompareArenas(cfg *config, dir string, size int, cases []memCase) []result {
	as := memOpenArenas(dir, size)
	defer memCloseArenas(as)
	var live []*memArena
	for _, a := range as {
		if a.err == nil {
			live = append(live, a)
		}
	}
	var rs []result
	for _, c := range cases {
		fns := make([]func() float64, len(live))
		for i, a := range live {
			fns[i] = func() float64 { return c.measure(a.mem) }
		}
		meds := alternate(cfg.rounds, fns...)
		caseName := c.name + " " + bufSizeName(size)
		for _, a := range as {
			r := result{caseName: caseName, contender: a.name, value: math.NaN(), unit: c.unit, higher: true}
			if a.name != memPlainName {
				r.baseline, r.target = memPlainName, memTarget
			}
			switch {
			case a.err != nil:
				r.note = a.err.Error()
			case c.layout:
				r.note = a.layout
			}
			if i := slices.Index(live, a); i >= 0 {
				r.value = meds[i]
			}
			rs = append(rs, r)
		}
	}
	return rs
}
