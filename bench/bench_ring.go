package main

// Group 11: messages between processes through an ipcbuf.Ring, against
// what carries messages between processes without one: a pipe and a Unix
// stream socket, each message framed with a length prefix, and a
// SOCK_SEQPACKET socket, which keeps message boundaries itself.
//
// Three measurements, for 64-byte and 4 KiB messages:
//
//   - one way: a child of this program sends as fast as it can, the parent
//     receives and checks every message; messages per second, from the
//     command that starts the children to the last message received;
//   - round trip: the parent sends a message, a child sends it back, the
//     parent checks it before it sends the next; the p50 and p99 of the
//     single round trips, each timed;
//   - two producers: two children send into one ring at once, the parent
//     receives; the rate, and its ratio to the one-producer rate.
//
// The ring runs in two modes: blocking (the default: a call with nothing
// to do sleeps on the ring's futex word at once) and spinning (RingSpin:
// it looks again for up to ringMsgSpin first). A pipe or a socket has only
// the first. Every message carries its producer and its number in its
// first word and the complement in its last, and the receiver checks both,
// so a message lost, repeated, reordered or torn fails the round.

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/ipcbuf/ipcbuf"
)

const (
	// ringMsgCap is the capacity of the group's rings: 256 KiB, which
	// holds about 3,000 messages of 64 bytes or 63 of 4 KiB, and fits a
	// core's L2 with room to spare.
	ringMsgCap = 256 << 10

	// ringMsgSpin is RingSpin's duration in spinning mode: far longer than
	// the other side takes to answer when it runs, short enough that a
	// process whose peer was descheduled soon sleeps.
	ringMsgSpin = 50 * time.Microsecond

	// ringMsgRound is how long a round should take: the first (warm-up)
	// round of each contender calibrates its message count to it.
	ringMsgRound = 200 * time.Millisecond

	// ringMsgWarmup and ringTripWarmup are the message and round-trip
	// counts of the calibrating round.
	ringMsgWarmup  = 20_000
	ringTripWarmup = 2_000

	// ringMsgRole is the child role that sends or echoes messages.
	ringMsgRole = "ring-msg"

	// ringMsgEnv tells the child its part: "TRANSPORT JOB SIZE ID", where
	// TRANSPORT is one of the transport constants, JOB "send" or "echo",
	// SIZE the message size and ID the producer's number. A ring lives in
	// the object in shmEnv; the other transports are the child's
	// descriptors 3 (to read) and 4 (to write).
	ringMsgEnv = "IPCBUF_BENCH_RINGMSG"
)

// The transports, as the child's environment names them.
const (
	tRingBlock = "ring-blocking"
	tRingSpin  = "ring-spinning"
	tPipe      = "pipe"
	tStream    = "stream"
	tSeqpacket = "seqpacket"
)

// The contenders' names, by transport.
var ringMsgNames = map[string]string{
	tRingBlock: "ipcbuf.Ring, blocking",
	tRingSpin:  "ipcbuf.Ring, spinning",
	tPipe:      "os.Pipe, length-prefixed",
	tStream:    "unix stream socket, length-prefixed",
	tSeqpacket: "unix seqpacket socket",
}

// ringMsgTransports lists the transports in the order of the tables.
var ringMsgTransports = []string{tRingSpin, tRingBlock, tPipe, tStream, tSeqpacket}

// The targets for the group.
const (
	targetOneWay    = 20e6 // 64-byte messages one way, spinning: messages/s
	targetVsSocket  = 5    // blocking, one way: × the Unix stream socket's rate
	targetRTTSpin   = 0.5  // 64-byte round trip p50, spinning: µs
	targetRTTBlock  = 10   // the same, blocking: µs
	targetProducers = 0.5  // two producers: × the one-producer rate
)

func init() {
	register(group{
		id:    "11",
		title: "Messages between processes: ipcbuf.Ring against a pipe, a Unix stream socket and a SOCK_SEQPACKET socket",
		run:   runRingMsg,
	})
	childRoles[ringMsgRole] = ringMsgChild
}

// msgConn is one end of a message transport.
type msgConn interface {
	send(p []byte) error
	recv(p []byte) (int, error) // p has room for the largest message
}

// ringConn is the messages of one ring (send) or of another (recv).
type ringConn struct{ in, out *ipcbuf.Ring }

func (c ringConn) send(p []byte) error        { return c.out.Send(p) }
func (c ringConn) recv(p []byte) (int, error) { return c.in.Recv(p) }

// framedConn frames each message with its length, 4 bytes little-endian,
// on a byte stream: one write(2) per message, and reads through a 64 KiB
// bufio.Reader, as a program would.
type framedConn struct {
	w     *os.File
	r     *bufio.Reader
	frame []byte
}

func newFramedConn(r, w *os.File, size int) *framedConn {
	c := &framedConn{w: w, frame: make([]byte, 4+size)}
	if r != nil {
		c.r = bufio.NewReaderSize(r, 64<<10)
	}
	return c
}

func (c *framedConn) send(p []byte) error {
	binary.LittleEndian.PutUint32(c.frame, uint32(len(p)))
	n := copy(c.frame[4:], p)
	_, err := c.w.Write(c.frame[:4+n])
	return err
}

func (c *framedConn) recv(p []byte) (int, error) {
	var h [4]byte
	if _, err := io.ReadFull(c.r, h[:]); err != nil {
		return 0, err
	}
	n := int(binary.LittleEndian.Uint32(h[:]))
	if n > len(p) {
		return 0, fmt.Errorf("frame of %d bytes, more than the %d expected", n, len(p))
	}
	_, err := io.ReadFull(c.r, p[:n])
	return n, err
}

// packetConn is a SOCK_SEQPACKET socket: one write(2) and one read(2) per
// message, whose boundaries the socket keeps.
type packetConn struct{ f *os.File }

func (c packetConn) send(p []byte) error {
	_, err := c.f.Write(p)
	return err
}

func (c packetConn) recv(p []byte) (int, error) {
	n, err := c.f.Read(p)
	if err == nil && n == 0 {
		err = io.EOF
	}
	return n, err
}

// stamp writes producer id's message seq into p: the word first, its
// complement last.
func stamp(p []byte, id int, seq uint64) {
	w := uint64(id)<<56 | seq
	binary.LittleEndian.PutUint64(p, w)
	binary.LittleEndian.PutUint64(p[len(p)-8:], ^w)
}

// unstamp checks a received message's length and words, and returns its
// producer and number.
func unstamp(p []byte, size int) (id int, seq uint64, err error) {
	if len(p) != size {
		return 0, 0, fmt.Errorf("message of %d bytes, want %d", len(p), size)
	}
	w := binary.LittleEndian.Uint64(p)
	if binary.LittleEndian.Uint64(p[size-8:]) != ^w {
		return 0, 0, fmt.Errorf("message %#x is torn: its last word is not the complement of its first", w)
	}
	return int(w >> 56), w &^ (0xff << 56), nil
}

// msgContender is one transport with its children, seen from the parent.
type msgContender struct {
	transport string
	size      int
	conn      msgConn
	peers     []*peer
	guard     func() *stallGuard // nil for the transports that cannot stall
	close     func()
	next      []uint64  // per producer: the next message's number, across rounds
	n         int       // messages (or round trips) per round, once calibrated
	samples   []float64 // round trips in µs, every round after the warm-up
}

// newMsgContender starts a contender: producers children sending one way
// (job "send"), or one child echoing (job "echo").
func newMsgContender(cfg *config, transport, job string, size, producers int) (*msgContender, error) {
	c := &msgContender{transport: transport, size: size, next: make([]uint64, producers)}
	env := func(id int) string { return fmt.Sprintf("%s=%s %s %d %d", ringMsgEnv, transport, job, size, id) }
	switch transport {
	case tRingBlock, tRingSpin:
		return c, c.startRing(cfg, job, producers, env)
	case tPipe:
		r, w, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		if job == "send" {
			r.Fd() // blocking, read with plain read(2)s
			return c, c.startFD(cfg, env(0), newFramedConn(r, nil, size), []*os.File{w, w}, r, w)
		}
		r2, w2, err := os.Pipe()
		if err != nil {
			r.Close()
			w.Close()
			return nil, err
		}
		r2.Fd()
		w.Fd()
		return c, c.startFD(cfg, env(0), newFramedConn(r2, w, size), []*os.File{r, w2}, r, w, r2, w2)
	case tStream, tSeqpacket:
		typ := syscall.SOCK_STREAM
		if transport == tSeqpacket {
			typ = syscall.SOCK_SEQPACKET
		}
		fds, err := syscall.Socketpair(syscall.AF_UNIX, typ|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			return nil, err
		}
		near, far := os.NewFile(uintptr(fds[0]), "socket"), os.NewFile(uintptr(fds[1]), "socket")
		var conn msgConn = packetConn{near}
		if transport == tStream {
			conn = newFramedConn(near, near, size)
		}
		return c, c.startFD(cfg, env(0), conn, []*os.File{far, far}, near, far)
	}
	return nil, fmt.Errorf("unknown transport %q", transport)
}

// startFD starts the child of a descriptor transport: files are its
// descriptors 3 and 4; all are closed here but the parent's conn.
func (c *msgContender) startFD(cfg *config, env string, conn msgConn, files []*os.File, all ...*os.File) error {
	p, err := startPeer(cfg, ringMsgRole, files, env)
	var mine []*os.File
	for _, f := range all {
		if !slices.Contains(files, f) {
			mine = append(mine, f)
		} else {
			f.Close()
		}
	}
	closeMine := func() {
		for _, f := range mine {
			f.Close()
		}
	}
	if err != nil {
		closeMine()
		return err
	}
	c.conn, c.peers = conn, []*peer{p}
	c.close = func() {
		closeMine() // the child sees the end of its input, or a broken pipe
		p.stop()
	}
	return nil
}

// ringMsgRings lays the group's rings over b: for "send", one ring the
// children send on; for "echo", the parent's sending ring and then its
// receiving ring. With create they are made, else opened in the mode.
func ringMsgRings(b *ipcbuf.Buffer, transport, job string, create bool) ([]*ipcbuf.Ring, error) {
	n := ipcbuf.RingSize(ringMsgCap)
	count := 1
	if job == "echo" {
		count = 2
	}
	var rs []*ipcbuf.Ring
	for i := range count {
		var r *ipcbuf.Ring
		var err error
		switch {
		case create:
			r, err = ipcbuf.CreateRing(b.Slice(i*n, (i+1)*n))
		case transport == tRingSpin:
			r, err = ipcbuf.OpenRing(b.Slice(i*n, (i+1)*n), ipcbuf.RingSpin(ringMsgSpin))
		default:
			r, err = ipcbuf.OpenRing(b.Slice(i*n, (i+1)*n))
		}
		if err != nil {
			for _, r := range rs {
				r.Close()
			}
			return nil, err
		}
		rs = append(rs, r)
	}
	return rs, nil
}

// startRing creates the rings in POSIX shared memory and starts the
// children on them.
func (c *msgContender) startRing(cfg *config, job string, producers int, env func(int) string) error {
	create := func(b *ipcbuf.Buffer) error {
		rs, err := ringMsgRings(b, c.transport, job, true)
		for _, r := range rs {
			r.Close()
		}
		return err
	}
	var envs [][]string
	for id := range producers {
		envs = append(envs, []string{env(id)})
	}
	size := ipcbuf.RingSize(ringMsgCap)
	if job == "echo" {
		size *= 2
	}
	buf, ps, err := sharedPeers(cfg, "msg", size, create, ringMsgRole, envs)
	if err != nil {
		return err
	}
	stopAll := func() {
		for _, p := range ps {
			p.stop()
		}
	}
	rs, err := ringMsgRings(buf, c.transport, job, false)
	if err != nil {
		stopAll()
		buf.Close()
		return err
	}
	if job == "echo" {
		c.conn = ringConn{out: rs[0], in: rs[1]}
	} else {
		c.conn = ringConn{in: rs[0]}
	}
	c.peers = ps
	c.guard = func() *stallGuard { return guard(buf, ringProgress(rs...)) }
	c.close = func() {
		for _, r := range rs {
			r.Close()
		}
		stopAll()
		buf.Close()
	}
	return nil
}

// run makes one round of n messages or round trips, job as the children
// were started for, and returns its messages (or round trips) per second.
// Round trips are also timed one by one into c.samples when keep is set.
func (c *msgContender) run(job string, n int, keep bool) (float64, error) {
	per := n / len(c.peers)
	n = per * len(c.peers)
	for _, p := range c.peers {
		if err := p.command("%d", per); err != nil {
			return 0, err
		}
	}
	var stop func(error) error = func(err error) error { return err }
	if c.guard != nil {
		stop = c.guard().stop
	}
	buf := make([]byte, c.size)
	var secs float64
	var err error
	if job == "send" {
		secs, err = c.receive(n, buf)
	} else {
		secs, err = c.exchange(n, buf, keep)
	}
	err = stop(err)
	for _, p := range c.peers {
		if _, rerr := p.reply(); err == nil {
			err = rerr
		}
	}
	if err != nil {
		return 0, fmt.Errorf("%s, %d bytes: %w", ringMsgNames[c.transport], c.size, err)
	}
	return float64(n) / secs, nil
}

// receive takes n messages from the producers and checks each.
func (c *msgContender) receive(n int, buf []byte) (float64, error) {
	start := time.Now()
	for range n {
		k, err := c.conn.recv(buf)
		if err != nil {
			return 0, err
		}
		id, seq, err := unstamp(buf[:k], c.size)
		if err != nil {
			return 0, err
		}
		if id >= len(c.next) || seq != c.next[id] {
			return 0, fmt.Errorf("message %d from producer %d, want one of %v", seq, id, c.next)
		}
		c.next[id]++
	}
	return time.Since(start).Seconds(), nil
}

// exchange makes n round trips, timing each.
func (c *msgContender) exchange(n int, buf []byte, keep bool) (float64, error) {
	msg := make([]byte, c.size)
	start := time.Now()
	last := start
	for range n {
		stamp(msg, 0, c.next[0])
		if err := c.conn.send(msg); err != nil {
			return 0, err
		}
		k, err := c.conn.recv(buf)
		if err != nil {
			return 0, err
		}
		now := time.Now()
		if keep {
			c.samples = append(c.samples, float64(now.Sub(last).Nanoseconds())/1e3)
		}
		last = now
		if _, seq, err := unstamp(buf[:k], c.size); err != nil || seq != c.next[0] {
			return 0, fmt.Errorf("echo of message %d: message %d, %v", c.next[0], seq, err)
		}
		c.next[0]++
	}
	return last.Sub(start).Seconds(), nil
}

// calibrate runs the warm-up round and sets the contender's round size so
// that a round takes about ringMsgRound.
func (c *msgContender) calibrate(cfg *config, job string) error {
	warm, round := ringMsgWarmup, ringMsgRound
	if job == "echo" {
		warm = ringTripWarmup
	}
	if cfg.quick {
		warm, round = warm/10, 10*time.Millisecond
	}
	rate, err := c.run(job, warm, false)
	if err != nil {
		return err
	}
	c.n = max(int(rate*round.Seconds()), 100)
	return nil
}

// ringMsgSet is the contenders of one measurement, run side by side.
type ringMsgSet struct {
	job string
	cs  []*msgContender
}

func (s *ringMsgSet) close() {
	for _, c := range s.cs {
		c.close()
	}
}

// measure calibrates the set's contenders, alternates them over the
// rounds, and returns each one's median rate.
func (s *ringMsgSet) measure(cfg *config) ([]float64, error) {
	for _, c := range s.cs {
		if err := c.calibrate(cfg, s.job); err != nil {
			return nil, err
		}
	}
	var firstErr error
	var fns []func() float64
	for _, c := range s.cs {
		fns = append(fns, func() float64 {
			v, err := c.run(s.job, c.n, true)
			if err != nil && firstErr == nil {
				firstErr = err
			}
			return v
		})
	}
	v := alternate(cfg.rounds, fns...)
	return v, firstErr
}

// startSet starts one contender per transport (with producers each).
func startSet(cfg *config, job string, size, producers int, transports []string) (*ringMsgSet, error) {
	s := &ringMsgSet{job: job}
	for _, t := range transports {
		c, err := newMsgContender(cfg, t, job, size, producers)
		if err != nil {
			s.close()
			return nil, fmt.Errorf("%s, %d bytes: %w", ringMsgNames[t], size, err)
		}
		s.cs = append(s.cs, c)
	}
	return s, nil
}

// measureSet starts, measures and closes a set.
func measureSet(cfg *config, job string, size, producers int, transports []string) ([]*msgContender, []float64, error) {
	s, err := startSet(cfg, job, size, producers, transports)
	if err != nil {
		return nil, nil, err
	}
	defer s.close()
	v, err := s.measure(cfg)
	return s.cs, v, err
}

// percentile returns the p-th percentile (0..100) of s, nearest rank.
func percentile(s []float64, p float64) float64 {
	if len(s) == 0 {
		return 0
	}
	s = slices.Clone(s)
	slices.Sort(s)
	i := int(p / 100 * float64(len(s)))
	return s[min(i, len(s)-1)]
}

func runRingMsg(cfg *config) []result {
	var rs []result
	for _, size := range []int{64, 4 << 10} {
		sz := sizeName(size)
		// One way, and two producers, which need the one-producer rates.
		cs, v, err := measureSet(cfg, "send", size, 1, ringMsgTransports)
		if err != nil {
			return append(rs, failedResult(sz+" one way", err))
		}
		oneWay := map[string]float64{}
		for i, c := range cs {
			oneWay[c.transport] = v[i]
		}
		rs = append(rs, oneWayResults(size, oneWay, cs)...)

		_, v2, err := measureSet(cfg, "send", size, 2, []string{tRingSpin, tRingBlock})
		if err != nil {
			return append(rs, failedResult(sz+" two producers", err))
		}
		rs = append(rs, producerResults(size, oneWay, map[string]float64{tRingSpin: v2[0], tRingBlock: v2[1]})...)

		cs, v, err = measureSet(cfg, "echo", size, 1, ringMsgTransports)
		if err != nil {
			return append(rs, failedResult(sz+" round trip", err))
		}
		rs = append(rs, roundTripResults(size, cs, v)...)
	}
	return rs
}

// how says how a contender moves messages, for the notes.
func how(transport string) string {
	switch transport {
	case tRingBlock:
		return fmt.Sprintf("ipcbuf.Ring of %s in POSIX shm, default options (multi-producer, multi-consumer; "+
			"a call with nothing to do sleeps on the futex word at once); Send and Recv, which copy", sizeName(ringMsgCap))
	case tRingSpin:
		return fmt.Sprintf("the same ring with RingSpin(%v) on both sides", ringMsgSpin)
	case tPipe:
		return "os.Pipe (64 KiB), blocking descriptors; each message one write(2) of a 4-byte length and the bytes; " +
			"the reader reads through a 64 KiB bufio.Reader"
	case tStream:
		return "socketpair(AF_UNIX, SOCK_STREAM), framed and read as the pipe"
	case tSeqpacket:
		return "socketpair(AF_UNIX, SOCK_SEQPACKET): one write(2) and one read(2) per message"
	}
	return ""
}

// The pseudo-contenders that carry the absolute targets, so that
// the table shows the ratio to them.
const (
	nameTargetRate     = "target: 20 M msgs/s"
	nameTargetRTTSpin  = "target: 0.5 µs"
	nameTargetRTTBlock = "target: 10 µs"
)

func oneWayResults(size int, got map[string]float64, cs []*msgContender) []result {
	caseName := sizeName(size) + " one way"
	socket := ringMsgNames[tStream]
	var rs []result
	for _, c := range cs {
		t := c.transport
		r := result{caseName: caseName, contender: ringMsgNames[t], value: got[t] / 1e6, unit: "M msgs/s", higher: true,
			baseline: socket, note: fmt.Sprintf("%s; %d messages a round; %.1f× the socket", how(t), c.n, got[t]/got[tStream])}
		switch {
		case t == tStream:
			r.baseline = ""
		case t == tRingSpin && size == 64:
			r.baseline, r.target = nameTargetRate, 1
		case t == tRingBlock && size == 64:
			r.target = targetVsSocket
		}
		rs = append(rs, r)
	}
	if size == 64 {
		rs = append(rs, result{caseName: caseName, contender: nameTargetRate, value: targetOneWay / 1e6, unit: "M msgs/s",
			higher: true, note: "the issue's target for the spinning ring"})
	}
	return rs
}

func producerResults(size int, one, two map[string]float64) []result {
	caseName := sizeName(size) + " two producers"
	var rs []result
	for _, t := range []string{tRingSpin, tRingBlock} {
		name := ringMsgNames[t]
		rs = append(rs,
			result{caseName: caseName, contender: name + ", 2 producers", value: two[t] / 1e6, unit: "M msgs/s", higher: true,
				baseline: name, target: targetProducers,
				note: "two child processes Send() into the one ring at once, half the messages each; the parent Recv()s and " +
					"checks each producer's order"},
			result{caseName: caseName, contender: name, value: one[t] / 1e6, unit: "M msgs/s", higher: true,
				note: "one producer: the one-way figure above"})
	}
	return rs
}

func roundTripResults(size int, cs []*msgContender, rates []float64) []result {
	socket := ringMsgNames[tStream]
	var rs []result
	for _, pct := range []float64{50, 99} {
		caseName := fmt.Sprintf("%s round trip p%.0f", sizeName(size), pct)
		for i, c := range cs {
			t := c.transport
			r := result{caseName: caseName, contender: ringMsgNames[t], value: percentile(c.samples, pct), unit: "µs",
				baseline: socket}
			if pct == 50 {
				r.note = fmt.Sprintf("%s; %d round trips a round, each timed; mean %.2f µs", how(t), c.n, 1e6/rates[i])
				if t == tRingBlock || t == tRingSpin {
					r.note = fmt.Sprintf("two rings, one each way, the child Recv()s and Send()s back; %d round trips a round, "+
						"each timed; mean %.2f µs", c.n, 1e6/rates[i])
				}
			}
			switch {
			case t == tStream:
				r.baseline = ""
			case t == tRingSpin && size == 64 && pct == 50:
				r.baseline, r.target = nameTargetRTTSpin, 1
			case t == tRingBlock && size == 64 && pct == 50:
				r.baseline, r.target = nameTargetRTTBlock, 1
			}
			rs = append(rs, r)
		}
		if size == 64 && pct == 50 {
			rs = append(rs,
				result{caseName: caseName, contender: nameTargetRTTSpin, value: targetRTTSpin, unit: "µs",
					note: "the issue's target for the spinning ring"},
				result{caseName: caseName, contender: nameTargetRTTBlock, value: targetRTTBlock, unit: "µs",
					note: "the issue's target for the blocking ring"})
		}
	}
	return rs
}

// ringMsgChild is the child role: it sends, or echoes, the number of
// messages each command asks for, and answers "done".
func ringMsgChild() int {
	var transport, job string
	var size, id int
	if _, err := fmt.Sscan(os.Getenv(ringMsgEnv), &transport, &job, &size, &id); err != nil {
		return peerFailed(fmt.Errorf("bad %s %q: %v", ringMsgEnv, os.Getenv(ringMsgEnv), err))
	}
	var conn msgConn
	var g func() *stallGuard
	switch transport {
	case tRingBlock, tRingSpin:
		buf, err := openShared()
		if err != nil {
			return peerFailed(err)
		}
		defer buf.Close()
		rs, err := ringMsgRings(buf, transport, job, false)
		if err != nil {
			return peerFailed(err)
		}
		if job == "echo" { // the parent's sending ring is this one's receiving ring
			conn = ringConn{in: rs[0], out: rs[1]}
		} else {
			conn = ringConn{out: rs[0]}
		}
		g = func() *stallGuard { return guard(buf, ringProgress(rs...)) }
	case tPipe, tStream:
		conn = newFramedConn(peerFile(0), peerFile(1), size)
	case tSeqpacket:
		conn = packetConn{peerFile(1)}
	default:
		return peerFailed(fmt.Errorf("bad transport %q", transport))
	}
	var next uint64
	msg := make([]byte, size)
	return servePeer(func(cmd string) (string, error) {
		n, err := strconv.Atoi(cmd)
		if err != nil {
			return "", err
		}
		stop := func(err error) error { return err }
		if g != nil {
			stop = g().stop
		}
		for range n {
			if job == "echo" {
				k, err := conn.recv(msg)
				if err == nil {
					err = conn.send(msg[:k])
				}
				if err != nil {
					return "", stop(err)
				}
				continue
			}
			stamp(msg, id, next)
			next++
			if err := conn.send(msg); err != nil {
				return "", stop(err)
			}
		}
		return "done", stop(nil)
	})
}
