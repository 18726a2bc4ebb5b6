//go:build !windows

package main

// How ls and stat find POSIX objects and named semaphores where they are
// files: in /dev/shm on Linux. Windows has its own: inspect_windows.go.

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// shmDir is where Linux keeps POSIX shared memory objects and named
// semaphores (sem.NAME).
const shmDir = "/dev/shm"

// mappedUnknown is the MAPPED column of an object whose mappers could not
// be looked for at all.
const mappedUnknown = "?(no /proc)"

// sectionsRemovable says that rm can remove a '*name' object: here it
// unlinks it.
const sectionsRemovable = true

// deleteGuarded is false: Linux lets a process delete a file that others
// have mapped, so rm looks for them first.
const deleteGuarded = false

func newInspector() *inspector {
	in := &inspector{maps: scanMaps(), names: map[string]string{}, peek: true}
	in.shm, in.shmErr = readSysV(sysvShmList)
	in.sem, in.semErr = readSysV(sysvSemList)
	return in
}

// kindLabel is the KIND column's word for a kind: its JSON name.
func kindLabel(kind string) string { return kind }

// shared returns every POSIX object and named semaphore in /dev/shm.
func (in *inspector) shared() (objs []*object, errs []error) {
	entries, err := os.ReadDir(shmDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		errs = append(errs, fmt.Errorf("list %s: %w", shmDir, err))
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue // not made by shm_open or sem_open
		}
		if o, err := in.posix(e.Name()); err == nil {
			objs = append(objs, o)
		} else if !errors.Is(err, fs.ErrNotExist) { // removed since the listing: not there
			errs = append(errs, err)
		}
	}
	return objs, errs
}

// posix returns the POSIX object or named semaphore ("sem.NAME") called
// name in /dev/shm.
func (in *inspector) posix(name string) (*object, error) {
	path := filepath.Join(shmDir, name)
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	kind, target := kindPOSIX, "*"+name
	if sem, ok := strings.CutPrefix(name, "sem."); ok {
		kind, target = kindPOSIXSem, "*"+sem
	}
	o := in.fromFileInfo(kind, target, path, fi)
	if o.Kind == kindOther {
		return o, nil
	}
	switch {
	case !in.peek:
	case kind == kindPOSIXSem:
		o.Value = in.semValue(o, target)
	default:
		in.ringOf(o, path)
	}
	return o, nil
}

// shmFile returns the file that holds the POSIX object name, for dump to
// see that it is empty.
func shmFile(name string) (string, bool) { return shmDir + "/" + name, true }

// fileMode is a file's permission bits as ls shows them, octal, with the
// setuid, setgid and sticky bits.
func fileMode(fi fs.FileInfo) string {
	return fmt.Sprintf("%04o", uint32(fi.Mode().Perm())|specialBits(fi.Mode()))
}

// withoutID fills in what can be said of a file whose owner and identity
// the system does not give.
func withoutID(o *object, _ fs.FileInfo) {
	o.Notes = append(o.Notes, "owner and mappings: unknown on this system")
}
