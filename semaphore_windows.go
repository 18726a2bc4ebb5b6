//go:build cgo && windows && !ipcbuf_noposix

package ipcbuf

// Named semaphores on Windows: "*name" is the Win32 semaphore
// Local\sem.name (CreateSemaphoreW, OpenSemaphoreW). The "sem." keeps it
// apart from the section "*name" (Local\name), as glibc's /dev/shm/sem.name
// keeps a POSIX semaphore apart from the shared memory object of the same
// name: Windows kernel objects share one namespace, and a name taken by an
// object of another type cannot be opened as a semaphore
// (ERROR_INVALID_HANDLE).
//
// What differs from POSIX, as OpenSemaphore and RemoveSemaphore say:
//   - A new semaphore gets the default security of the creating process's
//     token, which lets its user, SYSTEM and the administrators open it,
//     and no other user: a Mode that lets others in is unsupported, as for
//     sections.
//   - With the Global option the name is Global\sem.name, which every
//     session sees (making a semaphore there needs no privilege).
//   - A Windows object has no name to remove: it lives while any process
//     has a handle to it, and goes with the last CloseHandle. Remove and
//     RemoveSemaphore check that the semaphore exists (fs.ErrNotExist if
//     not) and do nothing else.
//   - The semaphore lives while a process has it open, not until a
//     reboot: once every process has closed it, its name and count are
//     gone, and the next OpenSemaphore creates it anew with its value.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"time"

	"github.com/ipcbuf/ipcbuf/cshim"
)

// Win32 error codes that the semaphores meet, besides those syscall names.
const (
	errorInvalidHandle   = syscall.Errno(6)   // ERROR_INVALID_HANDLE: a name of another type
	errorTooManyPosts    = syscall.Errno(298) // ERROR_TOO_MANY_POSTS: the count is at its maximum
	semWindowsNamePrefix = `Local\sem.`
)

// winSem is a Win32 named semaphore. h is valid until close, which the
// guard holds back until no call uses it.
type winSem struct {
	g     semGuard
	h     syscall.Handle
	name  string // as in "*name"
	wname string // its Win32 name
}

// semWindowsName returns the Win32 name of the semaphore "*name", in
// Global\ or Local\, or an error if name cannot be one.
func semWindowsName(name string, global bool) (string, error) {
	if strings.IndexByte(name, '\\') >= 0 {
		return "", invalid("semaphore name %q contains '\\', which Windows does not allow in the name of a kernel object", name)
	}
	if global {
		return `Global\sem.` + name, nil
	}
	return semWindowsNamePrefix + name, nil
}

// notASemaphoreWin explains ERROR_INVALID_HANDLE from a create or open by
// name: the name belongs to another type of object.
func notASemaphoreWin(wname string, err error) error {
	if err == errorInvalidHandle {
		return fmt.Errorf("%s is a Windows object of another type (a section, a mutex, an event...), not a semaphore: %w", wname, err)
	}
	return err
}

func openPOSIXSem(name string, value int, o options) (semImpl, error) {
	wname, err := semWindowsName(name, o.global)
	if err != nil {
		return nil, err
	}
	if o.mode&0o077 != 0 {
		return nil, fmt.Errorf("Mode %#o lets other users in, and on Windows ipcbuf does not translate modes into security descriptors yet: a new semaphore gets this process's default security (its user, the Administrators and SYSTEM); leave Mode out or use 0600: %w", uint32(o.mode), errors.ErrUnsupported)
	}
	var h syscall.Handle
	if o.openOnly {
		h, err = cshim.WinSemOpen(wname)
	} else {
		var existed bool
		h, existed, err = cshim.WinSemCreate(wname, int32(value), semValueMaxPOSIX)
		if err == nil && existed && o.exclusive {
			// CreateSemaphoreW opened the existing one: let it go.
			_ = cshim.WinCloseHandle(h)
			return nil, cshim.ErrorAlreadyExists
		}
	}
	if err != nil {
		return nil, notASemaphoreWin(wname, err)
	}
	return &winSem{h: h, name: name, wname: wname}, nil
}

// removePOSIXSem is RemoveSemaphore on Windows, where a named object has
// no name to remove: it checks that the semaphore exists in Local\, and
// that is all.
func removePOSIXSem(name string) error {
	wname, err := semWindowsName(name, false)
	if err != nil {
		return err
	}
	return checkWinSem(wname)
}

// checkWinSem returns nil if the semaphore wname exists.
func checkWinSem(wname string) error {
	h, err := cshim.WinSemOpen(wname)
	if err != nil {
		return notASemaphoreWin(wname, err)
	}
	return cshim.WinCloseHandle(h)
}

func (s *winSem) post() error {
	if err := s.g.enter(); err != nil {
		return err
	}
	defer s.g.leave()
	err := cshim.WinSemRelease(s.h)
	if err == errorTooManyPosts {
		// The error POSIX gives (EOVERFLOW), with Windows's own.
		err = semFull(semValueMaxPOSIX, fmt.Errorf("%w (%w)", syscall.EOVERFLOW, err))
	}
	return err
}

func (s *winSem) tryWait() (bool, error) {
	if err := s.g.enter(); err != nil {
		return false, err
	}
	defer s.g.leave()
	return s.waitLocked(0)
}

// waitLocked waits up to ms for a unit (0: just tries); the guard must be
// held.
func (s *winSem) waitLocked(ms uint32) (bool, error) {
	r, err := cshim.WinWait(s.h, ms)
	switch {
	case err != nil:
		return false, err
	case r == cshim.WaitObject0:
		return true, nil
	case r == cshim.WaitTimeout:
		return false, nil
	}
	return false, fmt.Errorf("WaitForSingleObject on a semaphore returned %#x", r)
}

func (s *winSem) wait(ctx context.Context, deadline time.Time) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		slice, ok := semSlice(deadline)
		got, err := s.waitSlice(slice, ok)
		if got || err != nil {
			return err
		}
		if !ok {
			return ErrTimeout
		}
	}
}

// waitSlice tries to take a unit, waiting for up to d if block is set.
func (s *winSem) waitSlice(d time.Duration, block bool) (bool, error) {
	if err := s.g.enter(); err != nil {
		return false, err
	}
	defer s.g.leave()
	ms := uint32(0)
	if block {
		ms = uint32((d + time.Millisecond - 1) / time.Millisecond) // rounded up: never a busy loop of 0 ms waits
	}
	return s.waitLocked(ms)
}

func (s *winSem) value() (int, error) {
	if err := s.g.enter(); err != nil {
		return 0, err
	}
	defer s.g.leave()
	v, err := cshim.WinSemQuery(s.h)
	if err != nil {
		return 0, fmt.Errorf("NtQuerySemaphore: %w", err)
	}
	return v, nil
}

func (s *winSem) close() error {
	return s.g.shut(func() error { return cshim.WinCloseHandle(s.h) })
}

func (s *winSem) remove() error { return checkWinSem(s.wname) }
