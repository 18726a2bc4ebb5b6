//go:build !race

package ipcbuf_test

const mutexUnderRace = false
