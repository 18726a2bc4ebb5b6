package testenv

import (
	"fmt"
	"runtime"
	"slices"
)

// systemKinds lists, for each system besides Linux (which has them all),
// the shared kinds ipcbuf's cgo build has there, by Kind.String. A kind
// not listed is absent by design: its tests skip saying so, and
// TestUnsupportedKinds checks how it fails. TestKindsOnThisSystem fails if
// a build has a kind this table says it lacks, so the table follows the
// library.
var systemKinds = map[string][]string{
	// Named sections and file mappings; Windows has no System V IPC.
	"windows": {"posix", "file"},
}

// NotOnThisSystem returns why ipcbuf has no buffers of kind (Kind.String:
// "posix", "file", "sysv") on the system the tests run on, by design, or
// "" when the system should have them.
func NotOnThisSystem(kind string) string {
	switch {
	case runtime.GOOS == "linux" || slices.Contains(systemKinds[runtime.GOOS], kind):
		return ""
	case runtime.GOOS == "windows" && kind == "sysv":
		return "Windows has no System V shared memory"
	}
	return fmt.Sprintf("ipcbuf has no %s buffers on %s yet", kind, runtime.GOOS)
}
