package ipcbuf_test

// Reliability scenario 9 (TESTING.md, "Reliability scenarios"): goroutines
// using a buffer while another closes it: no crash, no data race.

import (
	"errors"
	"io/fs"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	qt "github.com/frankban/quicktest"

	"github.com/ipcbuf/ipcbuf"
)

// relUse calls a round of methods on worker w's region of b (region bytes
// from w*region), on its view v and on two halves of v. It returns the
// errors, one per call that can fail, in order; names lists the calls.
func relUse(b, v, lo, hi *ipcbuf.Buffer, w, region, it int) []error {
	off := w * region
	var errs []error
	add := func(err error) { errs = append(errs, err) }
	p := make([]byte, 16)
	_, err := b.ReadAt(p, int64(off))
	add(err)
	_, err = b.WriteAt([]byte("worker wrote"), int64(off+32))
	add(err)
	_, err = b.ToString("hex", off, off+16)
	add(err)
	_, err = b.Write("written by Write", off+64, "")
	add(err)
	_, err = b.ReadUint32LE(off + 96)
	add(err)
	_, err = b.WriteUint32LE(int64(it), off+100)
	add(err)
	_, err = v.IndexOf("Write", 0, "")
	add(err)
	add(v.Fill(byte(it), region/2-64, region/2, ""))
	_, err = lo.Copy(hi, 0, 0, 128)
	add(err)
	_, err = hi.Copy(lo, 256, 0, 64)
	add(err)
	_, err = v.ReadAt(p, int64(region-16))
	add(err)
	_, err = lo.ToString("utf8", 0, 32)
	add(err)
	_, err = hi.ReadUint32LE(8)
	add(err)
	return errs
}

var relUseNames = []string{"ReadAt", "WriteAt", "ToString", "Write", "ReadUint32LE", "WriteUint32LE",
	"view IndexOf", "view Fill", "view Copy", "view Copy back", "view ReadAt", "view ToString", "view ReadUint32LE"}

func TestCloseRacesUsers(t *testing.T) {
	rounds := 100
	if relSoak() {
		rounds = 1000
	}
	rng := relRand(t)
	var mu sync.Mutex
	seeds := func() uint64 { mu.Lock(); defer mu.Unlock(); return rng.Uint64() }
	const size = 64 << 10
	t.Run("memory", func(t *testing.T) {
		relCloseRaces(t, rounds, seeds, func() *ipcbuf.Buffer {
			b, err := ipcbuf.Alloc(size)
			qt.Assert(t, err, qt.IsNil)
			return b
		})
	})
	forKinds(t, func(t *testing.T, kc kindCase) {
		target := kc.target(t)
		open(t, target, size, ipcbuf.Exclusive()) // the object stays while rounds map it
		relCloseRaces(t, rounds, seeds, func() *ipcbuf.Buffer {
			b, err := ipcbuf.Open(target, 0)
			qt.Assert(t, err, qt.IsNil)
			return b
		})
	})
}

func relCloseRaces(t *testing.T, rounds int, seed func() uint64, mk func() *ipcbuf.Buffer) {
	const workers = 8
	var reported atomic.Int32
	report := func(format string, args ...any) {
		if reported.Add(1) <= 20 {
			t.Errorf(format, args...)
		}
	}
	var callsBefore, callsClosed, doubleClose atomic.Int64
	for round := 0; round < rounds; round++ {
		rng := rand.New(rand.NewPCG(seed(), uint64(round)))
		b := mk()
		region := b.Len() / workers
		views := make([]*ipcbuf.Buffer, workers)
		for w := range views {
			views[w] = b.Slice(w*region, (w+1)*region)
		}
		// Whoever closes: the buffer, a view or a view of a view.
		closers := []*ipcbuf.Buffer{b, views[rng.IntN(workers)], views[rng.IntN(workers)].Slice(10, 20)}
		closer := closers[rng.IntN(len(closers))]
		delay := time.Duration(rng.IntN(2000)) * time.Microsecond
		twoClosers := rng.IntN(4) == 0

		var closed atomic.Bool
		start := make(chan struct{})
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				v := views[w]
				lo, hi := v.Slice(0, region/2), v.Slice(region/2, region)
				<-start
				for it := 0; ; it++ {
					after := closed.Load()
					errs := relUse(b, v, lo, hi, w, region, it)
					for i, err := range errs {
						switch {
						case after && !errors.Is(err, fs.ErrClosed):
							report("round %d worker %d: %s after Close: %v; want fs.ErrClosed", round, w, relUseNames[i], err)
						case err != nil && !errors.Is(err, fs.ErrClosed):
							report("round %d worker %d: %s racing Close: %v; want nil or fs.ErrClosed", round, w, relUseNames[i], err)
						case err == nil:
							callsBefore.Add(1)
						default:
							callsClosed.Add(1)
						}
					}
					if n := v.Slice(1, 11).Len(); n != 10 {
						report("Slice(1, 11).Len() = %d", n)
					}
					if p := v.Bytes(); p != nil && len(p) != region {
						report("Bytes has %d bytes", len(p))
					} else if after && p != nil {
						report("round %d worker %d: Bytes after Close is not nil", round, w)
					}
					if after {
						return
					}
					// Let the closer run when its delay is up: with more
					// workers than cores it would otherwise wait for the
					// scheduler's 10 ms time slices.
					runtime.Gosched()
				}
			}()
		}
		var closeErrs [2]error
		var cwg sync.WaitGroup
		for c := range 1 + relBtoi(twoClosers) {
			cwg.Add(1)
			go func() {
				defer cwg.Done()
				<-start
				time.Sleep(delay)
				closeErrs[c] = closer.Close()
			}()
		}
		close(start)
		cwg.Wait()
		closed.Store(true)
		wg.Wait()
		if twoClosers {
			doubleClose.Add(1)
			nils := relBtoi(closeErrs[0] == nil) + relBtoi(closeErrs[1] == nil)
			if nils != 1 {
				report("round %d: two concurrent Close calls returned %v and %v; want one nil and one fs.ErrClosed", round, closeErrs[0], closeErrs[1])
			}
			for _, err := range closeErrs {
				if err != nil && !errors.Is(err, fs.ErrClosed) {
					report("round %d: concurrent Close: %v", round, err)
				}
			}
		} else if closeErrs[0] != nil {
			report("round %d: Close: %v", round, closeErrs[0])
		}
		qt.Assert(t, b.Close(), qt.ErrorIs, fs.ErrClosed)
		qt.Assert(t, b.Len(), qt.Equals, 8*region)
	}
	t.Logf("%d rounds, %d workers: %d calls completed, %d returned fs.ErrClosed; %d rounds with two concurrent Close calls",
		rounds, workers, callsBefore.Load(), callsClosed.Load(), doubleClose.Load())
}

func relBtoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
