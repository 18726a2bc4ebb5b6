package ipcbuf_test

// Reliability scenario 12 (TESTING.md, "Reliability scenarios"): a
// file-backed buffer is written and synced, then its writer is killed with
// SIGKILL; everything written before Sync must be in the file.

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc64"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	qt "github.com/frankban/quicktest"

	"github.com/ipcbuf/ipcbuf"
	"github.com/ipcbuf/ipcbuf/internal/testenv"
)

func init() {
	childRoles["rel-durab-writer"] = relDurabWriter
}

const relRecSize = 16

var relCRC = crc64.MakeTable(crc64.ECMA)

// relRecord fills rec with record n: n little-endian, then a checksum of it.
func relRecord(rec []byte, n int) {
	binary.LittleEndian.PutUint64(rec[:8], uint64(n))
	binary.LittleEndian.PutUint64(rec[8:], crc64.Checksum(rec[:8], relCRC)^0x5a5a5a5a5a5a5a5a)
}

// relDurabWriter is the child of TestDurabilityUnderSIGKILL: it writes
// record after record into the file target, each followed by Sync and by
// "synced N" on stdout, until it is killed.
func relDurabWriter(target string) int {
	b, err := ipcbuf.OpenFile(target, 0, ipcbuf.OpenOnly())
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	rec := make([]byte, relRecSize)
	for n := 1; n*relRecSize <= b.Len(); n++ {
		relRecord(rec, n)
		off := int64((n - 1) * relRecSize)
		// Two writes, so that a kill can land between them.
		if _, err := b.WriteAt(rec[:8], off); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 1
		}
		if _, err := b.WriteAt(rec[8:], off+8); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 1
		}
		if err := b.Sync(); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 1
		}
		// os.Stdout is not buffered: one write(2) per line.
		if _, err := fmt.Fprintf(os.Stdout, "synced %d\n", n); err != nil {
			return 1
		}
	}
	fmt.Println("full")
	time.Sleep(time.Hour) // wait for the kill
	return 1
}

// TestDurabilityUnderSIGKILL kills a writer at random points and checks
// that every record it reported synced is in the file. A killed process
// loses nothing of what reached its MAP_SHARED mapping (the page cache
// outlives it), so this checks that writes reach the file and that Sync
// returns only after them; what a power loss would keep needs a machine
// that can lose power, which a test cannot arrange.
func TestDurabilityUnderSIGKILL(t *testing.T) {
	if !ipcbuf.KindFile.Supported() {
		_, err := ipcbuf.OpenFile(filepath.Join(testenv.TempDir(t), "f"), 4096)
		qt.Assert(t, err, qt.ErrorIs, errors.ErrUnsupported)
		requireKind(t, ipcbuf.KindFile)
	}
	rounds, maxLines := 20, 100
	if relSoak() {
		rounds, maxLines = 300, 1000
	}
	const size = 64 << 10 // 4096 records: more than maxLines
	rng := relRand(t)
	dir := testenv.TempDir(t)
	var survived, totalSynced, early, nextWhole, nextPartial, nextAbsent int
	start := time.Now()
	for round := 0; round < rounds; round++ {
		path := filepath.Join(dir, fmt.Sprintf("durab-%d", round))
		b, err := ipcbuf.OpenFile(path, size, ipcbuf.Exclusive())
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, b.Close(), qt.IsNil)

		cmd := childCommand("rel-durab-writer", path)
		stdout, err := cmd.StdoutPipe()
		qt.Assert(t, err, qt.IsNil)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		qt.Assert(t, cmd.Start(), qt.IsNil)
		watchdog := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
		waited := false
		t.Cleanup(func() {
			if !waited { // the test failed mid-round
				cmd.Process.Kill()
				cmd.Wait()
			}
		})

		// Kill at a random point: one round in eight after a random delay
		// from the start (perhaps before the child has opened the file),
		// the others after a random number of synced lines and a random
		// delay of up to 0.5 ms, which lands anywhere in the child's
		// write, Sync, print loop (mostly in Sync, the slow part).
		killAfter := 1 + rng.IntN(maxLines)
		var killed atomic.Bool
		kill := func() {
			if killed.CompareAndSwap(false, true) {
				cmd.Process.Signal(syscall.SIGKILL)
			}
		}
		if rng.IntN(8) == 0 {
			killAfter = -1
			early++
			time.AfterFunc(time.Duration(rng.IntN(40_000))*time.Microsecond, kill)
		}
		extra := time.Duration(rng.IntN(500)) * time.Microsecond

		last := 0
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			n, err := strconv.Atoi(strings.TrimPrefix(line, "synced "))
			if err != nil || !strings.HasPrefix(line, "synced ") {
				kill()
				t.Fatalf("round %d: child said %q", round, line)
			}
			if n != last+1 {
				kill()
				t.Fatalf("round %d: child reported %d after %d", round, n, last)
			}
			last = n
			if n == killAfter {
				if extra > 0 {
					time.Sleep(extra)
				}
				kill()
			}
		}
		err = cmd.Wait()
		waited = true
		watchdog.Stop()
		if !killed.Load() {
			t.Fatalf("round %d: child ended before it was killed: %v\n%s", round, err, stderr.Bytes())
		}
		var exitErr *exec.ExitError
		qt.Assert(t, errors.As(err, &exitErr), qt.IsTrue, qt.Commentf("round %d: %v\n%s", round, err, stderr.Bytes()))
		if runtime.GOOS == "windows" {
			// Process.Kill is TerminateProcess with exit code 1.
			qt.Assert(t, exitErr.ExitCode(), qt.Equals, 1, qt.Commentf("round %d: child ended with %v, not killed\n%s", round, err, stderr.Bytes()))
		} else {
			ws := exitErr.Sys().(syscall.WaitStatus)
			qt.Assert(t, ws.Signaled() && ws.Signal() == syscall.SIGKILL, qt.IsTrue,
				qt.Commentf("round %d: child ended with %v, not SIGKILL\n%s", round, err, stderr.Bytes()))
		}

		data, err := os.ReadFile(path)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, len(data), qt.Equals, size, qt.Commentf("round %d: the file's size changed", round))
		want := make([]byte, relRecSize)
		for n := 1; n <= last; n++ {
			relRecord(want, n)
			if got := data[(n-1)*relRecSize : n*relRecSize]; !bytes.Equal(got, want) {
				t.Fatalf("round %d: record %d of %d synced is %x; want %x", round, n, last, got, want)
			}
		}
		// Record last+1 may have been written, wholly or in part, before
		// the kill; each of its bytes is either still zero or right.
		relRecord(want, last+1)
		next := data[last*relRecSize : (last+1)*relRecSize]
		switch {
		case bytes.Equal(next, want):
			nextWhole++
		case bytes.Equal(next, make([]byte, relRecSize)):
			nextAbsent++
		default:
			for i, c := range next {
				if c != 0 && c != want[i] {
					t.Fatalf("round %d: record %d (unsynced) is %x: neither zero nor %x", round, last+1, next, want)
				}
			}
			nextPartial++
		}
		if rest := data[(last+1)*relRecSize:]; !bytes.Equal(rest, make([]byte, len(rest))) {
			t.Fatalf("round %d: bytes written past record %d, which the child never started", round, last+1)
		}
		survived++
		totalSynced += last
		qt.Assert(t, os.Remove(path), qt.IsNil)
	}
	t.Logf("%d of %d rounds survived SIGKILL with every synced record intact (%d records in all; %d rounds killed at a random time from start; unsynced next record whole %d, partial %d, absent %d) in %v",
		survived, rounds, totalSynced, early, nextWhole, nextPartial, nextAbsent, time.Since(start).Round(time.Millisecond))
}
