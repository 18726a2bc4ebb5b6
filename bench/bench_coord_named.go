package main

// The contenders of group 8 on named semaphores, POSIX and System V: the
// same round trips as the C program's sem_t, through OpenSemaphore.

import (
	"fmt"
	"os"

	"github.com/ipcbuf/ipcbuf"
)

const (
	coordKindNamed = "named" // the two semaphores named in coordSemsEnv

	// coordSemsEnv names the two named semaphores: "ping,pong".
	coordSemsEnv = "IPCBUF_BENCH_SEMS"
)

func init() {
	coordServes[coordKindNamed] = namedAnswer
	pid := os.Getpid()
	sysvKey := bufSysVKey(0xc0)
	coordEntries = append(coordEntries,
		coordEntry{coordOrderPOSIX, func(cfg *config) (*coordContender, error) {
			return newNamedSemContender(cfg, coordPOSIX,
				fmt.Sprintf("*ipcbuf-bench-%d-ping", pid), fmt.Sprintf("*ipcbuf-bench-%d-pong", pid),
				"two named POSIX semaphores (OpenSemaphore(\"*name\")): Post one, Wait on the other; the C library's "+
					"sem_post and sem_clockwait (in slices of 50 ms), through cgo")
		}},
		coordEntry{coordOrderSysV, func(cfg *config) (*coordContender, error) {
			return newNamedSemContender(cfg, coordSysV, fmt.Sprint(sysvKey), fmt.Sprint(sysvKey+1),
				"two System V semaphore sets of one (OpenSemaphore(key)): Post one, Wait on the other; semop and "+
					"semtimedop (in slices of 50 ms), through cgo")
		}},
	)
}

// Named semaphores, POSIX or System V: created here with value 0, opened
// by the child, removed when the contender closes (a System V set goes at
// once when removed, so not before).

func newNamedSemContender(cfg *config, name, pingName, pongName, note string) (*coordContender, error) {
	var sems []*ipcbuf.Semaphore
	cleanup := func() {
		for _, s := range sems {
			s.Remove()
			s.Close()
		}
	}
	for _, target := range []string{pingName, pongName} {
		s, err := ipcbuf.OpenSemaphore(target, 0, ipcbuf.Exclusive())
		if err != nil {
			cleanup()
			return nil, err
		}
		sems = append(sems, s)
	}
	p, err := startPeer(cfg, coordRole, nil, coordEnv+"="+coordKindNamed, coordSemsEnv+"="+pingName+","+pongName)
	if err != nil {
		cleanup()
		return nil, err
	}
	return &coordContender{name: name, note: note, peer: p, trip: semTrip(sems[0], sems[1]),
		close: func() { p.stop(); cleanup() }}, nil
}

func namedAnswer() (func(n int) error, error) {
	var sems [2]*ipcbuf.Semaphore
	for i, target := range splitPair(os.Getenv(coordSemsEnv)) {
		s, err := ipcbuf.OpenSemaphore(target, 0, ipcbuf.OpenOnly())
		if err != nil {
			return nil, err
		}
		sems[i] = s
	}
	return semAnswer(sems[0], sems[1]), nil
}

// splitPair splits "a,b".
func splitPair(s string) [2]string {
	for i := range s {
		if s[i] == ',' {
			return [2]string{s[:i], s[i+1:]}
		}
	}
	return [2]string{s, ""}
}
