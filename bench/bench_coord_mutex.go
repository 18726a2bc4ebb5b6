package main

// The robust mutex in both coordination groups: the hand-off of group 8
// and the uncontended Lock+Unlock of group 9.

import (
	"fmt"

	"github.com/ipcbuf/ipcbuf"
)

const coordKindMutex = "mutex"

// The hand-off's layout in its shared object: three mutexes and the turn
// word, on cache lines of their own.
const coordTurnOff = 3 * coordLine

// coordMutexOff is the offset of mutex i of the hand-off's three.
func coordMutexOff(i int) int { return i * coordLine }

func init() {
	coordServes[coordKindMutex] = serveShared(mutexAnswer)
	coordEntries = append(coordEntries, coordEntry{coordOrderMutex, newMutexContender})
	uncMutexContender = ipcbufMutexContender
}

// The robust mutex hand-off: three Mutexes passed round as a baton, as in
// csem/pingpong.c's mutex mode. This process starts holding mutexes 0 and
// 1, the child mutex 2; at step j this side advances the turn word, unlocks
// mutex j%3 and locks mutex (j+2)%3, which the child unlocks only after it
// has locked mutex j%3 and advanced the turn itself. So the two strictly
// alternate, and each step hands a mutex to a process blocked on it.

func newMutexContender(cfg *config) (*coordContender, error) {
	return newSharedContender(cfg, coordMutex, coordKindMutex,
		"three Mutexes in POSIX shm passed round as a baton, a turn word under them checked at every step, as the C "+
			"program's mutex hand-off",
		func(b *ipcbuf.Buffer) (func() error, error) {
			ms, err := coordMutexes(b)
			if err != nil {
				return nil, err
			}
			for _, m := range ms[:2] {
				if err := m.Lock(); err != nil {
					return nil, err
				}
			}
			var step uint64
			return func() error {
				if err := advanceTurn(b, 2*step); err != nil {
					return err
				}
				if err := ms[step%3].Unlock(); err != nil {
					return err
				}
				if err := ms[(step+2)%3].Lock(); err != nil {
					return err
				}
				step++
				return nil
			}, nil
		})
}

func coordMutexes(b *ipcbuf.Buffer) ([3]*ipcbuf.Mutex, error) {
	var ms [3]*ipcbuf.Mutex
	for i := range ms {
		m, err := ipcbuf.NewMutex(b, coordMutexOff(i))
		if err != nil {
			return ms, err
		}
		ms[i] = m
	}
	return ms, nil
}

// advanceTurn checks that the turn word says it is this side's step (want)
// and passes the turn on: a mutex that let both sides in at once would
// show here.
func advanceTurn(b *ipcbuf.Buffer, want uint64) error {
	v, err := b.LoadUint64(coordTurnOff)
	if err != nil {
		return err
	}
	if v != want {
		return fmt.Errorf("turn word %d, want %d: the mutexes did not alternate", v, want)
	}
	return b.StoreUint64(coordTurnOff, want+1)
}

func mutexAnswer(b *ipcbuf.Buffer) (func(n int) error, error) {
	ms, err := coordMutexes(b)
	if err != nil {
		return nil, err
	}
	if err := ms[2].Lock(); err != nil { // before "ready": the parent's first step needs it held
		return nil, err
	}
	var step uint64
	return func(n int) error {
		for ; n > 0; n-- {
			if err := ms[step%3].Lock(); err != nil {
				return err
			}
			if err := advanceTurn(b, 2*step+1); err != nil {
				return err
			}
			if err := ms[(step+2)%3].Unlock(); err != nil {
				return err
			}
			step++
		}
		return nil
	}, nil
}

// mutexContender is ipcbuf's Mutex, compared with C's robust mutex, the
// like for like; a second row (alsoVs) compares it with C's plain one.
func ipcbufMutexContender(s *uncShared) (uncContender, error) {
	mu, err := ipcbuf.NewMutex(s.b, uncMutexOff)
	if err != nil {
		return uncContender{}, err
	}
	ct := goOp(uncIpcbuf+" Mutex", uncCRobust, uncTargetLock,
		"a Mutex (MutexSize bytes) in POSIX shm: Lock and Unlock each take the buffer's lease "+
			"(see the atomics) and compare-and-swap the owner word (the pid and its start time)", func(n int) error {
			for range n {
				if err := mu.Lock(); err != nil {
					return err
				}
				if err := mu.Unlock(); err != nil {
					return err
				}
			}
			return nil
		})
	ct.alsoVs = uncCPlain
	return ct, nil
}
