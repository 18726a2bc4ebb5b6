//go:build cgo && linux && !ipcbuf_noposix

package ipcbuf

// The POSIX shared memory backend: objects opened with shm_open and mapped
// as descriptors (see mapfd.go). The exported API is in backend.go.

import (
	"io/fs"
	"syscall"

	"github.com/ipcbuf/ipcbuf/cshim"
)

const havePOSIX = true

// shmDir is where glibc's shm_open keeps POSIX shared memory objects, as
// files: shmDir + "/" + name is the object name.
const shmDir = "/dev/shm"

// openShm is OpenShm once its arguments are checked; name has no leading
// '/'.
func openShm(name string, size int, o options) (*Buffer, error) {
	return openFD(shmObject(name), size, o)
}

// shmObject is the POSIX object name (without its '/') as an fdObject.
func shmObject(name string) fdObject {
	return fdObject{
		kind:   KindPOSIX,
		target: "*" + name,
		name:   "/" + name,
		path:   shmDir + "/" + name,
		open:   cshim.ShmOpen,
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
		temp: func(rnd string) string { return "/" + tempName(name, rnd) },
	}
}

// removeShm is RemoveShm once the name is checked (it has no leading '/'):
// it unlinks the object, if it is a regular file in shmDir.
func removeShm(name string) error {
	var err error
	if fi, serr := cshim.LstatID(shmDir + "/" + name); serr == nil && fi.Mode&syscall.S_IFMT != syscall.S_IFREG {
		err = invalid("%s/%s is %s, not a POSIX shared memory object", shmDir, name, fileTypeName(fi.Mode))
	}
	if err == nil {
		err = cshim.ShmUnlink("/" + name)
	}
	if err != nil {
		return &fs.PathError{Op: "remove", Path: "*" + name, Err: err}
	}
	return nil
}
