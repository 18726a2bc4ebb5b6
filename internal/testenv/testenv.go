// Package testenv holds the rule for ipcbuf's tests that need something
// from outside Go: Python for the interop tests, and tools such as ipcs or
// mkfs.ext4. A machine without it skips those tests with the reason, which
// go test -v prints; a machine that promises to have it fails them
// instead: IPCBUF_REQUIRE_INTEROP=1 for Python and its modules, IPCBUF_CI=1
// for the tools and everything else a test may need. .ci/run sets both. A
// missing program is never a silent pass. The library's tests and the
// command's share it.
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// CIEnv is the environment variable CI sets to 1 (.ci/run). CI's machine
// has everything the tests need (python3, a C compiler, root), so there a
// test that would skip fails instead: a skip would let a test that never
// ran pass unseen.
const CIEnv = "IPCBUF_CI"

// RequireOrSkip ends t, which cannot run on this machine for reason: it
// skips, or under CI (IPCBUF_CI=1) fails.
func RequireOrSkip(t testing.TB, format string, args ...any) {
	t.Helper()
	reason := fmt.Sprintf(format, args...)
	if os.Getenv(CIEnv) == "1" {
		t.Fatalf("%s\n%s=1 (CI), where this test must run: failing rather than skipping", reason, CIEnv)
	}
	t.Skip(reason)
}

// InteropEnv, set to 1, turns a missing Python or Python module
// into a failure of the interop tests.
const InteropEnv = "IPCBUF_REQUIRE_INTEROP"

// pythons maps a list of modules to the Python found for them.
var pythons sync.Map

// pythonHints says how to get a module where Debian packages it.
var pythonHints = map[string]string{
	"sysv_ipc":  "apt-get install python3-sysv-ipc",
	"posix_ipc": "apt-get install python3-posix-ipc",
}

// RequirePython returns a Python 3 that can import every module given, or
// ends t: it skips with the reason, or fails if IPCBUF_REQUIRE_INTEROP=1.
// It looks for python3 on PATH; if that one lacks a module it also tries
// /usr/bin/python3, since Debian packages such as python3-sysv-ipc install
// for the system Python only (a pyenv or venv python3 first on PATH does
// not see them). Without python3 on PATH it looks no further: hiding
// Python from PATH is how one runs the tests as on a machine without it.
// The answer is the interpreter itself (sys.executable), not a wrapper
// such as pyenv's shim, which costs seconds per run; it is kept for the
// next test.
func RequirePython(t testing.TB, modules ...string) string {
	t.Helper()
	key := strings.Join(modules, ",")
	if path, ok := pythons.Load(key); ok {
		return path.(string)
	}
	first, err := exec.LookPath("python3")
	if err != nil {
		RequireInterop(t, "python3 is not on PATH (Debian: apt-get install python3): %v", err)
	}
	imports := strings.Join(append([]string{"sys"}, modules...), ", ")
	var tried []string
	for _, path := range []string{first, "/usr/bin/python3"} {
		if _, err := os.Stat(path); err != nil || path == "" {
			continue
		}
		out, err := exec.Command(path, "-c", "import "+imports+"; print(sys.executable)").CombinedOutput()
		if exe := strings.TrimSpace(string(out)); err == nil && exe != "" {
			pythons.Store(key, exe)
			return exe
		}
		tried = append(tried, fmt.Sprintf("%s: %s", path, lastLine(string(out))))
	}
	msg := fmt.Sprintf("no python3 can import %s (%s)", strings.Join(modules, ", "), strings.Join(tried, "; "))
	for _, m := range modules {
		if hint, ok := pythonHints[m]; ok {
			msg += "; Debian: " + hint
		}
	}
	RequireInterop(t, "%s", msg)
	return ""
}

// RequireInterop ends t, an interop test that cannot run here for reason:
// it skips, or fails if IPCBUF_REQUIRE_INTEROP=1.
func RequireInterop(t testing.TB, format string, args ...any) {
	t.Helper()
	reason := fmt.Sprintf(format, args...)
	if os.Getenv(InteropEnv) == "1" {
		t.Fatalf("%s\n%s=1, which requires the interop tests: failing rather than skipping", reason, InteropEnv)
	}
	t.Skip(reason)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// RequireTool returns the path of the program name on PATH, or ends t: it
// skips with the reason (what the tool is for and where it comes from), or
// fails under IPCBUF_CI=1.
func RequireTool(t testing.TB, name, why string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		RequireOrSkip(t, "%s is not on PATH (%v); it is needed %s", name, err, why)
	}
	return path
}
