/*
 * winsem.h: the Windows layer of ipcbuf's semaphores and mutexes.
 *
 * Every function wraps exactly one Win32 call. It returns 0 on success or
 * the GetLastError() code on failure, and gives its results through out
 * parameters. CreateSemaphoreW and CreateMutexW succeed with a meaningful
 * last error (ERROR_ALREADY_EXISTS when the name existed, with a valid
 * handle to it): their functions return 0 and that code through lasterr.
 * NtQuerySemaphore returns an NTSTATUS rather than setting the last error:
 * its function returns that status (0 on success), which
 * ipcbuf_ws_status_to_error converts.
 *
 * HANDLEs cross into Go as uintptr_t, which Go holds as a uintptr: a
 * handle is a number to Go, not a pointer it may follow.
 */
#ifndef IPCBUF_WINSEM_H
#define IPCBUF_WINSEM_H

#include <stdint.h>
#include <windows.h>

/* Semaphores. */
DWORD ipcbuf_ws_create_semaphore(const wchar_t *name, LONG value, LONG max, uintptr_t *h, DWORD *lasterr);
DWORD ipcbuf_ws_open_semaphore(const wchar_t *name, uintptr_t *h);
/* ReleaseSemaphore by one: ERROR_TOO_MANY_POSTS at the maximum count. */
DWORD ipcbuf_ws_release_semaphore(uintptr_t h);
/* NtQuerySemaphore's current count: returns an NTSTATUS. */
LONG ipcbuf_ws_query_semaphore(uintptr_t h, LONG *count);
/* RtlNtStatusToDosError: the Win32 error code of an NTSTATUS. */
DWORD ipcbuf_ws_status_to_error(LONG status);

/* Mutexes and events. */
DWORD ipcbuf_ws_create_mutex(const wchar_t *name, uintptr_t *h, DWORD *lasterr);
/* ReleaseMutex: only from the thread that owns the mutex. */
DWORD ipcbuf_ws_release_mutex(uintptr_t h);
/* An auto-reset event, unnamed, not signalled. */
DWORD ipcbuf_ws_create_event(uintptr_t *h);
DWORD ipcbuf_ws_set_event(uintptr_t h);

/* Waits: WaitForSingleObject, and WaitForMultipleObjects on two handles
   (any one). result is what the call returned: WAIT_OBJECT_0 (+ index),
   WAIT_ABANDONED (+ index) or WAIT_TIMEOUT. */
DWORD ipcbuf_ws_wait(uintptr_t h, DWORD ms, DWORD *result);
DWORD ipcbuf_ws_wait2(uintptr_t a, uintptr_t b, DWORD ms, DWORD *result);

DWORD ipcbuf_ws_close_handle(uintptr_t h);

#endif
