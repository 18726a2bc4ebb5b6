//go:build cgo && windows

package cshim

// #cgo CFLAGS: -std=gnu11 -Wall -Wextra -Werror
// #include "win.h"
import "C"

import (
	"syscall"
	"unsafe"
)

// The Win32 constants the Windows backend passes through this package.
const (
	PageReadonly  = C.PAGE_READONLY
	PageReadwrite = C.PAGE_READWRITE

	FileMapRead  = C.FILE_MAP_READ
	FileMapWrite = C.FILE_MAP_WRITE

	GenericRead  = C.GENERIC_READ
	GenericWrite = C.GENERIC_WRITE

	CreateNew    = C.CREATE_NEW
	OpenExisting = C.OPEN_EXISTING
	OpenAlways   = C.OPEN_ALWAYS

	FileAttributeNormal       = C.FILE_ATTRIBUTE_NORMAL
	FileAttributeDirectory    = C.FILE_ATTRIBUTE_DIRECTORY
	FileAttributeReparsePoint = C.FILE_ATTRIBUTE_REPARSE_POINT
	FileFlagOpenReparsePoint  = C.FILE_FLAG_OPEN_REPARSE_POINT
	// FileFlagBackupSemantics lets CreateFile open a directory, to see
	// that it is one.
	FileFlagBackupSemantics = C.FILE_FLAG_BACKUP_SEMANTICS

	FileTypeDisk = C.FILE_TYPE_DISK
)

// InvalidHandle is INVALID_HANDLE_VALUE: as the file of CreateMapping, it
// asks for a section backed by the paging file.
const InvalidHandle = ^syscall.Handle(0)

// winErr turns a wrapper's return value into an error: nil for 0, else the
// Win32 error code as a syscall.Errno, which matches fs.ErrNotExist,
// fs.ErrExist and fs.ErrPermission as Go's own Windows calls do.
func winErr(code C.ulong) error {
	if code == 0 {
		return nil
	}
	return syscall.Errno(code)
}

// utf16 converts s to a NUL-terminated UTF-16 string for the wide Win32
// calls; a NUL inside s is refused, as it would shorten the name.
func utf16(s string) (*C.wchar_t, error) {
	p, err := syscall.UTF16PtrFromString(s)
	if err != nil {
		return nil, syscall.EINVAL
	}
	return (*C.wchar_t)(unsafe.Pointer(p)), nil
}

// optUTF16 is utf16, with "" as NULL (an unnamed object).
func optUTF16(s string) (*C.wchar_t, error) {
	if s == "" {
		return nil, nil
	}
	return utf16(s)
}

// CreateMapping creates, or opens if it exists, the section name (""
// for an unnamed one) of size bytes over file (InvalidHandle: the paging
// file), with page protection protect (CreateFileMappingW). existed says
// that the name was taken: the handle is then the existing section's, and
// size was not applied.
func CreateMapping(file syscall.Handle, protect uint32, size uint64, name string) (h syscall.Handle, existed bool, err error) {
	p, err := optUTF16(name)
	if err != nil {
		return 0, false, err
	}
	var out C.uintptr_t
	var ex C.int
	if err := winErr(C.ipcbuf_create_mapping(C.uintptr_t(file), C.ulong(protect), C.ulonglong(size), p, &out, &ex)); err != nil {
		return 0, false, err
	}
	return syscall.Handle(out), ex != 0, nil
}

// OpenMapping opens the existing section name with access (FILE_MAP_READ,
// FILE_MAP_WRITE) (OpenFileMappingW); the handle is not inherited.
func OpenMapping(access uint32, name string) (syscall.Handle, error) {
	p, err := utf16(name)
	if err != nil {
		return 0, err
	}
	var out C.uintptr_t
	if err := winErr(C.ipcbuf_open_mapping(C.ulong(access), p, &out)); err != nil {
		return 0, err
	}
	return syscall.Handle(out), nil
}

// MapView maps n bytes (0: all) from the start of the section h with access
// (MapViewOfFile).
func MapView(h syscall.Handle, access uint32, n int) (unsafe.Pointer, error) {
	var addr unsafe.Pointer
	if err := winErr(C.ipcbuf_map_view(C.uintptr_t(h), C.ulong(access), C.size_t(n), &addr)); err != nil {
		return nil, err
	}
	return addr, nil
}

// UnmapView unmaps the view at addr (UnmapViewOfFile).
func UnmapView(addr unsafe.Pointer) error { return winErr(C.ipcbuf_unmap_view(addr)) }

// FlushView starts writing the n bytes of the view at addr back to their
// file (FlushViewOfFile); FlushFile waits for them to reach the disk.
func FlushView(addr unsafe.Pointer, n int) error {
	return winErr(C.ipcbuf_flush_view(addr, C.size_t(n)))
}

// QuerySize returns the size of the run of pages of like state that starts
// at addr (VirtualQuery): for a view mapped whole, the section's size
// rounded up to whole pages.
func QuerySize(addr unsafe.Pointer) (int, error) {
	var n C.size_t
	if err := winErr(C.ipcbuf_query(addr, &n)); err != nil {
		return 0, err
	}
	return int(n), nil
}

// Reserve reserves the n bytes at addr, inaccessible and holding no
// memory (VirtualAlloc with MEM_RESERVE and PAGE_NOACCESS), exactly there
// or not at all.
func Reserve(addr unsafe.Pointer, n int) error { return winErr(C.ipcbuf_reserve(addr, C.size_t(n))) }

// Release gives back a reservation that Reserve made (VirtualFree).
func Release(addr unsafe.Pointer) error { return winErr(C.ipcbuf_release(addr)) }

// CreateFile opens or creates the file at path (CreateFileW) with access
// (GENERIC_READ, GENERIC_WRITE), disposition (CREATE_NEW, OPEN_EXISTING,
// OPEN_ALWAYS) and flags, sharing reading, writing and deletion with
// others. existed says that OPEN_ALWAYS found the file there.
func CreateFile(path string, access, disposition, flags uint32) (h syscall.Handle, existed bool, err error) {
	p, err := utf16(path)
	if err != nil {
		return 0, false, err
	}
	var out C.uintptr_t
	var ex C.int
	if err := winErr(C.ipcbuf_create_file(p, C.ulong(access), C.ulong(disposition), C.ulong(flags), &out, &ex)); err != nil {
		return 0, false, err
	}
	return syscall.Handle(out), ex != 0, nil
}

// FileSize returns the size of the file h (GetFileSizeEx).
func FileSize(h syscall.Handle) (int64, error) {
	var n C.longlong
	if err := winErr(C.ipcbuf_file_size(C.uintptr_t(h), &n)); err != nil {
		return 0, err
	}
	return int64(n), nil
}

// FileType returns the type of the file h (GetFileType): FileTypeDisk for
// a file on a disk, others for pipes and character devices.
func FileType(h syscall.Handle) (uint32, error) {
	var t C.ulong
	if err := winErr(C.ipcbuf_file_type(C.uintptr_t(h), &t)); err != nil {
		return 0, err
	}
	return uint32(t), nil
}

// FileInfo is what GetFileInformationByHandle says of a file that ipcbuf
// uses: its attributes, and its identity (volume and file index).
type FileInfo struct {
	Attributes uint32
	Volume     uint32
	Index      uint64
	Links      uint32
}

// GetFileInfo returns the FileInfo of the file h.
func GetFileInfo(h syscall.Handle) (FileInfo, error) {
	var fi C.BY_HANDLE_FILE_INFORMATION
	if err := winErr(C.ipcbuf_file_info(C.uintptr_t(h), &fi)); err != nil {
		return FileInfo{}, err
	}
	return FileInfo{
		Attributes: uint32(fi.dwFileAttributes),
		Volume:     uint32(fi.dwVolumeSerialNumber),
		Index:      uint64(fi.nFileIndexHigh)<<32 | uint64(fi.nFileIndexLow),
		Links:      uint32(fi.nNumberOfLinks),
	}, nil
}

// FlushFile waits until everything written to the file h is on its disk
// (FlushFileBuffers); h must be open for writing.
func FlushFile(h syscall.Handle) error {
	return winErr(C.ipcbuf_flush_file(C.uintptr_t(h)))
}

// SetFileSize sets the size of the file h, which must be open for writing
// and not mapped (SetFileInformationByHandle, FileEndOfFileInfo).
func SetFileSize(h syscall.Handle, size int64) error {
	return winErr(C.ipcbuf_set_size(C.uintptr_t(h), C.longlong(size)))
}

// DeleteFile deletes the file at path (DeleteFileW): at once, or, while
// others have it open with delete sharing, when the last handle closes.
func DeleteFile(path string) error {
	p, err := utf16(path)
	if err != nil {
		return err
	}
	return winErr(C.ipcbuf_delete_file(p))
}

// CloseHandle closes h.
func CloseHandle(h syscall.Handle) error {
	return winErr(C.ipcbuf_close_handle(C.uintptr_t(h)))
}
