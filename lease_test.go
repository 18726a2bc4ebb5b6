package ipcbuf_test

import (
	"bytes"
	"errors"
	"fmt"
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

// Methods take no lock (see guard.go): Close can run while a method is
// between finding the buffer open and touching its memory. These tests
// hold the promise that makes that safe: every call racing Close either
// returns its normal, correct result or an error matching fs.ErrClosed
// (never ErrFault, never anything else, never a crash), every call after
// Close returns fs.ErrClosed, and a racing call never reaches memory mapped
// after Close.

// leaseSize is the size of the buffers the race tests close.
const leaseSize = 1 << 20

// The layout of a race test's buffer: a pattern that only the setup writes,
// then one region per worker that only that worker writes.
const (
	leasePattern = 64 << 10 // pattern bytes at the start
	leaseRegion  = 4 << 10  // bytes per worker after them
	leaseWorkers = 6
)

// leasePatternBytes is the pattern: no byte is 0xEE, which lease calls
// search for through the whole of it.
func leasePatternBytes() []byte {
	p := make([]byte, leasePattern)
	for i := range p {
		p[i] = byte(i*7 + i>>8)
		if p[i] == 0xEE {
			p[i] = 0x11
		}
	}
	return p
}

// TestLeaseRacesClose closes a buffer, or a view of it, while goroutines
// call methods of every kind on it, on its views and on pairs of buffers
// (Copy, Equals, Compare, Fill from a buffer), checking each result that is
// not fs.ErrClosed against what the call must give. For mapped kinds a
// canary buffer on another object is mapped right after Close, where the
// kernel would put it if Close had given the addresses back: the racing
// calls must leave it untouched.
func TestLeaseRacesClose(t *testing.T) {
	rounds := 30
	if relSoak() {
		rounds = 500
	}
	rng := relRand(t)
	pattern := leasePatternBytes()
	t.Run("memory", func(t *testing.T) {
		leaseRaces(t, rng, rounds, pattern, func() *ipcbuf.Buffer {
			b, err := ipcbuf.Alloc(leaseSize)
			qt.Assert(t, err, qt.IsNil)
			_, err = b.WriteAt(pattern, 0)
			qt.Assert(t, err, qt.IsNil)
			return b
		}, nil)
	})
	forKinds(t, func(t *testing.T, kc kindCase) {
		target, canaryTarget := kc.target(t), kc.target(t)
		keep := open(t, target, leaseSize, ipcbuf.Exclusive()) // the objects stay while rounds map them
		_, err := keep.WriteAt(pattern, 0)
		qt.Assert(t, err, qt.IsNil)
		open(t, canaryTarget, leaseSize, ipcbuf.Exclusive())
		leaseRaces(t, rng, rounds, pattern, func() *ipcbuf.Buffer {
			b, err := ipcbuf.Open(target, 0)
			qt.Assert(t, err, qt.IsNil)
			return b
		}, func() *ipcbuf.Buffer {
			b, err := ipcbuf.Open(canaryTarget, 0)
			qt.Assert(t, err, qt.IsNil)
			return b
		})
	})
}

func leaseRaces(t *testing.T, rng *rand.Rand, rounds int, pattern []byte, mk, mkCanary func() *ipcbuf.Buffer) {
	var reported atomic.Int32
	report := func(format string, args ...any) {
		if reported.Add(1) <= 20 {
			t.Errorf(format, args...)
		}
	}
	var ok, closed atomic.Int64
	heap, err := ipcbuf.Alloc(leaseSize) // a pair's other buffer, never closed
	qt.Assert(t, err, qt.IsNil)
	for round := range rounds {
		b := mk()
		partner := mk() // another mapping of the same memory, closed after the round
		views := []*ipcbuf.Buffer{b, b.Slice(0, leasePattern), b.Slice(leasePattern/2, leaseSize)}
		closer := views[rng.IntN(len(views))]
		delay := time.Duration(rng.IntN(1500)) * time.Microsecond
		seed := rng.Uint64()

		var after atomic.Bool // set once Close has returned
		start := make(chan struct{})
		var wg sync.WaitGroup
		for w := range leaseWorkers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				wrng := rand.New(rand.NewPCG(seed, uint64(w)))
				<-start
				for it := 0; ; it++ {
					closedBefore := after.Load()
					for _, c := range leaseCalls(b, views, partner, heap, pattern, w, it, wrng) {
						switch {
						case c.err == nil && closedBefore:
							report("round %d worker %d: %s after Close: no error; want fs.ErrClosed", round, w, c.name)
						case c.err == nil && c.bad != "":
							report("round %d worker %d: %s: %s", round, w, c.name, c.bad)
						case c.err == nil:
							ok.Add(1)
						case !errors.Is(c.err, fs.ErrClosed):
							report("round %d worker %d: %s: %v; want its result or fs.ErrClosed", round, w, c.name, c.err)
						default:
							closed.Add(1)
						}
					}
					if p := b.Bytes(); closedBefore && p != nil {
						report("round %d: Bytes after Close is not nil", round)
					}
					if closedBefore {
						return
					}
					runtime.Gosched()
				}
			}()
		}
		close(start)
		time.Sleep(delay)
		qt.Assert(t, closer.Close(), qt.IsNil)
		var canary *ipcbuf.Buffer
		if mkCanary != nil {
			canary = mkCanary()
			qt.Assert(t, canary.Fill(0xCC, 0, canary.Len(), ""), qt.IsNil)
		}
		after.Store(true)
		wg.Wait()
		if canary != nil {
			for i, c := range canary.Bytes() {
				if c != 0xCC {
					report("round %d: the canary mapped after Close was written at byte %d", round, i)
					break
				}
			}
			qt.Assert(t, canary.Close(), qt.IsNil)
		}
		qt.Assert(t, partner.Close(), qt.IsNil)
		for _, v := range views {
			_, err := v.ReadUint8(0)
			qt.Assert(t, err, qt.ErrorIs, fs.ErrClosed)
		}
	}
	t.Logf("%d rounds: %d calls completed, %d returned fs.ErrClosed", rounds, ok.Load(), closed.Load())
	if ok.Load() == 0 || closed.Load() == 0 {
		t.Errorf("no race: %d calls completed and %d returned fs.ErrClosed; both should be many", ok.Load(), closed.Load())
	}
}

// leaseCall is one call's outcome: its error, and what was wrong with its
// result if it had no error.
type leaseCall struct {
	name string
	err  error
	bad  string
}

// leaseCalls makes worker w's calls of iteration it on b (whose first
// leasePattern bytes hold pattern, which no call writes), its views, a
// partner mapping of the same memory and a heap buffer, and checks each
// result that has no error. Worker w writes only its own region of b and
// of heap.
func leaseCalls(b *ipcbuf.Buffer, views []*ipcbuf.Buffer, partner, heap *ipcbuf.Buffer, pattern []byte, w, it int, rng *rand.Rand) []leaseCall {
	var calls []leaseCall
	add := func(name string, err error, bad string) {
		calls = append(calls, leaseCall{name, err, bad})
	}
	region := leasePattern + w*leaseRegion
	v := uint32(rng.Uint64())

	// The fixed-width fast paths and their guard.
	o := rng.IntN((leasePattern-512)/8) * 8 // reads stay in the pattern
	want64 := uint64(0)
	for i := 7; i >= 0; i-- {
		want64 = want64<<8 | uint64(pattern[o+i])
	}
	got64, err := b.ReadBigUint64LE(o)
	add("ReadBigUint64LE", err, cond(got64 != want64, "got %#x, want %#x", got64, want64))
	got8, err := views[1].ReadUint8(o + 3)
	add("view ReadUint8", err, cond(got8 != pattern[o+3], "got %d, want %d", got8, pattern[o+3]))
	wo := region + rng.IntN(leaseRegion/8)*8
	_, werr := b.WriteUint32BE(int64(v), wo)
	add("WriteUint32BE", werr, "")
	got32, err := b.ReadUint32BE(wo)
	add("ReadUint32BE", err, cond(werr == nil && got32 != v, "read back %#x, wrote %#x", got32, v))
	_, werr = b.WriteInt16LE(int64(int16(v)), wo+4)
	add("WriteInt16LE", werr, "")
	got16, err := b.ReadInt16LE(wo + 4)
	add("ReadInt16LE", err, cond(werr == nil && got16 != int16(v), "read back %d, wrote %d", got16, int16(v)))
	_, werr = b.WriteDoubleLE(float64(v), wo)
	add("WriteDoubleLE", werr, "")
	gotF, err := b.ReadDoubleLE(wo)
	add("ReadDoubleLE", err, cond(werr == nil && gotF != float64(v), "read back %v, wrote %v", gotF, float64(v)))
	gotV, err := b.ReadUintBE(o, 6) // the variable width: the leased path
	wantV := uint64(0)
	for i := range 6 {
		wantV = wantV<<8 | uint64(pattern[o+i])
	}
	add("ReadUintBE", err, cond(gotV != wantV, "got %#x, want %#x", gotV, wantV))

	// Leased methods, long and short.
	s, err := b.ToString("hex", o, o+16)
	add("ToString", err, cond(s != fmt.Sprintf("%x", pattern[o:o+16]), "got %q", s))
	i, err := views[1].IndexOf(byte(0xEE), 0, "") // scans all the pattern: Close may land mid-scan
	add("IndexOf missing", err, cond(i != -1, "got %d, want -1", i))
	i, err = views[2].IndexOf(pattern[leasePattern/2+100:leasePattern/2+104], 0, "")
	add("view IndexOf", err, cond(i < 0 || i > 100, "got %d, want a match at or before 100", i))
	p := make([]byte, 256)
	n, err := b.ReadAt(p, int64(o))
	add("ReadAt", err, cond(n != 256 || !bytes.Equal(p, pattern[o:o+256]), "read %d bytes that differ from the pattern", n))
	_, werr = b.Write("written by a worker", region+64, "")
	add("Write", werr, "")
	s, err = b.ToString("", region+64, region+83)
	add("ToString back", err, cond(werr == nil && s != "written by a worker", "read back %q", s))

	// Pairs: two mappings, a mapping and the heap, two views of one.
	n, err = b.Copy(heap, region, o, o+512)
	add("Copy to heap", err, cond(n != 512 || !bytes.Equal(heap.Bytes()[region:region+512], pattern[o:o+512]), "copied %d bytes that differ", n))
	n, err = heap.Copy(b, region+1024, region, region+256)
	add("Copy from heap", err, cond(n != 256, "copied %d bytes", n))
	n, err = b.Copy(partner, region+2048, o, o+128)
	add("Copy to partner", err, cond(n != 128, "copied %d bytes", n))
	n, err = partner.Copy(b, region+3072, o, o+128)
	add("Copy from partner", err, cond(n != 128, "copied %d bytes", n))
	eq, err := views[1].Equals(partner.Slice(0, leasePattern))
	add("Equals partner", err, cond(!eq, "the pattern differs from itself"))
	c, err := ipcbuf.Compare(views[1].Slice(o, o+64), heap.Slice(0, 0))
	add("Compare", err, cond(c != 1, "got %d, want 1", c))
	c, err = views[1].CompareRange(views[2], 0, 64, leasePattern/2, leasePattern/2+64)
	add("CompareRange views", err, cond(c != 0, "got %d, want 0", c))
	err = b.Fill(views[1].Slice(o, o+8), region+512, region+576, "")
	add("Fill from a view", err, "")
	return calls
}

// cond returns the message made of format and args if bad holds, else "".
func cond(bad bool, format string, args ...any) string {
	if !bad {
		return ""
	}
	return fmt.Sprintf(format, args...)
}
