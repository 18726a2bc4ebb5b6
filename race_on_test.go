//go:build race

package ipcbuf_test

// raceEnabled says the race detector is on: it makes every process start
// several times slower, so tests that start one process per round run
// fewer rounds under it (make test also runs them without it).
const raceEnabled = true
