//go:build linux

package ipcbuf_test

// Reliability scenario 5 (TESTING.md, "Reliability scenarios"): a child
// started with os/exec inherits none of our descriptors or mappings.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	qt "github.com/frankban/quicktest"

	"github.com/ipcbuf/ipcbuf"
)

func init() {
	childRoles["rel-listfds"] = relListFDsChild
}

// relListFDsChild prints every descriptor the child has, as "fd N -> target",
// and "self N" for the one it reads the list with. It uses system calls
// only, so that the Go runtime opens nothing (no poller) meanwhile. It also
// prints the lines of its maps naming /dev/shm, SYSV or target.
func relListFDsChild(target string) int {
	dfd, err := syscall.Open("/proc/self/fd", syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		fmt.Println("open /proc/self/fd:", err)
		return 1
	}
	var names []string
	buf := make([]byte, 8192)
	for {
		n, err := syscall.ReadDirent(dfd, buf)
		if err != nil {
			fmt.Println("readdirent:", err)
			return 1
		}
		if n <= 0 {
			break
		}
		_, _, names = syscall.ParseDirent(buf[:n], -1, names)
	}
	link := make([]byte, 4096)
	for _, name := range names {
		if name == strconv.Itoa(dfd) {
			fmt.Printf("self %s\n", name)
			continue
		}
		n, err := syscall.Readlink("/proc/self/fd/"+name, link)
		if err != nil {
			fmt.Printf("fd %s -> ? (%v)\n", name, err)
			continue
		}
		fmt.Printf("fd %s -> %s\n", name, link[:n])
	}
	syscall.Close(dfd)
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		fmt.Println("maps:", err)
		return 1
	}
	for _, line := range strings.Split(string(maps), "\n") {
		if strings.Contains(line, "/dev/shm/") || strings.Contains(line, "SYSV") || (target != "" && strings.Contains(line, target)) {
			fmt.Printf("map %s\n", line)
		}
	}
	return 0
}

// relInherited returns the descriptors of this process that a child would
// inherit (no close-on-exec): ones this process got from whatever started
// it, such as a make jobserver's pipe. They are not ipcbuf's.
func relInherited(t *testing.T) map[int]string {
	t.Helper()
	inh := map[int]string{}
	for fd, target := range relFDs(t) {
		info, err := os.ReadFile(fmt.Sprintf("/proc/self/fdinfo/%d", fd))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(info), "\n") {
			if v, ok := strings.CutPrefix(line, "flags:"); ok {
				flags, err := strconv.ParseUint(strings.TrimSpace(v), 8, 64)
				if err == nil && flags&syscall.O_CLOEXEC == 0 {
					inh[fd] = target
				}
			}
		}
	}
	return inh
}

func TestLeakNoDescriptorsInChild(t *testing.T) {
	inherited := relInherited(t)
	if len(inherited) > 0 {
		t.Logf("descriptors this test process inherited without close-on-exec (allowed in the child): %v", inherited)
	}
	dir := t.TempDir()
	var needles []string // what no child descriptor may name
	needles = append(needles, dir, "/dev/shm/", "SYSV")
	var targets []string
	for _, kc := range relSupported() {
		target := kc.target(t)
		if kc.kind == ipcbuf.KindFile {
			target = filepath.Join(dir, "mapped")
		}
		b := open(t, target, 64<<10, ipcbuf.Exclusive())
		_, err := b.Write("held open while the child starts", 0, "")
		qt.Assert(t, err, qt.IsNil)
		view := b.Slice(4096, 8192)
		t.Cleanup(func() { runtime.KeepAlive(view) })
		targets = append(targets, target)
		t.Cleanup(func() { ipcbuf.Remove(target) })
	}

	// Meanwhile other goroutines open, create and remove buffers, so that
	// some descriptors are open while the child is forked: only
	// close-on-exec keeps them out of it.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var churned atomic.Int64
	var churnErr atomic.Value
	for _, kc := range relSupported() {
		target := kc.target(t)
		if kc.kind == ipcbuf.KindFile {
			target = filepath.Join(dir, "churn")
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				b, err := ipcbuf.Open(target, 4096, ipcbuf.Exclusive())
				if err == nil {
					var again *ipcbuf.Buffer
					if again, err = ipcbuf.Open(target, 0); err == nil {
						err = again.Close()
					}
					err = errors.Join(err, b.Close(), ipcbuf.Remove(target))
				}
				if err != nil {
					churnErr.CompareAndSwap(nil, err)
					return
				}
				churned.Add(1)
			}
		}()
	}
	t.Cleanup(func() {
		// In case the test failed before stopping the goroutines.
		select {
		case <-stop:
		default:
			close(stop)
		}
		wg.Wait()
	})

	children := 10
	for c := 0; c < children; c++ {
		cmd := childCommand("rel-listfds", dir)
		out, err := cmd.CombinedOutput()
		qt.Assert(t, err, qt.IsNil, qt.Commentf("child:\n%s", out))
		var fds int
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			switch {
			case strings.HasPrefix(line, "self "):
			case strings.HasPrefix(line, "map "):
				t.Errorf("child %d maps one of our objects: %s", c, line)
			case strings.HasPrefix(line, "fd "):
				fds++
				num, target, _ := strings.Cut(strings.TrimPrefix(line, "fd "), " -> ")
				fd, err := strconv.Atoi(num)
				qt.Assert(t, err, qt.IsNil, qt.Commentf("%q", line))
				for _, n := range append(needles, targets...) {
					if strings.Contains(target, n) {
						t.Errorf("child %d has descriptor %d on %s", c, fd, target)
					}
				}
				if fd > 2 && inherited[fd] != target {
					t.Errorf("child %d has descriptor %d -> %s, which is neither 0-2 nor one the test process inherited", c, fd, target)
				}
			default:
				t.Errorf("child %d: unexpected output %q", c, line)
			}
		}
		qt.Assert(t, fds >= 3, qt.IsTrue, qt.Commentf("the child listed no stdin/stdout/stderr:\n%s", out))
		if c == 0 {
			t.Logf("child 0:\n%s", out)
		}
	}
	close(stop)
	wg.Wait()
	if err, _ := churnErr.Load().(error); err != nil {
		t.Fatalf("churning goroutine: %v", err)
	}
	t.Logf("%d children, with %d open/create/remove cycles running meanwhile", children, churned.Load())
}
