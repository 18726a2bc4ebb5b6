package ipcbuf_test

import (
	"encoding/binary"
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

// benchOffset is the offset the per-call benchmarks read and write at: a
// variable, so that the compiler cannot check the bounds at compile time.
var benchOffset = 64

// BenchmarkNumber measures single-number reads and writes, where the cost of
// a call (the lease, the argument checks) dominates, beside the baseline of
// the same access with encoding/binary on a []byte, bounds checked as a
// method checks them (kind=[]byte). Read the ratios to it and to Node's
// readUInt32LE, writeUInt32BE and readBigUInt64LE (8-15 ns here):
//
//	go test -run '^$' -bench 'Number' -count 6 . | benchstat -col /kind -
func BenchmarkNumber(b *testing.B) {
	var sink uint64
	p := make([]byte, 4096)
	b.Run("ReadUint32LE/kind=[]byte", func(b *testing.B) {
		for b.Loop() {
			off := benchOffset
			if off < 0 || off > len(p)-4 {
				b.Fatal("out of range")
			}
			sink += uint64(binary.LittleEndian.Uint32(p[off:]))
		}
	})
	b.Run("WriteUint32BE/kind=[]byte", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			off := benchOffset
			if off < 0 || off > len(p)-4 {
				b.Fatal("out of range")
			}
			binary.BigEndian.PutUint32(p[off:], uint32(i))
		}
	})
	b.Run("ReadBigUint64LE/kind=[]byte", func(b *testing.B) {
		for b.Loop() {
			off := benchOffset
			if off < 0 || off > len(p)-8 {
				b.Fatal("out of range")
			}
			sink += binary.LittleEndian.Uint64(p[off:])
		}
	})
	bufs := benchBuffers(b, 4096)
	for _, kind := range []string{"memory", "posix", "file", "sysv"} {
		buf, ok := bufs[kind]
		if !ok {
			continue
		}
		b.Run("ReadUint32LE/kind="+kind, func(b *testing.B) {
			for b.Loop() {
				v, _ := buf.ReadUint32LE(benchOffset)
				sink += uint64(v)
			}
		})
		b.Run("WriteUint32BE/kind="+kind, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				buf.WriteUint32BE(int64(uint32(i)), benchOffset)
			}
		})
		b.Run("ReadBigUint64LE/kind="+kind, func(b *testing.B) {
			for b.Loop() {
				v, _ := buf.ReadBigUint64LE(benchOffset)
				sink += v
			}
		})
	}
	_ = sink
}

// BenchmarkSmallCall measures the small calls whose cost is mostly the
// call's own: ToString and Write of 16 bytes of text, and IndexOf one byte
// in 64 bytes (found at the end), on every kind. Node's buf.toString(),
// buf.write(s) and buf.indexOf(n) are the comparison.
func BenchmarkSmallCall(b *testing.B) {
	bufs := benchBuffers(b, 4096)
	const text = "sixteen bytes ok"
	for _, kind := range []string{"memory", "posix", "file", "sysv"} {
		buf, ok := bufs[kind]
		if !ok {
			continue
		}
		if _, err := buf.Write(text, 0, ""); err != nil {
			b.Fatal(err)
		}
		if err := buf.Fill(0, 16, 128, ""); err != nil {
			b.Fatal(err)
		}
		if _, err := buf.WriteUint8(0x7f, 127); err != nil {
			b.Fatal(err)
		}
		var sink int
		for range 100000 { // the first allocations of a run cost more: warm the heap up
			s, _ := buf.ToString("", 0, 16)
			sink += len(s)
		}
		b.Run("ToString16/kind="+kind, func(b *testing.B) {
			for b.Loop() {
				s, _ := buf.ToString("", 0, 16)
				sink += len(s)
			}
		})
		b.Run("ToString16-utf8/kind="+kind, func(b *testing.B) {
			for b.Loop() {
				s, _ := buf.ToString(ipcbuf.UTF8, 0, 16)
				sink += len(s)
			}
		})
		b.Run("Write16/kind="+kind, func(b *testing.B) {
			for b.Loop() {
				n, _ := buf.Write(text, 0, "")
				sink += n
			}
		})
		window := buf.Slice(64, 128)
		b.Run("IndexOf1in64/kind="+kind, func(b *testing.B) {
			for b.Loop() {
				i, _ := window.IndexOf(0x7f, 0, "")
				sink += i
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
