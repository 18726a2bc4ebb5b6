package main

// Group 8: cross-process ping-pong with the coordination primitives: one
// process wakes the other, which wakes it back, and nothing else is sent.
// It is the latency of a hand-off between processes, which a futex, a
// semaphore, a mutex, a pipe or a socket can all provide; the figure that
// matters is how long a sleeping process takes to run again once another
// tells it to.
//
// Every contender makes its round trips from one process to a peer that
// answers (this program again in a role, or, for the C baselines, the
// parent and child of csem/pingpong.c) and times each one, so the group
// reports the median (p50) and 99th percentile of single round trips as
// well as round trips per second. No side spins: each waits in the kernel
// (futex, semop, read) until woken, as the primitives do when the other
// side is not already there, which a hand-off between processes that both
// have their own work to do usually is.
//
// Where the two processes run decides the figure more than anything else:
// on one CPU a round trip is two context switches; on two, each wake-up
// also interrupts the other CPU, which on a virtual machine may have
// handed its time back to the host while idle. Left to the scheduler,
// the same program measured 11 µs in one run and 22 µs in the next. So
// every contender runs in both placements, each process pinned
// (sched_setaffinity) for the whole round: its waiting thread, that is;
// a Go program's other threads go where the scheduler puts them.

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

const (
	// coordTrips is the round trips per round: a round trip is 5–25 µs
	// here, so a round takes a few tenths of a second.
	coordTrips = 20_000

	// coordRole is the child role that answers round trips.
	coordRole = "coord-echo"

	// coordEnv tells the answering child its contender: a key of
	// coordServes.
	coordEnv = "IPCBUF_BENCH_COORD"

	// coordLine separates shared words written by different processes
	// (as lineGap does).
	coordLine = lineGap
)

// The contenders' names.
const (
	coordCSem    = "C sem_post/sem_wait"
	coordCMutex  = "C robust pthread mutex hand-off"
	coordPipe    = "pipe pair"
	coordSocket  = "unix socket pair"
	coordWake    = "ipcbuf Wait/Wake"
	coordFutex   = "Go, bare futex calls"
	coordBufSem  = "ipcbuf Semaphore in buffer"
	coordPOSIX   = "ipcbuf named POSIX semaphore"
	coordSysV    = "ipcbuf System V semaphore"
	coordMutex   = "ipcbuf Mutex hand-off"
	coordTargetC = 1 / 1.2 // the wake round trip takes at most 1.2× C's time
	coordTargetS = 5       // and makes at least 5× a Unix socket's round trips/s
)

// The kinds of answering child, in coordEnv.
const (
	coordKindStream = "stream" // reads a byte from descriptor 3, writes it to 4
)

func init() {
	register(group{
		id:    "8",
		title: "Coordination: ping-pong between two processes, each side asleep until the other wakes it",
		run:   runCoordPing,
	})
	childRoles[coordRole] = coordChild
}

// coordServes holds, per kind of answering child, the function that sets
// up its side and returns what answers n round trips. The ipcbuf kinds add
// theirs in their file's init.
var coordServes = map[string]func() (func(n int) error, error){
	coordKindStream: func() (func(n int) error, error) {
		return streamAnswer(int(peerFile(0).Fd()), int(peerFile(1).Fd())), nil
	},
}

// coordStats are one round's figures.
type coordStats struct {
	p50, p99 float64 // µs
	rate     float64 // round trips/s
}

// A coordContender is one way of making round trips with a peer.
type coordContender struct {
	name string
	note string
	peer *peer
	// trip makes one round trip from this process; nil when the peer makes
	// and times them itself (the C programs).
	trip  func() error
	close func() // releases what the contender holds, the peer included
	lat   []time.Duration
}

// A placement pins the two processes of a round trip to CPUs.
type placement struct {
	name         string
	pinger, peer int // CPU numbers
}

// coordPlacements returns one CPU for both processes and, with two or more
// CPUs, one CPU each: the first two this process may run on.
func coordPlacements() ([]placement, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return nil, fmt.Errorf("sched_getaffinity: %w", err)
	}
	var cpus []int
	for i := 0; i < 1024 && len(cpus) < 2; i++ {
		if set.IsSet(i) {
			cpus = append(cpus, i)
		}
	}
	if len(cpus) == 0 {
		return nil, errors.New("sched_getaffinity: no CPU")
	}
	ps := []placement{{name: "1 CPU", pinger: cpus[0], peer: cpus[0]}}
	if len(cpus) == 2 {
		ps = append(ps, placement{name: "2 CPUs", pinger: cpus[0], peer: cpus[1]})
	}
	return ps, nil
}

// pinThread binds the calling thread to cpu (-1: to every CPU in all),
// for the round trips it makes.
func pinThread(cpu int, all *unix.CPUSet) error {
	set := *all
	if cpu >= 0 {
		set.Zero()
		set.Set(cpu)
	}
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return fmt.Errorf("sched_setaffinity: %w", err)
	}
	return nil
}

// round makes n round trips in placement pl and returns their figures.
func (c *coordContender) round(n int, pl placement) (coordStats, error) {
	if c.trip == nil { // the C program pins its two processes itself
		if err := c.peer.command("%d %d %d", n, pl.pinger, pl.peer); err != nil {
			return coordStats{}, err
		}
		line, err := c.peer.reply()
		if err != nil {
			return coordStats{}, err
		}
		var p50, p99, total float64
		if _, err := fmt.Sscan(line, &p50, &p99, &total); err != nil {
			return coordStats{}, fmt.Errorf("%s: bad answer %q: %v", c.name, line, err)
		}
		return coordStats{p50: p50 / 1e3, p99: p99 / 1e3, rate: float64(n) / (total / 1e9)}, nil
	}
	// This goroutine makes the round trips on a thread of its own, pinned;
	// the thread gets every CPU back before it goes back to the runtime.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var all unix.CPUSet
	if err := unix.SchedGetaffinity(0, &all); err != nil {
		return coordStats{}, fmt.Errorf("sched_getaffinity: %w", err)
	}
	if err := pinThread(pl.pinger, &all); err != nil {
		return coordStats{}, err
	}
	defer pinThread(-1, &all)
	if err := c.peer.command("%d %d", n, pl.peer); err != nil {
		return coordStats{}, err
	}
	if cap(c.lat) < n {
		c.lat = make([]time.Duration, n)
	}
	lat := c.lat[:n]
	start := time.Now()
	prev := time.Duration(0)
	for i := range lat {
		if err := c.trip(); err != nil {
			return coordStats{}, fmt.Errorf("%s: round trip %d: %w", c.name, i, err)
		}
		t := time.Since(start)
		lat[i] = t - prev
		prev = t
	}
	if _, err := c.peer.reply(); err != nil {
		return coordStats{}, err
	}
	return statsOf(lat, prev), nil
}

// statsOf returns the median and 99th percentile of lat and the rate of
// len(lat) round trips in total.
func statsOf(lat []time.Duration, total time.Duration) coordStats {
	slices.Sort(lat)
	return coordStats{
		p50:  float64(lat[len(lat)/2]) / 1e3,
		p99:  float64(lat[len(lat)*99/100]) / 1e3,
		rate: float64(len(lat)) / total.Seconds(),
	}
}

// newCPingContender starts csem/pingpong.c in mode ("sem" or "mutex").
func newCPingContender(name, mode, note string) (*coordContender, error) {
	p, err := startCPeer("pingpong", mode)
	if err != nil {
		return nil, err
	}
	return &coordContender{name: name, note: note, peer: p, close: p.stop}, nil
}

// newStreamCoordContender starts an answering child that reads childR and
// writes childW, while this process writes w and reads r, one byte each
// way, with plain blocking read(2) and write(2): no Go poller in the way
// (see newStreamPingContender).
func newStreamCoordContender(cfg *config, name, note string, r, w, childR, childW int) (*coordContender, error) {
	cr, cw := os.NewFile(uintptr(childR), "child-r"), os.NewFile(uintptr(childW), "child-w")
	p, err := startPeer(cfg, coordRole, []*os.File{cr, cw}, coordEnv+"="+coordKindStream)
	cr.Close()
	if childW != childR {
		cw.Close()
	}
	closeOurs := func() {
		syscall.Close(r)
		if w != r {
			syscall.Close(w)
		}
	}
	if err != nil {
		closeOurs()
		return nil, err
	}
	b := []byte{0}
	return &coordContender{
		name: name, note: note, peer: p,
		trip: func() error {
			b[0]++
			want := b[0]
			if err := writeFull(w, b); err != nil {
				return err
			}
			if err := readFull(r, b); err != nil {
				return err
			}
			if b[0] != want {
				return fmt.Errorf("answer %d, want %d", b[0], want)
			}
			return nil
		},
		close: func() { closeOurs(); p.stop() },
	}, nil
}

// newPipeCoordContender uses two pipes, one each way.
func newPipeCoordContender(cfg *config) (*coordContender, error) {
	var there, back [2]int
	if err := syscall.Pipe2(there[:], syscall.O_CLOEXEC); err != nil {
		return nil, err
	}
	if err := syscall.Pipe2(back[:], syscall.O_CLOEXEC); err != nil {
		syscall.Close(there[0])
		syscall.Close(there[1])
		return nil, err
	}
	return newStreamCoordContender(cfg, coordPipe, "two pipes, a 1-byte write(2) and read(2) each way on blocking descriptors",
		back[0], there[1], there[0], back[1])
}

// newSocketCoordContender uses one Unix stream socketpair both ways.
func newSocketCoordContender(cfg *config) (*coordContender, error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return newStreamCoordContender(cfg, coordSocket, "one socketpair(AF_UNIX, SOCK_STREAM), otherwise as the pipes",
		fds[0], fds[0], fds[1], fds[1])
}

// writeFull and readFull move all of b through a blocking descriptor.
func writeFull(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := syscall.Write(fd, b)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

func readFull(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := syscall.Read(fd, b)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("peer closed its end")
		}
		b = b[n:]
	}
	return nil
}

// streamAnswer returns the child's side of the pipe or socket ping-pong.
func streamAnswer(r, w int) func(n int) error {
	b := []byte{0}
	return func(n int) error {
		for ; n > 0; n-- {
			if err := readFull(r, b); err != nil {
				return err
			}
			if err := writeFull(w, b); err != nil {
				return err
			}
		}
		return nil
	}
}

// coordChild is the answering child role: it sets up the side its kind
// names and answers each command ("N CPU": N round trips, on that CPU)
// with "done".
func coordChild() int {
	kind := os.Getenv(coordEnv)
	serve, ok := coordServes[kind]
	if !ok {
		return peerFailed(fmt.Errorf("bad %s %q", coordEnv, kind))
	}
	answer, err := serve()
	if err != nil {
		return peerFailed(err)
	}
	// The answers are made on this goroutine's thread, which each command
	// pins to the CPU it names.
	runtime.LockOSThread()
	var all unix.CPUSet
	if err := unix.SchedGetaffinity(0, &all); err != nil {
		return peerFailed(fmt.Errorf("sched_getaffinity: %w", err))
	}
	return servePeer(func(cmd string) (string, error) {
		var n, cpu int
		if _, err := fmt.Sscanf(cmd, "%d %d", &n, &cpu); err != nil {
			return "", fmt.Errorf("bad command %q: %v", cmd, err)
		}
		if err := pinThread(cpu, &all); err != nil {
			return "", err
		}
		return "done", answer(n)
	})
}

// A coordEntry is one contender of group 8: its place in the table and
// how to start it. Each file of contenders adds its own in init, so a
// primitive the library lacks simply has no row.
type coordEntry struct {
	order int
	start func(cfg *config) (*coordContender, error)
}

var coordEntries []coordEntry

// Places in the table: the C semaphores, then ipcbuf's semaphore-like
// primitives (and the bare futex calls under Wait/Wake); the C mutex
// hand-off, then ipcbuf's; the pipe and the socket.
const (
	coordOrderCSem = 10 * (iota + 1)
	coordOrderWake
	coordOrderBufSem
	coordOrderPOSIX
	coordOrderSysV
	coordOrderCMutex
	coordOrderMutex
	coordOrderPipe
	coordOrderSocket

	coordOrderFutex = coordOrderWake + 5 // ipcbuf's floor, after it
)

func init() {
	coordEntries = append(coordEntries,
		coordEntry{coordOrderCSem, func(*config) (*coordContender, error) {
			return newCPingContender(coordCSem, "sem",
				"csem/pingpong.c: two sem_t (sem_init pshared 1) in a shared anonymous mapping, the parent and a forked child; "+
					"the parent times each round trip with clock_gettime(CLOCK_MONOTONIC); built with "+csemCommandLine())
		}},
		coordEntry{coordOrderCMutex, func(*config) (*coordContender, error) {
			return newCPingContender(coordCMutex, "mutex",
				"csem/pingpong.c: three robust process-shared pthread mutexes passed round as a baton between the parent and a "+
					"forked child, a turn word under them checked at every step; a round trip is two hand-offs of a mutex the other "+
					"process is blocked on")
		}},
		coordEntry{coordOrderPipe, newPipeCoordContender},
		coordEntry{coordOrderSocket, newSocketCoordContender},
	)
}

func runCoordPing(cfg *config) []result {
	const caseName = "round trip"
	var cs []*coordContender
	defer func() {
		for _, c := range cs {
			c.close()
		}
	}()
	// A contender that cannot start (no C compiler, say) is reported as
	// failed, and the others are measured without it.
	var failed []result
	slices.SortFunc(coordEntries, func(a, b coordEntry) int { return a.order - b.order })
	for _, e := range coordEntries {
		c, err := e.start(cfg)
		if err != nil {
			failed = append(failed, failedResult(caseName, err))
			continue
		}
		cs = append(cs, c)
	}
	places, err := coordPlacements()
	if err != nil {
		return append(failed, failedResult(caseName, err))
	}
	n := cfg.size(coordTrips)
	var rs []result
	for k, pl := range places {
		stats := make([][]coordStats, len(cs))
		for r := -1; r < cfg.rounds; r++ { // round -1 warms up
			for i := range cs {
				j := (i + max(r, 0)) % len(cs)
				s, err := cs[j].round(n, pl)
				if err != nil {
					return append(failed, failedResult(caseName+", "+pl.name, err))
				}
				if r >= 0 {
					stats[j] = append(stats[j], s)
				}
			}
		}
		rs = append(rs, coordResults(cs, stats, n, pl, k == 0)...)
	}
	return append(rs, failed...)
}

// coordResults makes the rows of a placement: p50 and p99 of single round
// trips against C's semaphores, and round trips per second against the
// socket. The contenders' notes go with the first placement's rows.
func coordResults(cs []*coordContender, stats [][]coordStats, n int, pl placement, first bool) []result {
	pick := func(ss []coordStats, f func(coordStats) float64) float64 {
		v := make([]float64, len(ss))
		for i, s := range ss {
			v[i] = f(s)
		}
		return median(v)
	}
	var rs []result
	for _, metric := range []struct {
		caseName string
		unit     string
		higher   bool
		f        func(coordStats) float64
	}{
		{"round trip, p50", "µs", false, func(s coordStats) float64 { return s.p50 }},
		{"round trip, p99", "µs", false, func(s coordStats) float64 { return s.p99 }},
		{"throughput", "round trips/s", true, func(s coordStats) float64 { return s.rate }},
	} {
		for i, c := range cs {
			r := result{caseName: metric.caseName + ", " + pl.name, contender: c.name, value: pick(stats[i], metric.f),
				unit: metric.unit, higher: metric.higher}
			switch {
			case metric.higher && c.name != coordSocket:
				r.baseline = coordSocket
			case !metric.higher && c.name == coordMutex:
				r.baseline = coordCMutex // like for like
			case !metric.higher && c.name != coordCSem:
				r.baseline = coordCSem
			}
			if c.name == coordWake {
				if metric.higher {
					r.target = coordTargetS
				} else if strings.Contains(metric.caseName, "p50") {
					r.target = coordTargetC
				}
			}
			if metric.higher && first {
				r.note = c.note
				if r.note != "" {
					r.note += "; "
				}
				r.note += fmt.Sprintf("%d round trips a round, each timed", n)
			}
			rs = append(rs, r)
		}
	}
	// What bounds the rate target: C's semaphores sleep and wake as the
	// ipcbuf contenders do, and make only so many times the socket's rate.
	// And the time target: a Go program's own wake-ups, without ipcbuf.
	rate, p50 := map[string]float64{}, map[string]float64{}
	for _, r := range rs {
		switch {
		case r.higher:
			rate[r.contender] = r.value
		case strings.Contains(r.caseName, "p50"):
			p50[r.contender] = r.value
		}
	}
	for i := range rs {
		if rs[i].higher && rs[i].contender == coordWake && rate[coordCSem] > 0 && rate[coordSocket] > 0 {
			if rs[i].note != "" {
				rs[i].note += "; "
			}
			rs[i].note += fmt.Sprintf("C's sem_post/sem_wait, which sleeps and wakes the same way, makes %.2f× the socket's "+
				"rate here", rate[coordCSem]/rate[coordSocket])
		}
		if strings.Contains(rs[i].caseName, "p50") && rs[i].contender == coordWake && p50[coordCSem] > 0 && p50[coordFutex] > 0 {
			rs[i].note = fmt.Sprintf("the same protocol on bare futex calls from Go takes %.2f× C's time, ipcbuf's %.2f× the bare "+
				"calls' time", p50[coordFutex]/p50[coordCSem], p50[coordWake]/p50[coordFutex])
		}
	}
	return rs
}
