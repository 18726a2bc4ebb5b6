//go:build cgo && linux

package ipcbuf

import (
	"fmt"
	"io/fs"
	"syscall"

	"github.com/ipcbuf/ipcbuf/cshim"
)

// fdIdentity is a file or POSIX object as a buffer opened it: the
// namedObject of its region, so that Buffer.Remove unlinks the name only
// while it still refers to that object.
type fdIdentity struct {
	obj   fdObject
	known bool // false if statx failed at open: the name is then not checked
	// Device, inode and birth time (0 where the file system records none).
	dev, ino, btime uint64
}

// identify records the identity of obj, open at fd: the object the buffer
// maps, which Remove later checks the name against.
func identify(obj fdObject, fd int) fdIdentity {
	id := fdIdentity{obj: obj}
	if fi, err := cshim.FstatID(fd); err == nil {
		id.known, id.dev, id.ino, id.btime = true, fi.Dev, fi.Ino, uint64(fi.Btime)
	}
	return id
}

// remove unlinks the object's name if it still refers to the regular file
// recorded at open (see Buffer.Remove). Whether the buffer is attached
// makes no difference to the check.
func (id fdIdentity) remove(bool) error {
	fi, err := cshim.LstatID(id.obj.path)
	switch {
	case err != nil:
	case fi.Mode&syscall.S_IFMT != syscall.S_IFREG:
		err = errNotTheObject("the name refers to " + fileTypeName(fi.Mode) + ", not a regular file")
	case id.known && (fi.Dev != id.dev || fi.Ino != id.ino || uint64(fi.Btime) != id.btime):
		err = errNotTheObject("the name now refers to another file")
	default:
		err = id.obj.unlink(id.obj.name)
	}
	if err != nil {
		return &fs.PathError{Op: "remove", Path: id.obj.target, Err: err}
	}
	return nil
}

// fileTypeName names the type of a file by its st_mode, for errors: "a
// FIFO (named pipe)", "a directory", "a regular file"...
func fileTypeName(mode uint32) string {
	switch mode & syscall.S_IFMT {
	case syscall.S_IFREG:
		return "a regular file"
	case syscall.S_IFDIR:
		return "a directory"
	case syscall.S_IFLNK:
		return "a symbolic link"
	case syscall.S_IFIFO:
		return "a FIFO (named pipe)"
	case syscall.S_IFSOCK:
		return "a socket"
	case syscall.S_IFCHR:
		return "a character device"
	case syscall.S_IFBLK:
		return "a block device"
	}
	return fmt.Sprintf("a file of type %#o", mode&syscall.S_IFMT)
}
