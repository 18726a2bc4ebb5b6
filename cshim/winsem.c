//go:build cgo && windows

/*
 * winsem.c: Win32 calls for semaphores and mutexes, one per function; see
 * winsem.h for the conventions.
 */
#include "winsem.h"

/* NtQuerySemaphore is not in mingw-w64's headers; its prototype and
   SEMAPHORE_BASIC_INFORMATION (class 0) are those of the Windows DDK. */
typedef struct {
	LONG CurrentCount;
	LONG MaximumCount;
} ipcbuf_semaphore_basic_information;
LONG NTAPI NtQuerySemaphore(HANDLE h, int cls, PVOID info, ULONG len, PULONG retlen);
ULONG NTAPI RtlNtStatusToDosError(LONG status);

/* The access a semaphore opened by name needs: wait, release, query. */
#define IPCBUF_SEMAPHORE_ACCESS (SYNCHRONIZE | SEMAPHORE_MODIFY_STATE | 0x0001 /* SEMAPHORE_QUERY_STATE */)

DWORD ipcbuf_ws_create_semaphore(const wchar_t *name, LONG value, LONG max, uintptr_t *h, DWORD *lasterr)
{
	HANDLE r = CreateSemaphoreW(NULL, value, max, name);
	if (r == NULL)
		return GetLastError();
	*lasterr = GetLastError();
	*h = (uintptr_t)r;
	return 0;
}

DWORD ipcbuf_ws_open_semaphore(const wchar_t *name, uintptr_t *h)
{
	HANDLE r = OpenSemaphoreW(IPCBUF_SEMAPHORE_ACCESS, FALSE, name);
	if (r == NULL)
		return GetLastError();
	*h = (uintptr_t)r;
	return 0;
}

DWORD ipcbuf_ws_release_semaphore(uintptr_t h)
{
	if (!ReleaseSemaphore((HANDLE)h, 1, NULL))
		return GetLastError();
	return 0;
}

LONG ipcbuf_ws_query_semaphore(uintptr_t h, LONG *count)
{
	ipcbuf_semaphore_basic_information info;
	LONG status = NtQuerySemaphore((HANDLE)h, 0, &info, sizeof info, NULL);
	if (status == 0)
		*count = info.CurrentCount;
	return status;
}

DWORD ipcbuf_ws_status_to_error(LONG status)
{
	return RtlNtStatusToDosError(status);
}

DWORD ipcbuf_ws_create_mutex(const wchar_t *name, uintptr_t *h, DWORD *lasterr)
{
	HANDLE r = CreateMutexW(NULL, FALSE, name);
	if (r == NULL)
		return GetLastError();
	*lasterr = GetLastError();
	*h = (uintptr_t)r;
	return 0;
}

DWORD ipcbuf_ws_release_mutex(uintptr_t h)
{
	if (!ReleaseMutex((HANDLE)h))
		return GetLastError();
	return 0;
}

DWORD ipcbuf_ws_create_event(uintptr_t *h)
{
	HANDLE r = CreateEventW(NULL, FALSE, FALSE, NULL);
	if (r == NULL)
		return GetLastError();
	*h = (uintptr_t)r;
	return 0;
}

DWORD ipcbuf_ws_set_event(uintptr_t h)
{
	if (!SetEvent((HANDLE)h))
		return GetLastError();
	return 0;
}

DWORD ipcbuf_ws_wait(uintptr_t h, DWORD ms, DWORD *result)
{
	DWORD r = WaitForSingleObject((HANDLE)h, ms);
	if (r == WAIT_FAILED)
		return GetLastError();
	*result = r;
	return 0;
}

DWORD ipcbuf_ws_wait2(uintptr_t a, uintptr_t b, DWORD ms, DWORD *result)
{
	HANDLE hs[2] = {(HANDLE)a, (HANDLE)b};
	DWORD r = WaitForMultipleObjects(2, hs, FALSE, ms);
	if (r == WAIT_FAILED)
		return GetLastError();
	*result = r;
	return 0;
}

DWORD ipcbuf_ws_close_handle(uintptr_t h)
{
	if (!CloseHandle((HANDLE)h))
		return GetLastError();
	return 0;
}
