//go:build !windows

package ipcbuf

import (
	"context"
	"time"
)

// mutexNamedObject says whether Mutex is built on a named object of the
// system (Windows: mutex_windows.go) rather than on the futex. Here it is
// not, so the methods below are never called.
const mutexNamedObject = false

func newNamedMutex(*Buffer, int) (*Mutex, error) { panic("ipcbuf: no named mutexes in this build") }

func (*Mutex) lockNamed(string, context.Context, time.Time, bool) (bool, error) {
	panic("ipcbuf: no named mutexes in this build")
}

func (*Mutex) unlockNamed() error         { panic("ipcbuf: no named mutexes in this build") }
func (*Mutex) markConsistentNamed() error { panic("ipcbuf: no named mutexes in this build") }
func (*Mutex) resetNamed() error          { panic("ipcbuf: no named mutexes in this build") }
