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
// copy() into the space an ipcbuf.Ring reserved for a message (Reserve,
// Commit), or with write(2). The reader adds up every 8-byte word it
// receives: in place in the ring (Peek, Release), or, for the pipe and the
// socket, in its own buffer after read(2) has copied the bytes there, which
// is what those transports cost.
//
// The ring's chunk (the size of its records) and capacity follow from the
// caches the machine reports (see chooseTransfer); the group also sweeps
// both and prints the sweep, so the choice can be checked on any machine.

import (
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
	"unsafe"

	"github.com/ipcbuf/ipcbuf"
)

const (
	// transferTotal is the bytes moved per round.
	transferTotal = 1 << 30

	// streamChunk is the size of the pipe's and the socket's writes and
	// reads, and of the copy baseline's chunks.
	streamChunk = 1 << 20

	// transferSpin is how long the spinning ring's writer and reader spin
	// before they sleep on the ring's futex words: about two chunks' time
	// (a 256 KiB chunk fills in about 10 µs at 25 GB/s), so that on an idle
	// machine neither side sleeps between chunks. On a loaded machine,
	// where the two processes often share a core, spinning costs more
	// than it saves (with 100 µs the ring fell to a third of its blocking
	// figure), hence the blocking ring beside it.
	transferSpin = 20 * time.Microsecond

	// sweepTotal is the bytes per round of each point of the sweep, of
	// which the median of sweepRounds rounds is printed.
	sweepTotal  = 256 << 20
	sweepRounds = 3

	// pipeSize is the pipe's capacity set with F_SETPIPE_SZ: 1 MiB, the
	// default /proc/sys/fs/pipe-max-size an unprivileged process may set.
	pipeSize = 1 << 20

	// sockBuf is the SO_SNDBUF and SO_RCVBUF asked for: 4 MiB, the default
	// net.core.wmem_max and rmem_max (the kernel doubles it). It was 10–20%
	// faster than the default 208 KiB.
	sockBuf = 4 << 20

	// transferRole is the child role that reads the stream.
	transferRole = "transfer-reader"

	// transportEnv tells the reader what it reads from: "ring CHUNK SPIN"
	// (a ring in the shared object in shmEnv, CHUNK-byte records, RingSpin
	// SPIN nanoseconds) or "stream CHUNK" (its descriptor 3).
	transportEnv = "IPCBUF_BENCH_TRANSPORT"

	// fSetPipeSz is Linux's F_SETPIPE_SZ, which package syscall lacks.
	fSetPipeSz = 1031
)

// The contenders' names.
const (
	nameRing       = "ipcbuf.Ring, blocking"
	nameRingSpin   = "ipcbuf.Ring, RingSpin(20µs)"
	namePipe       = "os.Pipe 1 MiB"
	namePipeSmall  = "os.Pipe 64 KiB"
	nameSocket     = "unix socket"
	nameCopy       = "copy() 1 MiB"
	nameCopyCached = "copy() chunk" // renamed with the chosen chunk's size
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
	total -= total % c.pat.chunk // whole messages
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

// recordHeader is the bytes a ring's record takes before its message (see
// RING.md).
const recordHeader = 24

// newRingContender sets up an ipcbuf.Ring of capacity bytes in POSIX shared
// memory, single producer and single consumer, and its reader. Each
// message takes a whole record of chunk bytes (chunk-24 of message), so the
// records tile the ring and it never needs padding; the stream is cut into
// messages of that size.
func newRingContender(cfg *config, chunk, capacity int, spin time.Duration) (*transferContender, error) {
	payload := chunk - recordHeader
	create := func(b *ipcbuf.Buffer) error {
		r, err := ipcbuf.CreateRing(b, ipcbuf.SingleProducer(), ipcbuf.SingleConsumer())
		if err != nil {
			return err
		}
		if r.Cap() != capacity {
			return fmt.Errorf("ring: capacity %d, want %d", r.Cap(), capacity)
		}
		return r.Close()
	}
	buf, ps, err := sharedPeers(cfg, "ring", ipcbuf.RingSize(capacity), create, transferRole,
		[][]string{{fmt.Sprintf("%s=ring %d %d", transportEnv, chunk, spin)}})
	if err != nil {
		return nil, err
	}
	p := ps[0]
	name := nameRing
	if spin > 0 {
		name = nameRingSpin
	}
	c := &transferContender{name: name, pat: newPattern(payload), peer: p}
	r, err := ipcbuf.OpenRing(buf, ipcbuf.RingSpin(spin))
	if err != nil {
		p.stop()
		buf.Close()
		return nil, err
	}
	c.close = func() {
		r.Close()
		p.stop()
		buf.Close()
	}
	c.write = func(total int) error {
		g := guard(buf, ringProgress(r))
		for k := 0; k < total/payload; k++ {
			v, err := r.Reserve(payload)
			if err != nil {
				return g.stop(err)
			}
			copy(v.Bytes(), c.pat.chunkAt(k))
			if err := v.Commit(); err != nil {
				return g.stop(err)
			}
		}
		return g.stop(nil)
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

// transferShape is the ring's shape for group 2: its records' size and its
// capacity, and why.
type transferShape struct {
	chunk, capacity int
	why             string
}

// chooseTransfer picks the ring's chunk and capacity from the caches. The
// chunk is the largest power of two up to half the L2, so that the
// writer's source and the chunk it is writing fit in its L2 together, but
// no less than 64 KiB and no more than 512 KiB. Every chunk is a hand-off
// between the processes, which costs a futex wake-up whenever the reader
// has caught up, so small chunks lose: at 16–64 KiB the sweep is at a
// fraction of the larger chunks' figure on every run here. On an idle
// machine chunks of 128 KiB to 1 MiB all ran at the same speed (bench
// history: 45–47 GB/s with the bench's earlier hand-made ring), and at
// 1 MiB and more Go's copy() uses non-temporal stores
// (runtime/memmove_amd64.s), which send the chunk to memory instead of
// leaving it in cache for the reader. The ring holds 8 chunks, so that
// either side can run several chunks ahead when the other is held up.
func chooseTransfer(ci cacheInfo) transferShape {
	chunk := 64 << 10 // the least
	for chunk*2 <= min(ci.l2/2, 512<<10) {
		chunk *= 2
	}
	capacity := 8 * chunk
	l3 := "L3 not reported"
	if ci.l3 > 0 {
		l3 = "L3 " + sizeName(ci.l3)
	}
	return transferShape{chunk: chunk, capacity: capacity, why: fmt.Sprintf(
		"L2 %s per core, %s (%s); chunk = the largest power of two up to half the L2, so the writer's "+
			"source and the chunk it writes fit in its L2 together, but from 64 KiB (each chunk is a hand-off, "+
			"which costs a wake-up when the reader has caught up: see the sweep's small chunks) to 512 KiB "+
			"(copy() of 1 MiB or more bypasses the cache); capacity = 8 chunks, so either side can run ahead "+
			"when the other is held up",
		sizeName(ci.l2), l3, ci.source)}
}

// The sweep's axes: record sizes, and capacities as multiples of them.
var (
	sweepChunks = []int{16 << 10, 32 << 10, 64 << 10, 128 << 10, 256 << 10, 512 << 10, 1 << 20}
	sweepMults  = []int{2, 4, 8, 16}
)

// sweepTransfer measures the ring alone at every chunk and capacity of the
// sweep, and returns the table, GB/s, as text; the chosen shape is starred.
func sweepTransfer(cfg *config, chosen transferShape) (string, error) {
	total := cfg.size(sweepTotal)
	got := make([][]float64, len(sweepChunks))
	for i, chunk := range sweepChunks {
		for _, m := range sweepMults {
			c, err := newRingContender(cfg, chunk, chunk*m, 0)
			if err != nil {
				return "", err
			}
			var firstErr error
			round := func() float64 {
				v, err := c.round(total)
				if err != nil && firstErr == nil {
					firstErr = err
				}
				return v
			}
			round() // warm-up
			v := alternate(sweepRounds, round)
			c.close()
			if firstErr != nil {
				return "", fmt.Errorf("sweep, chunk %s ×%d: %w", sizeName(chunk), m, firstErr)
			}
			got[i] = append(got[i], v[0])
		}
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "\n  sweep: ipcbuf.Ring alone, blocking, GB/s, median of %d rounds of %s each; rows the chunk (record size), "+
		"columns the capacity in chunks; * the shape chosen above\n\n", sweepRounds, sizeName(total))
	tw := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "  chunk\t")
	for _, m := range sweepMults {
		fmt.Fprintf(tw, "×%d\t", m)
	}
	fmt.Fprintln(tw)
	for i, chunk := range sweepChunks {
		fmt.Fprintf(tw, "  %s\t", sizeName(chunk))
		for j, m := range sweepMults {
			star := ""
			if chunk == chosen.chunk && chunk*m == chosen.capacity {
				star = "*"
			}
			fmt.Fprintf(tw, "%s%s\t", star, formatValue(got[i][j]))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	return sb.String(), nil
}

// startTransferContenders starts the two-process contenders; on error it
// releases those already started.
func startTransferContenders(cfg *config, shape transferShape) ([]*transferContender, error) {
	starts := []func() (*transferContender, error){
		func() (*transferContender, error) { return newRingContender(cfg, shape.chunk, shape.capacity, 0) },
		func() (*transferContender, error) {
			return newRingContender(cfg, shape.chunk, shape.capacity, transferSpin)
		},
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
	shape := chooseTransfer(machineCaches())
	cs, err := startTransferContenders(cfg, shape)
	if err != nil {
		return []result{failedResult("transfer", err)}
	}
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
	fns = append(fns, copyBaseline(streamChunk, total), copyBaseline(shape.chunk, total))
	for _, f := range fns { // a round to warm up: page faults, caches
		f()
	}
	v := alternate(cfg.rounds, fns...)
	closeTransfer(cs)
	if firstErr != nil {
		return []result{failedResult("transfer", firstErr)}
	}
	got := map[string]float64{}
	for i, c := range cs {
		got[c.name] = v[i]
	}
	got[nameCopy], got[nameCopyCached] = v[len(cs)], v[len(cs)+1]
	sweep, err := sweepTransfer(cfg, shape)
	if err != nil {
		return []result{failedResult("transfer sweep", err)}
	}
	groupText["2"] = sweep
	return transferResults(got, shape)
}

// transferResults lays the medians out as three cases, one per target, each
// holding the ring and what it is compared with.
func transferResults(got map[string]float64, shape transferShape) []result {
	row := func(caseName, contender, baseline string, target float64, note string) result {
		return result{caseName: caseName, contender: contender, value: got[contender], unit: "GB/s",
			higher: true, baseline: baseline, target: target, note: note}
	}
	// The ring's pipe target is against the faster pipe of the run.
	bestPipe := namePipe
	if got[namePipeSmall] > got[namePipe] {
		bestPipe = namePipeSmall
	}
	cached := "copy() " + sizeName(shape.chunk)
	got[cached] = got[nameCopyCached]
	const vsCopy, vsPipe, vsSocket = "vs copy()", "vs os.Pipe", "vs socket"
	return []result{
		row(vsCopy, nameRing, nameCopy, 0.8, fmt.Sprintf(
			"POSIX shm, capacity %s, records of %s (messages of %s + the 24-byte record header), "+
				"SingleProducer and SingleConsumer; the writer Reserve()s each message, copy()s the chunk in and Commit()s; "+
				"the reader (GOMAXPROCS=1) Peek()s it, sums its words in place and Release()s it; no RingSpin: "+
				"a side with nothing to do sleeps on the ring's futex word at once. Why this shape: %s",
			sizeName(shape.capacity), sizeName(shape.chunk), formatBytes(shape.chunk-recordHeader), shape.why)),
		row(vsCopy, nameRingSpin, nameCopy, 0.8, fmt.Sprintf(
			"the same ring with RingSpin(%v) on both sides", transferSpin)),
		row(vsCopy, nameCopy, "", 0, "the baseline: one process, 1 GiB copied 1 MiB at a time into one 1 MiB "+
			"destination; at 1 MiB Go's copy() switches to non-temporal stores, which bypass the cache"),
		row(vsCopy, cached, nameCopy, 0, fmt.Sprintf(
			"the same with the ring's %s chunks, stores cached: the blocking ring is %.2f× this one; "+
				"both processes' bytes cross between cores, which this copy never does",
			sizeName(shape.chunk), got[nameRing]/got[cached])),
		row(vsPipe, nameRing, bestPipe, 8, "against the faster of the two pipes"),
		row(vsPipe, nameRingSpin, bestPipe, 8, ""),
		row(vsPipe, namePipe, "", 0, "capacity set to 1 MiB (F_SETPIPE_SZ, the unprivileged maximum); "+
			"1 MiB write(2)s on a blocking descriptor; the reader read(2)s 1 MiB at a time into its own buffer and sums it"),
		row(vsPipe, namePipeSmall, namePipe, 0, "the default 64 KiB capacity, otherwise the same"),
		row(vsSocket, nameRing, nameSocket, 3, ""),
		row(vsSocket, nameRingSpin, nameSocket, 3, ""),
		row(vsSocket, nameSocket, "", 0, "socketpair(AF_UNIX, SOCK_STREAM), SO_SNDBUF and SO_RCVBUF 4 MiB; "+
			"1 MiB writes and reads as for the pipe"),
	}
}

// formatBytes writes n bytes with thousands separated.
func formatBytes(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s + " bytes"
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
	var chunk int
	var spin time.Duration
	fmt.Sscan(os.Getenv(transportEnv), &kind, &chunk, &spin)
	var read func(total int) (uint64, error)
	switch kind {
	case "ring":
		buf, err := openShared()
		if err != nil {
			return peerFailed(err)
		}
		defer buf.Close()
		r, err := ipcbuf.OpenRing(buf, ipcbuf.RingSpin(spin))
		if err != nil {
			return peerFailed(err)
		}
		defer r.Close()
		read = ringReader(buf, r, chunk-recordHeader)
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

// ringReader returns the reading side of the ring: it sums every message
// in place, in the shared memory (Peek), and gives it back (Release).
func ringReader(buf *ipcbuf.Buffer, r *ipcbuf.Ring, payload int) func(total int) (uint64, error) {
	return func(total int) (uint64, error) {
		g := guard(buf, ringProgress(r))
		var sum uint64
		for i := 0; i < total/payload; i++ {
			m, err := r.Peek()
			if err != nil {
				return 0, g.stop(err)
			}
			b := m.Bytes()
			if len(b) != payload {
				return 0, g.stop(fmt.Errorf("message of %d bytes, want %d", len(b), payload))
			}
			sum += sumWords(unsafe.Slice((*uint64)(unsafe.Pointer(&b[0])), len(b)/8))
			if err := m.Release(); err != nil {
				return 0, g.stop(err)
			}
		}
		return sum, g.stop(nil)
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
