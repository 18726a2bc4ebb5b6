package ipcbuf_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"

	qt "github.com/frankban/quicktest"

	"github.com/ipcbuf/ipcbuf"
	"github.com/ipcbuf/ipcbuf/internal/testenv"
)

func init() {
	childRoles["truncate"] = func(path string) int {
		if err := os.Truncate(path, 4096); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 1
		}
		return 0
	}
	childRoles["stale-slice"] = staleSliceChild
}

// truncatable are the kinds another process can shrink under a mapping,
// with the path that truncates each.
func truncatable(t *testing.T) map[string]string {
	if runtime.GOOS == "windows" {
		t.Skip("on Windows no process can take a mapped page away: a mapped file cannot be truncated (ERROR_USER_MAPPED_FILE) and a section cannot shrink; TestWindowsTruncateRefused holds that")
	}
	targets := map[string]string{}
	if ipcbuf.KindPOSIX.Supported() {
		name := shmName(t)
		targets["*"+name] = "/dev/shm/" + name
	}
	if ipcbuf.KindFile.Supported() {
		path := testenv.TempDir(t) + "/truncated"
		targets[path] = path
	}
	if len(targets) == 0 {
		requireKind(t, ipcbuf.KindFile) // every build with cgo has files
	}
	return targets
}

// TestTruncatedByAnotherProcess is reliability scenario 7: another process
// shrinks the file or object to 4 KiB under a 1 MiB mapping. Every method
// that touches the lost pages returns an error matching ErrFault that names
// the offset; the bytes that remain still work; the process lives on.
func TestTruncatedByAnotherProcess(t *testing.T) {
	for target, path := range truncatable(t) {
		t.Run(target, func(t *testing.T) {
			b := open(t, target, 1<<20)
			other, err := ipcbuf.Alloc(1 << 20)
			qt.Assert(t, err, qt.IsNil)
			copy(b.Bytes(), "still here")
			copy(other.Bytes(), "still here") // so comparisons reach the lost pages
			startChild(t, "truncate", path)

			far := b.Slice(8192, 1<<20) // entirely in the lost pages
			p := make([]byte, 16)
			_, err = b.ReadAt(p, 100000)
			var fe *ipcbuf.FaultError
			qt.Assert(t, errors.As(err, &fe), qt.IsTrue, qt.Commentf("%v", err))
			qt.Assert(t, fe.Offset, qt.Equals, int64(100000))
			qt.Assert(t, err, qt.ErrorMatches, `read .*: memory fault at offset 100000: .*`)

			calls := map[string]func() error{
				"ReadAt":       func() error { _, err := b.ReadAt(p, 8192); return err },
				"WriteAt":      func() error { _, err := b.WriteAt(p, 8192); return err },
				"ToString":     func() error { _, err := b.ToString("", 0, b.Len()); return err },
				"Write":        func() error { _, err := b.Write("x", 9000, ""); return err },
				"WriteLength":  func() error { _, err := far.WriteLength("abc", 0, 3, ipcbuf.Latin1); return err },
				"Fill":         func() error { return far.Fill(7, 0, far.Len(), "") },
				"FillString":   func() error { return far.Fill("ab", 0, 10, "") },
				"Copy":         func() error { _, err := b.Copy(other, 0, 0, b.Len()); return err },
				"CopyInto":     func() error { _, err := other.Copy(far, 0, 0, 10); return err },
				"IndexOf":      func() error { _, err := b.IndexOf("needle", 0, ""); return err },
				"LastIndexOf":  func() error { _, err := b.LastIndexOf(byte(9), b.Len(), ""); return err },
				"Includes":     func() error { _, err := far.Includes([]byte("x"), 0, ""); return err },
				"Equals":       func() error { _, err := far.Equals(other.Slice(0, far.Len())); return err },
				"Compare":      func() error { _, err := ipcbuf.Compare(other.Slice(0, far.Len()), far); return err },
				"CompareRange": func() error { _, err := b.CompareRange(other, 0, 100, 8000, 9000); return err },
				"Swap16":       func() error { return far.Swap16() },
				"ReadUint32LE": func() error { _, err := b.ReadUint32LE(50000); return err },
				"WriteDouble":  func() error { _, err := far.WriteDoubleBE(1.5, 0); return err },
				"ReadIntBE":    func() error { _, err := far.ReadIntBE(5, 6); return err },
				"BigInt64":     func() error { _, err := far.ReadBigInt64LE(8); return err },
				"ReadUint8":    func() error { _, err := far.ReadUint8(3); return err },
				"WriteInt8":    func() error { _, err := far.WriteInt8(-3, 3); return err },
				"ReadUint16BE": func() error { _, err := far.ReadUint16BE(2); return err },
				"WriteInt16LE": func() error { _, err := far.WriteInt16LE(-2, 2); return err },
				"WriteUint32":  func() error { _, err := far.WriteUint32BE(7, 4); return err },
				"ReadFloatLE":  func() error { _, err := far.ReadFloatLE(4); return err },
				"BigUint64":    func() error { _, err := far.WriteBigUint64LE(9, 16); return err },
				"Concat":       func() error { _, err := ipcbuf.Concat([]*ipcbuf.Buffer{other.Slice(0, 5), far}); return err },
				"ToJSON":       func() error { _, err := far.ToJSON(); return err },
			}
			for name, call := range calls {
				qt.Assert(t, call(), qt.ErrorIs, ipcbuf.ErrFault, qt.Commentf(name))
			}
			qt.Assert(t, far.String(), qt.Equals, "<Buffer fault>")
			// A single number names the offset of the fault in the view:
			// one of its bytes (a build may load them one by one, as the
			// race detector's does, last byte first).
			_, err = far.ReadUint32BE(100)
			qt.Assert(t, errors.As(err, &fe), qt.IsTrue, qt.Commentf("%v", err))
			qt.Assert(t, fe.Offset >= 100 && fe.Offset < 104, qt.IsTrue, qt.Commentf("offset %d", fe.Offset))
			qt.Assert(t, err, qt.ErrorMatches, `readUInt32BE .*: memory fault at offset 10[0-3]: .*`)

			// What is left is usable.
			s, err := b.ToString("", 0, 10)
			qt.Assert(t, err, qt.IsNil)
			qt.Assert(t, s, qt.Equals, "still here")
			n, err := b.WriteUint32LE(0xdeadbeef, 4092)
			qt.Assert(t, err, qt.IsNil)
			qt.Assert(t, n, qt.Equals, 4096)
			qt.Assert(t, b.Sync(), qt.IsNil)
		})
	}
}

// TestTruncatedWhileReading truncates the object while goroutines read and
// write it through Buffer methods: each call either works or returns
// ErrFault, and nothing crashes.
func TestTruncatedWhileReading(t *testing.T) {
	for target, path := range truncatable(t) {
		t.Run(target, func(t *testing.T) {
			b := open(t, target, 4<<20)
			var wg sync.WaitGroup
			stop := make(chan struct{})
			faults := make([]atomic.Int64, 4)
			for g := range faults {
				wg.Add(1)
				go func() {
					defer wg.Done()
					p := make([]byte, 64<<10)
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						off := int64(i*4096) % int64(b.Len()-len(p))
						var err error
						if g%2 == 0 {
							_, err = b.ReadAt(p, off)
						} else {
							_, err = b.WriteAt(p, off)
						}
						if err != nil {
							if !errors.Is(err, ipcbuf.ErrFault) {
								t.Errorf("goroutine %d: %v", g, err)
								return
							}
							faults[g].Add(1)
						}
					}
				}()
			}
			startChild(t, "truncate", path)
			for sum := int64(0); sum == 0; {
				runtime.Gosched()
				sum = faults[0].Load() + faults[1].Load() + faults[2].Load() + faults[3].Load()
			}
			close(stop)
			wg.Wait()
			t.Logf("faults seen by the goroutines: %d %d %d %d", faults[0].Load(), faults[1].Load(), faults[2].Load(), faults[3].Load())
		})
	}
}

// TestReadOnlyRefusesWrites is reliability scenario 15: on a read-only
// buffer every method that writes returns ErrReadOnly, and nothing faults.
func TestReadOnlyRefusesWrites(t *testing.T) {
	forKinds(t, func(t *testing.T, kc kindCase) {
		target := kc.target(t)
		rw := open(t, target, 4096)
		copy(rw.Bytes(), "original")
		ro := open(t, target, 0, ipcbuf.ReadOnly())
		src, _ := ipcbuf.Alloc(16)
		for name, call := range map[string]func() error{
			"WriteAt":       func() error { _, err := ro.WriteAt([]byte("x"), 0); return err },
			"Write":         func() error { _, err := ro.Write("x", 0, ""); return err },
			"WriteLength":   func() error { _, err := ro.WriteLength("x", 0, 1, ""); return err },
			"Fill":          func() error { return ro.Fill(1, 0, 10, "") },
			"Copy into":     func() error { _, err := src.Copy(ro, 0, 0, 16); return err },
			"Swap16":        func() error { return ro.Swap16() },
			"Swap32":        func() error { return ro.Swap32() },
			"Swap64":        func() error { return ro.Swap64() },
			"WriteUint8":    func() error { _, err := ro.WriteUint8(1, 0); return err },
			"WriteIntLE":    func() error { _, err := ro.WriteIntLE(1, 0, 3); return err },
			"WriteBigInt64": func() error { _, err := ro.WriteBigInt64BE(1, 0); return err },
			"WriteFloatLE":  func() error { _, err := ro.WriteFloatLE(1, 0); return err },
			"view write":    func() error { _, err := ro.Slice(1, 5).Write("y", 0, ""); return err },
		} {
			qt.Assert(t, call(), qt.ErrorIs, ipcbuf.ErrReadOnly, qt.Commentf(name))
		}
		// Reading works, and nothing changed.
		s, err := ro.ToString("", 0, 8)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, s, qt.Equals, "original")
		n, err := ro.Copy(src, 0, 0, 8)
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, n, qt.Equals, 8)
	})
}

// staleSliceChild takes a slice with Bytes, closes the buffer and then
// checks that the slice's addresses are not given to new mappings and that
// touching the slice faults instead of reading anything.
func staleSliceChild(target string) int {
	b, err := ipcbuf.Open(target, 1<<16)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	stale := b.Bytes()
	copy(stale, "secret")
	if err := b.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(stale)))
	hi := lo + uintptr(len(stale))
	// New mappings of the same size go elsewhere: the addresses are held.
	var keep []*ipcbuf.Buffer
	for i := range 64 {
		nb, err := ipcbuf.Open(target, 1<<16)
		if err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 1
		}
		p := uintptr(unsafe.Pointer(unsafe.SliceData(nb.Bytes())))
		if p+1<<16 > lo && p < hi {
			fmt.Printf("reused: mapping %d at %#x overlaps the closed one at %#x\n", i, p, lo)
			return 1
		}
		keep = append(keep, nb)
	}
	// Touching the stale slice faults.
	faulted := func() (faulted bool) {
		old := debug.SetPanicOnFault(true)
		defer debug.SetPanicOnFault(old)
		defer func() { faulted = recover() != nil }()
		staleSink = stale[0] // a real load: the compiler drops "_ = stale[0]"
		return false
	}()
	runtime.KeepAlive(b)
	for _, nb := range keep {
		nb.Close()
	}
	fmt.Printf("faulted=%v\n", faulted)
	return 0
}

var staleSink byte

// TestBytesAfterClose checks, in a child process because a failure there
// could crash, that a slice from Bytes used after Close faults and never
// reaches another mapping.
func TestBytesAfterClose(t *testing.T) {
	forKinds(t, func(t *testing.T, kc kindCase) {
		target := kc.target(t)
		out := startChild(t, "stale-slice", target)
		qt.Assert(t, strings.TrimSpace(out), qt.Equals, "faulted=true")
	})
}

// TestBytesReservationReleased: after Close and collection, a buffer whose
// memory Bytes handed out leaves no mapping behind.
func TestBytesReservationReleased(t *testing.T) {
	requireKind(t, ipcbuf.KindPOSIX)
	before := len(procMaps(t))
	for range 200 {
		b, err := ipcbuf.OpenShm(shmName(t), 1<<16)
		qt.Assert(t, err, qt.IsNil)
		b.Bytes()[0] = 1
		qt.Assert(t, b.Remove(), qt.IsNil)
		qt.Assert(t, b.Close(), qt.IsNil)
	}
	collect(t, "releasing 200 reservations", func() bool { return len(procMaps(t)) <= before+20 })
	_, err := os.Stat("/dev/shm/" + testPrefix)
	qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist)
}
