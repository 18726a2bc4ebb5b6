package main

import (
	"io/fs"
	"os"
	"syscall"
	"time"
)

// idOf returns fi's fileID; ok is false where the system gives none.
func idOf(fi fs.FileInfo) (id fileID, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{
		dev:   st.Dev,
		ino:   st.Ino,
		uid:   int(st.Uid),
		gid:   int(st.Gid),
		atime: time.Unix(st.Atim.Sec, st.Atim.Nsec),
		ctime: time.Unix(st.Ctim.Sec, st.Ctim.Nsec),
	}, true
}

// devMajorMinor splits a Linux dev_t as glibc's gnu_dev_major and
// gnu_dev_minor do, into the numbers /proc/PID/maps prints.
func devMajorMinor(dev uint64) (major, minor uint64) {
	major = (dev>>8)&0xfff | (dev>>32)&^0xfff
	minor = dev&0xff | (dev>>12)&^0xff
	return major, minor
}

// peekFlags open a file to read its first bytes: never through a symbolic
// link, and never waiting (on a FIFO put there since it was looked at).
const peekFlags = os.O_RDONLY | syscall.O_NOFOLLOW | syscall.O_NONBLOCK

// noAtime is added to peekFlags where it is allowed (the file's owner, or
// CAP_FOWNER), so that looking does not change the access time ls shows.
const noAtime = syscall.O_NOATIME
