//go:build linux

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ipcbuf/ipcbuf"
)

// TestNotRegularTarget: put and get on a FIFO, socket or directory fail at
// once with status 1 and say what the target is; neither blocks, and put
// never reports bytes written (scenario 18 of TESTING.md).
func TestNotRegularTarget(t *testing.T) {
	type target struct {
		name, target, path string
	}
	var targets []target
	if ipcbuf.KindFile.Supported() {
		dir := t.TempDir()
		targets = append(targets,
			target{"file fifo", filepath.Join(dir, "fifo"), filepath.Join(dir, "fifo")},
			target{"file directory", filepath.Join(dir, "dir"), filepath.Join(dir, "dir")})
	}
	if ipcbuf.KindPOSIX.Supported() {
		name := testShmName()
		targets = append(targets, target{"posix fifo", "*" + name, "/dev/shm/" + name})
	}
	if len(targets) == 0 {
		t.Skip("this build has neither files nor POSIX objects")
	}
	for _, tg := range targets {
		if filepath.Base(tg.path) == "dir" {
			if err := os.Mkdir(tg.path, 0o700); err != nil {
				t.Fatal(err)
			}
		} else if err := syscall.Mkfifo(tg.path, 0o666); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Remove(tg.path) })
		for _, args := range [][]string{
			{"get", tg.target},
			{"get", "--end", "4", tg.target},
			{"put", tg.target, "x"},
			{"put", "--size", "8", tg.target, "x"},
		} {
			done := make(chan result, 1)
			go func() { done <- ipcbufRun(args...) }()
			var r result
			select {
			case r = <-done:
			case <-time.After(time.Minute):
				// Let the blocked open(2) of the FIFO return.
				if f, err := os.OpenFile(tg.path, os.O_RDWR, 0); err == nil {
					defer f.Close()
				}
				<-done
				t.Fatalf("%s: ipcbuf %q did not return within a minute", tg.name, args)
			}
			if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, "not a regular file") {
				t.Errorf("%s: ipcbuf %q: status %d, stdout %q, stderr %q; want status 1, no output and \"not a regular file\"",
					tg.name, args, r.code, r.stdout, r.stderr)
			}
		}
		if fi, err := os.Lstat(tg.path); err != nil || fi.Mode().IsRegular() {
			t.Errorf("%s: afterwards: %v, %v", tg.name, fi, err)
		}
	}
}
