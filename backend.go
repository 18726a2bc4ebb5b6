package ipcbuf

// The constructors and removers of the shared kinds, each written once,
// with its documentation and its argument checks, in the way cmd/go lays out
// per-OS code: the exported function here checks what it was given and
// calls a lowercase function of the backend, which does the system work.
//
// A backend plugs in by defining, in a file of its own with a build
// constraint, the lowercase functions of its kind and a constant saying it
// is there:
//
//   - POSIX shared memory: openShm, createShmTemp, removeShm, havePOSIX
//     (backend_posix.go);
//   - files: openFile, removeFile (backend_file.go; cgoEnabled);
//   - System V shared memory: openSysV, removeSysV, haveSysV
//     (backend_sysv.go).
//
// For every build that leaves a backend out, a stub file defines the same
// functions in one line each, returning the error of unsupported.go
// (backend_noposix.go, backend_nosysv.go, backend_nocgo.go). The memory
// the backends map is a region (region.go), which knows how to flush,
// unmap and remove what it maps. A Windows backend slots in as
// backend_windows.go, defining the same functions for windows builds,
// while the Unix backends add unix to their constraints.

import (
	"io/fs"
	"strings"
)

// Open opens the buffer named by target, in node-ipcbuffer's convention:
//
//   - "*name" is the POSIX shared memory object name (OpenShm);
//   - a number, decimal ("4660") or hexadecimal ("0x1234"), is a System V key
//     (OpenSysV); leading zeros change nothing: "010" is ten, not octal;
//   - any other string is a file path (OpenFile); write "./123" for a file
//     named 123.
//
// size and opts are as for the constructor the target selects.
func Open(target string, size int, opts ...Option) (*Buffer, error) {
	kind, name, key, err := parseTarget(target)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: target, Err: err}
	}
	switch kind {
	case KindPOSIX:
		return OpenShm(name, size, opts...)
	case KindSysV:
		return OpenSysV(key, size, opts...)
	}
	return OpenFile(name, size, opts...)
}

// Remove removes the object named by target (see Open): it unlinks a POSIX
// object or a file, or marks a System V segment for removal. It removes
// only what could be a buffer: a path or a POSIX name that refers to a
// directory, a symbolic link, a FIFO, a socket or a device is an error
// matching fs.ErrInvalid, and nothing is removed.
func Remove(target string) error {
	kind, name, key, err := parseTarget(target)
	if err != nil {
		return &fs.PathError{Op: "remove", Path: target, Err: err}
	}
	switch kind {
	case KindPOSIX:
		return RemoveShm(name)
	case KindSysV:
		return RemoveSysV(key)
	}
	return removeFile(name)
}

// OpenShm opens the POSIX shared memory object name (shm_open), creating it
// with size bytes if it does not exist, unless the options say otherwise;
// see the package documentation for how sizes work. Its bytes live in memory
// only (on Linux, a tmpfs file in /dev/shm) until RemoveShm or a reboot.
//
// name may be given with or without its leading '/': "jobs" and "/jobs" are
// the same object, the one Python's SharedMemory(name="jobs") opens. After
// that slash it must be 1 to 255 bytes with no '/' and no NUL, and not "."
// or "..".
//
// Exclusive is the safe way to create an object under a name others can
// guess: without it, another user may have created the name first.
//
// On Windows name is the named section Local\name (Global\name with the
// Global option), backed by the paging file; it may not contain '\'. A
// section cannot grow, and one opened at size 0 maps whole pages: see
// "Windows" in the README.
func OpenShm(name string, size int, opts ...Option) (*Buffer, error) {
	o, err := parseOptions(size, opts)
	if err == nil {
		name, err = checkShmName(name)
	}
	if err != nil {
		return nil, argError("open", "*"+name, KindPOSIX, err)
	}
	return openShm(name, size, o)
}

// CreateShmTemp creates a new POSIX shared memory object of size bytes under
// a random name made from pattern, as os.CreateTemp does for files: the
// last "*" in pattern is replaced by a random string, or the string is
// appended if there is no "*". The object is created exclusively, so it is
// new and no one else can have prepared its contents; a name that is taken
// is retried with another. Other processes open it by b.Name(); remove it
// with b.Remove when it is no longer needed.
//
// opts may set Mode; OpenOnly and ReadOnly make no sense here and are an
// error. This is the safe way to make a private object in a /dev/shm that
// other users can write to: see the README on squatted names.
func CreateShmTemp(pattern string, size int, opts ...Option) (*Buffer, error) {
	o, err := parseOptions(size, opts)
	switch {
	case err != nil:
	case o.openOnly:
		err = invalid("CreateShmTemp always creates: OpenOnly and ReadOnly do not apply")
	case size == 0:
		err = invalid("CreateShmTemp needs a size: size 0 only opens an existing object")
	case strings.Contains(pattern, "/"):
		err = invalid("pattern %q contains '/'", pattern)
	}
	if err != nil {
		return nil, argError("createtemp", "*"+pattern, KindPOSIX, err)
	}
	return createShmTemp(pattern, size, append(opts[:len(opts):len(opts)], Exclusive()))
}

// RemoveShm removes the POSIX shared memory object name (shm_unlink).
// Processes that have it mapped keep their memory until they close it; the
// name is free at once. A missing object is an error matching
// fs.ErrNotExist.
//
// Only a shared memory object is removed: if the name in /dev/shm is a
// directory, a FIFO or anything else but a regular file, RemoveShm returns
// an error matching fs.ErrInvalid and removes nothing.
//
// On Windows a named section cannot be removed: it goes when the last
// process that has it open closes it. RemoveShm returns an error matching
// fs.ErrNotExist if Local\name does not exist, and nil, having done
// nothing, if it does.
func RemoveShm(name string) error {
	name, err := checkShmName(name)
	if err != nil {
		return argError("remove", "*"+name, KindPOSIX, err)
	}
	return removeShm(name)
}

// OpenFile maps the file at path into memory, shared: the file's bytes are
// in the buffer at open, and writes to the buffer reach the file (on disk by
// Sync, Close, or when the buffer is collected). A missing file is created
// with the size asked for, unless the options say otherwise; see the
// package documentation for how sizes work.
func OpenFile(path string, size int, opts ...Option) (*Buffer, error) {
	o, err := parseOptions(size, opts)
	if err == nil {
		err = checkPath(path)
	}
	if err != nil {
		return nil, argError("open", path, KindFile, err)
	}
	return openFile(path, size, o)
}

// OpenSysV attaches the System V shared memory segment with the given key
// (shmget, shmat), creating it with size bytes if it does not exist, unless
// the options say otherwise.
//
// An existing segment's real size comes from the kernel (IPC_STAT): size 0
// maps all of it, a smaller size maps that many bytes, and a larger size is
// an error, because System V segments cannot grow. Segments outlive every
// process that used them until RemoveSysV (ipcrm -m) or a reboot.
//
// key is a key_t: any value from math.MinInt32 to math.MaxUint32 except 0,
// which is IPC_PRIVATE and names no segment another process can find.
// The mode of a new segment is exact; System V ignores the umask.
func OpenSysV(key int, size int, opts ...Option) (*Buffer, error) {
	o, err := parseOptions(size, opts)
	if err == nil {
		err = checkKey(key)
	}
	if err != nil {
		return nil, argError("open", keyPath(key), KindSysV, err)
	}
	return openSysV(key, size, o)
}

// RemoveSysV marks the System V segment with the given key for removal
// (IPC_RMID), as ipcrm -M does. It disappears when the last process detaches;
// from now on the key finds no segment. A missing segment is an error
// matching fs.ErrNotExist.
func RemoveSysV(key int) error {
	if err := checkKey(key); err != nil {
		return argError("remove", keyPath(key), KindSysV, err)
	}
	return removeSysV(key)
}

// argError is the error of a constructor or remover of kind k given bad
// arguments. A build that leaves k out says so whatever the arguments:
// correcting them would not help.
func argError(op, path string, k Kind, err error) error {
	if lo := k.leftOut(); lo != nil {
		err = lo
	}
	return &fs.PathError{Op: op, Path: path, Err: err}
}
