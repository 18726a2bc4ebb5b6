//go:build race

package ipcbuf_test

// mutexUnderRace says the race detector is on: it makes every process
// start several times slower, so the mutex tests that start one process
// per round run fewer rounds under it (make test also runs them without
// it).
const mutexUnderRace = true
