//go:build !cgo || !(linux || windows) || ipcbuf_noposix

package ipcbuf

// errNoPOSIXSem is the error of POSIX named semaphores in a build that
// leaves the POSIX backend out.
var errNoPOSIXSem = noBackend("POSIX named semaphores", "ipcbuf_noposix")

func openPOSIXSem(name string, value int, o options) (semImpl, error) {
	return nil, errNoPOSIXSem
}

func removePOSIXSem(name string) error { return errNoPOSIXSem }
