package ipcbuf_test

// Modes under the process's umask, which syscall can set only on Unix
// systems; the shared kinds exist only on Linux.

import (
	"io/fs"
	"syscall"
	"testing"

	qt "github.com/frankban/quicktest"

	"github.com/ipcbuf/ipcbuf"
)

func TestModeExactUnderUmask(t *testing.T) {
	forKinds(t, func(t *testing.T, kc kindCase) {
		for _, umask := range []int{0o077, 0o000} {
			for _, mode := range []fs.FileMode{0, 0o600, 0o640, 0o666, 0o604} {
				target := kc.target(t)
				old := syscall.Umask(umask)
				var opts []ipcbuf.Option
				if mode != 0 {
					opts = append(opts, ipcbuf.Mode(mode))
				}
				b, err := ipcbuf.Open(target, 4096, opts...)
				syscall.Umask(old)
				qt.Assert(t, err, qt.IsNil)
				b.Close()
				want := mode
				if want == 0 {
					want = 0o600
				}
				qt.Assert(t, objectMode(t, kc.kind, target), qt.Equals, want, qt.Commentf("umask %#o, mode %#o", umask, mode))
			}
		}
	})
}
