package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/ipcbuf/ipcbuf"
	"github.com/ipcbuf/ipcbuf/internal/testenv"
)

// semCase is one kind of named semaphore the command can address.
type semCase struct {
	kind   ipcbuf.Kind
	target func(t *testing.T) string
}

var semCases = []semCase{
	{ipcbuf.KindPOSIX, func(t *testing.T) string { return "*" + testShmName() }},
	{ipcbuf.KindSysV, func(t *testing.T) string { return strconv.Itoa(testKey(t)) }},
}

// forEachSemKind runs f in a subtest for each kind of named semaphore,
// with a fresh target removed when the subtest ends. A kind this build
// leaves out must say so, and the subtest is skipped.
func forEachSemKind(t *testing.T, f func(t *testing.T, target string)) {
	for _, c := range semCases {
		t.Run(c.kind.String(), func(t *testing.T) {
			target := c.target(t)
			if runtime.GOOS == "windows" {
				switch c.kind {
				case ipcbuf.KindPOSIX:
					t.Skip("on Windows a named semaphore lives only while some process has it open, and each ipcbuf sem command is a process of its own: what one command makes is gone before the next runs (the library's TestWindowsSemaphore* tests hold the semaphores)")
				case ipcbuf.KindSysV:
					mustFail(t, 1, "do not exist on Windows", "sem", "create", target)
					mustFail(t, 1, "do not exist on Windows", "sem", "get", target)
					t.Skip("Windows has no System V semaphores; checked that sem says so")
				}
			}
			if !c.kind.Supported() {
				mustFail(t, 1, "not in this build", "sem", "create", target)
				mustFail(t, 1, "not in this build", "sem", "get", target)
				t.Skipf("this build leaves %s out; checked that sem says so", c.kind)
			}
			t.Cleanup(func() {
				if err := ipcbuf.RemoveSemaphore(target); err != nil && !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("removing %s: %v", target, err)
				}
			})
			f(t, target)
		})
	}
}

// semMode returns the permission bits of semaphore target, asking the
// system directly; ok is false if it does not exist.
func semMode(t *testing.T, target string) (mode string, ok bool) {
	t.Helper()
	kind, name, key, err := ipcbuf.ParseTarget(target)
	if err != nil {
		t.Fatalf("ParseTarget(%q): %v", target, err)
	}
	if kind == ipcbuf.KindPOSIX {
		fi, err := os.Stat("/dev/shm/sem." + name)
		if err != nil {
			return "", false
		}
		return fmt.Sprintf("%o", fi.Mode().Perm()), true
	}
	data, _ := os.ReadFile("/proc/sysvipc/sem")
	for _, line := range strings.Split(string(data), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) > 2 && f[0] == strconv.FormatInt(int64(int32(uint32(key))), 10) {
			return f[2], true
		}
	}
	return "", false
}

func TestSemCommands(t *testing.T) {
	forEachSemKind(t, func(t *testing.T, target string) {
		expect(t, "create", mustRun(t, "sem", "create", "--value", "2", "--mode", "640", target), "")
		mode, ok := semMode(t, target)
		if !ok || mode != "640" {
			t.Fatalf("after create: mode %q, exists %v; want 640", mode, ok)
		}
		expect(t, "get", mustRun(t, "sem", "get", target), "2\n")
		expect(t, "wait", mustRun(t, "sem", "wait", target), "")
		expect(t, "wait --timeout 0s", mustRun(t, "sem", "wait", "--timeout", "0s", target), "")
		mustFail(t, 1, "timed out after 30ms: the count stayed 0", "sem", "wait", "--timeout", "30ms", target)
		expect(t, "get", mustRun(t, "sem", "get", target), "0\n")

		// A waiter blocked in the command wakes on a post.
		done := make(chan result, 1)
		go func() { done <- ipcbufRun("sem", "wait", "--timeout", "1m", target) }()
		expect(t, "post", mustRun(t, "sem", "post", target), "")
		if r := <-done; r.code != 0 || r.stderr != "" {
			t.Fatalf("sem wait: status %d, stderr %q", r.code, r.stderr)
		}
		mustRun(t, "sem", "post", target)
		mustRun(t, "sem", "post", target)
		expect(t, "get", mustRun(t, "sem", "get", target), "2\n")

		mustFail(t, 1, "exists", "sem", "create", target)
		expect(t, "get after a failed create", mustRun(t, "sem", "get", target), "2\n")
		expect(t, "rm", mustRun(t, "sem", "rm", target), "")
		if _, ok := semMode(t, target); ok {
			t.Fatalf("%s still exists after sem rm", target)
		}
		mustFail(t, 1, "create it with 'ipcbuf sem create'", "sem", "get", target)
		mustFail(t, 1, "no such file", "sem", "post", target)
		mustFail(t, 1, "no such file", "sem", "rm", target)

		// Defaults: value 0, mode 600.
		mustRun(t, "sem", "create", target)
		expect(t, "get", mustRun(t, "sem", "get", target), "0\n")
		if mode, _ := semMode(t, target); mode != "600" {
			t.Errorf("default mode %q, want 600", mode)
		}
	})
}

// TestSemBadInput: every mistake is a usage error (status 2) found before
// any system call: nothing is created.
func TestSemBadInput(t *testing.T) {
	posix, sysv := "*"+testShmName(), strconv.Itoa(testKey(t))
	file := filepath.Join(testenv.TempDir(t), "sem")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"create", "--value", "2147483648", posix}, "--value 2147483648 is out of range: a POSIX semaphore holds 0 to SEM_VALUE_MAX, 2147483647"},
		{[]string{"create", "--value", "32768", sysv}, "--value 32768 is out of range: a System V semaphore holds 0 to SEMVMX, 32767"},
		{[]string{"create", "--value", "-1", posix}, "--value -1 is out of range"},
		{[]string{"create", "--value", "99999999999999999999", posix}, `invalid value "99999999999999999999" for flag -value`},
		{[]string{"create", "--mode", "1777", sysv}, `mode "1777" is not octal permission bits`},
		{[]string{"create", "--mode", "rw", sysv}, `mode "rw" is not octal permission bits`},
		{[]string{"wait", "--timeout", "-1s", posix}, "--timeout -1s is negative"},
		{[]string{"wait", "--timeout", "soon", posix}, `invalid value "soon" for flag -timeout`},
		{[]string{"get", file}, "a semaphore is '*name' (POSIX) or a System V key, not a file path"},
		{[]string{"create", "./123"}, "not a file path"},
		{[]string{"post", ""}, "empty target"},
		{[]string{"rm", "0"}, "IPC_PRIVATE"},
		{[]string{"get", "*a/b"}, "contains '/'"},
		{[]string{"get"}, "sem get wants TARGET after its flags; got 0 argument(s)"},
		{[]string{"post", posix, sysv}, "got 2 argument(s)"},
		{[]string{"create", "--bogus", posix}, "flag provided but not defined: -bogus"},
		{[]string{"frob", posix}, `unknown sem subcommand "frob"`},
	} {
		mustFail(t, 2, tc.want, append([]string{"sem"}, tc.args...)...)
	}
	for _, target := range []string{posix, sysv} {
		if _, ok := semMode(t, target); ok {
			t.Errorf("%s exists after bad input", target)
		}
	}
	if _, err := os.Stat(file); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the file target was touched: %v", err)
	}
}

// TestSemNotASemaphore: a target that names a buffer, not a semaphore, is
// a clear error.
func TestSemNotASemaphore(t *testing.T) {
	forEachKind(t, func(t *testing.T, target string) {
		mustRun(t, "put", "--size", "8", target, "x")
		kind, _, _, _ := ipcbuf.ParseTarget(target)
		switch kind {
		case ipcbuf.KindPOSIX:
			mustFail(t, 1, "is a POSIX shared memory object, not a semaphore", "sem", "get", target)
			mustFail(t, 1, "is a POSIX shared memory object, not a semaphore", "sem", "rm", target)
		case ipcbuf.KindSysV:
			mustFail(t, 1, "names a System V shared memory segment, not a semaphore set", "sem", "post", target)
			mustFail(t, 1, "names a System V shared memory segment, not a semaphore set", "sem", "rm", target)
		default:
			mustFail(t, 2, "not a file path", "sem", "get", target)
		}
		if !exists(t, target) {
			t.Fatalf("%s was removed by sem rm", target)
		}
	})
}

func TestSemUsage(t *testing.T) {
	r := ipcbufRun("help")
	if !strings.Contains(r.stdout, "sem create|post|wait|get|rm") {
		t.Errorf("ipcbuf help does not list sem:\n%s", r.stdout)
	}
	r = ipcbufRun("sem")
	if r.code != 2 || !strings.Contains(r.stderr, "usage: ipcbuf sem <subcommand>") {
		t.Errorf("ipcbuf sem: status %d, stderr %q", r.code, r.stderr)
	}
	for _, args := range [][]string{{"sem", "help"}, {"help", "sem"}, {"sem", "-h"}} {
		r = ipcbufRun(args...)
		if r.code != 0 || !strings.Contains(r.stdout, "wait [--timeout D] TARGET") || !strings.Contains(r.stdout, "'*name'") {
			t.Errorf("ipcbuf %q: status %d, stdout %q", args, r.code, r.stdout)
		}
	}
	r = ipcbufRun("sem", "wait", "-h")
	if r.code != 0 || !strings.Contains(r.stdout, "usage: ipcbuf sem wait [--timeout D] TARGET") || !strings.Contains(r.stdout, "--timeout D") {
		t.Errorf("sem wait -h: status %d, stdout %q", r.code, r.stdout)
	}
}
