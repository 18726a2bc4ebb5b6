package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ipcbuf/ipcbuf"
	"github.com/ipcbuf/ipcbuf/internal/testenv"
)

// buildCommand builds the command into a temporary directory: the demo
// starts a second copy of itself, which needs a real binary.
func buildCommand(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(testenv.TempDir(t), "ipcbuf")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// tableRows returns the demo table's rows by kind, each split into its
// cells (runs of two or more spaces separate them, as tabwriter pads with
// at least two).
func tableRows(t *testing.T, out string) map[string][]string {
	t.Helper()
	rows := map[string][]string{}
	for _, line := range strings.Split(out, "\n") {
		cells := splitCells(line)
		if len(cells) == 0 {
			continue
		}
		switch cells[0] {
		case "memory", "posix", "file", "sysv":
			if len(cells) != 7 {
				t.Fatalf("table row %q has %d cells, want 7", line, len(cells))
			}
			rows[cells[0]] = cells
		}
	}
	if len(rows) != 4 {
		t.Fatalf("found %d table rows in:\n%s", len(rows), out)
	}
	return rows
}

func splitCells(line string) []string {
	var cells []string
	for _, c := range strings.Split(line, "  ") {
		if c = strings.TrimSpace(c); c != "" {
			cells = append(cells, c)
		}
	}
	return cells
}

// checkDemoGone fails t if the demo run by process pid left its POSIX
// object, System V segment or file directory behind.
func checkDemoGone(t *testing.T, pid int, fileTarget string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join("/dev/shm", demoShmName(pid))); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("/dev/shm/%s is still there after the demo (stat: %v)", demoShmName(pid), err)
	}
	for _, key := range sysvKeys() {
		if key == demoKey(pid) {
			t.Errorf("System V segment %#x is still in /proc/sysvipc/shm after the demo", key)
		}
	}
	if fileTarget != "" {
		if _, err := os.Stat(filepath.Dir(fileTarget)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the demo's directory %s is still there after the demo (stat: %v)", filepath.Dir(fileTarget), err)
		}
	}
}

func TestDemo(t *testing.T) {
	skipOnWindows(t, "it builds the command with the go command, which Wine does not have; TestWindowsDemo runs the demo with the test binary as its child")
	bin := buildCommand(t)
	cmd := exec.Command(bin, "demo")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	pid := cmd.Process.Pid
	// Should the demo have leaked, do not leak with it.
	t.Cleanup(func() {
		_ = ipcbuf.RemoveShm(demoShmName(pid))
		_ = ipcbuf.RemoveSysV(demoKey(pid))
	})
	out := stdout.String()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("ipcbuf demo: %v\nstdout:\n%s\nstderr:\n%s", err, out, stderr.String())
	}

	rows := tableRows(t, out)
	ping := fmt.Sprintf("ping from %d", pid)
	for kind, target := range map[string]string{
		"posix": "*" + demoShmName(pid),
		"file":  rows["file"][1],
		"sysv":  fmt.Sprintf("0x%08x", demoKey(pid)),
	} {
		r := rows[kind]
		pong := r[4]
		if r[1] != target || r[2] != ping || r[3] != ping || !strings.HasPrefix(pong, "pong from ") || pong == "pong from "+fmt.Sprint(pid) || r[5] != pong || r[6] != "yes" {
			t.Errorf("%s row %q: want target %s, %q read by the child, an answer from another pid read back, shared yes", kind, r, target, ping)
		}
	}
	if !strings.HasPrefix(rows["file"][1], os.TempDir()) {
		t.Errorf("file target %q is not under %s", rows["file"][1], os.TempDir())
	}
	if want := []string{"memory", "—", ping, "— (process memory)", "—", "(empty)", "no"}; fmt.Sprint(rows["memory"]) != fmt.Sprint(want) {
		t.Errorf("memory row %q, want %q", rows["memory"], want)
	}
	if !strings.Contains(out, `the child tried ipcbuf.Open("") and got: open "": empty target`) {
		t.Errorf("the demo does not show the child's failure to open the memory buffer:\n%s", out)
	}
	removed := fmt.Sprintf("Removed *%s, %s/, 0x%08x.\n", demoShmName(pid), filepath.Dir(rows["file"][1]), demoKey(pid))
	if !strings.HasSuffix(out, removed) {
		t.Errorf("the demo's output does not end with %q:\n%s", removed, out)
	}
	checkDemoGone(t, pid, rows["file"][1])
}

// fakeChild returns a childStarter that runs name with args in place of the
// demo's child; "{targets}" in args stands for the JSON the real child would
// print if every open failed.
func fakeChild(name string, args ...string) childStarter {
	return func(ctx context.Context, targets []string) *exec.Cmd {
		results := make([]childResult, len(targets))
		for i, target := range targets {
			results[i] = childResult{Target: target, Err: "refused by the test"}
		}
		js, _ := json.Marshal(results)
		a := make([]string, len(args))
		for i, arg := range args {
			a[i] = strings.ReplaceAll(arg, "{targets}", string(js))
		}
		return exec.CommandContext(ctx, name, a...)
	}
}

// TestDemoFailures runs the demo in-process with children that fail, and
// checks that it says so, exits 1, and still removes what it created.
func TestDemoFailures(t *testing.T) {
	skipOnWindows(t, "its fake children are the Unix commands false, true and echo")
	t.Cleanup(func() {
		_ = ipcbuf.RemoveShm(demoShmName(testPid))
		_ = ipcbuf.RemoveSysV(demoKey(testPid))
	})
	// The demo fails only for the kinds this build has: the Makefile also
	// runs these tests with tags that leave POSIX or System V out.
	var built []string
	for _, k := range addressableKinds {
		if inBuild(t, k.target(t)) {
			built = append(built, k.kind)
		}
	}
	for _, tc := range []struct {
		name  string
		child childStarter
		want  string
	}{
		{"child exits 1", fakeChild("false"), "ipcbuf: demo: child process: exit status 1"},
		{"child prints nothing", fakeChild("true"), "ipcbuf: demo: child process gave 0 results for"},
		{"child opens nothing", fakeChild("echo", "{targets}"), "ipcbuf: demo: no round trip through " + strings.Join(built, ", ")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := runDemo(context.Background(), &stdout, &stderr, tc.child)
			if code != 1 || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("status %d, stderr %q; want 1 and %q", code, stderr.String(), tc.want)
			}
			fileTarget := ""
			if strings.Contains(stdout.String(), "KIND") {
				rows := tableRows(t, stdout.String())
				for _, kind := range []string{"posix", "file", "sysv"} {
					want := "— (open failed)"
					if !slices.Contains(built, kind) {
						want = "— (not in this build)"
					}
					if r := rows[kind]; r[3] != want || r[6] != "no" {
						t.Errorf("%s row %q: want %q, not shared", kind, r, want)
					}
				}
				fileTarget = rows["file"][1]
			}
			checkDemoGone(t, testPid, fileTarget)
		})
	}
}

// TestDemoChild runs the child's side in-process against a buffer made
// here, and against the memory buffer's empty name.
func TestDemoChild(t *testing.T) {
	target := filepath.Join(testenv.TempDir(t), "buf") // a file: in every build with cgo
	b, err := ipcbuf.Open(target, demoSize, ipcbuf.Exclusive())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := b.Write("question", 0, ipcbuf.UTF8); err != nil {
		t.Fatal(err)
	}
	r := ipcbufRun(demoChildRole, target, "")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("child: status %d, stderr %q", r.code, r.stderr)
	}
	var results []childResult
	if err := json.Unmarshal([]byte(r.stdout), &results); err != nil || len(results) != 2 {
		t.Fatalf("child printed %q: %v", r.stdout, err)
	}
	answer := fmt.Sprintf("pong from %d", testPid)
	if got := results[0]; got != (childResult{Target: target, Read: "question", Wrote: answer}) {
		t.Errorf("child's result for %s: %+v", target, got)
	}
	if got, _ := readText(b, answerAt, demoSize); got != answer {
		t.Errorf("parent side reads %q after the child, want %q", got, answer)
	}
	if got := results[1]; got.Target != "" || got.Read != "" || got.Wrote != "" || !strings.Contains(got.Err, "empty target") {
		t.Errorf("child's result for the memory buffer's empty name: %+v", got)
	}
}
