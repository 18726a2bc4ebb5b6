//go:build cgo && linux && !ipcbuf_noposix

package ipcbuf

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"time"

	"github.com/ipcbuf/ipcbuf/cshim"
)

// semT is the size of glibc's sem_t on Linux (32 bytes on 64-bit systems,
// 16 on 32-bit ones): a semaphore's file holds at least this many bytes.
// A shorter one is not a semaphore, and sem_open would map it and fault on
// the first use (SIGBUS), so it is refused.
const semT = 16

// posixSem is a POSIX named semaphore. sem points into glibc's mapping of
// the semaphore's file, which sem_close unmaps: every use holds g's read
// lock, so Close cannot unmap it under a running call.
type posixSem struct {
	g    semGuard
	sem  cshim.Sem
	name string // without '/'
}

// semPath is where glibc keeps the semaphore name on Linux.
func semPath(name string) string { return shmDir + "/sem." + name }

func openPOSIXSem(name string, value int, o options) (semImpl, error) {
	cname := "/" + name
	sem, created, err := createOrOpen(o, 1, "semaphore",
		func() (cshim.Sem, error) {
			return cshim.SemOpen(cname, cshim.OCreat|cshim.OExcl, uint32(o.mode), uint32(value))
		},
		func() (cshim.Sem, error) { return cshim.SemOpen(cname, 0, 0, 0) })
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			err = notASemaphore(name, err)
		}
		return nil, err
	}
	fail := func(err error) (semImpl, error) {
		_ = cshim.SemClose(sem)
		if created {
			_ = cshim.SemUnlink(cname)
		}
		return nil, err
	}
	if created {
		// sem_open applied the umask; give the file the exact bits.
		if err := chmodSemFile(semPath(name), o.mode); err != nil {
			return fail(fmt.Errorf("setting the new semaphore's mode: %w", err))
		}
	} else if fi, err := os.Lstat(semPath(name)); err == nil && fi.Size() < semT {
		return fail(invalid("/dev/shm/sem.%s is %d bytes, too short for a semaphore: it is not one", name, fi.Size()))
	}
	return &posixSem{sem: sem, name: name}, nil
}

// chmodSemFile sets path's permission bits exactly. The file must be a
// regular file of ours: sem_open has just made it, and in /dev/shm, which
// is sticky, no one else but root can replace it in the meantime.
func chmodSemFile(path string, mode fs.FileMode) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	return os.Chmod(path, mode)
}

// notASemaphore adds to a "does not exist" error when the name is taken by
// a POSIX shared memory object, a common mix-up: both are "*name".
func notASemaphore(name string, err error) error {
	if _, serr := os.Stat("/dev/shm/" + name); serr == nil {
		return fmt.Errorf("no semaphore by that name (*%s is a POSIX shared memory object, not a semaphore): %w", name, err)
	}
	return err
}

func removePOSIXSem(name string) error {
	err := cshim.SemUnlink("/" + name)
	if errors.Is(err, fs.ErrNotExist) {
		err = notASemaphore(name, err)
	}
	return err
}

func (p *posixSem) post() error {
	if err := p.g.enter(); err != nil {
		return err
	}
	defer p.g.leave()
	err := cshim.SemPost(p.sem)
	if err == syscall.EOVERFLOW {
		err = semFull(semValueMaxPOSIX, err)
	}
	return err
}

func (p *posixSem) tryWait() (bool, error) {
	if err := p.g.enter(); err != nil {
		return false, err
	}
	defer p.g.leave()
	return p.tryLocked()
}

func (p *posixSem) tryLocked() (bool, error) {
	for {
		switch err := cshim.SemTrywait(p.sem); err {
		case nil:
			return true, nil
		case syscall.EAGAIN:
			return false, nil
		case syscall.EINTR:
			semEINTRs.Add(1)
		default:
			return false, err
		}
	}
}

func (p *posixSem) wait(ctx context.Context, deadline time.Time) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		slice, ok := semSlice(deadline)
		got, err := p.waitSlice(slice, ok)
		if got || err != nil {
			return err
		}
		if !ok {
			return ErrTimeout
		}
	}
}

// waitSlice tries to decrement; if it cannot and block is set, it waits
// for up to d (sem_clockwait on CLOCK_MONOTONIC, retried on EINTR with the
// time left).
func (p *posixSem) waitSlice(d time.Duration, block bool) (bool, error) {
	if err := p.g.enter(); err != nil {
		return false, err
	}
	defer p.g.leave()
	if got, err := p.tryLocked(); got || err != nil || !block {
		return got, err
	}
	now, err := cshim.Monotonic()
	if err != nil {
		return false, err
	}
	end := now + int64(d)
	for {
		switch err := cshim.SemClockwait(p.sem, end); err {
		case nil:
			return true, nil
		case syscall.ETIMEDOUT:
			return false, nil
		case syscall.EINTR:
			semEINTRs.Add(1)
		default:
			return false, err
		}
	}
}

func (p *posixSem) value() (int, error) {
	if err := p.g.enter(); err != nil {
		return 0, err
	}
	defer p.g.leave()
	return cshim.SemGetvalue(p.sem)
}

func (p *posixSem) close() error {
	return p.g.shut(func() error { return cshim.SemClose(p.sem) })
}

func (p *posixSem) remove() error { return removePOSIXSem(p.name) }
