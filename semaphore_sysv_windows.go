package ipcbuf

import (
	"errors"
	"fmt"
)

// errNoSysVSem is the error of System V semaphores on Windows, which has
// no System V IPC at all.
var errNoSysVSem = fmt.Errorf("System V semaphores do not exist on Windows: use a named semaphore (\"*name\") instead: %w", errors.ErrUnsupported)

func openSysVSem(key, value int, o options) (semImpl, error) {
	return nil, errNoSysVSem
}

func removeSysVSem(key int) error { return errNoSysVSem }
