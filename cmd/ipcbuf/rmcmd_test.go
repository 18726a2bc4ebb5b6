//go:build linux

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRmRefusesMapped(t *testing.T) {
	forEachKind(t, func(t *testing.T, target string) {
		mustRun(t, "put", "--size", "64", target, "held")
		h := startHolder(t, target)
		holderText := fmt.Sprintf("still mapped by 1 process: %d (%s)", h.pid, commOf(t, h.pid))

		for _, args := range [][]string{{"rm", target}, {"rm", "--dry-run", target}} {
			r := ipcbufRun(args...)
			if r.code != rmRefused || r.stdout != "" || !strings.Contains(r.stderr, "remove "+target+": "+holderText) || !strings.Contains(r.stderr, "nothing removed") || !strings.Contains(r.stderr, "--force") {
				t.Errorf("ipcbuf %q with a holder: %+v; want status %d and %q", args, r, rmRefused, holderText)
			}
			if !exists(t, target) {
				t.Fatalf("ipcbuf %q removed %s though it is mapped", args, target)
			}
		}
		r := ipcbufRun("rm", "--dry-run", "--force", target)
		if r.code != 0 || !strings.HasPrefix(r.stdout, "would remove "+target+" (") || !strings.Contains(r.stdout, holderText) || r.stderr != "" {
			t.Errorf("rm --dry-run --force: %+v", r)
		}
		if !exists(t, target) {
			t.Fatalf("rm --dry-run --force removed %s", target)
		}

		r = ipcbufRun("rm", "--force", target)
		if r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "removed "+target+"; "+holderText) {
			t.Errorf("rm --force: %+v", r)
		}
		if exists(t, target) {
			t.Fatalf("rm --force left %s", target)
		}
		h.release(t)
	})
}

func TestRmSeveral(t *testing.T) {
	dir := t.TempDir()
	a, b, missing := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "missing")
	for _, f := range []string{a, b} {
		if err := os.WriteFile(f, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// A bad TARGET anywhere: a usage error, and nothing removed.
	mustFail(t, 2, "bad TARGET", "rm", a, "*", b)
	if _, err := os.Stat(a); err != nil {
		t.Fatalf("rm with a bad TARGET removed %s: %v", a, err)
	}
	// A dry run lists them and removes nothing.
	r := ipcbufRun("rm", "--dry-run", a, b)
	if r.code != 0 || r.stdout != fmt.Sprintf("would remove %s (regular file, 1 bytes)\nwould remove %s (regular file, 1 bytes)\n", a, b) {
		t.Errorf("rm --dry-run: %+v", r)
	}
	// A missing one fails, and the others are removed all the same.
	r = ipcbufRun("rm", a, missing, b)
	if r.code != 1 || !strings.Contains(r.stderr, "remove "+missing+": no such file or directory ('ipcbuf ls' lists what exists)") {
		t.Errorf("rm a missing b: %+v", r)
	}
	for _, f := range []string{a, b} {
		if _, err := os.Lstat(f); err == nil {
			t.Errorf("rm left %s", f)
		}
	}
	mustFail(t, 2, "rm wants TARGET", "rm")
	mustFail(t, 2, "rm wants TARGET", "rm", "--force")
}

func TestRmSymlinkSaysWhereItPoints(t *testing.T) {
	dir := t.TempDir()
	file, link := filepath.Join(dir, "file"), filepath.Join(dir, "link")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"rm", link}, {"rm", "--force", link}, {"rm", "--dry-run", link}} {
		mustFail(t, 1, link+" is a symbolic link to "+file+", not a file a buffer could map: nothing removed (ipcbuf rm does not follow links", args...)
	}
	for _, f := range []string{file, link} {
		if _, err := os.Lstat(f); err != nil {
			t.Errorf("rm of the link removed %s: %v", f, err)
		}
	}
}
