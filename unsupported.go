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
	errNoSysV  = sysvLeftOut()
)

// withoutCgoBackends returns the error of the shared kinds in a build without the cgo
// backends: built for a system they do not support yet, or without cgo.
func withoutCgoBackends() error {
	if runtime.GOOS != "linux" && runtime.GOOS != "windows" {
		return fmt.Errorf("shared buffers are supported on Linux and Windows only for now, and this program was built for %s: %w", runtime.GOOS, errors.ErrUnsupported)
	}
	return fmt.Errorf("shared buffers need cgo, and this program was built with CGO_ENABLED=0: %w", errors.ErrUnsupported)
}

// sysvLeftOut is the error of System V shared memory where it is left out:
// on Windows, which has none, it says so.
func sysvLeftOut() error {
	if runtime.GOOS == "windows" && cgoEnabled {
		return fmt.Errorf("System V shared memory does not exist on Windows: use a named section (\"*name\") or a file: %w", errors.ErrUnsupported)
	}
	return noBackend("System V shared memory", "ipcbuf_nosysv")
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
