package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"github.com/ipcbuf/ipcbuf/internal/testenv"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// dumpPatterns are contents whose dumps differ in every way hexdump -C
// has: partial last lines, repeated lines squeezed into "*" (and a repeat
// that is partial, which is not), text and bytes outside it.
func dumpPatterns() map[string][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 1000)
	for i := range random {
		random[i] = byte(rng.UintN(256))
	}
	runs := append(append(append([]byte("head of the file\x00\x01\x7f\x80~ "), make([]byte, 100)...), bytes.Repeat([]byte("0123456789abcdef"), 5)...), 0xff)
	return map[string][]byte{
		"one":    {'A'},
		"line":   []byte("exactly 16 bytes"),
		"text":   []byte("hello, world\nsecond line\tand a tab\r\n"),
		"random": random,
		"runs":   runs,
		"zeros":  make([]byte, 4096),
	}
}

func TestDumpIsHexdumpC(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("hexdump is a Unix program, which Windows (and a program under Wine) cannot run: the Linux run compares dump with it")
	}
	hexdump, err := exec.LookPath("hexdump")
	if err != nil {
		requireOrSkip(t, "hexdump (util-linux's bsdextrautils on Debian) is not installed: nothing to compare dump with")
	}
	for name, data := range dumpPatterns() {
		file := filepath.Join(testenv.TempDir(t), name)
		if err := os.WriteFile(file, data, 0o600); err != nil {
			t.Fatal(err)
		}
		n := len(data)
		ranges := [][2]int{{0, -1}, {1, -1}, {5, 40}, {16, 32}, {n, -1}, {n - 1, -1}, {3, 0}, {0, n + 100}, {n / 2, 17}}
		for _, r := range ranges {
			if r[0] > n {
				continue // an error for dump (tested below), an address for hexdump
			}
			args, hargs := []string{"dump"}, []string{"-C"}
			if r[0] > 0 {
				args = append(args, "--offset", strconv.Itoa(r[0]))
				hargs = append(hargs, "-s", strconv.Itoa(r[0]))
			}
			if r[1] >= 0 {
				args = append(args, "--length", strconv.Itoa(r[1]))
				hargs = append(hargs, "-n", strconv.Itoa(r[1]))
			}
			want, err := exec.Command(hexdump, append(hargs, file)...).Output()
			if err != nil {
				t.Fatalf("hexdump %q: %v", hargs, err)
			}
			got := mustRun(t, append(args, file)...)
			if got != string(want) {
				t.Errorf("%s: ipcbuf %q differs from hexdump %q:\n%s\nwant:\n%s", name, args, hargs, got, want)
			}
		}
	}
}

func TestDumpEveryKind(t *testing.T) {
	data := dumpPatterns()["runs"]
	forEachKind(t, func(t *testing.T, target string) {
		mustRun(t, "put", "--size", strconv.Itoa(len(data)), "--enc", "hex", target, hex.EncodeToString(data))
		var want bytes.Buffer
		if err := hexdumpC(&want, bytes.NewReader(data), 0, int64(len(data))); err != nil {
			t.Fatal(err)
		}
		expect(t, "dump", mustRun(t, "dump", target), want.String())
		if !strings.HasPrefix(want.String(), "00000000  68 65 61 64 20 6f 66 20  74 68 65 20 66 69 6c 65  |head of the file|\n") || !strings.Contains(want.String(), "\n*\n") {
			t.Errorf("the expected dump is not hexdump -C's layout:\n%s", want.String())
		}
		expect(t, "dump --enc hex", mustRun(t, "dump", "--enc", "hex", target), hex.EncodeToString(data))
		expect(t, "dump --offset 5 --length 7 --enc utf8", mustRun(t, "dump", "--offset", "5", "--length", "7", "--enc", "utf8", target), "of the ")
		expect(t, "dump --offset 16 --length 4 --enc base64", mustRun(t, "dump", "--offset", "16", "--length", "4", "--enc", "base64", target), base64.StdEncoding.EncodeToString(data[16:20]))
		expect(t, "dump --offset end", mustRun(t, "dump", "--offset", strconv.Itoa(len(data)), "--enc", "hex", target), "")
		mustFail(t, 1, "--offset 1000 is past the end: "+target+" is "+strconv.Itoa(len(data))+" bytes", "dump", "--offset", "1000", target)
		mustFail(t, 2, "--offset -1 is negative", "dump", "--offset", "-1", target)
		mustFail(t, 2, "--length -1 is negative", "dump", "--length", "-1", target)
		mustFail(t, 2, "unknown encoding", "dump", "--enc", "nope", target)
		// Dumping wrote nothing.
		expect(t, "get --enc hex", mustRun(t, "get", "--enc", "hex", target), hex.EncodeToString(data))
		mustRun(t, "rm", target)
		mustFail(t, 1, notFound+" ('ipcbuf ls' lists what exists)", "dump", target)
		if exists(t, target) {
			t.Fatalf("dump created %s", target)
		}
	})
}

func TestDumpEmptyAndNotFiles(t *testing.T) {
	dir := testenv.TempDir(t)
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	expect(t, "dump of an empty file", mustRun(t, "dump", empty), "")
	mustFail(t, 1, "--offset 1 is past the end", "dump", "--offset", "1", empty)
	mustFail(t, 1, "is a directory", "dump", dir)
	skipOnWindows(t, "the symbolic link case: Wine makes os.Symlink's links as Unix symbolic links, which Windows' own calls follow")
	link := filepath.Join(dir, "link")
	if err := os.Symlink(empty, link); err != nil {
		t.Fatal(err)
	}
	// A symlink is not followed (NoFollow): dump says what it is.
	r := ipcbufRun("dump", link)
	if r.code != 1 || !strings.Contains(r.stderr, link) || r.stdout != "" {
		t.Errorf("dump of a symlink: %+v", r)
	}
}
