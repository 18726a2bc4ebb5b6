//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ipcbuf/ipcbuf"
)

// lockCommand returns the ipcbuf command with args, as a process of its
// own (see commandProcess).
func lockCommand(args ...string) *exec.Cmd {
	return commandProcess(context.Background(), args...)
}

// mustLockFail runs the command and fails the test unless it exits with
// code, says want on stderr and prints nothing on stdout.
func mustLockFail(t *testing.T, code int, want string, args ...string) {
	t.Helper()
	r := ipcbufRun(args...)
	if r.code != code || !strings.Contains(r.stderr, want) || r.stdout != "" {
		t.Fatalf("ipcbuf %q: status %d, stdout %q, stderr %q; want status %d and stderr containing %q",
			args, r.code, r.stdout, r.stderr, code, want)
	}
}

// lockTargetBytes returns the bytes of target's object.
func lockTargetBytes(t *testing.T, target string) []byte {
	t.Helper()
	b, err := ipcbuf.Open(target, 0, ipcbuf.OpenOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	got := make([]byte, b.Len())
	if _, err := b.ReadAt(got, 0); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestLockCreatesAndRuns(t *testing.T) {
	forEachKind(t, func(t *testing.T, target string) {
		out := filepath.Join(t.TempDir(), "out")
		r := ipcbufRun("lock", target, "--", "sh", "-c", `echo "$1" > "$2"; echo printed; echo warned >&2`, "sh", "ran", out)
		if r.code != 0 || r.stdout != "printed\n" || r.stderr != "warned\n" {
			t.Fatalf("lock: status %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
		data, err := os.ReadFile(out)
		if err != nil || string(data) != "ran\n" {
			t.Fatalf("the command wrote %q, %v", data, err)
		}
		// Created like flock(1) creates its file: with just the mutex,
		// which is unlocked again.
		if got := lockTargetBytes(t, target); !bytes.Equal(got, make([]byte, ipcbuf.MutexSize)) {
			t.Fatalf("target after lock holds % x, want %d zero bytes", got, ipcbuf.MutexSize)
		}
		// An existing, larger object keeps its size and its other bytes.
		mustRun(t, "rm", target)
		mustRun(t, "put", "--size", "32", "--offset", "16", target, "data")
		expect(t, "lock -- echo", ipcbufRun("lock", target, "--", "echo", "again").stdout, "again\n")
		expect(t, "get", mustRun(t, "get", "--start", "16", "--end", "20", target), "data")
	})
}

func TestLockExitStatus(t *testing.T) {
	target := filepath.Join(t.TempDir(), "lock")
	notExec := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		argv []string
		code int
		msg  string
	}{
		{[]string{"true"}, 0, ""},
		{[]string{"sh", "-c", "exit 7"}, 7, ""},
		{[]string{"sh", "-c", "exit 255"}, 255, ""},
		{[]string{"sh", "-c", "kill -TERM $$"}, 128 + int(syscall.SIGTERM), ""},
		{[]string{"sh", "-c", "kill -KILL $$"}, 128 + int(syscall.SIGKILL), ""},
		{[]string{"no-such-command-ipcbuf"}, 127, `ipcbuf: lock: "no-such-command-ipcbuf": executable file not found in $PATH`},
		{[]string{notExec}, 126, "permission denied"},
	} {
		r := ipcbufRun(append([]string{"lock", target, "--"}, tc.argv...)...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.msg) || tc.msg == "" && r.stderr != "" {
			t.Errorf("lock -- %q: status %d, stderr %q; want %d and %q", tc.argv, r.code, r.stderr, tc.code, tc.msg)
		}
		// Whatever the command did, the lock is free again.
		if got := lockTargetBytes(t, target); !bytes.Equal(got, make([]byte, ipcbuf.MutexSize)) {
			t.Fatalf("after lock -- %q the mutex holds % x", tc.argv, got)
		}
	}
}

func TestLockTimeout(t *testing.T) {
	target := filepath.Join(t.TempDir(), "lock")
	b, err := ipcbuf.OpenFile(target, ipcbuf.MutexSize)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	m, err := ipcbuf.NewMutex(b, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Lock(); err != nil {
		t.Fatal(err)
	}
	ran := filepath.Join(t.TempDir(), "ran")
	for _, d := range []string{"100ms", "0"} {
		want := fmt.Sprintf("ipcbuf: lock %s: timed out after %s: another process holds the lock", target, map[string]string{"100ms": "100ms", "0": "0s"}[d])
		mustLockFail(t, 1, want, "lock", "--timeout", d, target, "--", "touch", ran)
	}
	if _, err := os.Stat(ran); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the command ran without the lock: %v", err)
	}
	if err := m.Unlock(); err != nil {
		t.Fatal(err)
	}
	expect(t, "lock --timeout 10s", mustRun(t, "lock", "--timeout", "10s", target, "--", "echo", "ok"), "ok\n")
}

func TestLockBadInput(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "lock")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"lock"}, "lock wants TARGET -- COMMAND [ARG...]; TARGET is missing"},
		{[]string{"lock", "--", "true"}, "TARGET is missing"},
		{[]string{"lock", "--", "true", "false"}, "TARGET is missing"},
		{[]string{"lock", target}, "lock wants -- COMMAND after TARGET"},
		{[]string{"lock", target, "true"}, `lock wants -- between TARGET and COMMAND; got "true" after TARGET`},
		{[]string{"lock", target, "--"}, "lock wants a COMMAND after --"},
		{[]string{"lock", "--timeout", "-1s", target, "--", "true"}, `invalid value "-1s" for flag -timeout: the timeout is negative`},
		{[]string{"lock", "--timeout", "soon", target, "--", "true"}, `invalid value "soon" for flag -timeout: not a duration`},
		{[]string{"lock", "--wait", "1s", target, "--", "true"}, "flag provided but not defined: -wait"},
		{[]string{"lock", filepath.Join(dir, "a\x00b"), "--", "true"}, "bad TARGET"},
		{[]string{"lock", "*a/b", "--", "true"}, "bad TARGET"},
	} {
		mustLockFail(t, 2, tc.want, tc.args...)
		mustLockFail(t, 2, "usage: ipcbuf lock [--timeout D] TARGET -- COMMAND [ARG...]", tc.args...)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("bad input created %v", entries)
	}
	r := ipcbufRun("help", "lock")
	if r.code != 0 || !strings.Contains(r.stdout, "usage: ipcbuf lock") || !strings.Contains(r.stdout, "--timeout D") {
		t.Fatalf("help lock: status %d, stdout %q", r.code, r.stdout)
	}
	r = ipcbufRun("help")
	if !strings.Contains(r.stdout, "lock [--timeout D] TARGET -- COMMAND") {
		t.Fatalf("help does not list lock:\n%s", r.stdout)
	}
}

func TestLockNotAMutex(t *testing.T) {
	forEachKind(t, func(t *testing.T, target string) {
		ran := filepath.Join(t.TempDir(), "ran")
		mustRun(t, "put", "--size", "8", target, "")
		mustLockFail(t, 1, fmt.Sprintf("ipcbuf: lock %s: it has 8 bytes, and a mutex takes 16", target), "lock", target, "--", "touch", ran)
		mustRun(t, "rm", target)
		mustRun(t, "put", "--size", "16", target, "not a mutex, no!")
		mustLockFail(t, 1, "corrupt shared state: the 16 bytes at offset 0 (6e 6f 74", "lock", target, "--", "touch", ran)
		if _, err := os.Stat(ran); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("the command ran: %v", err)
		}
		expect(t, "get", mustRun(t, "get", target), "not a mutex, no!") // untouched
	})
}

// TestLockProcesses runs the built command as separate processes: they
// take turns, and when one is killed holding the lock, its command dies
// with it and the next one says so and goes on.
func TestLockProcesses(t *testing.T) {

	t.Run("serialise", func(t *testing.T) {
		forEachKind(t, func(t *testing.T, target string) {
			log := filepath.Join(t.TempDir(), "log")
			const n = 3
			var cmds []*exec.Cmd
			for i := range n {
				cmd := lockCommand("lock", target, "--", "sh", "-c",
					`echo "start $1" >> "$2"; sleep 0.1; echo "end $1" >> "$2"`, "sh", strconv.Itoa(i), log)
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				cmds = append(cmds, cmd)
			}
			for _, cmd := range cmds {
				if err := cmd.Wait(); err != nil {
					t.Fatalf("%v: %s", err, cmd.Stderr.(*bytes.Buffer).Bytes())
				}
			}
			data, err := os.ReadFile(log)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
			if len(lines) != 2*n {
				t.Fatalf("log:\n%s", data)
			}
			seen := map[string]bool{}
			for i := 0; i < len(lines); i += 2 {
				id := strings.TrimPrefix(lines[i], "start ")
				if lines[i] == id || lines[i+1] != "end "+id || seen[id] {
					t.Fatalf("the commands overlapped:\n%s", data)
				}
				seen[id] = true
			}
		})
	})

	t.Run("holder killed", func(t *testing.T) {
		forEachKind(t, func(t *testing.T, target string) {
			pidFile := filepath.Join(t.TempDir(), "pid")
			holder := lockCommand("lock", target, "--", "sh", "-c", `echo $$ > "$1"; exec sleep 600`, "sh", pidFile)
			if err := holder.Start(); err != nil {
				t.Fatal(err)
			}
			defer holder.Process.Kill()
			var pid int
			for deadline := time.Now().Add(time.Minute); pid == 0; time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("the holder's command never started")
				}
				data, _ := os.ReadFile(pidFile)
				if strings.HasSuffix(string(data), "\n") {
					pid, _ = strconv.Atoi(strings.TrimSpace(string(data)))
				}
			}
			holder.Process.Signal(syscall.SIGKILL)
			holder.Wait()
			// Its command dies with it, so it cannot overlap the next one.
			for deadline := time.Now().Add(time.Minute); lockProcessRuns(pid); time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					syscall.Kill(pid, syscall.SIGKILL)
					t.Fatalf("the holder's command (pid %d) outlived it", pid)
				}
			}
			r := ipcbufRun("lock", "--timeout", "1m", target, "--", "echo", "next")
			want := fmt.Sprintf(": the previous owner of the mutex died holding it (it was pid %d); marking it consistent and going on\n", holder.Process.Pid)
			if r.code != 0 || r.stdout != "next\n" || !strings.HasPrefix(r.stderr, "ipcbuf: lock ") || !strings.HasSuffix(r.stderr, want) || strings.Count(r.stderr, "\n") != 1 {
				t.Fatalf("after the holder was killed: status %d, stdout %q, stderr %q; want stderr %q", r.code, r.stdout, r.stderr, want)
			}
			// Consistent again: the next one has nothing to say.
			expect(t, "lock -- echo", mustRun(t, "lock", target, "--", "echo", "calm"), "calm\n")
		})
	})
}

// lockProcessRuns reports whether pid is a process that has not ended.
func lockProcessRuns(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z" && fields[0] != "X"
}
