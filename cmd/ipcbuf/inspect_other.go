//go:build !linux && !windows

package main

import (
	"io/fs"
	"os"
	"time"
)

// fileID is what ls and stat need of a file's stat beyond fs.FileInfo. Only
// Linux's is read: the processes mapping an object are found in Linux's
// /proc.
type fileID struct {
	dev, ino uint64
	uid, gid int
	atime    time.Time
	ctime    time.Time
}

// idOf returns ok false: see fileID.
func idOf(fs.FileInfo) (fileID, bool) { return fileID{}, false }

func devMajorMinor(dev uint64) (major, minor uint64) { return 0, 0 }

// peekFlags open a file to read its first bytes.
const peekFlags = os.O_RDONLY

const noAtime = 0
