//go:build cgo && linux && !ipcbuf_nosysv

package ipcbuf

import (
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	qt "github.com/frankban/quicktest"

	"github.com/ipcbuf/ipcbuf/cshim"
)

var rawSemSeq atomic.Int32

// rawSemSet makes a System V set of one with semget alone, as a creator
// that has not initialised it yet leaves it, and removes it at the end.
func rawSemSet(t *testing.T) (key int, id int) {
	t.Helper()
	key = 0x4f000000 | (os.Getpid()&0xffff)<<8 | int(rawSemSeq.Add(1)&0xff)
	id, err := cshim.Semget(int32(key), 1, cshim.IPCCreat|cshim.IPCExcl|0o600)
	qt.Assert(t, err, qt.IsNil)
	t.Cleanup(func() { cshim.SemRmid(id) })
	return key, id
}

// TestSysVOpenWaitsForCreator: an opener that finds a set its creator has
// not initialised yet waits for the initialising semop instead of using
// the set's 0 (Stevens's race).
func TestSysVOpenWaitsForCreator(t *testing.T) {
	key, id := rawSemSet(t)
	time.AfterFunc(100*time.Millisecond, func() { initSysVSem(id, 7) })
	s, err := OpenSemaphore(strconv.Itoa(key), 0, OpenOnly())
	qt.Assert(t, err, qt.IsNil)
	defer s.Close()
	v, err := s.Value()
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, v, qt.Equals, 7, qt.Commentf("the opener used the set before its creator gave it its value"))
}

// TestSysVOpenNeverInitialised: a set no one initialises (its creator
// died, or made it with semget alone) is used as it is after the bounded
// wait: no hang.
func TestSysVOpenNeverInitialised(t *testing.T) {
	key, _ := rawSemSet(t)
	start := time.Now()
	s, err := OpenSemaphore(strconv.Itoa(key), 0, OpenOnly())
	qt.Assert(t, err, qt.IsNil)
	defer s.Close()
	qt.Assert(t, time.Since(start) >= semInitWait, qt.IsTrue, qt.Commentf("gave up before the bound"))
	v, err := s.Value()
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, v, qt.Equals, 0)
	qt.Assert(t, s.Post(), qt.IsNil)
}

// TestSysVSetOfOneOnly: a set of two is not a semaphore OpenSemaphore
// uses.
func TestSysVSetOfOneOnly(t *testing.T) {
	key := 0x4f000000 | (os.Getpid()&0xffff)<<8 | int(rawSemSeq.Add(1)&0xff)
	id, err := cshim.Semget(int32(key), 2, cshim.IPCCreat|cshim.IPCExcl|0o600)
	qt.Assert(t, err, qt.IsNil)
	t.Cleanup(func() { cshim.SemRmid(id) })
	qt.Assert(t, initSysVSem(id, 1), qt.IsNil)
	_, err = OpenSemaphore(strconv.Itoa(key), 0)
	qt.Assert(t, err, qt.ErrorMatches, `open 0x.*: the System V set has 2 semaphores; ipcbuf uses sets of one`)
	_, err = cshim.SemStat(id)
	qt.Assert(t, err, qt.IsNil, qt.Commentf("a set we did not make is left alone"))
}
