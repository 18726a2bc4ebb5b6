//go:build unix

package shatomic_test

import (
	"runtime/debug"
	"syscall"
	"testing"
	"unsafe"

	qt "github.com/frankban/quicktest"

	"github.com/ipcbuf/ipcbuf/internal/shatomic"
)

// TestFaultRecovers: every operation on a page that cannot be touched
// panics with the fault's address, in the calling goroutine, which
// recovers and goes on: the contract of the fault guard.
func TestFaultRecovers(t *testing.T) {
	page, err := syscall.Mmap(-1, 0, syscall.Getpagesize(), syscall.PROT_NONE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	qt.Assert(t, err, qt.IsNil)
	defer syscall.Munmap(page)
	p32 := (*uint32)(unsafe.Pointer(&page[0]))
	p64 := (*uint64)(unsafe.Pointer(&page[0]))
	ops := map[string]func(){
		"LoadUint32":           func() { shatomic.LoadUint32(p32) },
		"StoreUint32":          func() { shatomic.StoreUint32(p32, 1) },
		"AddUint32":            func() { shatomic.AddUint32(p32, 1) },
		"SwapUint32":           func() { shatomic.SwapUint32(p32, 1) },
		"CompareAndSwapUint32": func() { shatomic.CompareAndSwapUint32(p32, 0, 1) },
		"LoadUint64":           func() { shatomic.LoadUint64(p64) },
		"StoreUint64":          func() { shatomic.StoreUint64(p64, 1) },
		"AddUint64":            func() { shatomic.AddUint64(p64, 1) },
		"SwapUint64":           func() { shatomic.SwapUint64(p64, 1) },
		"CompareAndSwapUint64": func() { shatomic.CompareAndSwapUint64(p64, 0, 1) },
	}
	for name, op := range ops {
		addr := func() (addr uintptr) {
			defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
			defer func() {
				r := recover()
				if a, ok := r.(interface{ Addr() uintptr }); ok {
					addr = a.Addr()
				}
			}()
			op()
			return 0
		}()
		qt.Check(t, addr, qt.Equals, uintptr(unsafe.Pointer(&page[0])), qt.Commentf("%s", name))
	}
}
