//go:build cgo

package ipcbuf

import (
	"fmt"
	"io/fs"
	"syscall"

	"github.com/ipcbuf/ipcbuf/cshim"
)

// identified wraps an fdObject's open so that *id records the identity of
// the descriptor it last returned: the object the buffer will map, which
// Remove later checks the name against.
func identified(open func(name string, flags int, mode uint32) (int, error), id *objectID) func(string, int, uint32) (int, error) {
	return func(name string, flags int, mode uint32) (int, error) {
		fd, err := open(name, flags, mode)
		if err == nil {
			*id = objectID{}
			if fi, err := cshim.FstatID(fd); err == nil {
				*id = fileObjectID(fi)
			}
		}
		return fd, err
	}
}

func fileObjectID(fi cshim.FileID) objectID {
	return objectID{known: true, dev: fi.Dev, ino: fi.Ino, btime: uint64(fi.Btime)}
}

// recordIn records id in the buffer an open returned, if it returned one.
func (id *objectID) recordIn(b *Buffer, err error) (*Buffer, error) {
	if b != nil {
		b.m.reg.ident = *id
	}
	return b, err
}

// removeFileObject unlinks path if it still names the regular file that id
// recorded (see Buffer.Remove).
func removeFileObject(path string, id objectID) error {
	if err := checkSameFile(path, path, id); err != nil {
		return err
	}
	if err := cshim.Unlink(path); err != nil {
		return &fs.PathError{Op: "remove", Path: path, Err: err}
	}
	return nil
}

// checkSameFile checks that path, which a buffer's target names, still
// refers to the regular file recorded in id. An identity that could not be
// recorded at open (statx failed there) is not checked.
func checkSameFile(target, path string, id objectID) error {
	fi, err := cshim.LstatID(path)
	switch {
	case err != nil:
		return &fs.PathError{Op: "remove", Path: target, Err: err}
	case fi.Mode&syscall.S_IFMT != syscall.S_IFREG:
		return &fs.PathError{Op: "remove", Path: target, Err: errNotTheObject("the name refers to " + fileTypeName(fi.Mode) + ", not a regular file")}
	case id.known && !id.sameFile(fi.Dev, fi.Ino, uint64(fi.Btime)):
		return &fs.PathError{Op: "remove", Path: target, Err: errNotTheObject("the name now refers to another file")}
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
