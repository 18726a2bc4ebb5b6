//go:build cgo && windows

package ipcbuf_test

// Named semaphores on Windows (Win32 semaphores Local\sem.name), across
// two processes, and what Windows cannot do: System V keys, and the
// futex-based coordination in a buffer (Buffer.Wait and Wake, NewSemaphore,
// the Ring).

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	qt "github.com/frankban/quicktest"

	"github.com/ipcbuf/ipcbuf"
	"github.com/ipcbuf/ipcbuf/cshim"
)

func init() {
	childRoles["winsem-post"] = winSemPostChild
	childRoles["winsem-wait"] = winSemWaitChild
}

// winSemPostChild opens the existing semaphore target and posts once.
func winSemPostChild(target string) int {
	s, err := ipcbuf.OpenSemaphore(target, 0, ipcbuf.OpenOnly())
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	defer s.Close()
	if err := s.Post(); err != nil {
		fmt.Fprintln(os.Stderr, "child: post:", err)
		return 1
	}
	return 0
}

// winSemWaitChild opens the existing semaphore target, says "waiting",
// waits (for a minute at most) and says "got".
func winSemWaitChild(target string) int {
	s, err := ipcbuf.OpenSemaphore(target, 0, ipcbuf.OpenOnly())
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	defer s.Close()
	fmt.Println("waiting")
	if err := s.WaitTimeout(time.Minute); err != nil {
		fmt.Fprintln(os.Stderr, "child: wait:", err)
		return 1
	}
	fmt.Println("got")
	return 0
}

// winSemTarget returns a semaphore name unique to this test run. A Windows
// semaphore goes with its last handle: the cleanup checks that the test
// closed every one it opened.
func winSemTarget(t *testing.T) string {
	target := fmt.Sprintf("*%s%d", testPrefix, nextID.Add(1))
	t.Cleanup(func() {
		if s, err := ipcbuf.OpenSemaphore(target, 0, ipcbuf.OpenOnly()); err == nil {
			s.Close()
			t.Errorf("semaphore %s is still open at the end of the test", target)
		}
	})
	return target
}

// openSem opens a semaphore and closes it when the test ends.
func openSem(t *testing.T, target string, value int, opts ...ipcbuf.Option) *ipcbuf.Semaphore {
	t.Helper()
	s, err := ipcbuf.OpenSemaphore(target, value, opts...)
	qt.Assert(t, err, qt.IsNil)
	t.Cleanup(func() { s.Close() })
	return s
}

// TestWindowsSemaphoreProcesses: a post in one Wine process wakes a wait
// in another, both ways.
func TestWindowsSemaphoreProcesses(t *testing.T) {
	mutexWatchdog(t, 3*time.Minute)
	target := winSemTarget(t)
	s := openSem(t, target, 0, ipcbuf.Exclusive())

	// The child posts; the parent's wait (bounded) takes the unit.
	done := make(chan error, 1)
	go func() { done <- s.WaitTimeout(2 * time.Minute) }()
	startChild(t, "winsem-post", target)
	qt.Assert(t, <-done, qt.IsNil)
	v, err := s.Value()
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, v, qt.Equals, 0)

	// The child waits; the parent's post wakes it.
	c := startMutexChild(t, "winsem-wait", target)
	c.expect(t, "waiting")
	time.Sleep(50 * time.Millisecond) // most likely asleep by now; either way it must get the unit
	qt.Assert(t, s.Post(), qt.IsNil)
	c.expect(t, "got")
	qt.Assert(t, c.wait(), qt.IsNil, qt.Commentf("%s", c.stderr.Bytes()))
	v, err = s.Value()
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, v, qt.Equals, 0)
}

// TestWindowsSemaphoreExclusiveOpenOnly: Exclusive and OpenOnly as for
// POSIX; the handle an Exclusive open gets to an existing semaphore is
// closed (the semaphore is gone once the test's own handles are).
func TestWindowsSemaphoreExclusiveOpenOnly(t *testing.T) {
	target := winSemTarget(t)
	_, err := ipcbuf.OpenSemaphore(target, 0, ipcbuf.OpenOnly())
	qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist)
	qt.Assert(t, err, qt.ErrorMatches, `open \*`+testPrefix+`\d+: .*`)
	qt.Assert(t, ipcbuf.RemoveSemaphore(target), qt.ErrorIs, fs.ErrNotExist)

	s, err := ipcbuf.OpenSemaphore(target, 2, ipcbuf.Exclusive())
	qt.Assert(t, err, qt.IsNil)
	for range 3 {
		_, err = ipcbuf.OpenSemaphore(target, 0, ipcbuf.Exclusive())
		qt.Assert(t, err, qt.ErrorIs, fs.ErrExist)
	}
	again, err := ipcbuf.OpenSemaphore(target, 7) // opens: the value is not used
	qt.Assert(t, err, qt.IsNil)
	only, err := ipcbuf.OpenSemaphore(target, 0, ipcbuf.OpenOnly())
	qt.Assert(t, err, qt.IsNil)
	for _, x := range []*ipcbuf.Semaphore{s, again, only} {
		v, err := x.Value()
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, v, qt.Equals, 2)
	}
	ok, err := only.TryWait()
	qt.Assert(t, ok && err == nil, qt.IsTrue)
	v, err := again.Value()
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, v, qt.Equals, 1) // one semaphore

	// Remove: the name stays while a handle is open, so it does nothing
	// but check that the semaphore exists.
	qt.Assert(t, s.Remove(), qt.IsNil)
	qt.Assert(t, ipcbuf.RemoveSemaphore(target), qt.IsNil)
	qt.Assert(t, s.Close(), qt.IsNil)
	qt.Assert(t, again.Close(), qt.IsNil)
	qt.Assert(t, only.Remove(), qt.IsNil) // only's handle keeps it
	qt.Assert(t, only.Close(), qt.IsNil)

	// Every handle closed, those of the Exclusive opens too: it is gone.
	_, err = ipcbuf.OpenSemaphore(target, 0, ipcbuf.OpenOnly())
	qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist)
	qt.Assert(t, ipcbuf.RemoveSemaphore(target), qt.ErrorIs, fs.ErrNotExist)
	err = s.Remove()
	qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist)
	qt.Assert(t, err, qt.ErrorMatches, `remove \*`+testPrefix+`\d+: .*`)

	// A new one starts from its own value.
	s = openSem(t, target, 5)
	v, err = s.Value()
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, v, qt.Equals, 5)
}

// TestWindowsSemaphoreGlobalMode: Global names Global\sem.name, which an
// open without it (Local\) does not see; a Mode that lets other users in
// is unsupported, as for sections, and creates nothing.
func TestWindowsSemaphoreGlobalMode(t *testing.T) {
	target := winSemTarget(t)
	g := openSem(t, target, 3, ipcbuf.Global(), ipcbuf.Exclusive())
	_, err := ipcbuf.OpenSemaphore(target, 0, ipcbuf.OpenOnly())
	qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist)
	qt.Assert(t, ipcbuf.RemoveSemaphore(target), qt.ErrorIs, fs.ErrNotExist) // it looks in Local\
	qt.Assert(t, g.Remove(), qt.IsNil)                                       // it looks where g is
	g2 := openSem(t, target, 0, ipcbuf.Global(), ipcbuf.OpenOnly())
	v, err := g2.Value()
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, v, qt.Equals, 3)

	for _, mode := range []fs.FileMode{0o660, 0o604, 0o777} {
		other := winSemTarget(t)
		_, err := ipcbuf.OpenSemaphore(other, 0, ipcbuf.Mode(mode))
		qt.Assert(t, err, qt.ErrorIs, errors.ErrUnsupported)
		qt.Assert(t, err, qt.ErrorMatches, fmt.Sprintf(`open \*.*: Mode %#o lets other users in, .*`, uint32(mode)))
		_, err = ipcbuf.OpenSemaphore(other, 0, ipcbuf.OpenOnly())
		qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist)
	}
	own := openSem(t, winSemTarget(t), 0, ipcbuf.Mode(0o600))
	qt.Assert(t, own.Post(), qt.IsNil)
}

// TestWindowsSemaphoreWaits: the bounded waits, contexts, Close of a
// semaphore that a goroutine waits on, and the largest count.
func TestWindowsSemaphoreWaits(t *testing.T) {
	mutexWatchdog(t, 2*time.Minute)
	target := winSemTarget(t)
	s := openSem(t, target, 0)

	ok, err := s.TryWait()
	qt.Assert(t, ok, qt.IsFalse)
	qt.Assert(t, err, qt.IsNil)
	err = s.WaitTimeout(30 * time.Millisecond)
	qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrTimeout)
	qt.Assert(t, err, qt.ErrorMatches, `wait \*`+testPrefix+`\d+: ipcbuf: timed out`)
	qt.Assert(t, s.WaitTimeout(0), qt.ErrorIs, ipcbuf.ErrTimeout)
	qt.Assert(t, s.WaitTimeout(-time.Second), qt.ErrorIs, fs.ErrInvalid)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	qt.Assert(t, s.WaitContext(ctx), qt.ErrorIs, context.DeadlineExceeded)
	ctx, cancel = context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.WaitContext(ctx) }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	qt.Assert(t, <-done, qt.ErrorIs, context.Canceled)

	// A post wakes a blocked Wait.
	go func() { done <- s.Wait() }()
	time.Sleep(20 * time.Millisecond)
	qt.Assert(t, s.Post(), qt.IsNil)
	qt.Assert(t, <-done, qt.IsNil)

	// The count stops at its largest value, as POSIX's does (EOVERFLOW).
	full := openSem(t, winSemTarget(t), math.MaxInt32)
	err = full.Post()
	qt.Assert(t, err, qt.ErrorIs, syscall.EOVERFLOW)
	qt.Assert(t, err, qt.ErrorMatches, `post \*.*: the semaphore is at its largest value, 2147483647: .*`)
	v, err := full.Value()
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, v, qt.Equals, math.MaxInt32)
	ok, err = full.TryWait()
	qt.Assert(t, ok && err == nil, qt.IsTrue)
	qt.Assert(t, full.Post(), qt.IsNil)

	// Close ends this process's waits.
	go func() { done <- s.Wait() }()
	time.Sleep(20 * time.Millisecond)
	qt.Assert(t, s.Close(), qt.IsNil)
	qt.Assert(t, <-done, qt.ErrorIs, fs.ErrClosed)
	qt.Assert(t, s.Close(), qt.ErrorIs, fs.ErrClosed)
	qt.Assert(t, s.Post(), qt.ErrorIs, fs.ErrClosed)
	_, err = s.Value()
	qt.Assert(t, err, qt.ErrorIs, fs.ErrClosed)
}

// TestWindowsSemaphoreBadInput: names Windows refuses, a name taken by an
// object of another type, System V keys, and the options that make no
// sense.
func TestWindowsSemaphoreBadInput(t *testing.T) {
	for _, target := range []string{`*a\b`, `*` + testPrefix + `\x`} {
		_, err := ipcbuf.OpenSemaphore(target, 0)
		qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid)
		qt.Assert(t, err, qt.ErrorMatches, `open .*: semaphore name .* contains '\\', which Windows does not allow in the name of a kernel object`)
		qt.Assert(t, ipcbuf.RemoveSemaphore(target), qt.ErrorIs, fs.ErrInvalid)
	}
	// A name that an object of another type holds.
	name := fmt.Sprintf("%s%d", testPrefix, nextID.Add(1))
	h, _, err := cshim.WinMutexCreate(`Local\sem.` + name)
	qt.Assert(t, err, qt.IsNil)
	defer cshim.WinCloseHandle(h)
	for _, opts := range [][]ipcbuf.Option{nil, {ipcbuf.OpenOnly()}, {ipcbuf.Exclusive()}} {
		_, err = ipcbuf.OpenSemaphore("*"+name, 0, opts...)
		qt.Assert(t, err, qt.ErrorMatches, `open \*`+name+`: Local\\sem\.`+name+` is a Windows object of another type .*, not a semaphore: .*`)
	}

	_, err = ipcbuf.OpenSemaphore("*x", 0, ipcbuf.ReadOnly())
	qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid)
	_, err = ipcbuf.OpenSemaphore("*x", -1)
	qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid)

	// System V does not exist on Windows.
	for _, target := range []string{"0x1234", strconv.Itoa(0x40001234)} {
		_, err := ipcbuf.OpenSemaphore(target, 0)
		qt.Assert(t, err, qt.ErrorIs, errors.ErrUnsupported)
		qt.Assert(t, err, qt.ErrorMatches, `open 0x[0-9a-f]{8}: System V semaphores do not exist on Windows: .*`)
		err = ipcbuf.RemoveSemaphore(target)
		qt.Assert(t, err, qt.ErrorIs, errors.ErrUnsupported)
		qt.Assert(t, err, qt.ErrorMatches, `remove 0x[0-9a-f]{8}: System V semaphores .* Windows.*`)
	}
}

// TestWindowsFutexUnsupported: what waits on a word of shared memory
// fails on Windows, at once and saying why.
func TestWindowsFutexUnsupported(t *testing.T) {
	b, err := ipcbuf.Alloc(1 << 16)
	qt.Assert(t, err, qt.IsNil)
	defer b.Close()
	check := func(what string, err error) {
		t.Helper()
		qt.Assert(t, err, qt.ErrorIs, errors.ErrUnsupported, qt.Commentf("%s", what))
		qt.Assert(t, err, qt.ErrorMatches, `.*needs a futex that processes share, and Windows has none \(WaitOnAddress wakes only threads of the same process\).*`, qt.Commentf("%s", what))
	}
	check("Wait", b.Wait(0, 0))
	check("WaitTimeout", b.WaitTimeout(0, 0, time.Second))
	check("WaitContext", b.WaitContext(context.Background(), 0, 0))
	_, err = b.Wake(0, 1)
	check("Wake", err)
	_, err = b.WakeAll(0)
	check("WakeAll", err)
	_, err = ipcbuf.NewSemaphore(b, 0)
	check("NewSemaphore", err)
	_, err = ipcbuf.InitSemaphore(b, 0, 1)
	check("InitSemaphore", err)
	_, err = ipcbuf.CreateRing(b)
	check("CreateRing", err)
	_, err = ipcbuf.OpenRing(b)
	check("OpenRing", err)
}

// BenchmarkWindowsSemaphorePostTryWait: one uncontended Post and TryWait
// per op on a Win32 named semaphore (ReleaseSemaphore, and
// WaitForSingleObject with no wait):
//
//	go test -run '^$' -bench BenchmarkWindowsSemaphorePostTryWait .
func BenchmarkWindowsSemaphorePostTryWait(b *testing.B) {
	s, err := ipcbuf.OpenSemaphore(fmt.Sprintf("*%sbench-sem", testPrefix), 0, ipcbuf.Exclusive())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for b.Loop() {
		if err := s.Post(); err != nil {
			b.Fatal(err)
		}
		if ok, err := s.TryWait(); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
