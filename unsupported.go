package ipcbuf

import (
	"errors"
	"fmt"
	"runtime"
)

// The errors of kinds a build leaves out. Each says why, and how to get the
// kind back. They come wrapped in an *fs.PathError, which names the object.
var (
	errNoCgo   = withoutCgoBackends()
	errNoPOSIX = noBackend("POSIX shared memory", "ipcbuf_noposix")
	errNoSysV  = noBackend("System V shared memory", "ipcbuf_nosysv")
)

// withoutCgoBackends returns the error of the shared kinds in a build without the cgo
// backends: built for a system they do not support yet, or without cgo.
func withoutCgoBackends() error {
	if runtime.GOOS != "linux" {
		return fmt.Errorf("shared buffers are supported on Linux only for now, and this program was built for %s: %w", runtime.GOOS, errors.ErrUnsupported)
	}
	return fmt.Errorf("shared buffers need cgo, and this program was built with CGO_ENABLED=0: %w", errors.ErrUnsupported)
}

func noBackend(what, tag string) error {
	if !cgoEnabled {
		return errNoCgo
	}
	return fmt.Errorf("%s is not in this build (built with tag %s on %s): %w", what, tag, runtime.GOOS, errors.ErrUnsupported)
}

// leftOut returns the error of kind k if this build leaves its backend out,
// and nil if the build has it. Memory buffers are in every build.
func (k Kind) leftOut() error {
	switch {
	case k == KindPOSIX && !havePOSIX:
		return errNoPOSIX
	case k == KindFile && !cgoEnabled:
		return errNoCgo
	case k == KindSysV && !haveSysV:
		return errNoSysV
	}
	return nil
}
