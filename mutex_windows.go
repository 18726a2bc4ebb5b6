//go:build cgo && windows

package ipcbuf

// The Mutex on Windows: a named Win32 mutex (CreateMutexW) does the
// waiting and tells of a dead owner (WAIT_ABANDONED); the MutexSize bytes
// in the buffer name it and keep what Windows does not: whether the data
// is consistent, and who holds the lock. See Mutex for the layout.
//
// A Win32 mutex belongs to a thread, and only that thread may release it,
// while a goroutine moves between threads and any goroutine of the process
// may Unlock an ipcbuf Mutex. So each process keeps, for each mutex it
// uses, one goroutine locked to its OS thread (a mutexProc): it alone
// waits on the Win32 mutex and releases it, on behalf of the goroutines
// that ask. Only one goroutine of the process at a time asks it to wait
// (the token): the others queue in Go, as they would behind the holder. A
// Win32 mutex is recursive for its thread, and the token keeps the worker
// from taking it twice.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/ipcbuf/ipcbuf/cshim"
	"github.com/ipcbuf/ipcbuf/internal/shatomic"
)

// The state word on Windows (offset 0); see Mutex.
const (
	mutexWinIncons   = 1 << 31 // the holder took over from a dead owner
	mutexWinNotRecov = 1 << 30 // unlocked without MarkConsistent
)

// mutexWinSlice bounds each wait of the worker: a waiting Lock comes back
// to Go at least this often to notice that its buffer was closed, that its
// deadline passed or that Reset gave the mutex a new name. A cancelled
// context ends the wait at once (the worker's event).
const mutexWinSlice = 50 * time.Millisecond

// mutexWinIdle is how long a process keeps a mutex's handle and worker
// after its last use, so that a Lock and Unlock in a loop do not open and
// close them every time.
const mutexWinIdle = time.Second

// mutexWinName is the Win32 name of the mutex whose id is id. Global\,
// whatever the buffer's namespace: processes in different sessions that
// share a Global\ section must share its mutex, and a name local to each
// session would give each its own mutex, silently. Making a mutex in
// Global\ needs no privilege (only sections and symbolic links do).
func mutexWinName(id uint64) string { return fmt.Sprintf(`Global\ipcbuf.mutex.%016x`, id) }

// mutexWinPid is this process as the owner field records it.
var mutexWinPid = uint32(os.Getpid())

// mutexWinUnpack splits the 64-bit word at offset 0 (Windows is always
// little-endian): the state is its low half, the owner its high half.
func mutexWinUnpack(v uint64) (state, owner uint32) { return uint32(v), uint32(v >> 32) }

func mutexWinPack(state, owner uint32) uint64 { return uint64(state) | uint64(owner)<<32 }

// mutexWinValid reports whether the 16 bytes hold a state the mutex
// writes.
func mutexWinValid(v, id uint64) bool {
	state, owner := mutexWinUnpack(v)
	switch {
	case id == 0: // never used, or Reset
		return v == 0
	case state == 0:
		return true // unlocked (owner 0), or locked by owner
	case state == mutexWinIncons:
		return owner != 0
	case state == mutexWinNotRecov:
		return owner == 0
	}
	return false
}

func newNamedMutex(b *Buffer, off int) (*Mutex, error) {
	m := &Mutex{b: b, off: off}
	if err := m.winDo("mutex", func(p *uint64) error {
		if !mutexWinValid(shatomic.LoadUint64(p), shatomic.LoadUint64(mutexReservedOf(p))) {
			return m.corrupt("mutex", p)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	return m, nil
}

// winDo runs f on the mutex's 16 bytes (p: the word at offset 0) under
// the buffer's lease.
func (m *Mutex) winDo(op string, f func(p *uint64) error) (err error) {
	p, l, err := m.b.mutexWord(op, m.off)
	if err != nil {
		return err
	}
	defer l.release(&err)
	return f(p)
}

// winID returns the mutex's id, giving it one if it has none: the first
// user writes a random one with a compare-and-swap, so that every process
// derives the same name from the bytes.
func (m *Mutex) winID(op string) (id uint64, err error) {
	err = m.winDo(op, func(p *uint64) error {
		idp := mutexReservedOf(p)
		for {
			id = shatomic.LoadUint64(idp)
			if !mutexWinValid(shatomic.LoadUint64(p), id) {
				return m.corrupt(op, p)
			}
			if id != 0 {
				return nil
			}
			if next := rand.Uint64(); next != 0 && shatomic.CompareAndSwapUint64(idp, 0, next) {
				id = next
				return nil
			}
		}
	})
	return id, err
}

// mutexProc is this process's side of one Win32 mutex: its handle, and
// the worker goroutine, locked to its thread, that waits on it and
// releases it.
type mutexProc struct {
	id    uint64
	h     syscall.Handle // the Win32 mutex
	ev    syscall.Handle // an auto-reset event that cuts the worker's wait short
	reqs  chan mutexReq  // to the worker
	token chan struct{}  // taken by the goroutine locking, and while this process holds the mutex

	mu   sync.Mutex // orders Unlock, MarkConsistent and Reset on held
	held bool       // this process holds the mutex (the worker's thread owns it)

	refs int         // users: goroutines in a method, and one while held (under mutexProcs.mu)
	idle *time.Timer // closes the handles when refs has stayed 0 for mutexWinIdle
}

// mutexReq asks the worker to wait up to ms for the mutex, or to release
// it.
type mutexReq struct {
	release bool
	ms      uint32
	reply   chan mutexRep
}

type mutexRep struct {
	r   uint32 // what the wait returned: cshim.WaitObject0, WaitAbandoned, WaitTimeout, or WaitObject0+1 (the event)
	err error
}

// mutexProcs holds this process's mutexProcs by id.
var mutexProcs struct {
	sync.Mutex
	m map[uint64]*mutexProc
}

// mutexProcGet returns the mutexProc of id with one more reference,
// opening the Win32 mutex and starting the worker if needed.
func mutexProcGet(id uint64) (*mutexProc, error) {
	mutexProcs.Lock()
	defer mutexProcs.Unlock()
	p := mutexProcs.m[id]
	if p == nil {
		name := mutexWinName(id)
		h, _, err := cshim.WinMutexCreate(name)
		if err != nil {
			if err == errorInvalidHandle {
				err = fmt.Errorf("%s is a Windows object of another type, not a mutex: %w", name, err)
			}
			return nil, fmt.Errorf("CreateMutexW %s: %w", name, err)
		}
		ev, err := cshim.WinEventCreate()
		if err != nil {
			_ = cshim.WinCloseHandle(h)
			return nil, fmt.Errorf("CreateEventW: %w", err)
		}
		p = &mutexProc{id: id, h: h, ev: ev, reqs: make(chan mutexReq), token: make(chan struct{}, 1)}
		go p.work()
		if mutexProcs.m == nil {
			mutexProcs.m = make(map[uint64]*mutexProc)
		}
		mutexProcs.m[id] = p
	}
	if p.idle != nil {
		p.idle.Stop()
		p.idle = nil
	}
	p.refs++
	return p, nil
}

// mutexProcFind returns the mutexProc of id with one more reference, or
// nil if this process has none.
func mutexProcFind(id uint64) *mutexProc {
	mutexProcs.Lock()
	defer mutexProcs.Unlock()
	p := mutexProcs.m[id]
	if p != nil {
		if p.idle != nil {
			p.idle.Stop()
			p.idle = nil
		}
		p.refs++
	}
	return p
}

// put drops a reference; the last one arms the idle timer, which stops
// the worker and closes the handles unless the mutex is used again first.
func (p *mutexProc) put() {
	mutexProcs.Lock()
	defer mutexProcs.Unlock()
	p.refs--
	if p.refs > 0 {
		return
	}
	var t *time.Timer
	t = time.AfterFunc(mutexWinIdle, func() {
		mutexProcs.Lock()
		defer mutexProcs.Unlock()
		if p.refs > 0 || p.idle != t || mutexProcs.m[p.id] != p {
			return // used again meanwhile
		}
		delete(mutexProcs.m, p.id)
		close(p.reqs) // the worker, idle since refs is 0, ends
		_ = cshim.WinCloseHandle(p.h)
		_ = cshim.WinCloseHandle(p.ev)
	})
	p.idle = t
}

// work is the worker: the one thread that waits on and releases the
// mutex. It never leaves its thread while it runs.
func (p *mutexProc) work() {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for q := range p.reqs {
		var rep mutexRep
		if q.release {
			rep.err = cshim.WinMutexRelease(p.h)
		} else {
			rep.r, rep.err = cshim.WinWait2(p.h, p.ev, q.ms)
		}
		q.reply <- rep
	}
}

// call has the worker do q; the caller holds a reference.
func (p *mutexProc) call(q mutexReq) mutexRep {
	q.reply = make(chan mutexRep, 1)
	p.reqs <- q
	return <-q.reply
}

// release has the worker release the mutex; the caller holds the token.
func (p *mutexProc) release() error {
	if err := p.call(mutexReq{release: true}).err; err != nil {
		return fmt.Errorf("ReleaseMutex: %w", err)
	}
	return nil
}

// errMutexRenamed says that Reset gave the mutex a new id while a Lock
// waited: it starts again under the new name.
var errMutexRenamed = errors.New("ipcbuf: the mutex was reset")

// lockNamed is Mutex.lock on Windows.
func (m *Mutex) lockNamed(op string, ctx context.Context, deadline time.Time, try bool) (bool, error) {
	for {
		if ctx != nil {
			if err := ctx.Err(); err != nil {
				return false, m.b.pathError(op, err)
			}
		}
		id, err := m.winID(op)
		if err != nil {
			return false, err
		}
		p, err := mutexProcGet(id)
		if err != nil {
			return false, m.b.pathError(op, err)
		}
		ok, err := m.lockProc(op, p, id, ctx, deadline, try)
		if ok {
			return true, err // the reference stays with the hold
		}
		p.put()
		if err != errMutexRenamed {
			return false, err
		}
	}
}

// lockProc locks m through p, whose id is id: first the token, which
// makes this goroutine the one of its process that waits, then the Win32
// mutex. On true the process holds m, and keeps the token and the
// reference to p until Unlock.
func (m *Mutex) lockProc(op string, p *mutexProc, id uint64, ctx context.Context, deadline time.Time, try bool) (bool, error) {
	var done <-chan struct{}
	if ctx != nil {
		done = ctx.Done()
	}
	// between looks at what may end a wait: it returns the error that
	// ends it, or nil to wait on.
	between := func() error {
		if ctx != nil && ctx.Err() != nil {
			return m.b.pathError(op, ctx.Err())
		}
		if !deadline.IsZero() && !time.Now().Before(deadline) {
			return m.b.pathError(op, ErrTimeout)
		}
		now, err := m.winID(op) // the buffer still open, and the mutex the same
		switch {
		case err != nil:
			return err
		case now != id:
			return errMutexRenamed
		}
		return nil
	}

	// The token: another goroutine of this process holds m, or is waiting
	// for it.
	select {
	case p.token <- struct{}{}:
	default:
		if try {
			return false, nil
		}
		for got := false; !got; {
			d := mutexWinSlice
			if !deadline.IsZero() {
				d = min(d, max(time.Until(deadline), 0))
			}
			timer := time.NewTimer(d)
			select {
			case p.token <- struct{}{}:
				got = true
			case <-done:
			case <-timer.C:
			}
			timer.Stop()
			if !got {
				if err := between(); err != nil {
					return false, err
				}
			}
		}
	}
	giveBack := func() { <-p.token }

	// The Win32 mutex, in slices.
	if done != nil {
		stop := context.AfterFunc(ctx, func() { _ = cshim.WinEventSet(p.ev) })
		defer stop()
	}
	var abandoned bool
	for {
		ms := uint32(0)
		if !try {
			d := mutexWinSlice
			if !deadline.IsZero() {
				d = min(d, max(time.Until(deadline), 0))
			}
			ms = uint32((d + time.Millisecond - 1) / time.Millisecond)
		}
		rep := p.call(mutexReq{ms: ms})
		if rep.err != nil {
			giveBack()
			return false, m.b.pathError(op, fmt.Errorf("WaitForMultipleObjects: %w", rep.err))
		}
		if rep.r == cshim.WaitObject0 || rep.r == cshim.WaitAbandoned {
			abandoned = rep.r == cshim.WaitAbandoned
			break
		}
		if try {
			giveBack()
			return false, nil
		}
		if err := between(); err != nil {
			giveBack()
			return false, err
		}
	}

	// Held: now the bytes say what it means.
	var dead uint32
	err := m.winDo(op, func(w *uint64) error {
		for {
			v := shatomic.LoadUint64(w)
			state, owner := mutexWinUnpack(v)
			switch now := shatomic.LoadUint64(mutexReservedOf(w)); {
			case !mutexWinValid(v, now):
				return m.corrupt(op, w)
			case now != id:
				return errMutexRenamed
			case state == mutexWinNotRecov:
				return m.b.pathError(op, ErrNotRecoverable)
			}
			// The Win32 mutex was abandoned, or its owner had no time to
			// clear the owner field: the handles of a dead owner that
			// was the last to have the mutex open closed with it, and the
			// mutex was made anew, unowned.
			next := mutexWinPack(0, mutexWinPid)
			if abandoned || owner != 0 || state == mutexWinIncons {
				next = mutexWinPack(mutexWinIncons, mutexWinPid)
			}
			if shatomic.CompareAndSwapUint64(w, v, next) {
				if state, _ := mutexWinUnpack(next); state == mutexWinIncons {
					dead = owner
					return ErrOwnerDead
				}
				return nil
			}
		}
	})
	if err != nil && err != ErrOwnerDead {
		if rerr := p.release(); rerr != nil {
			err = errors.Join(err, m.b.pathError(op, rerr))
		}
		giveBack()
		return false, err
	}
	p.mu.Lock()
	p.held = true
	p.mu.Unlock()
	if err == ErrOwnerDead {
		who := "its owner's thread ended without releasing it"
		if dead != 0 {
			who = fmt.Sprintf("it was pid %d", dead)
		}
		return true, m.b.pathError(op, fmt.Errorf("%w (%s)", ErrOwnerDead, who))
	}
	return true, nil
}

// heldProc returns this process's mutexProc for m with p.mu locked, if
// this process holds m; otherwise the error that says who does. The
// caller unlocks p.mu and puts p.
func (m *Mutex) heldProc(op string) (*mutexProc, error) {
	var v, id uint64
	if err := m.winDo(op, func(w *uint64) error {
		v, id = shatomic.LoadUint64(w), shatomic.LoadUint64(mutexReservedOf(w))
		if !mutexWinValid(v, id) {
			return m.corrupt(op, w)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if id != 0 {
		if p := mutexProcFind(id); p != nil {
			p.mu.Lock()
			if p.held {
				return p, nil
			}
			p.mu.Unlock()
			p.put()
		}
	}
	state, owner := mutexWinUnpack(v)
	var who string
	switch {
	case state == mutexWinNotRecov:
		who = "is not recoverable and not locked"
	case owner == 0:
		who = "is not locked"
	default:
		who = fmt.Sprintf("is held by pid %d", owner)
	}
	return nil, m.b.pathError(op, &mutexNotOwnerError{fmt.Sprintf("the mutex at offset %d %s, not by this process (pid %d)", m.off, who, mutexWinPid)})
}

// unlockNamed is Mutex.Unlock on Windows.
func (m *Mutex) unlockNamed() error {
	p, err := m.heldProc("unlock")
	if err != nil {
		return err
	}
	defer p.put()
	defer p.mu.Unlock()
	err = m.winDo("unlock", func(w *uint64) error {
		for {
			v := shatomic.LoadUint64(w)
			state, _ := mutexWinUnpack(v)
			if !mutexWinValid(v, shatomic.LoadUint64(mutexReservedOf(w))) {
				return m.corrupt("unlock", w)
			}
			if state == mutexWinIncons {
				if shatomic.CompareAndSwapUint64(w, v, mutexWinPack(mutexWinNotRecov, 0)) {
					return m.b.pathError("unlock", fmt.Errorf("%w: unlocked without MarkConsistent after ErrOwnerDead", ErrNotRecoverable))
				}
				continue
			}
			if shatomic.CompareAndSwapUint64(w, v, 0) {
				return nil
			}
		}
	})
	if err != nil && !errors.Is(err, ErrNotRecoverable) {
		return err // still held, as on Linux: the bytes could not be changed
	}
	if rerr := p.release(); rerr != nil {
		return errors.Join(err, m.b.pathError("unlock", rerr))
	}
	p.held = false
	<-p.token
	p.put() // the hold's reference
	return err
}

// markConsistentNamed is Mutex.MarkConsistent on Windows.
func (m *Mutex) markConsistentNamed() error {
	p, err := m.heldProc("markconsistent")
	if err != nil {
		return err
	}
	defer p.put()
	defer p.mu.Unlock()
	return m.winDo("markconsistent", func(w *uint64) error {
		for {
			v := shatomic.LoadUint64(w)
			state, owner := mutexWinUnpack(v)
			if state != mutexWinIncons || shatomic.CompareAndSwapUint64(w, v, mutexWinPack(0, owner)) {
				return nil
			}
		}
	})
}

// resetNamed is Mutex.Reset on Windows: all 16 bytes zeroed, so the next
// Lock names a new Win32 mutex, and waiters in every process move to it
// within mutexWinSlice. If this process held the old one, it lets it go.
func (m *Mutex) resetNamed() error {
	var id uint64
	if err := m.winDo("reset", func(w *uint64) error {
		id = shatomic.SwapUint64(mutexReservedOf(w), 0)
		shatomic.StoreUint64(w, 0)
		return nil
	}); err != nil {
		return err
	}
	if id == 0 {
		return nil
	}
	p := mutexProcFind(id)
	if p == nil {
		return nil
	}
	defer p.put()
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.held {
		return nil
	}
	err := p.release()
	p.held = false
	<-p.token
	p.put() // the hold's reference
	if err != nil {
		return m.b.pathError("reset", err)
	}
	return nil
}
