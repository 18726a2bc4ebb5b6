//go:build cgo && windows

package cshim

// #cgo CFLAGS: -std=gnu11 -Wall -Wextra -Werror
// #cgo LDFLAGS: -lntdll
// #include "winsem.h"
import "C"

import (
	"syscall"
)

// The results of a wait (WinWait, WinWait2), as WaitForSingleObject and
// WaitForMultipleObjects give them.
const (
	WaitObject0   = C.WAIT_OBJECT_0
	WaitAbandoned = C.WAIT_ABANDONED
	WaitTimeout   = C.WAIT_TIMEOUT
)

// ErrorAlreadyExists is the last error of a create call that opened an
// existing object (ERROR_ALREADY_EXISTS).
const ErrorAlreadyExists = syscall.Errno(C.ERROR_ALREADY_EXISTS)

// WinSemCreate creates the named semaphore name with value and max
// (CreateSemaphoreW), or opens it if it exists: then existed is true and
// the handle is to the existing semaphore, whose value and max stay.
func WinSemCreate(name string, value, max int32) (h syscall.Handle, existed bool, err error) {
	p, err := utf16(name)
	if err != nil {
		return 0, false, err
	}
	var ch C.uintptr_t
	var last C.DWORD
	if err := winErr(C.ipcbuf_ws_create_semaphore(p, C.LONG(value), C.LONG(max), &ch, &last)); err != nil {
		return 0, false, err
	}
	return syscall.Handle(ch), syscall.Errno(last) == ErrorAlreadyExists, nil
}

// WinSemOpen opens the existing named semaphore name (OpenSemaphoreW) for
// waiting, releasing and querying.
func WinSemOpen(name string) (syscall.Handle, error) {
	p, err := utf16(name)
	if err != nil {
		return 0, err
	}
	var ch C.uintptr_t
	if err := winErr(C.ipcbuf_ws_open_semaphore(p, &ch)); err != nil {
		return 0, err
	}
	return syscall.Handle(ch), nil
}

// WinSemRelease adds one to semaphore h (ReleaseSemaphore), waking a
// waiter; ERROR_TOO_MANY_POSTS at its maximum count.
func WinSemRelease(h syscall.Handle) error {
	return winErr(C.ipcbuf_ws_release_semaphore(C.uintptr_t(h)))
}

// WinSemQuery returns semaphore h's count (NtQuerySemaphore). A failure
// is the Win32 error of its NTSTATUS (RtlNtStatusToDosError).
func WinSemQuery(h syscall.Handle) (int, error) {
	var count C.LONG
	if status := C.ipcbuf_ws_query_semaphore(C.uintptr_t(h), &count); status != 0 {
		return 0, syscall.Errno(C.ipcbuf_ws_status_to_error(status))
	}
	return int(count), nil
}

// WinMutexCreate creates the named mutex name, not owned (CreateMutexW),
// or opens it if it exists.
func WinMutexCreate(name string) (h syscall.Handle, existed bool, err error) {
	p, err := utf16(name)
	if err != nil {
		return 0, false, err
	}
	var ch C.uintptr_t
	var last C.DWORD
	if err := winErr(C.ipcbuf_ws_create_mutex(p, &ch, &last)); err != nil {
		return 0, false, err
	}
	return syscall.Handle(ch), syscall.Errno(last) == ErrorAlreadyExists, nil
}

// WinMutexRelease releases mutex h (ReleaseMutex). Only the thread that
// owns it may: from another, ERROR_NOT_OWNER.
func WinMutexRelease(h syscall.Handle) error {
	return winErr(C.ipcbuf_ws_release_mutex(C.uintptr_t(h)))
}

// WinEventCreate creates an unnamed auto-reset event, not signalled.
func WinEventCreate() (syscall.Handle, error) {
	var ch C.uintptr_t
	if err := winErr(C.ipcbuf_ws_create_event(&ch)); err != nil {
		return 0, err
	}
	return syscall.Handle(ch), nil
}

// WinEventSet signals event h (SetEvent).
func WinEventSet(h syscall.Handle) error {
	return winErr(C.ipcbuf_ws_set_event(C.uintptr_t(h)))
}

// WinWait waits up to ms milliseconds for h (WaitForSingleObject) and
// returns WaitObject0, WaitAbandoned or WaitTimeout. It holds its OS
// thread while it blocks.
func WinWait(h syscall.Handle, ms uint32) (uint32, error) {
	var r C.DWORD
	if err := winErr(C.ipcbuf_ws_wait(C.uintptr_t(h), C.DWORD(ms), &r)); err != nil {
		return 0, err
	}
	return uint32(r), nil
}

// WinWait2 waits up to ms milliseconds for a or b, whichever comes first
// (WaitForMultipleObjects), and returns WaitObject0 or WaitAbandoned plus
// the index of the handle (0 for a, 1 for b), or WaitTimeout.
func WinWait2(a, b syscall.Handle, ms uint32) (uint32, error) {
	var r C.DWORD
	if err := winErr(C.ipcbuf_ws_wait2(C.uintptr_t(a), C.uintptr_t(b), C.DWORD(ms), &r)); err != nil {
		return 0, err
	}
	return uint32(r), nil
}

// WinCloseHandle closes h (CloseHandle).
func WinCloseHandle(h syscall.Handle) error {
	return winErr(C.ipcbuf_ws_close_handle(C.uintptr_t(h)))
}
