package main

import (
	"runtime"
	"testing"
)

// skipOnWindows skips t on Windows, saying why: for the tests of what
// Windows does not have (/dev/shm, /proc, System V, symbolic links a
// test can make, a Go toolchain under Wine).
func skipOnWindows(t testing.TB, why string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("not on Windows: " + why)
	}
}
