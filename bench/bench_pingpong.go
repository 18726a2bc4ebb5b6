package main

// Group 3: ping-pong round trips of 64-byte messages between two processes.
//
// The parent sends message i, the child (this program again, one per
// contender, kept for all rounds) echoes it back, and the parent checks the
// echo byte for byte before it sends message i+1. Each round the parent tells
// the child over its stdin how many messages to echo, so that between rounds
// the child sleeps in read(2) instead of spinning.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/ipcbuf/ipcbuf"
)

const (
	// shmRoundTrips and streamRoundTrips are the round trips per round: a
	// few tenths of a second each, since a round trip through the rings is
	// one to a few microseconds and a pipe's or socket's ten or more.
	shmRoundTrips    = 200_000
	streamRoundTrips = 50_000

	// pingRound is the most a round should take: the warm-up round
	// lowers a contender's round trips to fit it.
	pingRound = 300 * time.Millisecond

	// echoRole is the child role that echoes messages.
	echoRole = "pingpong-echo"

	// echoEnv tells the echoing child its transport: "shm" (the two rings
	// in the object in shmEnv) or "stream" (it reads descriptor 3 and
	// writes descriptor 4).
	echoEnv = "IPCBUF_BENCH_ECHO"

	// msgSize is the size of a ping-pong message.
	msgSize = 64

	// pingRingCap is the capacity of each of the two rings: a round trip
	// has one message in flight, so a small ring does, and its records
	// stay in a few cache lines.
	pingRingCap = 4 << 10

	// pingSpin is how long both sides spin before they sleep: far longer
	// than a round trip, so that on an idle machine neither ever sleeps.
	pingSpin = 100 * time.Microsecond
)

// The contenders' names.
const (
	nameShmPing    = "ipcbuf.Ring"
	namePipePing   = "os.Pipe"
	nameSocketPing = "unix socket"
)

func init() {
	register(group{
		id:    "3",
		title: "Ping-pong round trips of 64-byte messages between two processes",
		run:   runPingPong,
	})
	childRoles[echoRole] = echoChild
}

// fillMessage fills msg with the content of message i: eight words, all
// depending on i, so that an echo of an older message does not pass.
func fillMessage(msg []byte, i uint64) {
	for j := 0; j < msgSize; j += 8 {
		binary.LittleEndian.PutUint64(msg[j:], i*0x9e3779b97f4a7c15+uint64(j))
	}
}

// pingContender is one way of exchanging messages with an echoing process.
type pingContender struct {
	name  string
	trips int // round trips per round
	peer  *peer
	next  uint64 // the next message's number, across rounds
	// exchange sends message i (in msg), waits for its echo and checks it.
	exchange func(i uint64, msg []byte) error
	close    func() // releases what the contender holds, the peer included
	// guard, if not nil, starts a stallGuard for a round and returns its
	// stop.
	guard func() func(error) error
}

// round makes c.trips round trips and returns the round trips per second.
// The clock starts after the command to the child has been sent, so the
// child's wake-up is part of the first round trip.
func (c *pingContender) round() (float64, error) {
	if err := c.peer.command("%d", c.trips); err != nil {
		return 0, err
	}
	msg := make([]byte, msgSize)
	stop := func(err error) error { return err }
	if c.guard != nil {
		stop = c.guard()
	}
	start := time.Now()
	for n := 0; n < c.trips; n++ {
		c.next++
		fillMessage(msg, c.next)
		if err := c.exchange(c.next, msg); err != nil {
			return 0, fmt.Errorf("%s: message %d: %w", c.name, c.next, stop(err))
		}
	}
	secs := time.Since(start).Seconds()
	stop(nil)
	if _, err := c.peer.reply(); err != nil {
		return 0, err
	}
	return float64(c.trips) / secs, nil
}

// pingRings lays the two rings over the shared object b: the parent sends
// on ping, the child answers on pong.
func pingRings(b *ipcbuf.Buffer, create bool) (ping, pong *ipcbuf.Ring, err error) {
	n := ipcbuf.RingSize(pingRingCap)
	fn := ipcbuf.OpenRing
	var opts []ipcbuf.RingOption
	if create {
		fn = ipcbuf.CreateRing
		opts = []ipcbuf.RingOption{ipcbuf.SingleProducer(), ipcbuf.SingleConsumer()}
	} else {
		opts = []ipcbuf.RingOption{ipcbuf.RingSpin(pingSpin)}
	}
	if ping, err = fn(b.Slice(0, n), opts...); err != nil {
		return nil, nil, err
	}
	if pong, err = fn(b.Slice(n, 2*n), opts...); err != nil {
		ping.Close()
		return nil, nil, err
	}
	return ping, pong, nil
}

// newShmPingContender sets up the two rings and the echoing child.
func newShmPingContender(cfg *config, trips int) (*pingContender, error) {
	create := func(b *ipcbuf.Buffer) error {
		ping, pong, err := pingRings(b, true)
		if err != nil {
			return err
		}
		ping.Close()
		return pong.Close()
	}
	buf, ps, err := sharedPeers(cfg, "pingpong", 2*ipcbuf.RingSize(pingRingCap), create, echoRole,
		[][]string{{echoEnv + "=shm"}})
	if err != nil {
		return nil, err
	}
	p := ps[0]
	ping, pong, err := pingRings(buf, false)
	if err != nil {
		p.stop()
		buf.Close()
		return nil, err
	}
	c := &pingContender{name: nameShmPing, trips: trips, peer: p}
	c.close = func() {
		ping.Close()
		pong.Close()
		p.stop()
		buf.Close()
	}
	echo := make([]byte, msgSize)
	c.exchange = func(i uint64, msg []byte) error {
		if err := ping.Send(msg); err != nil {
			return err
		}
		n, err := pong.Recv(echo)
		if err != nil {
			return err
		}
		return checkEcho(echo[:n], msg)
	}
	c.guard = func() func(error) error { return guard(buf, ringProgress(ping, pong)).stop }
	return c, nil
}

// checkEcho compares an echo with the message sent.
func checkEcho(echo, msg []byte) error {
	if !bytes.Equal(echo, msg) {
		return fmt.Errorf("echo % x differs from the message % x", echo, msg)
	}
	return nil
}

// newStreamPingContender starts an echoing child that reads childR and
// writes childW, while the parent writes w and reads r. Both processes' ends
// are blocking descriptors, read and written with plain system calls: with
// the parent's pipe ends left to Go's poller, which adds an epoll wait to
// each read, a round trip took 9–15 µs instead of 8.
func newStreamPingContender(cfg *config, name string, trips int, r, w, childR, childW *os.File) (*pingContender, error) {
	p, err := startPeer(cfg, echoRole, []*os.File{childR, childW}, echoEnv+"=stream")
	childR.Close()
	childW.Close()
	if err != nil {
		r.Close()
		w.Close()
		return nil, err
	}
	c := &pingContender{name: name, trips: trips, peer: p}
	echo := make([]byte, msgSize)
	c.exchange = func(i uint64, msg []byte) error {
		if _, err := w.Write(msg); err != nil {
			return err
		}
		if _, err := io.ReadFull(r, echo); err != nil {
			return err
		}
		return checkEcho(echo, msg)
	}
	c.close = func() {
		r.Close()
		w.Close()
		p.stop()
	}
	return c, nil
}

// newPipePingContender uses two os.Pipes, one each way.
func newPipePingContender(cfg *config, trips int) (*pingContender, error) {
	toChildR, toChildW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	fromChildR, fromChildW, err := os.Pipe()
	if err != nil {
		toChildR.Close()
		toChildW.Close()
		return nil, err
	}
	fromChildR.Fd() // blocking mode; see newStreamPingContender
	toChildW.Fd()
	return newStreamPingContender(cfg, namePipePing, trips, fromChildR, toChildW, toChildR, fromChildW)
}

// newSocketPingContender uses one Unix stream socketpair both ways.
func newSocketPingContender(cfg *config, trips int) (*pingContender, error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	near, far := os.NewFile(uintptr(fds[0]), "socket"), os.NewFile(uintptr(fds[1]), "socket")
	return newStreamPingContender(cfg, nameSocketPing, trips, near, near, far, far)
}

func runPingPong(cfg *config) []result {
	const caseName = "64-byte round trip"
	var contenders []*pingContender
	defer func() {
		for _, c := range contenders {
			c.close()
		}
	}()
	starts := []func() (*pingContender, error){
		func() (*pingContender, error) { return newShmPingContender(cfg, cfg.size(shmRoundTrips)) },
		func() (*pingContender, error) { return newPipePingContender(cfg, cfg.size(streamRoundTrips)) },
		func() (*pingContender, error) { return newSocketPingContender(cfg, cfg.size(streamRoundTrips)) },
	}
	for _, start := range starts {
		c, err := start()
		if err != nil {
			return []result{failedResult(caseName, err)}
		}
		contenders = append(contenders, c)
	}
	var firstErr error
	var fns []func() float64
	for _, c := range contenders {
		fns = append(fns, func() float64 {
			v, err := c.round()
			if err != nil && firstErr == nil {
				firstErr = err
			}
			return v
		})
	}
	// A warm-up round, which also sizes the rounds: a round trip through
	// the rings takes 1 µs on an idle machine and 50 when the two
	// processes share a core with others, so a fixed count would make the
	// group take minutes on a loaded machine.
	round := pingRound
	if cfg.quick {
		round = pingRound / 20
	}
	for i, f := range fns {
		if rate := f(); rate > 0 {
			contenders[i].trips = min(contenders[i].trips, max(int(rate*round.Seconds()), 100))
		}
	}
	v := alternate(cfg.rounds, fns...)
	if firstErr != nil {
		return []result{failedResult(caseName, firstErr)}
	}
	return pingResults(contenders, v)
}

// pingResults makes the group's rows from the medians v, one per contender.
func pingResults(cs []*pingContender, v []float64) []result {
	got := map[string]float64{}
	for i, c := range cs {
		got[c.name] = v[i]
	}
	how := map[string]string{
		nameShmPing: fmt.Sprintf("two ipcbuf.Rings of %s in POSIX shm, one each way, SingleProducer and SingleConsumer, "+
			"RingSpin(%v) on both sides; the parent Send()s the ping and Recv()s the echo, the child (GOMAXPROCS=1) "+
			"Recv()s the ping and Send()s it back; %.1f× the pipe",
			sizeName(pingRingCap), pingSpin, got[nameShmPing]/got[namePipePing]),
		namePipePing:   "two pipes, 64-byte write(2)s and read(2)s on blocking descriptors",
		nameSocketPing: "one socketpair(AF_UNIX, SOCK_STREAM), otherwise as the pipe",
	}
	var rs []result
	for _, c := range cs {
		r := result{caseName: "64-byte round trip", contender: c.name, value: got[c.name], unit: "round trips/s",
			higher: true, baseline: nameSocketPing,
			note: fmt.Sprintf("mean round trip %.2f µs over %d a round; %s", 1e6/got[c.name], c.trips, how[c.name])}
		switch c.name {
		case nameShmPing:
			r.target = 20
		case nameSocketPing:
			r.baseline = ""
		}
		rs = append(rs, r)
	}
	return rs
}

// echoChild is the child role: it echoes the number of messages each
// command asks for and answers "done".
func echoChild() int {
	var echo func(n int) error
	switch os.Getenv(echoEnv) {
	case "shm":
		buf, err := openShared()
		if err != nil {
			return peerFailed(err)
		}
		defer buf.Close()
		if echo, err = shmEcho(buf); err != nil {
			return peerFailed(err)
		}
	case "stream":
		echo = streamEcho(peerFile(0), peerFile(1))
	default:
		return peerFailed(fmt.Errorf("bad %s %q", echoEnv, os.Getenv(echoEnv)))
	}
	return servePeer(func(cmd string) (string, error) {
		n, err := strconv.Atoi(cmd)
		if err != nil {
			return "", err
		}
		return "done", echo(n)
	})
}

// shmEcho returns the child's side of the ring ping-pong: Recv the next
// ping, Send it back.
func shmEcho(buf *ipcbuf.Buffer) (func(n int) error, error) {
	ping, pong, err := pingRings(buf, false)
	if err != nil {
		return nil, err
	}
	msg := make([]byte, msgSize)
	return func(n int) error {
		g := guard(buf, ringProgress(ping, pong))
		for ; n > 0; n-- {
			k, err := ping.Recv(msg)
			if err != nil {
				return g.stop(err)
			}
			if err := pong.Send(msg[:k]); err != nil {
				return g.stop(err)
			}
		}
		return g.stop(nil)
	}, nil
}

// streamEcho returns the child's side of the pipe or socket ping-pong.
func streamEcho(r, w *os.File) func(n int) error {
	msg := make([]byte, msgSize)
	return func(n int) error {
		for ; n > 0; n-- {
			if _, err := io.ReadFull(r, msg); err != nil {
				return err
			}
			if _, err := w.Write(msg); err != nil {
				return err
			}
		}
		return nil
	}
}
