//go:build !windows

// The Ring waits on words of shared memory, which Windows cannot do
// between processes: there CreateRing and OpenRing fail with
// errors.ErrUnsupported (TestWindowsFutexUnsupported).

package ipcbuf_test

// The ring across processes: producer and consumer processes (the test
// binary re-run in the roles "ring-producer" and "ring-consumer") share a
// ring in a POSIX object, every message is checked (its producer, its
// number, its CRC and its bytes), and the parent checks that each one
// arrived exactly once, in its producer's order for each consumer. The
// helpers here (the messages, the roles, the children) serve the kill
// tests (ring_kill_test.go) and the Python tests (ring_interop_test.go)
// too.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	qt "github.com/frankban/quicktest"

	"github.com/ipcbuf/ipcbuf"
)

func init() {
	childRoles["ring-producer"] = ringProducerChild
	childRoles["ring-consumer"] = ringConsumerChild
}

// ringEnv holds a ring child's settings, "key=value" pairs separated by
// commas (see ringCfg).
const ringEnv = "IPCBUF_TEST_RING"

// ringPatience bounds every wait of a ring child; the parent bounds its
// wait for the child more tightly.
const ringPatience = 30 * time.Second

// A ringCfg is what a ring child does.
type ringCfg struct {
	id    int           // the producer's number, carried in its messages
	count int           // producers: messages to send (0: until killed)
	empty int           // producers: an empty message after every empty-th
	pace  time.Duration // sleep this long...
	every int           // ...after every every-th message
	hold  int           // hold the hold-th Reservation or Message until killed (-1: never)
	// report: a producer says "a SEQ" before it sends each message, a
	// consumer says each message before it releases it (and uses Peek
	// only), so that what the parent reads is what happened up to a kill.
	report  bool
	noAbort bool // producers: no aborted reservations (they count as skipped)
	// slowFill: producers fill a Reservation in two halves 300 µs apart,
	// so that a kill at a random moment often finds one being written.
	slowFill bool
	await    bool // say "open" once the ring is open, and wait for a line on stdin
	// gate: after the first message, say "first" (the single role is
	// this process's now) and wait for a line on stdin.
	gate bool
}

func (c ringCfg) String() string {
	s := fmt.Sprintf("id=%d,count=%d,empty=%d,pace=%s,every=%d,hold=%d", c.id, c.count, c.empty, c.pace, c.every, c.hold)
	for _, f := range []struct {
		on   bool
		name string
	}{{c.report, "report"}, {c.noAbort, "noabort"}, {c.await, "await"}, {c.gate, "gate"}, {c.slowFill, "slowfill"}} {
		if f.on {
			s += "," + f.name + "=1"
		}
	}
	return s
}

func parseRingCfg(s string) (ringCfg, error) {
	c := ringCfg{hold: -1}
	for _, kv := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(kv, "=")
		var err error
		switch k {
		case "id":
			c.id, err = strconv.Atoi(v)
		case "count":
			c.count, err = strconv.Atoi(v)
		case "empty":
			c.empty, err = strconv.Atoi(v)
		case "pace":
			c.pace, err = time.ParseDuration(v)
		case "every":
			c.every, err = strconv.Atoi(v)
		case "hold":
			c.hold, err = strconv.Atoi(v)
		case "report":
			c.report = v == "1"
		case "noabort":
			c.noAbort = v == "1"
		case "await":
			c.await = v == "1"
		case "gate":
			c.gate = v == "1"
		case "slowfill":
			c.slowFill = v == "1"
		default:
			err = fmt.Errorf("unknown key %q", k)
		}
		if err != nil {
			return c, fmt.Errorf("%s %q: %v", ringEnv, kv, err)
		}
	}
	return c, nil
}

// The test messages. A message is 12 bytes of header (producer, number,
// CRC-32 of the rest) and a body whose length and bytes follow from the
// producer and the number: empty, one byte, up to the ring's longest, and
// between. Messages of other lengths are the parent's signals: an empty
// one (counted, not numbered), "STOP" (a consumer ends) and "MARK" and a
// round number.
const ringMsgHdr = 12

var (
	ringStop = []byte("STOP")
	ringMark = []byte("MARK")
)

// ringMix scrambles a producer and a number into 64 bits (splitmix64).
func ringMix(p, seq uint32) uint64 {
	x := uint64(p)<<32 | uint64(seq)
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// ringBodyLen is the length of message seq's body, for a ring whose
// longest message is max bytes.
func ringBodyLen(p, seq uint32, max int) int {
	room := max - ringMsgHdr
	h := ringMix(p, seq)
	switch seq % 16 {
	case 0:
		return 0
	case 1:
		return room // the longest message the ring takes
	case 2:
		return room - 1 - int(h%7)
	case 3, 4, 5, 6:
		return int(h % 8)
	case 7, 8, 9, 10, 11:
		return int(h % 120)
	}
	return int(h % uint64(room+1))
}

// ringMsg writes message seq of producer p into dst (at least max bytes)
// and returns it.
func ringMsg(dst []byte, p, seq uint32, max int) []byte {
	m := dst[:ringMsgHdr+ringBodyLen(p, seq, max)]
	binary.LittleEndian.PutUint32(m[0:], p)
	binary.LittleEndian.PutUint32(m[4:], seq)
	x := ringMix(p, seq)
	for i := ringMsgHdr; i < len(m); i++ {
		x = x*6364136223846793005 + 1442695040888963407
		m[i] = byte(x >> 56)
	}
	binary.LittleEndian.PutUint32(m[8:], crc32.Update(crc32.ChecksumIEEE(m[:8]), crc32.IEEETable, m[ringMsgHdr:]))
	return m
}

// ringCheck checks a received test message: its CRC, its length and every
// byte, and returns its producer and number.
func ringCheck(m []byte, max int) (p, seq uint32, err error) {
	if len(m) < ringMsgHdr {
		return 0, 0, fmt.Errorf("a %d-byte message %q, shorter than a test message's header", len(m), m)
	}
	p, seq = binary.LittleEndian.Uint32(m), binary.LittleEndian.Uint32(m[4:])
	if got, want := binary.LittleEndian.Uint32(m[8:]), crc32.Update(crc32.ChecksumIEEE(m[:8]), crc32.IEEETable, m[ringMsgHdr:]); got != want {
		return p, seq, fmt.Errorf("message %d of producer %d (%d bytes): CRC %#x, computed %#x", seq, p, len(m), got, want)
	}
	want := ringMsg(make([]byte, max), p, seq, max)
	if !bytes.Equal(m, want) {
		return p, seq, fmt.Errorf("message %d of producer %d: %d bytes, want %d bytes (or the same length with other bytes)", seq, p, len(m), len(want))
	}
	return p, seq, nil
}

// ringChildOpen opens the ring in target, in a child.
func ringChildOpen(target string) (*ipcbuf.Buffer, *ipcbuf.Ring, ringCfg, error) {
	cfg, err := parseRingCfg(os.Getenv(ringEnv))
	if err != nil {
		return nil, nil, cfg, err
	}
	b, err := ipcbuf.Open(target, 0, ipcbuf.OpenOnly())
	if err != nil {
		return nil, nil, cfg, err
	}
	r, err := ipcbuf.OpenRing(b)
	if err != nil {
		b.Close()
		return nil, nil, cfg, err
	}
	if cfg.await {
		mutexAwaitGo()
	}
	return b, r, cfg, nil
}

// ringChildFail says why a ring child failed, and returns its status.
func ringChildFail(format string, args ...any) int {
	fmt.Fprintf(os.Stderr, "ring child %d: %s\n", os.Getpid(), fmt.Sprintf(format, args...))
	return 1
}

// ringBlockUntilKilled is where a child holding a Reservation or a Message
// waits for its SIGKILL: until its stdin closes, which the parent does
// only when the test ends without killing it.
func ringBlockUntilKilled() int {
	io.Copy(io.Discard, os.Stdin)
	return ringChildFail("stdin closed while holding: not killed")
}

// ringProducerChild sends messages numbered from 0, by every way of
// sending in turn (Send, SendTimeout, SendContext, TrySend, Reserve,
// ReserveContext and TryReserve with Commit, and Reserve with Abort before
// a message goes again), and says at the end "sent N empty E full F
// aborted A": F counts the Try calls that found the ring full.
func ringProducerChild(target string) int {
	b, r, cfg, err := ringChildOpen(target)
	if err != nil {
		return ringChildFail("%v", err)
	}
	defer b.Close()
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), ringPatience)
	defer cancel()
	max := r.MaxMessage()
	buf := make([]byte, max)
	var empties, full, aborted int
	for seq := 0; cfg.count == 0 || seq < cfg.count; seq++ {
		m := ringMsg(buf, uint32(cfg.id), uint32(seq), max)
		if cfg.report {
			fmt.Printf("a %d\n", seq)
		}
		if seq == cfg.hold {
			v, err := r.ReserveContext(ctx, len(m))
			if err != nil {
				return ringChildFail("reserve %d: %v", seq, err)
			}
			copy(v.Bytes()[:len(m)/2], m)
			fmt.Printf("H %d\n", seq)
			return ringBlockUntilKilled()
		}
		if err := ringSendOne(ctx, r, m, seq, cfg, &full, &aborted); err != nil {
			st, _ := r.Stat()
			return ringChildFail("message %d (%d bytes): %v\nring: %+v", seq, len(m), err, st)
		}
		if seq == 0 && cfg.gate {
			mutexAwaitGoAfter("first")
		}
		if cfg.empty > 0 && seq%cfg.empty == cfg.empty-1 {
			if err := r.SendTimeout(nil, ringPatience); err != nil {
				return ringChildFail("empty message: %v", err)
			}
			empties++
		}
		if cfg.every > 0 && seq%cfg.every == cfg.every-1 {
			time.Sleep(cfg.pace)
		}
	}
	fmt.Printf("sent %d empty %d full %d aborted %d busy %d\n", cfg.count, empties, full, aborted, ringBusy)
	return 0
}

// ringBusy counts, in a child, the Try calls that failed with ErrBusy.
var ringBusy int

// ringTryFailed reports whether a Try call failed in a way that the
// blocking call waits out: with want (ErrFull, ErrEmpty), counted in n, or
// with ErrBusy. On a ring for many producers or consumers a Try call gives
// ErrBusy when the per-message lock has been held for over a millisecond
// (by a process the scheduler stopped, on a loaded machine); ring_ops.go
// says so, though the API (ErrBusy: a single role) does not.
func ringTryFailed(err, want error, n *int) bool {
	switch {
	case errors.Is(err, want):
		*n++
		return true
	case errors.Is(err, ipcbuf.ErrBusy):
		ringBusy++
		return true
	}
	return false
}

// ringSendOne sends m, message seq, in the way seq picks.
func ringSendOne(ctx context.Context, r *ipcbuf.Ring, m []byte, seq int, cfg ringCfg, full, aborted *int) error {
	commit := func(v *ipcbuf.Reservation, err error) error {
		if err != nil {
			return err
		}
		if len(v.Bytes()) != len(m) {
			return fmt.Errorf("a reservation of %d bytes has %d", len(m), len(v.Bytes()))
		}
		if cfg.slowFill {
			copy(v.Bytes()[:len(m)/2], m)
			time.Sleep(300 * time.Microsecond)
		}
		copy(v.Bytes(), m)
		return v.Commit()
	}
	switch seq % 7 {
	case 0:
		return commit(r.ReserveContext(ctx, len(m)))
	case 1:
		err := r.TrySend(m)
		if ringTryFailed(err, ipcbuf.ErrFull, full) {
			err = r.SendContext(ctx, m)
		}
		return err
	case 2:
		return r.SendTimeout(m, ringPatience)
	case 3:
		v, err := r.TryReserve(len(m))
		if ringTryFailed(err, ipcbuf.ErrFull, full) {
			v, err = r.Reserve(len(m))
		}
		return commit(v, err)
	case 4:
		if !cfg.noAbort {
			v, err := r.ReserveContext(ctx, len(m))
			if err != nil {
				return err
			}
			for i := range v.Bytes() {
				v.Bytes()[i] = 0xee // what consumers must never see
			}
			if err := v.Abort(); err != nil {
				return err
			}
			*aborted++
		}
		return r.SendContext(ctx, m)
	}
	return r.Send(m)
}

// ringConsumerChild receives until a "STOP" message, by every way of
// receiving in turn (Recv with a buffer too short first, RecvTimeout,
// RecvContext, TryRecv, Peek, PeekContext and TryPeek with Release). For
// each message it says "m PRODUCER SEQ", or "e" for an empty one, or
// "MARK N" for a mark; with report set, before it releases the message.
// At the end it says "got N empty E tryempty T short S": T counts the Try
// calls that found the ring empty, S the receives whose buffer was short.
func ringConsumerChild(target string) int {
	b, r, cfg, err := ringChildOpen(target)
	if err != nil {
		return ringChildFail("%v", err)
	}
	defer b.Close()
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), ringPatience)
	defer cancel()
	max := r.MaxMessage()
	buf := make([]byte, max)
	var out io.Writer = os.Stdout // each line one write: it reaches the parent even if we are killed
	if !cfg.report {
		w := bufio.NewWriterSize(os.Stdout, 1<<16)
		defer w.Flush()
		out = w
	}
	var got, empties, tryEmpty, short int
	say := func(prefix string, m []byte) error {
		switch {
		case len(m) == 0:
			empties++
			_, err := io.WriteString(out, prefix+"e\n")
			return err
		case bytes.HasPrefix(m, ringMark) && len(m) == len(ringMark)+4:
			_, err := fmt.Fprintf(out, "%sMARK %d\n", prefix, binary.LittleEndian.Uint32(m[4:]))
			return err
		}
		p, seq, err := ringCheck(m, max)
		if err != nil {
			return err
		}
		got++
		_, err = fmt.Fprintf(out, "%sm %d %d\n", prefix, p, seq)
		return err
	}
	for i := 0; ; i++ {
		if i == cfg.hold {
			m, err := r.PeekContext(ctx)
			if err != nil {
				return ringChildFail("peek %d: %v", i, err)
			}
			if err := say("H ", m.Bytes()); err != nil {
				return ringChildFail("message %d: %v", i, err)
			}
			return ringBlockUntilKilled()
		}
		m, err := ringRecvOne(ctx, r, buf, i, cfg.report, &tryEmpty, &short, func(m []byte) error {
			if bytes.Equal(m, ringStop) {
				return nil
			}
			return say("", m)
		})
		if err != nil {
			st, _ := r.Stat()
			return ringChildFail("message %d: %v\nring: %+v", i, err, st)
		}
		if i == 0 && cfg.gate {
			mutexAwaitGoAfter("first")
		}
		if bytes.Equal(m, ringStop) {
			break
		}
		if cfg.every > 0 && i%cfg.every == cfg.every-1 {
			time.Sleep(cfg.pace)
		}
	}
	fmt.Fprintf(out, "got %d empty %d tryempty %d short %d busy %d\n", got, empties, tryEmpty, short, ringBusy)
	return 0
}

// ringRecvOne receives message i in the way i picks, and calls handle
// with its bytes (for Peek, before Release). With peekOnly it always
// peeks. It returns the message's bytes (a copy's, for Peek).
func ringRecvOne(ctx context.Context, r *ipcbuf.Ring, buf []byte, i int, peekOnly bool, tryEmpty, short *int, handle func([]byte) error) ([]byte, error) {
	peek := func(m *ipcbuf.Message, err error) ([]byte, error) {
		if err != nil {
			return nil, err
		}
		if err := handle(m.Bytes()); err != nil {
			return nil, err
		}
		n := copy(buf, m.Bytes())
		return buf[:n], m.Release()
	}
	recv := func(n int, err error) ([]byte, error) {
		if err != nil {
			return nil, err
		}
		return buf[:n], handle(buf[:n])
	}
	if peekOnly {
		i = 4 + i%3
	}
	switch i % 7 {
	case 0:
		n, err := r.Recv(buf[:5])
		if errors.Is(err, io.ErrShortBuffer) {
			*short++
			if n <= 5 || n > len(buf) {
				return nil, fmt.Errorf("Recv into 5 bytes: a short buffer for a message of %d bytes", n)
			}
			// The message stayed in the ring; another consumer may take
			// it first, and this one gets the next.
			n, err = r.Recv(buf)
		}
		return recv(n, err)
	case 1:
		return recv(r.RecvTimeout(buf, ringPatience))
	case 2:
		return recv(r.RecvContext(ctx, buf))
	case 3:
		n, err := r.TryRecv(buf)
		if ringTryFailed(err, ipcbuf.ErrEmpty, tryEmpty) {
			n, err = r.RecvContext(ctx, buf)
		}
		return recv(n, err)
	case 4:
		return peek(r.Peek())
	case 5:
		return peek(r.PeekContext(ctx))
	}
	m, err := r.TryPeek()
	if ringTryFailed(err, ipcbuf.ErrEmpty, tryEmpty) {
		m, err = r.PeekContext(ctx)
	}
	return peek(m, err)
}

// A ringChild is a ring child process: its output lines are collected as
// they come, and the ones that are not per-message ("m …", "e", "a …")
// are also passed on to expect.
type ringChild struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr bytes.Buffer // read only after wait
	events chan string
	eof    chan struct{}

	mu    sync.Mutex
	lines []string

	waited bool
	err    error
}

// startRingChild starts the test binary in role on target with cfg; it is
// killed, if still running, when the test ends.
func startRingChild(t *testing.T, role, target string, cfg ringCfg) *ringChild {
	t.Helper()
	c := &ringChild{cmd: childCommand(role, target), events: make(chan string, 1024), eof: make(chan struct{})}
	c.cmd.Env = append(c.cmd.Env, ringEnv+"="+cfg.String())
	c.cmd.Stderr = &c.stderr
	stdout, err := c.cmd.StdoutPipe()
	qt.Assert(t, err, qt.IsNil)
	c.stdin, err = c.cmd.StdinPipe()
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, c.cmd.Start(), qt.IsNil)
	go func() {
		defer close(c.eof)
		defer close(c.events)
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			line := s.Text()
			c.mu.Lock()
			c.lines = append(c.lines, line)
			c.mu.Unlock()
			if line != "e" && !strings.HasPrefix(line, "m ") && !strings.HasPrefix(line, "a ") {
				select {
				case c.events <- line:
				default: // nobody listens for so many
				}
			}
		}
	}()
	t.Cleanup(func() {
		if !c.waited {
			c.cmd.Process.Kill()
			c.reap()
		}
	})
	return c
}

// reap waits for the output to end and the process to exit.
func (c *ringChild) reap() error {
	if !c.waited {
		c.stdin.Close()
		<-c.eof
		c.waited = true
		c.err = c.cmd.Wait()
	}
	return c.err
}

// expect returns the child's next line that is not per-message, and fails
// the test unless it starts with prefix within d.
func (c *ringChild) expect(t *testing.T, prefix string, d time.Duration) string {
	t.Helper()
	select {
	case line, ok := <-c.events:
		if !ok {
			c.cmd.Process.Kill()
			c.reap()
			t.Fatalf("child %d ended (%v) before saying %q\n%s", c.cmd.Process.Pid, c.err, prefix, c.stderr.Bytes())
		}
		if !strings.HasPrefix(line, prefix) {
			c.cmd.Process.Kill()
			c.reap()
			t.Fatalf("child %d said %q, want %q…\n%s", c.cmd.Process.Pid, line, prefix, c.stderr.Bytes())
		}
		return line
	case <-time.After(d):
		c.cmd.Process.Kill()
		c.reap()
		t.Fatalf("child %d did not say %q within %v\n%s", c.cmd.Process.Pid, prefix, d, c.stderr.Bytes())
	}
	return ""
}

// proceed tells a child waiting for a line on stdin to go on.
func (c *ringChild) proceed(t *testing.T) {
	t.Helper()
	_, err := io.WriteString(c.stdin, "go\n")
	qt.Assert(t, err, qt.IsNil)
}

// finish waits up to d for the child to end by itself and succeed, and
// returns everything it said.
func (c *ringChild) finish(t *testing.T, d time.Duration) []string {
	t.Helper()
	timer := time.AfterFunc(d, func() { c.cmd.Process.Kill() })
	err := c.reap()
	if !timer.Stop() {
		t.Fatalf("child %d (%s) did not end within %v: killed\n%s", c.cmd.Process.Pid, c.cmd.Env[len(c.cmd.Env)-1], d, c.stderr.Bytes())
	}
	if err != nil {
		t.Fatalf("child %d (%s): %v\n%s", c.cmd.Process.Pid, c.cmd.Env[len(c.cmd.Env)-1], err, c.stderr.Bytes())
	}
	return c.said()
}

// kill kills the child with SIGKILL, reaps it, fails the test unless the
// signal ended it, and returns everything it said.
func (c *ringChild) kill(t *testing.T) []string {
	t.Helper()
	qt.Assert(t, c.cmd.Process.Signal(syscall.SIGKILL), qt.IsNil)
	err := c.reap()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || !exitErr.Sys().(syscall.WaitStatus).Signaled() {
		t.Fatalf("child %d ended with %v, not killed\n%s", c.cmd.Process.Pid, err, c.stderr.Bytes())
	}
	return c.said()
}

func (c *ringChild) said() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.lines)
}

// mutexAwaitGoAfter says word and waits for a line on stdin.
func mutexAwaitGoAfter(word string) {
	fmt.Println(word)
	bufio.NewReader(os.Stdin).ReadString('\n')
}

// ringBuffer makes a POSIX object of RingSize(capacity) bytes for a test,
// removed when it ends.
func ringBuffer(t *testing.T, capacity int) (string, *ipcbuf.Buffer) {
	t.Helper()
	requireKind(t, ipcbuf.KindPOSIX)
	target := "*" + shmName(t)
	b := open(t, target, ipcbuf.RingSize(capacity), ipcbuf.Exclusive())
	return target, b
}

// ringOpen opens another Ring on b, closed when the test ends.
func ringOpen(t *testing.T, b *ipcbuf.Buffer) *ipcbuf.Ring {
	t.Helper()
	r, err := ipcbuf.OpenRing(b)
	qt.Assert(t, err, qt.IsNil)
	t.Cleanup(func() { r.Close() })
	return r
}

func ringStat(t *testing.T, r *ipcbuf.Ring) ipcbuf.RingStat {
	t.Helper()
	st, err := r.Stat()
	qt.Assert(t, err, qt.IsNil)
	return st
}

// A ringGot is what one consumer received, in order: the numbers of each
// producer's messages, and how many empty messages.
type ringGot struct {
	who     string
	seqs    map[uint32][]uint32
	empties int
}

// parseRingGot reads a consumer's "m P SEQ" and "e" lines (after prefix,
// as in "H m 1 2").
func parseRingGot(t *testing.T, who string, lines []string) ringGot {
	t.Helper()
	g := ringGot{who: who, seqs: map[uint32][]uint32{}}
	for _, line := range lines {
		line = strings.TrimPrefix(line, "H ")
		switch {
		case line == "e":
			g.empties++
		case strings.HasPrefix(line, "m "):
			var p, seq uint32
			_, err := fmt.Sscanf(line, "m %d %d", &p, &seq)
			qt.Assert(t, err, qt.IsNil, qt.Commentf("%s said %q", who, line))
			g.seqs[p] = append(g.seqs[p], seq)
		}
	}
	return g
}

// ringDelivery checks what the consumers got against what each producer
// sent (messages 0 to sent[p]-1): each consumer got each producer's
// messages in order, no message reached two consumers or one twice, and
// none came from nowhere. It returns the messages nobody got, by producer.
func ringDelivery(t *testing.T, sent map[uint32]int, got []ringGot) map[uint32][]uint32 {
	t.Helper()
	count := map[uint32][]uint8{}
	for p, n := range sent {
		count[p] = make([]uint8, n)
	}
	for _, g := range got {
		for p, seqs := range g.seqs {
			c, ok := count[p]
			if !ok {
				t.Fatalf("%s got %d messages from producer %d, which sent none", g.who, len(seqs), p)
			}
			for i, seq := range seqs {
				if i > 0 && seq <= seqs[i-1] {
					t.Fatalf("%s got message %d of producer %d after message %d: out of order", g.who, seq, p, seqs[i-1])
				}
				if int(seq) >= len(c) {
					t.Fatalf("%s got message %d of producer %d, which sent %d", g.who, seq, p, len(c))
				}
				c[seq]++
			}
		}
	}
	missing := map[uint32][]uint32{}
	for p, c := range count {
		for seq, n := range c {
			switch {
			case n == 0:
				missing[p] = append(missing[p], uint32(seq))
			case n > 1:
				var who []string
				for _, g := range got {
					for _, s := range g.seqs[p] {
						if s == uint32(seq) {
							who = append(who, g.who)
						}
					}
				}
				t.Fatalf("message %d of producer %d delivered %d times: to %s", seq, p, n, strings.Join(who, ", "))
			}
		}
	}
	return missing
}

// ringSummary parses a child's last line, "WORD N KEY N KEY N…".
func ringSummary(t *testing.T, lines []string, word string) map[string]int {
	t.Helper()
	qt.Assert(t, len(lines) > 0, qt.IsTrue, qt.Commentf("the child said nothing"))
	f := strings.Fields(lines[len(lines)-1])
	qt.Assert(t, len(f)%2 == 0 && len(f) > 0 && f[0] == word, qt.IsTrue, qt.Commentf("last line %q", lines[len(lines)-1]))
	out := map[string]int{}
	for i := 0; i < len(f); i += 2 {
		n, err := strconv.Atoi(f[i+1])
		qt.Assert(t, err, qt.IsNil)
		out[f[i]] = n
	}
	return out
}

// ringScale is how many messages a test's producers send: fewer under the
// race detector, whose processes are slow.
func ringScale(n int) int {
	if raceEnabled {
		return n / 5
	}
	return n
}

// TestRingProcesses: producer and consumer processes, one or two of each,
// on rings made for any number of each or for one producer and/or one
// consumer, with the ring often full (slow consumers: producers block) or
// empty (slow producers: consumers block). Every message arrives once, in
// its producer's order for each consumer, with its bytes intact; the ring
// ends empty with nothing lost or skipped but the aborted reservations; a
// second producer or consumer of a single-role ring is refused while the
// first lives.
func TestRingProcesses(t *testing.T) {
	mutexWatchdog(t, 5*time.Minute)
	type tc struct {
		name                 string
		producers, consumers int
		capacity             int
		opts                 []ipcbuf.RingOption
		slow                 string // "consumers" (the ring fills) or "producers" (it empties)
	}
	sp, sc := ipcbuf.SingleProducer, ipcbuf.SingleConsumer
	cases := []tc{
		{"1P1C", 1, 1, 2048, nil, ""},
		{"2P1C", 2, 1, 2048, nil, ""},
		{"1P2C", 1, 2, 2048, nil, ""},
		{"2P2C", 2, 2, 2048, nil, ""},
		{"2P2C-64KiB", 2, 2, 1 << 16, nil, ""},
		{"1P1C-single", 1, 1, 2048, []ipcbuf.RingOption{sp(), sc()}, ""},
		{"1P2C-single-producer", 1, 2, 2048, []ipcbuf.RingOption{sp()}, ""},
		{"2P1C-single-consumer", 2, 1, 2048, []ipcbuf.RingOption{sc()}, ""},
		{"2P2C-full", 2, 2, 2048, nil, "consumers"},
		{"2P2C-empty", 2, 2, 2048, nil, "producers"},
		{"1P1C-single-full", 1, 1, 2048, []ipcbuf.RingOption{sp(), sc()}, "consumers"},
		{"1P1C-single-empty", 1, 1, 2048, []ipcbuf.RingOption{sp(), sc()}, "producers"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			target, b := ringBuffer(t, tc.capacity)
			r, err := ipcbuf.CreateRing(b, tc.opts...)
			qt.Assert(t, err, qt.IsNil)
			t.Cleanup(func() { r.Close() })
			count := ringScale(2000)
			if tc.capacity > 4096 {
				count = ringScale(500)
			}
			pcfg := ringCfg{count: count, empty: 97, hold: -1}
			ccfg := ringCfg{hold: -1}
			st := ringStat(t, r)
			pcfg.gate, ccfg.gate = st.SingleProducer, st.SingleConsumer
			switch tc.slow {
			case "consumers":
				ccfg.pace, ccfg.every = time.Millisecond, 10
			case "producers":
				pcfg.pace, pcfg.every = time.Millisecond, 10
			}
			single := func(role string) bool {
				st := ringStat(t, r)
				return role == "producer" && st.SingleProducer || role == "consumer" && st.SingleConsumer
			}

			var consumers, producers []*ringChild
			for i := range tc.consumers {
				c := ccfg
				c.id = i
				consumers = append(consumers, startRingChild(t, "ring-consumer", target, c))
			}
			for i := range tc.producers {
				c := pcfg
				c.id = i + 1
				producers = append(producers, startRingChild(t, "ring-producer", target, c))
			}
			// A single role, once taken, is refused to anyone else.
			if single("producer") {
				producers[0].expect(t, "first", time.Minute)
				err := r.TrySend([]byte("intruder"))
				qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrBusy)
				qt.Assert(t, err, qt.ErrorMatches, fmt.Sprintf(`.*process %d is the ring's single producer.*`, producers[0].cmd.Process.Pid))
				producers[0].proceed(t)
			}
			if single("consumer") {
				consumers[0].expect(t, "first", time.Minute)
				_, err := r.TryRecv(make([]byte, 8))
				qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrBusy)
				qt.Assert(t, err, qt.ErrorMatches, fmt.Sprintf(`.*process %d is the ring's single consumer.*`, consumers[0].cmd.Process.Pid))
				consumers[0].proceed(t)
			}

			sent := map[uint32]int{}
			var emptiesSent, full, aborted, busy int
			for i, p := range producers {
				s := ringSummary(t, p.finish(t, 3*time.Minute), "sent")
				sent[uint32(i+1)] = s["sent"]
				emptiesSent += s["empty"]
				full += s["full"]
				aborted += s["aborted"]
				busy += s["busy"]
			}
			// The producers are gone: the parent can send, even on a
			// single-producer ring (each gave up the role at Close).
			for range consumers {
				qt.Assert(t, r.SendTimeout(ringStop, time.Minute), qt.IsNil)
			}
			var got []ringGot
			var emptiesGot, tryEmpty, short, total int
			for i, c := range consumers {
				lines := c.finish(t, 3*time.Minute)
				s := ringSummary(t, lines, "got")
				g := parseRingGot(t, fmt.Sprintf("consumer %d", i), lines)
				got = append(got, g)
				emptiesGot += g.empties
				tryEmpty += s["tryempty"]
				short += s["short"]
				busy += s["busy"]
				total += s["got"]
			}
			missing := ringDelivery(t, sent, got)
			qt.Assert(t, missing, qt.HasLen, 0, qt.Commentf("messages nobody got"))
			qt.Assert(t, emptiesGot, qt.Equals, emptiesSent)
			t.Logf("%d messages (%d empty) from %d producers to %d consumers; Try calls found it full %d times, empty %d; %d receives into a short buffer; %d reservations aborted; %d Try calls found a per-message lock held (ErrBusy)",
				total+emptiesGot, emptiesGot, tc.producers, tc.consumers, full, tryEmpty, short, aborted, busy)
			switch tc.slow {
			case "consumers":
				qt.Assert(t, full > 0, qt.IsTrue, qt.Commentf("slow consumers, and the producers never found the ring full"))
			case "producers":
				qt.Assert(t, tryEmpty > 0, qt.IsTrue, qt.Commentf("slow producers, and the consumers never found the ring empty"))
			}

			st = ringStat(t, r)
			qt.Assert(t, st.Messages, qt.Equals, 0)
			qt.Assert(t, st.Writing, qt.Equals, 0)
			qt.Assert(t, st.Used, qt.Equals, int64(0), qt.Commentf("%+v", st))
			qt.Assert(t, st.Head, qt.Equals, st.Tail)
			qt.Assert(t, st.Lost, qt.Equals, uint64(0))
			qt.Assert(t, st.Skipped, qt.Equals, uint64(aborted))
			if single("consumer") {
				// The consumer closed its Ring: the role is free again.
				_, err := r.TryRecv(make([]byte, 8))
				qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrEmpty)
			}
		})
	}
}

// TestRingFullAfterPadding: a message that does not fit before the end of
// the data area, sent to a ring that is then full, behind a padding record
// (RING.md, "Sending", step 1), while the consumer sleeps on the empty
// ring. The consumer must pass the padding and give its room back, so that
// the message goes in at the start of the data area. Capacity 2048: the
// first message's record takes 1024 bytes; the second's (1500 bytes, a
// 1528-byte record) needs the padding from 1024 to 2048 and then the first
// 1528 bytes, which are free only once free has passed the padding.
func TestRingFullAfterPadding(t *testing.T) {
	for _, name := range []string{"multi-consumer", "single-consumer"} {
		t.Run(name, func(t *testing.T) {
			_, b := ringBuffer(t, 2048)
			var opts []ipcbuf.RingOption
			if name == "single-consumer" {
				opts = append(opts, ipcbuf.SingleConsumer())
			}
			r, err := ipcbuf.CreateRing(b, opts...)
			qt.Assert(t, err, qt.IsNil)
			t.Cleanup(func() { r.Close() })
			rc := ringOpen(t, b)
			got := make(chan error, 2)
			go func() {
				buf := make([]byte, r.MaxMessage())
				for _, want := range []int{1000, 1500} {
					n, err := rc.RecvTimeout(buf, 10*time.Second)
					if err == nil && n != want {
						err = fmt.Errorf("got %d bytes, want %d", n, want)
					}
					got <- err
				}
			}()
			qt.Assert(t, r.SendTimeout(make([]byte, 1000), 5*time.Second), qt.IsNil)
			qt.Assert(t, <-got, qt.IsNil)
			// The consumer now sleeps on the empty ring.
			deadline := time.Now().Add(5 * time.Second)
			for ringStat(t, r).ConsumersWaiting == 0 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			err = r.SendTimeout(make([]byte, 1500), 5*time.Second)
			qt.Assert(t, err, qt.IsNil, qt.Commentf("%+v", ringStat(t, r)))
			qt.Assert(t, <-got, qt.IsNil)
			st := ringStat(t, r)
			qt.Assert(t, [3]uint64{st.Free, st.Head, st.Tail}, qt.Equals, [3]uint64{2048 + 1528, 2048 + 1528, 2048 + 1528})
		})
	}
}
