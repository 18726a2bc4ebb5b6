//go:build !windows

// The Ring waits on words of shared memory, which Windows cannot do
// between processes: there CreateRing and OpenRing fail with
// errors.ErrUnsupported (TestWindowsFutexUnsupported).

package ipcbuf_test

// The ring (RING.md) within one process: ordering and integrity with
// several producers and consumers, wrap-around at every record size, full
// and empty rings, timeouts and cancellation, bad input, the zero-copy
// calls, the single-producer and single-consumer roles, and corrupt
// headers and records. The tests between processes are elsewhere.

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	qt "github.com/frankban/quicktest"
	"github.com/google/go-cmp/cmp"

	"github.com/ipcbuf/ipcbuf"
)

// The ring's header fields and record fields, at their offsets in RING.md.
// The tests write them directly to break a ring on purpose.
const (
	rtMagic     = 0
	rtVersion   = 8
	rtFlags     = 12
	rtCapacity  = 16
	rtHdrSize   = 24
	rtTail      = 128
	rtProdLock  = 136
	rtHead      = 256
	rtConsLock  = 264
	rtFree      = 384
	rtLost      = 392
	rtSkipped   = 400
	rtDataSeq   = 512
	rtConsWait  = 516
	rtSpaceSeq  = 640
	rtProdWait  = 644
	rtRecHeader = 24 // a record's header; the message follows

	rtStateWriting   = 1
	rtStateCommitted = 2
	rtStateClaimed   = 3
	rtStateReleased  = 4
	rtStatePadding   = 5
	rtStateSkipped   = 6
)

// rtRecordSize is the size of the record that holds an n-byte message.
func rtRecordSize(n int) int { return (rtRecHeader + n + 7) &^ 7 }

// rtMemRing formats a memory buffer as a ring of the given capacity.
func rtMemRing(t testing.TB, capacity int, opts ...ipcbuf.RingOption) (*ipcbuf.Buffer, *ipcbuf.Ring) {
	t.Helper()
	b, err := ipcbuf.Alloc(ipcbuf.RingSize(capacity))
	qt.Assert(t, err, qt.IsNil)
	r, err := ipcbuf.CreateRing(b, opts...)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, r.Cap(), qt.Equals, capacity)
	t.Cleanup(func() { r.Close() })
	return b, r
}

// rtShmRing creates a ring of the given capacity in a new POSIX object,
// and opens it a second time through a mapping of its own: the first ring
// is the creator's, the second another user's. Both get opts, which must
// therefore be options OpenRing takes too.
func rtShmRing(t *testing.T, capacity int, opts ...ipcbuf.RingOption) (b1 *ipcbuf.Buffer, r1 *ipcbuf.Ring, b2 *ipcbuf.Buffer, r2 *ipcbuf.Ring) {
	t.Helper()
	requireKind(t, ipcbuf.KindPOSIX)
	target := "*" + shmName(t)
	b1 = open(t, target, ipcbuf.RingSize(capacity), ipcbuf.Exclusive())
	r1, err := ipcbuf.CreateRing(b1, opts...)
	qt.Assert(t, err, qt.IsNil)
	t.Cleanup(func() { r1.Close() })
	b2 = open(t, target, 0, ipcbuf.OpenOnly())
	r2, err = ipcbuf.OpenRing(b2, opts...)
	qt.Assert(t, err, qt.IsNil)
	t.Cleanup(func() { r2.Close() })
	qt.Assert(t, r2.Cap(), qt.Equals, capacity)
	return b1, r1, b2, r2
}

// rtStat returns r's Stat, which must succeed.
func rtStat(t testing.TB, r *ipcbuf.Ring) ipcbuf.RingStat {
	t.Helper()
	st, err := r.Stat()
	qt.Assert(t, err, qt.IsNil)
	return st
}

// rtSnapshot returns a copy of b's bytes, to show that a call changed
// nothing.
func rtSnapshot(b *ipcbuf.Buffer) []byte { return bytes.Clone(b.Bytes()) }

// rtPut stores a native-endian word of size 4 or 8 at off in b.
func rtPut(t testing.TB, b *ipcbuf.Buffer, off int, size int, v uint64) {
	t.Helper()
	var err error
	if size == 4 {
		err = b.StoreUint32(off, uint32(v))
	} else {
		err = b.StoreUint64(off, v)
	}
	qt.Assert(t, err, qt.IsNil)
}

// rtGet64 loads the 8-byte word at off in b.
func rtGet64(t testing.TB, b *ipcbuf.Buffer, off int) uint64 {
	t.Helper()
	v, err := b.LoadUint64(off)
	qt.Assert(t, err, qt.IsNil)
	return v
}

// rtMessage makes message seq of producer: the producer and the sequence
// number, n-12 bytes that depend on both, and the CRC-32 of all that, so a
// torn, shifted or mixed message fails rtCheck. n is at least 12.
func rtMessage(producer, seq uint32, n int) []byte {
	p := make([]byte, n)
	binary.LittleEndian.PutUint32(p, producer)
	binary.LittleEndian.PutUint32(p[4:], seq)
	for i := 8; i < n-4; i++ {
		p[i] = byte(int(producer)*31 + int(seq)*7 + i)
	}
	binary.LittleEndian.PutUint32(p[n-4:], crc32.ChecksumIEEE(p[:n-4]))
	return p
}

// rtCheck returns the producer and sequence number of a message made by
// rtMessage, or an error if it is not one.
func rtCheck(p []byte) (producer, seq uint32, err error) {
	if len(p) < 12 {
		return 0, 0, fmt.Errorf("message of %d bytes: too short", len(p))
	}
	n := len(p)
	if got, want := binary.LittleEndian.Uint32(p[n-4:]), crc32.ChecksumIEEE(p[:n-4]); got != want {
		return 0, 0, fmt.Errorf("message of %d bytes: crc32 %#x, want %#x: % x", n, got, want, p)
	}
	return binary.LittleEndian.Uint32(p), binary.LittleEndian.Uint32(p[4:]), nil
}

// rtLength is the length of message seq of producer: from min (at least
// 12) to max, varied so that records of every size and every padding
// occur.
func rtLength(producer, seq uint32, min, max int) int {
	return min + int(seq*13+producer*5)%(max-min+1)
}

// rtSendWith sends p on r the way method number k does: the blocking
// calls and the zero-copy one take turns, so that every one of them meets
// the others on a busy ring.
func rtSendWith(ctx context.Context, r *ipcbuf.Ring, k int, p []byte) error {
	switch k % 4 {
	case 0:
		return r.Send(p)
	case 1:
		return r.SendTimeout(p, time.Hour)
	case 2:
		return r.SendContext(ctx, p)
	default:
		v, err := r.Reserve(len(p))
		if err != nil {
			return err
		}
		if got := len(v.Bytes()); got != len(p) {
			return fmt.Errorf("Reserve(%d).Bytes() has %d bytes", len(p), got)
		}
		copy(v.Bytes(), p)
		return v.Commit()
	}
}

// rtRecvWith receives one message from r the way method number k does,
// and returns a copy of it.
func rtRecvWith(ctx context.Context, r *ipcbuf.Ring, k int, buf []byte) ([]byte, error) {
	var n int
	var err error
	switch k % 4 {
	case 0:
		n, err = r.Recv(buf)
	case 1:
		n, err = r.RecvTimeout(buf, time.Hour)
	case 2:
		n, err = r.RecvContext(ctx, buf)
	default:
		m, err := r.Peek()
		if err != nil {
			return nil, err
		}
		p := bytes.Clone(m.Bytes())
		return p, m.Release()
	}
	if err != nil {
		return nil, err
	}
	return bytes.Clone(buf[:n]), nil
}

// rtSeen is one message as a consumer received it.
type rtSeen struct{ producer, seq uint32 }

// TestRingOrdering: producers and consumers, one or several, on a memory
// ring and on a POSIX object mapped twice, with rings from large to tiny
// (on the tiny ones every call meets a full or an empty ring): every
// message arrives intact (its CRC), exactly once, and each consumer sees
// each producer's messages in the order they were sent. The messages'
// lengths vary, so records of every size and the padding at the end occur.
func TestRingOrdering(t *testing.T) {
	mutexWatchdog(t, 10*time.Minute)
	for _, tc := range []struct {
		name                 string
		shm                  bool
		capacity             int
		producers, consumers int
		perProducer          int
		minLength, maxLength int // of the messages: 12 at least
	}{
		{"memory/1x1", false, 4096, 1, 1, 20000, 12, 300},
		{"memory/1x3", false, 4096, 1, 3, 20000, 12, 300},
		{"memory/3x1", false, 4096, 3, 1, 8000, 12, 300},
		{"memory/3x3", false, 1024, 3, 3, 8000, 12, 300},
		// Small rings: every call meets a full or an empty ring.
		{"memory/4x4 tiny ring, no padding", false, 128, 4, 4, 3000, 33, 40}, // 64-byte records
		{"memory/4x4 small ring, records up to half", false, 256, 4, 4, 3000, 12, 104},
		{"memory/4x4 tiny ring, any length", false, 64, 4, 4, 2000, 12, 40},
		{"posix/1x1", true, 4096, 1, 1, 20000, 12, 300},
		{"posix/3x3", true, 2048, 3, 3, 8000, 12, 300},
		{"posix/2x2 small ring, records up to half", true, 256, 2, 2, 3000, 12, 104},
		{"posix/2x2 tiny ring, any length", true, 128, 2, 2, 2000, 12, 104},
		// RingSpin: the blocking calls look again for a while before they
		// sleep.
		{"memory/2x2 spinning", false, 256, 2, 2, 3000, 12, 104},
		{"posix/2x2 spinning", true, 256, 2, 2, 3000, 12, 104},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var send, recv *ipcbuf.Ring
			var sendB, recvB *ipcbuf.Buffer
			var opts []ipcbuf.RingOption
			if strings.Contains(tc.name, "spinning") {
				opts = append(opts, ipcbuf.RingSpin(20*time.Microsecond))
			}
			if tc.shm {
				sendB, send, recvB, recv = rtShmRing(t, tc.capacity, opts...)
			} else {
				sendB, send = rtMemRing(t, tc.capacity, opts...)
				recvB, recv = sendB, send
			}
			qt.Assert(t, tc.maxLength <= send.MaxMessage(), qt.IsTrue)
			ctx := context.Background()
			var received atomic.Int64
			var stuck atomic.Bool
			defer rtStallWatch(t, &received, &stuck, recv, sendB, recvB)()

			var producers sync.WaitGroup
			sendErrs := make(chan error, tc.producers)
			for p := range tc.producers {
				producers.Add(1)
				go func() {
					defer producers.Done()
					for seq := range tc.perProducer {
						msg := rtMessage(uint32(p), uint32(seq), rtLength(uint32(p), uint32(seq), tc.minLength, tc.maxLength))
						if err := rtSendWith(ctx, send, p+seq, msg); err != nil {
							sendErrs <- fmt.Errorf("producer %d, message %d: %w", p, seq, err)
							return
						}
					}
				}()
			}

			var consumers sync.WaitGroup
			logs := make([][]rtSeen, tc.consumers)
			recvErrs := make(chan error, tc.consumers)
			for c := range tc.consumers {
				consumers.Add(1)
				go func() {
					defer consumers.Done()
					buf := make([]byte, recv.MaxMessage())
					for k := c; ; k++ {
						p, err := rtRecvWith(ctx, recv, k, buf)
						if err != nil {
							recvErrs <- fmt.Errorf("consumer %d: %w", c, err)
							return
						}
						if len(p) == 0 { // the end: one empty message for each consumer
							return
						}
						producer, seq, err := rtCheck(p)
						if err != nil {
							recvErrs <- fmt.Errorf("consumer %d: %w", c, err)
							return
						}
						logs[c] = append(logs[c], rtSeen{producer, seq})
						received.Add(1)
					}
				}()
			}

			producers.Wait()
			close(sendErrs)
			for err := range sendErrs {
				if !stuck.Load() { // then the errors are the closed buffer's
					t.Error(err)
				}
			}
			for range tc.consumers {
				if err := send.Send(nil); err != nil && !stuck.Load() {
					t.Error(err)
				}
			}
			consumers.Wait()
			close(recvErrs)
			for err := range recvErrs {
				if !stuck.Load() {
					t.Error(err)
				}
			}
			if t.Failed() {
				return
			}

			// Exactly once, and in each producer's order within each consumer.
			count := make(map[rtSeen]int)
			for c, log := range logs {
				last := make(map[uint32]int64)
				for _, s := range log {
					count[s]++
					prev, ok := last[s.producer]
					if ok && int64(s.seq) <= prev {
						t.Errorf("consumer %d got producer %d's message %d after its message %d", c, s.producer, s.seq, prev)
					}
					last[s.producer] = int64(s.seq)
				}
			}
			qt.Assert(t, len(count), qt.Equals, tc.producers*tc.perProducer)
			for s, n := range count {
				if n != 1 {
					t.Errorf("producer %d's message %d arrived %d times", s.producer, s.seq, n)
				}
			}
			if tc.consumers == 1 {
				for p := range tc.producers {
					var seqs []uint32
					for _, s := range logs[0] {
						if s.producer == uint32(p) {
							seqs = append(seqs, s.seq)
						}
					}
					want := make([]uint32, tc.perProducer)
					for i := range want {
						want[i] = uint32(i)
					}
					qt.Assert(t, seqs, qt.DeepEquals, want, qt.Commentf("producer %d", p))
				}
			}

			st := rtStat(t, recv)
			qt.Check(t, st.Used, qt.Equals, int64(0))
			qt.Check(t, st.Messages, qt.Equals, 0)
			qt.Check(t, st.Writing, qt.Equals, 0)
			qt.Check(t, st.Skipped, qt.Equals, uint64(0))
			qt.Check(t, st.Lost, qt.Equals, uint64(0))
			qt.Check(t, st.Head, qt.Equals, st.Tail)
			qt.Check(t, st.Free, qt.Equals, st.Tail)
			qt.Check(t, st.Capacity, qt.Equals, int64(tc.capacity))
			qt.Check(t, st.Tail >= uint64(tc.producers*tc.perProducer*rtRecordSize(12)), qt.IsTrue)
		})
	}
}

// rtOffsets returns the offsets in a data area of c bytes at which a
// record can start: 0, and every multiple of 8 from 24 on (a record is at
// least 24 bytes, and the first record of a lap starts at 0, so 8 and 16
// are never reached).
func rtOffsets(c int) []int {
	offs := []int{0}
	for off := rtRecHeader; off < c; off += 8 {
		offs = append(offs, off)
	}
	return offs
}

// rtStallWatch fails t if the count of messages received stands still for
// 30 s (no load makes a ring that slow: it is stuck, both sides asleep),
// sets stuck, and then closes the buffers, which wakes every call waiting on the ring
// with fs.ErrClosed, so the test ends instead of hanging. The function it
// returns stops the watch.
func rtStallWatch(t *testing.T, count *atomic.Int64, stuck *atomic.Bool, r *ipcbuf.Ring, bufs ...*ipcbuf.Buffer) (stop func()) {
	const still = 30 * time.Second
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		last, since := count.Load(), time.Now()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			if n := count.Load(); n != last {
				last, since = n, time.Now()
				continue
			}
			if time.Since(since) < still {
				continue
			}
			st, err := r.Stat()
			t.Errorf("stuck: no message received for %v after %d; the ring: %+v (%v)", still, last, st, err)
			stuck.Store(true)
			for _, b := range bufs {
				b.Close()
			}
			return
		}
	}()
	return func() { close(done); <-exited }
}

// rtAdvanceTo sends and receives filler messages on the empty ring r until
// its tail is at offset off of the data area (one of rtOffsets).
func rtAdvanceTo(t *testing.T, r *ipcbuf.Ring, off int) {
	t.Helper()
	c := r.Cap()
	buf := make([]byte, c)
	for range 4 {
		pos := int(rtStat(t, r).Tail % uint64(c))
		var size int
		switch {
		case pos == off:
			return
		case off-pos >= rtRecHeader:
			size = off - pos
		case c-pos >= rtRecHeader:
			size = c - pos // to the end exactly
		default:
			size = rtRecHeader // after padding, from 0
		}
		qt.Assert(t, r.TrySend(make([]byte, size-rtRecHeader)), qt.IsNil)
		n, err := r.TryRecv(buf)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, n, qt.Equals, size-rtRecHeader)
	}
	t.Fatalf("did not reach offset %d", off)
}

// TestRingWrapAround: on rings of 64 to 512 bytes, a message of every
// length from 0 to MaxMessage sent into the empty ring at every offset of
// the data area, those near the end included: it comes back intact, and
// Stat's positions, Used and Messages say what RING.md says they must. A
// record that does not fit before the end goes after a padding record,
// which takes the rest of the area; a message of MaxMessage takes the
// whole area.
func TestRingWrapAround(t *testing.T) {
	mutexWatchdog(t, 10*time.Minute)
	for _, c := range []int{64, 128, 256, 512} {
		t.Run(strconv.Itoa(c), func(t *testing.T) {
			_, r := rtMemRing(t, c)
			qt.Assert(t, r.MaxMessage(), qt.Equals, c-rtRecHeader)
			buf := make([]byte, c)
			refused, cases := 0, 0
			defer func() {
				if refused > 0 {
					t.Errorf("capacity %d: %d of %d messages sent into the empty ring were refused with ErrFull", c, refused, cases)
				}
			}()
			for _, off := range rtOffsets(c) {
				if c > 256 && off > rtRecHeader && off < c-136 {
					continue // the largest ring: the offsets near its end only
				}
				for n := 0; n <= r.MaxMessage(); n++ {
					cases++
					rtAdvanceTo(t, r, off)
					before := rtStat(t, r)
					qt.Assert(t, before.Used, qt.Equals, int64(0))
					qt.Assert(t, before.Messages, qt.Equals, 0)
					msg := make([]byte, n)
					for i := range msg {
						msg[i] = byte(off + n + i)
					}
					size, pad := rtRecordSize(n), 0
					if off+size > c {
						pad = c - off
					}
					what := qt.Commentf("capacity %d, offset %d, length %d (record %d, padding %d)", c, off, n, size, pad)
					if err := r.TrySend(msg); err != nil {
						// An empty ring must take any message up to
						// MaxMessage. Before producers passed their own
						// padding (RING.md, step 1), a record that needed
						// padding, with the two together over the capacity,
						// was refused here: each refusal fails the test, and
						// the loop goes on from a ring made empty again so
						// that the failure counts them all.
						qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrFull, what)
						qt.Assert(t, pad > 0 && pad+size > c, qt.IsTrue, what)
						if refused++; refused <= 3 {
							t.Errorf("TrySend into the empty ring: %v (%s)", err, what)
						}
						rtRecoverPadding(t, r)
						continue
					}
					st := rtStat(t, r)
					qt.Assert(t, st.Tail, qt.Equals, before.Tail+uint64(pad+size), what)
					wantHead := before.Head
					if pad > 0 && pad+size > c {
						// The record could not fit beside its padding: the
						// producer passed the padding itself (RING.md, step 1).
						wantHead += uint64(pad)
					}
					qt.Assert(t, st.Head, qt.Equals, wantHead, what)
					qt.Assert(t, st.Used, qt.Equals, int64(st.Tail-st.Free), what)
					qt.Assert(t, st.Used <= int64(c), qt.IsTrue, what)
					qt.Assert(t, st.Messages, qt.Equals, 1, what)
					got, err := r.TryRecv(buf)
					qt.Assert(t, err, qt.IsNil, what)
					if diff := cmp.Diff(msg, buf[:got]); diff != "" {
						t.Fatalf("message differs (-sent +received):\n%s\n%s", diff, what)
					}
					st = rtStat(t, r)
					qt.Assert(t, st.Used, qt.Equals, int64(0), what)
					qt.Assert(t, st.Messages, qt.Equals, 0, what)
					qt.Assert(t, st.Head, qt.Equals, st.Tail, what)
					qt.Assert(t, st.Free, qt.Equals, st.Tail, what)
				}
			}
			// Two messages at once, the second one after the first, where
			// RING.md's placement puts it (after padding if it needs any), or
			// ErrFull where it says the ring has no room.
			for _, off := range rtOffsets(c) {
				rtAdvanceTo(t, r, off)
				first, second := []byte("first"), bytes.Repeat([]byte{'2'}, c/2-rtRecHeader)
				before := rtStat(t, r)
				qt.Assert(t, r.TrySend(first), qt.IsNil)
				mid := rtStat(t, r)
				tail, fits := rtPlace(mid.Tail, mid.Free, c, rtRecordSize(len(second)))
				what := qt.Commentf("capacity %d, offset %d", c, off)
				err := r.TrySend(second)
				st := rtStat(t, r)
				if fits {
					qt.Assert(t, err, qt.IsNil, what)
					qt.Assert(t, st.Tail, qt.Equals, tail, what)
					qt.Assert(t, st.Used, qt.Equals, int64(tail-before.Free), what)
				} else {
					qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrFull, what)
					second = nil
				}
				qt.Assert(t, st.Free, qt.Equals, before.Free, what)
				qt.Assert(t, st.Messages, qt.Equals, 1+rtBtoi(second != nil), what)
				n, err := r.TryRecv(buf)
				qt.Assert(t, err, qt.IsNil)
				qt.Assert(t, string(buf[:n]), qt.Equals, "first")
				if second != nil {
					n, err = r.TryRecv(buf)
					qt.Assert(t, err, qt.IsNil)
					qt.Assert(t, buf[:n], qt.DeepEquals, second)
				}
				_, err = r.TryRecv(buf)
				qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrEmpty)
				if st = rtStat(t, r); st.Used != 0 { // padding written for the refused second message
					rtRecoverPadding(t, r)
				}
			}
		})
	}
}

// rtRecoverPadding empties r, which holds no message but may hold a
// padding record that free has not passed, by sending and receiving a
// small message: its release moves free over the padding too.
func rtRecoverPadding(t *testing.T, r *ipcbuf.Ring) {
	t.Helper()
	buf := make([]byte, r.Cap())
	_, err := r.TryRecv(buf)
	qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrEmpty)
	qt.Assert(t, r.TrySend(nil), qt.IsNil)
	n, err := r.TryRecv(buf)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, n, qt.Equals, 0)
	st := rtStat(t, r)
	qt.Assert(t, st.Used, qt.Equals, int64(0), qt.Commentf("%+v", st))
}

// rtPlace is RING.md's step 1 of sending: where a record of size bytes
// goes in a ring of capacity c whose tail and free are as given. It
// returns the tail after the record and true, or, if the ring is full, the
// tail after any padding written and false.
func rtPlace(tail, free uint64, c, size int) (uint64, bool) {
	t := tail
	if int(t%uint64(c))+size > c {
		pad := uint64(c) - t%uint64(c)
		if t+pad-free > uint64(c) {
			return tail, false
		}
		t += pad
	}
	if t+uint64(size)-free > uint64(c) {
		return t, false
	}
	return t + uint64(size), true
}

func rtBtoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestRingEmptyMessageAtEnd: a message of 0 bytes whose 24-byte record
// ends exactly at the end of the data area (and of a memory buffer): sent,
// reserved, received and peeked like any other. Its bytes are the empty
// slice at the very end of the buffer; making it must not point past the
// buffer's memory, which Go's checkptr (on under -race) calls a fatal
// error.
func TestRingEmptyMessageAtEnd(t *testing.T) {
	for _, c := range []int{64, 128, 256, 512} {
		t.Run(strconv.Itoa(c), func(t *testing.T) { rtEmptyMessageAtEnd(t, c) })
	}
}

func rtEmptyMessageAtEnd(t *testing.T, c int) {
	_, r := rtMemRing(t, c)
	buf := make([]byte, c)
	for i := range 3 {
		rtAdvanceTo(t, r, c-rtRecHeader)
		switch i {
		case 0:
			qt.Assert(t, r.TrySend(nil), qt.IsNil)
		default:
			v, err := r.TryReserve(0)
			qt.Assert(t, err, qt.IsNil)
			qt.Assert(t, len(v.Bytes()), qt.Equals, 0)
			qt.Assert(t, v.Commit(), qt.IsNil)
		}
		qt.Assert(t, rtStat(t, r).Tail%uint64(c), qt.Equals, uint64(0))
		if i < 2 {
			n, err := r.TryRecv(buf)
			qt.Assert(t, err, qt.IsNil)
			qt.Assert(t, n, qt.Equals, 0)
		} else {
			m, err := r.TryPeek()
			qt.Assert(t, err, qt.IsNil)
			qt.Assert(t, len(m.Bytes()), qt.Equals, 0)
			qt.Assert(t, m.Release(), qt.IsNil)
		}
	}
}

// TestRingMaxMessageBlocking: a blocking Send of a message that needs the
// whole data area, at every offset, while a consumer already waits in
// Recv: the message arrives. A ring whose producer waited for space that
// only padding holds, while its consumer waited for data, would hang here.
func TestRingMaxMessageBlocking(t *testing.T) {
	mutexWatchdog(t, 5*time.Minute)
	const c = 128
	_, r := rtMemRing(t, c)
	for _, off := range rtOffsets(c) {
		rtAdvanceTo(t, r, off)
		msg := bytes.Repeat([]byte{byte(off)}, r.MaxMessage())
		got := make(chan []byte, 1)
		go func() {
			buf := make([]byte, c)
			n, err := r.RecvTimeout(buf, 20*time.Second)
			if err != nil {
				t.Errorf("offset %d: Recv: %v", off, err)
			}
			got <- buf[:n]
		}()
		rtWaitFor(t, r, "a consumer waiting", func(st ipcbuf.RingStat) bool { return st.ConsumersWaiting > 0 })
		qt.Assert(t, r.SendTimeout(msg, 20*time.Second), qt.IsNil, qt.Commentf("offset %d", off))
		qt.Assert(t, <-got, qt.DeepEquals, msg, qt.Commentf("offset %d", off))
	}
}

// rtWithin runs call, which must return within d (a minute is far more
// than any call here needs), and returns its error. A call that hangs
// fails the test and is left behind, so that the tests after it still run.
func rtWithin(t *testing.T, d time.Duration, what string, call func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- call() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatalf("%s did not return in %v", what, d)
		return nil
	}
}

// rtWaitFor polls r's Stat until cond holds: how the tests know that a
// goroutine went to sleep in a blocking call (they never guess with a
// sleep of their own).
func rtWaitFor(t *testing.T, r *ipcbuf.Ring, what string, cond func(ipcbuf.RingStat) bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		st := rtStat(t, r)
		if cond(st) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s after a minute: %+v", what, st)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestRingFullEmpty: TrySend and TryReserve on a full ring give ErrFull
// and change no byte of the buffer; TryRecv and TryPeek on an empty one
// give ErrEmpty and change nothing either. Scenario "ring full/empty".
func TestRingFullEmpty(t *testing.T) {
	b, r := rtMemRing(t, 256)
	buf := make([]byte, 256)

	empty := rtSnapshot(b)
	_, err := r.TryRecv(buf)
	qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrEmpty)
	qt.Assert(t, err, qt.ErrorMatches, `.*memory buffer.*`) // a *fs.PathError naming the buffer
	var pe *fs.PathError
	qt.Assert(t, errors.As(err, &pe), qt.IsTrue)
	_, err = r.TryPeek()
	qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrEmpty)
	qt.Assert(t, rtSnapshot(b), qt.DeepEquals, empty)

	// Four records of 64 bytes fill the 256 bytes exactly.
	for i := range 4 {
		qt.Assert(t, r.TrySend(bytes.Repeat([]byte{byte('a' + i)}, 40)), qt.IsNil)
	}
	st := rtStat(t, r)
	qt.Assert(t, st.Used, qt.Equals, int64(256))
	qt.Assert(t, st.Messages, qt.Equals, 4)
	full := rtSnapshot(b)
	for _, n := range []int{0, 1, 40, r.MaxMessage()} {
		err := r.TrySend(make([]byte, n))
		qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrFull, qt.Commentf("%d bytes", n))
		qt.Assert(t, errors.As(err, &pe), qt.IsTrue)
		_, err = r.TryReserve(n)
		qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrFull, qt.Commentf("%d bytes", n))
		qt.Assert(t, r.SendTimeout(make([]byte, n), 0), qt.ErrorIs, ipcbuf.ErrTimeout)
		qt.Assert(t, rtSnapshot(b), qt.DeepEquals, full, qt.Commentf("%d bytes", n))
	}
	qt.Assert(t, rtStat(t, r), qt.DeepEquals, st)

	// Free one record: exactly one of its size fits again.
	n, err := r.TryRecv(buf)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, buf[:n], qt.DeepEquals, bytes.Repeat([]byte{'a'}, 40))
	qt.Assert(t, r.TrySend(make([]byte, 41)), qt.ErrorIs, ipcbuf.ErrFull)
	qt.Assert(t, r.TrySend(bytes.Repeat([]byte{'e'}, 40)), qt.IsNil)
	qt.Assert(t, r.TrySend(nil), qt.ErrorIs, ipcbuf.ErrFull)
	for _, want := range "bcde" {
		n, err := r.TryRecv(buf)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, buf[:n], qt.DeepEquals, bytes.Repeat([]byte{byte(want)}, 40))
	}
	_, err = r.TryRecv(buf)
	qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrEmpty)
	_, err = r.RecvTimeout(buf, 0)
	qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrTimeout)
}

// TestRingTimeouts: SendTimeout on a full ring and RecvTimeout on an empty
// one give ErrTimeout (which also matches context.DeadlineExceeded), and
// not before their time; the contexts' calls give errors matching
// ctx.Err() when cancelled or past their deadline, whether the context was
// done before the call or while it waited. Scenario "ring full/empty".
func TestRingTimeouts(t *testing.T) {
	mutexWatchdog(t, 5*time.Minute)
	b, r := rtMemRing(t, 64)
	buf := make([]byte, 64)
	const d = 50 * time.Millisecond

	emptyBytes := rtSnapshot(b)
	start := time.Now()
	_, err := r.RecvTimeout(buf, d)
	qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrTimeout)
	qt.Assert(t, err, qt.ErrorIs, context.DeadlineExceeded)
	qt.Assert(t, time.Since(start) >= d, qt.IsTrue, qt.Commentf("RecvTimeout returned after %v", time.Since(start)))
	qt.Assert(t, rtSnapshot(b), qt.DeepEquals, emptyBytes)

	qt.Assert(t, r.TrySend(make([]byte, r.MaxMessage())), qt.IsNil)
	fullBytes := rtSnapshot(b)
	start = time.Now()
	qt.Assert(t, r.SendTimeout([]byte("x"), d), qt.ErrorIs, ipcbuf.ErrTimeout)
	qt.Assert(t, time.Since(start) >= d, qt.IsTrue, qt.Commentf("SendTimeout returned after %v", time.Since(start)))
	qt.Assert(t, rtSnapshot(b), qt.DeepEquals, fullBytes)

	for _, tc := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"cancelled before", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}, context.Canceled},
		{"cancelled while waiting", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(d, cancel)
			return ctx, cancel
		}, context.Canceled},
		{"deadline passes", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), d)
		}, context.DeadlineExceeded},
		{"cause", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancelCause(context.Background())
			time.AfterFunc(d, func() { cancel(io.ErrUnexpectedEOF) })
			return ctx, func() { cancel(nil) }
		}, context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The ring is full: sending waits.
			ctx, cancel := tc.ctx()
			err := r.SendContext(ctx, []byte("x"))
			cancel()
			qt.Assert(t, err, qt.ErrorIs, tc.want)
			ctx, cancel = tc.ctx()
			_, err = r.ReserveContext(ctx, 1)
			cancel()
			qt.Assert(t, err, qt.ErrorIs, tc.want)
			qt.Assert(t, rtSnapshot(b), qt.DeepEquals, fullBytes)
		})
	}

	n, err := r.TryRecv(buf)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, n, qt.Equals, r.MaxMessage())
	for _, tc := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"cancelled before", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}, context.Canceled},
		{"cancelled while waiting", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(d, cancel)
			return ctx, cancel
		}, context.Canceled},
		{"deadline passes", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), d)
		}, context.DeadlineExceeded},
	} {
		t.Run("empty/"+tc.name, func(t *testing.T) {
			ctx, cancel := tc.ctx()
			_, err := r.RecvContext(ctx, buf)
			cancel()
			qt.Assert(t, err, qt.ErrorIs, tc.want)
			ctx, cancel = tc.ctx()
			_, err = r.PeekContext(ctx)
			cancel()
			qt.Assert(t, err, qt.ErrorIs, tc.want)
		})
	}
	st := rtStat(t, r)
	qt.Assert(t, st.ProducersWaiting, qt.Equals, 0)
	qt.Assert(t, st.ConsumersWaiting, qt.Equals, 0)
	qt.Assert(t, st.Used, qt.Equals, int64(0))
}

// TestRingBlockingWakes: a Send waiting on a full ring returns once a
// consumer frees space, and a Recv waiting on an empty ring once a
// producer sends, for every blocking call, within one mapping and across
// two mappings of a POSIX object.
func TestRingBlockingWakes(t *testing.T) {
	mutexWatchdog(t, 5*time.Minute)
	for _, shm := range []bool{false, true} {
		t.Run(map[bool]string{false: "memory", true: "posix"}[shm], func(t *testing.T) {
			var a, z *ipcbuf.Ring
			if shm {
				_, a, _, z = rtShmRing(t, 64)
			} else {
				_, a = rtMemRing(t, 64)
				z = a
			}
			ctx := context.Background()
			buf := make([]byte, 64)
			for k := range 4 {
				// Full: the sender on a waits until z receives.
				qt.Assert(t, a.TrySend(bytes.Repeat([]byte{'f'}, a.MaxMessage())), qt.IsNil)
				done := make(chan error, 1)
				go func() { done <- rtSendWith(ctx, a, k, []byte("next")) }()
				rtWaitFor(t, z, "producer waiting", func(st ipcbuf.RingStat) bool { return st.ProducersWaiting > 0 })
				select {
				case err := <-done:
					t.Fatalf("send method %d returned on a full ring: %v", k, err)
				default:
				}
				n, err := z.TryRecv(buf)
				qt.Assert(t, err, qt.IsNil)
				qt.Assert(t, n, qt.Equals, a.MaxMessage())
				qt.Assert(t, <-done, qt.IsNil)
				n, err = z.TryRecv(buf)
				qt.Assert(t, err, qt.IsNil)
				qt.Assert(t, string(buf[:n]), qt.Equals, "next")

				// Empty: the receiver on z waits until a sends.
				got := make(chan string, 1)
				go func() {
					p, err := rtRecvWith(ctx, z, k, make([]byte, 64))
					if err != nil {
						t.Errorf("receive method %d: %v", k, err)
					}
					got <- string(p)
				}()
				rtWaitFor(t, a, "consumer waiting", func(st ipcbuf.RingStat) bool { return st.ConsumersWaiting > 0 })
				qt.Assert(t, a.TrySend([]byte("wake "+strconv.Itoa(k))), qt.IsNil)
				qt.Assert(t, <-got, qt.Equals, "wake "+strconv.Itoa(k))
			}
			st := rtStat(t, a)
			qt.Assert(t, st.ProducersWaiting, qt.Equals, 0)
			qt.Assert(t, st.ConsumersWaiting, qt.Equals, 0)
		})
	}
}

// TestRingCloseWakes: Close of the Buffer wakes every call waiting on its
// ring, sending or receiving, with fs.ErrClosed; afterwards every call
// gives fs.ErrClosed at once.
func TestRingCloseWakes(t *testing.T) {
	mutexWatchdog(t, 5*time.Minute)
	ctx := context.Background()
	calls := []struct {
		name string
		call func(r *ipcbuf.Ring) error
	}{
		{"Send", func(r *ipcbuf.Ring) error { return r.Send([]byte("x")) }},
		{"SendTimeout", func(r *ipcbuf.Ring) error { return r.SendTimeout([]byte("x"), time.Hour) }},
		{"SendContext", func(r *ipcbuf.Ring) error { return r.SendContext(ctx, []byte("x")) }},
		{"Reserve", func(r *ipcbuf.Ring) error { _, err := r.Reserve(1); return err }},
		{"ReserveContext", func(r *ipcbuf.Ring) error { _, err := r.ReserveContext(ctx, 1); return err }},
		{"Recv", func(r *ipcbuf.Ring) error { _, err := r.Recv(make([]byte, 64)); return err }},
		{"RecvTimeout", func(r *ipcbuf.Ring) error { _, err := r.RecvTimeout(make([]byte, 64), time.Hour); return err }},
		{"RecvContext", func(r *ipcbuf.Ring) error { _, err := r.RecvContext(ctx, make([]byte, 64)); return err }},
		{"Peek", func(r *ipcbuf.Ring) error { _, err := r.Peek(); return err }},
		{"PeekContext", func(r *ipcbuf.Ring) error { _, err := r.PeekContext(ctx); return err }},
	}
	for _, shm := range []bool{false, true} {
		t.Run(map[bool]string{false: "memory", true: "posix"}[shm], func(t *testing.T) {
			var fullB, emptyB *ipcbuf.Buffer
			var full, empty *ipcbuf.Ring
			if shm {
				_, _, fullB, full = rtShmRing(t, 64)
				_, _, emptyB, empty = rtShmRing(t, 64)
			} else {
				fullB, full = rtMemRing(t, 64)
				emptyB, empty = rtMemRing(t, 64)
			}
			qt.Assert(t, full.TrySend(make([]byte, full.MaxMessage())), qt.IsNil)
			var wg sync.WaitGroup
			errs := make([]error, len(calls))
			senders, receivers := 0, 0
			for i, c := range calls {
				r := empty
				if i < 5 {
					r = full
					senders++
				} else {
					receivers++
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = c.call(r)
				}()
			}
			rtWaitFor(t, full, "producers waiting", func(st ipcbuf.RingStat) bool { return st.ProducersWaiting == senders })
			rtWaitFor(t, empty, "consumers waiting", func(st ipcbuf.RingStat) bool { return st.ConsumersWaiting == receivers })
			qt.Assert(t, fullB.Close(), qt.IsNil)
			qt.Assert(t, emptyB.Close(), qt.IsNil)
			wg.Wait()
			for i, c := range calls {
				qt.Check(t, errs[i], qt.ErrorIs, fs.ErrClosed, qt.Commentf("%s", c.name))
			}
			for _, c := range calls {
				qt.Check(t, c.call(full), qt.ErrorIs, fs.ErrClosed, qt.Commentf("%s after Close", c.name))
				qt.Check(t, c.call(empty), qt.ErrorIs, fs.ErrClosed, qt.Commentf("%s after Close", c.name))
			}
			qt.Check(t, full.TrySend(nil), qt.ErrorIs, fs.ErrClosed)
			_, err := full.TryRecv(make([]byte, 64))
			qt.Check(t, err, qt.ErrorIs, fs.ErrClosed)
			_, err = full.TryPeek()
			qt.Check(t, err, qt.ErrorIs, fs.ErrClosed)
			_, err = full.TryReserve(0)
			qt.Check(t, err, qt.ErrorIs, fs.ErrClosed)
			_, err = full.Stat()
			qt.Check(t, err, qt.ErrorIs, fs.ErrClosed)
			_, err = ipcbuf.OpenRing(fullB)
			qt.Check(t, err, qt.ErrorIs, fs.ErrClosed)
			_, err = ipcbuf.CreateRing(fullB)
			qt.Check(t, err, qt.ErrorIs, fs.ErrClosed)
		})
	}
}

// TestRingManyWaiters: several producers wait on a full ring and several
// consumers on an empty one at once; every one is woken in turn, and no
// message is lost or doubled.
func TestRingManyWaiters(t *testing.T) {
	mutexWatchdog(t, 5*time.Minute)
	_, r := rtMemRing(t, 64)
	const waiters = 6
	qt.Assert(t, r.TrySend(make([]byte, r.MaxMessage())), qt.IsNil)
	var wg sync.WaitGroup
	for i := range waiters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			qt.Check(t, r.Send(rtMessage(uint32(i), 0, r.MaxMessage())), qt.IsNil)
		}()
	}
	rtWaitFor(t, r, "producers waiting", func(st ipcbuf.RingStat) bool { return st.ProducersWaiting == waiters })
	buf := make([]byte, 64)
	seen := make(map[uint32]bool)
	n, err := r.Recv(buf)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, n, qt.Equals, r.MaxMessage())
	for range waiters {
		n, err := r.Recv(buf)
		qt.Assert(t, err, qt.IsNil)
		p, _, err := rtCheck(buf[:n])
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, seen[p], qt.IsFalse)
		seen[p] = true
	}
	wg.Wait()

	got := make(chan uint32, waiters)
	for range waiters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 64)
			n, err := r.Recv(buf)
			qt.Check(t, err, qt.IsNil)
			p, _, err := rtCheck(buf[:n])
			qt.Check(t, err, qt.IsNil)
			got <- p
		}()
	}
	rtWaitFor(t, r, "consumers waiting", func(st ipcbuf.RingStat) bool { return st.ConsumersWaiting == waiters })
	for i := range waiters {
		qt.Assert(t, r.Send(rtMessage(uint32(i), 1, 12)), qt.IsNil)
	}
	wg.Wait()
	close(got)
	seen = make(map[uint32]bool)
	for p := range got {
		qt.Assert(t, seen[p], qt.IsFalse)
		seen[p] = true
	}
	qt.Assert(t, len(seen), qt.Equals, waiters)
}

// TestRingBadInput: a message larger than MaxMessage, a negative size or
// timeout, a receive slice too short for the message, and rings asked of
// buffers that cannot hold one, or with options meant for CreateRing only:
// clear errors that say what was wrong, matching fs.ErrInvalid (or
// io.ErrShortBuffer, ErrReadOnly), and nothing sent, lost or written.
func TestRingBadInput(t *testing.T) {
	b, r := rtMemRing(t, 128)
	max := r.MaxMessage()
	qt.Assert(t, max, qt.Equals, 104)
	ctx := context.Background()
	before := rtSnapshot(b)
	big := make([]byte, max+1)
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"Send", r.Send(big)},
		{"TrySend", r.TrySend(big)},
		{"SendTimeout", r.SendTimeout(big, time.Second)},
		{"SendContext", r.SendContext(ctx, big)},
		{"Reserve", func() error { _, err := r.Reserve(max + 1); return err }()},
		{"TryReserve", func() error { _, err := r.TryReserve(max + 1); return err }()},
		{"ReserveContext", func() error { _, err := r.ReserveContext(ctx, max+1); return err }()},
		{"Send 1 MiB", r.Send(make([]byte, 1<<20))},
	} {
		qt.Check(t, tc.err, qt.ErrorIs, fs.ErrInvalid, qt.Commentf("%s", tc.name))
		qt.Check(t, tc.err, qt.ErrorMatches, `.*memory buffer.*\b(105|1048576)\b.*\b104\b.*`, qt.Commentf("%s", tc.name))
	}
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"Reserve(-1)", func() error { _, err := r.Reserve(-1); return err }()},
		{"TryReserve(-1)", func() error { _, err := r.TryReserve(-1); return err }()},
		{"ReserveContext(-1)", func() error { _, err := r.ReserveContext(ctx, -1); return err }()},
		{"SendTimeout(-1ns)", r.SendTimeout([]byte("x"), -1)},
		{"SendTimeout(-1s)", r.SendTimeout([]byte("x"), -time.Second)},
		{"RecvTimeout(-1ns)", func() error { _, err := r.RecvTimeout(make([]byte, 8), -1); return err }()},
	} {
		qt.Check(t, tc.err, qt.ErrorIs, fs.ErrInvalid, qt.Commentf("%s", tc.name))
		qt.Check(t, tc.err, qt.ErrorMatches, `.*(negative|-1).*`, qt.Commentf("%s", tc.name))
	}
	qt.Assert(t, rtSnapshot(b), qt.DeepEquals, before)
	qt.Assert(t, r.TrySend(make([]byte, max)), qt.IsNil) // the largest one fits
	_, err := r.TryRecv(make([]byte, max))
	qt.Assert(t, err, qt.IsNil)

	// A receive slice too short: the length needed, and the message stays
	// for a later call with a larger slice, for every receiving call.
	msg := []byte("a message of 31 bytes in length")
	qt.Assert(t, r.TrySend(msg), qt.IsNil)
	state := rtSnapshot(b)
	for _, tc := range []struct {
		name string
		recv func(p []byte) (int, error)
	}{
		{"Recv", r.Recv},
		{"TryRecv", r.TryRecv},
		{"RecvTimeout", func(p []byte) (int, error) { return r.RecvTimeout(p, time.Second) }},
		{"RecvContext", func(p []byte) (int, error) { return r.RecvContext(ctx, p) }},
	} {
		for _, size := range []int{0, 1, len(msg) - 1} {
			n, err := tc.recv(make([]byte, size))
			qt.Check(t, err, qt.ErrorIs, io.ErrShortBuffer, qt.Commentf("%s into %d bytes", tc.name, size))
			qt.Check(t, n, qt.Equals, len(msg), qt.Commentf("%s into %d bytes", tc.name, size))
			qt.Check(t, rtSnapshot(b), qt.DeepEquals, state, qt.Commentf("%s into %d bytes", tc.name, size))
		}
	}
	st := rtStat(t, r)
	qt.Assert(t, st.Messages, qt.Equals, 1)
	got := make([]byte, len(msg)) // exactly long enough
	n, err := r.Recv(got)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, got[:n], qt.DeepEquals, msg)

	// Buffers that cannot hold a ring.
	small, err := ipcbuf.Alloc(ipcbuf.RingSize(64) - 1)
	qt.Assert(t, err, qt.IsNil)
	aligned, err := ipcbuf.Alloc(ipcbuf.RingSize(128) + 8)
	qt.Assert(t, err, qt.IsNil)
	for _, tc := range []struct {
		name string
		b    *ipcbuf.Buffer
		want string
	}{
		{"one byte short of the smallest ring", small, `.*\b1087\b.*\b1088\b.*`},
		{"empty", func() *ipcbuf.Buffer { b, _ := ipcbuf.Alloc(0); return b }(), `.*\b0\b.*\b1088\b.*`},
		{"header only", func() *ipcbuf.Buffer { b, _ := ipcbuf.Alloc(1024); return b }(), `.*\b1024\b.*\b1088\b.*`},
		{"misaligned slice", aligned.Slice(4, aligned.Len()), `.*a ring must start at a multiple of 8 in memory.*`},
		{"odd slice", aligned.Slice(1, ipcbuf.RingSize(64)+1), `.*a ring must start at a multiple of 8 in memory.*`},
	} {
		snap := rtSnapshot(tc.b)
		_, err := ipcbuf.CreateRing(tc.b)
		qt.Check(t, err, qt.ErrorIs, fs.ErrInvalid, qt.Commentf("%s", tc.name))
		qt.Check(t, err, qt.ErrorMatches, tc.want, qt.Commentf("%s", tc.name))
		qt.Check(t, rtSnapshot(tc.b), qt.DeepEquals, snap, qt.Commentf("%s: CreateRing wrote", tc.name))
		_, err = ipcbuf.OpenRing(tc.b)
		qt.Check(t, err, qt.Not(qt.IsNil), qt.Commentf("%s", tc.name))
	}
	// An aligned Slice holds a ring: capacity is the largest power of two
	// that fits after the header.
	sl := aligned.Slice(8, aligned.Len())
	rs, err := ipcbuf.CreateRing(sl)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, rs.Cap(), qt.Equals, 128)
	qt.Assert(t, rs.TrySend([]byte("in a slice")), qt.IsNil)
	qt.Assert(t, rtGet64(t, aligned, 8+rtTail), qt.Equals, uint64(rtRecordSize(10)))
	qt.Assert(t, rs.Close(), qt.IsNil)
	for size, want := range map[int]int{ipcbuf.RingSize(64): 64, ipcbuf.RingSize(128) - 1: 64, ipcbuf.RingSize(128): 128, ipcbuf.RingSize(4096) + 4095: 4096} {
		b, err := ipcbuf.Alloc(size)
		qt.Assert(t, err, qt.IsNil)
		r, err := ipcbuf.CreateRing(b)
		qt.Assert(t, err, qt.IsNil)
		qt.Check(t, r.Cap(), qt.Equals, want, qt.Commentf("buffer of %d bytes", size))
		qt.Check(t, r.MaxMessage(), qt.Equals, want-24)
		r.Close()
	}
	qt.Assert(t, ipcbuf.RingSize(64), qt.Equals, 1088)
	qt.Assert(t, ipcbuf.RingHeaderSize, qt.Equals, 1024)

	// Options meant for CreateRing only.
	for _, tc := range []struct {
		name string
		opt  ipcbuf.RingOption
	}{
		{"SingleProducer", ipcbuf.SingleProducer()},
		{"SingleConsumer", ipcbuf.SingleConsumer()},
	} {
		_, err := ipcbuf.OpenRing(b, tc.opt)
		qt.Check(t, err, qt.ErrorIs, fs.ErrInvalid, qt.Commentf("%s", tc.name))
		qt.Check(t, err, qt.ErrorMatches, `.*(CreateRing|create).*`, qt.Commentf("%s", tc.name))
	}
	snap := rtSnapshot(b)
	_, err = ipcbuf.CreateRing(b, ipcbuf.RingSpin(-time.Second))
	qt.Check(t, err, qt.ErrorIs, fs.ErrInvalid)
	qt.Check(t, rtSnapshot(b), qt.DeepEquals, snap)
	_, err = ipcbuf.CreateRing(nil)
	qt.Check(t, err, qt.ErrorIs, fs.ErrInvalid)
	_, err = ipcbuf.OpenRing(nil)
	qt.Check(t, err, qt.ErrorIs, fs.ErrInvalid)
	_, err = ipcbuf.OpenRing(new(ipcbuf.Buffer))
	qt.Check(t, err, qt.ErrorIs, fs.ErrInvalid)
	spin, err := ipcbuf.OpenRing(b, ipcbuf.RingSpin(time.Microsecond))
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, spin.TrySend([]byte("spin")), qt.IsNil)
	n, err = r.TryRecv(got)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, string(got[:n]), qt.Equals, "spin")
	qt.Assert(t, spin.Close(), qt.IsNil)

	// A read-only buffer cannot hold a ring that anyone uses.
	if ipcbuf.KindPOSIX.Supported() {
		target := "*" + shmName(t)
		w := open(t, target, ipcbuf.RingSize(64), ipcbuf.Exclusive())
		ro := open(t, target, 0, ipcbuf.ReadOnly())
		_, err = ipcbuf.CreateRing(ro)
		qt.Check(t, err, qt.ErrorIs, ipcbuf.ErrReadOnly)
		qt.Check(t, rtSnapshot(w), qt.DeepEquals, make([]byte, ipcbuf.RingSize(64)))
		_, err = ipcbuf.CreateRing(w)
		qt.Assert(t, err, qt.IsNil)
		_, err = ipcbuf.OpenRing(ro)
		qt.Check(t, err, qt.ErrorIs, ipcbuf.ErrReadOnly)
	}
}

// TestRingReserveCommit: the zero-copy send. A reservation's bytes are the
// message's place in the ring; until Commit the record is being written
// (consumers wait for it, and for every record after it); Abort makes
// consumers skip it. Commit, Abort and Release a second time are errors
// that change nothing.
func TestRingReserveCommit(t *testing.T) {
	b, r := rtMemRing(t, 256)
	buf := make([]byte, 256)

	v, err := r.Reserve(5)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, len(v.Bytes()), qt.Equals, 5)
	copy(v.Bytes(), "hello")
	// The bytes are in the ring, after the record's header.
	qt.Assert(t, string(b.Bytes()[ipcbuf.RingHeaderSize+rtRecHeader:][:5]), qt.Equals, "hello")
	st := rtStat(t, r)
	qt.Assert(t, st.Writing, qt.Equals, 1)
	qt.Assert(t, st.DeadWriting, qt.Equals, 0)
	qt.Assert(t, st.Messages, qt.Equals, 0)
	qt.Assert(t, st.Used, qt.Equals, int64(rtRecordSize(5)))
	_, err = r.TryRecv(buf)
	qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrEmpty)

	// A later message waits behind the one being written.
	qt.Assert(t, r.TrySend([]byte("second")), qt.IsNil)
	_, err = r.TryRecv(buf)
	qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrEmpty)
	_, err = r.TryPeek()
	qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrEmpty)

	qt.Assert(t, v.Commit(), qt.IsNil)
	snap := rtSnapshot(b)
	qt.Assert(t, v.Commit(), qt.Not(qt.IsNil))
	qt.Assert(t, v.Abort(), qt.Not(qt.IsNil))
	qt.Assert(t, rtSnapshot(b), qt.DeepEquals, snap)
	st = rtStat(t, r)
	qt.Assert(t, st.Writing, qt.Equals, 0)
	qt.Assert(t, st.Messages, qt.Equals, 2)
	for _, want := range []string{"hello", "second"} {
		n, err := r.TryRecv(buf)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, string(buf[:n]), qt.Equals, want)
	}

	// Abort: consumers skip the record.
	v, err = r.TryReserve(100)
	qt.Assert(t, err, qt.IsNil)
	copy(v.Bytes(), "never sent")
	qt.Assert(t, r.TrySend([]byte("after the aborted one")), qt.IsNil)
	qt.Assert(t, v.Abort(), qt.IsNil)
	snap = rtSnapshot(b)
	qt.Assert(t, v.Abort(), qt.Not(qt.IsNil))
	qt.Assert(t, v.Commit(), qt.Not(qt.IsNil))
	qt.Assert(t, rtSnapshot(b), qt.DeepEquals, snap)
	qt.Assert(t, rtStat(t, r).Messages, qt.Equals, 1)
	n, err := r.TryRecv(buf)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, string(buf[:n]), qt.Equals, "after the aborted one")
	_, err = r.TryRecv(buf)
	qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrEmpty)
	st = rtStat(t, r)
	qt.Assert(t, st.Used, qt.Equals, int64(0))
	qt.Assert(t, st.Free, qt.Equals, st.Tail)
	qt.Assert(t, st.Lost, qt.Equals, uint64(0))

	// Reservations committed out of order arrive in ring order, and a
	// zero-length one is a message too.
	var vs []*ipcbuf.Reservation
	for i := range 3 {
		v, err := r.Reserve(i)
		qt.Assert(t, err, qt.IsNil)
		for j := range v.Bytes() {
			v.Bytes()[j] = byte('0' + i)
		}
		vs = append(vs, v)
	}
	qt.Assert(t, vs[2].Commit(), qt.IsNil)
	qt.Assert(t, vs[1].Commit(), qt.IsNil)
	_, err = r.TryRecv(buf)
	qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrEmpty)
	qt.Assert(t, vs[0].Commit(), qt.IsNil)
	for _, want := range []string{"", "1", "22"} {
		n, err := r.TryRecv(buf)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, string(buf[:n]), qt.Equals, want)
	}

	// A reservation that wraps: the padding goes before it.
	rtAdvanceTo(t, r, 256-32)
	v, err = r.TryReserve(100)
	qt.Assert(t, err, qt.IsNil)
	copy(v.Bytes(), bytes.Repeat([]byte{'w'}, 100))
	qt.Assert(t, string(b.Bytes()[ipcbuf.RingHeaderSize+rtRecHeader:][:100]), qt.Equals, string(bytes.Repeat([]byte{'w'}, 100)))
	qt.Assert(t, v.Commit(), qt.IsNil)
	n, err = r.TryRecv(buf)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, buf[:n], qt.DeepEquals, bytes.Repeat([]byte{'w'}, 100))
}

// TestRingPeekRelease: the zero-copy receive. Several messages may be held
// at once and released in any order; free moves only over released
// records, so their space comes back to producers only when every earlier
// one is released too. Release twice is an error that changes nothing.
func TestRingPeekRelease(t *testing.T) {
	b, r := rtMemRing(t, 256)
	for i := range 4 {
		qt.Assert(t, r.TrySend(bytes.Repeat([]byte{byte('a' + i)}, 40)), qt.IsNil) // 64-byte records
	}
	start := rtStat(t, r)
	var ms []*ipcbuf.Message
	for i := range 3 {
		m, err := r.TryPeek()
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, m.Bytes(), qt.DeepEquals, bytes.Repeat([]byte{byte('a' + i)}, 40))
		ms = append(ms, m)
	}
	st := rtStat(t, r)
	qt.Assert(t, st.Messages, qt.Equals, 1)
	qt.Assert(t, st.Head, qt.Equals, start.Head+3*64)
	qt.Assert(t, st.Free, qt.Equals, start.Free)
	qt.Assert(t, r.TrySend(nil), qt.ErrorIs, ipcbuf.ErrFull)

	// The second and third are released first: free stays.
	qt.Assert(t, ms[1].Release(), qt.IsNil)
	qt.Assert(t, ms[2].Release(), qt.IsNil)
	st = rtStat(t, r)
	qt.Assert(t, st.Free, qt.Equals, start.Free)
	qt.Assert(t, st.Used, qt.Equals, int64(256))
	qt.Assert(t, r.TrySend(nil), qt.ErrorIs, ipcbuf.ErrFull)
	// The first is still whole while held.
	qt.Assert(t, ms[0].Bytes(), qt.DeepEquals, bytes.Repeat([]byte{'a'}, 40))
	// Its release frees all three.
	qt.Assert(t, ms[0].Release(), qt.IsNil)
	st = rtStat(t, r)
	qt.Assert(t, st.Free, qt.Equals, start.Free+3*64)
	qt.Assert(t, st.Used, qt.Equals, int64(64))
	snap := rtSnapshot(b)
	for i, m := range ms {
		qt.Assert(t, m.Release(), qt.Not(qt.IsNil), qt.Commentf("second release of message %d", i))
	}
	qt.Assert(t, rtSnapshot(b), qt.DeepEquals, snap)
	for i := range 3 {
		qt.Assert(t, r.TrySend(bytes.Repeat([]byte{byte('e' + i)}, 40)), qt.IsNil)
	}
	qt.Assert(t, r.TrySend(nil), qt.ErrorIs, ipcbuf.ErrFull)

	// Peek and Recv mixed, and a held message across the wrap.
	m, err := r.Peek()
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, m.Bytes(), qt.DeepEquals, bytes.Repeat([]byte{'d'}, 40))
	buf := make([]byte, 64)
	for _, want := range "efg" {
		n, err := r.TryRecv(buf)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, buf[:n], qt.DeepEquals, bytes.Repeat([]byte{byte(want)}, 40))
	}
	st = rtStat(t, r)
	qt.Assert(t, st.Used, qt.Equals, int64(256)) // all held up behind the peeked "d"
	qt.Assert(t, st.Messages, qt.Equals, 0)
	qt.Assert(t, m.Release(), qt.IsNil)
	st = rtStat(t, r)
	qt.Assert(t, st.Used, qt.Equals, int64(0))
	qt.Assert(t, st.Free, qt.Equals, st.Tail)
	_, err = r.TryPeek()
	qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrEmpty)
}

// TestRingDroppedGivesRoleBack: a Ring that holds a single role and is
// dropped without Close gives the role back when the collector finds it,
// as Ring.Close's documentation promises.
func TestRingDroppedGivesRoleBack(t *testing.T) {
	b, err := ipcbuf.Alloc(ipcbuf.RingSize(4096))
	qt.Assert(t, err, qt.IsNil)
	func() {
		r, err := ipcbuf.CreateRing(b, ipcbuf.SingleProducer())
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, r.Send([]byte("first")), qt.IsNil) // takes the role
	}()
	other, err := ipcbuf.OpenRing(b)
	qt.Assert(t, err, qt.IsNil)
	defer other.Close()
	collect(t, "the dropped Ring giving the producer's role back", func() bool {
		err := other.TrySend([]byte("second"))
		if err == nil {
			return true
		}
		qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrBusy, qt.Commentf("only ErrBusy while the role is held"))
		return false
	})
	buf := make([]byte, 16)
	for _, want := range []string{"first", "second"} {
		n, err := other.TryRecv(buf)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, string(buf[:n]), qt.Equals, want)
	}
}

// TestRingSingleRoles: on a ring created with SingleProducer, the first
// Ring to send holds the role until it closes; a second Ring, on the same
// Buffer or on another mapping of the same object, gets ErrBusy from every
// sending call (the blocking ones too, at once) and takes the role once
// the first is closed. The same for SingleConsumer and receiving.
func TestRingSingleRoles(t *testing.T) {
	mutexWatchdog(t, 5*time.Minute)
	ctx := context.Background()
	for _, mapping := range []string{"same buffer", "second mapping"} {
		t.Run(mapping, func(t *testing.T) {
			var b1, b2 *ipcbuf.Buffer
			if mapping == "same buffer" {
				var err error
				b1, err = ipcbuf.Alloc(ipcbuf.RingSize(256))
				qt.Assert(t, err, qt.IsNil)
				b2 = b1
			} else {
				requireKind(t, ipcbuf.KindPOSIX)
				target := "*" + shmName(t)
				b1 = open(t, target, ipcbuf.RingSize(256), ipcbuf.Exclusive())
				b2 = open(t, target, 0, ipcbuf.OpenOnly())
			}
			first, err := ipcbuf.CreateRing(b1, ipcbuf.SingleProducer(), ipcbuf.SingleConsumer())
			qt.Assert(t, err, qt.IsNil)
			st := rtStat(t, first)
			qt.Assert(t, st.SingleProducer, qt.IsTrue)
			qt.Assert(t, st.SingleConsumer, qt.IsTrue)
			second, err := ipcbuf.OpenRing(b2)
			qt.Assert(t, err, qt.IsNil)
			defer second.Close()
			qt.Assert(t, rtStat(t, second).SingleProducer, qt.IsTrue)

			qt.Assert(t, first.TrySend([]byte("one")), qt.IsNil)
			qt.Assert(t, first.TrySend([]byte("two")), qt.IsNil)
			buf := make([]byte, 64)
			n, err := first.TryRecv(buf)
			qt.Assert(t, err, qt.IsNil)
			qt.Assert(t, string(buf[:n]), qt.Equals, "one")
			snap := rtSnapshot(b1)

			for _, tc := range []struct {
				name string
				err  error
			}{
				{"TrySend", second.TrySend([]byte("x"))},
				{"Send", second.Send([]byte("x"))},
				{"SendTimeout", second.SendTimeout([]byte("x"), time.Hour)},
				{"SendContext", second.SendContext(ctx, []byte("x"))},
				{"Reserve", func() error { _, err := second.Reserve(1); return err }()},
				{"TryReserve", func() error { _, err := second.TryReserve(1); return err }()},
				{"TryRecv", func() error { _, err := second.TryRecv(buf); return err }()},
				{"Recv", func() error { _, err := second.Recv(buf); return err }()},
				{"RecvTimeout", func() error { _, err := second.RecvTimeout(buf, time.Hour); return err }()},
				{"RecvContext", func() error { _, err := second.RecvContext(ctx, buf); return err }()},
				{"Peek", func() error { _, err := second.Peek(); return err }()},
				{"TryPeek", func() error { _, err := second.TryPeek(); return err }()},
			} {
				qt.Check(t, tc.err, qt.ErrorIs, ipcbuf.ErrBusy, qt.Commentf("%s", tc.name))
			}
			qt.Assert(t, rtSnapshot(b1), qt.DeepEquals, snap)

			// The holder goes on; once it closes, the second takes over.
			qt.Assert(t, first.TrySend([]byte("three")), qt.IsNil)
			qt.Assert(t, first.Close(), qt.IsNil)
			qt.Assert(t, second.TrySend([]byte("four")), qt.IsNil)
			for _, want := range []string{"two", "three", "four"} {
				n, err := second.TryRecv(buf)
				qt.Assert(t, err, qt.IsNil)
				qt.Assert(t, string(buf[:n]), qt.Equals, want)
			}
			// Now the first, reopened, is the one refused.
			third, err := ipcbuf.OpenRing(b1)
			qt.Assert(t, err, qt.IsNil)
			defer third.Close()
			qt.Assert(t, third.TrySend(nil), qt.ErrorIs, ipcbuf.ErrBusy)
			_, err = third.TryRecv(buf)
			qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrBusy)
		})
	}

	// Only the role asked for is single: the other stays shared.
	b, err := ipcbuf.Alloc(ipcbuf.RingSize(128))
	qt.Assert(t, err, qt.IsNil)
	sp, err := ipcbuf.CreateRing(b, ipcbuf.SingleProducer())
	qt.Assert(t, err, qt.IsNil)
	defer sp.Close()
	c1, err := ipcbuf.OpenRing(b)
	qt.Assert(t, err, qt.IsNil)
	defer c1.Close()
	qt.Assert(t, sp.TrySend([]byte("a")), qt.IsNil)
	qt.Assert(t, sp.TrySend([]byte("b")), qt.IsNil)
	buf := make([]byte, 64)
	_, err = c1.TryRecv(buf)
	qt.Assert(t, err, qt.IsNil)
	_, err = sp.TryRecv(buf)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, c1.TrySend([]byte("c")), qt.ErrorIs, ipcbuf.ErrBusy)
	st := rtStat(t, c1)
	qt.Assert(t, st.SingleProducer, qt.IsTrue)
	qt.Assert(t, st.SingleConsumer, qt.IsFalse)
}

// rtHeader returns the header of a freshly created ring of capacity 256 in
// a buffer of RingSize(256) bytes, with one message sent and received (so
// the positions are not all zero) and one waiting.
func rtHeader(t testing.TB) (*ipcbuf.Buffer, []byte) {
	t.Helper()
	b, r := rtMemRing(t, 256)
	qt.Assert(t, r.TrySend([]byte("gone")), qt.IsNil)
	_, err := r.TryRecv(make([]byte, 8))
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, r.TrySend([]byte("waiting")), qt.IsNil)
	qt.Assert(t, r.Close(), qt.IsNil)
	return b, rtSnapshot(b)
}

// TestRingCorruptHeader: OpenRing refuses every buffer that is not a ring
// as RING.md defines it (zeros, random bytes, a good header with each
// field broken in turn) with an error matching ErrCorrupt that names what
// is wrong, changing nothing; never a panic or a hang. Scenario "ring
// corrupt header".
func TestRingCorruptHeader(t *testing.T) {
	mutexWatchdog(t, 2*time.Minute)
	_, good := rtHeader(t)
	const c = 256
	headNow := binary.NativeEndian.Uint64(good[rtHead:])
	tailNow := binary.NativeEndian.Uint64(good[rtTail:])
	qt.Assert(t, headNow, qt.Equals, uint64(rtRecordSize(4)))
	qt.Assert(t, tailNow, qt.Equals, headNow+uint64(rtRecordSize(7)))
	with := func(off, size int, v uint64) []byte {
		raw := bytes.Clone(good)
		if size == 4 {
			binary.NativeEndian.PutUint32(raw[off:], uint32(v))
		} else {
			binary.NativeEndian.PutUint64(raw[off:], v)
		}
		return raw
	}
	positions := func(free, head, tail uint64) []byte {
		raw := with(rtFree, 8, free)
		binary.NativeEndian.PutUint64(raw[rtHead:], head)
		binary.NativeEndian.PutUint64(raw[rtTail:], tail)
		return raw
	}
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, len(good))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	for _, tc := range []struct {
		name string
		raw  []byte
		want string // what the error must name
	}{
		{"zeros", make([]byte, len(good)), `not a ring: the first 8 bytes are ".*", not "IPCBRING"`},
		{"random bytes", random, `not a ring: the first 8 bytes are ".*", not "IPCBRING"`},
		{"all ones", bytes.Repeat([]byte{0xff}, len(good)), `not a ring: the first 8 bytes are ".*", not "IPCBRING"`},
		{"magic lower case", append([]byte("ipcbring"), good[8:]...), `not a ring: the first 8 bytes are ".*", not "IPCBRING"`},
		{"magic one bit off", with(rtMagic, 8, binary.NativeEndian.Uint64(good)^1<<40), `not a ring: the first 8 bytes are ".*", not "IPCBRING"`},
		{"magic in the wrong byte order", append([]byte("GNIRBCPI"), good[8:]...), `not a ring: the first 8 bytes are ".*", not "IPCBRING"`},
		{"version 0", with(rtVersion, 4, 0), `version`},
		{"version 2", with(rtVersion, 4, 2), `version`},
		{"version 1<<24 (other byte order)", with(rtVersion, 4, 1<<24), `version`},
		{"unknown flag bit 2", with(rtFlags, 4, 4), `flag`},
		{"unknown flag bit 31", with(rtFlags, 4, 1<<31|1), `flag`},
		{"capacity 0", with(rtCapacity, 8, 0), `capacity`},
		{"capacity 32", with(rtCapacity, 8, 32), `capacity`},
		{"capacity 255", with(rtCapacity, 8, 255), `capacity`},
		{"capacity 192", with(rtCapacity, 8, 192), `capacity`},
		{"capacity 512, larger than the buffer", with(rtCapacity, 8, 512), `capacity|buffer|size`},
		{"capacity 2^41", with(rtCapacity, 8, 1<<41), `capacity`},
		{"capacity 2^63", with(rtCapacity, 8, 1<<63), `capacity`},
		{"capacity all ones", with(rtCapacity, 8, ^uint64(0)), `capacity`},
		{"header size 0", with(rtHdrSize, 4, 0), `header`},
		{"header size 512", with(rtHdrSize, 4, 512), `header`},
		{"header size 1032", with(rtHdrSize, 4, 1032), `header`},
		{"head past tail", positions(headNow, tailNow+8, tailNow), `positions out of order: free \d+, head \d+, tail \d+, capacity 256`},
		{"free past head", positions(headNow+8, headNow, tailNow), `positions out of order: free \d+, head \d+, tail \d+, capacity 256`},
		{"tail past free+capacity", positions(headNow, headNow, headNow+c+8), `positions out of order: free \d+, head \d+, tail \d+, capacity 256`},
		{"tail misaligned", positions(headNow, headNow, tailNow+4), `positions out of order: free \d+, head \d+, tail \d+, capacity 256`},
		{"head misaligned", positions(headNow, headNow+1, tailNow), `positions out of order: free \d+, head \d+, tail \d+, capacity 256`},
		{"free misaligned", positions(headNow-2, headNow, tailNow), `positions out of order: free \d+, head \d+, tail \d+, capacity 256`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := ipcbuf.Alloc(len(tc.raw))
			qt.Assert(t, err, qt.IsNil)
			copy(b.Bytes(), tc.raw)
			r, err := ipcbuf.OpenRing(b)
			if err == nil {
				r.Close()
				t.Fatalf("OpenRing accepted %s", tc.name)
			}
			qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrCorrupt)
			qt.Assert(t, err, qt.ErrorMatches, `(?i).*(`+tc.want+`).*`)
			var pe *fs.PathError
			qt.Assert(t, errors.As(err, &pe), qt.IsTrue)
			qt.Assert(t, rtSnapshot(b), qt.DeepEquals, tc.raw)
		})
	}

	// The good header opens, and the message waiting in it arrives.
	b, err := ipcbuf.Alloc(len(good))
	qt.Assert(t, err, qt.IsNil)
	copy(b.Bytes(), good)
	r, err := ipcbuf.OpenRing(b)
	qt.Assert(t, err, qt.IsNil)
	buf := make([]byte, 16)
	n, err := r.TryRecv(buf)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, string(buf[:n]), qt.Equals, "waiting")
	qt.Assert(t, r.Close(), qt.IsNil)

	// A good header in a buffer too short for its capacity.
	short, err := ipcbuf.Alloc(len(good) - 8)
	qt.Assert(t, err, qt.IsNil)
	copy(short.Bytes(), good)
	_, err = ipcbuf.OpenRing(short)
	qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrCorrupt)
	qt.Assert(t, err, qt.ErrorMatches, `(?i).*(capacity|size|short|buffer).*`)
	// Or in a longer one: the ring is the one its header describes.
	long, err := ipcbuf.Alloc(len(good) + 4096)
	qt.Assert(t, err, qt.IsNil)
	copy(long.Bytes(), good)
	r, err = ipcbuf.OpenRing(long)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, r.Cap(), qt.Equals, c)
	qt.Assert(t, r.Close(), qt.IsNil)
}

// TestRingCorruptRecords: a ring whose record at the head holds garbage
// while it is in use: every receiving call returns an error matching
// ErrCorrupt (the blocking ones too, without waiting), no panic, no hang.
// Garbage in a record's owner that would name every process (pid 0 or
// -1) makes no record look alive forever.
func TestRingCorruptRecords(t *testing.T) {
	mutexWatchdog(t, 2*time.Minute)
	ctx := context.Background()
	const c = 256
	for _, tc := range []struct {
		name    string
		breakIt func(t *testing.T, b *ipcbuf.Buffer, head uint64) // head: the position of the record
	}{
		{"state word zero", func(t *testing.T, b *ipcbuf.Buffer, h uint64) { rtPut(t, b, rtRecAt(h, c), 8, 0) }},
		{"state word all ones", func(t *testing.T, b *ipcbuf.Buffer, h uint64) { rtPut(t, b, rtRecAt(h, c), 8, ^uint64(0)) }},
		{"state 0 at the right position", func(t *testing.T, b *ipcbuf.Buffer, h uint64) { rtPut(t, b, rtRecAt(h, c), 8, h) }},
		{"state 7", func(t *testing.T, b *ipcbuf.Buffer, h uint64) { rtPut(t, b, rtRecAt(h, c), 8, h|7) }},
		{"released at the head", func(t *testing.T, b *ipcbuf.Buffer, h uint64) { rtPut(t, b, rtRecAt(h, c), 8, h|rtStateReleased) }},
		{"committed from the previous lap", func(t *testing.T, b *ipcbuf.Buffer, h uint64) {
			rtPut(t, b, rtRecAt(h, c), 8, (h-c)|rtStateCommitted)
		}},
		{"committed from a later lap", func(t *testing.T, b *ipcbuf.Buffer, h uint64) {
			rtPut(t, b, rtRecAt(h, c), 8, (h+c)|rtStateCommitted)
		}},
		{"length past the tail", func(t *testing.T, b *ipcbuf.Buffer, h uint64) { rtPut(t, b, rtRecAt(h, c)+8, 4, 200) }},
		{"length past the end of the data area", func(t *testing.T, b *ipcbuf.Buffer, h uint64) { rtPut(t, b, rtRecAt(h, c)+8, 4, c) }},
		{"length 2^32-1", func(t *testing.T, b *ipcbuf.Buffer, h uint64) { rtPut(t, b, rtRecAt(h, c)+8, 4, 1<<32-1) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, r := rtMemRing(t, c)
			qt.Assert(t, r.TrySend([]byte("first")), qt.IsNil)
			_, err := r.TryRecv(make([]byte, 8))
			qt.Assert(t, err, qt.IsNil)
			qt.Assert(t, r.TrySend([]byte("second")), qt.IsNil)
			qt.Assert(t, r.TrySend([]byte("third")), qt.IsNil)
			head := rtStat(t, r).Head
			tc.breakIt(t, b, head)
			buf := make([]byte, c)
			for _, call := range []struct {
				name string
				err  func() error
			}{
				{"TryRecv", func() error { _, err := r.TryRecv(buf); return err }},
				{"Recv", func() error { _, err := r.Recv(buf); return err }},
				{"RecvTimeout", func() error { _, err := r.RecvTimeout(buf, time.Hour); return err }},
				{"RecvContext", func() error { _, err := r.RecvContext(ctx, buf); return err }},
				{"TryPeek", func() error { _, err := r.TryPeek(); return err }},
				{"Peek", func() error { _, err := r.Peek(); return err }},
				{"PeekContext", func() error { _, err := r.PeekContext(ctx); return err }},
			} {
				err := rtWithin(t, time.Minute, call.name, call.err)
				qt.Check(t, err, qt.ErrorIs, ipcbuf.ErrCorrupt, qt.Commentf("%s", call.name))
				var pe *fs.PathError // naming the buffer, as every error of the library
				qt.Check(t, errors.As(err, &pe), qt.IsTrue, qt.Commentf("%s: %v is not an *fs.PathError", call.name, err))
				qt.Check(t, err, qt.ErrorMatches, `(?i).*(record|state|length|position).*`, qt.Commentf("%s", call.name))
			}
			// The producers are not fooled either: the ring stays as it was
			// or says it is corrupt, and Stat works or says so.
			for range 20 {
				if err := r.TrySend([]byte("more")); err != nil {
					if !errors.Is(err, ipcbuf.ErrFull) && !errors.Is(err, ipcbuf.ErrCorrupt) {
						t.Fatalf("TrySend on a corrupt ring: %v", err)
					}
					break
				}
			}
			if _, err := r.Stat(); err != nil {
				qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrCorrupt)
			}
		})
	}

	// A record being written by a "process" whose pid is 0 or -1 (kill(0)
	// and kill(-1) succeed: they name groups of processes, not one): the
	// consumer must not wait for it forever. It skips the record as a dead
	// producer's, or calls the ring corrupt.
	for _, pid := range []uint32{0, 1<<32 - 1, 1 << 31} {
		t.Run(fmt.Sprintf("writer pid %d", int32(pid)), func(t *testing.T) {
			b, r := rtMemRing(t, c)
			v, err := r.Reserve(10)
			qt.Assert(t, err, qt.IsNil)
			qt.Assert(t, r.TrySend([]byte("behind it")), qt.IsNil)
			at := rtRecAt(rtStat(t, r).Head, c)
			rtPut(t, b, at+12, 4, uint64(pid))
			rtPut(t, b, at+16, 4, 0)
			buf := make([]byte, c)
			n, err := r.RecvTimeout(buf, 5*time.Second)
			if err != nil {
				qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrCorrupt)
				return
			}
			qt.Assert(t, string(buf[:n]), qt.Equals, "behind it")
			qt.Assert(t, rtStat(t, r).Skipped, qt.Equals, uint64(1))
			qt.Assert(t, v.Commit(), qt.Not(qt.IsNil)) // skipped: not sent
		})
	}
}

// TestRingCorruptLockWords: the producers' or consumers' lock word holds
// an owner that no process can be (pid 0, or pid 2^32-1, which kill reads
// as -1): the blocking calls must not wait for it forever. Taking the lock
// over (the owner is not alive) or calling the ring corrupt are both
// right; timing out is not.
func TestRingCorruptLockWords(t *testing.T) {
	mutexWatchdog(t, 2*time.Minute)
	for _, lock := range []struct {
		name string
		off  int
	}{{"producers' lock", rtProdLock}, {"consumers' lock", rtConsLock}} {
		for _, owner := range []uint64{5 << 32, 1<<32 - 1} {
			t.Run(fmt.Sprintf("%s pid %d ticket %d", lock.name, int32(owner), owner>>32), func(t *testing.T) {
				b, r := rtMemRing(t, 256)
				qt.Assert(t, r.TrySend([]byte("waiting")), qt.IsNil)
				rtPut(t, b, lock.off, 8, owner)
				var err error
				if lock.off == rtProdLock {
					err = r.SendTimeout([]byte("more"), 5*time.Second)
				} else {
					var n int
					buf := make([]byte, 16)
					n, err = r.RecvTimeout(buf, 5*time.Second)
					if err == nil {
						qt.Assert(t, string(buf[:n]), qt.Equals, "waiting")
					}
				}
				if err != nil {
					qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrCorrupt)
				}
			})
		}
	}
}

// rtRecAt is the offset in the buffer of the record at position pos of a
// ring of capacity c.
func rtRecAt(pos uint64, c int) int { return ipcbuf.RingHeaderSize + int(pos%uint64(c)) }
