//go:build !asan

package ipcbuf

// asanEnabled is set when the tests are built with -asan; see asan_test.go.
const asanEnabled = false
