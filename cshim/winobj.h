/*
 * winobj.h: what the ipcbuf command needs to list the named objects of a
 * Windows session, for mingw-w64's gcc.
 *
 * As in win.h, every function wraps exactly one call. The Win32 one
 * returns 0 or its GetLastError() code; the ntdll ones return their
 * NTSTATUS (0 is success), which ipcbuf_nt_error turns into a Win32 code.
 * Results go through out parameters; handles cross as uintptr_t.
 */
#ifndef IPCBUF_WINOBJ_H
#define IPCBUF_WINOBJ_H

#include <stdint.h>
#include <windows.h>

/* The session of process pid (ProcessIdToSessionId). */
unsigned long ipcbuf_session_id(unsigned long pid, unsigned long *session);

/* Opens the object directory at the NT path (NtOpenDirectoryObject), for
   listing; the path is at most 32767 UTF-16 code units (checked by the
   caller: a UNICODE_STRING counts bytes in 16 bits). */
long ipcbuf_open_directory(const wchar_t *path, uintptr_t *dir);

/* Reads one entry of the directory dir (NtQueryDirectoryObject, one entry
   at a time: Wine 8 implements no other way), at *context, into buf of n
   bytes. The name and the type name are given as offsets into buf and
   lengths, in UTF-16 code units. STATUS_NO_MORE_ENTRIES ends the list. */
long ipcbuf_query_directory(uintptr_t dir, void *buf, unsigned long n, int restart, unsigned long *context,
                            unsigned long *name_off, unsigned long *name_len, unsigned long *type_off,
                            unsigned long *type_len);

/* The Win32 error code for an NTSTATUS (RtlNtStatusToDosError). */
unsigned long ipcbuf_nt_error(long status);

#endif
