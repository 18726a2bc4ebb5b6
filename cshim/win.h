/*
 * win.h: the Windows C layer of ipcbuf, for mingw-w64's gcc.
 *
 * As in shm.h, every function wraps exactly one Win32 call. Each returns 0
 * on success or the call's GetLastError() code on failure, and gives its
 * results through out parameters. CreateFileMappingW and CreateFileW
 * succeed with a last error that matters (ERROR_ALREADY_EXISTS says the
 * object was there before): their wrappers give it through *existed.
 * Handles cross as uintptr_t, which Go holds as syscall.Handle. No
 * function copies bytes: all access to mapped memory happens in Go.
 */
#ifndef IPCBUF_WIN_H
#define IPCBUF_WIN_H

#include <stdint.h>
#include <windows.h>

/* Sections: a named section backed by the paging file (file ==
   INVALID_HANDLE_VALUE, name set) or a file's mapping (name NULL). */
unsigned long ipcbuf_create_mapping(uintptr_t file, unsigned long protect, unsigned long long size,
                                    const wchar_t *name, uintptr_t *mapping, int *existed);
unsigned long ipcbuf_open_mapping(unsigned long access, const wchar_t *name, uintptr_t *mapping);
unsigned long ipcbuf_map_view(uintptr_t mapping, unsigned long access, size_t n, void **addr);
unsigned long ipcbuf_unmap_view(void *addr);
unsigned long ipcbuf_flush_view(void *addr, size_t n);
unsigned long ipcbuf_query(const void *addr, size_t *size);

/* Reservations: inaccessible address space that holds no memory. */
unsigned long ipcbuf_reserve(void *addr, size_t n);
unsigned long ipcbuf_release(void *addr);

/* Files. */
unsigned long ipcbuf_create_file(const wchar_t *path, unsigned long access, unsigned long disposition,
                                 unsigned long flags, uintptr_t *file, int *existed);
unsigned long ipcbuf_file_size(uintptr_t file, long long *size);
unsigned long ipcbuf_file_type(uintptr_t file, unsigned long *type);
unsigned long ipcbuf_file_info(uintptr_t file, BY_HANDLE_FILE_INFORMATION *info);
unsigned long ipcbuf_flush_file(uintptr_t file);
unsigned long ipcbuf_set_size(uintptr_t file, long long size);
unsigned long ipcbuf_delete_file(const wchar_t *path);
unsigned long ipcbuf_close_handle(uintptr_t h);

#endif
