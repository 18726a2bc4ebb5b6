//go:build linux

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ipcbuf/ipcbuf"
)

// ringCommand returns the ipcbuf command with args as a process of its own
// (the test binary in the role of the command, as for lock), for what
// needs one: standard input, signals, a reader on a pipe.
func ringCommand(args ...string) *exec.Cmd { return lockCommand(args...) }

// ringStat runs ring stat --json on target and decodes what it prints.
func ringStat(t *testing.T, target string) ringStatJSON {
	t.Helper()
	out := mustRun(t, "ring", "stat", "--json", target)
	var s ringStatJSON
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		t.Fatalf("ring stat --json printed %q: %v", out, err)
	}
	if dec.More() {
		t.Fatalf("ring stat --json printed more than one object: %q", out)
	}
	return s
}

// ringRecvAll runs ring recv --timeout 0 on target until it is empty and
// returns the messages, which must be printed one to a line.
func ringRecvAll(t *testing.T, target string) []string {
	t.Helper()
	r := ipcbufRun("ring", "recv", "--timeout", "0", target)
	if r.code != 1 || !strings.Contains(r.stderr, "timed out after 0s waiting for a message") {
		t.Fatalf("ring recv --timeout 0 (draining): status %d, stderr %q", r.code, r.stderr)
	}
	if r.stdout == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
}

func TestRingRoundTrip(t *testing.T) {
	forEachKind(t, func(t *testing.T, target string) {
		expect(t, "create", mustRun(t, "ring", "create", "--size", "4096", target), "")
		st := ringStat(t, target)
		if diff := cmp.Diff(ringStatJSON{Target: target, Capacity: 4096, MaxMessage: 4096 - 24, Producers: "multi", Consumers: "multi"}, st); diff != "" {
			t.Fatalf("stat of a new ring (-want +got):\n%s", diff)
		}
		b, err := ipcbuf.Open(target, 0, ipcbuf.OpenOnly())
		if err != nil {
			t.Fatal(err)
		}
		if n := b.Len(); n != ipcbuf.RingSize(4096) {
			t.Errorf("the object has %d bytes, want RingSize(4096) = %d", n, ipcbuf.RingSize(4096))
		}
		b.Close()

		expect(t, "send", mustRun(t, "ring", "send", "--timeout", "1m", target, "first", "", "with spaces", "-dash", "ünï"), "")
		st = ringStat(t, target)
		// Each record is 24 bytes of header and the message, to a multiple of 8.
		used := int64(32 + 24 + 40 + 32 + 32)
		if st.Messages != 5 || st.Used != used || st.Tail != uint64(used) || st.Head != 0 {
			t.Fatalf("after sending 5: %+v; want 5 messages, %d bytes used", st, used)
		}
		expect(t, "recv --count 2", mustRun(t, "ring", "recv", "--timeout", "1m", "--count", "2", target), "first\n\n")
		expect(t, "recv --count 3", mustRun(t, "ring", "recv", "--timeout", "1m", "--count", "3", target), "with spaces\n-dash\nünï\n")
		st = ringStat(t, target)
		if st.Messages != 0 || st.Used != 0 || st.Head != uint64(used) || st.Free != uint64(used) {
			t.Fatalf("after receiving them all: %+v", st)
		}

		// The human form says the same.
		mustRun(t, "ring", "send", "--timeout", "1m", target, "one", "two")
		out := mustRun(t, "ring", "stat", target)
		for _, want := range []string{
			"capacity:          4096 bytes (largest message 4072)\n",
			"used:              64 bytes\n",
			"messages:          2 waiting\n",
			"being written:     0\n",
			"producers waiting: 0\n",
			"consumers waiting: 0\n",
			"producers:         multi\n",
			"consumers:         multi\n",
			"skipped:           0 ",
			"lost:              0 ",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("ring stat printed\n%s\nwhich lacks %q", out, want)
			}
		}
		if got := ringRecvAll(t, target); !cmp.Equal(got, []string{"one", "two"}) {
			t.Errorf("drained %q", got)
		}
		expect(t, "rm", mustRun(t, "rm", target), "")
	})
}

func TestRingCreate(t *testing.T) {
	forEachKind(t, func(t *testing.T, target string) {
		mustRun(t, "ring", "create", "--size", "64", "--single-producer", "--single-consumer", "--mode", "640", target)
		st := ringStat(t, target)
		if st.Capacity != 64 || st.MaxMessage != 40 || st.Producers != "single" || st.Consumers != "single" {
			t.Fatalf("stat: %+v; want capacity 64, single roles", st)
		}
		if out := mustRun(t, "ring", "stat", target); !strings.Contains(out, "producers:         single\n") || !strings.Contains(out, "consumers:         single\n") {
			t.Errorf("ring stat printed\n%s\nwithout the single roles", out)
		}
		if mode, ok := bufferMode(t, target); ok && mode != 0o640 {
			t.Errorf("mode %o, want 640", mode)
		}

		// An existing object is refused, whatever it holds, and left as it was.
		mustRun(t, "ring", "send", "--timeout", "1m", target, "kept")
		mustFail(t, 1, "ring create never formats an existing object", "ring", "create", "--size", "64", target)
		mustFail(t, 1, "exists", "ring", "create", "--size", "1024", target)
		expect(t, "recv after refused creates", mustRun(t, "ring", "recv", "--timeout", "1m", "--count", "1", target), "kept\n")
		mustRun(t, "rm", target)
		mustRun(t, "put", "--size", "2048", target, "someone's data")
		mustFail(t, 1, "ring create never formats an existing object", "ring", "create", "--size", "1024", target)
		expect(t, "get after a refused create", mustRun(t, "get", "--end", "14", target), "someone's data")
		mustRun(t, "rm", target)

		// --single-producer alone, default mode.
		mustRun(t, "ring", "create", "--size", "128", "--single-producer", target)
		st = ringStat(t, target)
		if st.Producers != "single" || st.Consumers != "multi" || st.Capacity != 128 {
			t.Fatalf("stat: %+v", st)
		}
		if mode, ok := bufferMode(t, target); ok && mode != 0o600 {
			t.Errorf("default mode %o, want 600", mode)
		}
	})
}

// bufferMode returns target's permission bits; ok is false for a kind
// whose mode the test does not read.
func bufferMode(t *testing.T, target string) (fs.FileMode, bool) {
	t.Helper()
	kind, name, _, err := ipcbuf.ParseTarget(target)
	if err != nil {
		t.Fatal(err)
	}
	switch kind {
	case ipcbuf.KindPOSIX:
		name = filepath.Join("/dev/shm", name)
	case ipcbuf.KindSysV:
		return 0, false
	}
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm(), true
}

// newRing creates a ring of capacity size at a fresh "*name", removed when
// t ends, and returns its target.
func newRing(t *testing.T, size int, flags ...string) string {
	t.Helper()
	target := "*" + testShmName()
	requireKind(t, target)
	removeAtCleanup(t, target)
	mustRun(t, append(append([]string{"ring", "create", "--size", strconv.Itoa(size)}, flags...), target)...)
	return target
}

func TestRingSendStdin(t *testing.T) {
	target := newRing(t, 1024)
	cmd := ringCommand("ring", "send", "--timeout", "1m", target)
	// An empty line is an empty message; the last line needs no newline;
	// a carriage return is the message's own.
	cmd.Stdin = strings.NewReader("alpha\n\nbeta gamma\r\n  delta\nlast")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil || stdout.Len() != 0 || stderr.Len() != 0 {
		t.Fatalf("ring send < lines: %v, stdout %q, stderr %q", err, stdout.Bytes(), stderr.Bytes())
	}
	if st := ringStat(t, target); st.Messages != 5 {
		t.Fatalf("%d messages waiting, want 5", st.Messages)
	}
	expect(t, "recv", mustRun(t, "ring", "recv", "--timeout", "1m", "--count", "5", target), "alpha\n\nbeta gamma\r\n  delta\nlast\n")

	// Empty input sends nothing, and is no error; so is input ending in a newline.
	for _, in := range []string{"", "one\n"} {
		cmd = ringCommand("ring", "send", "--timeout", "1m", target)
		cmd.Stdin = strings.NewReader(in)
		if out, err := cmd.CombinedOutput(); err != nil || len(out) != 0 {
			t.Fatalf("ring send < %q: %v, %q", in, err, out)
		}
	}
	if got := ringRecvAll(t, target); !cmp.Equal(got, []string{"one"}) {
		t.Fatalf("after sending %q and %q: %q", "", "one\n", got)
	}

	// A line longer than the ring's largest message ends the send with
	// the lines before it sent.
	cmd = ringCommand("ring", "send", "--timeout", "1m", target)
	cmd.Stdin = strings.NewReader("ok\n" + strings.Repeat("x", 1001) + "\nnever\n")
	stderr.Reset()
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(stderr.String(), "message 2 is 1001 bytes; the ring's largest is 1000: sent 1 message") {
		t.Fatalf("ring send < a long line: %v, stderr %q", err, stderr.String())
	}
	if got := ringRecvAll(t, target); !cmp.Equal(got, []string{"ok"}) {
		t.Fatalf("after a long line: %q", got)
	}
}

func TestRingCountAndTimeout(t *testing.T) {
	target := newRing(t, 256) // 8 records of 32 bytes
	mustRun(t, "ring", "send", "--timeout", "1m", target, "a", "b", "c")

	// --count leaves the rest in the ring.
	expect(t, "recv --count 1", mustRun(t, "ring", "recv", "--timeout", "1m", "--count", "1", target), "a\n")

	// Fewer messages than --count: what came is printed, and the time out
	// says how many.
	r := ipcbufRun("ring", "recv", "--count", "5", "--timeout", "50ms", target)
	if r.code != 1 || r.stdout != "b\nc\n" || r.stderr != fmt.Sprintf("ipcbuf: recv %s: timed out after 50ms waiting for a message: received 2 of 5 messages\n", target) {
		t.Fatalf("recv --count 5 --timeout 50ms: status %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	mustFail(t, 1, "timed out after 30ms waiting for a message: received 0 messages", "ring", "recv", "--timeout", "30ms", target)
	mustFail(t, 1, "timed out after 0s waiting for a message: received 0 of 1 messages", "ring", "recv", "--timeout", "0", "--count", "1", target)

	// Full: 8 fit; the 9th times out, and the message says how many went.
	mustRun(t, "ring", "send", "--timeout", "0", target, "1", "2", "3", "4", "5", "6", "7")
	mustFail(t, 1, "timed out after 0s waiting for room: sent 1 of 2 messages", "ring", "send", "--timeout", "0", target, "8", "9")
	mustFail(t, 1, "timed out after 40ms waiting for room: sent 0 of 1 messages", "ring", "send", "--timeout", "40ms", target, "10")
	if st := ringStat(t, target); st.Messages != 8 || st.Used != 256 {
		t.Fatalf("full ring: %+v", st)
	}

	// A blocked send goes on as soon as a receive makes room.
	done := make(chan result, 1)
	go func() { done <- ipcbufRun("ring", "send", "--timeout", "1m", target, "late") }()
	time.Sleep(20 * time.Millisecond) // likely, not necessarily, asleep by now
	expect(t, "recv --count 1", mustRun(t, "ring", "recv", "--timeout", "1m", "--count", "1", target), "1\n")
	if r := <-done; r.code != 0 || r.stderr != "" {
		t.Fatalf("blocked send: status %d, stderr %q", r.code, r.stderr)
	}
	// A blocked recv goes on as soon as a message comes.
	if got := ringRecvAll(t, target); !cmp.Equal(got, []string{"2", "3", "4", "5", "6", "7", "8", "late"}) {
		t.Fatalf("drained %q", got)
	}
	go func() { done <- ipcbufRun("ring", "recv", "--timeout", "1m", "--count", "1", target) }()
	time.Sleep(20 * time.Millisecond)
	mustRun(t, "ring", "send", "--timeout", "1m", target, "woken")
	if r := <-done; r.code != 0 || r.stderr != "" || r.stdout != "woken\n" {
		t.Fatalf("blocked recv: status %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

func TestRingLongMessages(t *testing.T) {
	target := newRing(t, 256<<10)
	// Too long for the ring: none of the messages is sent.
	tooLong := strings.Repeat("y", 256<<10-23)
	mustFail(t, 1, fmt.Sprintf("message 2 is %d bytes; the ring's largest is %d: none sent", len(tooLong), 256<<10-24), "ring", "send", target, "x", tooLong)
	if st := ringStat(t, target); st.Messages != 0 || st.Tail != 0 {
		t.Fatalf("after a refused send: %+v", st)
	}
	// The largest fits (in the empty ring: it takes all of it).
	mustRun(t, "ring", "send", "--timeout", "1m", target, tooLong[1:])
	if out := mustRun(t, "ring", "recv", "--timeout", "1m", "--count", "1", target); out != tooLong[1:]+"\n" {
		t.Fatalf("the largest message came back as %d bytes", len(out))
	}

	// Longer than recv's first buffer (64 KiB), so it grows it; the
	// message stays in the ring meanwhile.
	long := strings.Repeat("0123456789abcdef", 10<<10) // 160 KiB
	mustRun(t, "ring", "send", "--timeout", "1m", target, "short", long, "after")
	expect(t, "recv", mustRun(t, "ring", "recv", "--timeout", "1m", "--count", "3", target), "short\n"+long+"\nafter\n")
}

// startRecv starts ring recv as a process of its own and returns it with
// a reader of its standard output.
func startRecv(t *testing.T, args ...string) (*exec.Cmd, *bufio.Reader, *bytes.Buffer) {
	t.Helper()
	cmd := ringCommand(append([]string{"ring", "recv"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd, bufio.NewReader(stdout), &stderr
}

// readLine reads one line from r, failing t if none comes within a minute.
func readLine(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	got := make(chan string, 1)
	go func() {
		line, err := r.ReadString('\n')
		if err != nil {
			line = fmt.Sprintf("(error %v after %q)", err, line)
		}
		got <- line
	}()
	select {
	case line := <-got:
		return line
	case <-time.After(time.Minute):
		t.Fatal("no line from ring recv within a minute")
	}
	return ""
}

// TestRingRecvStreams: recv prints each message as it arrives, while the
// sender still runs, and SIGINT or SIGTERM ends it with status 0 and no
// message lost.
func TestRingRecvStreams(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			target := newRing(t, 1024)
			recv, out, stderr := startRecv(t, target)
			for i := range 5 {
				msg := fmt.Sprintf("message %d", i)
				mustRun(t, "ring", "send", "--timeout", "1m", target, msg)
				// The next is sent only once this one is read: recv
				// cannot be holding them back until it ends.
				expect(t, "line read from recv", readLine(t, out), msg+"\n")
			}
			if err := recv.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			rest, _ := io.ReadAll(out)
			if err := recv.Wait(); err != nil || len(rest) != 0 || stderr.Len() != 0 {
				t.Fatalf("recv after %v: %v, more stdout %q, stderr %q; want status 0 and nothing more", sig, err, rest, stderr.Bytes())
			}
			// It took nothing it did not print, and left no waiter behind.
			mustRun(t, "ring", "send", "--timeout", "1m", target, "after")
			if st := ringStat(t, target); st.Messages != 1 || st.ConsumersWaiting != 0 {
				t.Fatalf("after recv ended: %+v; want 1 message and no consumer waiting", st)
			}
		})
	}

	// With --count, an interrupt before the count is a failure that says
	// how far it got.
	target := newRing(t, 1024)
	recv, out, stderr := startRecv(t, "--count", "3", target)
	mustRun(t, "ring", "send", "--timeout", "1m", target, "only")
	expect(t, "line read from recv --count 3", readLine(t, out), "only\n")
	recv.Process.Signal(syscall.SIGINT)
	err := recv.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || stderr.String() != fmt.Sprintf("ipcbuf: recv %s: interrupted: received 1 of 3 messages\n", target) {
		t.Fatalf("recv --count 3 interrupted: %v, stderr %q", err, stderr.String())
	}
}

// TestRingStatWaiting: stat counts the processes waiting, and recv's exit
// on a timeout takes its count back.
func TestRingStatWaiting(t *testing.T) {
	target := newRing(t, 64)
	// A message of 40 bytes takes all of a fresh ring (it wraps nowhere).
	mustRun(t, "ring", "send", "--timeout", "1m", target, strings.Repeat("f", 40))
	send := ringCommand("ring", "send", "--timeout", "1m", target, "blocked")
	var stderr bytes.Buffer
	send.Stderr = &stderr
	if err := send.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if send.ProcessState == nil {
			send.Process.Kill()
			send.Wait()
		}
	}()
	waitStat(t, target, "a producer waiting", func(s ringStatJSON) bool { return s.ProducersWaiting == 1 })
	expect(t, "recv", mustRun(t, "ring", "recv", "--timeout", "1m", "--count", "1", target), strings.Repeat("f", 40)+"\n")
	if err := send.Wait(); err != nil {
		t.Fatalf("the blocked send: %v, %s", err, stderr.Bytes())
	}
	expect(t, "recv", mustRun(t, "ring", "recv", "--timeout", "1m", "--count", "1", target), "blocked\n")
	if st := ringStat(t, target); st.ProducersWaiting != 0 || st.ConsumersWaiting != 0 || st.Messages != 0 {
		t.Fatalf("after the blocked send: %+v", st)
	}

	recv, out, _ := startRecv(t, target)
	waitStat(t, target, "a consumer waiting", func(s ringStatJSON) bool { return s.ConsumersWaiting == 1 })
	mustRun(t, "ring", "send", "--timeout", "1m", target, "wake")
	expect(t, "recv", readLine(t, out), "wake\n")
	recv.Process.Signal(syscall.SIGINT)
	if err := recv.Wait(); err != nil {
		t.Fatal(err)
	}
	if st := ringStat(t, target); st.ConsumersWaiting != 0 || st.ProducersWaiting != 0 {
		t.Fatalf("after recv ended: %+v", st)
	}
}

// waitStat polls ring stat until ok holds, failing t after a minute.
func waitStat(t *testing.T, target, what string, ok func(ringStatJSON) bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		st := ringStat(t, target)
		if ok(st) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s within a minute: %+v", what, st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestRingSingleProducerBusy: a second sender to a single-producer ring,
// while the first still runs, is refused with a clear error.
func TestRingSingleProducerBusy(t *testing.T) {
	target := newRing(t, 64, "--single-producer")
	mustRun(t, "ring", "send", "--timeout", "1m", target, strings.Repeat("f", 40)) // full, and the role free again
	holder := ringCommand("ring", "send", "--timeout", "1m", target, "waits")
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if holder.ProcessState == nil {
			holder.Process.Kill()
			holder.Wait()
		}
	}()
	waitStat(t, target, "a producer waiting", func(s ringStatJSON) bool { return s.ProducersWaiting == 1 })
	mustFail(t, 1, "another process is the ring's single producer: sent 0 of 1 messages", "ring", "send", "--timeout", "1s", target, "refused")
	expect(t, "recv", mustRun(t, "ring", "recv", "--timeout", "1m", "--count", "1", target), strings.Repeat("f", 40)+"\n")
	if err := holder.Wait(); err != nil {
		t.Fatal(err)
	}
	expect(t, "recv", mustRun(t, "ring", "recv", "--timeout", "1m", "--count", "1", target), "waits\n")
}

// TestRingStatDeadProducer: stat says when a record was left half-written
// by a producer that died. The record is made as RING.md describes a
// producer's: reserved by this process, then its owner changed to a pid
// that has ended.
func TestRingStatDeadProducer(t *testing.T) {
	target := newRing(t, 1024)
	b, err := ipcbuf.Open(target, 0, ipcbuf.OpenOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	r, err := ipcbuf.OpenRing(b)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	v, err := r.Reserve(5)
	if err != nil {
		t.Fatal(err)
	}
	st := ringStat(t, target)
	if st.Writing != 1 || st.DeadWriting != 0 {
		t.Fatalf("with a live producer writing: %+v", st)
	}
	if out := mustRun(t, "ring", "stat", target); !strings.Contains(out, "being written:     1\n") {
		t.Errorf("ring stat printed\n%s", out)
	}
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	// The record is the first in the data area: its owner's pid at 12.
	if err := b.StoreUint32(ipcbuf.RingHeaderSize+12, uint32(dead.Process.Pid)); err != nil {
		t.Fatal(err)
	}
	st = ringStat(t, target)
	if st.Writing != 1 || st.DeadWriting != 1 {
		t.Fatalf("with a dead producer's record: %+v", st)
	}
	if out := mustRun(t, "ring", "stat", target); !strings.Contains(out, "being written:     1, 1 left by a dead producer (receivers skip them)\n") {
		t.Errorf("ring stat printed\n%s", out)
	}
	// A receiver skips it and counts it.
	mustRun(t, "ring", "send", "--timeout", "1m", target, "next")
	expect(t, "recv", mustRun(t, "ring", "recv", "--timeout", "1m", "--count", "1", target), "next\n")
	if st = ringStat(t, target); st.Skipped != 1 || st.Writing != 0 {
		t.Fatalf("after the receiver passed it: %+v", st)
	}
	if err := v.Commit(); err == nil {
		t.Error("Commit of a record receivers skipped succeeded")
	}
}

// TestRingNotARing: a target that holds something else is refused, saying
// so, and left as it was.
func TestRingNotARing(t *testing.T) {
	forEachKind(t, func(t *testing.T, target string) {
		data := "not a ring, but someone's data " + strings.Repeat(".", 2048)
		mustRun(t, "put", "--size", strconv.Itoa(len(data)), target, data)
		for _, args := range [][]string{
			{"ring", "stat", target},
			{"ring", "stat", "--json", target},
			{"ring", "send", target, "x"},
			{"ring", "recv", "--timeout", "0", target},
		} {
			mustFail(t, 1, "not a ring", args...)
		}
		expect(t, "get", mustRun(t, "get", target), data)
		mustRun(t, "rm", target)

		// Smaller than a ring's header.
		mustRun(t, "put", "--size", "8", target, "tiny")
		mustFail(t, 1, "not a ring", "ring", "stat", target)
		mustFail(t, 1, "not a ring", "ring", "recv", target)
		expect(t, "get", mustRun(t, "get", "--end", "4", target), "tiny")
		mustRun(t, "rm", target)

		mustFail(t, 1, "create it with 'ipcbuf ring create'", "ring", "stat", target)
		mustFail(t, 1, "no such file or directory", "ring", "send", target, "x")
		mustFail(t, 1, "no such file or directory", "ring", "recv", target)
		if exists(t, target) {
			t.Fatalf("%s made by a ring command on a missing target", target)
		}
	})
}

// TestRingBadInput: every mistake in how ring is called is a usage error
// (status 2) found before anything is opened: nothing is created.
func TestRingBadInput(t *testing.T) {
	posix, sysv := "*"+testShmName(), strconv.Itoa(testKey(t))
	file := filepath.Join(t.TempDir(), "ring")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"create", posix}, "ring create wants --size N, the ring's capacity in bytes"},
		{[]string{"create", "--size", "0", posix}, "--size 0 is not a power of two from 64 to 2^40"},
		{[]string{"create", "--size", "32", sysv}, "--size 32 is not a power of two from 64 to 2^40"},
		{[]string{"create", "--size", "100", file}, "--size 100 is not a power of two"},
		{[]string{"create", "--size", "-64", posix}, "--size -64 is not a power of two"},
		{[]string{"create", "--size", "2199023255552", posix}, "--size 2199023255552 is not a power of two from 64 to 2^40"},
		{[]string{"create", "--size", "1k", posix}, `invalid value "1k" for flag -size`},
		{[]string{"create", "--size", "64", "--mode", "888", posix}, `mode "888" is not octal permission bits`},
		{[]string{"create", "--size", "64", "--single-producer=maybe", posix}, `invalid boolean value "maybe" for -single-producer`},
		{[]string{"create", "--size", "64"}, "ring create wants TARGET after its flags; got 0 argument(s)"},
		{[]string{"create", "--size", "64", posix, sysv}, "got 2 argument(s)"},
		{[]string{"create", "--size", "64", ""}, "empty target"},
		{[]string{"create", "--size", "64", "0"}, "IPC_PRIVATE"},
		{[]string{"create", "--size", "64", "*a/b"}, "contains '/'"},
		{[]string{"send"}, "ring send wants TARGET after its flags"},
		{[]string{"send", "--timeout", "-1s", posix, "x"}, "--timeout -1s is negative"},
		{[]string{"send", "--timeout", "soon", posix, "x"}, `invalid value "soon" for flag -timeout`},
		{[]string{"send", "--count", "1", posix, "x"}, "flag provided but not defined: -count"},
		{[]string{"send", "*", "x"}, "bad TARGET"},
		{[]string{"recv"}, "ring recv wants TARGET after its flags; got 0 argument(s)"},
		{[]string{"recv", posix, "x"}, "got 2 argument(s)"},
		{[]string{"recv", "--count", "0", posix}, "--count 0 is not a positive number of messages"},
		{[]string{"recv", "--count", "-2", posix}, "--count -2 is not a positive number"},
		{[]string{"recv", "--count", "many", posix}, `invalid value "many" for flag -count`},
		{[]string{"recv", "--timeout", "-5ms", posix}, "--timeout -5ms is negative"},
		{[]string{"recv", "0x100000000"}, "out of range"},
		{[]string{"stat"}, "ring stat wants TARGET"},
		{[]string{"stat", "--json=no", posix}, `invalid boolean value "no" for -json`},
		{[]string{"stat", "--size", "64", posix}, "flag provided but not defined: -size"},
		{[]string{"stat", posix, posix}, "got 2 argument(s)"},
		{[]string{"frob", posix}, `unknown ring subcommand "frob"`},
	} {
		mustFail(t, 2, tc.want, append([]string{"ring"}, tc.args...)...)
		if tc.args[0] != "frob" {
			mustFail(t, 2, "usage: ipcbuf ring "+tc.args[0]+" ", append([]string{"ring"}, tc.args...)...)
		}
	}
	for _, target := range []string{posix, sysv} {
		if exists(t, target) {
			removeAtCleanup(t, target)
			t.Errorf("%s exists after bad input", target)
		}
	}
	if _, err := os.Stat(file); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the file target was touched: %v", err)
	}
}

func TestRingUsage(t *testing.T) {
	r := ipcbufRun("help")
	if !strings.Contains(r.stdout, "ring create|send|recv|stat") {
		t.Errorf("ipcbuf help does not list ring:\n%s", r.stdout)
	}
	r = ipcbufRun("ring")
	if r.code != 2 || r.stdout != "" || !strings.HasPrefix(r.stderr, "usage: ipcbuf ring <subcommand>") {
		t.Errorf("ipcbuf ring: status %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	for _, args := range [][]string{{"ring", "help"}, {"help", "ring"}, {"ring", "-h"}, {"ring", "--help"}} {
		r = ipcbufRun(args...)
		if r.code != 0 || r.stderr != "" {
			t.Errorf("ipcbuf %q: status %d, stderr %q", args, r.code, r.stderr)
		}
		for _, want := range []string{"create --size N", "send [--timeout D] TARGET [MESSAGE...]", "recv [--count N] [--timeout D] TARGET", "stat [--json] TARGET", "'*name'"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("ipcbuf %q printed\n%s\nwhich lacks %q", args, r.stdout, want)
			}
		}
	}
	for _, tc := range []struct{ sub, flag string }{
		{"create", "--single-consumer"}, {"send", "--timeout D"}, {"recv", "--count N"}, {"stat", "--json"},
	} {
		r = ipcbufRun("ring", tc.sub, "-h")
		if r.code != 0 || !strings.HasPrefix(r.stdout, "usage: ipcbuf ring "+tc.sub) || !strings.Contains(r.stdout, tc.flag) {
			t.Errorf("ring %s -h: status %d, stdout %q", tc.sub, r.code, r.stdout)
		}
	}
}

// TestRingSendInterrupted: SIGINT or SIGTERM ends a send waiting for room
// or for its next line of input with status 1, saying how many went, and
// leaves no waiter counted in the ring.
func TestRingSendInterrupted(t *testing.T) {
	target := newRing(t, 64)
	mustRun(t, "ring", "send", "--timeout", "1m", target, strings.Repeat("f", 40)) // full
	for _, tc := range []struct {
		sig  syscall.Signal
		args []string
		want string
	}{
		{syscall.SIGINT, []string{target, "a", "b"}, "interrupted: sent 0 of 2 messages"},
		{syscall.SIGTERM, []string{target}, "interrupted: sent 0 messages"},
	} {
		cmd := ringCommand(append([]string{"ring", "send"}, tc.args...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		stdin, err := cmd.StdinPipe() // a line that waits for room, then no more
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		io.WriteString(stdin, "c\n")
		waitStat(t, target, "a producer waiting", func(s ringStatJSON) bool { return s.ProducersWaiting == 1 })
		cmd.Process.Signal(tc.sig)
		err = cmd.Wait()
		stdin.Close()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 || stderr.String() != fmt.Sprintf("ipcbuf: send %s: %s\n", target, tc.want) {
			t.Fatalf("send %q after %v: %v, stderr %q; want status 1 and %q", tc.args, tc.sig, err, stderr.String(), tc.want)
		}
		if st := ringStat(t, target); st.ProducersWaiting != 0 || st.Messages != 1 {
			t.Fatalf("after send was interrupted: %+v", st)
		}
	}

	// Waiting for input, not for room.
	expect(t, "recv", mustRun(t, "ring", "recv", "--timeout", "1m", "--count", "1", target), strings.Repeat("f", 40)+"\n")
	cmd := ringCommand("ring", "send", target)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	io.WriteString(stdin, "sent\n")
	waitStat(t, target, "the first line sent", func(s ringStatJSON) bool { return s.Messages == 1 })
	cmd.Process.Signal(syscall.SIGINT)
	err = cmd.Wait()
	if err == nil || stderr.String() != fmt.Sprintf("ipcbuf: send %s: interrupted: sent 1 message\n", target) {
		t.Fatalf("send waiting for input, after SIGINT: %v, stderr %q", err, stderr.String())
	}
	expect(t, "recv", mustRun(t, "ring", "recv", "--timeout", "1m", "--count", "1", target), "sent\n")
}
