//go:build !race

package ipcbuf_test

const raceEnabled = false
