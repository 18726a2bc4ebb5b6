package ipcbuf_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ipcbuf/ipcbuf"
)

// benchBuffers opens one buffer of each kind this build has, of size bytes,
// for the benchmarks of the hot methods, and closes and removes them at the
// end. Names of the sub-benchmarks are the kinds, so benchstat can compare
// them: go test -run '^$' -bench 'BenchmarkMethods' -count 10 . | benchstat -col /kind -
func benchBuffers(b *testing.B, size int) map[string]*ipcbuf.Buffer {
	bufs := map[string]*ipcbuf.Buffer{}
	mem, _ := ipcbuf.Alloc(size)
	bufs["memory"] = mem
	pid := os.Getpid()
	if ipcbuf.KindPOSIX.Supported() {
		name := fmt.Sprintf("%sbench-%d", testPrefix, size)
		s, err := ipcbuf.OpenShm(name, size, ipcbuf.Exclusive())
		if err != nil {
			b.Fatal(err)
		}
		s.Remove() // stays mapped
		bufs["posix"] = s
	}
	if ipcbuf.KindFile.Supported() {
		f, err := ipcbuf.OpenFile(filepath.Join(b.TempDir(), "bench"), size, ipcbuf.Exclusive())
		if err != nil {
			b.Fatal(err)
		}
		bufs["file"] = f
	}
	if ipcbuf.KindSysV.Supported() {
		key := 0x6b000000 | (pid&0xfff)<<12 | size>>20&0xfff
		v, err := ipcbuf.OpenSysV(key, size, ipcbuf.Exclusive())
		if err != nil {
			b.Fatal(err)
		}
		v.Remove()
		bufs["sysv"] = v
	}
	b.Cleanup(func() {
		for _, buf := range bufs {
			buf.Close()
		}
	})
	for _, buf := range bufs { // first-touch faults are not what is measured
		buf.Fill(1, 0, buf.Len(), "")
	}
	return bufs
}

// BenchmarkMethods measures the hot methods on every kind: the kind should
// make no difference beyond noise.
func BenchmarkMethods(b *testing.B) {
	for _, size := range []int{4 << 10, 1 << 20} {
		bufs := benchBuffers(b, size)
		p := make([]byte, size)
		text := string(make([]byte, size))
		for _, kind := range []string{"memory", "posix", "file", "sysv"} {
			buf, ok := bufs[kind]
			if !ok {
				continue
			}
			other, _ := ipcbuf.Alloc(size)
			for _, m := range []struct {
				name string
				f    func()
			}{
				{"ReadAt", func() { buf.ReadAt(p, 0) }},
				{"WriteAt", func() { buf.WriteAt(p, 0) }},
				{"ToString-latin1", func() { buf.ToString(ipcbuf.Latin1, 0, size) }},
				{"Write-utf8", func() { buf.Write(text, 0, ipcbuf.UTF8) }},
				{"Copy", func() { buf.Copy(other, 0, 0, size) }},
				{"Equals", func() { buf.Equals(other) }},
			} {
				b.Run(fmt.Sprintf("%s/size=%d/kind=%s", m.name, size, kind), func(b *testing.B) {
					b.SetBytes(int64(size))
					for b.Loop() {
						m.f()
					}
				})
			}
		}
	}
}

// BenchmarkNumber measures single-number reads and writes, where the cost of
// a call (the lease: lock and fault guard) dominates.
func BenchmarkNumber(b *testing.B) {
	bufs := benchBuffers(b, 4096)
	for _, kind := range []string{"memory", "posix"} {
		buf, ok := bufs[kind]
		if !ok {
			continue
		}
		var sink uint64
		b.Run("ReadBigUint64LE/kind="+kind, func(b *testing.B) {
			for b.Loop() {
				v, _ := buf.ReadBigUint64LE(64)
				sink += v
			}
		})
		b.Run("WriteUint32BE/kind="+kind, func(b *testing.B) {
			for b.Loop() {
				buf.WriteUint32BE(0xdeadbeef, 64)
			}
		})
		_ = sink
	}
}

// BenchmarkMutexUncontended is Lock and Unlock with no other locker, on
// each kind of buffer, beside sync.Mutex: the cost of the robust mutex's
// fast path (two leases on the buffer and two compare-and-swaps).
//
//	go test -run '^$' -bench BenchmarkMutexUncontended -count 6 .
func BenchmarkMutexUncontended(b *testing.B) {
	b.Run("kind=sync.Mutex", func(b *testing.B) {
		var mu sync.Mutex
		for b.Loop() {
			mu.Lock()
			mu.Unlock()
		}
	})
	for kind, buf := range benchBuffers(b, 4096) {
		b.Run("kind="+kind, func(b *testing.B) {
			// benchBuffers fills the buffers with ones, which are not a
			// mutex; zero bytes are an unlocked one.
			buf.Fill(0, 0, ipcbuf.MutexSize, "")
			m, err := ipcbuf.NewMutex(buf, 0)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if err := m.Lock(); err != nil {
					b.Fatal(err)
				}
				if err := m.Unlock(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
