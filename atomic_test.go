package ipcbuf_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	qt "github.com/frankban/quicktest"

	"github.com/ipcbuf/ipcbuf"
)

func init() {
	childRoles["atomic-add"] = atomicAddChild
}

// Where the cross-process atomic test keeps its counters.
const (
	atomicSum64 = 0  // AddUint64 by every process
	atomicSum32 = 8  // AddUint32 by every process
	atomicCAS   = 16 // a counter each process bumps with a CompareAndSwapUint64 loop
)

// atomicAdds is how many times each process adds; the CAS loop runs a
// tenth of that. The race detector makes each call about 100 times
// slower, so under it the loop is shorter.
func atomicAdds() int {
	if n, err := strconv.Atoi(os.Getenv("IPCBUF_TEST_ADDS")); err == nil {
		return n
	}
	if raceEnabled {
		return 100_000
	}
	return 1_000_000
}

// atomicAddChild adds 1 to the counters atomicAdds() times each, through
// the Buffer methods only.
func atomicAddChild(target string) int {
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "child:", err); return 1 }
	b, err := ipcbuf.Open(target, 0, ipcbuf.OpenOnly())
	if err != nil {
		return fail(err)
	}
	defer b.Close()
	n := atomicAdds()
	for range n {
		if _, err := b.AddUint64(atomicSum64, 1); err != nil {
			return fail(err)
		}
		if _, err := b.AddUint32(atomicSum32, 1); err != nil {
			return fail(err)
		}
	}
	for range n / 10 {
		for {
			v, err := b.LoadUint64(atomicCAS)
			if err != nil {
				return fail(err)
			}
			ok, err := b.CompareAndSwapUint64(atomicCAS, v, v+1)
			if err != nil {
				return fail(err)
			}
			if ok {
				break
			}
		}
	}
	return 0
}

// TestAtomicsAcrossProcesses: two processes each add 1 a million times
// (100,000 under the race detector) to a 64-bit and a 32-bit word and bump a compare-and-swap counter; the sums
// are exact. With plain loads and stores, lost updates would show.
func TestAtomicsAcrossProcesses(t *testing.T) {
	const procs = 2
	n := atomicAdds()
	forKinds(t, func(t *testing.T, kc kindCase) {
		target := kc.target(t)
		b := open(t, target, 4096, ipcbuf.Exclusive())
		var cmds []*exec.Cmd
		outs := make([]strings.Builder, procs)
		for i := range procs {
			cmd := childCommand("atomic-add", target)
			cmd.Env = append(cmd.Env, "IPCBUF_TEST_ADDS="+strconv.Itoa(n))
			cmd.Stdout, cmd.Stderr = &outs[i], &outs[i]
			qt.Assert(t, cmd.Start(), qt.IsNil)
			cmds = append(cmds, cmd)
		}
		for i, cmd := range cmds {
			qt.Assert(t, cmd.Wait(), qt.IsNil, qt.Commentf("child %d: %s", i, outs[i].String()))
		}
		sum64, err := b.LoadUint64(atomicSum64)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, sum64, qt.Equals, uint64(procs*n))
		sum32, err := b.LoadUint32(atomicSum32)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, sum32, qt.Equals, uint32(procs*n))
		cas, err := b.LoadUint64(atomicCAS)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, cas, qt.Equals, uint64(procs*(n/10)))
	})
}

// TestAtomics checks each operation's result and what it leaves in the
// bytes (the machine's byte order), on memory and every shared kind.
func TestAtomics(t *testing.T) {
	check := func(t *testing.T, b *ipcbuf.Buffer) {
		mem := b.Bytes()

		qt.Assert(t, b.StoreUint32(4, 0xdeadbeef), qt.IsNil)
		qt.Assert(t, binary.NativeEndian.Uint32(mem[4:]), qt.Equals, uint32(0xdeadbeef))
		v32, err := b.LoadUint32(4)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, v32, qt.Equals, uint32(0xdeadbeef))
		v32, err = b.AddUint32(4, 0x21524111)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, v32, qt.Equals, uint32(0), qt.Commentf("wraps around"))
		v32, err = b.AddUint32(4, ^uint32(0)) // subtract 1
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, v32, qt.Equals, uint32(math.MaxUint32))
		v32, err = b.SwapUint32(4, 7)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, v32, qt.Equals, uint32(math.MaxUint32))
		ok, err := b.CompareAndSwapUint32(4, 6, 9)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, ok, qt.IsFalse)
		ok, err = b.CompareAndSwapUint32(4, 7, 9)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, ok, qt.IsTrue)
		qt.Assert(t, binary.NativeEndian.Uint32(mem[4:]), qt.Equals, uint32(9))
		qt.Assert(t, mem[:4], qt.DeepEquals, []byte{0, 0, 0, 0}, qt.Commentf("the neighbours are untouched"))
		qt.Assert(t, mem[8:16], qt.DeepEquals, make([]byte, 8))

		qt.Assert(t, b.StoreUint64(16, 0x0102030405060708), qt.IsNil)
		qt.Assert(t, binary.NativeEndian.Uint64(mem[16:]), qt.Equals, uint64(0x0102030405060708))
		v64, err := b.LoadUint64(16)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, v64, qt.Equals, uint64(0x0102030405060708))
		v64, err = b.AddUint64(16, 1<<40)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, v64, qt.Equals, uint64(0x0102030405060708+1<<40))
		v64, err = b.AddUint64(16, ^uint64(1<<40-1))
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, v64, qt.Equals, uint64(0x0102030405060708))
		v64, err = b.SwapUint64(16, math.MaxUint64)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, v64, qt.Equals, uint64(0x0102030405060708))
		ok, err = b.CompareAndSwapUint64(16, 0, 1)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, ok, qt.IsFalse)
		ok, err = b.CompareAndSwapUint64(16, math.MaxUint64, 5)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, ok, qt.IsTrue)
		qt.Assert(t, binary.NativeEndian.Uint64(mem[16:]), qt.Equals, uint64(5))

		// The last word of the buffer is in range.
		qt.Assert(t, b.StoreUint64(b.Len()-8, 1), qt.IsNil)
		qt.Assert(t, b.StoreUint32(b.Len()-4, 2), qt.IsNil)

		// A typed view sees the same words, beside the atomics.
		view, err := ipcbuf.View[uint64](b)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, view[2], qt.Equals, uint64(5))
		view[3] = 42
		v64, err = b.LoadUint64(24)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, v64, qt.Equals, uint64(42))
	}
	t.Run("memory", func(t *testing.T) {
		b, err := ipcbuf.Alloc(64)
		qt.Assert(t, err, qt.IsNil)
		check(t, b)
	})
	forKinds(t, func(t *testing.T, kc kindCase) {
		check(t, open(t, kc.target(t), 4096, ipcbuf.Exclusive()))
	})
}

// TestAtomicsBadInput: offsets out of range or misaligned (on the real
// address, through a Slice at an odd offset), closed and read-only
// buffers: each a clear error that changes nothing.
func TestAtomicsBadInput(t *testing.T) {
	forKinds(t, func(t *testing.T, kc kindCase) {
		target := kc.target(t)
		b := open(t, target, 4096, ipcbuf.Exclusive())
		ops := atomicOps()
		for _, op := range ops {
			for _, off := range []int{-1, -op.size, b.Len() - op.size + 1, b.Len(), math.MaxInt, math.MinInt} {
				err := op.call(b, off)
				qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid, qt.Commentf("%s at %d", op.name, off))
				qt.Assert(t, err, qt.ErrorMatches, fmt.Sprintf(`.* offset %d .*`, off))
				var pe *fs.PathError
				qt.Assert(t, errors.As(err, &pe), qt.IsTrue)
				qt.Assert(t, pe.Path, qt.Equals, target)
			}
			for off := 1; off < op.size; off++ {
				err := op.call(b, off)
				qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid, qt.Commentf("%s at %d", op.name, off))
				qt.Assert(t, err, qt.ErrorMatches, fmt.Sprintf(`.*offset %d is not aligned.*`, off))
			}
			// A view at an odd byte: its offset 0 is misaligned, and the
			// offset that reaches an aligned address works.
			odd := b.Slice(3, 64)
			qt.Assert(t, op.call(odd, 0), qt.ErrorIs, fs.ErrInvalid, qt.Commentf("%s", op.name))
			qt.Assert(t, op.call(odd, op.size-3), qt.IsNil, qt.Commentf("%s", op.name))
			// Too small for a word at all.
			qt.Assert(t, op.call(b.Slice(0, op.size-1), 0), qt.ErrorMatches, `.*has no room for a .*`)
		}
		qt.Assert(t, b.Bytes()[:64], qt.DeepEquals, make([]byte, 64), qt.Commentf("nothing written"))

		ro := open(t, target, 0, ipcbuf.ReadOnly())
		for _, op := range ops {
			err := op.call(ro, 0)
			if op.write {
				qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrReadOnly, qt.Commentf("%s", op.name))
			} else {
				qt.Assert(t, err, qt.IsNil, qt.Commentf("%s", op.name))
			}
			// Read-only is reported before the offset is looked at.
			if op.write {
				qt.Assert(t, op.call(ro, 1), qt.ErrorIs, ipcbuf.ErrReadOnly)
			}
		}

		closed := open(t, target, 0)
		qt.Assert(t, closed.Close(), qt.IsNil)
		for _, op := range ops {
			qt.Assert(t, op.call(closed, 0), qt.ErrorIs, fs.ErrClosed, qt.Commentf("%s", op.name))
			qt.Assert(t, op.call(closed, -1), qt.ErrorIs, fs.ErrClosed, qt.Commentf("%s", op.name))
		}
	})
}

type atomicOp struct {
	name  string
	size  int
	write bool
	call  func(b *ipcbuf.Buffer, off int) error
}

// atomicOps is every atomic method, called with harmless values.
func atomicOps() []atomicOp {
	return []atomicOp{
		{"LoadUint32", 4, false, func(b *ipcbuf.Buffer, off int) error { _, err := b.LoadUint32(off); return err }},
		{"StoreUint32", 4, true, func(b *ipcbuf.Buffer, off int) error { return b.StoreUint32(off, 0) }},
		{"AddUint32", 4, true, func(b *ipcbuf.Buffer, off int) error { _, err := b.AddUint32(off, 0); return err }},
		{"SwapUint32", 4, true, func(b *ipcbuf.Buffer, off int) error { _, err := b.SwapUint32(off, 0); return err }},
		{"CompareAndSwapUint32", 4, true, func(b *ipcbuf.Buffer, off int) error { _, err := b.CompareAndSwapUint32(off, 1, 0); return err }},
		{"LoadUint64", 8, false, func(b *ipcbuf.Buffer, off int) error { _, err := b.LoadUint64(off); return err }},
		{"StoreUint64", 8, true, func(b *ipcbuf.Buffer, off int) error { return b.StoreUint64(off, 0) }},
		{"AddUint64", 8, true, func(b *ipcbuf.Buffer, off int) error { _, err := b.AddUint64(off, 0); return err }},
		{"SwapUint64", 8, true, func(b *ipcbuf.Buffer, off int) error { _, err := b.SwapUint64(off, 0); return err }},
		{"CompareAndSwapUint64", 8, true, func(b *ipcbuf.Buffer, off int) error { _, err := b.CompareAndSwapUint64(off, 1, 0); return err }},
	}
}

// TestAtomicsFault: on memory another process truncated away, every atomic
// returns ErrFault naming the offset, and the process lives on.
func TestAtomicsFault(t *testing.T) {
	for target, path := range truncatable(t) {
		t.Run(target, func(t *testing.T) {
			b := open(t, target, 1<<20)
			startChild(t, "truncate", path)
			for _, op := range atomicOps() {
				err := op.call(b, 65536)
				qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrFault, qt.Commentf("%s", op.name))
				var fe *ipcbuf.FaultError
				qt.Assert(t, errors.As(err, &fe), qt.IsTrue)
				qt.Assert(t, fe.Offset, qt.Equals, int64(65536))
				qt.Assert(t, op.call(b, 8), qt.IsNil, qt.Commentf("%s on a page that is still there", op.name))
			}
		})
	}
}

// TestAtomicsRaceClose closes buffers while goroutines run every atomic,
// and a Mutex and a Semaphore (not on Windows, which has none in a
// buffer), on them without pause: each call returns its
// result or an error matching fs.ErrClosed, and the process lives. Under
// the race detector this is the test that matters: there sync/atomic runs
// its operations in the detector's C code, where a fault on the memory
// Close has just taken away cannot be recovered, and kills the process
// ("traceback did not unwind completely"); ipcbuf's atomics do not go
// there (see internal/shatomic).
func TestAtomicsRaceClose(t *testing.T) {
	rounds := 200
	if relSoak() {
		rounds = 5_000
	}
	rng := relRand(t)
	// More goroutines than cores, on more threads than cores: the system
	// then preempts threads inside calls, which widens the moment at which
	// Close can meet a call between its look at the state and its access.
	const workers = 16
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(workers))
	forKinds(t, func(t *testing.T, kc kindCase) {
		target := kc.target(t)
		open(t, target, 1<<16, ipcbuf.Exclusive()) // the object stays while rounds map it
		var calls, closed int64
		for round := range rounds {
			b, err := ipcbuf.Open(target, 0)
			qt.Assert(t, err, qt.IsNil)
			errs := make(chan error, workers)
			counts := make(chan [2]int64, workers)
			for w := range workers {
				go func() {
					off := w * 64 % (1 << 12) // each worker's own words: a Mutex at +0, a Semaphore at +32
					var n, c int64
					check := func(name string, err error) bool {
						n++
						switch {
						case err == nil:
							return true
						case errors.Is(err, fs.ErrClosed):
							c++
							return false
						}
						errs <- fmt.Errorf("round %d worker %d: %s: %v; want its result or fs.ErrClosed", round, w, name, err)
						return false
					}
					defer func() { counts <- [2]int64{n, c} }()
					mx, err := ipcbuf.NewMutex(b, off)
					if !check("NewMutex", err) {
						return
					}
					sem, err := ipcbuf.NewSemaphore(b, off+32)
					if runtime.GOOS == "windows" && errors.Is(err, errors.ErrUnsupported) {
						sem = nil // Windows has no semaphore in a buffer (TestWindowsFutexUnsupported)
					} else if !check("NewSemaphore", err) {
						return
					}
					for {
						for _, op := range atomicOps() {
							if !check(op.name, op.call(b, off+16)) {
								return
							}
						}
						locked, err := mx.TryLock()
						if !check("Mutex.TryLock", err) {
							return
						}
						if locked && !check("Mutex.Unlock", mx.Unlock()) {
							return
						}
						if sem == nil {
							continue
						}
						if !check("Semaphore.Post", sem.Post()) {
							return
						}
						if _, err := sem.TryWait(); !check("Semaphore.TryWait", err) {
							return
						}
					}
				}()
			}
			time.Sleep(time.Duration(rng.IntN(300)) * time.Microsecond)
			qt.Assert(t, b.Close(), qt.IsNil)
			for range workers {
				nc := <-counts
				calls += nc[0]
				closed += nc[1]
			}
			select {
			case err := <-errs:
				t.Fatal(err)
			default:
			}
		}
		t.Logf("%d rounds: %d calls, %d of them ended by Close", rounds, calls, closed)
	})
}
