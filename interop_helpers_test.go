package ipcbuf_test

// The interop and tool rules, from internal/testenv; and, for the
// library's tests, running Python scripts.

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"testing"

	qt "github.com/frankban/quicktest"

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

// startPython runs a Python script with arguments; it returns the command
// and its stdout. The process is killed if the test ends first.
func startPython(t *testing.T, python, script string, args ...string) (*exec.Cmd, *bufio.Reader) {
	t.Helper()
	cmd := exec.Command(python, append([]string{"-c", script}, args...)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, cmd.Start(), qt.IsNil)
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd, bufio.NewReader(out)
}

// runPython runs a Python script with arguments to its end and returns
// what it wrote.
func runPython(t *testing.T, python, script string, args ...string) string {
	t.Helper()
	cmd, out := startPython(t, python, script, args...)
	var b strings.Builder
	_, err := out.WriteTo(&b)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, cmd.Wait(), qt.IsNil, qt.Commentf("python: %s", b.String()))
	return b.String()
}
