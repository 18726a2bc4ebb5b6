//go:build linux

package main

// Hardening of the command, reliability scenarios 19 and 26 (rows of
// TESTING.md's reliability table): a key with leading zeros is the decimal key; bad
// input is refused before anything is created; rm removes only buffers.

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/ipcbuf/ipcbuf"
)

// TestLeadingZeroKey is scenario 19: "0755" is key 755, not octal 0x1ed, so
// what put wrote there get finds under "755", and "08" is key 8.
func TestLeadingZeroKey(t *testing.T) {
	key := testKey(t)
	target := strconv.Itoa(key)
	requireKind(t, target)
	removeAtCleanup(t, target)
	expect(t, "put --size 64 0"+target, mustRun(t, "put", "--size", "64", "0"+target, "hello"), "5\n")
	expect(t, "get --end 5 "+target, mustRun(t, "get", "--end", "5", target), "hello")
	expect(t, "get --end 5 0x...", mustRun(t, "get", "--end", "5", fmt.Sprintf("0x%x", key)), "hello")
	expect(t, "rm 00"+target, mustRun(t, "rm", "00"+target), "")
	if exists(t, target) {
		t.Fatalf("%s still exists after rm 00%s", target, target)
	}
	// Digits 8 and 9 after a zero are not "out of range": they are decimal.
	for _, s := range []string{"08", "0755", "09"} {
		_, _, k, err := ipcbuf.ParseTarget(s)
		want, _ := strconv.Atoi(s)
		if err != nil || k != want {
			t.Errorf("ParseTarget(%q) = key %d, %v; want %d", s, k, err, want)
		}
	}
	mustFail(t, 2, "System V key 04294967296 is out of range", "get", "04294967296")
}

// TestPutRefusesBeforeCreating is scenario 26: a put that fails, whatever
// its flags, leaves nothing behind: each bad combination is refused before
// the object is created.
func TestPutRefusesBeforeCreating(t *testing.T) {
	forEachKind(t, func(t *testing.T, target string) {
		for _, tc := range []struct {
			code int
			want string
			args []string
		}{
			{1, `"offset" is out of range`, []string{"--size", "10", "--offset", "100"}},
			{1, `"offset" is out of range`, []string{"--size", "10", "--offset", "11"}},
			{1, `"offset" is out of range`, []string{"--size", "10", "--offset", "-1"}},
			{1, `"offset" is out of range`, []string{"--size", "1", "--offset", "2", "--enc", "hex"}},
			{1, `"offset" is out of range`, []string{"--enc", "base64", "--offset", "9", "--size", "8"}},
			{1, "give --size N to create it", []string{"--offset", "5"}},
			{1, "give --size N to create it", []string{"--size", "0", "--enc", "latin1"}},
			{2, "unknown encoding", []string{"--size", "10", "--enc", "nope"}},
			{2, "unknown encoding", []string{"--size", "10", "--offset", "1", "--enc", ""}},
			{2, "--size -1 is negative", []string{"--size", "-1", "--offset", "100"}},
			{2, "invalid value", []string{"--size", "10", "--offset", "x"}},
			{2, "flag provided but not defined", []string{"--size", "10", "--start", "1"}},
		} {
			args := append(append([]string{"put"}, tc.args...), target, "x")
			mustFail(t, tc.code, tc.want, args...)
			if exists(t, target) {
				t.Fatalf("ipcbuf %q failed and left %s behind", args, target)
			}
		}
		// get never creates, whatever its flags.
		for _, args := range [][]string{
			{"get", target},
			{"get", "--start", "5", "--end", "1", "--enc", "hex", target},
			{"get", "--end", "-1", target},
		} {
			mustFail(t, 1, "no such file or directory", args...)
			if exists(t, target) {
				t.Fatalf("ipcbuf %q made %s", args, target)
			}
		}
		// The edge that is not an error: at the end, Node writes nothing.
		expect(t, "put --size 10 --offset 10", mustRun(t, "put", "--size", "10", "--offset", "10", target, "x"), "0\n")
		// An existing object's size decides, and it stays.
		mustFail(t, 1, `"offset" is out of range`, "put", "--size", "100", "--offset", "11", target, "x")
		if !exists(t, target) {
			t.Fatalf("a failed put on an existing %s removed it", target)
		}
	})
}

// TestRmOnlyBuffers is scenario 26: rm removes shared memory objects and
// regular files, and nothing else: a directory, FIFO, socket, device or
// symbolic link is a clear error, a non-zero exit, and stays.
func TestRmOnlyBuffers(t *testing.T) {
	dir := t.TempDir()
	paths := map[string]string{}
	mk := func(kind string, f func(path string) error) {
		path := filepath.Join(dir, strings.ReplaceAll(kind, " ", "-"))
		if err := f(path); err != nil {
			t.Logf("cannot make %s here: %v", kind, err)
			return
		}
		paths[kind] = path
	}
	mk("a directory", func(p string) error { return os.Mkdir(p, 0o700) })
	mk("a FIFO", func(p string) error { return syscall.Mkfifo(p, 0o600) })
	mk("a socket", func(p string) error {
		fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer syscall.Close(fd)
		return syscall.Bind(fd, &syscall.SockaddrUnix{Name: p})
	})
	mk("a character device", func(p string) error { return syscall.Mknod(p, syscall.S_IFCHR|0o600, 1<<8|3) })
	mk("a symbolic link", func(p string) error {
		if err := os.WriteFile(p+".target", []byte("x"), 0o600); err != nil {
			return err
		}
		return os.Symlink(p+".target", p)
	})
	if _, ok := paths["a directory"]; !ok {
		t.Fatal("cannot make a directory")
	}
	// With "./" too, the form for a name that would be a key.
	t.Chdir(dir)
	for kind, path := range paths {
		for _, target := range []string{path, "./" + filepath.Base(path)} {
			mustFail(t, 1, "is "+kind, "rm", target)
			mustFail(t, 1, "nothing removed", "rm", target)
			if _, err := os.Lstat(path); err != nil {
				t.Fatalf("rm %s removed %s: %v", target, kind, err)
			}
		}
	}
	// The same under a POSIX name.
	name := testShmName()
	shmPath := filepath.Join("/dev/shm", name)
	if err := os.Mkdir(shmPath, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(shmPath) })
	if inBuild(t, "*"+name) {
		mustFail(t, 1, "is a directory, not a POSIX shared memory object", "rm", "*"+name)
		if _, err := os.Lstat(shmPath); err != nil {
			t.Fatalf("rm *%s removed the directory: %v", name, err)
		}
	}
	// A regular file is a buffer's file: removed.
	file := filepath.Join(dir, "regular")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	expect(t, "rm regular file", mustRun(t, "rm", file), "")
	if _, err := os.Lstat(file); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("rm left the regular file: %v", err)
	}
}
