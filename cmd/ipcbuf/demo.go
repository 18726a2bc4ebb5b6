package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/ipcbuf/ipcbuf"
)

// demoChildRole is the hidden first argument with which the demo starts its
// second process. It is left out of the usage: only the demo passes it.
const demoChildRole = "__demo-child"

const (
	demoSize = 64 // bytes in each demo buffer
	answerAt = 32 // the parent's message goes before this offset, the child's answer from it
)

// demoShmName is the POSIX object the demo run by process pid creates.
func demoShmName(pid int) string { return fmt.Sprintf("ipcbuf-demo-%d", pid) }

// demoKey is the System V key the demo run by process pid creates. Linux
// pids are below 2^22, so the key is never 0 (IPC_PRIVATE) and no two live
// demos share one; the 0x69 ('i') top byte keeps it clear of small keys
// people pick by hand.
func demoKey(pid int) int { return 0x69000000 | pid&0xffffff }

// demoRow is one kind of buffer in the demo and what each side saw in it.
type demoRow struct {
	kind        ipcbuf.Kind
	buf         *ipcbuf.Buffer // nil if the parent could not create it
	err         error          // the parent's own failure with this kind
	parentWrote string
	child       childResult
	parentRead  string
}

// childResult is what the child reports for one target. The child sends a
// list of them as JSON on its standard output.
type childResult struct {
	Target string `json:"target"`
	Read   string `json:"read"`
	Wrote  string `json:"wrote"`
	Err    string `json:"err,omitempty"`
}

// shared reports whether the message went both ways through the buffer.
func (r *demoRow) shared() bool {
	return r.err == nil && r.child.Err == "" && r.child.Wrote != "" &&
		r.child.Read == r.parentWrote && r.parentRead == r.child.Wrote
}

// childStarter returns the command that runs the demo's child on targets.
// The demo takes it as an argument so that tests can put a failing child in
// its place.
type childStarter func(ctx context.Context, targets []string) *exec.Cmd

func runDemoCommand(args []string, stdout, stderr io.Writer) int {
	flags := newFlagSet("demo")
	if st := parseFlags(flags, args, nil, stdout, stderr); st >= 0 {
		return st
	}
	exe, err := os.Executable()
	if err != nil {
		return failure(stderr, fmt.Errorf("demo: cannot find this program to start the child: %w", err))
	}
	// On Ctrl-C the child is killed and runDemo returns through its
	// deferred clean-up, instead of leaving the objects behind.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runDemo(ctx, stdout, stderr, func(ctx context.Context, targets []string) *exec.Cmd {
		return exec.CommandContext(ctx, exe, append([]string{demoChildRole}, targets...)...)
	})
}

// runDemo creates one buffer of each kind, has a child process started by
// startChild answer through them, prints what each side saw, and removes
// everything it created, on every path out.
func runDemo(ctx context.Context, stdout, stderr io.Writer, startChild childStarter) (code int) {
	pid := os.Getpid()
	var undo []undoStep // removes what was created, newest last
	var removed []string
	cleanUp := func() error {
		var errs []error
		for i := len(undo) - 1; i >= 0; i-- {
			if err := undo[i].remove(); err != nil {
				errs = append(errs, err)
			} else if undo[i].what != "" {
				removed = append([]string{undo[i].what}, removed...)
			}
		}
		undo = nil
		return errors.Join(errs...)
	}
	defer func() {
		if err := cleanUp(); err != nil {
			fmt.Fprintf(stderr, "ipcbuf: demo: cleaning up: %s\n", message(err))
			code = 1
		}
	}()

	rows := []*demoRow{{kind: ipcbuf.KindMemory}, {kind: ipcbuf.KindPOSIX}, {kind: ipcbuf.KindFile}, {kind: ipcbuf.KindSysV}}
	var targets []string
	var visited []*demoRow // the rows whose target the child is given, in order
	for _, r := range rows {
		r.buf, r.err = createDemoBuffer(r.kind, pid, &undo)
		if r.err != nil {
			continue
		}
		r.parentWrote = fmt.Sprintf("ping from %d", pid)
		if _, r.err = r.buf.Write(r.parentWrote, 0, ipcbuf.UTF8); r.err != nil {
			continue
		}
		// A memory buffer's Name is "": the child gets exactly what another
		// process could know of it, and must fail to open it.
		targets = append(targets, r.buf.Name())
		visited = append(visited, r)
	}

	cmd := startChild(ctx, targets)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, stderr
	if err := cmd.Run(); err != nil {
		return failure(stderr, fmt.Errorf("demo: child process: %w", err))
	}
	var results []childResult
	if err := json.Unmarshal(out.Bytes(), &results); err != nil || len(results) != len(visited) {
		return failure(stderr, fmt.Errorf("demo: child process gave %d results for %d buffers (%v): %q", len(results), len(visited), err, out.String()))
	}
	for i, r := range visited {
		r.child = results[i]
		r.parentRead, r.err = readText(r.buf, answerAt, demoSize)
	}

	fmt.Fprintf(stdout, "Parent %d wrote into a buffer of each kind; child %d opened each by name, read it and answered.\n\n", pid, cmd.Process.Pid)
	printDemoTable(stdout, rows)
	fmt.Fprintln(stdout)
	var failed []string
	for _, r := range rows {
		switch {
		case r.kind == ipcbuf.KindMemory && r.err == nil && r.child.Err != "":
			fmt.Fprintf(stdout, "memory: not shared; the child tried ipcbuf.Open(%q) and got: %s\n", r.child.Target, r.child.Err)
		case r.err != nil && r.buf == nil && errors.Is(r.err, errors.ErrUnsupported):
			fmt.Fprintf(stdout, "%s: %s\n", kindLabel(r.kind.String()), message(r.err))
			continue // left out on purpose when this program was built: not a failure
		case r.err != nil:
			fmt.Fprintf(stdout, "%s: parent: %s\n", kindLabel(r.kind.String()), message(r.err))
		case r.child.Err != "":
			fmt.Fprintf(stdout, "%s: child: %s\n", kindLabel(r.kind.String()), r.child.Err)
		}
		if r.kind != ipcbuf.KindMemory && !r.shared() {
			failed = append(failed, kindLabel(r.kind.String()))
		}
	}
	if err := cleanUp(); err != nil {
		return failure(stderr, fmt.Errorf("demo: cleaning up: %s", message(err)))
	}
	if len(removed) > 0 {
		fmt.Fprintf(stdout, "Removed %s.\n", strings.Join(removed, ", "))
	}
	if len(failed) > 0 {
		return failure(stderr, fmt.Errorf("demo: no round trip through %s", strings.Join(failed, ", ")))
	}
	return 0
}

// undoStep removes one thing the demo created; what names it for the user,
// or is "" for a memory buffer, which only needs closing.
type undoStep struct {
	what   string
	remove func() error
}

// createDemoBuffer makes the demo's buffer of the given kind and adds to
// undo what removes it. Exclusive makes sure the buffer is new: a name
// someone else made could hold anything.
func createDemoBuffer(kind ipcbuf.Kind, pid int, undo *[]undoStep) (*ipcbuf.Buffer, error) {
	var b *ipcbuf.Buffer
	var err error
	switch kind {
	case ipcbuf.KindMemory:
		b, err = ipcbuf.Alloc(demoSize)
	case ipcbuf.KindPOSIX:
		b, err = ipcbuf.OpenShm(demoShmName(pid), demoSize, ipcbuf.Exclusive())
	case ipcbuf.KindFile:
		dir, derr := os.MkdirTemp("", "ipcbuf-demo-")
		if derr != nil {
			return nil, derr
		}
		*undo = append(*undo, undoStep{dir + string(os.PathSeparator), func() error { return os.RemoveAll(dir) }})
		b, err = ipcbuf.OpenFile(filepath.Join(dir, "buf"), demoSize, ipcbuf.Exclusive())
	case ipcbuf.KindSysV:
		b, err = ipcbuf.OpenSysV(demoKey(pid), demoSize, ipcbuf.Exclusive())
	}
	if err != nil {
		return nil, err
	}
	if kind == ipcbuf.KindMemory {
		*undo = append(*undo, undoStep{"", b.Close})
		return b, nil
	}
	what := b.Name()
	if kind == ipcbuf.KindFile {
		what = "" // its directory, removed after it, is what the user sees
	}
	*undo = append(*undo, undoStep{what, func() error { return errors.Join(b.Remove(), b.Close()) }})
	return b, nil
}

// readText decodes b's bytes from start to end as UTF-8 without the zero
// bytes after the text.
func readText(b *ipcbuf.Buffer, start, end int) (string, error) {
	s, err := b.ToString(ipcbuf.UTF8, start, end)
	return strings.TrimRight(s, "\x00"), err
}

func printDemoTable(w io.Writer, rows []*demoRow) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tTARGET\tPARENT WROTE\tCHILD READ\tCHILD WROTE\tPARENT READ\tSHARED")
	for _, r := range rows {
		target, parentWrote, childRead, childWrote, parentRead, shared := "—", "—", "—", "—", "—", "no"
		if r.buf != nil && r.buf.Name() != "" {
			target = r.buf.Name()
		}
		switch {
		case r.buf == nil && r.kind == ipcbuf.KindSysV && runtime.GOOS == "windows":
			childRead = "— (Windows has none)"
		case r.buf == nil && errors.Is(r.err, errors.ErrUnsupported):
			childRead = "— (not in this build)"
		case r.buf == nil:
			childRead = "— (not created)"
		case r.kind == ipcbuf.KindMemory && r.child.Err != "":
			childRead = "— (process memory)"
		case r.child.Err != "":
			childRead = "— (open failed)"
		default:
			childRead, childWrote = orEmpty(r.child.Read), orEmpty(r.child.Wrote)
		}
		if r.buf != nil {
			parentWrote, parentRead = orEmpty(r.parentWrote), orEmpty(r.parentRead)
		}
		if r.shared() {
			shared = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", kindLabel(r.kind.String()), target, parentWrote, childRead, childWrote, parentRead, shared)
	}
	tw.Flush()
}

// orEmpty shows an empty string as such rather than as a blank cell.
func orEmpty(s string) string {
	if s == "" {
		return "(empty)"
	}
	return s
}

// runDemoChild is the demo's second process: it opens each target by name
// alone, as any other program could, reads the parent's message and writes
// its answer after it.
func runDemoChild(targets []string, stdout, stderr io.Writer) int {
	answer := fmt.Sprintf("pong from %d", os.Getpid())
	results := make([]childResult, len(targets))
	for i, target := range targets {
		results[i] = visitDemoTarget(target, answer)
	}
	if err := json.NewEncoder(stdout).Encode(results); err != nil {
		return failure(stderr, err)
	}
	return 0
}

func visitDemoTarget(target, answer string) childResult {
	res := childResult{Target: target}
	b, err := ipcbuf.Open(target, 0, ipcbuf.OpenOnly())
	if err != nil {
		res.Err = message(err)
		return res
	}
	if res.Read, err = readText(b, 0, answerAt); err == nil {
		var n int
		if n, err = b.Write(answer, answerAt, ipcbuf.UTF8); err == nil && n != len(answer) {
			err = fmt.Errorf("wrote %d of %d bytes", n, len(answer))
		}
	}
	// Close syncs, so the answer is in the object before the parent looks.
	if err = errors.Join(err, b.Close()); err != nil {
		res.Err = message(err)
		return res
	}
	res.Wrote = answer
	return res
}
