package main

// Group 4: the latency of opening, mapping, closing and removing a buffer,
// ipcbuf against golang.org/x/sys/unix making the same system calls in the
// same order (and, for files, against github.com/edsrzf/mmap-go, the code a
// user would write).
//
// What ipcbuf calls, from mapfd.go, backend_sysv.go and cshim/shm.c:
//
//   - OpenShm(name, size, Exclusive()): shm_open, which glibc makes
//     open("/dev/shm/name", O_RDWR|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC);
//     fchmod; fstat; posix_fallocate(0, size), which glibc makes
//     fallocate(fd, 0, 0, size); mmap(MAP_SHARED); close. Close: munmap,
//     with no msync, since nothing wrote the memory. RemoveShm: shm_unlink,
//     an unlink.
//   - OpenFile(path, 0) of an existing file: open(O_RDWR|O_CLOEXEC); fstat;
//     fallocate of the existing pages only if the file has holes (these
//     files have none); mmap; close. Close: munmap, with no msync.
//   - OpenSysV(key, size, Exclusive()): shmget(IPC_CREAT|IPC_EXCL|0600);
//     shmctl(IPC_STAT); shmat. Close: shmdt. RemoveSysV: shmget(key, 0, 0),
//     shmctl(IPC_RMID).

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/edsrzf/mmap-go"
	"github.com/ipcbuf/ipcbuf"
	"golang.org/x/sys/unix"
)

func init() {
	register(group{
		id:    "4",
		title: "Open latency: ipcbuf against the same system calls made directly (target: ≤ 1.2× their time)",
		run:   runOpenLatency,
	})
}

// Names of the contenders of group 4.
const (
	openIpcbuf  = "ipcbuf"
	openSame    = "x/sys/unix, same calls"
	openMinimal = "x/sys/unix, minimal"
	openMmapGo  = "mmap-go"
)

// openTarget is the least acceptable ratio of the direct calls' time to
// ipcbuf's: ipcbuf may take at most 1.2 times as long.
const openTarget = 0.83

// An openContender is one way of doing a case's work once; op does it and
// reports the first error.
type openContender struct {
	name     string
	baseline string  // "" for none
	target   float64 // 0 for none
	note     string
	op       func() error
}

// An openCase is one row block of group 4: the same work done by each
// contender iters times per round.
type openCase struct {
	name       string
	iters      int
	contenders []openContender
}

// runOpenLatency measures every case of group 4.
func runOpenLatency(cfg *config) []result {
	dir, err := os.MkdirTemp("", "ipcbuf-bench-open-")
	if err != nil {
		panic(fmt.Sprintf("group 4: %v", err))
	}
	defer os.RemoveAll(dir)
	removeOpenObjects() // a crashed run of this pid's may have left some
	defer removeOpenObjects()
	filePath := filepath.Join(dir, "existing-1MiB")
	if err := writeSyncedFile(filePath, 1<<20); err != nil {
		panic(fmt.Sprintf("group 4: %v", err))
	}
	cases := []openCase{
		posixCase(cfg, "POSIX create+map+close+unlink 4 KiB", 4<<10, 10000),
		posixCase(cfg, "POSIX create+map+close+unlink 1 MiB", 1<<20, 2000),
		sysvCase(cfg, "SysV create+attach+detach+remove 4 KiB", 4<<10, 10000),
		sysvCase(cfg, "SysV create+attach+detach+remove 1 MiB", 1<<20, 10000),
		fileCase(cfg, "file open+map+close, existing 1 MiB", filePath, 2000),
	}
	var out []result
	for _, c := range cases {
		out = append(out, measureOpenCase(cfg, c)...)
	}
	return out
}

// measureOpenCase warms every contender up, then measures them side by
// side and returns their median µs per operation. The note of a contender
// with a baseline compares their on-CPU times too.
func measureOpenCase(cfg *config, c openCase) []result {
	ops := make([]func() error, len(c.contenders))
	for i, ct := range c.contenders {
		ops[i] = func() error {
			if err := ct.op(); err != nil {
				return fmt.Errorf("group 4, %s, %s: %w", c.name, ct.name, err)
			}
			return nil
		}
	}
	interleave(1, max(c.iters/10, 1), ops) // warm up
	wall, onCPU := interleave(cfg.rounds, c.iters, ops)
	out := make([]result, len(c.contenders))
	for i, ct := range c.contenders {
		out[i] = result{
			caseName:  c.name,
			contender: ct.name,
			value:     wall[i],
			unit:      "µs",
			baseline:  ct.baseline,
			target:    ct.target,
			note:      joinNotes(cpuNote(c, i, onCPU), ct.note),
		}
	}
	return out
}

// cpuNote compares the on-CPU time per operation of contender i with its
// baseline's; it is "" for a contender without a baseline.
func cpuNote(c openCase, i int, onCPU []float64) string {
	for j, b := range c.contenders {
		if b.name == c.contenders[i].baseline {
			return fmt.Sprintf("on-CPU time per operation %s µs against %s µs, ratio %.2f×",
				formatValue(onCPU[i]), formatValue(onCPU[j]), onCPU[j]/onCPU[i])
		}
	}
	return ""
}

// joinNotes joins the non-empty notes into sentences.
func joinNotes(notes ...string) string {
	var out []string
	for _, n := range notes {
		if n != "" {
			out = append(out, n)
		}
	}
	return strings.Join(out, ". ")
}

// interleave runs every op n times per round, for rounds rounds, and
// returns, for each op, the median over the rounds of its mean wall-clock
// µs per call and of its mean on-CPU µs per call (this thread's CPU time,
// user and system: what the call itself cost, without the waits for a CPU
// that a loaded machine adds). It panics on the first error: a failed open
// makes the figures meaningless.
//
// Unlike alternate, which rotates whole rounds, interleave calls the ops in
// turn one call at a time (rotating who goes first) and times each call.
// The file case's time is mostly the disk's cache flush behind msync, whose
// latency drifts over seconds with the machine's other I/O, and other
// processes take the CPU for milliseconds at a time; only call-by-call
// interleaving spreads both evenly over the contenders. Reading the two
// clocks costs well under a microsecond, against calls of 10 µs or more.
func interleave(rounds, n int, ops []func() error) (wall, onCPU []float64) {
	runtime.LockOSThread() // so that the thread's CPU clock is the calls'
	defer runtime.UnlockOSThread()
	wallSamples := make([][]float64, len(ops))
	cpuSamples := make([][]float64, len(ops))
	for r := 0; r < rounds; r++ {
		spentWall := make([]time.Duration, len(ops))
		spentCPU := make([]time.Duration, len(ops))
		for i := 0; i < n; i++ {
			for k := range ops {
				j := (i + r + k) % len(ops)
				w, c, err := timeCall(ops[j])
				if err != nil {
					panic(err)
				}
				spentWall[j] += w
				spentCPU[j] += c
			}
		}
		for j := range ops {
			wallSamples[j] = append(wallSamples[j], spentWall[j].Seconds()/float64(n)*1e6)
			cpuSamples[j] = append(cpuSamples[j], spentCPU[j].Seconds()/float64(n)*1e6)
		}
	}
	return medians(wallSamples), medians(cpuSamples)
}

// timeCall runs op and returns the wall-clock time and this thread's CPU
// time it took.
func timeCall(op func() error) (wall, onCPU time.Duration, err error) {
	c0 := threadCPU()
	start := time.Now()
	err = op()
	wall = time.Since(start)
	return wall, threadCPU() - c0, err
}

// threadCPU returns the CPU time this thread has used.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		panic(fmt.Sprintf("clock_gettime(CLOCK_THREAD_CPUTIME_ID): %v", err))
	}
	return time.Duration(ts.Nano())
}

// medians returns the median of each sample set.
func medians(samples [][]float64) []float64 {
	out := make([]float64, len(samples))
	for i, s := range samples {
		out[i] = median(s)
	}
	return out
}

// openShmName returns the name of the POSIX object of contender i, unique
// to this process.
func openShmName(i int) string {
	return fmt.Sprintf("ipcbuf-bench-%d-open-%d", os.Getpid(), i)
}

// openSysVKey returns the System V key of contender i, made from the pid.
func openSysVKey(i int) int {
	return 0x5b000000 | (os.Getpid()&0xffff)<<4 | i
}

// removeOpenObjects removes the objects group 4 creates, which a failed
// run may leave behind; each cycle removes its own.
func removeOpenObjects() {
	for i := range 3 {
		_ = ipcbuf.RemoveShm(openShmName(i))
		_ = ipcbuf.RemoveSysV(openSysVKey(i + 1))
	}
}

// posixCase creates, maps, closes and unlinks a POSIX object of size bytes.
func posixCase(cfg *config, name string, size, iters int) openCase {
	ipcName, sameName, minName := openShmName(0), openShmName(1), openShmName(2)
	return openCase{name: name, iters: cfg.size(iters), contenders: []openContender{
		{name: openIpcbuf, baseline: openSame, target: openTarget,
			op: func() error { return ipcbufShmCycle(ipcName, size) }},
		{name: openSame,
			op: func() error { return directShmCycle("/dev/shm/"+sameName, size) }},
		{name: openMinimal, baseline: openIpcbuf, note: minimalNote(size),
			op: func() error { return minimalShmCycle("/dev/shm/"+minName, size) }},
	}}
}

// minimalNote says what the minimal POSIX path leaves out, and what that
// costs a program.
func minimalNote(size int) string {
	if size > 4<<10 {
		return fmt.Sprintf("As for 4 KiB. Here ipcbuf's fallocate zeroes and charges all %d pages at open; "+
			"the minimal path leaves that to the first write of each page, one fault each", size/os.Getpagesize())
	}
	return "open(O_CREAT|O_EXCL), ftruncate, mmap, close, munmap, unlink: no fchmod, fstat or fallocate. " +
		"ipcbuf's fchmod gives the object exactly the mode asked for whatever the umask; " +
		"its fallocate gives every page its memory at open, so a full /dev/shm is ENOSPC from OpenShm " +
		"instead of SIGBUS at the first write of a page; the fstat is how an open learns an existing object's size. " +
		"Ratio: ipcbuf's time over this path's"
}

// ipcbufShmCycle is the POSIX work through ipcbuf.
func ipcbufShmCycle(name string, size int) error {
	b, err := ipcbuf.OpenShm(name, size, ipcbuf.Exclusive())
	if err != nil {
		return err
	}
	return errors.Join(b.Close(), ipcbuf.RemoveShm(name))
}

// directShmCycle is ipcbufShmCycle's system calls made through x/sys/unix:
// glibc's shm_open is an open of the /dev/shm path with O_NOFOLLOW and
// O_CLOEXEC added, and its posix_fallocate a fallocate with mode 0.
func directShmCycle(path string, size int) error {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	mem, err := directMapNew(fd, size)
	unix.Close(fd)
	if err != nil {
		unix.Unlink(path)
		return err
	}
	return errors.Join(directUnmap(mem), unix.Unlink(path))
}

// directMapNew is what ipcbuf does between open and close for an object it
// has just created: exact mode, size check, storage for every page, map.
func directMapNew(fd, size int) ([]byte, error) {
	if err := unix.Fchmod(fd, 0o600); err != nil {
		return nil, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, err
	}
	if err := unix.Fallocate(fd, 0, st.Size, int64(size)-st.Size); err != nil {
		return nil, err
	}
	return unix.Mmap(fd, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
}

// directUnmap is ipcbuf's Close of a POSIX or file mapping that nothing
// wrote: munmap (msync would flush nothing, at the price of a disk flush).
func directUnmap(mem []byte) error { return unix.Munmap(mem) }

// minimalShmCycle is the least a program can do to create, map and remove
// a POSIX object.
func minimalShmCycle(path string, size int) error {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	mem, err := minimalMap(fd, size)
	unix.Close(fd)
	if err == nil {
		err = unix.Munmap(mem)
	}
	return errors.Join(err, unix.Unlink(path))
}

// minimalMap sizes fd with ftruncate and maps it.
func minimalMap(fd, size int) ([]byte, error) {
	if err := unix.Ftruncate(fd, int64(size)); err != nil {
		return nil, err
	}
	return unix.Mmap(fd, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
}

// sysvCase creates, attaches, detaches and removes a System V segment.
func sysvCase(cfg *config, name string, size, iters int) openCase {
	ipcKey, sameKey := openSysVKey(1), openSysVKey(2)
	return openCase{name: name, iters: cfg.size(iters), contenders: []openContender{
		{name: openIpcbuf, baseline: openSame, target: openTarget,
			op: func() error { return ipcbufSysVCycle(ipcKey, size) }},
		{name: openSame, note: sysvNote(size),
			op: func() error { return directSysVCycle(sameKey, size) }},
	}}
}

// sysvNote says which calls the direct System V path makes.
func sysvNote(size int) string {
	if size > 4<<10 {
		return "As for 4 KiB"
	}
	return "shmget(IPC_CREAT|IPC_EXCL), SysvShmAttach (shmat, then the IPC_STAT that ipcbuf makes before shmat), " +
		"SysvShmDetach, then shmget(key, 0, 0) and IPC_RMID as RemoveSysV makes them"
}

// ipcbufSysVCycle is the System V work through ipcbuf.
func ipcbufSysVCycle(key, size int) error {
	b, err := ipcbuf.OpenSysV(key, size, ipcbuf.Exclusive())
	if err != nil {
		return err
	}
	return errors.Join(b.Close(), ipcbuf.RemoveSysV(key))
}

// directSysVCycle is ipcbufSysVCycle's system calls through x/sys/unix.
// SysvShmAttach makes the IPC_STAT itself, after shmat.
func directSysVCycle(key, size int) error {
	id, err := unix.SysvShmGet(key, size, unix.IPC_CREAT|unix.IPC_EXCL|0o600)
	if err != nil {
		return err
	}
	mem, err := unix.SysvShmAttach(id, 0, 0)
	if err == nil {
		err = unix.SysvShmDetach(mem)
	}
	if id, gerr := unix.SysvShmGet(key, 0, 0); gerr != nil {
		err = errors.Join(err, gerr)
	} else if _, rerr := unix.SysvShmCtl(id, unix.IPC_RMID, nil); rerr != nil {
		err = errors.Join(err, rerr)
	}
	return err
}

// fileCase opens and maps the existing file at path, as it is, and closes
// it.
func fileCase(cfg *config, name, path string, iters int) openCase {
	return openCase{name: name, iters: cfg.size(iters), contenders: []openContender{
		{name: openIpcbuf, baseline: openSame, target: openTarget,
			op: func() error { return ipcbufFileCycle(path) }},
		{name: openSame,
			op: func() error { return directFileCycle(path) }},
		{name: openMmapGo, baseline: openIpcbuf,
			note: "os.OpenFile, mmap.Map, Close, Flush (msync MS_SYNC, a disk flush even with nothing written, which ipcbuf skips), Unmap. " +
				"Ratio: ipcbuf's time over mmap-go's",
			op: func() error { return mmapGoFileCycle(path) }},
	}}
}

// ipcbufFileCycle is the file work through ipcbuf.
func ipcbufFileCycle(path string) error {
	b, err := ipcbuf.OpenFile(path, 0)
	if err != nil {
		return err
	}
	return b.Close()
}

// directFileCycle is ipcbufFileCycle's system calls through x/sys/unix.
func directFileCycle(path string) error {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	mem, err := directMapExisting(fd)
	unix.Close(fd)
	if err != nil {
		return err
	}
	return directUnmap(mem)
}

// directMapExisting is what ipcbuf does between open and close for an
// existing file opened at its size: size check, storage for the holes
// (fallocate of the existing range, which never writes), map.
func directMapExisting(fd int) ([]byte, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, err
	}
	if st.Blocks*512 < st.Size { // holes to give storage to
		if err := unix.Fallocate(fd, 0, 0, st.Size); err != nil && err != unix.EOPNOTSUPP {
			return nil, err
		}
	}
	return unix.Mmap(fd, 0, int(st.Size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
}

// mmapGoFileCycle is what a user of mmap-go writes for the same work.
func mmapGoFileCycle(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	m, err := mmap.Map(f, mmap.RDWR, 0)
	f.Close()
	if err != nil {
		return err
	}
	return errors.Join(m.Flush(), m.Unmap())
}

// writeSyncedFile writes a file of size bytes, every block allocated and
// written, and syncs it.
func writeSyncedFile(path string, size int) error {
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	return errors.Join(err, f.Sync(), f.Close())
}
