package ipcbuf

import (
	"encoding/binary"
	"fmt"
	"os"
	"testing"
)

// BenchmarkGuard measures what the fault guard adds to a method: the same
// work on the same POSIX shared memory, under the lock alone ("locked") and
// under a full lease ("guarded"), for a 1 MiB copy and an 8-byte read.
// Compare the two with benchstat, or read the ratio in the closing note of
// the reliability work.
func BenchmarkGuard(b *testing.B) {
	if !KindPOSIX.Supported() {
		b.Skip("no POSIX backend in this build")
	}
	name := fmt.Sprintf("ipcbuf-test-%d-guard", os.Getpid())
	buf, err := OpenShm(name, 1<<20, Exclusive())
	if err != nil {
		b.Fatal(err)
	}
	defer buf.Close()
	defer RemoveShm(name)
	p := make([]byte, 1<<20)
	var sink uint64

	locked := func(f func(mem []byte)) {
		buf.m.mu.RLock()
		f(buf.mem())
		buf.m.mu.RUnlock()
	}
	guarded := func(f func(mem []byte)) (err error) {
		mem, l, err := buf.acquire("bench", false)
		if err != nil {
			return err
		}
		defer l.release(&err)
		f(mem)
		return nil
	}
	copy1M := func(mem []byte) { copy(p, mem) }
	read8 := func(mem []byte) { sink += binary.LittleEndian.Uint64(mem[4096:]) }
	for _, work := range []struct {
		name string
		f    func([]byte)
	}{{"copy1MiB", copy1M}, {"read8", read8}} {
		b.Run(work.name+"/locked", func(b *testing.B) {
			if work.name == "copy1MiB" {
				b.SetBytes(1 << 20)
			}
			for b.Loop() {
				locked(work.f)
			}
		})
		b.Run(work.name+"/guarded", func(b *testing.B) {
			if work.name == "copy1MiB" {
				b.SetBytes(1 << 20)
			}
			for b.Loop() {
				guarded(work.f)
			}
		})
	}
	_ = sink
}

// BenchmarkCloseReserve measures what the reservation costs Close: open,
// touch and close a 64 KiB POSIX object, with the memory handed out by
// Bytes (Close swaps in a reservation, unmapped later by the cleanup) and
// without (Close unmaps at once).
func BenchmarkCloseReserve(b *testing.B) {
	if !KindPOSIX.Supported() {
		b.Skip("no POSIX backend in this build")
	}
	name := fmt.Sprintf("ipcbuf-test-%d-closebench", os.Getpid())
	keep, err := OpenShm(name, 64<<10, Exclusive())
	if err != nil {
		b.Fatal(err)
	}
	defer keep.Close()
	defer RemoveShm(name)
	for _, exposed := range []bool{false, true} {
		b.Run(fmt.Sprintf("exposed=%v", exposed), func(b *testing.B) {
			for b.Loop() {
				buf, err := OpenShm(name, 0)
				if err != nil {
					b.Fatal(err)
				}
				if exposed {
					buf.Bytes()[0]++
				} else {
					buf.WriteUint8(1, 0)
				}
				buf.Close()
			}
		})
	}
}
