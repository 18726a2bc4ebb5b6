package main

// The interop and tool rules, from internal/testenv.

import (
	"testing"

	"github.com/ipcbuf/ipcbuf/internal/testenv"
)

// requirePython, requireInterop and requireTool are the rule of
// internal/testenv: skip with the reason, or fail where the machine
// promises to have what the test needs.
func requirePython(t testing.TB, modules ...string) string {
	t.Helper()
	return testenv.RequirePython(t, modules...)
}

func requireInterop(t testing.TB, format string, args ...any) {
	t.Helper()
	testenv.RequireInterop(t, format, args...)
}

func requireTool(t testing.TB, name, why string) string {
	t.Helper()
	return testenv.RequireTool(t, name, why)
}
