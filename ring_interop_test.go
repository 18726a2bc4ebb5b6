//go:build !windows

// The Ring waits on words of shared memory, which Windows cannot do
// between processes: there CreateRing and OpenRing fail with
// errors.ErrUnsupported (TestWindowsFutexUnsupported).

package ipcbuf_test

// The ring across languages: examples/ring.py, plain Python following
// RING.md, receives what Go sends and sends what Go receives, on small
// rings that wrap and fill, and refuses what is not a ring it may use.
// Like the semaphore interop tests, these skip without a python3 unless
// IPCBUF_REQUIRE_INTEROP=1: then they fail. Scenario "ring across
// languages" in TESTING.md.

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	qt "github.com/frankban/quicktest"

	"github.com/ipcbuf/ipcbuf"
)

// ringPy is the Python reader and writer, from the package directory
// where go test runs.
const ringPy = "examples/ring.py"

// ringPython returns the Python to run examples/ring.py with.
func ringPython(t *testing.T) string {
	t.Helper()
	requireKind(t, ipcbuf.KindPOSIX)
	python := requirePython(t, "ctypes", "mmap")
	if runtime.GOARCH != "amd64" {
		// ring.py relies on x86-64's order of plain stores, and refuses
		// to run elsewhere (RING.md, "Memory order").
		t.Skipf("examples/ring.py runs on x86-64 only; this is %s", runtime.GOARCH)
	}
	return python
}

// runRingPy runs examples/ring.py with args and stdin, for at most a
// minute, and returns its stdout, stderr and exit status.
func runRingPy(t *testing.T, python, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, append([]string{ringPy}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr) && exitErr.ExitCode() >= 0:
		code = exitErr.ExitCode()
	default:
		t.Fatalf("python %s: %v (ctx %v)\nstderr:\n%s", strings.Join(args, " "), err, ctx.Err(), errb.String())
	}
	return out.String(), errb.String(), code
}

// ringInteropMsgs returns n messages for a ring whose longest message is
// max bytes: the test messages of producer 7 (empty bodies, the longest
// message, lengths between), with an empty message every 50th.
func ringInteropMsgs(n, max int) [][]byte {
	var msgs [][]byte
	buf := make([]byte, max)
	for i := 0; len(msgs) < n; i++ {
		if i%50 == 49 {
			msgs = append(msgs, []byte{})
			continue
		}
		msgs = append(msgs, bytes.Clone(ringMsg(buf, 7, uint32(i), max)))
	}
	return msgs
}

func ringSeq(t *testing.T, b *ipcbuf.Buffer, off int) uint32 {
	t.Helper()
	v, err := b.ReadUint32LE(off)
	qt.Assert(t, err, qt.IsNil)
	return v
}

// The header's futex words (RING.md): the data sequence, which consumers
// sleep on, and the space sequence, which producers sleep on.
const (
	ringDataSeq  = 512
	ringSpaceSeq = 640
)

// ringInteropCount is how many messages go each way: a few hundred, on a
// ring of 1 KiB, so they wrap it dozens of times.
const ringInteropCount = 300

// TestRingInteropGoToPython: Go sends, Python receives, on a
// single-consumer ring. Go's Send is blocked on the full ring before
// Python starts, and Python's releases make room (and wake it).
func TestRingInteropGoToPython(t *testing.T) {
	python := ringPython(t)
	target, b := ringBuffer(t, 1024)
	r, err := ipcbuf.CreateRing(b, ipcbuf.SingleConsumer())
	qt.Assert(t, err, qt.IsNil)
	t.Cleanup(func() { r.Close() })
	msgs := ringInteropMsgs(ringInteropCount, r.MaxMessage())

	sent := make(chan error, 1)
	go func() {
		for i, m := range msgs {
			if err := r.SendTimeout(m, 15*time.Second); err != nil {
				st, _ := r.Stat()
				sent <- fmt.Errorf("message %d (%d bytes): %v: %+v", i, len(m), err, st)
				return
			}
		}
		sent <- nil
	}()
	st, _, ok := waitStat(t, r, 10*time.Second, func(st ipcbuf.RingStat) bool { return st.ProducersWaiting > 0 })
	qt.Assert(t, ok, qt.IsTrue, qt.Commentf("Go's Send never waited for room: %+v", st))
	space := ringSeq(t, b, ringSpaceSeq)

	out, stderr, code := runRingPy(t, python, "", "recv", target, fmt.Sprint(len(msgs)), "--hex", "--timeout", "15", "--verbose")
	qt.Assert(t, code, qt.Equals, 0, qt.Commentf("stderr:\n%s\nring: %+v", stderr, ringStat(t, r)))
	qt.Assert(t, <-sent, qt.IsNil)
	var want []string
	for _, m := range msgs {
		want = append(want, hex.EncodeToString(m))
	}
	qt.Assert(t, strings.Split(strings.TrimSuffix(out, "\n"), "\n"), qt.DeepEquals, want)
	t.Logf("python: %s", strings.TrimSpace(stderr))

	// Python added 1 to the space sequence and woke producers after
	// every message, as RING.md asks of a writer without store-load
	// ordering.
	qt.Assert(t, ringSeq(t, b, ringSpaceSeq)-space >= uint32(len(msgs)), qt.IsTrue)
	st = ringStat(t, r)
	qt.Assert(t, [3]uint64{st.Free, st.Head}, qt.Equals, [3]uint64{st.Tail, st.Tail})
	qt.Assert(t, st.Lost+st.Skipped, qt.Equals, uint64(0))
	// Python gave the consumer's role back when it ended.
	_, err = r.TryRecv(make([]byte, 8))
	qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrEmpty)
}

// TestRingInteropPythonToGo: Python sends, Go receives, on a
// single-producer ring. Go's Recv is asleep on the empty ring before
// Python starts, and only Python's wake-up can end that sleep; Go stops
// receiving for a while, so that Python finds the ring full and waits.
func TestRingInteropPythonToGo(t *testing.T) {
	python := ringPython(t)
	target, b := ringBuffer(t, 1024)
	r, err := ipcbuf.CreateRing(b, ipcbuf.SingleProducer())
	qt.Assert(t, err, qt.IsNil)
	t.Cleanup(func() { r.Close() })
	msgs := ringInteropMsgs(ringInteropCount, r.MaxMessage())

	type result struct {
		got [][]byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		var res result
		buf := make([]byte, r.MaxMessage())
		for i := range msgs {
			n, err := r.RecvTimeout(buf, 15*time.Second)
			if err != nil {
				st, _ := r.Stat()
				res.err = fmt.Errorf("message %d: %v: %+v", i, err, st)
				break
			}
			res.got = append(res.got, bytes.Clone(buf[:n]))
			if i == 20 {
				time.Sleep(300 * time.Millisecond) // Python fills the ring meanwhile
			}
		}
		done <- res
	}()
	st, _, ok := waitStat(t, r, 10*time.Second, func(st ipcbuf.RingStat) bool { return st.ConsumersWaiting > 0 })
	qt.Assert(t, ok, qt.IsTrue, qt.Commentf("Go's Recv never waited: %+v", st))
	data := ringSeq(t, b, ringDataSeq)

	var in strings.Builder
	for _, m := range msgs {
		in.WriteString(hex.EncodeToString(m) + "\n")
	}
	_, stderr, code := runRingPy(t, python, in.String(), "send", target, "--hex", "--timeout", "15", "--verbose", "-")
	qt.Assert(t, code, qt.Equals, 0, qt.Commentf("stderr:\n%s\nring: %+v", stderr, ringStat(t, r)))
	res := <-done
	qt.Assert(t, res.err, qt.IsNil)
	qt.Assert(t, res.got, qt.DeepEquals, msgs)
	var sentN, full int
	_, err = fmt.Sscanf(stderr, "sent %d full %d", &sentN, &full)
	qt.Assert(t, err, qt.IsNil, qt.Commentf("stderr: %s", stderr))
	qt.Assert(t, sentN, qt.Equals, len(msgs))
	qt.Assert(t, full > 0, qt.IsTrue, qt.Commentf("Python never found the ring full"))
	t.Logf("python: %s", strings.TrimSpace(stderr))

	qt.Assert(t, ringSeq(t, b, ringDataSeq)-data >= uint32(len(msgs)), qt.IsTrue)
	st = ringStat(t, r)
	qt.Assert(t, [3]uint64{st.Free, st.Head}, qt.Equals, [3]uint64{st.Tail, st.Tail})
	qt.Assert(t, st.Lost+st.Skipped, qt.Equals, uint64(0))
	// Python gave the producer's role back when it ended.
	qt.Assert(t, r.TrySend([]byte("from Go")), qt.IsNil)
	n, err := r.TryRecv(make([]byte, 16))
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, n, qt.Equals, len("from Go"))
}

// TestRingInteropRefusals: examples/ring.py checks the header as RING.md
// says before it trusts a ring, refuses a role it cannot take without
// compare-and-swap or that a live process holds, and in every case writes
// nothing and exits 1 saying why. Go's OpenRing refuses the same headers.
func TestRingInteropRefusals(t *testing.T) {
	python := ringPython(t)
	le := binary.LittleEndian
	for _, tc := range []struct {
		name  string
		opts  []ipcbuf.RingOption
		spoil func(mem []byte)
		cmd   string
		want  string
		goErr bool // OpenRing refuses it too
	}{
		{"zeros", nil, func(mem []byte) { clear(mem) }, "recv", `not a ring: magic b'\x00\x00\x00\x00\x00\x00\x00\x00', want b'IPCBRING'`, true},
		{"text", nil, func(mem []byte) { copy(mem, "not a ring at all") }, "send", `not a ring: magic b'not a ri'`, true},
		{"version", []ipcbuf.RingOption{ipcbuf.SingleConsumer()}, func(mem []byte) { le.PutUint32(mem[8:], 2) }, "recv", "ring version 2; this program reads version 1", true},
		{"flags", []ipcbuf.RingOption{ipcbuf.SingleConsumer()}, func(mem []byte) { le.PutUint32(mem[12:], 2|8) }, "recv", "corrupt ring: unknown flags 0xa", true},
		{"capacity", []ipcbuf.RingOption{ipcbuf.SingleConsumer()}, func(mem []byte) { le.PutUint64(mem[16:], 1000) }, "recv", "capacity 1000 is not a power of two", true},
		{"capacity-too-big", []ipcbuf.RingOption{ipcbuf.SingleConsumer()}, func(mem []byte) { le.PutUint64(mem[16:], 4096) }, "recv", "capacity 4096 needs 5120 bytes, the buffer has 2048", true},
		{"header-size", []ipcbuf.RingOption{ipcbuf.SingleConsumer()}, func(mem []byte) { le.PutUint32(mem[24:], 512) }, "recv", "header size 512, want 1024", true},
		{"positions", []ipcbuf.RingOption{ipcbuf.SingleConsumer()}, func(mem []byte) { le.PutUint64(mem[256:], 16) }, "recv", "positions free 0, head 16, tail 0 are not in order", true},
		{"unaligned", []ipcbuf.RingOption{ipcbuf.SingleProducer()}, func(mem []byte) { le.PutUint64(mem[128:], 12) }, "send", "positions free 0, head 0, tail 12 are not in order and 8-aligned", true},
		{"multi-consumer", nil, nil, "recv", "the ring is not single-consumer: taking turns with other consumers needs compare-and-swap", false},
		{"multi-producer", []ipcbuf.RingOption{ipcbuf.SingleConsumer()}, nil, "send", "the ring is not single-producer: taking turns with other producers needs compare-and-swap", false},
		{"consumer-busy", []ipcbuf.RingOption{ipcbuf.SingleConsumer()}, nil, "recv", fmt.Sprintf("busy: the consumer role is held by process %d", os.Getpid()), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target, b := ringBuffer(t, 1024)
			r, err := ipcbuf.CreateRing(b, tc.opts...)
			qt.Assert(t, err, qt.IsNil)
			t.Cleanup(func() { r.Close() })
			if tc.name == "consumer-busy" {
				_, err := r.TryRecv(make([]byte, 8)) // takes the role
				qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrEmpty)
			}
			if tc.spoil != nil {
				tc.spoil(b.Bytes())
			}
			before := bytes.Clone(b.Bytes())
			args := []string{tc.cmd, target, "--timeout", "5"}
			if tc.cmd == "recv" {
				args = append(args, "1")
			} else {
				args = append(args, "hello")
			}
			out, stderr, code := runRingPy(t, python, "", args...)
			qt.Assert(t, code, qt.Equals, 1, qt.Commentf("stdout %q stderr %q", out, stderr))
			qt.Assert(t, stderr, qt.Contains, tc.want)
			qt.Assert(t, stderr, qt.Contains, "/dev/shm/"+target[1:])
			qt.Assert(t, out, qt.Equals, "")
			qt.Assert(t, bytes.Equal(b.Bytes(), before), qt.IsTrue, qt.Commentf("ring.py wrote to what it refused"))
			if tc.goErr {
				_, err := ipcbuf.OpenRing(b)
				qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrCorrupt)
			}
		})
	}

	// Bad usage: exit 2; a missing object: exit 1, saying so.
	_, stderr, code := runRingPy(t, python, "", "recv")
	qt.Assert(t, code, qt.Equals, 2)
	qt.Assert(t, stderr, qt.Contains, "Usage:")
	_, stderr, code = runRingPy(t, python, "", "recv", "*"+testPrefix+"missing", "1")
	qt.Assert(t, code, qt.Equals, 1)
	qt.Assert(t, stderr, qt.Contains, "No such file or directory")
}
