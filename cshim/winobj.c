//go:build cgo && windows

/*
 * winobj.c: one call per function; see winobj.h for the conventions.
 */
#include "winobj.h"

#include <winternl.h>

/* The ntdll calls and the record NtQueryDirectoryObject writes, which
   mingw's headers do not declare. */
typedef struct {
	UNICODE_STRING Name;
	UNICODE_STRING TypeName;
} ipcbuf_directory_info;

NTSTATUS NTAPI NtOpenDirectoryObject(PHANDLE dir, ACCESS_MASK access, POBJECT_ATTRIBUTES attributes);
NTSTATUS NTAPI NtQueryDirectoryObject(HANDLE dir, PVOID buf, ULONG n, BOOLEAN single, BOOLEAN restart,
                                      PULONG context, PULONG returned);

/* DIRECTORY_QUERY | DIRECTORY_TRAVERSE, from the DDK. */
#define IPCBUF_DIRECTORY_LIST 0x0003

unsigned long ipcbuf_session_id(unsigned long pid, unsigned long *session)
{
	DWORD s;
	if (!ProcessIdToSessionId(pid, &s))
		return GetLastError();
	*session = s;
	return 0;
}

long ipcbuf_open_directory(const wchar_t *path, uintptr_t *dir)
{
	size_t n = wcslen(path) * sizeof(wchar_t);
	UNICODE_STRING name = {(USHORT)n, (USHORT)n, (PWSTR)path};
	OBJECT_ATTRIBUTES attributes;
	HANDLE h;
	NTSTATUS status;
	InitializeObjectAttributes(&attributes, &name, OBJ_CASE_INSENSITIVE, NULL, NULL);
	status = NtOpenDirectoryObject(&h, IPCBUF_DIRECTORY_LIST, &attributes);
	if (status == 0)
		*dir = (uintptr_t)h;
	return status;
}

long ipcbuf_query_directory(uintptr_t dir, void *buf, unsigned long n, int restart, unsigned long *context,
                            unsigned long *name_off, unsigned long *name_len, unsigned long *type_off,
                            unsigned long *type_len)
{
	ULONG ctx = *context, returned = 0;
	const ipcbuf_directory_info *info = buf;
	NTSTATUS status = NtQueryDirectoryObject((HANDLE)dir, buf, n, TRUE, restart != 0, &ctx, &returned);
	if (status != 0)
		return status;
	*context = ctx;
	/* The strings are in buf, after the record: offsets cross into Go,
	   which has no use for pointers into its own memory. */
	*name_len = info->Name.Length / sizeof(wchar_t);
	*name_off = *name_len ? (unsigned long)((const char *)info->Name.Buffer - (const char *)buf) : 0;
	*type_len = info->TypeName.Length / sizeof(wchar_t);
	*type_off = *type_len ? (unsigned long)((const char *)info->TypeName.Buffer - (const char *)buf) : 0;
	return 0;
}

unsigned long ipcbuf_nt_error(long status)
{
	return RtlNtStatusToDosError(status);
}
