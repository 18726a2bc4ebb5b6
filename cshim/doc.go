// Package cshim is the C layer of ipcbuf: one Go function per system call,
// each calling a C function that makes exactly that call: on Linux in shm.c
// and sem.c, on Windows (built with mingw-w64's gcc) in win.c and, for
// the semaphores and the mutex, winsem.c.
//
// It is a package of its own because cgo compiles only the C files in a Go
// package's own directory, and the go command's build cache tracks only a
// package's own files: C included from another directory would compile, but
// edits to it would not trigger a rebuild.
//
// This package is ipcbuf's implementation, not its API: use package ipcbuf.
// Without cgo, or built for a system other than Linux or Windows, it is
// empty; on Linux the POSIX and System V wrappers exist only when the
// ipcbuf_noposix and ipcbuf_nosysv build tags do not remove them.
package cshim
