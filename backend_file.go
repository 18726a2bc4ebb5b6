//go:build cgo && linux

package ipcbuf

// The file backend: regular files opened and mapped as descriptors (see
// mapfd.go). The exported API is in backend.go.

import (
	"errors"
	"io/fs"
	"path/filepath"
	"syscall"

	"github.com/ipcbuf/ipcbuf/cshim"
)

// openFile is OpenFile once its arguments are checked.
func openFile(path string, size int, o options) (*Buffer, error) {
	return openFD(fileObject(path), size, o)
}

// fileObject is the file at path as an fdObject.
func fileObject(path string) fdObject {
	dir, base := filepath.Dir(path), filepath.Base(path)
	return fdObject{
		kind:    KindFile,
		target:  path,
		name:    path,
		path:    path,
		open:    cshim.Open,
		unlink:  cshim.Unlink,
		publish: cshim.RenameNoReplace,
		temp:    func(rnd string) string { return filepath.Join(dir, tempName(base, rnd)) },
		synced:  func() error { return syncDir(dir) },
	}
}

// syncDir makes a new directory entry durable, so that a file created and
// then synced survives a crash.
func syncDir(dir string) error {
	fd, err := cshim.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		return err
	}
	defer cshim.Close(fd)
	if err := cshim.Fsync(fd); err != nil && !errors.Is(err, syscall.EINVAL) {
		return err // EINVAL: this file system has nothing to sync for directories
	}
	return nil
}

// removeFile is Remove for a path (already checked): it unlinks path if it
// is a regular file. It never removes a directory: os.Remove would rmdir an
// empty one, and unlink(2) cannot. The type is checked first (lstat), so
// that a FIFO, a socket, a device or a symbolic link, which ipcbuf never
// makes, is left alone too; one that replaces the file between the check
// and the unlink is not noticed, except a directory, which unlink refuses.
func removeFile(path string) error {
	fi, err := cshim.LstatID(path)
	switch {
	case err != nil:
	case fi.Mode&syscall.S_IFMT != syscall.S_IFREG:
		err = invalid("%s is %s, not a file a buffer could map: nothing removed", path, fileTypeName(fi.Mode))
	default:
		err = cshim.Unlink(path)
	}
	if err != nil {
		return &fs.PathError{Op: "remove", Path: path, Err: err}
	}
	return nil
}
