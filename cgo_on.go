//go:build cgo && (linux || windows)

package ipcbuf

// cgoEnabled reports whether this build has the cgo backends (files, and
// POSIX and System V shared memory unless a tag leaves them out): builds
// for Linux or Windows with cgo.
const cgoEnabled = true
