//go:build !race

package ipcbuf_test

// raceEnabled is set when the tests run under the race detector, which
// makes every memory access many times slower: long loops run shorter.
const raceEnabled = false
