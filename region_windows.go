//go:build cgo && windows

package ipcbuf

import (
	"errors"
	"syscall"
	"unsafe"

	"github.com/ipcbuf/ipcbuf/cshim"
)

// regionSys is what a Windows region holds besides its addresses: the
// section's handle, and for a writable file the file's.
//
// The section's handle is kept while the view is mapped: on Windows the
// view alone keeps a section alive, but Wine drops a section's name with
// its last handle, which would let a second process's open fail, or create
// a new section under the name, while the first still uses it.
//
// The file's handle is there for flushing: Windows writes a view back in
// two steps, FlushViewOfFile, which starts the writes, and FlushFileBuffers
// on the file, which waits for them.
type regionSys struct {
	section  syscall.Handle // 0 for none
	file     syscall.Handle // 0 for none
	reserved bool           // reserve holds the addresses (see reserve)
}

// flush writes the n bytes at addr back to their section, and for a file
// waits until they are on its disk.
func (s *regionSys) flush(addr unsafe.Pointer, n int) error {
	if err := cshim.FlushView(addr, n); err != nil {
		return err
	}
	if s.file != 0 {
		return cshim.FlushFile(s.file)
	}
	return nil
}

// reserve is Close's swap of r's view for an inaccessible reservation (see
// region.retire), in the two steps Windows allows: UnmapViewOfFile, then
// VirtualAlloc(MEM_RESERVE, PAGE_NOACCESS) of the same addresses, so that
// a stale slice from Bytes faults rather than reaching whatever is mapped
// there next. Between the two calls another thread of this process could
// take the addresses; the reservation then fails, and the cleanup has
// nothing to release. (Windows 10 version 1803 can do the swap in one
// step, with placeholders: VirtualAlloc2, MapViewOfFile3 and
// UnmapViewOfFile2 with MEM_PRESERVE_PLACEHOLDER; Wine 8, where ipcbuf is
// tested, does not implement them, so they are not used yet.)
func (s *regionSys) reserve(r *region) error {
	if err := cshim.UnmapView(r.addr); err != nil {
		return err // still mapped: kept for the cleanup
	}
	s.reserved = cshim.Reserve(r.addr, r.size) == nil
	return nil
}

// unmap gives r's addresses back: the view, or the reservation that
// replaced it. state is what r held.
func (s *regionSys) unmap(r *region, state regionState) error {
	if state != regionReserved {
		return cshim.UnmapView(r.addr)
	}
	if !s.reserved {
		return nil
	}
	s.reserved = false
	return cshim.Release(r.addr)
}

// close closes the handles, once.
func (s *regionSys) close() error {
	var errs []error
	for _, h := range []*syscall.Handle{&s.section, &s.file} {
		if *h != 0 {
			errs = append(errs, cshim.CloseHandle(*h))
			*h = 0
		}
	}
	return errors.Join(errs...)
}
