package shatomic_test

import (
	"sync"
	"testing"

	qt "github.com/frankban/quicktest"

	"github.com/ipcbuf/ipcbuf/internal/shatomic"
)

// TestResults: each operation's result and what it leaves in the word, at
// values that carry across 32 bits.
func TestResults(t *testing.T) {
	var w32 uint32 = 0xfffffffe
	qt.Check(t, shatomic.LoadUint32(&w32), qt.Equals, uint32(0xfffffffe))
	qt.Check(t, shatomic.AddUint32(&w32, 3), qt.Equals, uint32(1))
	qt.Check(t, shatomic.SwapUint32(&w32, 7), qt.Equals, uint32(1))
	qt.Check(t, shatomic.CompareAndSwapUint32(&w32, 8, 9), qt.IsFalse)
	qt.Check(t, shatomic.CompareAndSwapUint32(&w32, 7, 9), qt.IsTrue)
	shatomic.StoreUint32(&w32, 0x80000000)
	qt.Check(t, w32, qt.Equals, uint32(0x80000000))

	var w64 uint64 = 0xffffffff
	qt.Check(t, shatomic.LoadUint64(&w64), qt.Equals, uint64(0xffffffff))
	qt.Check(t, shatomic.AddUint64(&w64, 1), qt.Equals, uint64(1<<32))
	qt.Check(t, shatomic.AddUint64(&w64, ^uint64(0)), qt.Equals, uint64(1<<32-1))
	qt.Check(t, shatomic.SwapUint64(&w64, 1<<63), qt.Equals, uint64(1<<32-1))
	qt.Check(t, shatomic.CompareAndSwapUint64(&w64, 1<<62, 1), qt.IsFalse)
	qt.Check(t, shatomic.CompareAndSwapUint64(&w64, 1<<63, 1<<40), qt.IsTrue)
	shatomic.StoreUint64(&w64, 5)
	qt.Check(t, w64, qt.Equals, uint64(5))
}

// TestAtomicity: goroutines adding and compare-and-swapping at once lose
// no update.
func TestAtomicity(t *testing.T) {
	const goroutines, n = 8, 20_000
	var sum32 uint32
	var sum64, cas64 uint64
	var wg sync.WaitGroup
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range n {
				shatomic.AddUint32(&sum32, 1)
				shatomic.AddUint64(&sum64, 1)
				for v := shatomic.LoadUint64(&cas64); !shatomic.CompareAndSwapUint64(&cas64, v, v+1); v = shatomic.LoadUint64(&cas64) {
				}
			}
		}()
	}
	wg.Wait()
	qt.Check(t, sum32, qt.Equals, uint32(goroutines*n))
	qt.Check(t, sum64, qt.Equals, uint64(goroutines*n))
	qt.Check(t, cas64, qt.Equals, uint64(goroutines*n))
}

// TestPublishes: a store publishes the plain writes before it to a
// goroutine whose load sees it, as sync/atomic's do. Under the race
// detector this fails with a race report if the detector is not told of
// the synchronisation.
func TestPublishes(t *testing.T) {
	for range 100 {
		var data [4]int
		var flag uint32
		var counter uint64
		done := make(chan [4]int)
		go func() {
			for shatomic.LoadUint32(&flag) == 0 {
			}
			for shatomic.AddUint64(&counter, 1) != 2 { // the writer's add came first
			}
			done <- data
		}()
		data = [4]int{1, 2, 3, 4}
		shatomic.AddUint64(&counter, 1)
		shatomic.StoreUint32(&flag, 1)
		qt.Check(t, <-done, qt.Equals, [4]int{1, 2, 3, 4})
	}
}
