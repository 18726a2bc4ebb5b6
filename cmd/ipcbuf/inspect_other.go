//go:build !linux && !windows

package main

import (
	"io/fs"
	"os"
)

// idOf returns ok false: see fileID.
func idOf(fs.FileInfo) (fileID, bool) { return fileID{}, false }

func devMajorMinor(dev uint64) (major, minor uint64) { return 0, 0 }

// peekFlags open a file to read its first bytes.
const peekFlags = os.O_RDONLY

const noAtime = 0
