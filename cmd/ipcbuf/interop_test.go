package main

import (
	"encoding/hex"
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// Python 3.11 registers every SharedMemory it opens or creates with the
// resource tracker, which unlinks it when the script exits; each script
// unregisters its object at once so that it outlives the script, as it
// would for a C or Node program.
const (
	pyRead = `import sys
from multiprocessing import shared_memory, resource_tracker
shm = shared_memory.SharedMemory(name=sys.argv[1])
resource_tracker.unregister(shm._name, "shared_memory")
data = bytes(shm.buf[:shm.size])
shm.close()
sys.stdout.write(data.hex())
`
	pyCreate = `import sys
from multiprocessing import shared_memory, resource_tracker
data = bytes.fromhex(sys.argv[2])
shm = shared_memory.SharedMemory(name=sys.argv[1], create=True, size=len(data))
resource_tracker.unregister(shm._name, "shared_memory")
shm.buf[:len(data)] = data
shm.close()
`
)

// pyShm is the module the scripts use: Python's own POSIX shared memory,
// the proof that "*name" means what other languages mean by it.
const pyShm = "multiprocessing.shared_memory"

func runPython(t *testing.T, script string, args ...string) string {
	t.Helper()
	cmd := exec.Command(requirePython(t, pyShm), append([]string{"-c", script}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("python3: %v\n%s", err, stderr.String())
	}
	return string(out)
}

func TestPythonReadsPut(t *testing.T) {
	requirePython(t, pyShm) // before creating anything
	name := testShmName()
	requireKind(t, "*"+name)
	removeAtCleanup(t, "*"+name)
	msg := "from go ✓"
	expect(t, "put", mustRun(t, "put", "--size", "16", "*"+name, msg), fmt.Sprintf("%d\n", len(msg)))
	want := hex.EncodeToString([]byte(msg)) + strings.Repeat("00", 16-len(msg))
	expect(t, "what Python's SharedMemory(name=...) reads", runPython(t, pyRead, name), want)
}

func TestGetReadsPython(t *testing.T) {
	requirePython(t, pyShm)
	name := testShmName()
	requireKind(t, "*"+name)
	removeAtCleanup(t, "*"+name)
	data := append([]byte("from python"), 0x00, 0xff, 0x80, 0x7f)
	runPython(t, pyCreate, name, hex.EncodeToString(data))
	expect(t, "get --enc hex", mustRun(t, "get", "--enc", "hex", "*"+name), hex.EncodeToString(data))
	expect(t, "get --end 11", mustRun(t, "get", "--end", "11", "*"+name), "from python")
	// The leading slash Python puts on names is optional in a target.
	expect(t, "get --end 4 '*/name'", mustRun(t, "get", "--end", "4", "*/"+name), "from")
	mustRun(t, "rm", "*"+name)
	if exists(t, "*"+name) {
		t.Errorf("*%s exists after rm", name)
	}
}

// ipcsLine returns the fields of key's line in "ipcs -m", or nil.
func ipcsLine(t *testing.T, key int) []string {
	t.Helper()
	ipcs := requireTool(t, "ipcs", "to see the segment as ipcs -m lists it (Debian: util-linux)")
	out, err := exec.Command(ipcs, "-m").Output()
	if err != nil {
		t.Fatalf("ipcs -m: %v (ipcs is in util-linux)", err)
	}
	want := fmt.Sprintf("0x%08x", key)
	for _, line := range strings.Split(string(out), "\n") {
		// key shmid owner perms bytes nattch [status]
		if f := strings.Fields(line); len(f) >= 6 && f[0] == want {
			return f
		}
	}
	return nil
}

func TestSysVInIpcs(t *testing.T) {
	key := testKey(t)
	target := fmt.Sprintf("%#x", key) // hex, the other way to write a key
	// Both checks come before anything is created; requireKind first, so
	// that a system without System V (Windows) skips for that reason.
	requireKind(t, target)
	requireTool(t, "ipcs", "to see the segment as ipcs -m lists it (Debian: util-linux)")
	removeAtCleanup(t, target)
	mustRun(t, "put", "--size", "64", target, "x")
	f := ipcsLine(t, key)
	if f == nil {
		t.Fatalf("ipcs -m does not list key %#x after put", key)
	}
	if f[3] != "600" || f[4] != "64" || f[5] != "0" {
		t.Errorf("ipcs -m: perms %s, bytes %s, nattch %s; want 600, 64, 0 (put detaches when it closes)", f[3], f[4], f[5])
	}
	mustRun(t, "rm", target)
	if f := ipcsLine(t, key); f != nil {
		t.Errorf("ipcs -m still lists %q after rm", f)
	}
}
