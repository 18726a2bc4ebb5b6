//go:build !windows

// The Ring waits on words of shared memory, which Windows cannot do
// between processes: there CreateRing and OpenRing fail with
// errors.ErrUnsupported (TestWindowsFutexUnsupported).

package ipcbuf_test

// FuzzRingHeader: whatever bytes a ring's buffer holds, OpenRing and the
// calls that never wait neither crash nor hang, and fail only in the ways
// the documentation names. Scenario "ring corrupt header".

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/ipcbuf/ipcbuf"
)

// rtFuzzCap is the fuzzed ring's capacity: the smallest, so the fuzzer
// controls the header and all of the data area (1088 bytes in all).
const rtFuzzCap = 64

// rtBound ends the process, with every goroutine's stack, if the call it
// guards (until the returned function runs) takes longer than 10 s: a call
// that never waits must not hang, whatever the bytes.
func rtBound(what string, raw []byte) (done func()) {
	timer := time.AfterFunc(10*time.Second, func() {
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		fmt.Fprintf(os.Stderr, "%s hung for 10s on the ring bytes\n%x\n%s", what, raw, buf[:n])
		os.Exit(3)
	})
	return func() { timer.Stop() }
}

// rtFuzzSeeds returns rings in the states a ring goes through, and the
// same rings with each header field broken.
func rtFuzzSeeds(f *testing.F) [][]byte {
	var seeds [][]byte
	snap := func(b *ipcbuf.Buffer) { seeds = append(seeds, rtSnapshot(b)) }
	newRing := func(opts ...ipcbuf.RingOption) (*ipcbuf.Buffer, *ipcbuf.Ring) {
		b, err := ipcbuf.Alloc(ipcbuf.RingSize(rtFuzzCap))
		if err != nil {
			f.Fatal(err)
		}
		r, err := ipcbuf.CreateRing(b, opts...)
		if err != nil {
			f.Fatal(err)
		}
		return b, r
	}
	must := func(err error) {
		if err != nil {
			f.Helper()
			f.Fatal(err)
		}
	}
	buf := make([]byte, rtFuzzCap)

	b, r := newRing()
	snap(b) // new
	must(r.TrySend([]byte("one")))
	snap(b) // a message waiting
	must(r.TrySend([]byte("two")))
	_, err := r.TryRecv(buf)
	must(err)
	snap(b) // one received, one waiting
	v, err := r.TryReserve(5)
	must(err)
	snap(b) // a record being written by this process
	binary.NativeEndian.PutUint32(b.Bytes()[rtRecAt(rtStat(f, r).Tail-32, rtFuzzCap)+12:], 1<<31-2)
	snap(b) // ... by a process that does not exist
	must(v.Commit())
	m, err := r.TryPeek()
	must(err)
	snap(b) // a message held (claimed)
	must(m.Release())
	for rtStat(f, r).Tail%rtFuzzCap != 48 {
		must(r.TrySend(nil)) // 24-byte records
		_, err = r.TryRecv(buf)
		must(err)
	}
	must(r.TrySend(nil)) // after 16 bytes of padding
	snap(b)
	r.Close()

	b, r = newRing(ipcbuf.SingleProducer(), ipcbuf.SingleConsumer())
	snap(b) // single roles, free
	must(r.TrySend([]byte("x")))
	_, err = r.TryRecv(buf)
	must(err)
	must(r.TrySend([]byte("y")))
	snap(b) // single roles held by this process
	r.Close()

	// Each field of a good header broken in turn.
	good := seeds[1]
	for _, field := range []struct {
		off, size int
		v         uint64
	}{
		{rtMagic, 8, 0}, {rtVersion, 4, 2}, {rtFlags, 4, 3}, {rtFlags, 4, 4},
		{rtCapacity, 8, 128}, {rtCapacity, 8, 32}, {rtCapacity, 8, 96}, {rtHdrSize, 4, 512},
		{rtTail, 8, 8}, {rtTail, 8, 4}, {rtHead, 8, 40}, {rtFree, 8, 8}, {rtTail, 8, 1 << 63},
		{rtProdLock, 8, 1}, {rtConsLock, 8, 1<<32 | 1}, {rtProdLock, 8, 1<<31 - 2},
		{rtDataSeq, 4, 1<<32 - 1}, {rtConsWait, 4, 3}, {rtProdWait, 4, 1<<32 - 1},
		{ipcbuf.RingHeaderSize, 8, 0}, {ipcbuf.RingHeaderSize, 8, rtStateReleased},
		{ipcbuf.RingHeaderSize, 8, rtStateWriting}, {ipcbuf.RingHeaderSize, 8, rtStatePadding},
		{ipcbuf.RingHeaderSize + 8, 4, 1000},
	} {
		raw := bytes.Clone(good)
		if field.size == 4 {
			binary.NativeEndian.PutUint32(raw[field.off:], uint32(field.v))
		} else {
			binary.NativeEndian.PutUint64(raw[field.off:], field.v)
		}
		seeds = append(seeds, raw)
	}
	seeds = append(seeds, make([]byte, ipcbuf.RingSize(rtFuzzCap)), good[:ipcbuf.RingHeaderSize])
	return seeds
}

// FuzzRingHeader fuzzes a ring's 1024 header bytes and its 64 data bytes:
// OpenRing either refuses them with an error matching ErrCorrupt, writing
// nothing, or opens a ring on which Stat, TrySend, TryRecv, TryReserve and
// TryPeek each return within 10 s, with no error but those documented
// (ErrFull, ErrEmpty, ErrBusy, ErrCorrupt), always as an *fs.PathError.
func FuzzRingHeader(f *testing.F) {
	for _, seed := range rtFuzzSeeds(f) {
		f.Add(seed)
	}
	size := ipcbuf.RingSize(rtFuzzCap)
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) > size {
			raw = raw[:size]
		}
		b, err := ipcbuf.Alloc(size)
		if err != nil {
			t.Fatal(err)
		}
		copy(b.Bytes(), raw)
		before := rtSnapshot(b)
		check := func(what string, err error, allowed ...error) {
			t.Helper()
			if err == nil {
				return
			}
			var pe *fs.PathError
			if !errors.As(err, &pe) {
				t.Fatalf("%s: %v: not an *fs.PathError", what, err)
			}
			for _, a := range allowed {
				if errors.Is(err, a) {
					return
				}
			}
			t.Fatalf("%s: %v: not one of %v", what, err, allowed)
		}

		done := rtBound("OpenRing", raw)
		r, err := ipcbuf.OpenRing(b)
		done()
		if err != nil {
			check("OpenRing", err, ipcbuf.ErrCorrupt)
			if !errors.Is(err, ipcbuf.ErrCorrupt) {
				t.Fatalf("OpenRing: %v", err)
			}
			if !bytes.Equal(rtSnapshot(b), before) {
				t.Fatalf("OpenRing refused the ring and wrote to it")
			}
			return
		}
		defer r.Close()
		if r.Cap() != rtFuzzCap {
			t.Fatalf("opened a ring of capacity %d in %d bytes", r.Cap(), size)
		}

		stat := func() {
			t.Helper()
			done := rtBound("Stat", raw)
			st, err := r.Stat()
			done()
			check("Stat", err, ipcbuf.ErrCorrupt)
			if err == nil && (st.Used < 0 || st.Used > rtFuzzCap || st.Free > st.Head || st.Head > st.Tail ||
				st.Messages+st.Writing > rtFuzzCap/rtRecHeader || st.DeadWriting > st.Writing) {
				t.Fatalf("Stat: %+v", st)
			}
		}
		stat()

		done = rtBound("TrySend", raw)
		err = r.TrySend([]byte("fuzz"))
		done()
		check("TrySend", err, ipcbuf.ErrFull, ipcbuf.ErrBusy, ipcbuf.ErrCorrupt)

		recvBuf := make([]byte, rtFuzzCap)
		for range 3 {
			done = rtBound("TryRecv", raw)
			n, err := r.TryRecv(recvBuf)
			done()
			check("TryRecv", err, ipcbuf.ErrEmpty, ipcbuf.ErrBusy, ipcbuf.ErrCorrupt)
			if err == nil && n > r.MaxMessage() {
				t.Fatalf("TryRecv: a message of %d bytes from a ring whose longest is %d", n, r.MaxMessage())
			}
		}
		stat()

		done = rtBound("TryReserve", raw)
		v, err := r.TryReserve(3)
		done()
		check("TryReserve", err, ipcbuf.ErrFull, ipcbuf.ErrBusy, ipcbuf.ErrCorrupt)
		if err == nil {
			if len(v.Bytes()) != 3 {
				t.Fatalf("TryReserve(3): %d bytes", len(v.Bytes()))
			}
			copy(v.Bytes(), "abc")
			done = rtBound("Commit", raw)
			err = v.Commit()
			done()
			check("Commit", err, ipcbuf.ErrCorrupt)
		}

		done = rtBound("TryPeek", raw)
		m, err := r.TryPeek()
		done()
		check("TryPeek", err, ipcbuf.ErrEmpty, ipcbuf.ErrBusy, ipcbuf.ErrCorrupt)
		if err == nil {
			if len(m.Bytes()) > r.MaxMessage() {
				t.Fatalf("TryPeek: a message of %d bytes from a ring whose longest is %d", len(m.Bytes()), r.MaxMessage())
			}
			done = rtBound("Release", raw)
			err = m.Release()
			done()
			check("Release", err, ipcbuf.ErrCorrupt)
		}
		stat()
	})
}
