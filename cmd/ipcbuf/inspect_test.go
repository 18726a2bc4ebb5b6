//go:build linux

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/ipcbuf/ipcbuf"
)

// holdEnv makes the test binary a process that maps the object named in
// the variable and waits until its standard input closes: a process that
// holds an object, for ls, stat and rm to find.
const holdEnv = "IPCBUF_TEST_HOLD_TARGET"

func init() {
	target := os.Getenv(holdEnv)
	if target == "" {
		return
	}
	b, err := ipcbuf.Open(target, 0, ipcbuf.OpenOnly())
	if err != nil {
		fmt.Fprintln(os.Stderr, "holder:", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin) // until the test closes it or dies
	b.Close()
	os.Exit(0)
}

// holder is a child process that has an object mapped.
type holder struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	pid   int
}

// release ends the holder, which unmaps the object, and waits for it.
func (h *holder) release(t *testing.T) {
	t.Helper()
	if h.stdin == nil {
		return
	}
	h.stdin.Close()
	h.stdin = nil
	if err := h.cmd.Wait(); err != nil {
		t.Errorf("holder %d: %v", h.pid, err)
	}
}

// startHolder starts a child process that maps target and waits; it
// returns once the object is mapped. The child ends with the test.
func startHolder(t *testing.T, target string) *holder {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), holdEnv+"="+target, "GORACE=atexit_sleep_ms=0")
	cmd.Stderr = os.Stderr
	dieWithParent(cmd)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &holder{cmd: cmd, stdin: stdin, pid: cmd.Process.Pid}
	t.Cleanup(func() { h.release(t) })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if line != "ready\n" {
		t.Fatalf("holder of %s: %q, %v", target, line, err)
	}
	return h
}

// pids returns the pids of the processes o's mapped lists.
func (o *lsObject) pids() []int {
	if o.Mapped == nil {
		return nil
	}
	var pids []int
	for _, p := range o.Mapped.Processes {
		pids = append(pids, p.PID)
	}
	return pids
}

// lsTargetOf returns how ls names target: a key as 0x%08x, a POSIX name
// with its '*', a path as given.
func lsTargetOf(t *testing.T, target string) (kind, shown string) {
	t.Helper()
	k, _, key, err := ipcbuf.ParseTarget(target)
	if err != nil {
		t.Fatal(err)
	}
	switch k {
	case ipcbuf.KindPOSIX:
		return kindPOSIX, target
	case ipcbuf.KindSysV:
		return kindSysV, fmt.Sprintf("0x%08x", key)
	}
	return kindFile, target
}

// lsArgs are the FILE arguments ls needs to list target: a file only.
func lsArgs(target string) []string {
	if k, _, _, _ := ipcbuf.ParseTarget(target); k == ipcbuf.KindFile {
		return []string{target}
	}
	return nil
}

// commOf returns the command name the kernel has for pid.
func commOf(t *testing.T, pid int) string {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}

func currentUser(t *testing.T) string {
	t.Helper()
	u, err := user.Current()
	if err != nil {
		return strconv.Itoa(os.Getuid())
	}
	return u.Username
}

// checkBasics checks what ls and stat report of an object of size bytes
// made by this process with mode 0600, that no process maps.
func checkBasics(t *testing.T, what string, o *lsObject, target string, size int64) {
	t.Helper()
	kind, shown := lsTargetOf(t, target)
	if o == nil {
		t.Fatalf("%s: %s %s is missing", what, kind, shown)
	}
	if o.Kind != kind || o.Target != shown || o.Size == nil || *o.Size != size || o.Mode != "0600" ||
		o.UID != os.Getuid() || o.Owner != currentUser(t) || o.GID != os.Getgid() || o.Group == "" {
		t.Errorf("%s: %+v; want kind %s, target %s, size %d, mode 0600, uid %d (%s), gid %d", what, *o, kind, shown, size, os.Getuid(), currentUser(t), os.Getgid())
	}
	if o.Mapped == nil {
		t.Fatalf("%s: no \"mapped\"", what)
	}
	if len(o.Mapped.Processes) != 0 {
		t.Errorf("%s: mapped by %+v; no process maps it", what, o.Mapped.Processes)
	}
	switch kind {
	case kindSysV:
		if o.ID == nil || o.Mapped.Attached == nil || *o.Mapped.Attached != 0 || o.Mapped.CreatorPID != testPid || o.Times["changed"].IsZero() {
			t.Errorf("%s: id %v, mapped %+v, times %v; want an id, attached 0, creator %d (put ran in this process), a change time", what, o.ID, *o.Mapped, o.Times, testPid)
		}
	default:
		if o.Times["modified"].IsZero() || o.Times["changed"].IsZero() || o.Times["accessed"].IsZero() || o.Path == "" {
			t.Errorf("%s: path %q, times %v; want a path and modified, changed, accessed", what, o.Path, o.Times)
		}
		if o.Mapped.Unknown == nil {
			t.Errorf("%s: \"unknown\" is missing: it must be a list, empty or not", what)
		}
	}
}

func TestLsStat(t *testing.T) {
	forEachKind(t, func(t *testing.T, target string) {
		// Large enough for a ring, so that ls reads the first bytes.
		mustRun(t, "put", "--size", "2000", target, "x")
		kind, shown := lsTargetOf(t, target)
		before := statJSON(t, target)
		o := lsFind(lsJSON(t, lsArgs(target)...), kind, shown)
		checkBasics(t, "ls --json", o, target, 2000)
		s := statJSON(t, target)
		checkBasics(t, "stat --json", &s, target, 2000)
		// Looking is not an access (O_NOATIME).
		if !s.Times["accessed"].Equal(before.Times["accessed"]) {
			t.Errorf("ls and stat changed the access time from %v to %v", before.Times["accessed"], s.Times["accessed"])
		}
		if o.Ring != nil || s.Ring != nil || o.Value != nil {
			t.Errorf("ring %+v, %+v, value %v for bytes that are not a ring", o.Ring, s.Ring, o.Value)
		}

		// The text forms show the same.
		var line string
		for _, l := range strings.Split(mustRun(t, append([]string{"ls"}, lsArgs(target)...)...), "\n") {
			if f := strings.Fields(l); len(f) > 2 && f[1] == shown {
				line = l
			}
		}
		f := strings.Fields(line)
		if len(f) < 7 || f[0] != kind || f[2] != "2000" || f[3] != "0600" || f[4] != currentUser(t) {
			t.Errorf("ls line for %s: %q", shown, line)
		}
		text := mustRun(t, "stat", target)
		for _, want := range []string{"target:", shown, "size:", "2000 bytes", "mode:", "0600", "owner:", currentUser(t)} {
			if !strings.Contains(text, want) {
				t.Errorf("stat %s lacks %q:\n%s", target, want, text)
			}
		}
	})
}

func TestLsStatShowHolder(t *testing.T) {
	forEachKind(t, func(t *testing.T, target string) {
		mustRun(t, "put", "--size", "64", target, "held")
		h := startHolder(t, target)
		kind, shown := lsTargetOf(t, target)
		comm := commOf(t, h.pid)
		for i, o := range []*lsObject{lsFind(lsJSON(t, lsArgs(target)...), kind, shown), ptr(statJSON(t, target))} {
			if o == nil {
				t.Fatalf("ls does not list %s", shown)
			}
			if !slices.Equal(o.pids(), []int{h.pid}) || o.Mapped.Processes[0].Command != comm {
				t.Errorf("mapped by %+v; want only the holder, %d %s", o.Mapped.Processes, h.pid, comm)
			}
			// ls does not attach a segment, and stat reports what it
			// was before it attaches: the last pid is the holder's.
			if kind == kindSysV && (o.Mapped.Attached == nil || *o.Mapped.Attached != 1 || o.Mapped.LastPID != h.pid) {
				t.Errorf("System V, look %d: %+v; want attached 1, last pid %d", i+1, *o.Mapped, h.pid)
			}
		}
		if text := mustRun(t, "stat", target); !regexp.MustCompile(fmt.Sprintf(`\nmapped by: +%d %s\n`, h.pid, regexp.QuoteMeta(comm))).MatchString(text) {
			t.Errorf("stat does not name the holder %d:\n%s", h.pid, text)
		}
		if text := mustRun(t, append([]string{"ls"}, lsArgs(target)...)...); !strings.Contains(text, fmt.Sprintf("%d %s", h.pid, comm)) {
			t.Errorf("ls does not name the holder %d:\n%s", h.pid, text)
		}

		// Once it lets go, no one maps it.
		h.release(t)
		if o := statJSON(t, target); len(o.Mapped.Processes) != 0 {
			t.Errorf("after the holder ended, mapped by %+v", o.Mapped.Processes)
		}
	})
}

func ptr[T any](v T) *T { return &v }

func TestLsRing(t *testing.T) {
	forEachKind(t, func(t *testing.T, target string) {
		b, err := ipcbuf.Open(target, ipcbuf.RingSize(4096), ipcbuf.Exclusive())
		if err != nil {
			t.Fatal(err)
		}
		r, err := ipcbuf.CreateRing(b)
		if err != nil {
			b.Close()
			t.Fatal(err)
		}
		for _, m := range []string{"one", "two", "three"} {
			if err := r.Send([]byte(m)); err != nil {
				t.Fatal(err)
			}
		}
		want, err := r.Stat()
		if err != nil {
			t.Fatal(err)
		}
		r.Close()
		b.Close()
		before := lockTargetBytes(t, target)
		beforeStat := statJSON(t, target)

		kind, shown := lsTargetOf(t, target)
		lsArgs := lsArgs(target)
		if kind == kindSysV {
			// Without --attach, ls does not look into segments.
			if o := lsFind(lsJSON(t), kind, shown); o == nil || o.Ring != nil {
				t.Fatalf("ls --json without --attach: %+v; want the segment, without looking for a ring", o)
			}
			lsArgs = []string{"--attach"}
		}
		o := lsFind(lsJSON(t, lsArgs...), kind, shown)
		if o == nil || o.Ring == nil {
			t.Fatalf("ls --json: %+v; want a ring", o)
		}
		if o.Ring.Error != "" || o.Ring.Capacity != 4096 || o.Ring.Messages != 3 || o.Ring.Used != want.Used || o.Ring.Used == 0 {
			t.Errorf("ring %+v; want capacity 4096, 3 messages, %d bytes used", *o.Ring, want.Used)
		}
		text := mustRun(t, append([]string{"ls"}, lsArgs...)...)
		if !strings.Contains(text, fmt.Sprintf("ring: 3 msg, %d/4096 B used, 0 waiting", want.Used)) {
			t.Errorf("ls does not show the ring:\n%s", text)
		}
		if text := mustRun(t, "stat", target); !strings.Contains(text, "capacity 4096 bytes") || !strings.Contains(text, "3 messages ready") {
			t.Errorf("stat does not show the ring:\n%s", text)
		}
		// Looking changed nothing: not a byte, not a time but those of
		// looking (a System V attach).
		if after := lockTargetBytes(t, target); !slices.Equal(before, after) {
			t.Errorf("ls changed the ring's bytes")
		}
		after := statJSON(t, target)
		if !after.Times["modified"].Equal(beforeStat.Times["modified"]) || !after.Times["changed"].Equal(beforeStat.Times["changed"]) || *after.Size != *beforeStat.Size {
			t.Errorf("ls changed the object: times %v, size %d; before %v, %d", after.Times, *after.Size, beforeStat.Times, *beforeStat.Size)
		}

		// Bytes that start like a ring but are not one: said, not guessed.
		mustRun(t, "put", "--offset", "8", "--enc", "hex", target, "ffffffff")
		if s := statJSON(t, target); s.Ring == nil || !strings.Contains(s.Ring.Error, "version") {
			t.Errorf("a ring of version 0xffffffff: %+v; want an error naming the version", s.Ring)
		}
	})
}

func TestLsSemaphores(t *testing.T) {
	forEachSemKind(t, func(t *testing.T, target string) {
		mustRun(t, "sem", "create", "--value", "2", target)
		_, shown := lsTargetOf(t, target)
		kind := kindPOSIXSem
		if !strings.HasPrefix(target, "*") {
			kind = kindSysVSem
		}
		o := lsFind(lsJSON(t), kind, shown)
		if o == nil {
			t.Fatalf("ls --json does not list %s %s", kind, shown)
		}
		s := statJSON(t, "--sem", target)
		for _, o := range []*lsObject{o, &s} {
			if o.Kind != kind || o.Mode != "0600" || o.Owner != currentUser(t) {
				t.Errorf("%+v; want kind %s, mode 0600, owner %s", *o, kind, currentUser(t))
			}
			if o.Value == nil || *o.Value != 2 {
				t.Errorf("value %v, want 2", o.Value)
			}
			if kind == kindSysVSem && (o.NSems == nil || *o.NSems != 1) {
				t.Errorf("nsems %v, want 1", o.NSems)
			}
		}
		// Without --sem the target is a buffer, and there is none.
		mustFail(t, 1, "add --sem for a semaphore", "stat", target)
		// rm removes buffers only, and says what to do.
		mustFail(t, 1, "'ipcbuf sem rm", "rm", target)
		expect(t, "sem get after rm", mustRun(t, "sem", "get", target), "2\n")
	})
}

func TestLsFileArguments(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "data")
	if err := os.WriteFile(file, []byte("abc"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	objs := lsJSON(t, file, link, dir)
	if o := lsFind(objs, kindFile, file); o == nil || *o.Size != 3 {
		t.Errorf("the file: %+v", o)
	}
	if o := lsFind(objs, kindOther, link); o == nil || o.Type != "a symbolic link to "+file || o.Size != nil {
		t.Errorf("the link: %+v; want kind other, type a symbolic link to %s", o, file)
	}
	if o := lsFind(objs, kindOther, dir); o == nil || o.Type != "a directory" {
		t.Errorf("the directory: %+v", o)
	}
	// A missing file is an error naming it; the rest is still listed.
	missing := filepath.Join(dir, "missing")
	r := ipcbufRun("ls", "--json", missing, file)
	if r.code != 1 || !strings.Contains(r.stderr, missing) || !strings.Contains(r.stderr, "no such file") || !strings.Contains(r.stdout, file) {
		t.Errorf("ls missing file: %+v", r)
	}
	// Targets that are not paths are listed already.
	mustFail(t, 2, "not a file path", "ls", "*x")
	mustFail(t, 2, "write ./123", "ls", "123")
	mustFail(t, 2, "NUL", "ls", "a\x00b")
	mustFail(t, 1, "no such file or directory ('ipcbuf ls' lists what exists)", "stat", missing)
	mustFail(t, 2, "bad TARGET", "stat", "*")
}

// TestUnreadableMapsAreUnknown runs stat and ls as another user, who
// cannot read this process's maps: this process, which maps the object, is
// reported as unknown, never as not mapping it.
func TestUnreadableMapsAreUnknown(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root, to run the command as another user")
	}
	target := "*" + testShmName()
	requireKind(t, target)
	removeAtCleanup(t, target)
	b, err := ipcbuf.Open(target, 64, ipcbuf.Exclusive(), ipcbuf.Mode(0o644))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	// The test binary, as the command, where user nobody can run it.
	dir := t.TempDir()
	exe := filepath.Join(dir, "ipcbuf")
	data, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(exe, data, 0o755); err != nil {
		t.Fatal(err)
	}
	for d := dir; d != filepath.Dir(d) && d != os.TempDir(); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	asNobody := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(exe, args...)
		cmd.Env = append(os.Environ(), asCommandEnv+"=1", "GORACE=atexit_sleep_ms=0")
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		cmd.Dir = "/"
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		// The runtime writes its own lines to stderr under some GODEBUG
		// settings (make test-sanitize's checkfinalizers): not the
		// command's.
		var said []string
		for _, l := range strings.Split(stderr.String(), "\n") {
			if l != "" && !strings.HasPrefix(strings.TrimSpace(l), "checkfinalizers:") {
				said = append(said, l)
			}
		}
		if err != nil || len(said) > 0 {
			t.Fatalf("ipcbuf %q as nobody: %v\n%s", args, err, stderr.String())
		}
		return string(out)
	}
	var o lsObject
	if err := json.Unmarshal([]byte(asNobody("stat", "--json", target)), &o); err != nil {
		t.Fatal(err)
	}
	if o.Mapped == nil || slices.Contains(o.pids(), testPid) || !slices.Contains(o.Mapped.Unknown, testPid) {
		t.Errorf("stat as nobody: mapped %+v; want this process (%d) unknown, not listed", o.Mapped, testPid)
	}
	var line string
	for _, l := range strings.Split(asNobody("ls"), "\n") {
		if strings.Contains(l, " "+target+" ") {
			line = l
		}
	}
	if !strings.Contains(line, "unreadable)") || strings.Contains(line, "none") {
		t.Errorf("ls as nobody: %q; want the unreadable processes counted, not \"none\"", line)
	}
	// As root, the same object is mapped by this process, seen.
	if s := statJSON(t, target); !slices.Contains(s.pids(), testPid) {
		t.Errorf("stat as root: mapped by %v, want %d among them", s.pids(), testPid)
	}
}
