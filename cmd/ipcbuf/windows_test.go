//go:build windows

package main

// What the command does with Windows objects: ls and stat find this
// session's named sections, dump reads them, rm says it cannot remove one
// and leaves it, and the demo shares a section and a file. make
// test-windows runs them under Wine.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipcbuf/ipcbuf"
	"github.com/ipcbuf/ipcbuf/internal/testenv"
)

// newSection creates the section *NAME with size bytes and text at its
// start, held open by this test until it ends.
func newSection(t *testing.T, size int, text string) (target string, b *ipcbuf.Buffer) {
	t.Helper()
	target = "*" + testShmName()
	b, err := ipcbuf.Open(target, size, ipcbuf.Exclusive())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	if _, err := b.Write(text, 0, ipcbuf.UTF8); err != nil {
		t.Fatal(err)
	}
	return target, b
}

// requireWindowsKinds skips t in a build without named sections and file
// mappings (CGO_ENABLED=0), saying so.
func requireWindowsKinds(t *testing.T) {
	t.Helper()
	if ipcbuf.KindPOSIX.Supported() && ipcbuf.KindFile.Supported() {
		return
	}
	if how := leftOut(ipcbuf.KindPOSIX); how != "" {
		t.Skipf("this build has no named sections or file mappings (%s)", how)
	}
	requireOrSkip(t, "this build has no named sections or file mappings, though no build tag or CGO_ENABLED=0 asked to leave them out")
}

// pageSize is the page of a section's size on Windows.
const pageSize = 4096

// TestWindowsLsShowsSection: ls lists a section this test made, by name
// and size (whole pages), as KIND section with MAPPED unknown, and no
// made-up mode or owner; its JSON keeps the kind "posix".
func TestWindowsLsShowsSection(t *testing.T) {
	requireWindowsKinds(t)
	target, _ := newSection(t, 100000, "listed")
	o := lsFind(lsJSON(t), kindPOSIX, target)
	if o == nil {
		t.Fatalf("ls --json does not list %s", target)
	}
	want := int64((100000 + pageSize - 1) / pageSize * pageSize)
	if o.Size == nil || *o.Size != want || o.Path != `Local\`+target[1:] || o.Mode != "" || o.Owner != "" {
		t.Errorf("ls --json of %s: %+v; want size %d, path Local\\%s, no mode or owner", target, o, want, target[1:])
	}
	if o.Mapped == nil || len(o.Mapped.Processes) != 0 || !strings.Contains(o.Mapped.Error, "Windows keeps no list") {
		t.Errorf("ls --json of %s: mapped %+v; want unknown, with why", target, o.Mapped)
	}
	var line string
	for _, l := range strings.Split(mustRun(t, "ls"), "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[1] == target {
			line = l
		}
	}
	f := strings.Fields(line)
	if len(f) != 7 || f[0] != "section" || f[2] != fmt.Sprint(want) || f[3] != "-" || f[4] != "-" || f[5] != "-" || f[6] != "unknown" {
		t.Errorf("ls line of %s: %q; want section, size %d, - - -, unknown", target, line, want)
	}
}

// TestWindowsLsSemaphore: a named semaphore "*NAME" (Local\sem.NAME) shows
// as KIND semaphore.
func TestWindowsLsSemaphore(t *testing.T) {
	requireWindowsKinds(t)
	target := "*" + testShmName()
	s, err := ipcbuf.OpenSemaphore(target, 3, ipcbuf.Exclusive())
	if errors.Is(err, errors.ErrUnsupported) {
		t.Skipf("this build has no named semaphores on Windows: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(); _ = ipcbuf.RemoveSemaphore(target) })
	o := lsFind(lsJSON(t), kindPOSIXSem, target)
	if o == nil || o.Path != `Local\sem.`+target[1:] {
		t.Fatalf("ls --json: %+v; want %s as the semaphore Local\\sem.%s", o, target, target[1:])
	}
	if o.Value == nil || *o.Value != 3 {
		t.Errorf("ls --json value of %s: %v, want 3 (notes %q)", target, o.Value, o.Notes)
	}
	if !strings.Contains(mustRun(t, "ls"), "semaphore  "+target) {
		t.Errorf("ls does not show %s as a semaphore", target)
	}
}

// TestWindowsStatDump: stat and dump of a section and of a file.
func TestWindowsStatDump(t *testing.T) {
	requireWindowsKinds(t)
	section, _ := newSection(t, 5000, "in a section")
	file := filepath.Join(testenv.TempDir(t), "f.bin")
	if err := os.WriteFile(file, []byte("in a file"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		target string
		size   int64
		text   string
		kind   string
	}{
		{section, 2 * pageSize, "in a section", kindPOSIX},
		{file, 9, "in a file", kindFile},
	} {
		o := statJSON(t, tc.target)
		if o.Kind != tc.kind || o.Size == nil || *o.Size != tc.size || o.Mode != "" || o.Mapped == nil || o.Mapped.Error == "" {
			t.Errorf("stat --json %s: %+v; want kind %s, size %d, no mode, mapped unknown", tc.target, o, tc.kind, tc.size)
		}
		out := mustRun(t, "stat", tc.target)
		for _, w := range []string{"size:", fmt.Sprintf("%d bytes", tc.size), "mapped by: unknown", "mode:      -"} {
			if !strings.Contains(out, w) {
				t.Errorf("stat %s lacks %q:\n%s", tc.target, w, out)
			}
		}
		if tc.kind == kindFile && (o.Times["created"].IsZero() || o.Times["modified"].IsZero()) {
			t.Errorf("stat --json %s: times %v; want created and modified", tc.target, o.Times)
		}
		want := fmt.Sprintf("%08x  %s", 0, hexBytes(tc.text))
		if got := mustRun(t, "dump", "--length", fmt.Sprint(len(tc.text)), tc.target); !strings.HasPrefix(got, want) {
			t.Errorf("dump %s = %q, want it to start %q", tc.target, got, want)
		}
		if got := mustRun(t, "dump", "--enc", "utf8", "--length", fmt.Sprint(len(tc.text)), tc.target); got != tc.text {
			t.Errorf("dump --enc utf8 %s = %q, want %q", tc.target, got, tc.text)
		}
	}
	mustFail(t, 1, "Windows has no System V", "stat", "4660")
}

// hexBytes is the hex column of hexdump -C for the first 8 bytes of s.
func hexBytes(s string) string {
	var parts []string
	for i := 0; i < len(s) && i < 8; i++ {
		parts = append(parts, fmt.Sprintf("%02x", s[i]))
	}
	return strings.Join(parts, " ")
}

// TestWindowsRmSection: rm of a section says that Windows cannot remove
// it, exits 3 with and without --force and --dry-run, and leaves it; a
// missing one is an error.
func TestWindowsRmSection(t *testing.T) {
	requireWindowsKinds(t)
	target, _ := newSection(t, pageSize, "kept")
	for _, args := range [][]string{{"rm", target}, {"rm", "--force", target}, {"rm", "--dry-run", target}} {
		r := ipcbufRun(args...)
		if r.code != rmRefused || r.stdout != "" || !strings.Contains(r.stderr, "Windows cannot remove a named section") || strings.Contains(r.stderr, "removed "+target) {
			t.Errorf("ipcbuf %q: %+v; want status %d and why not", args, r, rmRefused)
		}
		b, err := ipcbuf.Open(target, 0, ipcbuf.OpenOnly())
		if err != nil {
			t.Fatalf("after ipcbuf %q: %v", args, err)
		}
		if got, _ := b.ToString(ipcbuf.UTF8, 0, 4); got != "kept" {
			t.Errorf("after ipcbuf %q the section holds %q", args, got)
		}
		b.Close()
	}
	missing := "*" + testShmName()
	mustFail(t, 1, "remove "+missing, "rm", missing)
}

// TestWindowsRmFile: rm deletes a file; --dry-run keeps it.
func TestWindowsRmFile(t *testing.T) {
	requireWindowsKinds(t)
	file := filepath.Join(testenv.TempDir(t), "gone.bin")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := ipcbufRun("rm", "--dry-run", file)
	if r.code != 0 || r.stdout != fmt.Sprintf("would remove %s (regular file, 1 bytes)\n", file) {
		t.Errorf("rm --dry-run: %+v", r)
	}
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("rm --dry-run removed %s: %v", file, err)
	}
	expect(t, "rm", mustRun(t, "rm", file), "")
	if _, err := os.Stat(file); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%s after rm: %v", file, err)
	}
	dir := filepath.Join(testenv.TempDir(t), "dir")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	mustFail(t, 1, "is a directory", "rm", dir)
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("rm removed the directory %s: %v", dir, err)
	}
}

// TestWindowsDemo: the demo, with this test binary as its child, shares a
// section and a file, says that Windows has no System V, and removes its
// file.
func TestWindowsDemo(t *testing.T) {
	requireWindowsKinds(t)
	var stdout, stderr bytes.Buffer
	code := runDemo(context.Background(), &stdout, &stderr, func(ctx context.Context, targets []string) *exec.Cmd {
		return commandProcess(ctx, append([]string{demoChildRole}, targets...)...)
	})
	out := stdout.String()
	if code != 0 || stderr.Len() > 0 {
		t.Fatalf("demo: status %d\nstdout:\n%s\nstderr:\n%s", code, out, stderr.String())
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(out, "\n") {
		if c := splitCells(line); len(c) == 7 {
			rows[c[0]] = c
		}
	}
	for kind, target := range map[string]string{"section": "*" + demoShmName(testPid), "file": ""} {
		r := rows[kind]
		if r == nil || (target != "" && r[1] != target) || r[6] != "yes" || r[3] != fmt.Sprintf("ping from %d", testPid) {
			t.Errorf("%s row %q: want %s shared", kind, r, target)
		}
	}
	if r := rows["sysv"]; r == nil || r[3] != "— (Windows has none)" || r[6] != "no" {
		t.Errorf("sysv row %q: want Windows has none", r)
	}
	if f := rows["file"]; f != nil {
		if strings.Contains(f[1], "/") {
			t.Errorf("the file's path %q mixes separators", f[1])
		}
		dir := filepath.Dir(f[1])
		if !strings.Contains(out, dir+`\.`) {
			t.Errorf("the demo does not say it removed %s\\:\n%s", dir, out)
		}
		if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the demo left %s: %v", dir, err)
		}
	}
}

// sectionLeftovers lists this process's test and demo sections that still
// exist when the tests end: on Windows a section lives while a handle to
// it is open, so one still there is a buffer some test did not close.
func sectionLeftovers() []string {
	entries, err := sessionObjects()
	if errors.Is(err, errors.ErrUnsupported) {
		return nil // a build without cgo, which makes no sections
	}
	if err != nil {
		return []string{"(cannot list sections: " + err.Error() + ")"}
	}
	var found []string
	for _, e := range entries {
		if e.typ == "Section" && (strings.HasPrefix(e.name, testShmPrefix) || e.name == demoShmName(testPid)) {
			found = append(found, "*"+e.name)
		}
	}
	return found
}
