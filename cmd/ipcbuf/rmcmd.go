package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/ipcbuf/ipcbuf"
)

const rmSynopsis = "rm [--force] [--dry-run] TARGET..."

const rmHelp = `Remove each TARGET: a POSIX shared memory object, a System V segment or a
regular file. rm refuses, naming the processes, a TARGET that processes
still have mapped (found in /proc/PID/maps; for System V, its attach count),
and goes on with the others: they would keep using memory that no new
process can find. --force removes it anyway (they keep their mapping until
they unmap it). --dry-run says what rm would do and removes nothing. rm
never removes a directory, FIFO, socket, device or symbolic link (it does
not follow a link: it says where it points), and never a semaphore (use
'ipcbuf sem rm'). Every TARGET is checked before anything is removed.
Exit status: 0 if every TARGET was removed (or would be); 3 if some were
refused because they are mapped, and the rest removed; 1 if some failed
otherwise; 2 for a usage error (nothing removed).
On Windows: a named section ('*name', Local\name) cannot be removed: it
lives while any process has it open or mapped, and goes with the last of
them. rm says so, removes nothing and exits 3 (a section that exists is
held by some process); --force cannot change that, and --dry-run says the
same. A missing one is an error (status 1). A file is deleted without
looking for the processes that map it, which Windows does not tell: Windows
itself refuses to delete a file that a process has mapped (status 1,
nothing deleted), so --force makes no difference there. Wine, unlike
Windows, deletes such a file when the last process closes it.
`

// rmRefused is the exit status of an rm that refused a mapped TARGET.
const rmRefused = 3

func runRm(args []string, stdout, stderr io.Writer) int {
	flags := newFlagSet("rm")
	force := flags.Bool("force", false, "remove a TARGET even if processes have it mapped")
	dryRun := flags.Bool("dry-run", false, "print what would be removed, and remove nothing")
	if st := parseVarFlags(flags, args, 1, "TARGET", stdout, stderr); st >= 0 {
		return st
	}
	for _, target := range flags.Args() {
		if st := checkTarget(stderr, "rm", target); st >= 0 {
			return st
		}
	}
	in := newInspector()
	in.peek = false // whether it holds a ring does not matter here
	status := 0
	for _, target := range flags.Args() {
		st := rmOne(in, target, *force, *dryRun, stdout, stderr)
		// A failure outranks a refusal, which outranks success.
		if st == 1 || (st == rmRefused && status == 0) {
			status = st
		}
	}
	return status
}

// rmOne removes one target for rm and returns its exit status.
func rmOne(in *inspector, target string, force, dryRun bool, stdout, stderr io.Writer) int {
	kind, _, _, _ := ipcbuf.ParseTarget(target)
	if !kind.Supported() {
		return failure(stderr, ipcbuf.Remove(target)) // says why not
	}
	o, err := in.target(target, false)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// Not removed even if it appears now: it was not checked.
		err = &fs.PathError{Op: "remove", Path: target, Err: unwrapPath(err)}
		if s, serr := in.target(target, true); serr == nil && errors.Is(err, fs.ErrNotExist) {
			return failure(stderr, fmt.Errorf("%s (%s is a %s: remove it with 'ipcbuf sem rm %s')", message(err), target, kindNames[s.Kind], shellQuote(target)))
		}
		return failure(stderr, fmt.Errorf("%s ('ipcbuf ls' lists what exists)", message(err)))
	case err != nil:
		return failure(stderr, &fs.PathError{Op: "remove", Path: target, Err: unwrapPath(err)})
	case o.Kind == kindOther:
		what, hint := "a file a buffer could map", "ipcbuf rm removes only shared memory objects and regular files"
		if kind == ipcbuf.KindPOSIX {
			what = "a POSIX shared memory object"
		}
		if strings.HasPrefix(o.Type, "a symbolic link") {
			hint = "ipcbuf rm does not follow links: name the file itself to remove it, or remove the link with rm(1)"
		}
		return failure(stderr, fmt.Errorf("remove %s: %s is %s, not %s: nothing removed (%s)", target, target, o.Type, what, hint))
	}

	if kind == ipcbuf.KindPOSIX && !sectionsRemovable {
		return refuseSection(o, force, dryRun, stderr)
	}
	holders, busy, unsure := mappedBy(o)
	if unsure != "" && !force {
		return failure(stderr, fmt.Errorf("remove %s: cannot tell whether processes have it mapped (%s): nothing removed; --force removes it anyway", target, unsure))
	}
	if busy && !force {
		fmt.Fprintf(stderr, "ipcbuf: remove %s: %s: nothing removed. Stop them first, or use --force: they keep the memory until they unmap it, but no new process finds it\n", target, holders)
		return rmRefused
	}
	if dryRun {
		fmt.Fprintf(stdout, "would remove %s (%s, %s)", target, kindNames[o.Kind], lsSize(o)+" bytes")
		if busy {
			fmt.Fprintf(stdout, "; %s", holders)
		}
		fmt.Fprintln(stdout)
		return 0
	}
	if err := ipcbuf.Remove(target); err != nil {
		return failure(stderr, err)
	}
	if busy {
		fmt.Fprintf(stderr, "ipcbuf: removed %s; %s: they keep the memory until they unmap it\n", target, holders)
	}
	return 0
}

// refuseSection is rm of a named section on Windows, where there is no
// such thing: a section has no name to unlink, and lives while any process
// has it open or mapped. That the section exists at all means a process
// holds it, so rm refuses as it refuses a mapped object elsewhere, with
// status 3; --force cannot help.
func refuseSection(o *object, force, dryRun bool, stderr io.Writer) int {
	what := "nothing removed"
	switch {
	case dryRun:
		what = "rm would remove nothing"
	case force:
		what = "nothing removed, and --force cannot change that"
	}
	fmt.Fprintf(stderr, "ipcbuf: remove %s: Windows cannot remove a named section: %s lives while any process has it open or mapped, and goes, name and all, when the last of them closes it (processes holding it are not known): %s\n", o.Target, o.Path, what)
	return rmRefused
}

// mappedBy says who has o mapped, as rm reports it: busy if any process
// has, and unsure (why) if that cannot be known.
func mappedBy(o *object) (holders string, busy bool, unsure string) {
	m := o.Mapped
	if m == nil {
		return "", false, "no mapping information on this system"
	}
	var procs []string
	for _, p := range m.Processes {
		procs = append(procs, fmt.Sprintf("%d (%s)", p.PID, p.Command))
	}
	n := int64(len(procs))
	if m.Attached != nil && *m.Attached > n {
		// Attached in processes whose maps could not be read.
		procs = append(procs, fmt.Sprintf("%d more not identified", *m.Attached-n))
		n = *m.Attached
	}
	if n > 0 {
		return fmt.Sprintf("still mapped by %s: %s", processes(n), strings.Join(procs, ", ")), true, ""
	}
	if m.Error != "" && m.Attached == nil && !deleteGuarded {
		// A System V segment's attach count is the kernel's own: 0 is
		// sure. Elsewhere no /proc means no way to know.
		return "", false, m.Error
	}
	return "", false, ""
}

// processes says "1 process" or "n processes".
func processes(n int64) string {
	if n == 1 {
		return "1 process"
	}
	return fmt.Sprintf("%d processes", n)
}
