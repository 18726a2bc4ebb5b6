//go:build cgo && !ipcbuf_noposix

package ipcbuf

import (
	"errors"
	"io/fs"
	"strconv"
	"strings"
	"syscall"

	"github.com/ipcbuf/ipcbuf/cshim"
)

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
func OpenShm(name string, size int, opts ...Option) (*Buffer, error) {
	o, err := parseOptions(size, opts)
	if err == nil {
		name, err = checkShmName(name)
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: "*" + name, Err: err}
	}
	var id objectID
	return id.recordIn(openFD(fdObject{
		kind:   KindPOSIX,
		target: "*" + name,
		name:   "/" + name,
		open:   identified(cshim.ShmOpen, &id),
		unlink: cshim.ShmUnlink,
		// glibc keeps POSIX objects as files in /dev/shm, a tmpfs, where
		// a rename publishes them. Where they are not there (another C
		// library, no /dev/shm), the rename fails and createFD falls back.
		publish: func(oldname, newname string) error {
			err := cshim.RenameNoReplace(shmDir+oldname, shmDir+newname)
			if err == syscall.ENOENT {
				err = syscall.EOPNOTSUPP // not where we looked: fall back
			}
			return err
		},
		temp:   func(rnd string) string { return "/" + tempName(name, rnd) },
		exists: func() (bool, error) { return cshim.Exists(shmDir + "/" + name) },
	}, size, o))
}

// shmDir is where glibc's shm_open keeps POSIX shared memory objects, as
// files: shmDir + "/" + name is the object name.
const shmDir = "/dev/shm"

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
		return nil, &fs.PathError{Op: "createtemp", Path: "*" + pattern, Err: err}
	}
	prefix, suffix := pattern, ""
	if i := strings.LastIndexByte(pattern, '*'); i >= 0 {
		prefix, suffix = pattern[:i], pattern[i+1:]
	}
	opts = append(opts[:len(opts):len(opts)], Exclusive())
	for try := 0; ; try++ {
		name := prefix + strconv.FormatUint(shmTempRand(), 36) + suffix
		b, err := OpenShm(name, size, opts...)
		if errors.Is(err, fs.ErrExist) && try < 10000 {
			continue
		}
		return b, err
	}
}

// RemoveShm removes the POSIX shared memory object name (shm_unlink).
// Processes that have it mapped keep their memory until they close it; the
// name is free at once. A missing object is an error matching
// fs.ErrNotExist.
//
// Only a shared memory object is removed: if the name in shmDir is a
// directory, a FIFO or anything else but a regular file, RemoveShm returns
// an error matching fs.ErrInvalid and removes nothing.
func RemoveShm(name string) error {
	name, err := checkShmName(name)
	if err == nil {
		if fi, serr := cshim.LstatID(shmDir + "/" + name); serr == nil && fi.Mode&syscall.S_IFMT != syscall.S_IFREG {
			err = invalid("%s/%s is %s, not a POSIX shared memory object", shmDir, name, fileTypeName(fi.Mode))
		}
	}
	if err == nil {
		err = cshim.ShmUnlink("/" + name)
	}
	if err != nil {
		return &fs.PathError{Op: "remove", Path: "*" + name, Err: err}
	}
	return nil
}

// removeShmObject unlinks the POSIX object name if it is still the object
// that id recorded (see Buffer.Remove).
func removeShmObject(name string, id objectID) error {
	if err := checkSameFile("*"+name, shmDir+"/"+name, id); err != nil {
		return err
	}
	if err := cshim.ShmUnlink("/" + name); err != nil {
		return &fs.PathError{Op: "remove", Path: "*" + name, Err: err}
	}
	return nil
}

const havePOSIX = true
