package main

// Group 9: the cost of the coordination primitives when nothing contends:
// Lock+Unlock of a mutex no one else wants, and single atomic operations on
// a word of shared memory, against the same in C (pthread mutexes, gcc's
// __atomic builtins, in csem/uncontended.c) and Go's sync.Mutex and
// sync/atomic. One process, one goroutine; every figure is nanoseconds per
// operation, the loop included, the median of the rounds. The time is the
// thread's CPU time (CLOCK_THREAD_CPUTIME_ID, in C and Go alike), not the
// wall clock's: the machine is shared, and the time another program holds
// the CPU is not the operation's.

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/ipcbuf/ipcbuf"
)

const (
	// uncMutexOps and uncAtomicOps are the operations per sample: from a
	// few milliseconds (C's loads, 0.3 ns each) to a few tenths of a second
	// (ipcbuf's, 60–200 ns each); the thread's CPU clock counts in
	// nanoseconds, so even the shortest sample is timed to well under 1%.
	uncMutexOps  = 1_000_000
	uncAtomicOps = 5_000_000

	uncTargetLock = 0.5 // Lock+Unlock takes at most 2× C's time
)

// The contenders' names.
const (
	uncIpcbuf  = "ipcbuf"
	uncCRobust = "C robust pthread mutex"
	uncCPlain  = "C plain pthread mutex"
	uncSync    = "sync.Mutex"
	uncCAtomic = "C __atomic"
	uncGo      = "sync/atomic"
)

func init() {
	register(group{
		id:    "9",
		title: "Coordination, uncontended: Lock+Unlock and single atomics, in ns (target: Lock+Unlock ≤ 2× C's time)",
		run:   runUncontended,
	})
}

// An uncContender does an operation n times and returns the ns each took.
type uncContender struct {
	name     string
	baseline string
	target   float64
	note     string
	alsoVs   string // a second baseline: the figure gets a second row
	run      func(n int) (float64, error)
}

// An uncCase is one row block: the same operation done by each contender.
type uncCase struct {
	name       string
	ops        int
	contenders []uncContender
}

// uncSink receives loaded values, so that the loops cannot be dropped.
var uncSink uint64

// cOp returns a contender that has the C program do op.
func cOp(c *peer, name, op, baseline, note string) uncContender {
	return uncContender{name: name, baseline: baseline, note: note, run: func(n int) (float64, error) {
		if err := c.command("%s %d", op, n); err != nil {
			return 0, err
		}
		line, err := c.reply()
		if err != nil {
			return 0, err
		}
		return strconv.ParseFloat(line, 64)
	}}
}

// goOp returns a contender that times f(n), which does the operation n
// times, on this thread's CPU clock.
func goOp(name, baseline string, target float64, note string, f func(n int) error) uncContender {
	return uncContender{name: name, baseline: baseline, target: target, note: note, run: func(n int) (float64, error) {
		runtime.LockOSThread() // so that the thread's CPU clock is the loop's
		defer runtime.UnlockOSThread()
		start := threadCPU()
		err := f(n)
		return float64(threadCPU()-start) / float64(n), err
	}}
}

// uncAtomic is one atomic operation: its name in the C program, and the
// same through sync/atomic on a word of ipcbuf's shared memory.
type uncAtomic struct {
	caseName string
	cOp      string
	bits     int
	goOp     func(w32 *uint32, w64 *uint64, n int)
}

var uncAtomics = []uncAtomic{
	{"Load 32", "load32", 32, func(w *uint32, _ *uint64, n int) {
		var s uint32
		for range n {
			s += atomic.LoadUint32(w)
		}
		uncSink += uint64(s)
	}},
	{"Add 32", "add32", 32, func(w *uint32, _ *uint64, n int) {
		for range n {
			atomic.AddUint32(w, 1)
		}
	}},
	{"CompareAndSwap 32", "cas32", 32, func(w *uint32, _ *uint64, n int) {
		v := atomic.LoadUint32(w)
		for range n {
			if atomic.CompareAndSwapUint32(w, v, v+1) {
				v++
			} else {
				v = atomic.LoadUint32(w)
			}
		}
	}},
	{"Load 64", "load64", 64, func(_ *uint32, w *uint64, n int) {
		var s uint64
		for range n {
			s += atomic.LoadUint64(w)
		}
		uncSink += s
	}},
	{"Add 64", "add64", 64, func(_ *uint32, w *uint64, n int) {
		for range n {
			atomic.AddUint64(w, 1)
		}
	}},
	{"CompareAndSwap 64", "cas64", 64, func(_ *uint32, w *uint64, n int) {
		v := atomic.LoadUint64(w)
		for range n {
			if atomic.CompareAndSwapUint64(w, v, v+1) {
				v++
			} else {
				v = atomic.LoadUint64(w)
			}
		}
	}},
}

func runUncontended(cfg *config) []result {
	c, err := startCPeer("uncontended")
	if err != nil {
		return []result{failedResult("Lock+Unlock", err)}
	}
	defer c.stop()
	shared, err := newUncShared()
	if err != nil {
		return []result{failedResult("Lock+Unlock", err)}
	}
	defer shared.close()

	var mu sync.Mutex
	lock := uncCase{name: "Lock+Unlock", ops: uncMutexOps}
	if uncMutexContender != nil {
		ct, err := uncMutexContender(shared)
		if err != nil {
			return []result{failedResult(lock.name, err)}
		}
		lock.contenders = append(lock.contenders, ct)
	}
	lock.contenders = append(lock.contenders,
		cOp(c, uncCRobust, "robust", "", "csem/uncontended.c: pthread_mutex_lock and pthread_mutex_unlock on a mutex with "+
			"PTHREAD_PROCESS_SHARED and PTHREAD_MUTEX_ROBUST in a shared anonymous mapping; built with "+csemCommandLine()),
		cOp(c, uncCPlain, "plain", "", "the same on a mutex with default attributes (private, not robust)"),
		goOp(uncSync, uncCPlain, 0, "", func(n int) error {
			for range n {
				mu.Lock()
				mu.Unlock()
			}
			return nil
		}),
	)
	cases := []uncCase{lock}
	for _, a := range uncAtomics {
		k := uncCase{name: a.caseName, ops: uncAtomicOps}
		k.contenders = append(k.contenders, shared.atomicContender(a),
			cOp(c, uncCAtomic, a.cOp, "", "csem/uncontended.c: __atomic builtins, __ATOMIC_SEQ_CST, on a word in a shared anonymous mapping; "+
				"so for every atomic below"),
			goOp(uncGo, uncCAtomic, 0, "", func(n int) error {
				a.goOp(shared.w32, shared.w64, n)
				return nil
			}),
		)
		if len(cases) > 1 { // the first atomic case's notes hold for them all
			for i := range k.contenders {
				k.contenders[i].note = ""
			}
		}
		cases = append(cases, k)
	}
	var out []result
	for _, k := range cases {
		rs, err := measureUncCase(cfg, k)
		if err != nil {
			return append(out, failedResult(k.name, err))
		}
		out = append(out, rs...)
	}
	return out
}

// measureUncCase warms the contenders up, then runs them side by side in
// rotation, cfg.rounds samples each, and returns their median ns per
// operation.
func measureUncCase(cfg *config, k uncCase) ([]result, error) {
	n := cfg.size(k.ops)
	var firstErr error
	fns := make([]func() float64, len(k.contenders))
	for i, ct := range k.contenders {
		fns[i] = func() float64 {
			v, err := ct.run(n)
			if err != nil && firstErr == nil {
				firstErr = fmt.Errorf("%s, %s: %w", k.name, ct.name, err)
			}
			return v
		}
	}
	for _, f := range fns {
		f()
	}
	v := alternate(cfg.rounds, fns...)
	if firstErr != nil {
		return nil, firstErr
	}
	var out []result
	for i, ct := range k.contenders {
		r := result{caseName: k.name, contender: ct.name, value: v[i], unit: "ns", baseline: ct.baseline,
			target: ct.target, note: ct.note}
		if ct.alsoVs == "" {
			out = append(out, r)
			continue
		}
		r.contender = ct.name + " (vs robust)"
		also := r
		also.contender, also.baseline, also.note = ct.name+" (vs plain)", ct.alsoVs, ""
		out = append(out, r, also)
	}
	return out, nil
}

// uncShared is the POSIX shm object of the ipcbuf contenders: room for a
// Mutex at offset 0 and the atomic words on cache lines of their own. The
// words are the same for ipcbuf's methods and for sync/atomic.
type uncShared struct {
	b   *ipcbuf.Buffer
	w32 *uint32
	w64 *uint64
}

const (
	uncMutexOff  = 0
	uncWord32Off = lineGap
	uncWord64Off = 2 * lineGap
)

// uncMutexContender returns ipcbuf's Mutex as a contender, when the
// library has one (see bench_coord_mutex.go); nil leaves the row out.
var uncMutexContender func(s *uncShared) (uncContender, error)

func newUncShared() (*uncShared, error) {
	b, err := ipcbuf.CreateShmTemp(fmt.Sprintf("ipcbuf-bench-unc-%d-*", os.Getpid()), 4096)
	if err != nil {
		return nil, err
	}
	s := &uncShared{b: b}
	err = b.Remove() // one process uses it: the name is not needed
	var w32 []uint32
	if err == nil {
		w32, err = ipcbuf.View[uint32](b.Slice(uncWord32Off, uncWord32Off+4))
	}
	if err == nil {
		s.w32 = &w32[0]
		s.w64, err = sharedWord(b, uncWord64Off)
	}
	if err != nil {
		b.Close()
		return nil, err
	}
	return s, nil
}

func (s *uncShared) close() { s.b.Close() }

// atomicContender is ipcbuf's method for a, on the word sync/atomic uses.
func (s *uncShared) atomicContender(a uncAtomic) uncContender {
	b := s.b
	ops := map[string]func(n int) error{
		"load32": func(n int) error {
			var sum uint32
			for range n {
				v, err := b.LoadUint32(uncWord32Off)
				if err != nil {
					return err
				}
				sum += v
			}
			uncSink += uint64(sum)
			return nil
		},
		"add32": func(n int) error {
			for range n {
				if _, err := b.AddUint32(uncWord32Off, 1); err != nil {
					return err
				}
			}
			return nil
		},
		"cas32": func(n int) error {
			v, err := b.LoadUint32(uncWord32Off)
			for i := 0; i < n && err == nil; i++ {
				var ok bool
				if ok, err = b.CompareAndSwapUint32(uncWord32Off, v, v+1); ok {
					v++
				} else if err == nil {
					v, err = b.LoadUint32(uncWord32Off)
				}
			}
			return err
		},
		"load64": func(n int) error {
			var sum uint64
			for range n {
				v, err := b.LoadUint64(uncWord64Off)
				if err != nil {
					return err
				}
				sum += v
			}
			uncSink += sum
			return nil
		},
		"add64": func(n int) error {
			for range n {
				if _, err := b.AddUint64(uncWord64Off, 1); err != nil {
					return err
				}
			}
			return nil
		},
		"cas64": func(n int) error {
			v, err := b.LoadUint64(uncWord64Off)
			for i := 0; i < n && err == nil; i++ {
				var ok bool
				if ok, err = b.CompareAndSwapUint64(uncWord64Off, v, v+1); ok {
					v++
				} else if err == nil {
					v, err = b.LoadUint64(uncWord64Off)
				}
			}
			return err
		},
	}
	return goOp(uncIpcbuf, uncCAtomic, 0, "the Buffer method on a word of POSIX shm: it takes the lease every "+
		"Buffer method takes (the mapping's read lock, so that Close cannot unmap the word mid-call, and the fault guard) and "+
		"checks the offset and its alignment; sync/atomic works on the same word with none of that; so for every "+
		"atomic below", ops[a.cOp])
}
