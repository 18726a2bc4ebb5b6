package ipcbuf_test

// Reliability scenario 13 (TESTING.md, "Reliability scenarios"): a System V
// segment removed while another process has it attached stays usable
// there and is gone after the last detach.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	qt "github.com/frankban/quicktest"

	"github.com/ipcbuf/ipcbuf"
)

func init() {
	childRoles["rel-sysv-attach"] = relSysVAttachChild
}

// relSysVAttachChild attaches target, says so, waits for a line on stdin,
// then prints what it reads, writes at 4096, detaches and says so.
func relSysVAttachChild(target string) int {
	b, err := ipcbuf.Open(target, 0, ipcbuf.OpenOnly())
	if err != nil {
		fmt.Println("child:", err)
		return 1
	}
	fmt.Printf("attached %d\n", b.Len())
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		fmt.Println("child: stdin:", err)
		return 1
	}
	s, err := b.ToString("latin1", 0, 64)
	if err != nil {
		fmt.Println("child:", err)
		return 1
	}
	fmt.Printf("read %q\n", strings.TrimRight(s, "\x00"))
	if _, err := b.Write("child wrote after the removal", 4096, ""); err != nil {
		fmt.Println("child:", err)
		return 1
	}
	if err := b.Close(); err != nil {
		fmt.Println("child:", err)
		return 1
	}
	fmt.Println("detached")
	return 0
}

func TestSysVRemovedWhileAttached(t *testing.T) {
	key := sysvKey(t)
	if !ipcbuf.KindSysV.Supported() {
		_, err := ipcbuf.OpenSysV(key, 4096)
		qt.Assert(t, err, qt.ErrorIs, errors.ErrUnsupported)
		requireKind(t, ipcbuf.KindSysV)
	}
	target := fmt.Sprintf("0x%x", key)
	b, err := ipcbuf.OpenSysV(key, 8192, ipcbuf.Exclusive())
	qt.Assert(t, err, qt.IsNil)
	closed := false
	t.Cleanup(func() {
		if !closed {
			b.Close()
		}
	})
	_, err = b.Write("parent wrote before", 0, "")
	qt.Assert(t, err, qt.IsNil)

	var seg sysvSeg
	for _, s := range sysvSegs(t) {
		if s.key == int(int32(uint32(key))) {
			seg = s
		}
	}
	qt.Assert(t, seg.size, qt.Equals, int64(8192), qt.Commentf("the segment is listed by key"))
	id := seg.id

	cmd := childCommand("rel-sysv-attach", target)
	stdin, err := cmd.StdinPipe()
	qt.Assert(t, err, qt.IsNil)
	stdout, err := cmd.StdoutPipe()
	qt.Assert(t, err, qt.IsNil)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	qt.Assert(t, cmd.Start(), qt.IsNil)
	waited := false
	t.Cleanup(func() {
		if !waited {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	lines := bufio.NewScanner(stdout)
	next := func() string {
		t.Helper()
		if !lines.Scan() {
			t.Fatalf("child ended early: %v\n%s", lines.Err(), stderr.Bytes())
		}
		return lines.Text()
	}
	qt.Assert(t, next(), qt.Equals, "attached 8192")
	s, ok := sysvSegByID(t, id)
	qt.Assert(t, ok, qt.IsTrue)
	qt.Assert(t, s.nattch, qt.Equals, 2, qt.Commentf("parent and child attached"))

	qt.Assert(t, ipcbuf.RemoveSysV(key), qt.IsNil)
	_, err = ipcbuf.OpenSysV(key, 0)
	qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist, qt.Commentf("the key no longer finds the segment"))
	_, err = ipcbuf.Open(target, 0, ipcbuf.ReadOnly())
	qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist)
	qt.Assert(t, sysvExists(key), qt.IsFalse)
	qt.Assert(t, ipcbuf.RemoveSysV(key), qt.ErrorIs, fs.ErrNotExist)

	s, ok = sysvSegByID(t, id)
	qt.Assert(t, ok, qt.IsTrue, qt.Commentf("the segment is still there while attached"))
	qt.Assert(t, s.nattch, qt.Equals, 2)
	qt.Assert(t, s.key, qt.Equals, 0, qt.Commentf("the kernel lists a removed segment under IPC_PRIVATE"))
	const shmDest = 0o1000
	qt.Assert(t, s.perms&shmDest, qt.Equals, shmDest, qt.Commentf("perms %#o: marked for destruction", s.perms))
	t.Run("ipcs", func(t *testing.T) {
		ipcs := requireTool(t, "ipcs", "to see the removed segment as ipcs -m -i shows it (Debian: util-linux); /proc/sysvipc/shm checked it above")
		out, err := exec.Command(ipcs, "-m", "-i", strconv.Itoa(id)).CombinedOutput()
		qt.Assert(t, err, qt.IsNil, qt.Commentf("ipcs -m -i %d: %s", id, out))
		// ipcs shows the mode with SHM_DEST (01000) set, and both attachments.
		qt.Assert(t, string(out), qt.Matches, `(?s).*mode=01[0-7]{3}\b.*nattch=2\b.*`, qt.Commentf("ipcs -m -i %d", id))
	})

	// The parent can still write, and the child reads what it wrote.
	_, err = b.Write("PARENT WROTE AFTER!", 0, "") // as long as what it covers
	qt.Assert(t, err, qt.IsNil)
	_, err = io.WriteString(stdin, "go on\n")
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, next(), qt.Equals, `read "PARENT WROTE AFTER!"`)
	qt.Assert(t, next(), qt.Equals, "detached")
	qt.Assert(t, cmd.Wait(), qt.IsNil, qt.Commentf("%s", stderr.Bytes()))
	waited = true

	got, err := b.ToString("latin1", 4096, 4096+29)
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, got, qt.Equals, "child wrote after the removal")
	s, ok = sysvSegByID(t, id)
	qt.Assert(t, ok, qt.IsTrue, qt.Commentf("still attached by the parent"))
	qt.Assert(t, s.nattch, qt.Equals, 1)

	qt.Assert(t, b.Close(), qt.IsNil)
	closed = true
	_, ok = sysvSegByID(t, id)
	qt.Assert(t, ok, qt.IsFalse, qt.Commentf("the segment is gone after the last detach"))
	qt.Assert(t, mapped(t, relMapNeedle(t, ipcbuf.KindSysV, target)), qt.HasLen, 0)
}
