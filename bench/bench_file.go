package main

// Group 5: writing records into a 256 MiB file and making them durable,
// through an ipcbuf file mapping against os.File.
//
// Each workload runs on two kinds of file, the same way for every
// contender, made outside the timing:
//
//   - a new file for every run: created, fallocate'd to its full size
//     (unwritten extents, no data) and fsync'd, which also commits the
//     removal of the previous run's file. It has no page in the cache, so
//     the writes allocate and zero page-cache memory;
//   - one file rewritten by every run: made as above once, then written in
//     full and fsync'd, so that every run finds it allocated, cached and
//     clean (each run ends with a sync).
//
// Nothing is ever dropped from the page cache. What is timed is open, the
// writes, Sync (msync or fsync, which writes the dirty pages to the disk)
// and Close.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/ipcbuf/ipcbuf"
	"golang.org/x/sys/unix"
)

func init() {
	register(group{
		id:    "5",
		title: "Records into a 256 MiB file, then Sync (targets: random ≥ 20×, sequential ≥ 1×, against os.File)",
		run:   runFileRecords,
	})
}

// Sizes of group 5 before -quick scales them.
const (
	recFileSize  = 256 << 20 // bytes in the file
	recCount     = 1_000_000 // random 8-byte records
	recChunk     = 1 << 20   // bytes per write in the sequential case
	recMaxRounds = 5         // random: a run takes up to 5 s, so at most 5 rounds

	recRandomTarget = 20 // random records: ipcbuf's rate over os.File's
)

// Contender names of group 5.
const (
	recOSFile  = "os.File"
	recBytes   = "ipcbuf Bytes + PutUint64"
	recMethod  = "ipcbuf WriteBigUint64LE"
	recCopy    = "ipcbuf copy into Bytes"
	recWriteAt = "ipcbuf WriteAt"
	recPopPut  = "ipcbuf Populate, Bytes + PutUint64"
	recPopMeth = "ipcbuf Populate, WriteBigUint64LE"
)

// A recRun does one contender's timed work on the file at path. It calls
// lap after each phase with the phase's name; lap records the time since
// the previous lap (or the start).
type recRun func(path string, lap func(phase string)) error

// A recContender is one way of doing a case's work.
type recContender struct {
	name     string
	baseline string
	target   float64
	note     string
	run      recRun
}

// A recCase is one block of rows: contenders doing the same work on the
// same kind of file. value turns a run's seconds into the figure reported.
type recCase struct {
	name       string
	unit       string
	value      func(seconds float64) float64
	contenders []recContender
}

// A recFileKind is the kind of file a case's runs write to.
type recFileKind int

const (
	newFile       recFileKind = iota // a new file for every run
	rewrittenFile                    // one cached file, rewritten by every run
)

func (k recFileKind) String() string {
	if k == newFile {
		return "new file"
	}
	return "cached file"
}

// recFiles makes the files of the runs in a directory of its own: at most
// one new file at a time, and the rewritten one.
type recFiles struct {
	dir   string
	size  int
	last  string // the last new file, removed when the next is made
	seq   int
	kept  string // the rewritten file, once made
	chunk []byte // what the rewritten file is first filled with
}

// runFileRecords measures group 5.
func runFileRecords(cfg *config) []result {
	dir, err := os.MkdirTemp("", "ipcbuf-bench-file-")
	if err != nil {
		panic(fmt.Sprintf("group 5: %v", err))
	}
	defer os.RemoveAll(dir)
	files := &recFiles{dir: dir, size: cfg.size(recFileSize), chunk: recChunkBytes(cfg.size(recFileSize))}
	var out []result
	for _, kind := range []recFileKind{newFile, rewrittenFile} {
		random := measureRecCase(min(cfg.rounds, recMaxRounds), files, kind, randomCase(cfg, files.size, kind))
		targetBetter(random, recRandomTarget, recBytes, recMethod, recPopPut, recPopMeth)
		out = append(out, random...)
	}
	for _, kind := range []recFileKind{newFile, rewrittenFile} {
		out = append(out, measureRecCase(cfg.rounds, files, kind, sequentialCase(files.size, files.chunk, kind))...)
	}
	return out
}

// recChunkBytes returns the chunk the sequential case writes, recChunk
// bytes or the whole file if smaller.
func recChunkBytes(size int) []byte {
	chunk := make([]byte, min(recChunk, size))
	for i := range chunk {
		chunk[i] = byte(i*7 + 1)
	}
	return chunk
}

// targetBetter gives the target to the best of the named contenders (the
// highest value) and says so in every one's note.
func targetBetter(rs []result, target float64, names ...string) {
	best := -1
	for i, r := range rs {
		if slices.Contains(names, r.contender) && (best < 0 || r.value > rs[best].value) {
			best = i
		}
	}
	for i := range rs {
		if !slices.Contains(names, rs[i].contender) {
			continue
		}
		if i == best {
			rs[i].target = target
			rs[i].note += fmt.Sprintf(". The better ipcbuf way in this run: the %.0f× target applies to it", target)
		} else {
			rs[i].note += ". No target: it applies to the better ipcbuf way"
		}
	}
}

// file returns the path of the file for the next run of the given kind.
func (rf *recFiles) file(kind recFileKind) string {
	if kind == newFile {
		return rf.fresh()
	}
	return rf.rewritten()
}

// fresh removes the previous new file and returns the path of a new one
// of rf.size bytes, fallocate'd and synced.
func (rf *recFiles) fresh() string {
	if rf.last != "" {
		if err := os.Remove(rf.last); err != nil {
			panic(fmt.Sprintf("group 5: %v", err))
		}
	}
	rf.seq++
	rf.last = filepath.Join(rf.dir, fmt.Sprintf("records-%d", rf.seq))
	if err := preallocate(rf.last, rf.size); err != nil {
		panic(fmt.Sprintf("group 5: %v", err))
	}
	return rf.last
}

// rewritten returns the path of the rewritten file, making it on the first
// call: fallocate'd, written in full and synced.
func (rf *recFiles) rewritten() string {
	if rf.kept != "" {
		return rf.kept
	}
	path := filepath.Join(rf.dir, "rewritten")
	err := preallocate(path, rf.size)
	if err == nil {
		err = fillFile(path, rf.chunk)
	}
	if err != nil {
		panic(fmt.Sprintf("group 5: %v", err))
	}
	rf.kept = path
	return path
}

// fillFile writes the whole file at path with chunk, again and again, and
// syncs it.
func fillFile(path string, chunk []byte) error {
	return osFileChunks(path, func(string) {}, chunk)
}

// preallocate creates the file at path with size bytes of reserved,
// unwritten space and syncs it (and with it the journal).
func preallocate(path string, size int) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	err = unix.Fallocate(int(f.Fd()), 0, 0, int64(size))
	return errors.Join(err, f.Sync(), f.Close())
}

// measureRecCase alternates the contenders of c over rounds rounds, each
// run on a file of the given kind, and returns their medians, with the
// median time of each phase and the page faults of a run in the notes.
func measureRecCase(rounds int, files *recFiles, kind recFileKind, c recCase) []result {
	logs := make([]*phaseLog, len(c.contenders))
	fns := make([]func() float64, len(c.contenders))
	for i, ct := range c.contenders {
		logs[i] = &phaseLog{}
		fns[i] = func() float64 {
			secs, err := logs[i].run(files.file(kind), ct.run)
			if err != nil {
				panic(fmt.Sprintf("group 5, %s, %s: %v", c.name, ct.name, err))
			}
			return c.value(secs)
		}
	}
	meds := alternate(rounds, fns...)
	out := make([]result, len(c.contenders))
	for i, ct := range c.contenders {
		note := logs[i].summary()
		if ct.note != "" {
			note += ". " + ct.note
		}
		out[i] = result{caseName: c.name, contender: ct.name, value: meds[i], unit: c.unit,
			higher: true, baseline: ct.baseline, target: ct.target, note: note}
	}
	return out
}

// phaseLog collects the phases of a contender's runs.
type phaseLog struct {
	order  []string             // phase names, in the order of the first run
	secs   map[string][]float64 // seconds, one sample per run
	faults []float64            // page faults per run
}

// run times one run of r on path, recording its phases, and returns the
// total seconds.
func (l *phaseLog) run(path string, r recRun) (float64, error) {
	if l.secs == nil {
		l.secs = map[string][]float64{}
	}
	faults0 := pageFaults()
	start := time.Now()
	last := start
	err := r(path, func(phase string) {
		now := time.Now()
		if _, seen := l.secs[phase]; !seen {
			l.order = append(l.order, phase)
		}
		l.secs[phase] = append(l.secs[phase], now.Sub(last).Seconds())
		last = now
	})
	total := time.Since(start).Seconds()
	l.faults = append(l.faults, float64(pageFaults()-faults0))
	return total, err
}

// summary gives the median of each phase and of the page faults.
func (l *phaseLog) summary() string {
	parts := make([]string, 0, len(l.order))
	for _, p := range l.order {
		parts = append(parts, fmt.Sprintf("%s %.0f ms", p, median(l.secs[p])*1e3))
	}
	return fmt.Sprintf("phases (medians): %s; %.0f page faults", strings.Join(parts, ", "), median(l.faults))
}

// pageFaults returns the page faults this process has taken.
func pageFaults() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Minflt + ru.Majflt
}

// randomCase writes recCount 8-byte records (scaled by -quick) at random
// 8-aligned offsets, the same sequence for every contender, then syncs.
func randomCase(cfg *config, size int, kind recFileKind) recCase {
	n := cfg.size(recCount)
	offs := randomOffsets(n, size)
	c := recCase{
		name:  fmt.Sprintf("random, %s: %s × 8 B + Sync", kind, thousands(n)),
		unit:  "M records/s",
		value: func(secs float64) float64 { return float64(n) / secs / 1e6 },
		contenders: []recContender{
			{name: recBytes, baseline: recOSFile, run: func(path string, lap func(string)) error {
				return ipcbufRecords(path, lap, func(b *ipcbuf.Buffer) error { return putRecords(b, offs) })
			}},
			{name: recMethod, baseline: recOSFile, run: func(path string, lap func(string)) error {
				return ipcbufRecords(path, lap, func(b *ipcbuf.Buffer) error { return writeRecords(b, offs) })
			}},
			{name: recPopPut, baseline: recOSFile, note: "opened with the Populate option: the open phase write-faults every page in (MADV_POPULATE_WRITE)",
				run: func(path string, lap func(string)) error {
					return ipcbufRecords(path, lap, func(b *ipcbuf.Buffer) error { return putRecords(b, offs) }, ipcbuf.Populate())
				}},
			{name: recPopMeth, baseline: recOSFile, note: "opened with the Populate option, as above",
				run: func(path string, lap func(string)) error {
					return ipcbufRecords(path, lap, func(b *ipcbuf.Buffer) error { return writeRecords(b, offs) }, ipcbuf.Populate())
				}},
			{name: recOSFile, note: "os.OpenFile, File.WriteAt of each record (one pwrite), Sync (fsync), Close",
				run: func(path string, lap func(string)) error { return osFileRecords(path, lap, offs) }},
		},
	}
	c.contenders = append(c.contenders, randomExperiment(offs)...)
	return c
}

// randomOffsets returns n random 8-aligned offsets of records in size
// bytes, the same ones on every call.
func randomOffsets(n, size int) []int64 {
	rng := rand.New(rand.NewPCG(5, 5))
	offs := make([]int64, n)
	for i := range offs {
		offs[i] = int64(rng.IntN(size/8)) * 8
	}
	return offs
}

// ipcbufRecords opens path with ipcbuf, at its size, with opts, lets write
// fill it, then syncs and closes it.
func ipcbufRecords(path string, lap func(string), write func(*ipcbuf.Buffer) error, opts ...ipcbuf.Option) error {
	b, err := ipcbuf.OpenFile(path, 0, opts...)
	if err != nil {
		return err
	}
	lap("open")
	if err := write(b); err != nil {
		b.Close()
		return err
	}
	lap("write")
	if err := b.Sync(); err != nil {
		b.Close()
		return err
	}
	lap("sync")
	err = b.Close()
	lap("close")
	return err
}

// putRecords writes record i, the value i, at offs[i] through Bytes.
func putRecords(b *ipcbuf.Buffer, offs []int64) error {
	mem := b.Bytes()
	if mem == nil {
		return errors.New("Bytes returned nil")
	}
	err := putInto(mem, offs)
	runtime.KeepAlive(b)
	return err
}

// writeRecords writes record i, the value i, at offs[i] with the Buffer
// method, which checks bounds and guards against faults on every call.
func writeRecords(b *ipcbuf.Buffer, offs []int64) error {
	for i, off := range offs {
		if _, err := b.WriteBigUint64LE(uint64(i), int(off)); err != nil {
			return err
		}
	}
	return nil
}

// osFileRecords writes record i, the value i, at offs[i] with one WriteAt
// each, then syncs and closes the file.
func osFileRecords(path string, lap func(string), offs []int64) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	lap("open")
	var rec [8]byte
	for i, off := range offs {
		binary.LittleEndian.PutUint64(rec[:], uint64(i))
		if _, err := f.WriteAt(rec[:], off); err != nil {
			f.Close()
			return err
		}
	}
	lap("write")
	return syncClose(f, lap)
}

// syncClose syncs and closes f, recording the two phases.
func syncClose(f *os.File, lap func(string)) error {
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	lap("sync")
	err := f.Close()
	lap("close")
	return err
}

// sequentialCase writes the whole file in order, in 1 MiB chunks, then
// syncs; with it, the mappings of the experiment, each a variant of what
// ipcbuf does made through x/sys/unix.
func sequentialCase(size int, chunk []byte, kind recFileKind) recCase {
	c := recCase{
		name:  fmt.Sprintf("sequential, %s: %d MiB by %d KiB + Sync", kind, size>>20, len(chunk)>>10),
		unit:  "GB/s",
		value: func(secs float64) float64 { return gbps(size, secs) },
		contenders: []recContender{
			{name: recCopy, baseline: recOSFile, target: 1, run: func(path string, lap func(string)) error {
				return ipcbufRecords(path, lap, func(b *ipcbuf.Buffer) error { return copyChunks(b, chunk) })
			}},
			{name: recWriteAt, baseline: recOSFile, target: 1, run: func(path string, lap func(string)) error {
				return ipcbufRecords(path, lap, func(b *ipcbuf.Buffer) error { return writeAtChunks(b, chunk) })
			}},
			{name: recOSFile, note: "os.OpenFile, File.Write of each chunk, Sync (fsync), Close",
				run: func(path string, lap func(string)) error { return osFileChunks(path, lap, chunk) }},
		},
	}
	c.contenders = append(c.contenders, sequentialExperiment(chunk)...)
	return c
}

// copyChunks fills b with chunk, again and again, through Bytes.
func copyChunks(b *ipcbuf.Buffer, chunk []byte) error {
	mem := b.Bytes()
	if mem == nil {
		return errors.New("Bytes returned nil")
	}
	err := copyInto(mem, chunk)
	runtime.KeepAlive(b)
	return err
}

// writeAtChunks fills b with chunk, again and again, with WriteAt.
func writeAtChunks(b *ipcbuf.Buffer, chunk []byte) error {
	for off := 0; off < b.Len(); off += len(chunk) {
		if _, err := b.WriteAt(chunk[:min(len(chunk), b.Len()-off)], int64(off)); err != nil {
			return err
		}
	}
	return nil
}

// osFileChunks fills the file with chunk, again and again, with Write.
func osFileChunks(path string, lap func(string), chunk []byte) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	lap("open")
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	for off := int64(0); off < st.Size(); off += int64(len(chunk)) {
		if _, err := f.Write(chunk[:min(int64(len(chunk)), st.Size()-off)]); err != nil {
			f.Close()
			return err
		}
	}
	lap("write")
	return syncClose(f, lap)
}

// A mapVariant is a way the library could map a file for writing, tried
// through x/sys/unix on a mapping of our own: extra mmap flags, advice
// given to the whole mapping before the writes, and how the bytes are
// written.
type mapVariant struct {
	name   string
	flags  int // added to MAP_SHARED
	advice int // madvise advice; -1 for none
	fill   func(mem []byte, fd int) error
	note   string
}

// noAdvice marks a mapVariant that gives no madvise advice.
const noAdvice = -1

// sequentialExperiment returns the variants of the sequential case.
func sequentialExperiment(chunk []byte) []recContender {
	copyFill := func(mem []byte, _ int) error { return copyInto(mem, chunk) }
	return mapContenders([]mapVariant{
		{name: "x/sys mmap (as ipcbuf)", advice: noAdvice, fill: copyFill,
			note: "ipcbuf's calls and copy without the library: the library's own cost is the difference from ipcbuf copy into Bytes"},
		{name: "x/sys mmap + MAP_POPULATE", flags: unix.MAP_POPULATE, advice: noAdvice, fill: copyFill,
			note: "The population is in the open phase. On a shared mapping MAP_POPULATE read-faults every page, " +
				"mapping each 4 KiB read-only: each first write then takes a write-protect fault and page_mkwrite per 4 KiB " +
				"(without it, a write fault maps a whole large folio at once)"},
		{name: "x/sys mmap + MADV_POPULATE_WRITE", advice: unix.MADV_POPULATE_WRITE, fill: copyFill,
			note: "Write-faults every page in one system call (Linux 5.14+): allocation and zeroing of the pages a new file lacks, " +
				"page_mkwrite, dirty; the copy then takes no fault. Every page is dirtied, written or not"},
		{name: "x/sys mmap + MADV_WILLNEED", advice: unix.MADV_WILLNEED, fill: copyFill,
			note: "Starts readahead of the file into the page cache; maps nothing"},
		{name: "x/sys mmap + MADV_SEQUENTIAL", advice: unix.MADV_SEQUENTIAL, fill: copyFill,
			note: "A readahead hint for the faults"},
		{name: "x/sys mmap, chunks by pwrite", advice: noAdvice,
			fill: func(mem []byte, fd int) error { return pwriteChunks(fd, len(mem), chunk) },
			note: "The same mapping, but each chunk written with pwrite(2) on the descriptor kept open: " +
				"the page cache the mapping shows, filled without faults or zeroing; msync then writes it back"},
	})
}

// randomExperiment returns the variants of the random case.
func randomExperiment(offs []int64) []recContender {
	return mapContenders([]mapVariant{
		{name: "x/sys mmap + MADV_POPULATE_WRITE", advice: unix.MADV_POPULATE_WRITE,
			fill: func(mem []byte, _ int) error { return putInto(mem, offs) },
			note: "Every page write-faulted in one system call before the records are put (the advise phase): " +
				"the write phase then takes no fault. Every page is dirtied, written or not"},
	})
}

// mapContenders makes a contender of each variant, compared with os.File
// without a target.
func mapContenders(variants []mapVariant) []recContender {
	out := make([]recContender, len(variants))
	for i, v := range variants {
		out[i] = recContender{name: v.name, baseline: recOSFile, note: v.note,
			run: func(path string, lap func(string)) error { return mapAndFill(path, lap, v) }}
	}
	return out
}

// mapAndFill maps the file at path as v says, fills it, then msyncs and
// unmaps it and closes the descriptor.
func mapAndFill(path string, lap func(string), v mapVariant) error {
	mem, fd, err := mapExisting(path, v.flags)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	defer unix.Munmap(mem) // after a failure; a second munmap of the range is harmless
	lap("open")
	if v.advice != noAdvice {
		if err := unix.Madvise(mem, v.advice); err != nil {
			return fmt.Errorf("madvise: %w", err)
		}
		lap("advise")
	}
	if err := v.fill(mem, fd); err != nil {
		return err
	}
	lap("write")
	if err := unix.Msync(mem, unix.MS_SYNC); err != nil {
		return err
	}
	lap("sync")
	err = unix.Munmap(mem)
	lap("close")
	return err
}

// mapExisting opens the file at path and maps all of it, shared and
// writable, making ipcbuf.OpenFile(path, 0)'s calls (open, fstat, fallocate
// of the existing range, mmap), with extra mmap flags. It returns the
// descriptor too, still open.
func mapExisting(path string, flags int) ([]byte, int, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, -1, err
	}
	mem, err := mapFD(fd, flags)
	if err != nil {
		unix.Close(fd)
		return nil, -1, err
	}
	return mem, fd, nil
}

// mapFD is mapExisting after the open.
func mapFD(fd, flags int) ([]byte, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, err
	}
	if err := unix.Fallocate(fd, 0, 0, st.Size); err != nil && err != unix.EOPNOTSUPP {
		return nil, err
	}
	return unix.Mmap(fd, 0, int(st.Size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|flags)
}

// copyInto fills mem with chunk, again and again.
func copyInto(mem, chunk []byte) error {
	for off := 0; off < len(mem); off += len(chunk) {
		copy(mem[off:], chunk)
	}
	return nil
}

// putInto writes record i, the value i, at offs[i] of mem.
func putInto(mem []byte, offs []int64) error {
	for i, off := range offs {
		binary.LittleEndian.PutUint64(mem[off:], uint64(i))
	}
	return nil
}

// pwriteChunks fills the first size bytes of fd's file with chunk, again
// and again, by pwrite.
func pwriteChunks(fd, size int, chunk []byte) error {
	for off := 0; off < size; off += len(chunk) {
		if _, err := unix.Pwrite(fd, chunk[:min(len(chunk), size-off)], int64(off)); err != nil {
			return err
		}
	}
	return nil
}

// thousands writes n with commas between groups of three digits.
func thousands(n int) string {
	s := fmt.Sprint(n)
	var parts []string
	for len(s) > 3 {
		parts = append(parts, s[len(s)-3:])
		s = s[:len(s)-3]
	}
	parts = append(parts, s)
	slices.Reverse(parts)
	return strings.Join(parts, ",")
}
