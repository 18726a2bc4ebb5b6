//go:build cgo && windows

package ipcbuf

// The Windows backend. A "*name" target is a named section backed by the
// paging file (Local\name, or Global\name with the Global option); a path
// is a file mapping. The exported API is in backend.go; the C calls are in
// cshim/win.c. Where Windows differs from Linux, the doc comments below
// say what ipcbuf does about it; the README's table of kinds sums it up.

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"unsafe"

	"github.com/ipcbuf/ipcbuf/cshim"
)

const havePOSIX = true

// sectionName is the kernel object name of the section "*name".
func sectionName(name string, o options) string {
	if o.global {
		return `Global\` + name
	}
	return `Local\` + name
}

// checkWindowsOptions refuses what Windows cannot do as asked, before
// anything is created.
func checkWindowsOptions(o options) error {
	switch {
	case o.hugePages:
		return fmt.Errorf("HugePages on Windows would need large pages (SEC_LARGE_PAGES and the SeLockMemoryPrivilege), which ipcbuf does not support yet: %w", errors.ErrUnsupported)
	case o.mode&0o077 != 0:
		return fmt.Errorf("Mode %#o lets other users in, and on Windows ipcbuf does not translate modes into security descriptors yet: a new object gets this process's default security (its user, the Administrators and SYSTEM); leave Mode out or use 0600: %w", uint32(o.mode), errors.ErrUnsupported)
	}
	return nil
}

// openShm opens the named section for "*name": CreateFileMappingW on the
// paging file when the options allow creating, OpenFileMappingW otherwise.
//
// A section's size is fixed when it is made: asking an existing one for
// more bytes than it has is an error (it cannot grow), and size 0 maps it
// whole. Windows does not keep a section's exact size: an opener measures
// the view (VirtualQuery), which runs to the end of the last page, so a
// section made with 100000 bytes opens at size 0 as 102400, the extra bytes
// zero. CreateFileMappingW on a taken name returns the existing section's
// handle with ERROR_ALREADY_EXISTS: Exclusive closes it and fails with
// fs.ErrExist; otherwise that handle is the open.
func openShm(name string, size int, o options) (*Buffer, error) {
	target := "*" + name
	fail := func(err error) (*Buffer, error) {
		if err == errInvalidHandle {
			// Kernel objects of every type share one namespace.
			err = &notRegularError{what: "the name belongs to a kernel object that is not a section (a semaphore, a mutex, an event...)", err: err}
		}
		return nil, &fs.PathError{Op: "open", Path: target, Err: err}
	}
	if strings.IndexByte(name, '\\') >= 0 {
		return fail(invalid("section name %q contains '\\', which separates kernel namespaces on Windows", name))
	}
	if err := checkWindowsOptions(o); err != nil {
		return fail(err)
	}
	obj := sectionName(name, o)
	access := uint32(cshim.FileMapRead | cshim.FileMapWrite)
	if o.readOnly {
		access = cshim.FileMapRead
	}
	var h syscall.Handle
	created := false
	if o.mayCreate(size) {
		var existed bool
		var err error
		h, existed, err = cshim.CreateMapping(cshim.InvalidHandle, cshim.PageReadwrite, uint64(size), obj)
		if err != nil {
			return fail(err)
		}
		if existed && o.exclusive {
			_ = cshim.CloseHandle(h)
			return fail(syscall.ERROR_ALREADY_EXISTS)
		}
		created = !existed
	} else {
		var err error
		if h, err = cshim.OpenMapping(access, obj); err != nil {
			if errors.Is(err, fs.ErrNotExist) && size == 0 && !o.openOnly {
				err = fmt.Errorf("size 0 opens an existing section, and there is none: %w", err)
			}
			return fail(err)
		}
	}
	viewSize := 0 // an existing section: map it whole to learn its size
	if created {
		viewSize = size
	}
	addr, err := cshim.MapView(h, access, viewSize)
	if err != nil {
		_ = cshim.CloseHandle(h)
		return fail(err)
	}
	have := size
	if !created {
		if have, err = cshim.QuerySize(addr); err != nil {
			_ = cshim.UnmapView(addr)
			_ = cshim.CloseHandle(h)
			return fail(err)
		}
	}
	kind := mappedWritable
	if o.readOnly {
		kind = mappedReadOnly
	}
	r := newRegion(addr, have, kind, sectionObject{name: name, obj: obj})
	r.sys.section = h // see regionSys
	if size > have {
		_ = r.unmap()
		return fail(invalid("the section is %d bytes and cannot grow to %d: a named section's size is fixed when it is made", have, size))
	}
	n := size
	if n == 0 {
		n = have
	}
	if o.populate {
		touchPages(addr, n)
	}
	return newMapped(KindPOSIX, target, r, n, o.readOnly), nil
}

// touchPages faults in every page of the n bytes at addr by reading a byte
// of each: Populate on Windows, which has no madvise.
func touchPages(addr unsafe.Pointer, n int) {
	mem := unsafe.Slice((*byte)(addr), n)
	var sum byte
	for i := 0; i < n; i += 4096 {
		sum += mem[i]
	}
	populateSink = sum
}

// populateSink keeps touchPages's reads from being optimised away.
var populateSink byte

// sectionObject is a named section as a region's namedObject.
type sectionObject struct {
	name string // as given, without '*'
	obj  string // the kernel object name: Local\name or Global\name
}

// remove is Buffer.Remove for a section: see removeShm.
func (s sectionObject) remove(bool) error { return removeSection("*"+s.name, s.obj) }

// removeShm is RemoveShm on Windows. A named section has no name to
// unlink: it lives while any process holds a handle or a view of it, and
// goes with the last, name and all. So removeShm checks that the section
// exists (an error matching fs.ErrNotExist if not) and removes nothing; the
// name is free once every process has closed it. Global\ sections are not
// looked for.
func removeShm(name string) error {
	if strings.IndexByte(name, '\\') >= 0 {
		return &fs.PathError{Op: "remove", Path: "*" + name, Err: invalid("section name %q contains '\\'", name)}
	}
	return removeSection("*"+name, sectionName(name, options{}))
}

func removeSection(target, obj string) error {
	h, err := cshim.OpenMapping(cshim.FileMapRead, obj)
	if err != nil {
		return &fs.PathError{Op: "remove", Path: target, Err: err}
	}
	return cshim.CloseHandle(h)
}

// openFile maps the file at path: CreateFileW, then a section over the
// file (CreateFileMappingW), which grows the file when it asks for more
// than the file has, and a view of it. A file is never shrunk. While it is
// mapped, Windows refuses to truncate it (ERROR_USER_MAPPED_FILE), so the
// faults that the Linux backend guards against cannot happen here.
func openFile(path string, size int, o options) (*Buffer, error) {
	fail := func(err error) (*Buffer, error) {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	if err := checkWindowsOptions(o); err != nil {
		return fail(err)
	}
	access := uint32(cshim.GenericRead | cshim.GenericWrite)
	if o.readOnly {
		access = cshim.GenericRead
	}
	disposition := uint32(cshim.OpenExisting)
	switch {
	case o.exclusive:
		disposition = cshim.CreateNew
	case o.mayCreate(size):
		disposition = cshim.OpenAlways
	}
	flags := uint32(cshim.FileAttributeNormal)
	if o.noFollow {
		flags |= cshim.FileFlagOpenReparsePoint
	}
	f, existed, err := cshim.CreateFile(path, access, disposition, flags)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && size == 0 && !o.openOnly {
			err = fmt.Errorf("size 0 opens an existing file, and there is none: %w", err)
		}
		if err == syscall.ERROR_ACCESS_DENIED {
			if fi, serr := os.Stat(path); serr == nil && fi.IsDir() {
				err = &notRegularError{what: "it is a directory", err: err}
			}
		}
		return fail(err)
	}
	created := disposition == cshim.CreateNew || disposition == cshim.OpenAlways && !existed
	b, err := mapFile(path, f, created, size, o)
	if err != nil {
		_ = cshim.CloseHandle(f)
		if created {
			_ = cshim.DeleteFile(path)
		}
		return fail(err)
	}
	return b, nil
}

// mapFile maps the file open at f, which this call created if created.
// On success the file's handle belongs to the region (for FlushFileBuffers);
// on failure the caller closes it.
func mapFile(path string, f syscall.Handle, created bool, size int, o options) (*Buffer, error) {
	info, err := checkDiskFile(f, o)
	if err != nil {
		return nil, err
	}
	have, err := cshim.FileSize(f)
	if err != nil {
		return nil, err
	}
	n := int64(size)
	if size == 0 {
		switch {
		case have == 0:
			return nil, invalid("the file is empty (0 bytes): size 0 maps a file at the size it has, and this one has none")
		case have > maxSize:
			return nil, invalid("the file's %d bytes are more than this process can map", have)
		}
		n = have
	}
	if n > have && o.readOnly {
		return nil, invalid("the file is %d bytes: a read-only buffer cannot grow it to %d", have, n)
	}
	protect, access := uint32(cshim.PageReadwrite), uint32(cshim.FileMapRead|cshim.FileMapWrite)
	kind := mappedWritable
	if o.readOnly {
		protect, access, kind = cshim.PageReadonly, cshim.FileMapRead, mappedReadOnly
	}
	id := fileObject{path: path, volume: info.Volume, index: info.Index}
	// n > 0 here: size 0 took the file's size, and an empty file was
	// refused. A section over the file at n bytes: when n is more than the
	// file has, this grows the file to n (the new bytes are zero).
	h, _, err := cshim.CreateMapping(f, protect, uint64(n), "")
	if err != nil {
		return nil, err
	}
	addr, err := cshim.MapView(h, access, int(n))
	if err != nil {
		// Out of address space: give the file back the size it had.
		_ = cshim.CloseHandle(h)
		if n > have {
			_ = cshim.SetFileSize(f, have)
		}
		return nil, err
	}
	r := newRegion(addr, int(n), kind, id)
	r.sys.section = h
	if !o.readOnly {
		r.sys.file = f // for FlushFileBuffers; closed with the region
	} else {
		_ = cshim.CloseHandle(f)
	}
	if o.populate {
		touchPages(addr, int(n))
	}
	return newMapped(KindFile, path, r, int(n), o.readOnly), nil
}

// checkDiskFile refuses what is not a regular file on a disk: a pipe or a
// device (GetFileType), a directory, or, with NoFollow, a symbolic link or
// other reparse point (opened as itself by FILE_FLAG_OPEN_REPARSE_POINT).
func checkDiskFile(f syscall.Handle, o options) (cshim.FileInfo, error) {
	t, err := cshim.FileType(f)
	if err != nil {
		return cshim.FileInfo{}, err
	}
	if t != cshim.FileTypeDisk {
		return cshim.FileInfo{}, &notRegularError{what: "it is a pipe or a device"}
	}
	info, err := cshim.GetFileInfo(f)
	switch {
	case err != nil:
	case info.Attributes&cshim.FileAttributeDirectory != 0:
		err = &notRegularError{what: "it is a directory"}
	case o.noFollow && info.Attributes&cshim.FileAttributeReparsePoint != 0:
		err = &notRegularError{what: "it is a symbolic link or another reparse point, and NoFollow refuses to follow it", err: syscall.ELOOP}
	}
	return info, err
}

// fileObject is a mapped file as a region's namedObject: its path and its
// identity (volume serial number and file index), which Remove checks.
type fileObject struct {
	path   string
	volume uint32
	index  uint64
}

// remove deletes the file if the path still names the file that was
// opened.
func (id fileObject) remove(bool) error {
	err := deleteIf(id.path, func(info cshim.FileInfo) error {
		if info.Volume != id.volume || info.Index != id.index {
			return errNotTheObject("the name now refers to another file")
		}
		return nil
	})
	if err != nil {
		return &fs.PathError{Op: "remove", Path: id.path, Err: err}
	}
	return nil
}

// removeFile is Remove for a path: it deletes path if it is a regular
// file, never a directory, a symbolic link or a device.
func removeFile(path string) error {
	if err := deleteIf(path, func(cshim.FileInfo) error { return nil }); err != nil {
		return &fs.PathError{Op: "remove", Path: path, Err: err}
	}
	return nil
}

// deleteIf opens path as itself (not following a link), checks that it is a
// regular disk file and passes check, and deletes it (DeleteFileW). A file
// that others have open with delete sharing is deleted when the last of
// them closes it; one that a process has mapped is refused by Windows.
func deleteIf(path string, check func(cshim.FileInfo) error) error {
	f, _, err := cshim.CreateFile(path, 0, cshim.OpenExisting, cshim.FileFlagOpenReparsePoint|cshim.FileFlagBackupSemantics)
	if err != nil {
		return err
	}
	info, err := cshim.GetFileInfo(f)
	var t uint32
	if err == nil {
		t, err = cshim.FileType(f)
	}
	_ = cshim.CloseHandle(f)
	switch {
	case err != nil:
		return err
	case info.Attributes&cshim.FileAttributeDirectory != 0:
		return invalid("%s is a directory, not a file a buffer could map: nothing removed", path)
	case info.Attributes&cshim.FileAttributeReparsePoint != 0:
		return invalid("%s is a symbolic link or another reparse point, not a file a buffer could map: nothing removed", path)
	case t != cshim.FileTypeDisk:
		return invalid("%s is a pipe or a device, not a file a buffer could map: nothing removed", path)
	}
	if err := check(info); err != nil {
		return err
	}
	return cshim.DeleteFile(path)
}

// errInvalidHandle is ERROR_INVALID_HANDLE, CreateFileMappingW's answer
// when the name belongs to a kernel object of another type.
const errInvalidHandle = syscall.Errno(6)
