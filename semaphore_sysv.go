//go:build cgo && linux && !ipcbuf_nosysv

package ipcbuf

import (
	"context"
	"fmt"
	"syscall"
	"time"

	"github.com/ipcbuf/ipcbuf/cshim"
)

// semInitWait bounds how long opening an existing System V set waits for
// its creator to initialise it (see OpenSemaphore).
const semInitWait = time.Second

// sysvSem is a System V semaphore set of one. The kernel holds it by id;
// this process holds nothing, so Close only marks it closed (after any
// call in progress, which the guard bounds). key and ctime identify the
// set, so that Remove after Close removes it only if the id still names
// it.
type sysvSem struct {
	g     semGuard
	id    int
	key   int32
	ctime int64
	flags int // cshim.SemUndo or 0
}

func openSysVSem(key, value int, o options) (semImpl, error) {
	k := int32(uint32(key))
	id, created, err := createOrOpen(o, 1, "semaphore set",
		func() (int, error) {
			return cshim.Semget(k, 1, cshim.IPCCreat|cshim.IPCExcl|int(o.mode))
		},
		func() (int, error) { return cshim.Semget(k, 0, 0) })
	if err != nil {
		if err == syscall.ENOENT {
			err = notASemaphoreSet(k, err)
		}
		return nil, err
	}
	if created {
		err = initSysVSem(id, value)
	} else {
		err = awaitSysVInit(id)
	}
	var info cshim.SemInfo
	if err == nil {
		info, err = cshim.SemStat(id)
	}
	if err == nil && info.NSems != 1 {
		err = invalid("the System V set has %d semaphores; ipcbuf uses sets of one", info.NSems)
	}
	if err != nil {
		if created {
			_ = cshim.SemRmid(id)
		}
		return nil, err
	}
	s := &sysvSem{id: id, key: k, ctime: info.CTime}
	if o.semUndo {
		s.flags = cshim.SemUndo
	}
	return s, nil
}

// initSysVSem gives a new set its value with one semop, which also sets
// sem_otime: Stevens's sign for openers that the set is ready. The op has
// no SEM_UNDO, so the value stays when the creator exits. Value 0 is a
// wait-for-zero that succeeds at once, for the same mark.
func initSysVSem(id, value int) error {
	flags := 0
	if value == 0 {
		flags = cshim.IPCNoWait
	}
	for {
		err := cshim.Semop(id, value, flags)
		if err != syscall.EINTR {
			if err != nil {
				err = fmt.Errorf("initialising the new set: %w", err)
			}
			return err
		}
	}
}

// awaitSysVInit waits, at most semInitWait, until set id shows that its
// creator initialised it: a semop happened (sem_otime) or someone set its
// value (GETPID is the pid of the last semop or SETVAL; 0 on a set no one
// touched since semget). Python's sysv_ipc initialises with SETVAL alone,
// which leaves sem_otime 0 until the first acquire or release.
func awaitSysVInit(id int) error {
	deadline := time.Now().Add(semInitWait)
	pause := 100 * time.Microsecond
	for {
		info, err := cshim.SemStat(id)
		if err != nil {
			return err
		}
		if info.OTime != 0 {
			return nil
		}
		pid, err := cshim.SemGetpid(id)
		if err != nil || pid != 0 {
			return err
		}
		if time.Now().After(deadline) {
			return nil // no one will: use it as it is
		}
		time.Sleep(pause)
		pause = min(2*pause, 10*time.Millisecond)
	}
}

// notASemaphoreSet adds to a "does not exist" error when the key names a
// System V shared memory segment, a common mix-up: both are keys.
func notASemaphoreSet(key int32, err error) error {
	if _, serr := cshim.Shmget(key, 0, 0); serr == nil {
		return fmt.Errorf("no semaphore set with this key (it names a System V shared memory segment, not a semaphore set): %w", err)
	}
	return err
}

func removeSysVSem(key int) error {
	k := int32(uint32(key))
	id, err := cshim.Semget(k, 0, 0)
	if err == syscall.ENOENT {
		return notASemaphoreSet(k, err)
	}
	if err != nil {
		return err
	}
	return cshim.SemRmid(id)
}

// sysvErr turns what semop says about a set that is gone into an error
// that says so.
func sysvErr(err error) error {
	if err == syscall.EIDRM || err == syscall.EINVAL {
		return errSemRemoved
	}
	return err
}

func (s *sysvSem) post() error {
	if err := s.g.enter(); err != nil {
		return err
	}
	defer s.g.leave()
	for {
		err := cshim.Semop(s.id, 1, s.flags)
		switch err {
		case syscall.EINTR:
			semEINTRs.Add(1)
			continue
		case syscall.ERANGE:
			return semFull(semValueMaxSysV, err)
		}
		return sysvErr(err)
	}
}

func (s *sysvSem) tryWait() (bool, error) {
	if err := s.g.enter(); err != nil {
		return false, err
	}
	defer s.g.leave()
	return s.waitLocked(0)
}

// waitLocked decrements the semaphore, waiting at most d (0: not at all).
// A signal's EINTR is retried with the time left.
func (s *sysvSem) waitLocked(d time.Duration) (bool, error) {
	end := time.Now().Add(d)
	for {
		var err error
		if d <= 0 {
			err = cshim.Semop(s.id, -1, s.flags|cshim.IPCNoWait)
		} else {
			err = cshim.Semtimedop(s.id, -1, s.flags, d)
		}
		switch err {
		case nil:
			return true, nil
		case syscall.EAGAIN:
			return false, nil
		case syscall.EINTR:
			semEINTRs.Add(1)
			if d > 0 {
				if d = time.Until(end); d <= 0 {
					d = 0 // one last try without blocking
				}
			}
			continue
		}
		return false, sysvErr(err)
	}
}

func (s *sysvSem) wait(ctx context.Context, deadline time.Time) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		slice, ok := semSlice(deadline)
		if err := s.g.enter(); err != nil {
			return err
		}
		got, err := s.waitLocked(slice)
		s.g.leave()
		if got || err != nil {
			return err
		}
		if !ok {
			return ErrTimeout
		}
	}
}

func (s *sysvSem) value() (int, error) {
	if err := s.g.enter(); err != nil {
		return 0, err
	}
	defer s.g.leave()
	v, err := cshim.SemGetval(s.id)
	return v, sysvErr(err)
}

func (s *sysvSem) close() error { return s.g.shut(func() error { return nil }) }

// remove removes the set this Semaphore opened. After Close, it first
// checks that the id still names that set (same key, same ctime), since
// the kernel reuses ids.
func (s *sysvSem) remove() error {
	s.g.mu.RLock()
	closed := s.g.closed
	s.g.mu.RUnlock()
	if closed {
		info, err := cshim.SemStat(s.id)
		if err == syscall.EINVAL || err == syscall.EIDRM {
			return errSemGone
		}
		if err != nil {
			return err
		}
		if info.Key != s.key || info.CTime != s.ctime {
			return fmt.Errorf("the set this Semaphore opened was removed or changed since it was closed (its id now names a set with key 0x%08x); use RemoveSemaphore: %w",
				uint32(info.Key), errSemGone)
		}
	}
	err := cshim.SemRmid(s.id)
	if err == syscall.EINVAL || err == syscall.EIDRM {
		return errSemGone
	}
	return err
}
