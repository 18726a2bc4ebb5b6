package main

// The contenders of group 8 on the futex: Buffer.Wait/Wake, the same
// protocol on bare futex system calls (what any Go program pays, without
// ipcbuf), and the Semaphore in a buffer. The parent's side is a trip
// function, the child's an answer function, set up from the same shared
// object.

import (
	"fmt"
	"os"
	"sync/atomic"
	"unsafe"

	"github.com/ipcbuf/ipcbuf"
	"golang.org/x/sys/unix"
)

// The kinds of answering child, in coordEnv.
const (
	coordKindWake   = "wake"
	coordKindFutex  = "futex"
	coordKindBufSem = "bufsem"
)

// Offsets in the shared object of group 8: one word or semaphore written by
// each side, on cache lines of their own (the mutex hand-off lays out its
// own).
const (
	coordPingOff = 0
	coordPongOff = coordLine
	coordSize    = 4 * coordLine
)

func init() {
	coordServes[coordKindWake] = serveShared(func(b *ipcbuf.Buffer) (func(n int) error, error) {
		return wakeAnswer(ipcbufWords{b}), nil
	})
	coordServes[coordKindFutex] = serveShared(func(b *ipcbuf.Buffer) (func(n int) error, error) {
		w, err := newRawWords(b)
		if err != nil {
			return nil, err
		}
		return wakeAnswer(w), nil
	})
	coordServes[coordKindBufSem] = serveShared(bufSemAnswer)
	coordEntries = append(coordEntries,
		coordEntry{coordOrderWake, newWakeContender},
		coordEntry{coordOrderFutex, newRawFutexContender},
		coordEntry{coordOrderBufSem, newBufSemContender},
	)
}

// serveShared adapts an answer set up from the parent's shared object.
func serveShared(answer func(b *ipcbuf.Buffer) (func(n int) error, error)) func() (func(n int) error, error) {
	return func() (func(n int) error, error) {
		b, err := openShared()
		if err != nil {
			return nil, err
		}
		return answer(b) // b stays open until the child exits
	}
}

// newSharedContender creates the shared object, lets setup lay out its
// side, starts the child of kind and returns the contender with trip.
func newSharedContender(cfg *config, name, kind, note string, setup func(b *ipcbuf.Buffer) (func() error, error)) (*coordContender, error) {
	b, err := ipcbuf.CreateShmTemp(fmt.Sprintf("ipcbuf-bench-coord-%d-*", os.Getpid()), coordSize)
	if err != nil {
		return nil, err
	}
	trip, err := setup(b)
	if err != nil {
		b.Remove()
		b.Close()
		return nil, err
	}
	p, err := startPeer(cfg, coordRole, nil, coordEnv+"="+kind, shmEnv+"="+b.Name())
	if rmErr := b.Remove(); err == nil && rmErr != nil {
		p.stop()
		err = rmErr
	}
	if err != nil {
		b.Close()
		return nil, err
	}
	return &coordContender{name: name, note: note, peer: p, trip: trip, close: func() { p.stop(); b.Close() }}, nil
}

// Wait/Wake: each side counts round trips in its own word and wakes the
// other after storing it; the other sleeps while its peer's word still
// holds the old count. The same protocol runs on ipcbuf's methods and on
// bare futex calls.

// wakeWords are the operations of the protocol on the 32-bit words at
// byte offsets of the shared object.
type wakeWords interface {
	store(off int, v uint32) error
	wake(off int) error
	load(off int) (uint32, error)
	wait(off int, v uint32) error // while the word holds v; may return early
}

// ipcbufWords are Buffer's methods.
type ipcbufWords struct{ b *ipcbuf.Buffer }

func (w ipcbufWords) store(off int, v uint32) error { return w.b.StoreUint32(off, v) }
func (w ipcbufWords) wake(off int) error {
	_, err := w.b.Wake(off, 1)
	return err
}
func (w ipcbufWords) load(off int) (uint32, error) { return w.b.LoadUint32(off) }
func (w ipcbufWords) wait(off int, v uint32) error { return w.b.Wait(off, v) }

// rawWords are sync/atomic and the futex system call (FUTEX_WAIT and
// FUTEX_WAKE, shared), made directly with unix.Syscall6 as ipcbuf makes
// it; b must stay open while they are used.
type rawWords struct {
	b     *ipcbuf.Buffer
	words []uint32
}

// The futex operations, without FUTEX_PRIVATE_FLAG: the words are shared
// between processes.
const (
	futexWait = 0 // FUTEX_WAIT
	futexWake = 1 // FUTEX_WAKE
)

func newRawWords(b *ipcbuf.Buffer) (rawWords, error) {
	words, err := ipcbuf.View[uint32](b)
	return rawWords{b, words}, err
}

func (w rawWords) word(off int) *uint32 { return &w.words[off/4] }

func (w rawWords) store(off int, v uint32) error {
	atomic.StoreUint32(w.word(off), v)
	return nil
}

func (w rawWords) wake(off int) error {
	_, _, e := unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(w.word(off))), futexWake, 1, 0, 0, 0)
	if e != 0 {
		return fmt.Errorf("futex wake: %w", e)
	}
	return nil
}

func (w rawWords) load(off int) (uint32, error) { return atomic.LoadUint32(w.word(off)), nil }

func (w rawWords) wait(off int, v uint32) error {
	_, _, e := unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(w.word(off))), futexWait, uintptr(v), 0, 0, 0)
	switch e {
	case 0, unix.EAGAIN, unix.EINTR: // woken, the word changed, a signal: the caller looks again
		return nil
	}
	return fmt.Errorf("futex wait: %w", e)
}

const wakeNote = "two 32-bit words in POSIX shm; a side stores its count, wakes the word, then waits on the other's word " +
	"until it holds the same count"

func newWakeContender(cfg *config) (*coordContender, error) {
	return newSharedContender(cfg, coordWake, coordKindWake,
		wakeNote+": StoreUint32, Wake, LoadUint32 and Wait (the futex, from Go, without cgo)",
		func(b *ipcbuf.Buffer) (func() error, error) { return wakeTrip(ipcbufWords{b}), nil })
}

func newRawFutexContender(cfg *config) (*coordContender, error) {
	return newSharedContender(cfg, coordFutex, coordKindFutex,
		wakeNote+": sync/atomic and futex system calls made directly (unix.Syscall6), the floor for a Go program; "+
			"ipcbuf Wait/Wake adds its checks, its lease on the buffer and the registration that lets Close wake a waiter",
		func(b *ipcbuf.Buffer) (func() error, error) {
			w, err := newRawWords(b)
			if err != nil {
				return nil, err
			}
			return wakeTrip(w), nil
		})
}

// wakeTrip is the parent's side of the protocol.
func wakeTrip(w wakeWords) func() error {
	var i uint32
	return func() error {
		i++
		if err := w.store(coordPingOff, i); err != nil {
			return err
		}
		if err := w.wake(coordPingOff); err != nil {
			return err
		}
		return awaitWord(w, coordPongOff, i)
	}
}

// awaitWord sleeps until the word at off holds want.
func awaitWord(w wakeWords, off int, want uint32) error {
	for {
		v, err := w.load(off)
		if err != nil {
			return err
		}
		if v == want {
			return nil
		}
		if v > want {
			return fmt.Errorf("word at %d is %d, want %d", off, v, want)
		}
		if err := w.wait(off, v); err != nil {
			return err
		}
	}
}

// wakeAnswer is the child's side of the protocol.
func wakeAnswer(w wakeWords) func(n int) error {
	var i uint32
	return func(n int) error {
		for ; n > 0; n-- {
			i++
			if err := awaitWord(w, coordPingOff, i); err != nil {
				return err
			}
			if err := w.store(coordPongOff, i); err != nil {
				return err
			}
			if err := w.wake(coordPongOff); err != nil {
				return err
			}
		}
		return nil
	}
}

// The semaphore in a buffer: ping and pong, as the C program's sem_t.

func newBufSemContender(cfg *config) (*coordContender, error) {
	return newSharedContender(cfg, coordBufSem, coordKindBufSem,
		"two Semaphores in POSIX shm (InitSemaphore): Post one, Wait on the other, as the C program's sem_t",
		func(b *ipcbuf.Buffer) (func() error, error) {
			ping, err := ipcbuf.InitSemaphore(b, coordPingOff, 0)
			if err != nil {
				return nil, err
			}
			pong, err := ipcbuf.InitSemaphore(b, coordPongOff, 0)
			if err != nil {
				return nil, err
			}
			return semTrip(ping, pong), nil
		})
}

// semTrip posts ping and waits on pong.
func semTrip(ping, pong *ipcbuf.Semaphore) func() error {
	return func() error {
		if err := ping.Post(); err != nil {
			return err
		}
		return pong.Wait()
	}
}

// semAnswer waits on ping and posts pong, n times.
func semAnswer(ping, pong *ipcbuf.Semaphore) func(n int) error {
	return func(n int) error {
		for ; n > 0; n-- {
			if err := ping.Wait(); err != nil {
				return err
			}
			if err := pong.Post(); err != nil {
				return err
			}
		}
		return nil
	}
}

func bufSemAnswer(b *ipcbuf.Buffer) (func(n int) error, error) {
	ping, err := ipcbuf.NewSemaphore(b, coordPingOff)
	if err != nil {
		return nil, err
	}
	pong, err := ipcbuf.NewSemaphore(b, coordPongOff)
	if err != nil {
		return nil, err
	}
	return semAnswer(ping, pong), nil
}
