//go:build linux

package main

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ipcbuf/ipcbuf"
)

// inspectInteropEnv set to 1 (CI) makes the tests that need Python fail
// rather than skip when there is none, as in the library's interop tests
// (its requireInteropEnv).
const inspectInteropEnv = "IPCBUF_REQUIRE_INTEROP"

// inspectPython returns the Python interpreter itself (sys.executable, not
// a wrapper such as pyenv's shim, whose pid would not be the one mapping
// the object), or skips t when there is none, unless IPCBUF_REQUIRE_INTEROP=1.
func inspectPython(t *testing.T) string {
	t.Helper()
	// Without python3 on PATH, look no further: hiding it from PATH is how
	// the tests run as on a machine without Python.
	if path, err := exec.LookPath("python3"); err == nil {
		out, err := exec.Command(path, "-c", "import sys, multiprocessing.shared_memory; print(sys.executable)").Output()
		if exe := strings.TrimSpace(string(out)); err == nil && exe != "" {
			return exe
		}
	}
	msg := "no python3 on PATH with multiprocessing.shared_memory (Python 3.8 or newer; Debian: apt-get install python3)"
	if os.Getenv(inspectInteropEnv) == "1" {
		t.Fatalf("%s, and %s=1 requires the interop tests", msg, inspectInteropEnv)
	}
	t.Skip(msg)
	return ""
}

// pyHold creates a SharedMemory object, fills it, says "ready" and keeps
// it mapped until its standard input closes. The object outlives the
// script (it is unregistered from the resource tracker, which would
// otherwise unlink it), as a C or Node program's would.
const pyHold = `import sys
from multiprocessing import shared_memory, resource_tracker
data = bytes.fromhex(sys.argv[2])
shm = shared_memory.SharedMemory(name=sys.argv[1], create=True, size=len(data))
resource_tracker.unregister(shm._name, "shared_memory")
shm.buf[:len(data)] = data
print("ready", flush=True)
sys.stdin.read()
shm.close()
`

func TestInspectPythonObject(t *testing.T) {
	python := inspectPython(t)
	name := testShmName()
	target := "*" + name
	requireKind(t, target)
	removeAtCleanup(t, target)
	data := append([]byte("made by python\x00\xff"), make([]byte, 40)...)

	cmd := exec.Command(python, "-c", pyHold, name, hex.EncodeToString(data))
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	released := false
	release := func() {
		if !released {
			released = true
			stdin.Close()
			if err := cmd.Wait(); err != nil {
				t.Errorf("python: %v", err)
			}
		}
	}
	t.Cleanup(release)
	if line, err := bufio.NewReader(stdout).ReadString('\n'); line != "ready\n" {
		t.Fatalf("python: %q, %v", line, err)
	}
	pid := cmd.Process.Pid
	comm := commOf(t, pid)

	o := lsFind(lsJSON(t), kindPOSIX, target)
	if o == nil {
		t.Fatalf("ls --json does not list Python's %s", target)
	}
	s := statJSON(t, target)
	for _, o := range []*lsObject{o, &s} {
		if *o.Size != int64(len(data)) || o.Path != "/dev/shm/"+name || !slices.Equal(o.pids(), []int{pid}) || o.Mapped.Processes[0].Command != comm {
			t.Errorf("Python's object: %+v, mapped by %+v; want %d bytes mapped by python, %d %s", *o, o.Mapped.Processes, len(data), pid, comm)
		}
	}
	expect(t, "dump --enc hex", mustRun(t, "dump", "--enc", "hex", target), hex.EncodeToString(data))
	if out := mustRun(t, "dump", "--length", "16", target); out != "00000000  6d 61 64 65 20 62 79 20  70 79 74 68 6f 6e 00 ff  |made by python..|\n00000010\n" {
		t.Errorf("dump --length 16:\n%s", out)
	}

	r := ipcbufRun("rm", target)
	if r.code != rmRefused || !strings.Contains(r.stderr, fmt.Sprintf("still mapped by 1 process: %d (%s)", pid, comm)) {
		t.Errorf("rm while Python maps it: %+v", r)
	}
	if !exists(t, target) {
		t.Fatal("rm removed an object Python maps")
	}
	release()
	mustRun(t, "rm", target)
	if exists(t, target) {
		t.Fatal("rm left Python's object once Python had let go")
	}
}

// ipcmk runs util-linux's ipcmk with args and returns the id it made,
// removed with ipcrm when t ends. Without ipcmk, t skips (fails under CI).
func ipcmk(t *testing.T, args ...string) int {
	t.Helper()
	path, err := exec.LookPath("ipcmk")
	if err != nil {
		requireOrSkip(t, "ipcmk (util-linux) is not installed: %v", err)
	}
	out, err := exec.Command(path, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ipcmk %q: %v\n%s", args, err, out)
	}
	m := regexp.MustCompile(`id: (\d+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("ipcmk %q printed %q: no id", args, out)
	}
	id, _ := strconv.Atoi(string(m[1]))
	opt := "-m"
	if slices.Contains(args, "-S") {
		opt = "-s"
	}
	t.Cleanup(func() {
		// Gone already if the test removed it.
		exec.Command("ipcrm", opt, strconv.Itoa(id)).Run()
	})
	return id
}

// keyOfID returns the key of the System V object with id in a
// /proc/sysvipc list.
func keyOfID(t *testing.T, list, idColumn string, id int) uint32 {
	t.Helper()
	entries, err := readSysV(list)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.int(idColumn) == int64(id) {
			return e.key()
		}
	}
	t.Fatalf("%s has no %s %d", list, idColumn, id)
	return 0
}

func TestInspectIpcmkSegment(t *testing.T) {
	id := ipcmk(t, "-M", "300", "-p", "0640")
	key := keyOfID(t, sysvShmList, "shmid", id)
	target := fmt.Sprintf("0x%08x", key)

	o := lsFind(lsJSON(t), kindSysV, target)
	if o == nil {
		t.Fatalf("ls --json does not list ipcmk's segment %s", target)
	}
	s := statJSON(t, target)
	for _, o := range []*lsObject{o, &s} {
		if o.ID == nil || *o.ID != int64(id) || *o.Size != 300 || o.Mode != "0640" || o.Owner != currentUser(t) ||
			*o.Mapped.Attached != 0 || o.Mapped.CreatorPID == 0 || o.Ring != nil {
			t.Errorf("ipcmk's segment: %+v, %+v", *o, *o.Mapped)
		}
	}
	if !ipcbuf.KindSysV.Supported() {
		t.Skip("this build has no System V buffers: dump and rm cannot open the segment")
	}
	expect(t, "dump", mustRun(t, "dump", target), "00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n*\n00000120  00 00 00 00 00 00 00 00  00 00 00 00              |............|\n0000012c\n")
	expect(t, "rm --dry-run", mustRun(t, "rm", "--dry-run", target), "would remove "+target+" (System V shared memory segment, 300 bytes)\n")
	mustRun(t, "rm", target)
	if slices.Contains(sysvKeys(), int(key)) {
		t.Errorf("rm left ipcmk's segment %s", target)
	}
}

func TestInspectIpcmkSemaphores(t *testing.T) {
	id := ipcmk(t, "-S", "2")
	key := keyOfID(t, sysvSemList, "semid", id)
	target := fmt.Sprintf("0x%08x", key)
	o := lsFind(lsJSON(t), kindSysVSem, target)
	if o == nil {
		t.Fatalf("ls --json does not list ipcmk's semaphore set %s", target)
	}
	s := statJSON(t, "--sem", target)
	for _, o := range []*lsObject{o, &s} {
		if o.ID == nil || *o.ID != int64(id) || o.NSems == nil || *o.NSems != 2 || o.Size != nil || o.Mode != "0644" || o.Value != nil {
			t.Errorf("ipcmk's semaphore set: %+v", *o)
		}
	}
	if !ipcbuf.KindSysV.Supported() {
		t.Skip("this build has no System V buffers")
	}
	mustFail(t, 1, "is a System V semaphore set: remove it with 'ipcbuf sem rm "+target+"'", "rm", target)
}
