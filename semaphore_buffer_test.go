//go:build linux

package ipcbuf_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	qt "github.com/frankban/quicktest"

	"github.com/ipcbuf/ipcbuf"
)

func init() {
	childRoles["sem-producer"] = semProducerChild
	childRoles["sem-consumer"] = semConsumerChild
	childRoles["sem-waiter"] = semWaiterChild
}

// The layout of the producer/consumer test's buffer.
const (
	semOff      = 0   // the semaphore
	semTaken    = 8   // units taken, by all consumers
	semPerCons  = 16  // units taken by consumer c, at semPerCons+4c
	semItems    = 256 // item p*K+i at semItems+4(p*K+i): 0, 1 posted, 2+c taken by consumer c
	semWaitersW = semOff + 4
)

func envInt(name string) int {
	n, _ := strconv.Atoi(os.Getenv(name))
	return n
}

// semProducerChild marks each of its K items posted, then posts it.
func semProducerChild(target string) int {
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "producer:", err); return 1 }
	b, err := ipcbuf.Open(target, 0, ipcbuf.OpenOnly())
	if err != nil {
		return fail(err)
	}
	defer b.Close()
	s, err := ipcbuf.NewSemaphore(b, semOff)
	if err != nil {
		return fail(err)
	}
	p, k := envInt("IPCBUF_TEST_ID"), envInt("IPCBUF_TEST_K")
	for i := range k {
		if err := b.StoreUint32(semItems+4*(p*k+i), 1); err != nil {
			return fail(err)
		}
		if err := s.Post(); err != nil {
			return fail(err)
		}
	}
	return 0
}

// semConsumerChild takes units until all N are taken, and for each claims
// one posted item. It fails if it took a unit and finds no item to claim:
// that would be a unit taken twice.
func semConsumerChild(target string) int {
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "consumer:", err); return 1 }
	b, err := ipcbuf.Open(target, 0, ipcbuf.OpenOnly())
	if err != nil {
		return fail(err)
	}
	defer b.Close()
	s, err := ipcbuf.NewSemaphore(b, semOff)
	if err != nil {
		return fail(err)
	}
	c, n := envInt("IPCBUF_TEST_ID"), envInt("IPCBUF_TEST_N")
	next := 0
	for {
		taken, err := b.LoadUint32(semTaken)
		if err != nil {
			return fail(err)
		}
		if int(taken) >= n {
			return 0
		}
		err = s.WaitTimeout(100 * time.Millisecond)
		if errors.Is(err, ipcbuf.ErrTimeout) {
			continue
		}
		if err != nil {
			return fail(err)
		}
		claimed := false
		for pass := 0; pass < 1000 && !claimed; pass++ {
			for range n {
				ok, err := b.CompareAndSwapUint32(semItems+4*next, 1, uint32(2+c))
				if err != nil {
					return fail(err)
				}
				next = (next + 1) % n
				if ok {
					claimed = true
					break
				}
			}
		}
		if !claimed {
			return fail(fmt.Errorf("took a unit but found no posted item to claim"))
		}
		if _, err := b.AddUint32(semPerCons+4*c, 1); err != nil {
			return fail(err)
		}
		if _, err := b.AddUint32(semTaken, 1); err != nil {
			return fail(err)
		}
	}
}

// semWaiterChild waits once, with a long timeout, and says so.
func semWaiterChild(target string) int {
	b, err := ipcbuf.Open(target, 0, ipcbuf.OpenOnly())
	if err != nil {
		fmt.Fprintln(os.Stderr, "waiter:", err)
		return 1
	}
	defer b.Close()
	s, err := ipcbuf.NewSemaphore(b, semOff)
	if err != nil {
		fmt.Fprintln(os.Stderr, "waiter:", err)
		return 1
	}
	err = s.WaitTimeout(time.Minute)
	fmt.Printf("took err=%v\n", err)
	return 0
}

// TestSemaphoreProducersConsumers: three producer processes post K items
// each and three consumer processes take them, on every shared kind. Each
// consumer claims one posted item per unit it takes; at the end every
// item was claimed exactly once and the count is 0.
func TestSemaphoreProducersConsumers(t *testing.T) {
	const producers, consumers = 3, 3
	k := 300
	if raceEnabled {
		k = 100
	}
	n := producers * k
	forKinds(t, func(t *testing.T, kc kindCase) {
		target := kc.target(t)
		b := open(t, target, semItems+4*n, ipcbuf.Exclusive())
		s, err := ipcbuf.NewSemaphore(b, semOff)
		qt.Assert(t, err, qt.IsNil)

		type proc struct {
			cmd *exec.Cmd
			out *strings.Builder
		}
		var procs []proc
		start := func(role string, id int) {
			cmd := childCommand(role, target)
			cmd.Env = append(cmd.Env, "IPCBUF_TEST_ID="+strconv.Itoa(id), "IPCBUF_TEST_K="+strconv.Itoa(k), "IPCBUF_TEST_N="+strconv.Itoa(n))
			out := new(strings.Builder)
			cmd.Stdout, cmd.Stderr = out, out
			qt.Assert(t, cmd.Start(), qt.IsNil)
			t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
			procs = append(procs, proc{cmd, out})
		}
		for c := range consumers {
			start("sem-consumer", c)
		}
		for p := range producers {
			start("sem-producer", p)
		}
		for _, p := range procs {
			qt.Assert(t, p.cmd.Wait(), qt.IsNil, qt.Commentf("%s", p.out.String()))
		}

		v, err := s.Value()
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, v, qt.Equals, 0)
		mem := b.Bytes()
		byConsumer := make([]int, consumers)
		for i := range n {
			state := binary.NativeEndian.Uint32(mem[semItems+4*i:])
			qt.Assert(t, state >= 2 && state < 2+consumers, qt.IsTrue, qt.Commentf("item %d is in state %d", i, state))
			byConsumer[state-2]++
		}
		total := 0
		for c := range consumers {
			got := binary.NativeEndian.Uint32(mem[semPerCons+4*c:])
			qt.Assert(t, int(got), qt.Equals, byConsumer[c], qt.Commentf("consumer %d", c))
			total += int(got)
		}
		qt.Assert(t, total, qt.Equals, n)
		t.Logf("items taken by each consumer: %v", byConsumer)
	})
}

// TestSemaphoreInBuffer: the counting, TryWait, timeouts, cancellation
// and Close, on a memory buffer and every shared kind.
func TestSemaphoreInBuffer(t *testing.T) {
	waitKinds(t, func(t *testing.T, b *ipcbuf.Buffer) {
		s, err := ipcbuf.InitSemaphore(b, 16, 2)
		qt.Assert(t, err, qt.IsNil)
		wantName := b.Name()
		if wantName == "" {
			wantName = "memory buffer"
		}
		qt.Assert(t, s.Name(), qt.Equals, wantName+"@16")
		qt.Assert(t, binary.NativeEndian.Uint32(b.Bytes()[16:]), qt.Equals, uint32(2), qt.Commentf("the count word"))

		same, err := ipcbuf.NewSemaphore(b, 16) // the same bytes: the same semaphore
		qt.Assert(t, err, qt.IsNil)
		v, err := same.Value()
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, v, qt.Equals, 2)

		for _, want := range []bool{true, true, false, false} {
			ok, err := s.TryWait()
			qt.Assert(t, err, qt.IsNil)
			qt.Assert(t, ok, qt.Equals, want)
		}
		qt.Assert(t, s.Post(), qt.IsNil)
		qt.Assert(t, same.Wait(), qt.IsNil)

		const d = 30 * time.Millisecond
		start := time.Now()
		err = s.WaitTimeout(d)
		qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrTimeout)
		qt.Assert(t, time.Since(start) >= d, qt.IsTrue)
		qt.Assert(t, err, qt.ErrorMatches, `wait .*@16: ipcbuf: timed out`)
		qt.Assert(t, s.WaitTimeout(0), qt.ErrorIs, ipcbuf.ErrTimeout)
		qt.Assert(t, s.WaitTimeout(-1), qt.ErrorIs, fs.ErrInvalid)
		qt.Assert(t, s.Post(), qt.IsNil)
		qt.Assert(t, s.WaitTimeout(0), qt.IsNil, qt.Commentf("a zero timeout takes a unit that is there"))

		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.WaitContext(ctx) }()
		time.Sleep(10 * time.Millisecond)
		cancel()
		qt.Assert(t, <-done, qt.ErrorIs, context.Canceled)
		ctx, cancel = context.WithTimeout(context.Background(), 10*time.Millisecond)
		defer cancel()
		qt.Assert(t, s.WaitContext(ctx), qt.ErrorIs, context.DeadlineExceeded)
		v, err = s.Value()
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, v, qt.Equals, 0, qt.Commentf("a wait that ends without a unit takes none"))

		// A waiter woken by a Post from another goroutine.
		go func() { done <- s.Wait() }()
		time.Sleep(10 * time.Millisecond)
		qt.Assert(t, same.Post(), qt.IsNil)
		qt.Assert(t, <-done, qt.IsNil)

		// Close of the semaphore ends this process's waits on it; the
		// semaphore itself stays.
		go func() { done <- s.Wait() }()
		time.Sleep(10 * time.Millisecond)
		qt.Assert(t, s.Close(), qt.IsNil)
		qt.Assert(t, <-done, qt.ErrorIs, fs.ErrClosed)
		qt.Assert(t, s.Close(), qt.ErrorIs, fs.ErrClosed)
		qt.Assert(t, s.Post(), qt.ErrorIs, fs.ErrClosed)
		_, err = s.TryWait()
		qt.Assert(t, err, qt.ErrorIs, fs.ErrClosed)
		_, err = s.Value()
		qt.Assert(t, err, qt.ErrorIs, fs.ErrClosed)
		qt.Assert(t, s.Remove(), qt.ErrorIs, errors.ErrUnsupported)
		qt.Assert(t, same.Post(), qt.IsNil)
		v, err = same.Value()
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, v, qt.Equals, 1)
		ok, err := same.TryWait()
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, ok, qt.IsTrue)

		// Close of the buffer ends them too.
		go func() { done <- same.Wait() }()
		time.Sleep(10 * time.Millisecond)
		qt.Assert(t, b.Close(), qt.IsNil)
		err = <-done
		qt.Assert(t, err, qt.ErrorIs, fs.ErrClosed)
		qt.Assert(t, err, qt.ErrorMatches, `wait .*@16: file already closed`)
		qt.Assert(t, same.Post(), qt.ErrorIs, fs.ErrClosed)
	})
}

// TestSemaphoreBadInput: bad arguments and unusable buffers are clear
// errors that change nothing; the largest count is kept, not wrapped.
func TestSemaphoreBadInput(t *testing.T) {
	b, err := ipcbuf.Alloc(64)
	qt.Assert(t, err, qt.IsNil)
	fill := func() { copy(b.Bytes(), strings.Repeat("\xaa", 64)) }

	for _, off := range []int{-4, 57, 60, 64, 1, 2, 3} {
		_, err := ipcbuf.NewSemaphore(b, off)
		qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid, qt.Commentf("offset %d", off))
		qt.Assert(t, err, qt.ErrorMatches, fmt.Sprintf(`semaphore memory buffer@%d: offset %d .*`, off, off))
		_, err = ipcbuf.InitSemaphore(b, off, 1)
		qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid)
	}
	_, err = ipcbuf.NewSemaphore(b.Slice(1, 64), 0)
	qt.Assert(t, err, qt.ErrorMatches, `.*offset 0 is not aligned.*`)

	for _, v := range []int{-1, math.MaxInt32 + 1, math.MinInt} {
		fill()
		_, err := ipcbuf.InitSemaphore(b, 8, v)
		qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid, qt.Commentf("value %d", v))
		qt.Assert(t, err, qt.ErrorMatches, `semaphore .*: initial value -?\d+ is out of range: a semaphore counts from 0 to 2147483647`)
		qt.Assert(t, b.Bytes(), qt.DeepEquals, []byte(strings.Repeat("\xaa", 64)), qt.Commentf("nothing written"))
	}
	_, err = ipcbuf.NewSemaphore(nil, 0)
	qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid)
	var zero ipcbuf.Semaphore
	qt.Assert(t, zero.Post(), qt.ErrorIs, fs.ErrInvalid)
	var nilSem *ipcbuf.Semaphore
	qt.Assert(t, nilSem.Wait(), qt.ErrorIs, fs.ErrInvalid)
	qt.Assert(t, nilSem.Close(), qt.ErrorIs, fs.ErrInvalid)
	qt.Assert(t, nilSem.Name(), qt.Equals, "")

	// The largest count: Post fails and leaves it.
	s, err := ipcbuf.InitSemaphore(b, 8, math.MaxInt32)
	qt.Assert(t, err, qt.IsNil)
	err = s.Post()
	qt.Assert(t, err, qt.ErrorIs, syscall.EOVERFLOW)
	qt.Assert(t, err, qt.ErrorMatches, `post memory buffer@8: the count is at its largest, 2147483647: .*`)
	v, err := s.Value()
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, v, qt.Equals, math.MaxInt32)

	// Read-only and closed buffers.
	forKinds(t, func(t *testing.T, kc kindCase) {
		target := kc.target(t)
		open(t, target, 4096, ipcbuf.Exclusive())
		ro := open(t, target, 0, ipcbuf.ReadOnly())
		_, err := ipcbuf.NewSemaphore(ro, 0)
		qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrReadOnly)
		closed := open(t, target, 0)
		qt.Assert(t, closed.Close(), qt.IsNil)
		_, err = ipcbuf.NewSemaphore(closed, 0)
		qt.Assert(t, err, qt.ErrorIs, fs.ErrClosed)
	})
}

// TestSemaphoreCorrupt is scenario 28 for the semaphore: bytes that hold
// no semaphore state (a count or a waiter count above math.MaxInt32) are
// an error matching ErrCorrupt from every method, never a hang or a wrap.
func TestSemaphoreCorrupt(t *testing.T) {
	b, err := ipcbuf.Alloc(64)
	qt.Assert(t, err, qt.IsNil)
	s, err := ipcbuf.NewSemaphore(b, 0)
	qt.Assert(t, err, qt.IsNil)
	for _, garbage := range []struct {
		off int
		v   uint32
	}{{0, math.MaxInt32 + 1}, {0, math.MaxUint32}, {4, math.MaxUint32}, {4, 1 << 31}} {
		qt.Assert(t, b.StoreUint32(0, 0), qt.IsNil)
		qt.Assert(t, b.StoreUint32(4, 0), qt.IsNil)
		qt.Assert(t, b.StoreUint32(garbage.off, garbage.v), qt.IsNil)
		before := append([]byte(nil), b.Bytes()[:8]...)
		comment := qt.Commentf("%d at %d", garbage.v, garbage.off)

		_, err := ipcbuf.NewSemaphore(b, 0)
		qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrCorrupt, comment)
		qt.Assert(t, err, qt.ErrorMatches, `semaphore memory buffer@0: the semaphore's (count|waiters) word holds \d+, above the largest count 2147483647: the bytes at offset 0 are not a semaphore, or were overwritten: ipcbuf: corrupt shared state`)
		qt.Assert(t, s.Post(), qt.ErrorIs, ipcbuf.ErrCorrupt, comment)
		_, err = s.Value()
		qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrCorrupt, comment)
		qt.Assert(t, s.WaitTimeout(time.Second), qt.ErrorIs, ipcbuf.ErrCorrupt, comment)
		qt.Assert(t, s.Wait(), qt.ErrorIs, ipcbuf.ErrCorrupt, comment)
		if garbage.off == 0 {
			_, err = s.TryWait()
			qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrCorrupt, comment)
		}
		qt.Assert(t, b.Bytes()[:8], qt.DeepEquals, before, comment, qt.Commentf("the bytes are left as they were"))

		// InitSemaphore repairs them.
		_, err = ipcbuf.InitSemaphore(b, 0, 1)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, s.Wait(), qt.IsNil)
	}
}

// TestSemaphoreWaiterKilled is scenario 27 for the semaphore: a waiter
// process killed with SIGKILL, while it sleeps or just after a Post woke
// it, loses no wake-up for the others: each unit posted reaches a live
// waiter. Rounds: 30 per kind (10 under the race detector, 300 with
// IPCBUF_SOAK=1).
func TestSemaphoreWaiterKilled(t *testing.T) {
	rounds := 30
	switch {
	case relSoak():
		rounds = 300
	case raceEnabled:
		rounds = 10 // a child under the race detector is slow to start
	}
	forKinds(t, func(t *testing.T, kc kindCase) {
		target := kc.target(t)
		b := open(t, target, 4096, ipcbuf.Exclusive())
		waiters := func() uint32 {
			w, err := b.LoadUint32(semWaitersW)
			qt.Assert(t, err, qt.IsNil)
			return w
		}
		// until polls cond for up to a minute.
		until := func(what string, cond func() bool) {
			t.Helper()
			for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("after a minute: %s", what)
				}
			}
		}
		startWaiter := func() (*exec.Cmd, *strings.Builder) {
			cmd := childCommand("sem-waiter", target)
			out := new(strings.Builder)
			cmd.Stdout, cmd.Stderr = out, out
			qt.Assert(t, cmd.Start(), qt.IsNil)
			t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
			return cmd, out
		}

		// Killed while asleep: the two live waiters get the two units.
		s, err := ipcbuf.InitSemaphore(b, semOff, 0)
		qt.Assert(t, err, qt.IsNil)
		victim, _ := startWaiter()
		until("the victim waits", func() bool { return waiters() == 1 })
		a, aOut := startWaiter()
		c, cOut := startWaiter()
		until("three waiters", func() bool { return waiters() == 3 })
		qt.Assert(t, victim.Process.Kill(), qt.IsNil)
		victim.Wait()
		qt.Assert(t, s.Post(), qt.IsNil)
		qt.Assert(t, s.Post(), qt.IsNil)
		qt.Assert(t, a.Wait(), qt.IsNil)
		qt.Assert(t, c.Wait(), qt.IsNil)
		qt.Assert(t, aOut.String(), qt.Equals, "took err=<nil>\n")
		qt.Assert(t, cOut.String(), qt.Equals, "took err=<nil>\n")
		qt.Assert(t, waiters(), qt.Equals, uint32(1), qt.Commentf("the dead waiter's count stays; it costs only wake calls"))

		// Killed just after being woken: Post wakes the victim, which
		// waited first, and SIGKILL follows at once. Whether it died
		// before or after taking the unit, the survivor must not sleep
		// while a unit is there.
		diedHolding, diedWithout := 0, 0
		for round := range rounds {
			s, err := ipcbuf.InitSemaphore(b, semOff, 0)
			qt.Assert(t, err, qt.IsNil)
			victim, _ := startWaiter()
			until("the victim waits", func() bool { return waiters() == 1 })
			survivor := make(chan error, 1)
			go func() { survivor <- s.WaitTimeout(time.Minute) }()
			until("the survivor waits", func() bool { return waiters() == 2 })
			qt.Assert(t, s.Post(), qt.IsNil)
			qt.Assert(t, syscall.Kill(victim.Process.Pid, syscall.SIGKILL), qt.IsNil)
			victim.Wait()

			// If the victim took the unit before it died, the count goes
			// back to 0 and a second Post is for the survivor. If not, the
			// unit stays and the survivor must get it without one: a unit
			// there for 10 s while the survivor sleeps is a lost wake-up.
			posted := 1
			var unitSince, zeroSince time.Time
		wait:
			for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Millisecond) {
				select {
				case err := <-survivor:
					qt.Assert(t, err, qt.IsNil, qt.Commentf("round %d", round))
					break wait
				default:
				}
				now := time.Now()
				if now.After(deadline) {
					t.Fatalf("round %d: the survivor still waits after a minute", round)
				}
				v, err := s.Value()
				qt.Assert(t, err, qt.IsNil)
				if v > 0 {
					zeroSince = time.Time{}
					if unitSince.IsZero() {
						unitSince = now
					}
					if now.Sub(unitSince) > 10*time.Second {
						t.Fatalf("round %d: a unit has been there 10 s and the survivor still sleeps", round)
					}
					continue
				}
				unitSince = time.Time{}
				if zeroSince.IsZero() {
					zeroSince = now
				}
				if posted == 1 && now.Sub(zeroSince) > 200*time.Millisecond {
					qt.Assert(t, s.Post(), qt.IsNil)
					posted++
				}
			}
			// posted = the survivor's unit + the victim's (0 or 1) + the count.
			v, err := s.Value()
			qt.Assert(t, err, qt.IsNil)
			switch v {
			case posted - 1:
				diedWithout++
			case posted - 2:
				diedHolding++
			default:
				t.Fatalf("round %d: %d posted, the survivor took 1, and the count is %d", round, posted, v)
			}
		}
		t.Logf("%d rounds: the victim died with the unit %d times, without it %d times", rounds, diedHolding, diedWithout)
	})
}
