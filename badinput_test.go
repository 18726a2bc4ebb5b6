//go:build linux

package ipcbuf_test

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	qt "github.com/frankban/quicktest"

	"github.com/ipcbuf/ipcbuf"
)

func init() {
	childRoles["shmmax"] = func(target string) int {
		// In a new IPC namespace of its own: lower SHMMAX there, ask for more.
		if err := os.WriteFile("/proc/sys/kernel/shmmax", []byte("1048576"), 0); err != nil {
			fmt.Println("cannot set shmmax:", err)
			return 3
		}
		_, err := ipcbuf.Open(target, 2<<20)
		fmt.Println(err)
		if _, err := ipcbuf.Open(target, 0); !errors.Is(err, fs.ErrNotExist) {
			fmt.Println("segment left behind:", err)
			return 1
		}
		return 0
	}
}

// TestBadInput is reliability scenarios 1 to 3: bad names, sizes, keys,
// offsets, modes and encodings each give a clear error that says what was
// wrong, leave no descriptor open and create nothing.
func TestBadInput(t *testing.T) {
	name := shmName(t)
	key := sysvKey(t)
	file := t.TempDir() + "/f"
	existing := shmName(t)
	var ex *ipcbuf.Buffer
	if ipcbuf.KindPOSIX.Supported() {
		ex = open(t, "*"+existing, 64)
		copy(ex.Bytes(), "keep me")
	}
	mem, _ := ipcbuf.Alloc(8)

	before := len(relFDs(t))
	for _, tc := range []struct {
		what  string
		call  func() error
		match error       // errors.Is
		text  string      // in the message
		kind  ipcbuf.Kind // the kind the call needs; a build without it must say so
	}{
		{"empty name", func() error { _, err := ipcbuf.OpenShm("", 10); return err }, fs.ErrInvalid, "empty POSIX shared memory name", ipcbuf.KindPOSIX},
		{"name /", func() error { _, err := ipcbuf.OpenShm("/", 10); return err }, fs.ErrInvalid, "empty POSIX", ipcbuf.KindPOSIX},
		{"name a/b", func() error { _, err := ipcbuf.OpenShm("a/b", 10); return err }, fs.ErrInvalid, "contains '/'", ipcbuf.KindPOSIX},
		{"name with NUL", func() error { _, err := ipcbuf.OpenShm("a\x00b", 10); return err }, fs.ErrInvalid, "NUL", ipcbuf.KindPOSIX},
		{"name .", func() error { _, err := ipcbuf.OpenShm(".", 10); return err }, fs.ErrInvalid, "not a POSIX shared memory name", ipcbuf.KindPOSIX},
		{"name ..", func() error { _, err := ipcbuf.OpenShm("..", 10); return err }, fs.ErrInvalid, "not a POSIX shared memory name", ipcbuf.KindPOSIX},
		{"name 256 bytes", func() error { _, err := ipcbuf.OpenShm(strings.Repeat("n", 256), 10); return err }, fs.ErrInvalid, "the limit is 255", ipcbuf.KindPOSIX},
		{"empty path", func() error { _, err := ipcbuf.OpenFile("", 10); return err }, fs.ErrInvalid, "empty file path", ipcbuf.KindFile},
		{"path with NUL", func() error { _, err := ipcbuf.OpenFile("a\x00b", 10); return err }, fs.ErrInvalid, "NUL", ipcbuf.KindFile},
		{"empty target", func() error { _, err := ipcbuf.Open("", 10); return err }, fs.ErrInvalid, "empty target", ipcbuf.KindMemory},
		{"key 0", func() error { _, err := ipcbuf.OpenSysV(0, 10); return err }, fs.ErrInvalid, "IPC_PRIVATE", ipcbuf.KindSysV},
		{"key 2^33", func() error { _, err := ipcbuf.OpenSysV(1<<33, 10); return err }, fs.ErrInvalid, "keys are 32 bits", ipcbuf.KindSysV},
		{"key text too big", func() error { _, err := ipcbuf.Open("0x1ffffffff", 10); return err }, fs.ErrInvalid, "out of range", ipcbuf.KindMemory}, // refused by the target parser, in every build
		{"negative size", func() error { _, err := ipcbuf.OpenShm(name, -1); return err }, fs.ErrInvalid, "size -1 is negative", ipcbuf.KindPOSIX},
		{"size past the address space", func() error { _, err := ipcbuf.OpenShm(name, 1<<50); return err }, fs.ErrInvalid, "address space", ipcbuf.KindPOSIX},
		{"size MaxInt", func() error { _, err := ipcbuf.OpenFile(file, math.MaxInt); return err }, fs.ErrInvalid, "address space", ipcbuf.KindFile},
		{"System V size past the address space", func() error { _, err := ipcbuf.OpenSysV(key, 1<<50); return err }, fs.ErrInvalid, "address space", ipcbuf.KindSysV},
		{"mode with setuid", func() error { _, err := ipcbuf.OpenShm(name, 10, ipcbuf.Mode(0o4600)); return err }, fs.ErrInvalid, "outside the permission bits", ipcbuf.KindPOSIX},
		{"mode with type bits", func() error { _, err := ipcbuf.OpenFile(file, 10, ipcbuf.Mode(fs.ModeDir|0o600)); return err }, fs.ErrInvalid, "outside the permission bits", ipcbuf.KindFile},
		{"Exclusive and OpenOnly", func() error { _, err := ipcbuf.OpenSysV(key, 10, ipcbuf.Exclusive(), ipcbuf.OpenOnly()); return err }, fs.ErrInvalid, "can never succeed", ipcbuf.KindSysV},
		{"Exclusive and ReadOnly", func() error { _, err := ipcbuf.OpenShm(name, 10, ipcbuf.Exclusive(), ipcbuf.ReadOnly()); return err }, fs.ErrInvalid, "can never succeed", ipcbuf.KindPOSIX},
		{"Exclusive with size 0", func() error { _, err := ipcbuf.OpenFile(file, 0, ipcbuf.Exclusive()); return err }, fs.ErrInvalid, "Exclusive needs a size", ipcbuf.KindFile},
		{"nil option", func() error { _, err := ipcbuf.OpenShm(name, 10, nil); return err }, fs.ErrInvalid, "nil Option", ipcbuf.KindPOSIX},
		{"exclusive create of an existing object", func() error { _, err := ipcbuf.OpenShm(existing, 64, ipcbuf.Exclusive()); return err }, fs.ErrExist, "file exists", ipcbuf.KindPOSIX},
		{"open-only of a missing object", func() error { _, err := ipcbuf.OpenShm(name, 64, ipcbuf.OpenOnly()); return err }, fs.ErrNotExist, "no such file", ipcbuf.KindPOSIX},
		{"size 0 of a missing object", func() error { _, err := ipcbuf.OpenSysV(key, 0); return err }, fs.ErrNotExist, "size 0 opens an existing", ipcbuf.KindSysV},
		{"remove a missing object", func() error { return ipcbuf.RemoveShm(name) }, fs.ErrNotExist, "no such file", ipcbuf.KindPOSIX},
		{"remove a missing segment", func() error { return ipcbuf.RemoveSysV(key) }, fs.ErrNotExist, "no such file", ipcbuf.KindSysV},
		{"negative ReadAt offset", func() error { _, err := mem.ReadAt(make([]byte, 1), -1); return err }, fs.ErrInvalid, "negative offset", ipcbuf.KindMemory},
		{"WriteAt offset overflow", func() error { _, err := mem.WriteAt(make([]byte, 4), math.MaxInt64-1); return err }, ipcbuf.ErrBufferOutOfBounds, "outside", ipcbuf.KindMemory},
		{"write offset past the end", func() error { _, err := mem.Write("x", 9, ""); return err }, ipcbuf.ErrOutOfRange, `"offset" is out of range`, ipcbuf.KindMemory},
		{"read past the end", func() error { _, err := mem.ReadUint32LE(6); return err }, ipcbuf.ErrOutOfRange, `It must be >= 0 and <= 4`, ipcbuf.KindMemory},
		{"byteLength 7", func() error { _, err := mem.ReadUintLE(0, 7); return err }, ipcbuf.ErrOutOfRange, `"byteLength"`, ipcbuf.KindMemory},
		{"unknown encoding", func() error { _, err := mem.ToString("utf-16", 0, 8); return err }, ipcbuf.ErrUnknownEncoding, "unknown encoding: utf-16", ipcbuf.KindMemory},
		{"fill value that encodes to nothing", func() error { return mem.Fill("zz", 0, 8, ipcbuf.Hex) }, ipcbuf.ErrInvalidArgValue, "invalid", ipcbuf.KindMemory},
		{"fill value of no known type", func() error { return mem.Fill(true, 0, 8, "") }, ipcbuf.ErrInvalidArgType, "", ipcbuf.KindMemory},
		{"swap16 of an odd length", func() error { return mem.Slice(0, 3).Swap16() }, ipcbuf.ErrInvalidBufferSize, "multiple of 16-bits", ipcbuf.KindMemory},
	} {
		err := tc.call()
		if !tc.kind.Supported() {
			qt.Assert(t, err, qt.ErrorIs, errors.ErrUnsupported, qt.Commentf(tc.what))
			continue
		}
		qt.Assert(t, err, qt.ErrorIs, tc.match, qt.Commentf(tc.what))
		if !strings.Contains(err.Error(), tc.text) {
			t.Errorf("%s: the error %q does not say %q", tc.what, err, tc.text)
		}
	}
	qt.Assert(t, len(relFDs(t)), qt.Equals, before, qt.Commentf("descriptors left open"))
	for kind, target := range map[ipcbuf.Kind]string{ipcbuf.KindPOSIX: "*" + name, ipcbuf.KindFile: file, ipcbuf.KindSysV: fmt.Sprint(key)} {
		if kind.Supported() {
			_, err := ipcbuf.Open(target, 0)
			qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist, qt.Commentf("%s was created", target))
		}
	}
	if ex != nil {
		qt.Assert(t, string(ex.Bytes()[:7]), qt.Equals, "keep me", qt.Commentf("the existing object was touched"))
	}
}

// TestSysVLargerThanSHMMAX is the rest of scenario 2: a segment larger than
// the system allows is a clear error, and nothing is created. The child runs
// in an IPC namespace of its own, so lowering SHMMAX there touches no one.
func TestSysVLargerThanSHMMAX(t *testing.T) {
	requireKind(t, ipcbuf.KindSysV)
	cmd := childCommand("shmmax", fmt.Sprint(sysvKey(t)))
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWIPC}
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 3 || errors.Is(err, syscall.EPERM) {
		requireOrSkip(t, "cannot make an IPC namespace with its own SHMMAX here (needs CAP_SYS_ADMIN): %v\n%s", err, out)
	}
	qt.Assert(t, err, qt.IsNil, qt.Commentf("%s", out))
	qt.Assert(t, string(out), qt.Contains, "the system refuses a 2097152-byte segment")
}
