//go:build cgo && windows

package ipcbuf_test

// The Mutex on Windows: a named Win32 mutex, Global\ipcbuf.mutex.<id>,
// whose id the mutex's last 8 bytes hold. The tests share a mutex between
// processes by giving a child's memory buffer the same id (the Win32
// mutex is then the same; the state bytes are each process's own), and
// make a thread die holding it to see WAIT_ABANDONED become ErrOwnerDead.

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"testing"
	"time"

	qt "github.com/frankban/quicktest"

	"github.com/ipcbuf/ipcbuf"
	"github.com/ipcbuf/ipcbuf/cshim"
)

// winMutexIDEnv gives a "winmutex-hold" child the id of the parent's
// mutex, in hexadecimal.
const winMutexIDEnv = "IPCBUF_TEST_MUTEX_ID"

func init() {
	childRoles["winmutex-hold"] = winMutexHoldChild
	childRoles["winmutex-abandon"] = winMutexAbandonChild
}

// winMutexHoldChild makes a mutex in a memory buffer with the parent's
// id, locks it, says "locked", and unlocks it and exits when its stdin
// closes (unless it is killed first).
func winMutexHoldChild(string) int {
	id, err := strconv.ParseUint(os.Getenv(winMutexIDEnv), 16, 64)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	b, err := ipcbuf.Alloc(mxSize)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	var raw [8]byte
	binary.LittleEndian.PutUint64(raw[:], id)
	if _, err := b.WriteAt(raw[:], 8); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	m, err := ipcbuf.NewMutex(b, 0)
	if err == nil {
		err = m.LockTimeout(time.Minute)
	}
	return holdUntilStdinCloses(m, err)
}

// winMutex returns a mutex at 0 of a new memory buffer, given its id by a
// first Lock and Unlock, and the id.
func winMutex(t *testing.T) (*ipcbuf.Buffer, *ipcbuf.Mutex, uint64) {
	t.Helper()
	b, err := ipcbuf.Alloc(mxSize)
	qt.Assert(t, err, qt.IsNil)
	t.Cleanup(func() { b.Close() })
	m, err := ipcbuf.NewMutex(b, 0)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, mutexBytes(t, b, 0), qt.DeepEquals, make([]byte, ipcbuf.MutexSize)) // nothing written yet
	qt.Assert(t, m.Lock(), qt.IsNil)
	qt.Assert(t, m.Unlock(), qt.IsNil)
	raw := mutexBytes(t, b, 0)
	qt.Assert(t, raw[:8], qt.DeepEquals, make([]byte, 8))
	id := binary.LittleEndian.Uint64(raw[8:])
	qt.Assert(t, id, qt.Not(qt.Equals), uint64(0))
	return b, m, id
}

// winAbandon makes another process take the Win32 mutex of id and end
// without releasing it: Windows then abandons the mutex. (A goroutine
// locked to its thread and ending would do it within this process, but
// when the goroutine runs on the main thread Go cannot end that thread and
// wedges it instead, and the mutex is never abandoned.) This process keeps
// a handle of its own, so that the mutex outlives the child.
func winAbandon(t *testing.T, id uint64) {
	t.Helper()
	name := fmt.Sprintf(`Global\ipcbuf.mutex.%016x`, id)
	h, _, err := cshim.WinMutexCreate(name)
	qt.Assert(t, err, qt.IsNil)
	t.Cleanup(func() { cshim.WinCloseHandle(h) })
	out, err := childCommand("winmutex-abandon", name).CombinedOutput()
	qt.Assert(t, err, qt.IsNil, qt.Commentf("child said: %s", out))
}

// winMutexAbandonChild takes the Win32 mutex named target and exits
// holding it.
func winMutexAbandonChild(target string) int {
	h, _, err := cshim.WinMutexCreate(target)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	r, err := cshim.WinWait(h, 60_000)
	if err == nil && r != cshim.WaitObject0 {
		err = fmt.Errorf("WaitForSingleObject returned %#x", r)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	return 0 // holding it
}

// TestWindowsMutexAbandoned: a thread that ends holding the Win32 mutex
// gives the next Lock ErrOwnerDead with the lock; MarkConsistent then
// Unlock leaves it usable; Unlock without MarkConsistent makes it not
// recoverable until Reset.
func TestWindowsMutexAbandoned(t *testing.T) {
	mutexWatchdog(t, 2*time.Minute)
	b, m, id := winMutex(t)

	winAbandon(t, id)
	err := m.LockTimeout(time.Minute)
	qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrOwnerDead)
	qt.Assert(t, err, qt.ErrorMatches, `lock memory buffer: ipcbuf: the previous owner of the mutex died holding it \(its owner's thread ended without releasing it\)`)
	ok, err := m.TryLock() // held by this process
	qt.Assert(t, ok, qt.IsFalse)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, m.MarkConsistent(), qt.IsNil)
	qt.Assert(t, m.Unlock(), qt.IsNil)
	qt.Assert(t, m.LockTimeout(time.Minute), qt.IsNil)
	qt.Assert(t, m.Unlock(), qt.IsNil)
	mutexAssertUnlocked(t, b, 0)

	// Without MarkConsistent: not recoverable, for every way of locking.
	winAbandon(t, id)
	qt.Assert(t, m.LockTimeout(time.Minute), qt.ErrorIs, ipcbuf.ErrOwnerDead)
	err = m.Unlock()
	qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrNotRecoverable)
	qt.Assert(t, err, qt.ErrorMatches, `unlock memory buffer: ipcbuf: the mutex is not recoverable.*: unlocked without MarkConsistent after ErrOwnerDead`)
	qt.Assert(t, m.Lock(), qt.ErrorIs, ipcbuf.ErrNotRecoverable)
	qt.Assert(t, m.LockTimeout(time.Second), qt.ErrorIs, ipcbuf.ErrNotRecoverable)
	qt.Assert(t, m.LockContext(context.Background()), qt.ErrorIs, ipcbuf.ErrNotRecoverable)
	ok, err = m.TryLock()
	qt.Assert(t, ok, qt.IsFalse)
	qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrNotRecoverable)
	qt.Assert(t, m.Unlock(), qt.ErrorIs, fs.ErrPermission)

	// Reset: all 16 bytes zero, and the next Lock names a new Win32 mutex.
	qt.Assert(t, m.Reset(), qt.IsNil)
	qt.Assert(t, mutexBytes(t, b, 0), qt.DeepEquals, make([]byte, ipcbuf.MutexSize))
	qt.Assert(t, m.Lock(), qt.IsNil)
	qt.Assert(t, binary.LittleEndian.Uint64(mutexBytes(t, b, 0)[8:]), qt.Not(qt.Equals), id)
	qt.Assert(t, m.Unlock(), qt.IsNil)
}

// TestWindowsMutexOwnerField: a lock whose owner is recorded in the bytes
// but who no longer holds the Win32 mutex (a process that died when it
// alone had the mutex open, so the mutex went with it) is an owner that
// died: ErrOwnerDead, naming it.
func TestWindowsMutexOwnerField(t *testing.T) {
	mutexWatchdog(t, time.Minute)
	b, m, _ := winMutex(t)
	var raw [8]byte
	binary.LittleEndian.PutUint32(raw[4:], 4242) // state 0, owner pid 4242
	_, err := b.WriteAt(raw[:], 0)
	qt.Assert(t, err, qt.IsNil)
	m2, err := ipcbuf.NewMutex(b, 0)
	qt.Assert(t, err, qt.IsNil)
	err = m.Unlock()
	qt.Assert(t, err, qt.ErrorIs, fs.ErrPermission)
	qt.Assert(t, err, qt.ErrorMatches, fmt.Sprintf(`unlock memory buffer: the mutex at offset 0 is held by pid 4242, not by this process \(pid %d\)`, os.Getpid()))
	err = m2.LockTimeout(time.Minute)
	qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrOwnerDead)
	qt.Assert(t, err, qt.ErrorMatches, `.*\(it was pid 4242\)`)
	// Another Mutex of this process on the same bytes may unlock it: the
	// process holds it.
	qt.Assert(t, m.MarkConsistent(), qt.IsNil)
	qt.Assert(t, m.Unlock(), qt.IsNil)
	mutexAssertUnlocked(t, b, 0)
}

// TestWindowsMutexCorrupt: bytes that are not a Windows mutex are
// ErrCorrupt, untouched, until Reset.
func TestWindowsMutexCorrupt(t *testing.T) {
	b, err := ipcbuf.Alloc(mxSize)
	qt.Assert(t, err, qt.IsNil)
	defer b.Close()
	le := func(state, owner uint32, id uint64) []byte {
		raw := make([]byte, ipcbuf.MutexSize)
		binary.LittleEndian.PutUint32(raw, state)
		binary.LittleEndian.PutUint32(raw[4:], owner)
		binary.LittleEndian.PutUint64(raw[8:], id)
		return raw
	}
	for _, raw := range [][]byte{
		le(1, 0, 7),           // a state it never writes
		le(1<<30, 5, 7),       // not recoverable, with an owner
		le(1<<31, 0, 7),       // inconsistent, without an owner
		le(0, 5, 0),           // an owner, no id
		le(1<<30, 0, 0),       // a state, no id
		le(1<<31|1<<30, 5, 7), // two states
	} {
		_, err := b.WriteAt(raw, 0)
		qt.Assert(t, err, qt.IsNil)
		_, err = ipcbuf.NewMutex(b, 0)
		qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrCorrupt)
		qt.Assert(t, err, qt.ErrorMatches, `mutex memory buffer: ipcbuf: corrupt shared state: the 16 bytes at offset 0 \(.*\) are not a mutex`)
		m, err := ipcbuf.NewMutex(b, 16) // a good one, pointed at the bad bytes below
		qt.Assert(t, err, qt.IsNil)
		_, err = b.WriteAt(raw, 16)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, m.Lock(), qt.ErrorIs, ipcbuf.ErrCorrupt)
		ok, err := m.TryLock()
		qt.Assert(t, ok, qt.IsFalse)
		qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrCorrupt)
		qt.Assert(t, m.Unlock(), qt.ErrorIs, ipcbuf.ErrCorrupt)
		qt.Assert(t, m.MarkConsistent(), qt.ErrorIs, ipcbuf.ErrCorrupt)
		qt.Assert(t, mutexBytes(t, b, 16), qt.DeepEquals, raw)
		qt.Assert(t, m.Reset(), qt.IsNil)
		qt.Assert(t, m.Lock(), qt.IsNil)
		qt.Assert(t, m.Unlock(), qt.IsNil)
	}
}

// TestWindowsMutexProcesses: a child process holds the mutex: the parent's
// bounded locks give up, its waiting Lock gets the mutex when the child
// unlocks, and when the child is killed holding it, the parent gets
// ErrOwnerDead (a waiting Lock and a later one), then MarkConsistent and
// Unlock work, and without MarkConsistent the next Lock is
// ErrNotRecoverable.
func TestWindowsMutexProcesses(t *testing.T) {
	mutexWatchdog(t, 3*time.Minute)
	_, m, id := winMutex(t)
	env := winMutexIDEnv + "=" + strconv.FormatUint(id, 16)
	// The child's bytes are its own, so only WAIT_ABANDONED can tell the
	// parent of its death, and only if the Win32 mutex outlives the child:
	// the parent's own handle goes a second after its last use. This
	// handle keeps it. (In a shared buffer the holder's pid in the bytes
	// tells too: TestWindowsMutexSharedBuffer.)
	h, _, err := cshim.WinMutexCreate(fmt.Sprintf(`Global\ipcbuf.mutex.%016x`, id))
	qt.Assert(t, err, qt.IsNil)
	defer cshim.WinCloseHandle(h)

	c := startMutexChild(t, "winmutex-hold", "", env)
	c.expect(t, "locked")
	ok, err := m.TryLock()
	qt.Assert(t, ok, qt.IsFalse)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, m.LockTimeout(100*time.Millisecond), qt.ErrorIs, ipcbuf.ErrTimeout)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	qt.Assert(t, m.LockContext(ctx), qt.ErrorIs, context.DeadlineExceeded)
	cancel()
	ctx, cancel = context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.LockContext(ctx) }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	qt.Assert(t, <-done, qt.ErrorIs, context.Canceled)
	qt.Assert(t, m.Unlock(), qt.ErrorIs, fs.ErrPermission)

	go func() { done <- m.LockTimeout(time.Minute) }()
	time.Sleep(20 * time.Millisecond)
	c.stdin.Close() // the child unlocks and exits
	qt.Assert(t, <-done, qt.IsNil)
	qt.Assert(t, c.wait(), qt.IsNil, qt.Commentf("%s", c.stderr.Bytes()))
	qt.Assert(t, m.Unlock(), qt.IsNil)

	// Killed holding it, while the parent waits.
	c = startMutexChild(t, "winmutex-hold", "", env)
	c.expect(t, "locked")
	go func() { done <- m.LockTimeout(time.Minute) }()
	time.Sleep(20 * time.Millisecond)
	qt.Assert(t, c.cmd.Process.Kill(), qt.IsNil)
	c.wait()
	err = <-done
	qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrOwnerDead)
	qt.Assert(t, m.MarkConsistent(), qt.IsNil)
	qt.Assert(t, m.Unlock(), qt.IsNil)
	qt.Assert(t, m.LockTimeout(time.Minute), qt.IsNil)
	qt.Assert(t, m.Unlock(), qt.IsNil)

	// Killed holding it, before the parent locks; no MarkConsistent.
	c = startMutexChild(t, "winmutex-hold", "", env)
	c.expect(t, "locked")
	qt.Assert(t, c.cmd.Process.Kill(), qt.IsNil)
	c.wait()
	qt.Assert(t, m.LockTimeout(time.Minute), qt.ErrorIs, ipcbuf.ErrOwnerDead)
	qt.Assert(t, m.Unlock(), qt.ErrorIs, ipcbuf.ErrNotRecoverable)
	qt.Assert(t, m.LockTimeout(time.Minute), qt.ErrorIs, ipcbuf.ErrNotRecoverable)
	qt.Assert(t, m.Reset(), qt.IsNil)
	qt.Assert(t, m.LockTimeout(time.Minute), qt.IsNil)
	qt.Assert(t, m.Unlock(), qt.IsNil)
}

// TestWindowsMutexSharedBuffer: the mutex in a "*name" section that two
// Wine processes map. A child killed in the middle of its critical section
// gives the parent ErrOwnerDead naming it, with the record half-updated;
// the parent repairs it, MarkConsistent and Unlock leave the mutex usable.
// Killed again, and taken over by a second child that unlocks without
// MarkConsistent: the parent's Lock is ErrNotRecoverable, until Reset.
func TestWindowsMutexSharedBuffer(t *testing.T) {
	mutexWatchdog(t, 3*time.Minute)
	kc := sharedKinds[0]
	if kc.kind != ipcbuf.KindPOSIX || !kc.kind.Supported() {
		t.Skip("this build has no named sections (\"*name\")")
	}
	target, b, m := newMutexBuffer(t, kc)

	die := func() int {
		t.Helper()
		c := startMutexChild(t, "mutex-die", target)
		c.expect(t, "open")
		_, err := io.WriteString(c.stdin, "go\n")
		qt.Assert(t, err, qt.IsNil)
		c.expect(t, "ready")
		qt.Assert(t, c.cmd.Process.Kill(), qt.IsNil)
		c.wait()
		return c.cmd.Process.Pid
	}
	record := func() (uint32, uint32) {
		t.Helper()
		a, err := b.ReadUint32LE(mxA)
		qt.Assert(t, err, qt.IsNil)
		bb, err := b.ReadUint32LE(mxB)
		qt.Assert(t, err, qt.IsNil)
		return a, bb
	}

	pid := die()
	err := m.LockTimeout(time.Minute)
	qt.Assert(t, err, qt.ErrorIs, ipcbuf.ErrOwnerDead)
	qt.Assert(t, err, qt.ErrorMatches, fmt.Sprintf(`lock \*.*: ipcbuf: the previous owner of the mutex died holding it \(it was pid %d\)`, pid))
	raw := mutexBytes(t, b, 0)
	qt.Assert(t, binary.LittleEndian.Uint32(raw), qt.Equals, uint32(1<<31))           // inconsistent
	qt.Assert(t, binary.LittleEndian.Uint32(raw[4:]), qt.Equals, uint32(os.Getpid())) // held by the parent
	a, bb := record()
	qt.Assert(t, a, qt.Equals, bb+1) // the child died between its two writes
	_, err = b.WriteUint32LE(int64(a), mxB)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, m.MarkConsistent(), qt.IsNil)
	qt.Assert(t, m.Unlock(), qt.IsNil)
	mutexAssertUnlocked(t, b, 0)
	qt.Assert(t, m.LockTimeout(time.Minute), qt.IsNil)
	qt.Assert(t, m.Unlock(), qt.IsNil)

	// Not recoverable, across processes.
	die()
	c := startMutexChild(t, "mutex-abandon", target)
	c.expect(t, "took over")
	ok, err := m.TryLock()
	qt.Assert(t, ok, qt.IsFalse)
	qt.Assert(t, err, qt.IsNil)
	c.stdin.Close()
	qt.Assert(t, c.wait(), qt.IsNil, qt.Commentf("%s", c.stderr.Bytes()))
	qt.Assert(t, m.LockTimeout(time.Minute), qt.ErrorIs, ipcbuf.ErrNotRecoverable)
	qt.Assert(t, m.Reset(), qt.IsNil)
	qt.Assert(t, m.LockTimeout(time.Minute), qt.IsNil)
	qt.Assert(t, m.Unlock(), qt.IsNil)
}
