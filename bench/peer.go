package main

// The plumbing of the groups that run a second process: a peer of this
// program in a role, with a control channel on its stdin and stdout, and a
// POSIX shared memory object both map.

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/ipcbuf/ipcbuf"
)

const (
	// lineGap separates data written by different processes: 128 bytes,
	// so that no two of them share a cache line or an adjacent-line
	// prefetch pair, and a write to one does not invalidate the other.
	lineGap = 128

	// stallTimeout bounds how long the rings of a round may go without
	// progress: a peer that has died or hung makes the round fail instead
	// of waiting forever.
	stallTimeout = 10 * time.Second
)

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

// shmEnv is the variable that tells a child which shared object to open.
const shmEnv = "IPCBUF_BENCH_SHM"

// sharedPeer creates a POSIX shared memory object of size bytes, under a
// name that says what it is for and carries this process's id, and starts
// a child in role that maps it. Once the child has it mapped, the name is
// removed: the memory lives on in the two mappings, and no failure of
// either process from then on can leave the object behind.
func sharedPeer(cfg *config, what string, size int, role string, env ...string) (*ipcbuf.Buffer, *peer, error) {
	buf, ps, err := sharedPeers(cfg, what, size, nil, role, [][]string{env})
	if err != nil {
		return nil, nil, err
	}
	return buf, ps[0], nil
}

// sharedPeers is sharedPeer with one child per element of envs, each
// started with those variables, and prepare (if not nil) run on the object
// before any child starts: the children may find there what it wrote.
func sharedPeers(cfg *config, what string, size int, prepare func(*ipcbuf.Buffer) error, role string, envs [][]string) (*ipcbuf.Buffer, []*peer, error) {
	buf, err := ipcbuf.CreateShmTemp(fmt.Sprintf("ipcbuf-bench-%s-%d-*", what, os.Getpid()), size)
	if err != nil {
		return nil, nil, err
	}
	if prepare != nil {
		if err := prepare(buf); err != nil {
			buf.Remove()
			buf.Close()
			return nil, nil, err
		}
	}
	var ps []*peer
	stopAll := func() {
		for _, p := range ps {
			p.stop()
		}
	}
	for _, env := range envs {
		p, err := startPeer(cfg, role, nil, append(env, shmEnv+"="+buf.Name())...)
		if err != nil {
			stopAll()
			buf.Remove()
			buf.Close()
			return nil, nil, err
		}
		ps = append(ps, p)
	}
	if err := buf.Remove(); err != nil {
		stopAll()
		buf.Close()
		return nil, nil, err
	}
	return buf, ps, nil
}

// stallGuard closes a buffer when the rings in it make no progress for
// stallTimeout during a round: the ring calls blocked on it then return an
// error instead of waiting forever for a peer that died or hung.
type stallGuard struct {
	mu       sync.Mutex
	t        *time.Timer
	fired    bool
	done     bool
	last     uint64
	progress func() uint64
}

// guard starts a stallGuard over b; progress returns a number that grows
// as the round goes on (see ringProgress). Stop it when the round is over.
func guard(b *ipcbuf.Buffer, progress func() uint64) *stallGuard {
	g := &stallGuard{progress: progress, last: progress()}
	var check func()
	check = func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.done {
			return
		}
		if now := g.progress(); now != g.last {
			g.last = now
			g.t = time.AfterFunc(stallTimeout, check)
			return
		}
		g.fired = true
		b.Close()
	}
	g.t = time.AfterFunc(stallTimeout, check)
	return g
}

// ringProgress returns a progress function for guard: the sum of the
// rings' head and tail positions, which only grow.
func ringProgress(rs ...*ipcbuf.Ring) func() uint64 {
	return func() uint64 {
		var sum uint64
		for _, r := range rs {
			if st, err := r.Stat(); err == nil {
				sum += st.Head + st.Tail
			}
		}
		return sum
	}
}

// stop ends the guard, and turns err into one that says the round stalled
// if the guard fired.
func (g *stallGuard) stop(err error) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.done = true
	g.t.Stop()
	if g.fired {
		return fmt.Errorf("the rings made no progress for %v, so their buffer was closed: %w", stallTimeout, err)
	}
	return err
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
