//go:build !linux && !windows

package ipcbuf

import (
	"errors"
	"fmt"
	"runtime"
	"time"
)

const haveFutex = false

var errNoFutex = fmt.Errorf("ipcbuf: waiting on a word in shared memory needs Linux's futex, and this is %s: %w", runtime.GOOS, errors.ErrUnsupported)

func futexWaitOnce(addr *uint32, val uint32, d time.Duration) error { return errNoFutex }

func futexWakeN(addr *uint32, n int) (int, error) { return 0, errNoFutex }
