package ipcbuf_test

// Reliability scenario 10 (TESTING.md, "Reliability scenarios"): buffers
// dropped without Close are released by the garbage collector.

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	qt "github.com/frankban/quicktest"

	"github.com/ipcbuf/ipcbuf"
	"github.com/ipcbuf/ipcbuf/internal/testenv"
)

func TestGCDroppedBuffersReleased(t *testing.T) {
	const perKind, reps = 40, 3
	forKinds(t, func(t *testing.T, kc kindCase) {
		procMaps(t) // before anything is mapped: it skips where there is none
		dir := testenv.TempDir(t)
		// The objects are made once; each repetition maps them afresh.
		targets := make([]string, perKind)
		needles := make([]string, perKind)
		for j := range targets {
			if kc.kind == ipcbuf.KindFile {
				targets[j] = filepath.Join(dir, fmt.Sprintf("dropped-%d", j))
			} else {
				targets[j] = kc.target(t)
			}
			needles[j] = relMapNeedle(t, kc.kind, targets[j])
		}
		runtime.GC()
		fds := relFDs(t)
		for rep := 0; rep < reps; rep++ {
			var aliases []*ipcbuf.Buffer
			var aliased []string
			func() {
				for j, target := range targets {
					b, err := ipcbuf.Open(target, 16<<10)
					qt.Assert(t, err, qt.IsNil)
					_, err = b.Write(fmt.Sprintf("rep %d buffer %02d", rep, j), 4096, "")
					qt.Assert(t, err, qt.IsNil)
					if j%8 == 0 {
						aliases = append(aliases, b.Slice(4096, 8192))
						aliased = append(aliased, needles[j])
					}
					// b is dropped here, never closed.
				}
			}()
			qt.Assert(t, len(mapped(t, needles...)) >= perKind, qt.IsTrue, qt.Commentf("every buffer mapped"))
			var dropped []string
			for _, n := range needles {
				if !slices.Contains(aliased, n) {
					dropped = append(dropped, n)
				}
			}
			collect(t, "unmapping of the dropped buffers", func() bool { return len(mapped(t, dropped...)) == 0 })
			// The views keep their memory mapped and intact.
			qt.Assert(t, mapped(t, aliased...), qt.HasLen, len(aliased))
			for i, a := range aliases {
				want := fmt.Sprintf("rep %d buffer %02d", rep, 8*i)
				s, err := a.ToString("", 0, len(want))
				qt.Assert(t, err, qt.IsNil)
				qt.Assert(t, s, qt.Equals, want)
			}
			aliases = nil
			collect(t, "unmapping once the views are dropped too", func() bool { return len(mapped(t, needles...)) == 0 })
			qt.Assert(t, relFDDiff(fds, relFDs(t)), qt.Equals, "", qt.Commentf("descriptors"))

			// What was written reached the object.
			for j, target := range targets {
				want := fmt.Sprintf("rep %d buffer %02d", rep, j)
				var got []byte
				switch kc.kind {
				case ipcbuf.KindFile, ipcbuf.KindPOSIX:
					data, err := os.ReadFile(needles[j])
					qt.Assert(t, err, qt.IsNil)
					qt.Assert(t, len(data), qt.Equals, 16<<10)
					got = data[4096 : 4096+len(want)]
				default:
					b, err := ipcbuf.Open(target, 0, ipcbuf.ReadOnly())
					qt.Assert(t, err, qt.IsNil)
					got = make([]byte, len(want))
					_, err = b.ReadAt(got, 4096)
					qt.Assert(t, err, qt.IsNil)
					qt.Assert(t, b.Close(), qt.IsNil)
				}
				qt.Assert(t, string(got), qt.Equals, want, qt.Commentf("object %d", j))
			}
		}
		if kc.kind == ipcbuf.KindSysV {
			for _, target := range targets {
				_, _, key, _ := ipcbuf.ParseTarget(target)
				for _, s := range sysvSegs(t) {
					if s.key == int(int32(uint32(key))) {
						qt.Assert(t, s.nattch, qt.Equals, 0, qt.Commentf("key %#x still attached", key))
					}
				}
			}
		}
		for _, target := range targets {
			qt.Assert(t, ipcbuf.Remove(target), qt.IsNil)
		}
		t.Logf("%d buffers dropped without Close, %d times: all unmapped by the collector, descriptors flat, writes in the objects", perKind, reps)
	})
}
