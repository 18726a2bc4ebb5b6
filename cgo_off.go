//go:build !cgo || !(linux || windows)

package ipcbuf

// cgoEnabled reports whether this build has the cgo backends. They call
// Linux's C library (posix_fallocate; shm_open in -lrt before glibc 2.34)
// or Windows's, so a build for another system has memory buffers only,
// with or without cgo, until that system is supported.
const cgoEnabled = false
