package main

// Group 7: what opening a shared buffer costs as it grows: the time to
// create it, to touch every page once, and to close and remove it, and the
// memory it holds after open and after the touch.

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"github.com/ipcbuf/ipcbuf"
)

func init() {
	register(group{id: "7", title: "Open cost and resident memory by size", run: runOpenCost})
}

// ocBigRounds caps the rounds of the sizes from 1 GiB up: a round there
// takes seconds (the file's touch and sync).
const ocBigRounds = 3

// sysPageSize is the size of the pages a first touch faults in.
var sysPageSize = os.Getpagesize()

// The figures of one open, touch, close and remove, in the order the table
// shows them.
const (
	figOpen       = iota // seconds to open (create) the object
	figTouch             // seconds to write one byte in every page
	figFaults            // page faults taken by that touch
	figDispose           // seconds to Close and Remove
	figHeldOpen          // bytes of RAM the object holds after open
	figRSSOpen           // bytes of the mapping resident in this process after open
	figRSSTouched        // the same after the touch
	numFigures
)

// An ocCycle is the figures of one open, touch, close and remove.
type ocCycle [numFigures]float64

// An ocFigure says how the table shows one of an ocCycle's figures.
type ocFigure struct {
	name  string
	unit  string
	scale float64 // the cycle's figure is divided by this
}

// ocFigures are the rows of group 7, indexed like an ocCycle.
var ocFigures = [numFigures]ocFigure{
	{"open", "ms", 1e-3},
	{"first touch", "ms", 1e-3},
	{"faults in first touch", "faults", 1},
	{"close+remove", "ms", 1e-3},
	{"RAM held after open", "MiB", sizeMiB},
	{"RSS after open", "MiB", sizeMiB},
	{"RSS after touch", "MiB", sizeMiB},
}

// runOpenCost is group 7.
func runOpenCost(cfg *config) []result {
	dir, _, err := bufBenchDir()
	if err != nil {
		return []result{{caseName: "setup", contender: "file", value: math.NaN(), note: err.Error()}}
	}
	defer os.RemoveAll(dir)
	kinds := append(bufSharedKinds(dir), populatedShm())
	sizes := []int{cfg.size(sizeMiB), cfg.size(64 * sizeMiB), cfg.size(sizeGiB)}
	medians := make([][]ocCycle, len(sizes)) // [size][kind]
	var rs []result
	for i, size := range sizes {
		rounds := cfg.rounds
		if size >= sizeGiB {
			rounds = min(rounds, ocBigRounds)
		}
		var errs []error
		medians[i], errs = ocMeasureCycles(kinds, size, rounds)
		rows := ocCycleResults(kinds, size, medians[i], errs)
		if rounds < cfg.rounds {
			rows[0].note = ocJoinNote(rows[0].note, fmt.Sprintf("%s: median of %d rounds, not %d", bufSizeName(size), rounds, cfg.rounds))
		}
		rs = append(rs, rows...)
		runtime.GC() // release the reservations the closed buffers left
	}
	ocAddGrowthNotes(rs, kinds, sizes, medians)
	ocNoteMethods(rs)
	return rs
}

// populatedShm is a POSIX buffer opened with the Populate option, which
// pays the first touch's page faults in the open.
func populatedShm() bufKind {
	pid := os.Getpid()
	return bufKind{"posix Populate", func(size int) (*ipcbuf.Buffer, error) {
		return bufOpenUnique(func(seq uint32) (*ipcbuf.Buffer, error) {
			return ipcbuf.OpenShm(fmt.Sprintf("ipcbuf-bench-%d-%d", pid, seq), size, ipcbuf.Exclusive(), ipcbuf.Populate())
		})
	}}
}

// ocNoteMethods says, on the first rows that show them, where the memory
// figures come from and what the machine adds to the first touch.
func ocNoteMethods(rs []result) {
	notes := []struct{ prefix, note string }{
		{"RAM held", "the object's memory wherever it is mapped: tmpfs blocks (st_blocks) for posix, rss in /proc/sysvipc/shm for sysv, page-cache pages (mincore) for file"},
		{"RSS after open", "the mapping's Rss in /proc/self/smaps: its pages mapped into this process"},
	}
	if freePageReporting() {
		notes = append(notes, struct{ prefix, note string }{"first touch", "this machine is a VM that hands large blocks of free memory back to its host " +
			"(virtio-balloon free page reporting): the first write to such memory faults in the host as well, so first touches cost more, and vary more, than on bare metal"})
	}
	for _, n := range notes {
		for i := range rs {
			if strings.HasPrefix(rs[i].caseName, n.prefix) {
				rs[i].note = ocJoinNote(rs[i].note, n.note)
				break
			}
		}
	}
}

// ocMeasureCycles runs an open-touch-close cycle of every kind per round, in
// alternation, and returns each kind's medians and first error.
func ocMeasureCycles(kinds []bufKind, size, rounds int) ([]ocCycle, []error) {
	samples := make([][]ocCycle, len(kinds))
	errs := make([]error, len(kinds))
	fns := make([]func() float64, len(kinds))
	for i, k := range kinds {
		fns[i] = func() float64 {
			if errs[i] != nil {
				return math.NaN()
			}
			c, err := ocMeasureCycle(k, size)
			if err != nil {
				errs[i] = err
				return math.NaN()
			}
			samples[i] = append(samples[i], c)
			return c[figOpen]
		}
	}
	alternate(rounds, fns...)
	meds := make([]ocCycle, len(kinds))
	for i, s := range samples {
		meds[i] = ocMedianCycle(s)
	}
	return meds, errs
}

// ocMedianCycle takes the median of each figure separately.
func ocMedianCycle(cs []ocCycle) (m ocCycle) {
	v := make([]float64, len(cs))
	for f := range m {
		for i, c := range cs {
			v[i] = c[f]
		}
		m[f] = median(v)
	}
	return m
}

// ocMeasureCycle opens a new object of kind k, touches every page, and closes
// and removes it, timing each step and reading the memory in between.
func ocMeasureCycle(k bufKind, size int) (c ocCycle, err error) {
	var b *ipcbuf.Buffer
	c[figOpen] = timeIt(func() { b, err = k.open(size) })
	if err != nil {
		return c, err
	}
	mem := b.Bytes()
	if c[figHeldOpen], err = objectRAM(b, mem); err == nil {
		c[figRSSOpen], err = mappingRSS(mem)
	}
	if err == nil {
		c[figTouch], c[figFaults] = ocTimeTouch(mem)
		c[figRSSTouched], err = mappingRSS(mem)
	}
	c[figDispose] = timeIt(func() { err = ocJoinErr(err, bufDispose(b)) })
	return c, err
}

// ocJoinErr keeps the first error.
func ocJoinErr(first, next error) error {
	if first != nil {
		return first
	}
	return next
}

// ocTouch writes one byte in every page of p.
func ocTouch(p []byte) {
	for i := 0; i < len(p); i += sysPageSize {
		p[i] = 1
	}
}

// ocTimeTouch touches p and returns the seconds it took and the page faults
// it took, counted on its thread alone.
func ocTimeTouch(p []byte) (seconds, faults float64) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before := ocThreadFaults()
	seconds = timeIt(func() { ocTouch(p) })
	return seconds, ocThreadFaults() - before
}

// ocRusageThread is Linux's RUSAGE_THREAD, which syscall does not name.
const ocRusageThread = 1

// ocThreadFaults returns the minor page faults the calling thread has taken.
func ocThreadFaults() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(ocRusageThread, &ru); err != nil {
		return math.NaN()
	}
	return float64(ru.Minflt)
}

// ocCycleResults makes the rows of one size: each figure, kind by kind.
func ocCycleResults(kinds []bufKind, size int, meds []ocCycle, errs []error) []result {
	var rs []result
	for f, fig := range ocFigures {
		for i, k := range kinds {
			r := result{caseName: fig.name + " " + bufSizeName(size), contender: k.name, value: meds[i][f] / fig.scale, unit: fig.unit}
			if errs[i] != nil {
				r.value, r.note = math.NaN(), errs[i].Error()
			}
			rs = append(rs, r)
		}
	}
	return rs
}

// ocJoinNote appends a sentence to a note.
func ocJoinNote(note, more string) string {
	if note == "" {
		return more
	}
	return note + "; " + more
}

// ocGrowthWhy says, kind by kind and step by step, why a figure grows with
// the size as it does; the numbers the table prints are checked against it
// by the growth factor in the same note.
var ocGrowthWhy = map[string]string{
	"posix open":                  "posix_fallocate allocates every tmpfs page at open (RAM held = size while RSS is 0): linear; tmpfs leaves fallocated pages unzeroed until their first fault",
	"sysv open":                   "shmget and shmat allocate nothing: constant",
	"file open":                   "ext4's fallocate only records unwritten extents and writes no data: near constant, plus the fsync of the directory of a new file",
	"posix first touch":           "one fault per 4 KiB page (faults row), which zeroes the page fallocate allocated and maps it: linear",
	"sysv first touch":            "one fault per 4 KiB page (faults row), which allocates, zeroes and maps it: posix's open and touch in one step, linear",
	"file first touch":            "ext4 caches the file in large folios, up to 2 MiB: one fault (faults row) reads a whole folio ahead, zeroing it over the unwritten extent, and maps it, often with a single 2 MiB entry; few faults, but each zeroes up to 2 MiB of memory just taken from a large free block",
	"posix close+remove":          "unmapping clears every page-table entry, and shm_unlink frees every page: linear",
	"sysv close+remove":           "detaching clears every page-table entry, and IPC_RMID frees every page: linear",
	"posix Populate open":         "posix_fallocate as above, then MADV_POPULATE_WRITE faults every page in, zeroing and mapping it: the first touch's work moved into the open, linear",
	"posix Populate first touch":  "every page is already mapped writable: no fault, only the stores",
	"posix Populate close+remove": "as posix: unmapping clears every page-table entry, and shm_unlink frees every page: linear",
	"file close+remove":           "Close's msync writes every dirty page to the disk and waits for it, and unlink drops the page cache and frees the blocks: a fixed flush latency plus a part linear in the size",
}

// ocAddGrowthNotes notes on the largest size's time rows how the figure grew
// from the size before (linear growth is the ratio of the sizes), its cost
// per page at both sizes, and why.
func ocAddGrowthNotes(rs []result, kinds []bufKind, sizes []int, meds [][]ocCycle) {
	last := len(sizes) - 1
	grow := float64(sizes[last]) / float64(sizes[last-1])
	pages := float64(sizes[last] / sysPageSize)
	for _, f := range []int{figOpen, figTouch, figDispose} {
		fig := ocFigures[f]
		for i, k := range kinds {
			v, prev := meds[last][i][f], meds[last-1][i][f]
			note := fmt.Sprintf("%.1f× the %s figure for %.0f× the size; per %s page %.2f µs, %.2f at %s; %s",
				v/prev, bufSizeName(sizes[last-1]), grow, bufSizeName(sysPageSize), v/pages*1e6, prev/pages*grow*1e6,
				bufSizeName(sizes[last-1]), ocGrowthWhy[k.name+" "+fig.name])
			name := fig.name + " " + bufSizeName(sizes[last])
			for j := range rs {
				if rs[j].caseName == name && rs[j].contender == k.name {
					rs[j].note = ocJoinNote(rs[j].note, note)
				}
			}
		}
	}
}

// virtioBalloonReporting is VIRTIO_BALLOON_F_REPORTING, the feature bit of
// free page reporting.
const virtioBalloonReporting = 5

// freePageReporting reports whether this machine is a VM whose virtio
// balloon reports free memory to the host, which then takes it back.
func freePageReporting() bool {
	devices, _ := filepath.Glob("/sys/bus/virtio/devices/*")
	for _, d := range devices {
		id, _ := os.ReadFile(filepath.Join(d, "device"))
		features, _ := os.ReadFile(filepath.Join(d, "features")) // one '0' or '1' per bit
		if strings.TrimSpace(string(id)) == "0x0005" && len(features) > virtioBalloonReporting && features[virtioBalloonReporting] == '1' {
			return true
		}
	}
	return false
}

// objectRAM returns the bytes of RAM b's object holds, whether or not any
// process maps them: the tmpfs blocks of a POSIX object, the resident
// pages of a System V segment, the cached pages of a file.
func objectRAM(b *ipcbuf.Buffer, mem []byte) (float64, error) {
	switch b.Kind() {
	case ipcbuf.KindPOSIX:
		var st syscall.Stat_t
		if err := syscall.Stat("/dev/shm/"+strings.TrimPrefix(b.Name(), "*"), &st); err != nil {
			return 0, err
		}
		return float64(st.Blocks * 512), nil
	case ipcbuf.KindSysV:
		return sysvRSS(b.Name())
	}
	n, err := pagesInCore(mem)
	return float64(n * sysPageSize), err
}

// sysvRSS returns the resident bytes of the System V segment named
// "0x%08x", from /proc/sysvipc/shm.
func sysvRSS(name string) (float64, error) {
	k, err := strconv.ParseUint(name, 0, 32)
	if err != nil {
		return 0, err
	}
	key := strconv.Itoa(int(int32(uint32(k)))) // the file prints key_t signed
	f, err := os.Open("/proc/sysvipc/shm")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	rssCol := -1
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if rssCol < 0 {
			rssCol = slices.Index(fields, "rss")
			continue
		}
		if len(fields) > rssCol && rssCol >= 0 && fields[0] == key {
			v, err := strconv.ParseFloat(fields[rssCol], 64)
			return v, err
		}
	}
	return 0, fmt.Errorf("segment %s not in /proc/sysvipc/shm", name)
}

// pagesInCore counts the pages of p that are in memory (mincore): for a
// file mapping, the file's pages in the page cache, mapped here or not.
func pagesInCore(p []byte) (int, error) {
	vec := make([]byte, (len(p)+sysPageSize-1)/sysPageSize)
	_, _, e := syscall.Syscall(syscall.SYS_MINCORE, uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)), uintptr(unsafe.Pointer(unsafe.SliceData(vec))))
	if e != 0 {
		return 0, e
	}
	n := 0
	for _, v := range vec {
		n += int(v & 1)
	}
	return n, nil
}

// mappingRSS returns the bytes of the mapping holding p that are resident
// in this process (its Rss in /proc/self/smaps).
func mappingRSS(p []byte) (float64, error) {
	f, err := mappingFields(p)
	return float64(f["Rss"]), err
}

// mappingFields returns the size fields ("Rss", "AnonHugePages", …) of the
// mapping in /proc/self/smaps that holds p's first byte, in bytes.
func mappingFields(p []byte) (map[string]int, error) {
	addr := uint64(uintptr(unsafe.Pointer(unsafe.SliceData(p))))
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var fields map[string]int // non-nil inside the mapping
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.Fields(sc.Text())
		if len(line) == 0 {
			continue
		}
		if lo, hi, ok := smapsAddressRange(line[0]); ok {
			if fields != nil {
				break // past the mapping
			}
			if lo <= addr && addr < hi {
				fields = map[string]int{}
			}
			continue
		}
		if fields != nil && len(line) == 3 && line[2] == "kB" {
			n, _ := strconv.Atoi(line[1])
			fields[strings.TrimSuffix(line[0], ":")] = n * sizeKiB
		}
	}
	if fields == nil {
		return nil, fmt.Errorf("no mapping at %#x in /proc/self/smaps", addr)
	}
	return fields, sc.Err()
}

// smapsAddressRange parses the "start-end" that begins a mapping in smaps.
func smapsAddressRange(s string) (lo, hi uint64, ok bool) {
	a, b, found := strings.Cut(s, "-")
	if !found {
		return 0, 0, false
	}
	lo, err1 := strconv.ParseUint(a, 16, 64)
	hi, err2 := strconv.ParseUint(b, 16, 64)
	return lo, hi, err1 == nil && err2 == nil
}
