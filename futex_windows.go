package ipcbuf

import (
	"errors"
	"fmt"
	"time"
)

// Windows has no futex that processes share: WaitOnAddress, its nearest
// kin, wakes only threads of the same process, so a Post or an Unlock in
// one process could never wake a waiter in another. Buffer.Wait and Wake,
// the semaphores in a buffer (NewSemaphore, InitSemaphore) and the Ring,
// which are built on waiting on a word, are therefore unsupported on
// Windows, even within one process, so that a program finds out at once
// rather than when a second process joins. The Mutex (mutex_windows.go)
// and the named semaphores (semaphore_windows.go) use Windows's own named
// objects instead.

const haveFutex = false

var errNoFutex = fmt.Errorf("ipcbuf: waiting on a word of shared memory (Buffer.Wait and Wake, NewSemaphore and InitSemaphore, the Ring) needs a futex that processes share, and Windows has none (WaitOnAddress wakes only threads of the same process): %w", errors.ErrUnsupported)

func futexWaitOnce(addr *uint32, val uint32, d time.Duration) error { return errNoFutex }

func futexWakeN(addr *uint32, n int) (int, error) { return 0, errNoFutex }
