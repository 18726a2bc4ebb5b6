//go:build !windows && (!cgo || !linux || ipcbuf_nosysv)

package ipcbuf

// errNoSysVSem is the error of System V semaphores in a build that leaves
// the System V backend out.
var errNoSysVSem = noBackend("System V semaphores", "ipcbuf_nosysv")

func openSysVSem(key, value int, o options) (semImpl, error) {
	return nil, errNoSysVSem
}

func removeSysVSem(key int) error { return errNoSysVSem }
