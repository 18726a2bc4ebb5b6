//go:build cgo && windows

/*
 * win.c: one Win32 call per function; see win.h for the conventions.
 */
#include "win.h"

unsigned long ipcbuf_create_mapping(uintptr_t file, unsigned long protect, unsigned long long size,
                                    const wchar_t *name, uintptr_t *mapping, int *existed)
{
	/* No security attributes: the object gets the default security of
	   this process's token, which lets in its user, the Administrators
	   and SYSTEM, and no other user. */
	HANDLE h = CreateFileMappingW((HANDLE)file, NULL, protect, (DWORD)(size >> 32), (DWORD)size, name);
	DWORD err = GetLastError();
	if (h == NULL)
		return err;
	*mapping = (uintptr_t)h;
	*existed = err == ERROR_ALREADY_EXISTS;
	return 0;
}

unsigned long ipcbuf_open_mapping(unsigned long access, const wchar_t *name, uintptr_t *mapping)
{
	HANDLE h = OpenFileMappingW(access, FALSE, name);
	if (h == NULL)
		return GetLastError();
	*mapping = (uintptr_t)h;
	return 0;
}

unsigned long ipcbuf_map_view(uintptr_t mapping, unsigned long access, size_t n, void **addr)
{
	*addr = MapViewOfFile((HANDLE)mapping, access, 0, 0, n);
	return *addr == NULL ? GetLastError() : 0;
}

unsigned long ipcbuf_unmap_view(void *addr)
{
	return UnmapViewOfFile(addr) ? 0 : GetLastError();
}

unsigned long ipcbuf_flush_view(void *addr, size_t n)
{
	return FlushViewOfFile(addr, n) ? 0 : GetLastError();
}

unsigned long ipcbuf_query(const void *addr, size_t *size)
{
	MEMORY_BASIC_INFORMATION mi;
	if (VirtualQuery(addr, &mi, sizeof mi) == 0)
		return GetLastError();
	*size = mi.RegionSize;
	return 0;
}

unsigned long ipcbuf_reserve(void *addr, size_t n)
{
	void *got = VirtualAlloc(addr, n, MEM_RESERVE, PAGE_NOACCESS);
	if (got == NULL)
		return GetLastError();
	if (got != addr) { /* cannot happen for an address of 64 KiB granularity */
		VirtualFree(got, 0, MEM_RELEASE);
		return ERROR_INVALID_ADDRESS;
	}
	return 0;
}

unsigned long ipcbuf_release(void *addr)
{
	return VirtualFree(addr, 0, MEM_RELEASE) ? 0 : GetLastError();
}

unsigned long ipcbuf_create_file(const wchar_t *path, unsigned long access, unsigned long disposition,
                                 unsigned long flags, uintptr_t *file, int *existed)
{
	/* Others may read, write and delete the file while it is open, as
	   on Linux: sharing a file is the point. */
	HANDLE h = CreateFileW(path, access, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
	                       disposition, flags, NULL);
	DWORD err = GetLastError();
	if (h == INVALID_HANDLE_VALUE)
		return err;
	*file = (uintptr_t)h;
	*existed = err == ERROR_ALREADY_EXISTS;
	return 0;
}

unsigned long ipcbuf_file_size(uintptr_t file, long long *size)
{
	LARGE_INTEGER n;
	if (!GetFileSizeEx((HANDLE)file, &n))
		return GetLastError();
	*size = n.QuadPart;
	return 0;
}

unsigned long ipcbuf_file_type(uintptr_t file, unsigned long *type)
{
	/* FILE_TYPE_UNKNOWN is also the answer of a failed call. */
	*type = GetFileType((HANDLE)file);
	DWORD err = GetLastError();
	return *type == FILE_TYPE_UNKNOWN && err != NO_ERROR ? err : 0;
}

unsigned long ipcbuf_file_info(uintptr_t file, BY_HANDLE_FILE_INFORMATION *info)
{
	return GetFileInformationByHandle((HANDLE)file, info) ? 0 : GetLastError();
}

unsigned long ipcbuf_flush_file(uintptr_t file)
{
	return FlushFileBuffers((HANDLE)file) ? 0 : GetLastError();
}

unsigned long ipcbuf_set_size(uintptr_t file, long long size)
{
	FILE_END_OF_FILE_INFO info;
	info.EndOfFile.QuadPart = size;
	return SetFileInformationByHandle((HANDLE)file, FileEndOfFileInfo, &info, sizeof info) ? 0 : GetLastError();
}

unsigned long ipcbuf_delete_file(const wchar_t *path)
{
	return DeleteFileW(path) ? 0 : GetLastError();
}

unsigned long ipcbuf_close_handle(uintptr_t h)
{
	return CloseHandle((HANDLE)h) ? 0 : GetLastError();
}
