package ipcbuf_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	qt "github.com/frankban/quicktest"

	"github.com/ipcbuf/ipcbuf"
	"github.com/ipcbuf/ipcbuf/internal/testenv"
)

// The tests' buffers hold the mutex at 0 and the data it protects after
// it: a counter, or a record of two fields that must be equal.
const (
	mxCounter = ipcbuf.MutexSize     // uint32
	mxA       = ipcbuf.MutexSize     // uint32, written first
	mxB       = ipcbuf.MutexSize + 4 // uint32, written second: equal to a when consistent
	mxSize    = 64
)

// mxCountEnv tells a "mutex-count" child how many increments to make.
const mxCountEnv = "IPCBUF_TEST_MUTEX_COUNT"

func init() {
	childRoles["mutex-count"] = mutexCountChild
	childRoles["mutex-die"] = mutexDieChild
	childRoles["mutex-loop"] = mutexLoopChild
	childRoles["mutex-hold"] = mutexHoldChild
	childRoles["mutex-wait"] = mutexWaitChild
	childRoles["mutex-abandon"] = mutexAbandonChild
}

// mutexChildOpen opens target and the mutex at 0 in a child, or says why
// not on stderr.
func mutexChildOpen(target string) (*ipcbuf.Buffer, *ipcbuf.Mutex, bool) {
	b, err := ipcbuf.Open(target, 0, ipcbuf.OpenOnly())
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return nil, nil, false
	}
	m, err := ipcbuf.NewMutex(b, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return nil, nil, false
	}
	return b, m, true
}

// mutexIncrement adds one to the plain (not atomic) counter at off, with a
// yield between the read and the write, so that two holders at once would
// lose an increment.
func mutexIncrement(b *ipcbuf.Buffer, off int) error {
	v, err := b.ReadUint32LE(off)
	if err != nil {
		return err
	}
	runtime.Gosched()
	_, err = b.WriteUint32LE(int64(v)+1, off)
	return err
}

// mutexCountChild says "ready", waits for its stdin to close, so that the
// children start together, and increments the counter mxCountEnv times
// under the mutex.
func mutexCountChild(target string) int {
	b, m, ok := mutexChildOpen(target)
	if !ok {
		return 1
	}
	defer b.Close()
	n, _ := strconv.Atoi(os.Getenv(mxCountEnv))
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	for range n {
		if err := m.Lock(); err != nil {
			fmt.Fprintln(os.Stderr, "child: lock:", err)
			return 1
		}
		if err := mutexIncrement(b, mxCounter); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 1
		}
		if err := m.Unlock(); err != nil {
			fmt.Fprintln(os.Stderr, "child: unlock:", err)
			return 1
		}
	}
	return 0
}

// mutexAwaitGo says "open" and waits for a line on stdin: the soak tests
// start children ahead of time, which costs more than a round.
func mutexAwaitGo() {
	fmt.Println("open")
	bufio.NewReader(os.Stdin).ReadString('\n')
}

// mutexDieChild locks the mutex, updates field a of the record but not b,
// says "ready" and waits to be killed in the middle of its critical
// section.
func mutexDieChild(target string) int {
	b, m, ok := mutexChildOpen(target)
	if !ok {
		return 1
	}
	mutexAwaitGo()
	if err := m.Lock(); err != nil {
		fmt.Fprintln(os.Stderr, "child: lock:", err)
		return 1
	}
	if err := mutexIncrement(b, mxA); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	fmt.Println("ready")
	time.Sleep(time.Hour)
	return 1
}

// mutexLoopChild says "ready", then updates the record under the mutex
// over and over, a then b, until it is killed.
func mutexLoopChild(target string) int {
	b, m, ok := mutexChildOpen(target)
	if !ok {
		return 1
	}
	mutexAwaitGo()
	fmt.Println("ready")
	for {
		err := m.Lock()
		if errors.Is(err, ipcbuf.ErrOwnerDead) {
			fmt.Fprintln(os.Stderr, "child: the parent never dies holding the lock:", err)
			return 1
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "child: lock:", err)
			return 1
		}
		if err := mutexIncrement(b, mxA); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 1
		}
		if err := mutexIncrement(b, mxB); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 1
		}
		if err := m.Unlock(); err != nil {
			fmt.Fprintln(os.Stderr, "child: unlock:", err)
			return 1
		}
	}
}

// mutexHoldChild locks the mutex, says "locked", and unlocks it and exits
// when its stdin closes.
func mutexHoldChild(target string) int {
	b, m, ok := mutexChildOpen(target)
	if !ok {
		return 1
	}
	defer b.Close()
	return holdUntilStdinCloses(m, m.Lock())
}

// holdUntilStdinCloses is the end of a child that holds a mutex: given
// the error of its lock, it says "locked", and unlocks when its stdin
// closes (unless it is killed first).
func holdUntilStdinCloses(m *ipcbuf.Mutex, lockErr error) int {
	if lockErr != nil {
		fmt.Fprintln(os.Stderr, "child: lock:", lockErr)
		return 1
	}
	fmt.Println("locked")
	io.Copy(io.Discard, os.Stdin)
	if err := m.Unlock(); err != nil {
		fmt.Fprintln(os.Stderr, "child: unlock:", err)
		return 1
	}
	return 0
}

// mutexWaitChild says "waiting", locks the mutex, says "locked", unlocks
// it and exits.
func mutexWaitChild(target string) int {
	b, m, ok := mutexChildOpen(target)
	if !ok {
		return 1
	}
	defer b.Close()
	fmt.Println("waiting")
	if err := m.Lock(); err != nil {
		fmt.Fprintln(os.Stderr, "child: lock:", err)
		return 1
	}
	fmt.Println("locked")
	if err := m.Unlock(); err != nil {
		fmt.Fprintln(os.Stderr, "child: unlock:", err)
		return 1
	}
	return 0
}

// mutexAbandonChild locks a mutex whose owner died, says "took over",
// and when its stdin closes unlocks it without MarkConsistent, which must
// make it not recoverable.
func mutexAbandonChild(target string) int {
	b, m, ok := mutexChildOpen(target)
	if !ok {
		return 1
	}
	defer b.Close()
	if err := m.Lock(); !errors.Is(err, ipcbuf.ErrOwnerDead) {
		fmt.Fprintln(os.Stderr, "child: lock:", err, "(want ErrOwnerDead)")
		return 1
	}
	fmt.Println("took over")
	io.Copy(io.Discard, os.Stdin)
	if err := m.Unlock(); !errors.Is(err, ipcbuf.ErrNotRecoverable) {
		fmt.Fprintln(os.Stderr, "child: unlock:", err, "(want ErrNotRecoverable)")
		return 1
	}
	return 0
}

// mutexChild is a running child with its stdout read line by line.
type mutexChild struct {
	cmd    *exec.Cmd
	lines  *bufio.Scanner
	stdin  io.WriteCloser
	stderr bytes.Buffer
	waited bool
	err    error
}

// startMutexChild starts the test binary in role on target; it is killed,
// if still running, when the test ends.
func startMutexChild(t *testing.T, role, target string, env ...string) *mutexChild {
	t.Helper()
	c := &mutexChild{cmd: childCommand(role, target)}
	c.cmd.Env = append(c.cmd.Env, env...)
	c.cmd.Stderr = &c.stderr
	stdout, err := c.cmd.StdoutPipe()
	qt.Assert(t, err, qt.IsNil)
	c.stdin, err = c.cmd.StdinPipe()
	qt.Assert(t, err, qt.IsNil)
	c.lines = bufio.NewScanner(stdout)
	qt.Assert(t, c.cmd.Start(), qt.IsNil)
	t.Cleanup(func() {
		if !c.waited {
			c.cmd.Process.Kill()
			c.wait()
		}
	})
	return c
}

// expect reads the child's next line and fails the test unless it is want.
func (c *mutexChild) expect(t *testing.T, want string) {
	t.Helper()
	if !c.lines.Scan() {
		c.wait()
		t.Fatalf("child %s ended (%v) before saying %q\n%s", c.cmd.Args, c.err, want, c.stderr.Bytes())
	}
	if got := c.lines.Text(); got != want {
		t.Fatalf("child said %q, want %q\n%s", got, want, c.stderr.Bytes())
	}
}

func (c *mutexChild) wait() error {
	if !c.waited {
		c.waited = true
		c.err = c.cmd.Wait()
	}
	return c.err
}

// killed waits for the child and fails the test unless SIGKILL ended it.
func (c *mutexChild) killed(t *testing.T) {
	t.Helper()
	err := c.wait()
	var exitErr *exec.ExitError
	if runtime.GOOS == "windows" {
		// Process.Kill is TerminateProcess with exit code 1. A role that
		// fails exits with 1 too, but says why on stderr first.
		if !errors.As(err, &exitErr) || exitErr.ExitCode() != 1 || c.stderr.Len() != 0 {
			t.Fatalf("child ended with %v, not killed\n%s", err, c.stderr.Bytes())
		}
		return
	}
	if !errors.As(err, &exitErr) || !exitErr.Sys().(syscall.WaitStatus).Signaled() {
		t.Fatalf("child ended with %v, not killed\n%s", err, c.stderr.Bytes())
	}
}

// mutexSharedKind returns a kind this build can share between processes,
// and a fresh target of it; it skips the test in a build without one.
func mutexSharedKind(t *testing.T) kindCase {
	t.Helper()
	for _, kc := range sharedKinds {
		if kc.kind.Supported() {
			return kc
		}
	}
	t.Skip("this build has no kind of buffer that processes share (no cgo)")
	return kindCase{}
}

// newMutexBuffer opens a fresh mxSize-byte buffer of kind kc and the mutex
// at its start.
func newMutexBuffer(t *testing.T, kc kindCase) (string, *ipcbuf.Buffer, *ipcbuf.Mutex) {
	t.Helper()
	target := kc.target(t)
	b := open(t, target, mxSize, ipcbuf.Exclusive())
	m, err := ipcbuf.NewMutex(b, 0)
	qt.Assert(t, err, qt.IsNil)
	return target, b, m
}

// mutexWatchdog fails the test loudly, with every goroutine's stack, if
// it is still running after d: a hang must not become a silent timeout.
func mutexWatchdog(t *testing.T, d time.Duration) {
	timer := time.AfterFunc(d, func() {
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		fmt.Fprintf(os.Stderr, "%s hung for %v:\n%s", t.Name(), d, buf[:n])
		os.Exit(3)
	})
	t.Cleanup(func() { timer.Stop() })
}

// mutexLinuxLayout skips a test that writes or reads the mutex's bytes as
// Linux lays them out (a pid and a start time), or kills a process and
// expects a signal: on Windows the Mutex is a named Win32 mutex with its
// own layout, which mutex_windows_test.go covers.
func mutexLinuxLayout(t testing.TB) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the Linux layout of the Mutex's bytes; on Windows mutex_windows_test.go covers the same ground")
	}
}

// mutexAssertUnlocked checks that the mutex at off is unlocked and
// consistent: all 16 bytes zero on Linux; on Windows the first 8 (state
// and owner), the last 8 naming the Win32 mutex.
func mutexAssertUnlocked(t *testing.T, b *ipcbuf.Buffer, off int) {
	t.Helper()
	n := ipcbuf.MutexSize
	if runtime.GOOS == "windows" {
		n = 8
	}
	qt.Assert(t, mutexBytes(t, b, off)[:n], qt.DeepEquals, make([]byte, n))
}

// mutexBytes returns the mutex's 16 bytes.
func mutexBytes(t *testing.T, b *ipcbuf.Buffer, off int) []byte {
	t.Helper()
	got := make([]byte, ipcbuf.MutexSize)
	_, err := b.ReadAt(got, int64(off))
	qt.Assert(t, err, qt.IsNil)
	return got
}

// mutexSetOwner writes a locked mutex at off owned by pid with the given
// ticket, as that process would have.
func mutexSetOwner(t *testing.T, b *ipcbuf.Buffer, off int, state uint32, ticket uint32) {
	t.Helper()
	raw := make([]byte, ipcbuf.MutexSize)
	binary.NativeEndian.PutUint32(raw[0:], state)
	binary.NativeEndian.PutUint32(raw[4:], ticket)
	_, err := b.WriteAt(raw, int64(off))
	qt.Assert(t, err, qt.IsNil)
}

// mutexStartTicket returns the ticket of process pid: the low 32 bits of its
// start time, field 22 of /proc/<pid>/stat.
func mutexStartTicket(t *testing.T, pid int) uint32 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	qt.Assert(t, err, qt.IsNil)
	fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	start, err := strconv.ParseUint(fields[19], 10, 64)
	qt.Assert(t, err, qt.IsNil)
	return uint32(start)
}

const (
	mxStateWaiters = 1 << 30
	mxStateIncons  = 1 << 31
)

// TestMutexGoroutines: goroutines of one process on a memory buffer never
// hold the mutex at once (a plain counter loses no increment), and the
// race detector sees the mutex order their accesses.
func TestMutexGoroutines(t *testing.T) {
	mutexWatchdog(t, 2*time.Minute)
	b, err := ipcbuf.Alloc(mxSize)
	qt.Assert(t, err, qt.IsNil)
	m, err := ipcbuf.NewMutex(b, 0)
	qt.Assert(t, err, qt.IsNil)
	const workers, n = 8, 500
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range n {
				var err error
				switch (w + i) % 3 { // each way of locking
				case 0:
					err = m.Lock()
				case 1:
					err = m.LockTimeout(time.Minute)
				case 2:
					err = m.LockContext(context.Background())
				}
				if err == nil {
					err = mutexIncrement(b, mxCounter)
				}
				if err == nil {
					err = m.Unlock()
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got, err := b.ReadUint32LE(mxCounter)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, got, qt.Equals, uint32(workers*n))
	mutexAssertUnlocked(t, b, 0)
}

// TestMutexProcesses: three processes incrementing a plain counter under
// the mutex lose no increment, on every shared kind.
func TestMutexProcesses(t *testing.T) {
	mutexWatchdog(t, 3*time.Minute)
	forKinds(t, func(t *testing.T, kc kindCase) {
		target, b, _ := newMutexBuffer(t, kc)
		const procs = 3
		n := 2000
		if raceEnabled {
			n = 500 // its processes are slower; the other runs of make test count more
		}
		var children []*mutexChild
		for range procs {
			c := startMutexChild(t, "mutex-count", target, mxCountEnv+"="+strconv.Itoa(n))
			c.expect(t, "ready")
			children = append(children, c)
		}
		for _, c := range children {
			c.stdin.Close() // go
		}
		for _, c := range children {
			if err := c.wait(); err != nil {
				t.Fatalf("child: %v\n%s", err, c.stderr.Bytes())
			}
		}
		got, err := b.ReadUint32LE(mxCounter)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, got, qt.Equals, uint32(procs*n))
		mutexAssertUnlocked(t, b, 0)
	})
}

// TestMutexOwnerDead covers the ways an owner is found dead without a
// second process: a pid that is this process's with another start time (an
// earlier process that had the pid), and a real process killed and left a
// zombie. It also checks that a living owner is left alone.
func TestMutexOwnerDead(t *testing.T) {
	mutexLinuxLayout(t)
	mutexWatchdog(t, 2*time.Minute)
	b, err := ipcbuf.Alloc(mxSize)
	qt.Assert(t, err, qt.IsNil)
	m, err := ipcbuf.NewMutex(b, 0)
	qt.Assert(t, err, qt.IsNil)
	me := os.Getpid()
	myTicket := mutexStartTicket(t, me)

	// An earlier process with this pid died holding it.
	mutexSetOwner(t, b, 0, uint32(me)|mxStateWaiters, myTicket+1)
	err = m.Lock()
	qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrOwnerDead)
	qt.Assert(t, err, qt.ErrorMatches, `lock memory buffer: ipcbuf: the previous owner of the mutex died holding it \(it was pid \d+\)`)
	ok, err := m.TryLock() // held by this process now
	qt.Assert(t, ok, qt.IsFalse)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, m.MarkConsistent(), qt.IsNil)
	qt.Assert(t, m.MarkConsistent(), qt.IsNil) // again: nothing to do
	qt.Assert(t, m.Unlock(), qt.IsNil)
	mutexAssertUnlocked(t, b, 0)

	// A second death during the repair: the next one is told again.
	mutexSetOwner(t, b, 0, uint32(me)|mxStateIncons, myTicket+7)
	ok, err = m.TryLock()
	qt.Assert(t, ok, qt.IsTrue)
	qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrOwnerDead)
	qt.Assert(t, m.MarkConsistent(), qt.IsNil)
	qt.Assert(t, m.Unlock(), qt.IsNil)

	// A living process holds it: it is left alone. Then it is killed and,
	// not yet reaped, is a zombie: dead all the same.
	sleeper := exec.Command("sleep", "600")
	if err := sleeper.Start(); err != nil {
		t.Skipf("cannot start sleep: %v", err)
	}
	defer sleeper.Process.Kill()
	pid := sleeper.Process.Pid
	ticket := mutexStartTicket(t, pid)
	mutexSetOwner(t, b, 0, uint32(pid), ticket)
	ok, err = m.TryLock()
	qt.Assert(t, ok, qt.IsFalse)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, m.LockTimeout(0), qt.ErrorIs, ipcbuf.ErrTimeout)
	qt.Assert(t, m.LockTimeout(20*time.Millisecond), qt.ErrorIs, ipcbuf.ErrTimeout)
	before := mutexBytes(t, b, 0)
	err = m.Unlock()
	qt.Assert(t, err, qt.ErrorIs, fs.ErrPermission)
	qt.Assert(t, err, qt.ErrorMatches, fmt.Sprintf(`unlock memory buffer: the mutex at offset 0 is held by pid %d, not by this process \(pid %d\)`, pid, me))
	qt.Assert(t, m.MarkConsistent(), qt.ErrorIs, fs.ErrPermission)
	qt.Assert(t, mutexBytes(t, b, 0), qt.DeepEquals, before)

	// A ticket of 0 means the start time is unknown (the owner could not
	// read /proc): a living process with the pid is taken for the owner,
	// never declared dead.
	mutexSetOwner(t, b, 0, uint32(pid), 0)
	ok, err = m.TryLock()
	qt.Assert(t, ok, qt.IsFalse)
	qt.Assert(t, err, qt.IsNil)

	// The same pid with another start time is another process: the owner
	// has died and its pid was reused.
	mutexSetOwner(t, b, 0, uint32(pid), ticket+1)
	ok, err = m.TryLock()
	qt.Assert(t, ok, qt.IsTrue)
	qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrOwnerDead)
	qt.Assert(t, m.MarkConsistent(), qt.IsNil)
	qt.Assert(t, m.Unlock(), qt.IsNil)

	mutexSetOwner(t, b, 0, uint32(pid), ticket)
	qt.Assert(t, sleeper.Process.Signal(syscall.SIGKILL), qt.IsNil)
	// Not reaped: a zombie. (Not TryLock: the kernel takes a moment to
	// turn the process into one, and a waiting Lock looks again.)
	err = m.LockTimeout(time.Minute)
	qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrOwnerDead)
	qt.Assert(t, m.MarkConsistent(), qt.IsNil)
	qt.Assert(t, m.Unlock(), qt.IsNil)
	sleeper.Wait()

	// Reaped: no process has the pid (for a while, at least), whatever
	// the ticket.
	for _, tk := range []uint32{ticket, 0} {
		mutexSetOwner(t, b, 0, uint32(pid), tk)
		err = m.LockContext(context.Background())
		qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrOwnerDead)
		qt.Assert(t, m.MarkConsistent(), qt.IsNil)
		qt.Assert(t, m.Unlock(), qt.IsNil)
	}
}

// TestMutexNotRecoverable: an owner that got ErrOwnerDead and unlocks
// without MarkConsistent leaves a mutex no one can lock, until Reset.
func TestMutexNotRecoverable(t *testing.T) {
	mutexLinuxLayout(t)
	mutexWatchdog(t, 2*time.Minute)
	b, err := ipcbuf.Alloc(mxSize)
	qt.Assert(t, err, qt.IsNil)
	m, err := ipcbuf.NewMutex(b, 0)
	qt.Assert(t, err, qt.IsNil)
	mutexSetOwner(t, b, 0, uint32(os.Getpid()), mutexStartTicket(t, os.Getpid())+1)
	qt.Assert(t, m.Lock(), qt.ErrorIs, ipcbuf.ErrOwnerDead)

	// A goroutine waiting meanwhile is woken, and told.
	waited := make(chan error)
	go func() { waited <- m.Lock() }()
	time.Sleep(10 * time.Millisecond) // let it sleep, most likely

	err = m.Unlock()
	qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrNotRecoverable)
	qt.Assert(t, err, qt.ErrorMatches, `unlock memory buffer: ipcbuf: the mutex is not recoverable.*: unlocked without MarkConsistent after ErrOwnerDead`)
	qt.Assert(t, <-waited, qt.ErrorIs, ipcbuf.ErrNotRecoverable)
	qt.Assert(t, m.Lock(), qt.ErrorIs, ipcbuf.ErrNotRecoverable)
	qt.Assert(t, m.LockTimeout(time.Second), qt.ErrorIs, ipcbuf.ErrNotRecoverable)
	qt.Assert(t, m.LockContext(context.Background()), qt.ErrorIs, ipcbuf.ErrNotRecoverable)
	ok, err := m.TryLock()
	qt.Assert(t, ok, qt.IsFalse)
	qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrNotRecoverable)
	qt.Assert(t, m.Unlock(), qt.ErrorIs, fs.ErrPermission)
	qt.Assert(t, m.MarkConsistent(), qt.ErrorIs, fs.ErrPermission)
	// NewMutex accepts it: it is a mutex, in a state it writes.
	m2, err := ipcbuf.NewMutex(b, 0)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, m2.Lock(), qt.ErrorIs, ipcbuf.ErrNotRecoverable)

	qt.Assert(t, m.Reset(), qt.IsNil)
	mutexAssertUnlocked(t, b, 0)
	qt.Assert(t, m.Lock(), qt.IsNil)
	qt.Assert(t, m.Unlock(), qt.IsNil)
}

// TestMutexNotRecoverableProcesses: another process takes over from a dead
// owner and unlocks without repairing: a Lock waiting in this process is
// woken with ErrNotRecoverable, and so is every later one, until Reset.
func TestMutexNotRecoverableProcesses(t *testing.T) {
	mutexLinuxLayout(t)
	mutexWatchdog(t, 2*time.Minute)
	target, b, m := newMutexBuffer(t, mutexSharedKind(t))
	// This pid with another start time: an earlier process, dead.
	mutexSetOwner(t, b, 0, uint32(os.Getpid()), mutexStartTicket(t, os.Getpid())+1)
	c := startMutexChild(t, "mutex-abandon", target)
	c.expect(t, "took over")
	waited := make(chan error)
	go func() { waited <- m.Lock() }()
	time.Sleep(20 * time.Millisecond)
	c.stdin.Close()
	qt.Assert(t, c.wait(), qt.IsNil, qt.Commentf("%s", c.stderr.Bytes()))
	qt.Assert(t, <-waited, qt.ErrorIs, ipcbuf.ErrNotRecoverable)
	ok, err := m.TryLock()
	qt.Assert(t, ok, qt.IsFalse)
	qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrNotRecoverable)
	qt.Assert(t, m.Reset(), qt.IsNil)
	qt.Assert(t, m.Lock(), qt.IsNil)
	qt.Assert(t, m.Unlock(), qt.IsNil)
}

// FuzzMutexBytes: whatever 16 bytes a mutex's place holds, NewMutex and
// the methods that cannot wait never crash or hang: bytes that are not a
// mutex are ErrCorrupt everywhere and stay as they were; a mutex is
// locked, or refused, as its state says. Scenario 28.
func FuzzMutexBytes(f *testing.F) {
	mutexLinuxLayout(f)
	me := uint32(os.Getpid())
	native := func(state, ticket uint32, reserved uint64) []byte {
		raw := make([]byte, ipcbuf.MutexSize)
		binary.NativeEndian.PutUint32(raw, state)
		binary.NativeEndian.PutUint32(raw[4:], ticket)
		binary.NativeEndian.PutUint64(raw[8:], reserved)
		return raw
	}
	for _, seed := range [][]byte{
		make([]byte, ipcbuf.MutexSize),
		native(mxStateIncons, 0, 0),
		native(me, 1, 0),
		native(me|mxStateWaiters|mxStateIncons, 1, 0),
		native(1, 0, 0), // init, alive
		native(0, 0, 1),
		[]byte("0123456789abcdef"),
		bytes.Repeat([]byte{0xff}, ipcbuf.MutexSize),
	} {
		f.Add(seed)
	}
	b, err := ipcbuf.Alloc(mxSize)
	if err != nil {
		f.Fatal(err)
	}
	held, err := ipcbuf.NewMutex(b, 0) // a handle made while the bytes were a mutex
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) != ipcbuf.MutexSize {
			return
		}
		if _, err := b.WriteAt(raw, 0); err != nil {
			t.Fatal(err)
		}
		m, err := ipcbuf.NewMutex(b, 0)
		if errors.Is(err, ipcbuf.ErrCorrupt) {
			ok, err := held.TryLock()
			qt.Assert(t, ok, qt.IsFalse)
			qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrCorrupt)
			qt.Assert(t, held.LockTimeout(0), qt.ErrorIs, ipcbuf.ErrCorrupt)
			qt.Assert(t, held.Unlock(), qt.ErrorIs, ipcbuf.ErrCorrupt)
			qt.Assert(t, held.MarkConsistent(), qt.ErrorIs, ipcbuf.ErrCorrupt)
			qt.Assert(t, mutexBytes(t, b, 0), qt.DeepEquals, raw)
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		ok, err := m.TryLock()
		switch {
		case ok && (err == nil || errors.Is(err, ipcbuf.ErrOwnerDead)):
			if err != nil {
				qt.Assert(t, m.MarkConsistent(), qt.IsNil)
			}
			qt.Assert(t, m.Unlock(), qt.IsNil)
		case !ok && (err == nil || errors.Is(err, ipcbuf.ErrNotRecoverable)):
			qt.Assert(t, m.LockTimeout(0), qt.Not(qt.IsNil))
		default:
			t.Fatalf("TryLock over % x: %v, %v", raw, ok, err)
		}
	})
}

// TestMutexTimeoutContextTryLock: while another goroutine of the process
// holds the mutex, the bounded ways of locking give up as they say, and a
// waiter gets it once it is unlocked, from any goroutine.
func TestMutexTimeoutContextTryLock(t *testing.T) {
	mutexWatchdog(t, 2*time.Minute)
	b, err := ipcbuf.Alloc(mxSize)
	qt.Assert(t, err, qt.IsNil)
	m, err := ipcbuf.NewMutex(b, 0)
	qt.Assert(t, err, qt.IsNil)

	ok, err := m.TryLock()
	qt.Assert(t, ok, qt.IsTrue)
	qt.Assert(t, err, qt.IsNil)
	ok, err = m.TryLock()
	qt.Assert(t, ok, qt.IsFalse)
	qt.Assert(t, err, qt.IsNil)

	err = m.LockTimeout(30 * time.Millisecond)
	qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrTimeout)
	qt.Assert(t, err, qt.ErrorIs, context.DeadlineExceeded)
	qt.Assert(t, err, qt.ErrorMatches, `lock memory buffer: ipcbuf: timed out`)
	qt.Assert(t, m.LockTimeout(0), qt.ErrorIs, ipcbuf.ErrTimeout)
	err = m.LockTimeout(-time.Second)
	qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid)
	qt.Assert(t, err, qt.ErrorMatches, `lock memory buffer: negative timeout -1s`)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	qt.Assert(t, m.LockContext(ctx), qt.ErrorIs, context.DeadlineExceeded)

	// Cancelled while asleep: it returns long before its deadline (an hour;
	// the watchdog catches a hang).
	ctx, cancel = context.WithTimeout(context.Background(), time.Hour)
	done := make(chan error)
	go func() { done <- m.LockContext(ctx) }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	qt.Assert(t, <-done, qt.ErrorIs, context.Canceled)
	qt.Assert(t, m.LockContext(ctx), qt.ErrorIs, context.Canceled) // done before the call

	// Another goroutine unlocks it: ownership is the process's.
	got := make(chan error)
	go func() { got <- m.Lock() }()
	time.Sleep(10 * time.Millisecond)
	go func() { got <- m.Unlock() }()
	qt.Assert(t, <-got, qt.IsNil)
	qt.Assert(t, <-got, qt.IsNil)
	qt.Assert(t, m.Unlock(), qt.IsNil)
	err = m.Unlock()
	qt.Assert(t, err, qt.ErrorIs, fs.ErrPermission)
	qt.Assert(t, err, qt.ErrorMatches, `unlock memory buffer: the mutex at offset 0 is not locked, not by this process \(pid \d+\)`)
	mutexAssertUnlocked(t, b, 0)
}

// TestMutexOtherProcess: a mutex held by a living process: TryLock and
// LockTimeout fail, Unlock and MarkConsistent are refused and change
// nothing, and a waiter gets it when the holder unlocks.
func TestMutexOtherProcess(t *testing.T) {
	mutexWatchdog(t, 2*time.Minute)
	target, b, m := newMutexBuffer(t, mutexSharedKind(t))
	c := startMutexChild(t, "mutex-hold", target)
	c.expect(t, "locked")

	ok, err := m.TryLock()
	qt.Assert(t, ok, qt.IsFalse)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, m.LockTimeout(2*ipcbuf.MutexCheckInterval), qt.ErrorIs, ipcbuf.ErrTimeout)
	before := mutexBytes(t, b, 0)
	err = m.Unlock()
	qt.Assert(t, err, qt.ErrorIs, fs.ErrPermission)
	qt.Assert(t, err, qt.ErrorMatches, fmt.Sprintf(`unlock .*: the mutex at offset 0 is held by pid %d, not by this process \(pid %d\)`, c.cmd.Process.Pid, os.Getpid()))
	qt.Assert(t, m.MarkConsistent(), qt.ErrorIs, fs.ErrPermission)
	qt.Assert(t, mutexBytes(t, b, 0), qt.DeepEquals, before)

	locked := make(chan error)
	go func() { locked <- m.Lock() }()
	time.Sleep(10 * time.Millisecond)
	c.stdin.Close() // the child unlocks and exits
	qt.Assert(t, <-locked, qt.IsNil)
	qt.Assert(t, c.wait(), qt.IsNil, qt.Commentf("%s", c.stderr.Bytes()))
	qt.Assert(t, m.Unlock(), qt.IsNil)
}

// TestMutexWaiterKilled: a waiter killed while it waits takes no wake-up
// with it: the other waiter still gets the lock.
func TestMutexWaiterKilled(t *testing.T) {
	mutexLinuxLayout(t)
	mutexWatchdog(t, 2*time.Minute)
	target, b, m := newMutexBuffer(t, mutexSharedKind(t))
	qt.Assert(t, m.Lock(), qt.IsNil)
	doomed := startMutexChild(t, "mutex-wait", target)
	other := startMutexChild(t, "mutex-wait", target)
	doomed.expect(t, "waiting")
	other.expect(t, "waiting")
	// Wait until a waiter has set the waiters bit, then give both a moment
	// to be asleep in the kernel.
	for mutexBytes(t, b, 0)[mxWaitersByte()]&mxWaitersBit() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	qt.Assert(t, doomed.cmd.Process.Signal(syscall.SIGKILL), qt.IsNil)
	doomed.killed(t)
	qt.Assert(t, m.Unlock(), qt.IsNil)
	other.expect(t, "locked")
	qt.Assert(t, other.wait(), qt.IsNil, qt.Commentf("%s", other.stderr.Bytes()))
	qt.Assert(t, m.Lock(), qt.IsNil)
	qt.Assert(t, m.Unlock(), qt.IsNil)
}

// mxWaitersByte and mxWaitersBit locate the waiters bit (bit 30 of the native
// 32-bit state) among the mutex's bytes.
func mxWaitersByte() int {
	var raw [4]byte
	binary.NativeEndian.PutUint32(raw[:], mxStateWaiters)
	return bytes.IndexFunc(raw[:], func(r rune) bool { return r != 0 })
}

func mxWaitersBit() byte { return 0x40 }

// TestMutexCorrupt: bytes that are not a mutex are refused with ErrCorrupt
// by NewMutex and by every method, which leave them as they are; Reset
// makes them a mutex.
func TestMutexCorrupt(t *testing.T) {
	mutexLinuxLayout(t)
	mutexWatchdog(t, time.Minute)
	b, err := ipcbuf.Alloc(mxSize)
	qt.Assert(t, err, qt.IsNil)
	good, err := ipcbuf.NewMutex(b, 0)
	qt.Assert(t, err, qt.IsNil)
	native := func(state, ticket uint32, reserved uint64) []byte {
		raw := make([]byte, ipcbuf.MutexSize)
		binary.NativeEndian.PutUint32(raw, state)
		binary.NativeEndian.PutUint32(raw[4:], ticket)
		binary.NativeEndian.PutUint64(raw[8:], reserved)
		return raw
	}
	for _, tc := range []struct {
		name string
		raw  []byte
	}{
		{"text", []byte("hello, world! 12")},
		{"all ones", bytes.Repeat([]byte{0xff}, ipcbuf.MutexSize)},
		{"reserved bytes set", native(0, 0, 1)},
		{"reserved bits set", native(1<<22|1, 5, 0)},
		{"ticket without owner", native(0, 5, 0)},
		{"waiters without owner", native(mxStateWaiters, 0, 0)},
		{"not recoverable with a ticket", native(mxStateIncons, 5, 0)},
		{"owner with reserved bytes", native(uint32(os.Getpid()), mutexStartTicket(t, os.Getpid()), 1<<63)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := b.WriteAt(tc.raw, 0)
			qt.Assert(t, err, qt.IsNil)
			_, err = ipcbuf.NewMutex(b, 0)
			qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrCorrupt)
			qt.Assert(t, err, qt.ErrorMatches, `mutex memory buffer: ipcbuf: corrupt shared state: the 16 bytes at offset 0 \(.*\) are not a mutex`)
			qt.Assert(t, good.Lock(), qt.ErrorIs, ipcbuf.ErrCorrupt)
			qt.Assert(t, good.LockTimeout(time.Second), qt.ErrorIs, ipcbuf.ErrCorrupt)
			qt.Assert(t, good.LockContext(context.Background()), qt.ErrorIs, ipcbuf.ErrCorrupt)
			ok, err := good.TryLock()
			qt.Assert(t, ok, qt.IsFalse)
			qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrCorrupt)
			qt.Assert(t, good.Unlock(), qt.ErrorIs, ipcbuf.ErrCorrupt)
			qt.Assert(t, good.MarkConsistent(), qt.ErrorIs, ipcbuf.ErrCorrupt)
			qt.Assert(t, mutexBytes(t, b, 0), qt.DeepEquals, tc.raw)
			qt.Assert(t, good.Reset(), qt.IsNil)
			mutexAssertUnlocked(t, b, 0)
			qt.Assert(t, good.Lock(), qt.IsNil)
			qt.Assert(t, good.Unlock(), qt.IsNil)
		})
	}
}

// TestMutexBadInput: offsets outside the buffer or not 8-byte aligned in
// memory, read-only and closed buffers: clear errors, nothing written.
func TestMutexBadInput(t *testing.T) {
	b, err := ipcbuf.Alloc(mxSize)
	qt.Assert(t, err, qt.IsNil)
	for _, tc := range []struct {
		b    *ipcbuf.Buffer
		off  int
		want string
	}{
		{b, -8, `mutex memory buffer: offset -8 is outside the buffer: a 16-byte mutex in 64 bytes must start from 0 to 48`},
		{b, mxSize - 8, `mutex memory buffer: offset 56 is outside the buffer: a 16-byte mutex in 64 bytes must start from 0 to 48`},
		{b, mxSize, `.*offset 64 is outside the buffer.*`},
		{b, 4, `mutex memory buffer: offset 4 is not aligned: the 16-byte mutex's address 0x[0-9a-f]+ \(byte 4 of the mapping\) is not a multiple of 8; use an offset 4 bytes earlier or 4 bytes later`},
		{b, 1, `.*offset 1 is not aligned.*`},
		{b.Slice(4, mxSize), 0, `.*offset 0 is not aligned: .*\(byte 4 of the mapping\).*`},
		{b.Slice(8, 20), 0, `.*offset 0: a 12-byte buffer has no room for a 16-byte mutex`},
	} {
		_, err := ipcbuf.NewMutex(tc.b, tc.off)
		qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid, qt.Commentf("offset %d", tc.off))
		qt.Assert(t, err, qt.ErrorMatches, tc.want)
	}
	m, err := ipcbuf.NewMutex(b.Slice(8, mxSize), 8) // 16 from the start: aligned
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, m.Lock(), qt.IsNil)
	qt.Assert(t, mutexBytes(t, b, 16)[:8], qt.Not(qt.DeepEquals), make([]byte, 8)) // locked: a state or an owner
	qt.Assert(t, m.Unlock(), qt.IsNil)
	mutexAssertUnlocked(t, b, 0)

	// Closed: NewMutex and every method.
	qt.Assert(t, b.Close(), qt.IsNil)
	_, err = ipcbuf.NewMutex(b, 0)
	qt.Assert(t, err, qt.ErrorIs, fs.ErrClosed)
	qt.Assert(t, m.Lock(), qt.ErrorIs, fs.ErrClosed)
	qt.Assert(t, m.LockTimeout(time.Second), qt.ErrorIs, fs.ErrClosed)
	qt.Assert(t, m.LockContext(context.Background()), qt.ErrorIs, fs.ErrClosed)
	_, err = m.TryLock()
	qt.Assert(t, err, qt.ErrorIs, fs.ErrClosed)
	qt.Assert(t, m.Unlock(), qt.ErrorIs, fs.ErrClosed)
	qt.Assert(t, m.MarkConsistent(), qt.ErrorIs, fs.ErrClosed)
	qt.Assert(t, m.Reset(), qt.ErrorIs, fs.ErrClosed)

	// Read-only: a mutex needs to write.
	if !ipcbuf.KindFile.Supported() {
		return
	}
	path := filepath.Join(testenv.TempDir(t), "ro")
	w := open(t, path, mxSize)
	ro := open(t, path, 0, ipcbuf.ReadOnly())
	_, err = ipcbuf.NewMutex(ro, 0)
	qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrReadOnly)
	qt.Assert(t, err, qt.ErrorMatches, `mutex .*ro: buffer is read-only`)
	mw, err := ipcbuf.NewMutex(w, 0)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, mw.Lock(), qt.IsNil)
	qt.Assert(t, mw.Unlock(), qt.IsNil)
}

// TestMutexCloseWakesLock: Close while a Lock waits: the Lock holds
// nothing that Close needs, and returns fs.ErrClosed.
func TestMutexCloseWakesLock(t *testing.T) {
	mutexWatchdog(t, time.Minute)
	for _, kind := range []string{"memory", "shared"} {
		t.Run(kind, func(t *testing.T) {
			var b *ipcbuf.Buffer
			var m *ipcbuf.Mutex
			if kind == "memory" {
				var err error
				b, err = ipcbuf.Alloc(mxSize)
				qt.Assert(t, err, qt.IsNil)
				m, err = ipcbuf.NewMutex(b, 0)
				qt.Assert(t, err, qt.IsNil)
			} else {
				_, b, m = newMutexBuffer(t, mutexSharedKind(t))
			}
			qt.Assert(t, m.Lock(), qt.IsNil)
			done := make(chan error)
			go func() { done <- m.Lock() }()
			time.Sleep(20 * time.Millisecond)
			qt.Assert(t, b.Close(), qt.IsNil) // does not wait for the Lock
			qt.Assert(t, <-done, qt.ErrorIs, fs.ErrClosed)
		})
	}
}

// mutexPool starts children in role ahead of their round, up to total in
// all, so that a round does not wait for a process to start.
type mutexPool struct {
	t            *testing.T
	role, target string
	left         int
	ready        []*mutexChild
}

const mutexPoolAhead = 3

// next returns a child that has opened the buffer and waits for "go",
// having started more.
func (p *mutexPool) next() *mutexChild {
	p.t.Helper()
	for len(p.ready) < mutexPoolAhead && p.left > 0 {
		p.ready = append(p.ready, startMutexChild(p.t, p.role, p.target))
		p.left--
	}
	c := p.ready[0]
	p.ready = p.ready[1:]
	c.expect(p.t, "open")
	_, err := io.WriteString(c.stdin, "go\n")
	qt.Assert(p.t, err, qt.IsNil)
	return c
}

// mxSoakRounds is how many times the soak tests kill a process: short in
// go test (a fifth of it under the race detector, whose processes start
// slowly; make test runs the tests without it too), 1,000 with
// IPCBUF_SOAK=1.
func mxSoakRounds(short int) int {
	switch {
	case relSoak():
		return 1000
	case raceEnabled:
		return short / 5
	}
	return short
}

// TestSoakMutexOwnerDead kills the holder of the mutex in the middle of its
// critical section, round after round: each time the next Lock returns
// ErrOwnerDead within a bounded time, the record is repaired, and the
// mutex goes on working. Scenario 27.
func TestSoakMutexOwnerDead(t *testing.T) {
	rounds := mxSoakRounds(50)
	mutexWatchdog(t, time.Duration(rounds)*5*time.Second)
	target, b, m := newMutexBuffer(t, mutexSharedKind(t))
	var longest time.Duration
	start := time.Now()
	pool := &mutexPool{t: t, role: "mutex-die", target: target, left: rounds}
	for round := range rounds {
		c := pool.next()
		c.expect(t, "ready")
		qt.Assert(t, c.cmd.Process.Signal(syscall.SIGKILL), qt.IsNil)
		killed := time.Now()
		// Lock with a long timeout, so that a failure to notice the death
		// fails the round rather than hanging.
		err := m.LockTimeout(time.Minute)
		longest = max(longest, time.Since(killed))
		qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrOwnerDead, qt.Commentf("round %d", round))
		a, err := b.ReadUint32LE(mxA)
		qt.Assert(t, err, qt.IsNil)
		bv, err := b.ReadUint32LE(mxB)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, a, qt.Equals, bv+1, qt.Commentf("round %d: the child updated a and died before b", round))
		_, err = b.WriteUint32LE(int64(a), mxB) // the repair
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, m.MarkConsistent(), qt.IsNil)
		qt.Assert(t, m.Unlock(), qt.IsNil)
		c.killed(t)
	}
	a, _ := b.ReadUint32LE(mxA)
	bv, _ := b.ReadUint32LE(mxB)
	qt.Assert(t, a, qt.Equals, uint32(rounds))
	qt.Assert(t, bv, qt.Equals, uint32(rounds))
	qt.Assert(t, m.Lock(), qt.IsNil)
	qt.Assert(t, m.Unlock(), qt.IsNil)
	t.Logf("%d holders killed; each time the next Lock got ErrOwnerDead, at most %v after the kill (check interval %v); %v in all",
		rounds, longest.Round(time.Millisecond), ipcbuf.MutexCheckInterval, time.Since(start).Round(time.Millisecond))
}

// TestSoakMutexKilledAnywhere kills a process that locks and unlocks the
// mutex in a loop at a random moment, holding it or not: the next Lock
// gets nil with a consistent record, or ErrOwnerDead with a record at most
// half-updated, and never hangs. Scenario 27.
func TestSoakMutexKilledAnywhere(t *testing.T) {
	rounds := mxSoakRounds(20)
	mutexWatchdog(t, time.Duration(rounds)*5*time.Second)
	rng := relRand(t)
	target, b, m := newMutexBuffer(t, mutexSharedKind(t))
	var dead, clean int
	pool := &mutexPool{t: t, role: "mutex-loop", target: target, left: rounds}
	for round := range rounds {
		c := pool.next()
		c.expect(t, "ready")
		time.Sleep(time.Duration(rng.IntN(5000)) * time.Microsecond)
		qt.Assert(t, c.cmd.Process.Signal(syscall.SIGKILL), qt.IsNil)
		c.killed(t) // reaped: the Lock below meets a dead pid or none
		err := m.LockTimeout(time.Minute)
		a, rerr := b.ReadUint32LE(mxA)
		qt.Assert(t, rerr, qt.IsNil)
		bv, rerr := b.ReadUint32LE(mxB)
		qt.Assert(t, rerr, qt.IsNil)
		switch {
		case err == nil:
			qt.Assert(t, a, qt.Equals, bv, qt.Commentf("round %d: a consistent mutex over an inconsistent record", round))
			clean++
		case errors.Is(err, ipcbuf.ErrOwnerDead):
			if a != bv && a != bv+1 {
				t.Fatalf("round %d: record a=%d b=%d: more than one update lost", round, a, bv)
			}
			_, err = b.WriteUint32LE(int64(a), mxB)
			qt.Assert(t, err, qt.IsNil)
			qt.Assert(t, m.MarkConsistent(), qt.IsNil)
			dead++
		default:
			t.Fatalf("round %d: %v", round, err)
		}
		qt.Assert(t, m.Unlock(), qt.IsNil)
	}
	t.Logf("%d rounds: killed holding the mutex %d times, not holding it %d times", rounds, dead, clean)
}
