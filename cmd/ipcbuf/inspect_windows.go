//go:build windows

package main

// What ls and stat find out on Windows. A '*name' target is the named
// section Local\name, and the named semaphore '*name' is Local\sem.name;
// both are listed from this session's object directory (winobjects*.go).
// Windows keeps no list of the processes that map an object (there is no
// /proc), no mode bits and, for a section, no times; ls and stat say
// "unknown" or "-" for them rather than make them up. Owners are in the
// objects' security descriptors, which are not read.

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/ipcbuf/ipcbuf"
)

// mappedUnknown is the MAPPED column of an object whose mappers cannot be
// known: on Windows, every one.
const mappedUnknown = "unknown"

// sectionsRemovable says that rm cannot remove a '*name' object: a named
// section has no name to unlink, and goes with the last process that has
// it open.
const sectionsRemovable = false

// deleteGuarded is true: Windows refuses to delete a file that a process
// has mapped (an error, nothing deleted), so rm deletes a file without
// knowing its mappers. Wine instead deletes it once the last process has
// closed it.
const deleteGuarded = true

// noMapsInfo is why no object's mappers are known on Windows.
var noMapsInfo = errors.New("Windows keeps no list of the processes that map an object (there is no /proc/PID/maps)")

// errNoSysV is what ls and stat say of System V objects on Windows.
var errNoSysV = fmt.Errorf("Windows has no System V IPC: %w", errors.ErrUnsupported)

func init() {
	kindNames[kindPOSIX] = `named section (Local\NAME)`
	kindNames[kindPOSIXSem] = `named semaphore (Local\sem.NAME)`
}

func newInspector() *inspector {
	return &inspector{
		maps:   &procMaps{err: noMapsInfo},
		shmErr: errNoSysV,
		semErr: errNoSysV,
		names:  map[string]string{},
		peek:   true,
	}
}

// kindLabel is the KIND column's word for a kind: on Windows a '*name'
// object is a section, and its semaphore a semaphore. JSON keeps the kinds'
// names ("posix", "posix-semaphore") on every system.
func kindLabel(kind string) string {
	switch kind {
	case kindPOSIX:
		return "section"
	case kindPOSIXSem:
		return "semaphore"
	}
	return kind
}

// sectionObject is the kernel object name of the section '*name'.
func sectionObject(name string) string { return `Local\` + name }

// shared returns every named section and named semaphore of this session
// that a '*name' target can reach: the sections of the session's object
// directory, and its semaphores called sem.NAME. Other objects there
// (events, mutexes, other programs' semaphores) are left out, and so are
// the Global\ ones.
func (in *inspector) shared() (objs []*object, errs []error) {
	entries, err := sessionObjects()
	if err != nil {
		return nil, []error{fmt.Errorf("cannot list this session's named sections: %w", err)}
	}
	for _, e := range entries {
		var o *object
		var err error
		switch {
		case e.typ == "Section":
			o, err = in.section(e.name)
		case e.typ == "Semaphore" && strings.HasPrefix(e.name, "sem."):
			o = in.semaphore(strings.TrimPrefix(e.name, "sem."))
		default:
			continue
		}
		switch {
		case err == nil:
			objs = append(objs, o)
		case errors.Is(err, fs.ErrNotExist): // gone since the listing: not there
		default:
			// Another program's section that this user may not open:
			// listed all the same, its size unknown.
			objs = append(objs, &object{Kind: kindPOSIX, Target: "*" + e.name, Path: sectionObject(e.name),
				Mapped: unknownMapping(), Notes: []string{"size: cannot open it to measure: " + message(err)}})
		}
	}
	return objs, errs
}

// posix returns the section '*name', or with a "sem." prefix the named
// semaphore.
func (in *inspector) posix(name string) (*object, error) {
	if sem, ok := strings.CutPrefix(name, "sem."); ok {
		entries, err := sessionObjects()
		if err != nil {
			return nil, fmt.Errorf("cannot list this session's named semaphores: %w", err)
		}
		for _, e := range entries {
			if e.name == name && e.typ == "Semaphore" {
				return in.semaphore(sem), nil
			}
		}
		return nil, syscall.ERROR_FILE_NOT_FOUND
	}
	return in.section(name)
}

// section returns the named section Local\name. Its size is measured as
// Open measures it at size 0 (it is mapped whole, read-only, and the view
// measured): whole pages, because Windows does not keep the size a section
// was made with.
func (in *inspector) section(name string) (*object, error) {
	target := "*" + name
	b, err := ipcbuf.Open(target, 0, ipcbuf.ReadOnly(), ipcbuf.OpenOnly())
	if err != nil {
		if errors.Is(err, errorInvalidHandle) {
			// Kernel objects share one namespace: the name is taken by
			// an object of another type.
			err = fmt.Errorf(`%s is a kernel object of another type (an event, a mutex, a semaphore...), not a section: %w`, sectionObject(name), err)
		}
		return nil, err
	}
	size := int64(b.Len())
	head := make([]byte, len(ringMagic))
	if size < int64(len(head)) {
		head = nil
	} else if _, err := b.ReadAt(head, 0); err != nil {
		head = nil
	}
	_ = b.Close()
	o := &object{Kind: kindPOSIX, Target: target, Path: sectionObject(name), Size: &size,
		Mapped: unknownMapping(),
		Notes: []string{
			"size: whole pages; Windows does not keep the size a section was made with",
			"mode, owner, times: Windows keeps no mode bits and no times for a section; its owner is in its security descriptor, which is not read",
		}}
	if in.peek && string(head) == ringMagic && size >= int64(ipcbuf.RingSize(64)) {
		o.Ring = inspectRing(target)
	}
	return o, nil
}

// semaphore returns the named semaphore '*name' (Local\sem.name).
func (in *inspector) semaphore(name string) *object {
	target := "*" + name
	o := &object{Kind: kindPOSIXSem, Target: target, Path: sectionObject("sem." + name),
		Notes: []string{"mode, owner, times: Windows keeps no mode bits and no times for a semaphore; its owner is in its security descriptor, which is not read"}}
	if in.peek {
		o.Value = in.semValue(o, target)
	}
	return o
}

// unknownMapping is who maps an object on Windows: not known.
func unknownMapping() *mapping {
	return &mapping{Processes: []process{}, Unknown: []int{}, Error: noMapsInfo.Error()}
}

// shmFile says that a section is no file: dump never finds one empty
// (Windows has no section of 0 bytes).
func shmFile(string) (string, bool) { return "", false }

// fileMode is "": Windows files have no permission bits, only a read-only
// attribute and a security descriptor, and ls does not make bits up from
// them.
func fileMode(fs.FileInfo) string { return "" }

// withoutID fills in what Windows says of a file besides its size and
// modification time: its creation and access times. Who maps it is not
// known.
func withoutID(o *object, fi fs.FileInfo) {
	if d, ok := fi.Sys().(*syscall.Win32FileAttributeData); ok {
		created := time.Unix(0, d.CreationTime.Nanoseconds())
		accessed := time.Unix(0, d.LastAccessTime.Nanoseconds())
		o.Times.Created, o.Times.Accessed = &created, &accessed
	}
	if o.Kind != kindOther {
		o.Mapped = unknownMapping()
	}
	o.Notes = append(o.Notes, "mode, owner: Windows files have no mode bits; the owner is in the file's security descriptor, which is not read")
}

// idOf returns ok false: see fileID.
func idOf(fs.FileInfo) (fileID, bool) { return fileID{}, false }

func devMajorMinor(uint64) (major, minor uint64) { return 0, 0 }

// peekFlags open a file to read its first bytes.
const peekFlags = os.O_RDONLY

const noAtime = 0

// objectEntry is one object of the session's object directory.
type objectEntry struct{ name, typ string }

// errorInvalidHandle is ERROR_INVALID_HANDLE, which opening a section gives
// when the name belongs to an object of another type.
const errorInvalidHandle = syscall.Errno(6)
