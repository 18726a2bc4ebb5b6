//go:build cgo && linux

package ipcbuf

// cgoEnabled reports whether this build has the cgo backends (files, and
// POSIX and System V shared memory unless a tag leaves them out): builds
// for Linux with cgo.
const cgoEnabled = true
