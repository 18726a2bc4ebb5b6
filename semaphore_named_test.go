//go:build linux

package ipcbuf_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
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
	childRoles["sem-wait"] = semWaitChild
	childRoles["sem-post"] = semPostChild
	childRoles["sem-consume"] = semConsumeChild
	childRoles["sem-hold"] = semHoldChild
}

// Extra settings for the semaphore roles.
const (
	semCountEnv = "IPCBUF_TEST_SEM_N"    // how many posts or waits
	semUndoEnv  = "IPCBUF_TEST_SEM_UNDO" // "1": open with SemUndo
)

// semChildOpen opens the semaphore a child role works on.
func semChildOpen(target string) (*ipcbuf.Semaphore, int, error) {
	n := 1
	if v := os.Getenv(semCountEnv); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			return nil, 0, err
		}
	}
	opts := []ipcbuf.Option{ipcbuf.OpenOnly()}
	if os.Getenv(semUndoEnv) == "1" {
		opts = append(opts, ipcbuf.SemUndo())
	}
	s, err := ipcbuf.OpenSemaphore(target, 0, opts...)
	return s, n, err
}

func semChildFail(err error) int {
	fmt.Fprintln(os.Stderr, "child:", err)
	return 1
}

// semWaitChild says "waiting", takes N units (a minute at most for each)
// and says "got".
func semWaitChild(target string) int {
	s, n, err := semChildOpen(target)
	if err != nil {
		return semChildFail(err)
	}
	defer s.Close()
	fmt.Println("waiting")
	for range n {
		if err := s.WaitTimeout(time.Minute); err != nil {
			return semChildFail(err)
		}
	}
	fmt.Println("got")
	return 0
}

// semPostChild posts N times.
func semPostChild(target string) int {
	s, n, err := semChildOpen(target)
	if err != nil {
		return semChildFail(err)
	}
	defer s.Close()
	for range n {
		if err := s.Post(); err != nil {
			return semChildFail(err)
		}
	}
	return 0
}

// semConsumeChild says "ready", then takes exactly N units, alternating
// TryWait and waits, and fails if any is a minute late.
func semConsumeChild(target string) int {
	s, n, err := semChildOpen(target)
	if err != nil {
		return semChildFail(err)
	}
	defer s.Close()
	fmt.Println("ready")
	for i := 0; i < n; i++ {
		if i%2 == 0 {
			ok, err := s.TryWait()
			if err != nil {
				return semChildFail(err)
			}
			if ok {
				continue
			}
		}
		if err := s.WaitTimeout(time.Minute); err != nil {
			return semChildFail(fmt.Errorf("unit %d of %d: %w", i+1, n, err))
		}
	}
	return 0
}

// semHoldChild takes one unit, says "held" and blocks until killed (or
// its stdin closes).
func semHoldChild(target string) int {
	s, _, err := semChildOpen(target)
	if err != nil {
		return semChildFail(err)
	}
	if err := s.WaitTimeout(time.Minute); err != nil {
		return semChildFail(err)
	}
	fmt.Println("held")
	io.Copy(io.Discard, os.Stdin)
	return 0
}

// semChild starts the test binary in a semaphore role, with extra
// environment settings; it returns the running command and its stdout.
func semChild(t *testing.T, role, target string, env ...string) (*exec.Cmd, *bufio.Reader) {
	t.Helper()
	cmd := childCommand(role, target)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	qt.Assert(t, err, qt.IsNil)
	out, err := cmd.StdoutPipe()
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, cmd.Start(), qt.IsNil)
	t.Cleanup(func() {
		stdin.Close()
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd, bufio.NewReader(out)
}

// expectLine reads one line from a child and checks it.
func expectLine(t *testing.T, r *bufio.Reader, want string) {
	t.Helper()
	line, err := r.ReadString('\n')
	qt.Assert(t, err, qt.IsNil, qt.Commentf("waiting for %q from a child", want))
	qt.Assert(t, strings.TrimSpace(line), qt.Equals, want)
}

// A semKind makes fresh targets of one kind of named semaphore.
type semKind struct {
	kind   ipcbuf.Kind
	target func(t *testing.T) string
}

var semKinds = []semKind{
	{ipcbuf.KindPOSIX, func(t *testing.T) string { return "*" + semName(t) }},
	{ipcbuf.KindSysV, func(t *testing.T) string { return "0x" + strconv.FormatInt(int64(semKey(t)), 16) }},
}

// semName returns a POSIX semaphore name unique to this test run, removed
// when the test ends.
func semName(t *testing.T) string {
	name := fmt.Sprintf("%s%d", testPrefix, nextID.Add(1))
	t.Cleanup(func() { semCleanup(t, "*"+name) })
	return name
}

// semKey returns a System V key unique to this test run (see sysvKey),
// whose semaphore set is removed when the test ends.
func semKey(t *testing.T) int {
	key := 0x40000000 | (os.Getpid()&0xffff)<<12 | int(nextID.Add(1)&0xfff)
	created.Lock()
	usedKeys = append(usedKeys, key)
	created.Unlock()
	t.Cleanup(func() { semCleanup(t, strconv.Itoa(key)) })
	return key
}

func semCleanup(t *testing.T, target string) {
	err := ipcbuf.RemoveSemaphore(target)
	if err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("cleanup: %v", err)
	}
}

// semExists reports whether the semaphore target exists, asking the
// system directly.
func semExists(t *testing.T, target string) bool {
	t.Helper()
	kind, name, key, err := ipcbuf.ParseTarget(target)
	qt.Assert(t, err, qt.IsNil)
	if kind == ipcbuf.KindPOSIX {
		_, err := os.Stat("/dev/shm/sem." + name)
		return err == nil
	}
	_, ok := semSetPerms(key)
	return ok
}

// forSemKinds runs f for each kind of named semaphore this build has, and
// checks that the kinds it leaves out fail as documented.
func forSemKinds(t *testing.T, f func(t *testing.T, sk semKind)) {
	for _, sk := range semKinds {
		t.Run(sk.kind.String(), func(t *testing.T) {
			if !sk.kind.Supported() {
				_, err := ipcbuf.OpenSemaphore(sk.target(t), 1)
				qt.Assert(t, err, qt.ErrorIs, errors.ErrUnsupported)
				qt.Assert(t, ipcbuf.RemoveSemaphore(sk.target(t)), qt.ErrorIs, errors.ErrUnsupported)
				t.Skipf("this build leaves %s out; checked that it says so", sk.kind)
			}
			f(t, sk)
		})
	}
}

// openSem opens a semaphore and closes it when the test ends.
func openSem(t *testing.T, target string, value int, opts ...ipcbuf.Option) *ipcbuf.Semaphore {
	t.Helper()
	s, err := ipcbuf.OpenSemaphore(target, value, opts...)
	qt.Assert(t, err, qt.IsNil)
	t.Cleanup(func() { s.Close() })
	return s
}

func semValue(t *testing.T, s *ipcbuf.Semaphore) int {
	t.Helper()
	v, err := s.Value()
	qt.Assert(t, err, qt.IsNil)
	return v
}

func TestSemaphoreBasics(t *testing.T) {
	forSemKinds(t, func(t *testing.T, sk semKind) {
		target := sk.target(t)
		s := openSem(t, target, 2, ipcbuf.Exclusive())
		kind, name, key, _ := ipcbuf.ParseTarget(target)
		if kind == ipcbuf.KindPOSIX {
			qt.Assert(t, s.Name(), qt.Equals, "*"+name)
		} else {
			qt.Assert(t, s.Name(), qt.Equals, fmt.Sprintf("0x%08x", key))
		}
		qt.Assert(t, semValue(t, s), qt.Equals, 2)
		for i, want := range []bool{true, true, false} {
			ok, err := s.TryWait()
			qt.Assert(t, err, qt.IsNil)
			qt.Assert(t, ok, qt.Equals, want, qt.Commentf("TryWait %d", i))
		}
		err := s.WaitTimeout(0)
		qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrTimeout)
		qt.Assert(t, s.Post(), qt.IsNil)
		qt.Assert(t, s.Post(), qt.IsNil)

		// Another handle sees the same count; its value is not used.
		again := openSem(t, target, 99)
		qt.Assert(t, semValue(t, again), qt.Equals, 2)
		qt.Assert(t, again.Wait(), qt.IsNil)
		qt.Assert(t, semValue(t, s), qt.Equals, 1)

		_, err = ipcbuf.OpenSemaphore(target, 0, ipcbuf.Exclusive())
		qt.Assert(t, err, qt.ErrorIs, fs.ErrExist)
		qt.Assert(t, semValue(t, s), qt.Equals, 1, qt.Commentf("a failed Exclusive changed nothing"))
		missing := sk.target(t)
		_, err = ipcbuf.OpenSemaphore(missing, 0, ipcbuf.OpenOnly())
		qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist)
		qt.Assert(t, semExists(t, missing), qt.IsFalse, qt.Commentf("OpenOnly created nothing"))

		// Close: every method then says fs.ErrClosed, and the other
		// handle goes on.
		qt.Assert(t, again.Close(), qt.IsNil)
		qt.Assert(t, again.Close(), qt.ErrorIs, fs.ErrClosed)
		qt.Assert(t, again.Post(), qt.ErrorIs, fs.ErrClosed)
		_, err = again.TryWait()
		qt.Assert(t, err, qt.ErrorIs, fs.ErrClosed)
		qt.Assert(t, again.Wait(), qt.ErrorIs, fs.ErrClosed)
		_, err = again.Value()
		qt.Assert(t, err, qt.ErrorIs, fs.ErrClosed)
		var pe *fs.PathError
		qt.Assert(t, errors.As(again.Post(), &pe), qt.IsTrue)
		qt.Assert(t, pe.Op, qt.Equals, "post")
		qt.Assert(t, pe.Path, qt.Equals, s.Name())
		qt.Assert(t, semValue(t, s), qt.Equals, 1)

		// Remove, by a closed handle: the semaphore is gone.
		qt.Assert(t, again.Remove(), qt.IsNil)
		qt.Assert(t, semExists(t, target), qt.IsFalse)
		qt.Assert(t, again.Remove(), qt.ErrorIs, fs.ErrNotExist)
		qt.Assert(t, ipcbuf.RemoveSemaphore(target), qt.ErrorIs, fs.ErrNotExist)
		_, err = ipcbuf.OpenSemaphore(target, 0, ipcbuf.OpenOnly())
		qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist)
		if kind == ipcbuf.KindSysV {
			// A System V set goes at once: the open handle says so.
			qt.Assert(t, s.Post(), qt.ErrorIs, fs.ErrNotExist)
		} else {
			// A POSIX semaphore lives on for those that have it open.
			qt.Assert(t, s.Post(), qt.IsNil)
			qt.Assert(t, semValue(t, s), qt.Equals, 2)
		}
	})
}

// TestSemaphoreRemoveAfterCloseChecksIdentity: a closed System V handle
// removes its set only if the id still names it.
func TestSemaphoreRemoveAfterCloseChecksIdentity(t *testing.T) {
	if !ipcbuf.KindSysV.Supported() {
		t.Skip("this build leaves System V out")
	}
	target := strconv.Itoa(semKey(t))
	s := openSem(t, target, 1, ipcbuf.Exclusive())
	qt.Assert(t, s.Close(), qt.IsNil)
	qt.Assert(t, ipcbuf.RemoveSemaphore(target), qt.IsNil)
	other := openSem(t, target, 5, ipcbuf.Exclusive())
	err := s.Remove()
	qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist)
	qt.Assert(t, semValue(t, other), qt.Equals, 5, qt.Commentf("the new set with the same key is untouched"))
}

func TestNamedSemaphoreBadInput(t *testing.T) {
	posix, sysv := "*"+semName(t), strconv.Itoa(semKey(t))
	long := "*" + strings.Repeat("n", 252)
	file := t.TempDir() + "/sem"
	cases := []struct {
		target string
		value  int
		opts   []ipcbuf.Option
		want   string
	}{
		{posix, -1, nil, `open \*.*: semaphore value -1 is out of range: it must be 0 to 2147483647 \(SEM_VALUE_MAX\)`},
		{posix, 1 << 31, nil, `.*value 2147483648 is out of range.*`},
		{sysv, 32768, nil, `open 0x.*: semaphore value 32768 is out of range: it must be 0 to 32767 \(SEMVMX, the System V limit\)`},
		{sysv, -5, nil, `.*value -5 is out of range.*`},
		{file, 0, nil, `open .*: ".*" is a file path: a semaphore is \*name \(POSIX\) or a System V key`},
		{"./123", 0, nil, `.*is a file path.*`},
		{"", 0, nil, `.*empty target.*`},
		{"0", 0, nil, `.*IPC_PRIVATE.*`},
		{"*a/b", 0, nil, `.*contains '/'.*`},
		{long, 0, nil, `.*name is 252 bytes; the limit is 251.*`},
		{posix, 0, []ipcbuf.Option{ipcbuf.ReadOnly()}, `.*ReadOnly makes no sense for a semaphore.*`},
		{sysv, 0, []ipcbuf.Option{ipcbuf.ReadOnly()}, `.*ReadOnly makes no sense.*`},
		{posix, 0, []ipcbuf.Option{ipcbuf.Exclusive(), ipcbuf.OpenOnly()}, `.*never succeed.*`},
		{sysv, 0, []ipcbuf.Option{ipcbuf.Mode(0o1777)}, `.*outside the permission bits.*`},
		{posix, 0, []ipcbuf.Option{ipcbuf.SemUndo()}, `.*SemUndo is for System V semaphores only.*`},
		{posix, 0, []ipcbuf.Option{nil}, `.*nil Option.*`},
	}
	for _, c := range cases {
		_, err := ipcbuf.OpenSemaphore(c.target, c.value, c.opts...)
		qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid, qt.Commentf("%q %d", c.target, c.value))
		qt.Assert(t, err, qt.ErrorMatches, c.want)
		var pe *fs.PathError
		qt.Assert(t, errors.As(err, &pe), qt.IsTrue)
		qt.Assert(t, pe.Op, qt.Equals, "open")
	}
	for _, target := range []string{file, "", "0", "*a/b", long} {
		qt.Assert(t, ipcbuf.RemoveSemaphore(target), qt.ErrorIs, fs.ErrInvalid)
	}
	// Nothing was made; the file target was never touched.
	qt.Assert(t, semExists(t, posix), qt.IsFalse)
	qt.Assert(t, semExists(t, sysv), qt.IsFalse)
	_, err := os.Stat(file)
	qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist)

	forSemKinds(t, func(t *testing.T, sk semKind) {
		s := openSem(t, sk.target(t), 1)
		err := s.WaitTimeout(-time.Second)
		qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid)
		qt.Assert(t, err, qt.ErrorMatches, `wait .*: negative timeout -1s`)
		qt.Assert(t, semValue(t, s), qt.Equals, 1)
	})
}

// TestSemaphoreNotASemaphore: a target that names another kind of object
// is a clear error, never a crash.
func TestSemaphoreNotASemaphore(t *testing.T) {
	if ipcbuf.KindPOSIX.Supported() {
		name := shmName(t)
		b := open(t, "*"+name, 4096)
		b.Close()
		_, err := ipcbuf.OpenSemaphore("*"+name, 0, ipcbuf.OpenOnly())
		qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist)
		qt.Assert(t, err, qt.ErrorMatches, `.*is a POSIX shared memory object, not a semaphore.*`)

		// An empty file where a semaphore's would be: glibc would map it
		// and fault on first use.
		sname := semName(t)
		qt.Assert(t, os.WriteFile("/dev/shm/sem."+sname, nil, 0o600), qt.IsNil)
		_, err = ipcbuf.OpenSemaphore("*"+sname, 0)
		qt.Assert(t, err, qt.ErrorMatches, `open \*.*: /dev/shm/sem\..* is 0 bytes, too short for a semaphore: it is not one`)
		qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid)
		_, err = os.Stat("/dev/shm/sem." + sname)
		qt.Assert(t, err, qt.IsNil, qt.Commentf("an object that is not ours is left alone"))
	}
	if ipcbuf.KindSysV.Supported() {
		key := sysvKey(t)
		b := open(t, strconv.Itoa(key), 4096)
		b.Close()
		_, err := ipcbuf.OpenSemaphore(strconv.Itoa(key), 0, ipcbuf.OpenOnly())
		qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist)
		qt.Assert(t, err, qt.ErrorMatches, `.*names a System V shared memory segment, not a semaphore set.*`)
	}
}

// semMode returns the permission bits of the semaphore target, as the
// system shows them.
func semMode(t *testing.T, target string) fs.FileMode {
	t.Helper()
	kind, name, key, err := ipcbuf.ParseTarget(target)
	qt.Assert(t, err, qt.IsNil)
	if kind == ipcbuf.KindPOSIX {
		fi, err := os.Stat("/dev/shm/sem." + name)
		qt.Assert(t, err, qt.IsNil)
		return fi.Mode().Perm()
	}
	perms, ok := semSetPerms(key)
	qt.Assert(t, ok, qt.IsTrue)
	m, err := strconv.ParseUint(perms, 8, 32)
	qt.Assert(t, err, qt.IsNil)
	return fs.FileMode(m) & fs.ModePerm
}

func TestSemaphoreModeExactUnderUmask(t *testing.T) {
	forSemKinds(t, func(t *testing.T, sk semKind) {
		for _, umask := range []int{0o077, 0o022, 0o000} {
			for _, mode := range []fs.FileMode{0, 0o600, 0o640, 0o666, 0o604} {
				target := sk.target(t)
				var opts []ipcbuf.Option
				if mode != 0 {
					opts = append(opts, ipcbuf.Mode(mode))
				}
				old := syscall.Umask(umask)
				s, err := ipcbuf.OpenSemaphore(target, 0, opts...)
				syscall.Umask(old)
				qt.Assert(t, err, qt.IsNil)
				s.Close()
				want := mode
				if want == 0 {
					want = 0o600
				}
				qt.Assert(t, semMode(t, target), qt.Equals, want, qt.Commentf("umask %#o, mode %#o", umask, mode))
				// Opening an existing semaphore leaves its mode alone.
				s, err = ipcbuf.OpenSemaphore(target, 0, ipcbuf.Mode(0o644))
				qt.Assert(t, err, qt.IsNil)
				s.Close()
				qt.Assert(t, semMode(t, target), qt.Equals, want)
			}
		}
	})
}

func TestSemaphoreCrossProcess(t *testing.T) {
	forSemKinds(t, func(t *testing.T, sk semKind) {
		target := sk.target(t)
		s := openSem(t, target, 0, ipcbuf.Exclusive())

		// The child waits, the parent posts.
		cmd, out := semChild(t, "sem-wait", target)
		expectLine(t, out, "waiting")
		qt.Assert(t, s.Post(), qt.IsNil)
		expectLine(t, out, "got")
		qt.Assert(t, cmd.Wait(), qt.IsNil)

		// The parent waits, the child posts three times.
		cmd, _ = semChild(t, "sem-post", target, semCountEnv+"=3")
		for range 3 {
			qt.Assert(t, s.WaitTimeout(time.Minute), qt.IsNil)
		}
		qt.Assert(t, cmd.Wait(), qt.IsNil)
		qt.Assert(t, semValue(t, s), qt.Equals, 0)
	})
}

// TestSemaphoreProducersConsumers: N producer and M consumer processes on
// one semaphore; every post is consumed exactly once. Each consumer takes
// a fixed share of the posts, waiting at most a minute for each: a lost
// post would leave a consumer short, a post counted twice would leave
// units over at the end.
func TestNamedSemaphoreProducersConsumers(t *testing.T) {
	forSemKinds(t, func(t *testing.T, sk semKind) {
		const producers, perProducer = 3, 300
		shares := []int{100, 350, 450} // M = 3 consumers, 900 units
		target := sk.target(t)
		s := openSem(t, target, 0, ipcbuf.Exclusive())

		var consumers []*exec.Cmd
		for _, n := range shares {
			cmd, out := semChild(t, "sem-consume", target, semCountEnv+"="+strconv.Itoa(n))
			expectLine(t, out, "ready")
			consumers = append(consumers, cmd)
		}
		var prods []*exec.Cmd
		for range producers {
			cmd, _ := semChild(t, "sem-post", target, semCountEnv+"="+strconv.Itoa(perProducer))
			prods = append(prods, cmd)
		}
		for i, cmd := range append(prods, consumers...) {
			qt.Assert(t, cmd.Wait(), qt.IsNil, qt.Commentf("process %d", i))
		}
		qt.Assert(t, semValue(t, s), qt.Equals, 0, qt.Commentf("%d posted, %d taken", producers*perProducer, 900))
		ok, err := s.TryWait()
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, ok, qt.IsFalse)
	})
}

func TestSemaphoreWaitTimeout(t *testing.T) {
	forSemKinds(t, func(t *testing.T, sk semKind) {
		s := openSem(t, sk.target(t), 0)
		for _, d := range []time.Duration{0, time.Millisecond, 30 * time.Millisecond, 120 * time.Millisecond} {
			start := time.Now()
			err := s.WaitTimeout(d)
			qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrTimeout)
			qt.Assert(t, err, qt.ErrorIs, os.ErrDeadlineExceeded)
			qt.Assert(t, time.Since(start) >= d, qt.IsTrue, qt.Commentf("returned before %v", d))
		}
		// A post during the wait ends it with the unit.
		go func() {
			time.Sleep(20 * time.Millisecond)
			s.Post()
		}()
		qt.Assert(t, s.WaitTimeout(time.Minute), qt.IsNil)
		qt.Assert(t, semValue(t, s), qt.Equals, 0)
	})
}

func TestSemaphoreWaitContext(t *testing.T) {
	forSemKinds(t, func(t *testing.T, sk semKind) {
		s := openSem(t, sk.target(t), 0)

		// Cancelled during the wait: ctx's error, promptly (a bound that
		// only a hang would pass).
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(30*time.Millisecond, cancel)
		start := time.Now()
		err := s.WaitContext(ctx)
		qt.Assert(t, err, qt.ErrorIs, context.Canceled)
		qt.Assert(t, time.Since(start) < 30*time.Second, qt.IsTrue)

		// Already done: no unit is taken.
		qt.Assert(t, s.Post(), qt.IsNil)
		qt.Assert(t, s.WaitContext(ctx), qt.ErrorIs, context.Canceled)
		qt.Assert(t, semValue(t, s), qt.Equals, 1)
		qt.Assert(t, s.WaitContext(context.Background()), qt.IsNil)

		// A deadline is ctx.Err(), not ErrTimeout's wrapper.
		dctx, dcancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer dcancel()
		qt.Assert(t, s.WaitContext(dctx), qt.ErrorIs, context.DeadlineExceeded)

		// Many waiters, cancelled together, all return; then a post
		// reaches a new waiter.
		ctx, cancel = context.WithCancel(context.Background())
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Add(1)
			go func() { defer wg.Done(); errs <- s.WaitContext(ctx) }()
		}
		time.Sleep(20 * time.Millisecond)
		cancel()
		wg.Wait()
		close(errs)
		for err := range errs {
			qt.Assert(t, err, qt.ErrorIs, context.Canceled)
		}
		qt.Assert(t, semValue(t, s), qt.Equals, 0)
	})
}

// TestSemaphoreCloseDuringWait: Close while goroutines wait makes them
// return fs.ErrClosed, and Close itself returns.
func TestSemaphoreCloseDuringWait(t *testing.T) {
	forSemKinds(t, func(t *testing.T, sk semKind) {
		target := sk.target(t)
		keep := openSem(t, target, 0)
		s := openSem(t, target, 0)
		errs := make(chan error, 4)
		for range 4 {
			go func() { errs <- s.Wait() }()
		}
		time.Sleep(20 * time.Millisecond)
		qt.Assert(t, s.Close(), qt.IsNil)
		for range 4 {
			qt.Assert(t, <-errs, qt.ErrorIs, fs.ErrClosed)
		}
		qt.Assert(t, semValue(t, keep), qt.Equals, 0)
	})
}

// TestSemaphoreEINTR: signals delivered to the very thread that waits,
// every millisecond, never surface: a timeout still runs its full time and
// a post still ends the wait. semtimedop is never restarted after a
// handler (signal(7)), so System V waits see EINTR and retry; glibc's
// sem_clockwait mostly restarts in the kernel, since Go's handlers use
// SA_RESTART.
func TestSemaphoreEINTR(t *testing.T) {
	forSemKinds(t, func(t *testing.T, sk semKind) {
		s := openSem(t, sk.target(t), 0)
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGUSR1)
		defer signal.Stop(sigs)
		before := ipcbuf.SemEINTRs.Load()

		waitUnderFire := func(wait func() error) error {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			tid := syscall.Gettid()
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() {
				defer close(done)
				for {
					select {
					case <-stop:
						return
					case <-sigs:
					case <-time.After(time.Millisecond):
					}
					syscall.Tgkill(os.Getpid(), tid, syscall.SIGUSR1)
				}
			}()
			err := wait()
			close(stop)
			<-done
			return err
		}

		start := time.Now()
		err := waitUnderFire(func() error { return s.WaitTimeout(300 * time.Millisecond) })
		qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrTimeout)
		qt.Assert(t, time.Since(start) >= 300*time.Millisecond, qt.IsTrue)

		time.AfterFunc(150*time.Millisecond, func() { s.Post() })
		qt.Assert(t, waitUnderFire(s.Wait), qt.IsNil)
		qt.Assert(t, semValue(t, s), qt.Equals, 0)

		eintrs := ipcbuf.SemEINTRs.Load() - before
		t.Logf("%d waits interrupted and retried", eintrs)
		qt.Assert(t, eintrs > 0, qt.IsTrue, qt.Commentf("no wait saw EINTR: the signals missed the waiting thread"))
	})
}

// semRounds is how many rounds the SIGKILL tests run: a few in go test,
// many with IPCBUF_SOAK=1.
func semRounds() int {
	if relSoak() {
		return 200
	}
	return 8
}

// TestSoakSemaphoreKilledWaiter (scenario 27, semaphore part):
// W processes wait; W posts are made while one waiter, picked at random,
// is killed with SIGKILL at a random moment among them. Every survivor
// must get its unit: a wake-up the killed process was given and never
// used must reach the others. The killed process may have taken a unit
// before it died (the kernel completes a System V wait for the sleeper
// before it runs), so the count is then 0 or 1. In the System V rounds
// with SemUndo, the kernel gives back every unit of every waiter when it
// exits, the killed one's included: the count ends at W.
//
// For System V the kernel does it. For POSIX, glibc's sem_post wakes one
// futex waiter, and a waiter killed between that wake and taking the unit
// would leave the others asleep with the count above zero; ipcbuf's
// waiters never sleep longer than a slice (50ms) before they look at the
// count again, so they find it.
func TestSoakSemaphoreKilledWaiter(t *testing.T) {
	forSemKinds(t, func(t *testing.T, sk semKind) {
		rng := relRand(t)
		const waiters = 3
		for round := range semRounds() {
			undo := sk.kind == ipcbuf.KindSysV && round%2 == 0
			target := sk.target(t)
			s := openSem(t, target, 0, ipcbuf.Exclusive())
			env := []string{}
			if undo {
				env = append(env, semUndoEnv+"=1")
			}
			var cmds []*exec.Cmd
			var outs []*bufio.Reader
			for range waiters {
				cmd, out := semChild(t, "sem-wait", target, env...)
				expectLine(t, out, "waiting")
				cmds, outs = append(cmds, cmd), append(outs, out)
			}
			time.Sleep(time.Duration(rng.IntN(20)) * time.Millisecond)
			victim := rng.IntN(waiters)
			killAt := rng.IntN(waiters + 1) // kill before post number killAt
			for i := 0; i <= waiters; i++ {
				if i == killAt {
					qt.Assert(t, cmds[victim].Process.Signal(syscall.SIGKILL), qt.IsNil)
				}
				if i < waiters {
					qt.Assert(t, s.Post(), qt.IsNil)
					if rng.IntN(2) == 0 {
						time.Sleep(time.Duration(rng.IntN(500)) * time.Microsecond)
					}
				}
			}
			err := cmds[victim].Wait()
			// It may also have got its unit and exited before the kill.
			if err != nil {
				var ee *exec.ExitError
				qt.Assert(t, errors.As(err, &ee), qt.IsTrue)
			}
			killed := err != nil
			for i, cmd := range cmds {
				if i == victim {
					continue
				}
				expectLine(t, outs[i], "got")
				qt.Assert(t, cmd.Wait(), qt.IsNil, qt.Commentf("round %d: survivor %d", round, i))
			}
			v := semValue(t, s)
			switch {
			case undo:
				// Every waiter has exited, and the kernel took back what
				// each took, the killed one's unit too if it had one.
				qt.Assert(t, v, qt.Equals, waiters, qt.Commentf("round %d: SEM_UNDO gives every unit back at exit", round))
			case !killed:
				qt.Assert(t, v, qt.Equals, 0, qt.Commentf("round %d: everyone got a unit", round))
			default:
				qt.Assert(t, v >= 0 && v <= 1, qt.IsTrue, qt.Commentf("round %d: value %d", round, v))
			}
		}
	})
}

// TestSemaphoreUndo: a process that took a unit with SemUndo and is
// killed gives it back; one without SemUndo does not.
func TestSemaphoreUndo(t *testing.T) {
	if !ipcbuf.KindSysV.Supported() {
		t.Skip("this build leaves System V out")
	}
	for _, undo := range []bool{true, false} {
		target := strconv.Itoa(semKey(t))
		s := openSem(t, target, 1, ipcbuf.Exclusive())
		env := semUndoEnv + "=0"
		if undo {
			env = semUndoEnv + "=1"
		}
		cmd, out := semChild(t, "sem-hold", target, env)
		expectLine(t, out, "held")
		qt.Assert(t, semValue(t, s), qt.Equals, 0)
		qt.Assert(t, cmd.Process.Signal(syscall.SIGKILL), qt.IsNil)
		qt.Assert(t, cmd.Wait(), qt.Not(qt.IsNil))
		want := 0
		if undo {
			want = 1
		}
		qt.Assert(t, semValue(t, s), qt.Equals, want, qt.Commentf("SemUndo %v", undo))
	}

	// SemUndo in this process: a wait and a post cancel out.
	target := strconv.Itoa(semKey(t))
	s := openSem(t, target, 1, ipcbuf.Exclusive(), ipcbuf.SemUndo())
	qt.Assert(t, s.Wait(), qt.IsNil)
	qt.Assert(t, s.Post(), qt.IsNil)
	qt.Assert(t, semValue(t, s), qt.Equals, 1)
}
