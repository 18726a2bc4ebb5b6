package main

// The shared-memory protocols of groups 2 and 3 (a ring of chunks, a pair of
// mailboxes), and the plumbing both use to run their second process.
//
// Memory ordering. The two processes map the same physical pages, so the
// hardware keeps their caches coherent exactly as it does for two threads of
// one process; what needs an argument is ordering. Every protocol here has one
// writer per counter and publishes data the same way:
//
//   - the producer writes the payload with plain stores, then stores the
//     counter with atomic.StoreUint64;
//   - the consumer loads the counter with atomic.LoadUint64 and reads the
//     payload only once it has seen the new value.
//
// Go's sync/atomic operations are sequentially consistent, and the compiler
// neither moves plain memory accesses across them nor keeps shared values in
// registers over them. On amd64 the store is an XCHG, a locked instruction
// that no earlier store passes (the non-temporal stores of a copy of 1 MiB or
// more are fenced by memmove's own SFENCE), and the load a MOV, which under
// x86-TSO is not passed by later loads; on arm64 they are STLR and LDAR. So
// a consumer that sees counter value v sees every byte stored before v was
// published. The same argument runs backwards for reuse: the consumer
// finishes reading a slot before it stores the counter that frees it, so the
// producer never overwrites bytes still being read. Counters only grow (they
// are never reset between rounds), so there is no ABA case, and 2^64 chunks
// or messages do not wrap in any run.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ipcbuf/ipcbuf"
)

const (
	// lineGap separates data written by different processes: 128 bytes,
	// so that no two of them share a cache line or an adjacent-line
	// prefetch pair, and a write to one does not invalidate the other.
	lineGap = 128

	// spinLimit is how many times a waiter polls between calls to
	// runtime.Gosched: about 0.4 µs here, longer than a cache line takes to
	// pass between cores (a ping-pong half trip is ~0.1 µs), so the hot
	// path never leaves the loop, but short enough that the other
	// goroutines of the waiter's process are not starved. The children run
	// with GOMAXPROCS=1, one busy goroutine each, so there Gosched is what
	// lets their runtime's own goroutines (GC workers) run; in the parent
	// the spinning goroutine holds one of its Ps and the others are free.
	spinLimit = 1024

	// yieldAfter is how long a waiter spins before it also gives its core
	// to other processes with sched_yield(2) after each batch of polls.
	// The two spinning processes need both cores of a 2-core machine; when
	// other programs take one, writer and reader end up sharing a core,
	// and a waiter that never leaves it keeps its own peer from running
	// until its time slice ends. Measured on the loaded 2-vCPU machine the
	// table comes from (group 2's ring, medians of 7 rounds, several
	// runs): never yielding, mostly under 2 GB/s; yielding after 50 µs,
	// 7–22 GB/s; after 2–5 µs, mostly 16–37 GB/s, with best rounds as
	// good as never yielding (41–47 GB/s).
	// A slot fills or frees in about 10 µs, and a yield with nothing else
	// to run returns in under a microsecond. A futex sleep in the yield's
	// place measured no better.
	yieldAfter = 5 * time.Microsecond

	// stallTimeout bounds any single wait: a peer that has died or hung
	// makes the wait fail instead of spinning forever.
	stallTimeout = 10 * time.Second
)

// errStall is the error of a wait that exceeded stallTimeout.
var errStall = errors.New("peer made no progress for " + stallTimeout.String())

// waitAtLeast polls the shared counter *p until it is at least v and returns
// its value: spinLimit polls at a time, runtime.Gosched between them, and
// once it has waited yieldAfter, sched_yield too.
func waitAtLeast(p *uint64, v uint64) (uint64, error) {
	var start time.Time
	for {
		for i := 0; i < spinLimit; i++ {
			if x := atomic.LoadUint64(p); x >= v {
				return x, nil
			}
		}
		runtime.Gosched()
		switch waited := time.Since(start); {
		case start.IsZero():
			start = time.Now()
		case waited > stallTimeout:
			return 0, errStall
		case waited > yieldAfter:
			syscall.Syscall(syscall.SYS_SCHED_YIELD, 0, 0, 0)
		}
	}
}

// sharedWord returns the uint64 at byte offset off of b's memory, for
// sync/atomic. off must be a multiple of 8; b must stay reachable while the
// pointer is used.
func sharedWord(b *ipcbuf.Buffer, off int) (*uint64, error) {
	v, err := ipcbuf.View[uint64](b.Slice(off, off+8))
	if err != nil {
		return nil, err
	}
	return &v[0], nil
}

// shmRing is a single-producer, single-consumer queue of fixed-size chunks in a
// shared buffer: a header page with two counters, then n slots. Chunk k of
// the stream lives in slot k mod n. head counts the chunks the writer has
// published, tail the chunks the reader has finished with; the writer may fill
// chunk k once tail ≥ k+1-n, and the reader may read it once head ≥ k+1.
// Each process keeps its own ring value over the same buffer.
type shmRing struct {
	buf   *ipcbuf.Buffer // keeps the mapping alive
	head  *uint64        // written only by the writer
	tail  *uint64        // written only by the reader
	bytes []byte         // the slots, for the writer
	words []uint64       // the same, for the reader
	chunk int
	n     int
}

// ringHeader is the bytes before a ring's slots: one page, so slots start
// page-aligned.
const ringHeader = 4096

// ringSize is the size of the shared buffer a ring of n chunks needs.
func ringSize(chunk, n int) int { return ringHeader + chunk*n }

// newRing lays a ring of n chunks of chunk bytes (a multiple of 8) over buf,
// which must be ringSize(chunk, n) bytes.
func newRing(buf *ipcbuf.Buffer, chunk, n int) (*shmRing, error) {
	if chunk%8 != 0 || buf.Len() != ringSize(chunk, n) {
		return nil, fmt.Errorf("ring: %d bytes cannot hold %d chunks of %d", buf.Len(), n, chunk)
	}
	r := &shmRing{buf: buf, chunk: chunk, n: n}
	var err error
	if r.head, err = sharedWord(buf, 0); err != nil {
		return nil, err
	}
	if r.tail, err = sharedWord(buf, lineGap); err != nil {
		return nil, err
	}
	slots := buf.Slice(ringHeader, buf.Len())
	r.bytes = slots.Bytes()
	if r.words, err = ipcbuf.View[uint64](slots); err != nil {
		return nil, err
	}
	return r, nil
}

// slot returns the byte range of chunk k's slot.
func (r *shmRing) slot(k uint64) (lo, hi int) {
	lo = int(k%uint64(r.n)) * r.chunk
	return lo, lo + r.chunk
}

// writable waits until the slot of chunk k is free and returns it.
func (r *shmRing) writable(k uint64) ([]byte, error) {
	if k >= uint64(r.n) {
		if _, err := waitAtLeast(r.tail, k+1-uint64(r.n)); err != nil {
			return nil, err
		}
	}
	lo, hi := r.slot(k)
	return r.bytes[lo:hi:hi], nil
}

// publish hands chunk k, now filled, to the reader.
func (r *shmRing) publish(k uint64) { atomic.StoreUint64(r.head, k+1) }

// readable waits until chunk k is published and returns its slot as words.
func (r *shmRing) readable(k uint64) ([]uint64, error) {
	if _, err := waitAtLeast(r.head, k+1); err != nil {
		return nil, err
	}
	lo, hi := r.slot(k)
	return r.words[lo/8 : hi/8 : hi/8], nil
}

// release gives chunk k's slot back to the writer.
func (r *shmRing) release(k uint64) { atomic.StoreUint64(r.tail, k+1) }

// msgSize is the size of a ping-pong message.
const msgSize = 64

// mailbox is one message slot in shared memory, written by one process and
// read by the other: a sequence counter on its own cache line and the
// message on the next. Sending message i stores the bytes, then seq = i.
type mailbox struct {
	seq *uint64
	msg []byte
}

// mailboxSize is the shared bytes one mailbox takes.
const mailboxSize = 2 * lineGap

// newMailbox lays a mailbox over buf's bytes from off.
func newMailbox(buf *ipcbuf.Buffer, off int) (mailbox, error) {
	seq, err := sharedWord(buf, off)
	if err != nil {
		return mailbox{}, err
	}
	return mailbox{seq: seq, msg: buf.Slice(off+lineGap, off+lineGap+msgSize).Bytes()}, nil
}

// send publishes p (msgSize bytes) as message seq.
func (m mailbox) send(seq uint64, p []byte) {
	copy(m.msg, p)
	atomic.StoreUint64(m.seq, seq)
}

// receive waits for message seq and returns its bytes, which stay valid
// until the peer sends again (in ping-pong, until this process answers).
func (m mailbox) receive(seq uint64) ([]byte, error) {
	if _, err := waitAtLeast(m.seq, seq); err != nil {
		return nil, err
	}
	return m.msg, nil
}

// shmEnv is the variable that tells a child which shared object to open.
const shmEnv = "IPCBUF_BENCH_SHM"

// sharedPeer creates a POSIX shared memory object of size bytes, under a
// name that says what it is for and carries this process's id, and starts
// a child in role that maps it. Once the child has it mapped, the name is
// removed: the memory lives on in the two mappings, and no failure of
// either process from then on can leave the object behind.
func sharedPeer(cfg *config, what string, size int, role string, env ...string) (*ipcbuf.Buffer, *peer, error) {
	buf, err := ipcbuf.CreateShmTemp(fmt.Sprintf("ipcbuf-bench-%s-%d-*", what, os.Getpid()), size)
	if err != nil {
		return nil, nil, err
	}
	p, err := startPeer(cfg, role, nil, append(env, shmEnv+"="+buf.Name())...)
	if rmErr := buf.Remove(); err == nil && rmErr != nil {
		p.stop()
		err = rmErr
	}
	if err != nil {
		buf.Close()
		return nil, nil, err
	}
	return buf, p, nil
}

// openShared opens, in a child, the object the parent named in shmEnv.
func openShared() (*ipcbuf.Buffer, error) {
	return ipcbuf.Open(os.Getenv(shmEnv), 0, ipcbuf.OpenOnly())
}

// peer is a second process of this program serving one contender of a
// group. Its stdin and stdout are a control channel: once set up, the child
// says "ready"; then the parent writes one command line per round, and the
// child does the work and answers with one line ("error: …" if it failed).
// Between rounds the child is blocked reading its stdin, so it takes no CPU
// from the other contenders.
type peer struct {
	role string
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Reader
}

// startPeer starts this program in role with files as its descriptors 3, 4,
// … and env added to its environment, and waits until it is ready. The child
// runs with GOMAXPROCS=1: it has one busy goroutine, and the machine has two
// cores for the two processes.
func startPeer(cfg *config, role string, files []*os.File, env ...string) (*peer, error) {
	cmd := child(cfg, role, append(env, "GOMAXPROCS=1")...)
	cmd.ExtraFiles = files
	in, out, err := startPiped(cmd)
	if err != nil {
		return nil, err
	}
	p := &peer{role: role, cmd: cmd, in: in, out: out}
	if _, err := p.reply(); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

// command sends one command line.
func (p *peer) command(format string, args ...any) error {
	if _, err := fmt.Fprintf(p.in, format+"\n", args...); err != nil {
		return fmt.Errorf("%s: %w", p.role, err)
	}
	return nil
}

// reply reads the child's next answer.
func (p *peer) reply() (string, error) {
	line, err := p.out.ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("%s: no answer: %w", p.role, err)
	}
	line = strings.TrimSuffix(line, "\n")
	if msg, ok := strings.CutPrefix(line, "error: "); ok {
		return "", fmt.Errorf("%s: %s", p.role, msg)
	}
	return line, nil
}

// stop ends the child: it closes its stdin, which a healthy child takes as
// the end, and kills it if it has not exited within a second.
func (p *peer) stop() {
	p.in.Close()
	done := make(chan struct{})
	go func() {
		p.cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(time.Second):
		p.cmd.Process.Kill()
		<-done
	}
}

// servePeer is the body of a child role once set up: it says "ready", then runs
// do on each command line from stdin and writes its answer to stdout, until
// stdin ends (exit status 0) or do fails (status 1, after reporting the
// error to the parent).
func servePeer(do func(command string) (string, error)) int {
	fmt.Println("ready")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		answer, err := do(in.Text())
		if err != nil {
			return peerFailed(err)
		}
		fmt.Println(answer)
	}
	return 0
}

// peerFailed reports a child's error to the parent and returns the exit
// status.
func peerFailed(err error) int {
	fmt.Printf("error: %v\n", err)
	return 1
}

// peerFile returns this child's descriptor 3+i, given by the parent.
func peerFile(i int) *os.File { return os.NewFile(uintptr(3+i), fmt.Sprintf("fd%d", 3+i)) }
