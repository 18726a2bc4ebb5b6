package main

// Group 2: moving 1 GiB from a writer process to a reader process that
// touches every byte.
//
// The parent is the writer and a child of this program the reader, one child
// per contender, kept for all rounds. Each round the parent starts its clock,
// tells the reader (over the child's stdin) how many bytes to expect, writes
// them, and stops the clock when the reader's answer arrives: the checksum of
// what it read, which the parent checks. The work is the same for every
// contender. The writer copies the stream out of a source pattern: with
// copy() into a ring slot, or with write(2). The reader adds up every 8-byte
// word it receives: in place in the ring, or, for the pipe and the socket,
// in its own buffer after read(2) has copied the bytes there, which is what
// those transports cost.

import (
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"syscall"
	"time"
	"unsafe"
)

const (
	// transferTotal is the bytes moved per round.
	transferTotal = 1 << 30

	// streamChunk is the size of the pipe's and the socket's writes and
	// reads, and of the copy baseline's chunks.
	streamChunk = 1 << 20

	// ringChunk and ringSlots shape the shared-memory ring: 8 slots of
	// 512 KiB, 4 MiB in all. A slot and its source fit in a core's L2
	// (2 MiB here) and the ring in the L3 (32 MiB). Slots of 128 KiB to
	// 1020 KiB, 2 to 16 of them, all peaked at 45–47 GB/s on a quiet
	// machine; a larger ring loses less when the two processes have to
	// share a core. Slots of 1 MiB or more are slow (12–21 GB/s against
	// 36–39 for 1020 KiB, side by side): Go's copy() of 1 MiB or more
	// uses non-temporal stores (runtime/memmove_amd64.s), which send the
	// chunk to DRAM instead of leaving it in cache for the reader.
	ringChunk = 512 << 10
	ringSlots = 8

	// pipeSize is the pipe's capacity set with F_SETPIPE_SZ: 1 MiB, the
	// default /proc/sys/fs/pipe-max-size an unprivileged process may set.
	pipeSize = 1 << 20

	// sockBuf is the SO_SNDBUF and SO_RCVBUF asked for: 4 MiB, the default
	// net.core.wmem_max and rmem_max (the kernel doubles it). It was 10–20%
	// faster than the default 208 KiB.
	sockBuf = 4 << 20

	// transferRole is the child role that reads the stream.
	transferRole = "transfer-reader"

	// transportEnv tells the reader what it reads from: "ring CHUNK SLOTS"
	// (the shared object in shmEnv) or "stream CHUNK" (its descriptor 3).
	transportEnv = "IPCBUF_BENCH_TRANSPORT"

	// fSetPipeSz is Linux's F_SETPIPE_SZ, which package syscall lacks.
	fSetPipeSz = 1031
)

// The contenders' names.
const (
	nameRing       = "ipcbuf shm ring"
	namePipe       = "os.Pipe 1 MiB"
	namePipeSmall  = "os.Pipe 64 KiB"
	nameSocket     = "unix socket"
	nameCopy       = "copy() 1 MiB"
	nameCopyCached = "copy() 512 KiB"
)

func init() {
	register(group{
		id:    "2",
		title: "Moving 1 GiB from a writer process to a reader process that touches every byte",
		run:   runTransfer,
	})
	childRoles[transferRole] = transferReader
}

// streamPattern is the writer's source: pseudo-random words, a little longer than a
// chunk, so that chunk k of the stream can start at a different offset each
// time. No two chunks in a ring are alike, so a reader that saw a stale or
// half-written slot reports a wrong checksum instead of looking fast.
type streamPattern struct {
	chunk  int      // bytes
	words  []uint64 // chunk/8 + patternShifts words
	bytes  []byte   // the same memory
	prefix []uint64 // prefix[i] is the sum of words[:i], for expected checksums
}

// patternShifts is how many offsets (in words) a chunk can start at.
const patternShifts = 8192

func newPattern(chunk int) *streamPattern {
	p := &streamPattern{chunk: chunk, words: make([]uint64, chunk/8+patternShifts)}
	p.bytes = wordBytes(p.words)
	p.prefix = make([]uint64, len(p.words)+1)
	var x uint64
	for i := range p.words {
		x += 0x9e3779b97f4a7c15 // splitmix64
		z := (x ^ x>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		p.words[i] = z ^ z>>31
		p.prefix[i+1] = p.prefix[i] + p.words[i]
	}
	return p
}

// start is the word at which chunk k begins.
func (p *streamPattern) start(k int) int { return k * 4099 % patternShifts }

// chunkAt is chunk k of the stream.
func (p *streamPattern) chunkAt(k int) []byte {
	s := p.start(k) * 8
	return p.bytes[s : s+p.chunk]
}

// sum is the checksum of the first total bytes of the stream (a multiple of
// the chunk): the sum of its words, mod 2^64.
func (p *streamPattern) sum(total int) uint64 {
	var s uint64
	for k := 0; k < total/p.chunk; k++ {
		i := p.start(k)
		s += p.prefix[i+p.chunk/8] - p.prefix[i]
	}
	return s
}

// wordBytes returns w's memory as bytes.
func wordBytes(w []uint64) []byte {
	if len(w) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&w[0])), len(w)*8)
}

// sumWords is the reader's work on every byte it receives: the sum of the
// words, mod 2^64, with four independent accumulators. It runs at about
// 110 GB/s on data in L2, so it is never what limits a transport.
func sumWords(w []uint64) uint64 {
	var a, b, c, d uint64
	for len(w) >= 4 {
		a += w[0]
		b += w[1]
		c += w[2]
		d += w[3]
		w = w[4:]
	}
	for _, x := range w {
		a += x
	}
	return a + b + c + d
}

// transferContender is one way of moving the stream to a reader process.
type transferContender struct {
	name  string
	pat   *streamPattern
	peer  *peer
	write func(total int) error // the writer's side of one round
	close func()                // releases what the contender holds, the peer included
}

// round moves total bytes and returns the bandwidth in GB/s, measured from
// the moment the parent asks the reader to start to its answer.
func (c *transferContender) round(total int) (float64, error) {
	start := time.Now()
	if err := c.peer.command("%d", total); err != nil {
		return 0, err
	}
	if err := c.write(total); err != nil {
		return 0, fmt.Errorf("%s: %w", c.name, err)
	}
	got, err := c.peer.reply()
	secs := time.Since(start).Seconds()
	if err != nil {
		return 0, err
	}
	if want := strconv.FormatUint(c.pat.sum(total), 10); got != want {
		return 0, fmt.Errorf("%s: reader's checksum %s, want %s", c.name, got, want)
	}
	return gbps(total, secs), nil
}

// newRingContender sets up a shared-memory ring of slots chunks of chunk
// bytes, and its reader.
func newRingContender(cfg *config, chunk, slots int) (*transferContender, error) {
	buf, p, err := sharedPeer(cfg, "ring", ringSize(chunk, slots), transferRole,
		fmt.Sprintf("%s=ring %d %d", transportEnv, chunk, slots))
	if err != nil {
		return nil, err
	}
	c := &transferContender{name: nameRing, pat: newPattern(chunk), peer: p}
	c.close = func() {
		p.stop()
		buf.Close()
	}
	r, err := newRing(buf, chunk, slots)
	if err != nil {
		c.close()
		return nil, err
	}
	var next uint64 // the ring's next chunk, across rounds
	c.write = func(total int) error {
		for k := 0; k < total/chunk; k++ {
			slot, err := r.writable(next)
			if err != nil {
				return err
			}
			copy(slot, c.pat.chunkAt(k))
			r.publish(next)
			next++
		}
		return nil
	}
	return c, nil
}

// newStreamContender starts a reader on the far end of a byte stream whose
// near end is w (the parent's, a blocking descriptor) and far end r (passed
// to the child, and closed here).
func newStreamContender(cfg *config, name string, w, r *os.File) (*transferContender, error) {
	p, err := startPeer(cfg, transferRole, []*os.File{r}, fmt.Sprintf("%s=stream %d", transportEnv, streamChunk))
	r.Close()
	if err != nil {
		w.Close()
		return nil, err
	}
	c := &transferContender{name: name, pat: newPattern(streamChunk), peer: p}
	c.write = func(total int) error {
		for k := 0; k < total/streamChunk; k++ {
			if _, err := w.Write(c.pat.chunkAt(k)); err != nil {
				return err
			}
		}
		return nil
	}
	c.close = func() {
		w.Close()
		p.stop()
	}
	return c, nil
}

// newPipeContender is os.Pipe, with its capacity set to size bytes if size
// is not 0. The parent's end is made blocking (by Fd), so a full pipe puts
// the writer to sleep in the kernel rather than in Go's poller; that was
// as fast or faster (4.4–4.6 GB/s against 3.6–4.7).
func newPipeContender(cfg *config, name string, size int) (*transferContender, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	if size != 0 {
		if err := setPipeSize(w, size); err != nil {
			r.Close()
			w.Close()
			return nil, err
		}
	}
	w.Fd()
	return newStreamContender(cfg, name, w, r)
}

// setPipeSize sets the capacity of the pipe f is an end of.
func setPipeSize(f *os.File, size int) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var errno syscall.Errno
	err = rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_FCNTL, fd, fSetPipeSz, uintptr(size))
	})
	if err == nil && errno != 0 {
		err = errno
	}
	if err != nil {
		return fmt.Errorf("F_SETPIPE_SZ %d: %w", size, err)
	}
	return nil
}

// newSocketContender is a Unix stream socketpair with SO_SNDBUF and
// SO_RCVBUF set to size on both ends.
func newSocketContender(cfg *config, size int) (*transferContender, error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	for _, fd := range fds {
		for _, opt := range []int{syscall.SO_SNDBUF, syscall.SO_RCVBUF} {
			if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, opt, size); err != nil {
				syscall.Close(fds[0])
				syscall.Close(fds[1])
				return nil, err
			}
		}
	}
	near, far := os.NewFile(uintptr(fds[0]), "socket"), os.NewFile(uintptr(fds[1]), "socket")
	return newStreamContender(cfg, nameSocket, near, far)
}

// copyBaseline returns the baseline of one round in GB/s: total bytes of
// the stream copied, chunk by chunk, into one chunk-sized destination, in
// this process.
func copyBaseline(chunk, total int) func() float64 {
	pat, dst := newPattern(chunk), make([]byte, chunk)
	return func() float64 {
		secs := timeIt(func() {
			for k := 0; k < total/chunk; k++ {
				copy(dst, pat.chunkAt(k))
			}
		})
		return gbps(total, secs)
	}
}

// startTransferContenders starts the two-process contenders; on error it
// releases those already started.
func startTransferContenders(cfg *config) ([]*transferContender, error) {
	starts := []func() (*transferContender, error){
		func() (*transferContender, error) { return newRingContender(cfg, ringChunk, ringSlots) },
		func() (*transferContender, error) { return newPipeContender(cfg, namePipe, pipeSize) },
		func() (*transferContender, error) { return newPipeContender(cfg, namePipeSmall, 0) },
		func() (*transferContender, error) { return newSocketContender(cfg, sockBuf) },
	}
	var cs []*transferContender
	for _, start := range starts {
		c, err := start()
		if err != nil {
			closeTransfer(cs)
			return nil, err
		}
		cs = append(cs, c)
	}
	return cs, nil
}

func closeTransfer(cs []*transferContender) {
	for _, c := range cs {
		c.close()
	}
}

func runTransfer(cfg *config) []result {
	total := cfg.size(transferTotal)
	cs, err := startTransferContenders(cfg)
	if err != nil {
		return []result{failedResult("transfer", err)}
	}
	defer closeTransfer(cs)

	var firstErr error
	var fns []func() float64
	for _, c := range cs {
		fns = append(fns, func() float64 {
			v, err := c.round(total)
			if err != nil && firstErr == nil {
				firstErr = err
			}
			return v
		})
	}
	fns = append(fns, copyBaseline(streamChunk, total), copyBaseline(ringChunk, total))
	for _, f := range fns { // a round to warm up: page faults, caches
		f()
	}
	v := alternate(cfg.rounds, fns...)
	if firstErr != nil {
		return []result{failedResult("transfer", firstErr)}
	}
	got := map[string]float64{}
	for i, c := range cs {
		got[c.name] = v[i]
	}
	got[nameCopy], got[nameCopyCached] = v[len(cs)], v[len(cs)+1]
	return transferResults(got)
}

// transferResults lays the medians out as three cases, one per target, each
// holding the ring and what it is compared with.
func transferResults(got map[string]float64) []result {
	row := func(caseName, contender, baseline string, target float64, note string) result {
		return result{caseName: caseName, contender: contender, value: got[contender], unit: "GB/s",
			higher: true, baseline: baseline, target: target, note: note}
	}
	// The ring's pipe target is against the faster pipe of the run.
	bestPipe := namePipe
	if got[namePipeSmall] > got[namePipe] {
		bestPipe = namePipeSmall
	}
	const vsCopy, vsPipe, vsSocket = "vs copy()", "vs os.Pipe", "vs socket"
	return []result{
		row(vsCopy, nameRing, nameCopy, 0.8, fmt.Sprintf(
			"POSIX shm, %d slots of %d KiB, atomic head/tail counters; the writer copy()s each chunk into its slot, "+
				"the reader (GOMAXPROCS=1) sums its words in place; waits spin %d polls, then runtime.Gosched, "+
				"and sched_yield after %v", ringSlots, ringChunk>>10, spinLimit, yieldAfter)),
		row(vsCopy, nameCopy, "", 0, "the baseline: one process, 1 GiB copied 1 MiB at a time into one 1 MiB "+
			"destination; at 1 MiB Go's copy() switches to non-temporal stores, which bypass the cache"),
		row(vsCopy, nameCopyCached, nameCopy, 0, fmt.Sprintf(
			"the same with the ring's 512 KiB chunks, stores cached: the ring is %.2f× this one; "+
				"both processes' bytes cross between cores, which this copy never does",
			got[nameRing]/got[nameCopyCached])),
		row(vsPipe, nameRing, bestPipe, 8, "against the faster of the two pipes"),
		row(vsPipe, namePipe, "", 0, "capacity set to 1 MiB (F_SETPIPE_SZ, the unprivileged maximum); "+
			"1 MiB write(2)s on a blocking descriptor; the reader read(2)s 1 MiB at a time into its own buffer and sums it"),
		row(vsPipe, namePipeSmall, namePipe, 0, "the default 64 KiB capacity, otherwise the same"),
		row(vsSocket, nameRing, nameSocket, 3, ""),
		row(vsSocket, nameSocket, "", 0, "socketpair(AF_UNIX, SOCK_STREAM), SO_SNDBUF and SO_RCVBUF 4 MiB; "+
			"1 MiB writes and reads as for the pipe"),
	}
}

// failedResult is the result that reports a group that could not be measured.
func failedResult(caseName string, err error) result {
	fmt.Fprintln(os.Stderr, "bench:", err)
	return result{caseName: caseName, contender: "FAILED", value: math.NaN(), note: err.Error()}
}

// transferReader is the child role: it reads the stream its transport
// names and answers each command (a byte count) with the checksum.
func transferReader() int {
	var kind string
	var chunk, slots int
	fmt.Sscan(os.Getenv(transportEnv), &kind, &chunk, &slots)
	var read func(total int) (uint64, error)
	switch kind {
	case "ring":
		buf, err := openShared()
		if err != nil {
			return peerFailed(err)
		}
		defer buf.Close()
		r, err := newRing(buf, chunk, slots)
		if err != nil {
			return peerFailed(err)
		}
		read = ringReader(r)
	case "stream":
		read = streamReader(peerFile(0), chunk)
	default:
		return peerFailed(fmt.Errorf("bad %s %q", transportEnv, os.Getenv(transportEnv)))
	}
	return servePeer(func(cmd string) (string, error) {
		total, err := strconv.Atoi(cmd)
		if err != nil {
			return "", err
		}
		sum, err := read(total)
		return strconv.FormatUint(sum, 10), err
	})
}

// ringReader returns the reading side of the ring: it sums every chunk in
// place, in the shared memory, and releases it.
func ringReader(r *shmRing) func(total int) (uint64, error) {
	var next uint64 // the ring's next chunk, across rounds
	return func(total int) (uint64, error) {
		var sum uint64
		for i := 0; i < total/r.chunk; i++ {
			w, err := r.readable(next)
			if err != nil {
				return 0, err
			}
			sum += sumWords(w)
			r.release(next)
			next++
		}
		return sum, nil
	}
}

// streamReader returns the reading side of a pipe or socket: read(2) into
// a chunk-sized buffer of its own, then the same sum.
func streamReader(f *os.File, chunk int) func(total int) (uint64, error) {
	words := make([]uint64, chunk/8)
	buf := wordBytes(words)
	return func(total int) (uint64, error) {
		var sum uint64
		for i := 0; i < total/chunk; i++ {
			if _, err := io.ReadFull(f, buf); err != nil {
				return 0, err
			}
			sum += sumWords(words)
		}
		return sum, nil
	}
}
