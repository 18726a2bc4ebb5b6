//go:build linux

package ipcbuf_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	qt "github.com/frankban/quicktest"

	"github.com/ipcbuf/ipcbuf"
)

func init() {
	childRoles["futex-wait-once"] = futexWaitOnceChild
	childRoles["futex-pingpong"] = futexPingPongChild
}

// Words of the wait/wake tests.
const (
	futexWord    = 0 // waited on
	futexStarted = 8 // children add 1 here before they wait
)

// futexWaitOnceChild waits once on the word while it holds 0 and prints
// what Wait returned and what the word held then.
func futexWaitOnceChild(target string) int {
	b, err := ipcbuf.Open(target, 0, ipcbuf.OpenOnly())
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	defer b.Close()
	if _, err := b.AddUint32(futexStarted, 1); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	err = b.Wait(futexWord, 0)
	v, _ := b.LoadUint32(futexWord)
	fmt.Printf("woken err=%v word=%d\n", err, v)
	return 0
}

// futexPingPongChild answers each odd value the parent stores with the
// next even one, and wakes the parent.
func futexPingPongChild(target string) int {
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "child:", err); return 1 }
	b, err := ipcbuf.Open(target, 0, ipcbuf.OpenOnly())
	if err != nil {
		return fail(err)
	}
	defer b.Close()
	rounds, _ := strconv.Atoi(os.Getenv("IPCBUF_TEST_ROUNDS"))
	for i := range rounds {
		if err := waitFor(b, futexWord, uint32(2*i+1)); err != nil {
			return fail(err)
		}
		if err := b.StoreUint32(futexWord, uint32(2*i+2)); err != nil {
			return fail(err)
		}
		if _, err := b.Wake(futexWord, 1); err != nil {
			return fail(err)
		}
	}
	return 0
}

// waitFor sleeps until the word at off holds want, as a futex user does:
// wait while it holds what it holds, and look again.
func waitFor(b *ipcbuf.Buffer, off int, want uint32) error {
	deadline := time.Now().Add(time.Minute)
	for {
		v, err := b.LoadUint32(off)
		if err != nil || v == want {
			return err
		}
		if err := b.WaitTimeout(off, v, time.Until(deadline)); err != nil {
			return fmt.Errorf("waiting for %d at %d (it holds %d): %w", want, off, v, err)
		}
	}
}

// TestWaitWakeAcrossProcesses: three processes sleep on a word; Wake(…, 1)
// from this process reaches them one at a time, and each returns nil with
// the word unchanged, so it was the wake that ended its wait. Then a
// ping-pong of 200 hand-offs through Wait and Wake.
func TestWaitWakeAcrossProcesses(t *testing.T) {
	forKinds(t, func(t *testing.T, kc kindCase) {
		target := kc.target(t)
		b := open(t, target, 4096, ipcbuf.Exclusive())
		const children = 3
		var cmds []*exec.Cmd
		outs := make([]strings.Builder, children)
		for i := range children {
			cmd := childCommand("futex-wait-once", target)
			cmd.Stdout, cmd.Stderr = &outs[i], &outs[i]
			qt.Assert(t, cmd.Start(), qt.IsNil)
			cmds = append(cmds, cmd)
			t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		}
		woken := 0
		deadline := time.Now().Add(time.Minute)
		for woken < children && time.Now().Before(deadline) {
			n, err := b.Wake(futexWord, 1)
			qt.Assert(t, err, qt.IsNil)
			qt.Assert(t, n <= 1, qt.IsTrue, qt.Commentf("Wake(…, 1) woke %d", n))
			woken += n
			if n == 0 {
				time.Sleep(time.Millisecond)
			}
		}
		qt.Assert(t, woken, qt.Equals, children, qt.Commentf("processes woken"))
		for i, cmd := range cmds {
			qt.Assert(t, cmd.Wait(), qt.IsNil, qt.Commentf("child %d: %s", i, outs[i].String()))
			qt.Assert(t, outs[i].String(), qt.Equals, "woken err=<nil> word=0\n")
		}
		n, err := b.WakeAll(futexWord)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, n, qt.Equals, 0, qt.Commentf("no one is left to wake"))

		const rounds = 200
		cmd := childCommand("futex-pingpong", target)
		cmd.Env = append(cmd.Env, "IPCBUF_TEST_ROUNDS="+strconv.Itoa(rounds))
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		qt.Assert(t, cmd.Start(), qt.IsNil)
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		for i := range rounds {
			qt.Assert(t, b.StoreUint32(futexWord, uint32(2*i+1)), qt.IsNil)
			_, err := b.Wake(futexWord, 1)
			qt.Assert(t, err, qt.IsNil)
			qt.Assert(t, waitFor(b, futexWord, uint32(2*i+2)), qt.IsNil)
		}
		qt.Assert(t, cmd.Wait(), qt.IsNil, qt.Commentf("%s", out.String()))
	})
}

// waitKinds runs f on a memory buffer and on a buffer of each shared kind.
func waitKinds(t *testing.T, f func(t *testing.T, b *ipcbuf.Buffer)) {
	t.Run("memory", func(t *testing.T) {
		b, err := ipcbuf.Alloc(4096)
		qt.Assert(t, err, qt.IsNil)
		f(t, b)
	})
	forKinds(t, func(t *testing.T, kc kindCase) {
		f(t, open(t, kc.target(t), 4096, ipcbuf.Exclusive()))
	})
}

// TestWakeCounts: Wake(off, n) wakes at most n goroutines and says how
// many; with no waiter it wakes none; WakeAll wakes the rest.
func TestWakeCounts(t *testing.T) {
	waitKinds(t, func(t *testing.T, b *ipcbuf.Buffer) {
		n, err := b.Wake(futexWord, 1)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, n, qt.Equals, 0)
		n, err = b.WakeAll(futexWord)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, n, qt.Equals, 0)

		const waiters = 5
		results := make(chan error, waiters)
		for range waiters {
			go func() { results <- b.Wait(futexWord, 0) }()
		}
		// Until all five sleep, a Wake may find fewer; it never wakes
		// more than it was asked to, and the total comes to five.
		woken := 0
		deadline := time.Now().Add(time.Minute)
		for woken < waiters-2 && time.Now().Before(deadline) {
			n, err := b.Wake(futexWord, 2)
			qt.Assert(t, err, qt.IsNil)
			qt.Assert(t, n <= 2, qt.IsTrue, qt.Commentf("Wake(…, 2) woke %d", n))
			woken += n
			time.Sleep(time.Millisecond)
		}
		for woken < waiters && time.Now().Before(deadline) {
			n, err := b.WakeAll(futexWord)
			qt.Assert(t, err, qt.IsNil)
			woken += n
			time.Sleep(time.Millisecond)
		}
		qt.Assert(t, woken, qt.Equals, waiters)
		for range waiters {
			qt.Assert(t, <-results, qt.IsNil)
		}

		for _, n := range []int{0, -1, -1 << 40} {
			_, err := b.Wake(futexWord, n)
			qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid)
			qt.Assert(t, err, qt.ErrorMatches, `wake .*: wake -?\d+ waiters: n must be at least 1.*`)
		}
		n, err = b.Wake(futexWord, 1<<40) // more than the kernel takes: all
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, n, qt.Equals, 0)
	})
}

// TestWaitBadInput: the offset rules of the atomics, closed buffers, a
// negative timeout, a nil context: clear errors, and no sleep.
func TestWaitBadInput(t *testing.T) {
	waitKinds(t, func(t *testing.T, b *ipcbuf.Buffer) {
		calls := map[string]func(off int) error{
			"Wait":        func(off int) error { return b.Wait(off, 0) },
			"WaitTimeout": func(off int) error { return b.WaitTimeout(off, 0, time.Hour) },
			"WaitContext": func(off int) error { return b.WaitContext(context.Background(), off, 0) },
			"Wake":        func(off int) error { _, err := b.Wake(off, 1); return err },
			"WakeAll":     func(off int) error { _, err := b.WakeAll(off); return err },
		}
		for name, call := range calls {
			for _, off := range []int{-4, 1, 2, 3, b.Len() - 3, b.Len()} {
				err := call(off)
				qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid, qt.Commentf("%s at %d", name, off))
				qt.Assert(t, err, qt.ErrorMatches, fmt.Sprintf(`.*offset %d .*`, off))
			}
		}
		err := b.WaitTimeout(0, 0, -time.Nanosecond)
		qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid)
		qt.Assert(t, err, qt.ErrorMatches, `wait .*: negative timeout -1ns`)
		//lint:ignore SA1012 a nil context is the bad input under test
		err = b.WaitContext(nil, 0, 0) //nolint:staticcheck
		qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid)

		qt.Assert(t, b.Close(), qt.IsNil)
		for name, call := range calls {
			qt.Assert(t, call(0), qt.ErrorIs, fs.ErrClosed, qt.Commentf("%s", name))
		}
	})
}

// TestWaitValueDiffers: a word that does not hold val ends the wait at
// once, with nil; a word that does, and no wake, is a timeout, never
// before its time.
func TestWaitValueDiffers(t *testing.T) {
	waitKinds(t, func(t *testing.T, b *ipcbuf.Buffer) {
		qt.Assert(t, b.StoreUint32(4, 7), qt.IsNil)
		qt.Assert(t, b.Wait(4, 6), qt.IsNil)
		qt.Assert(t, b.WaitTimeout(4, 6, time.Hour), qt.IsNil)
		qt.Assert(t, b.WaitTimeout(4, 6, 0), qt.IsNil, qt.Commentf("a zero timeout still looks at the word"))
		qt.Assert(t, b.WaitContext(context.Background(), 4, 6), qt.IsNil)

		err := b.WaitTimeout(4, 7, 0)
		qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrTimeout)
		const d = 50 * time.Millisecond
		start := time.Now()
		err = b.WaitTimeout(4, 7, d)
		qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrTimeout)
		qt.Assert(t, err, qt.ErrorIs, os.ErrDeadlineExceeded)
		qt.Assert(t, time.Since(start) >= d, qt.IsTrue, qt.Commentf("timed out after %v, before %v", time.Since(start), d))
	})
}

// TestWaitContext: a cancelled context ends the wait with its error,
// promptly; one cancelled before is seen at once; a context deadline is
// context.DeadlineExceeded.
func TestWaitContext(t *testing.T) {
	waitKinds(t, func(t *testing.T, b *ipcbuf.Buffer) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		qt.Assert(t, b.WaitContext(ctx, 0, 0), qt.ErrorIs, context.Canceled)

		ctx, cancel = context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		qt.Assert(t, b.WaitContext(ctx, 0, 0), qt.ErrorIs, context.DeadlineExceeded)

		before := runtime.NumGoroutine()
		var worst time.Duration
		for range 20 {
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- b.WaitContext(ctx, 0, 0) }()
			time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
			cancelled := time.Now()
			cancel()
			select {
			case err := <-done:
				worst = max(worst, time.Since(cancelled))
				qt.Assert(t, err, qt.ErrorIs, context.Canceled)
			case <-time.After(30 * time.Second):
				t.Fatal("WaitContext did not return 30 s after its context was cancelled")
			}
		}
		t.Logf("slowest return after cancel: %v", worst)
		noGoroutinesLeft(t, before)
	})
}

// noGoroutinesLeft fails t if, within 10 s, the number of goroutines does
// not come back to before: a wait must leave no helper behind.
func noGoroutinesLeft(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines, %d before the waits", runtime.NumGoroutine(), before)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestWaitRacingClose: goroutines waiting on a buffer (by Wait,
// WaitTimeout and WaitContext, through the buffer and through views)
// while another goroutine closes it at a random moment: every wait
// returns fs.ErrClosed, and Close returns; nothing hangs.
func TestWaitRacingClose(t *testing.T) {
	rounds := 100
	if relSoak() {
		rounds = 1000
	}
	rng := relRand(t)
	run := func(t *testing.T, mk func() *ipcbuf.Buffer) {
		before := runtime.NumGoroutine()
		defer noGoroutinesLeft(t, before)
		for round := range rounds {
			b := mk()
			views := []*ipcbuf.Buffer{b, b.Slice(0, 64), b.Slice(8, 16)}
			const waiters = 6
			results := make(chan error, waiters)
			for w := range waiters {
				v := views[w%len(views)]
				go func() {
					switch w % 3 {
					case 0:
						results <- v.Wait(0, 0)
					case 1:
						results <- v.WaitTimeout(0, 0, time.Hour)
					default:
						results <- v.WaitContext(context.Background(), 0, 0)
					}
				}()
			}
			time.Sleep(time.Duration(rng.IntN(2000)) * time.Microsecond)
			closed := make(chan error, 1)
			go func() { closed <- views[rng.IntN(len(views))].Close() }()
			select {
			case err := <-closed:
				qt.Assert(t, err, qt.IsNil)
			case <-time.After(30 * time.Second):
				t.Fatalf("round %d: Close did not return in 30 s", round)
			}
			for range waiters {
				select {
				case err := <-results:
					qt.Assert(t, err, qt.ErrorIs, fs.ErrClosed, qt.Commentf("round %d", round))
				case <-time.After(30 * time.Second):
					t.Fatalf("round %d: a wait did not return 30 s after Close", round)
				}
			}
			qt.Assert(t, b.Wait(0, 0), qt.ErrorIs, fs.ErrClosed)
		}
	}
	t.Run("memory", func(t *testing.T) {
		run(t, func() *ipcbuf.Buffer {
			b, err := ipcbuf.Alloc(4096)
			qt.Assert(t, err, qt.IsNil)
			return b
		})
	})
	forKinds(t, func(t *testing.T, kc kindCase) {
		target := kc.target(t)
		open(t, target, 4096, ipcbuf.Exclusive())
		run(t, func() *ipcbuf.Buffer {
			b, err := ipcbuf.Open(target, 0)
			qt.Assert(t, err, qt.IsNil)
			return b
		})
	})
}

// TestWaitSignals: signals sent to the process all through a wait (the
// Go runtime's own preemption signal, SIGURG) neither end it with an error
// nor stretch or shorten its timeout.
func TestWaitSignals(t *testing.T) {
	waitKinds(t, func(t *testing.T, b *ipcbuf.Buffer) {
		stop := make(chan struct{})
		var sent atomic.Int64
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				syscall.Kill(os.Getpid(), syscall.SIGURG)
				sent.Add(1)
				time.Sleep(50 * time.Microsecond)
			}
		}()
		defer func() { close(stop); wg.Wait() }()

		const d = 300 * time.Millisecond
		start := time.Now()
		err := b.WaitTimeout(0, 0, d)
		qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrTimeout)
		qt.Assert(t, time.Since(start) >= d, qt.IsTrue)

		// Wait, until another goroutine changes the word and wakes it:
		// whatever returns it early is a spurious wake, never an error.
		go func() {
			time.Sleep(200 * time.Millisecond)
			b.StoreUint32(0, 1)
			b.WakeAll(0)
		}()
		returns := 0
		for {
			v, err := b.LoadUint32(0)
			qt.Assert(t, err, qt.IsNil)
			if v != 0 {
				break
			}
			qt.Assert(t, b.Wait(0, 0), qt.IsNil)
			returns++
		}
		t.Logf("%d signals sent; Wait returned %d times", sent.Load(), returns)
	})
}

// TestWaitFault: waiting or waking on memory another process truncated
// away is ErrFault naming the offset.
func TestWaitFault(t *testing.T) {
	for target, path := range truncatable(t) {
		t.Run(target, func(t *testing.T) {
			b := open(t, target, 1<<20)
			startChild(t, "truncate", path)
			for name, err := range map[string]error{
				"Wait":        b.Wait(65536, 0),
				"WaitTimeout": b.WaitTimeout(65536, 0, time.Hour),
				"Wake": func() error {
					_, err := b.Wake(65536, 1)
					return err
				}(),
			} {
				qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrFault, qt.Commentf("%s", name))
				var fe *ipcbuf.FaultError
				qt.Assert(t, errors.As(err, &fe), qt.IsTrue)
				qt.Assert(t, fe.Offset, qt.Equals, int64(65536))
			}
			qt.Assert(t, b.WaitTimeout(0, 1, time.Hour), qt.IsNil, qt.Commentf("the first page is still there"))
		})
	}
}

// TestWaitReadOnly: a read-only buffer can wait and wake.
func TestWaitReadOnly(t *testing.T) {
	forKinds(t, func(t *testing.T, kc kindCase) {
		target := kc.target(t)
		b := open(t, target, 4096, ipcbuf.Exclusive())
		ro := open(t, target, 0, ipcbuf.ReadOnly())
		done := make(chan error, 1)
		go func() { done <- waitFor(ro, futexWord, 1) }()
		time.Sleep(10 * time.Millisecond)
		qt.Assert(t, b.StoreUint32(futexWord, 1), qt.IsNil)
		_, err := ro.WakeAll(futexWord)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, <-done, qt.IsNil)
	})
}

// TestLeakWaits: many rounds of waits (Wait, WaitTimeout, WaitContext and
// a semaphore's Wait) ended by a wake, a cancel, a Post or Close leave no
// goroutine, thread, mapping or descriptor behind. 300 rounds per kind;
// 20,000 with IPCBUF_SOAK=1.
func TestLeakWaits(t *testing.T) {
	rounds := 300
	if relSoak() {
		rounds = 20_000
	}
	rng := relRand(t)
	mks := map[string]func() *ipcbuf.Buffer{"memory": func() *ipcbuf.Buffer {
		b, err := ipcbuf.Alloc(4096)
		qt.Assert(t, err, qt.IsNil)
		return b
	}}
	for _, kc := range relSupported() {
		target := kc.target(t)
		open(t, target, 4096, ipcbuf.Exclusive())
		mks[kc.kind.String()] = func() *ipcbuf.Buffer {
			b, err := ipcbuf.Open(target, 0)
			qt.Assert(t, err, qt.IsNil)
			return b
		}
	}
	count := func() (goroutines, threads, maps, fds int) {
		n, err := procStatus("Threads")
		qt.Assert(t, err, qt.IsNil)
		return runtime.NumGoroutine(), int(n), len(procMaps(t)), len(relFDs(t))
	}
	round := func(mk func() *ipcbuf.Buffer) {
		b := mk()
		s, err := ipcbuf.NewSemaphore(b, 64)
		qt.Assert(t, err, qt.IsNil)
		ctx, cancel := context.WithCancel(context.Background())
		results := make(chan error, 4)
		go func() { results <- b.Wait(0, 0) }()
		go func() { results <- b.WaitTimeout(0, 0, time.Hour) }()
		go func() { results <- b.WaitContext(ctx, 0, 0) }()
		go func() { results <- s.Wait() }()
		time.Sleep(time.Duration(rng.IntN(200)) * time.Microsecond)
		// Some rounds end the waits one by one, the rest by Close alone.
		if rng.IntN(2) == 0 {
			cancel()
			s.Post()
			b.StoreUint32(0, 1)
			b.WakeAll(0)
		}
		qt.Assert(t, b.Close(), qt.IsNil)
		cancel()
		for range 4 {
			select {
			case err := <-results:
				if err != nil {
					qt.Assert(t, errors.Is(err, fs.ErrClosed) || errors.Is(err, context.Canceled), qt.IsTrue, qt.Commentf("%v", err))
				}
			case <-time.After(30 * time.Second):
				t.Fatal("a wait did not end 30 s after Close")
			}
		}
	}
	for name, mk := range mks {
		t.Run(name, func(t *testing.T) {
			for range rounds / 10 { // warm up: the runtime's threads, the maps' lines
				round(mk)
			}
			g0, th0, m0, fd0 := count()
			for range rounds {
				round(mk)
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				g, th, m, fd := count()
				if g <= g0 && th <= th0+8 && m <= m0+20 && fd <= fd0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("after %d rounds: %d goroutines (%d before), %d threads (%d), %d mappings (%d), %d descriptors (%d)",
						rounds, g, g0, th, th0, m, m0, fd, fd0)
				}
				runtime.GC()
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}
