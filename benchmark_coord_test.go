package ipcbuf_test

import (
	"testing"

	"github.com/ipcbuf/ipcbuf"
)

// BenchmarkAtomic measures each atomic method uncontended, on memory and
// POSIX shared memory: the lease (lock and fault guard) is most of it.
// go test -run '^$' -bench 'Atomic|Wake|Semaphore' .
func BenchmarkAtomic(b *testing.B) {
	bufs := benchBuffers(b, 4096)
	for _, kind := range []string{"memory", "posix"} {
		buf, ok := bufs[kind]
		if !ok {
			continue
		}
		var s32 uint32
		var s64 uint64
		var sb bool
		for _, m := range []struct {
			name string
			f    func()
		}{
			{"LoadUint32", func() { v, _ := buf.LoadUint32(64); s32 += v }},
			{"StoreUint32", func() { buf.StoreUint32(64, 1) }},
			{"AddUint32", func() { v, _ := buf.AddUint32(64, 1); s32 += v }},
			{"SwapUint32", func() { v, _ := buf.SwapUint32(64, 1); s32 += v }},
			{"CompareAndSwapUint32", func() { v, _ := buf.CompareAndSwapUint32(64, 1, 1); sb = sb != v }},
			{"LoadUint64", func() { v, _ := buf.LoadUint64(128); s64 += v }},
			{"StoreUint64", func() { buf.StoreUint64(128, 1) }},
			{"AddUint64", func() { v, _ := buf.AddUint64(128, 1); s64 += v }},
			{"SwapUint64", func() { v, _ := buf.SwapUint64(128, 1); s64 += v }},
			{"CompareAndSwapUint64", func() { v, _ := buf.CompareAndSwapUint64(128, 1, 1); sb = sb != v }},
		} {
			b.Run(m.name+"/kind="+kind, func(b *testing.B) {
				for b.Loop() {
					m.f()
				}
			})
		}
		_, _, _ = s32, s64, sb
	}
}

// BenchmarkWake measures Wake on a word no one waits on: the system call
// and the lease.
func BenchmarkWake(b *testing.B) {
	bufs := benchBuffers(b, 4096)
	for _, kind := range []string{"memory", "posix"} {
		buf, ok := bufs[kind]
		if !ok {
			continue
		}
		b.Run("kind="+kind, func(b *testing.B) {
			for b.Loop() {
				if _, err := buf.Wake(256, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSemaphorePostTryWait measures a semaphore in a buffer
// uncontended: a Post and a TryWait that takes the unit, with no waiter,
// so no system call.
func BenchmarkSemaphorePostTryWait(b *testing.B) {
	bufs := benchBuffers(b, 4096)
	for _, kind := range []string{"memory", "posix"} {
		buf, ok := bufs[kind]
		if !ok {
			continue
		}
		s, err := ipcbuf.InitSemaphore(buf, 512, 0)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("kind="+kind, func(b *testing.B) {
			for b.Loop() {
				s.Post()
				if ok, _ := s.TryWait(); !ok {
					b.Fatal("TryWait after Post took nothing")
				}
			}
		})
	}
}
