package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ipcbuf/ipcbuf"
)

const lsSynopsis = "ls [--json] [--attach] [FILE...]"

// lsHelp is what "ipcbuf help ls" says after the synopsis and flags.
const lsHelp = `List every POSIX shared memory object and named POSIX semaphore (in
/dev/shm), every System V shared memory segment and semaphore set, and the
FILEs given, with who has each mapped. Columns:
  KIND     posix, posix-semaphore, sysv, sysv-semaphore, file (or other: a
           FILE that is not a regular file, never a buffer)
  TARGET   the object as ipcbuf and Open name it: '*name', 0x1234abcd, path
           ("-" for a System V object with key 0: private, or removed)
  SIZE     bytes; a semaphore set's count of semaphores
  MODE     permission bits, octal
  OWNER    user name (or uid)
  TIME     last modification (POSIX objects, files) or last change
           (System V: creation or the last IPC_SET)
  MAPPED   the processes that have it mapped, from /proc/PID/maps (System V:
           the attach count, then the processes); "?(N unreadable)" counts
           processes whose maps could not be read (another user's, without
           privilege): they may map it too
  STATE    an ipcbuf ring's messages, bytes used and sleepers; a semaphore's
           count; "removed" for a System V segment removed while attached
To see whether an object holds a ring, ls reads its first 8 bytes, and
opens a ring it finds without creating or writing anything. It does not
attach System V segments unless given --attach, because attaching changes
what ipcs and ls show of them (attach count, last pid, times); "ipcbuf stat"
attaches the one segment it is asked about. --json prints an array of the
objects, with every field "ipcbuf stat --json" has.
On Windows ls lists the named sections of this session's object directory
(\Sessions\N\BaseNamedObjects, where Local\NAME lives) as KIND section,
TARGET '*NAME', and the named semaphores Local\sem.NAME as KIND semaphore,
TARGET '*NAME'; not the Global\ ones, nor other kinds of object. JSON keeps
the kinds "posix" and "posix-semaphore". A section's SIZE is measured by
mapping it read-only: whole pages, as Windows keeps no exact size. Windows
keeps no list of who maps what, so MAPPED is "unknown" (never "none");
MODE, OWNER and a section's TIME are "-": there are no mode bits, owners
are in security descriptors, which ls does not read, and sections have no
times. There is no System V. If the session's objects cannot be listed, ls
says so and exits 1, still listing the FILEs.
`

func runLs(args []string, stdout, stderr io.Writer) int {
	flags := newFlagSet("ls")
	asJSON := flags.Bool("json", false, "print JSON: an array of objects, as stat --json prints one")
	attach := flags.Bool("attach", false, "attach System V segments (read-only) to look for rings in them too")
	if st := parseVarFlags(flags, args, 0, "", stdout, stderr); st >= 0 {
		return st
	}
	files := flags.Args()
	for _, f := range files {
		if kind, _, _, err := ipcbuf.ParseTarget(f); err == nil && kind != ipcbuf.KindFile {
			return usageError(stderr, "ls", fmt.Sprintf("%q is not a file path: ls lists every POSIX object and System V segment without being asked ('ipcbuf stat %s' shows one; write ./%s for a file of that name)", f, shellQuote(f), f))
		}
		if st := checkTarget(stderr, "ls", f); st >= 0 {
			return st
		}
	}
	in := newInspector()
	in.attach = *attach
	objs, errs := in.all(files)
	status := 0
	for _, err := range errs {
		status = failure(stderr, err)
	}
	if *asJSON {
		if objs == nil {
			objs = []*object{}
		}
		out, err := json.MarshalIndent(objs, "", "  ")
		if err != nil {
			return failure(stderr, err)
		}
		fmt.Fprintf(stdout, "%s\n", out)
		return status
	}
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "KIND\tTARGET\tSIZE\tMODE\tOWNER\tTIME\tMAPPED\tSTATE")
	for _, o := range objs {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", kindLabel(o.Kind), lsTarget(o), lsSize(o), orDash(o.Mode), orDash(o.Owner),
			lsTime(o), lsMapped(o), lsState(o))
	}
	w.Flush()
	return status
}

// shellQuote quotes s for a shell if it needs it ('*name' always does).
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// orDash shows what is not known as "-".
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func lsTarget(o *object) string {
	if o.Target == "" {
		return "-"
	}
	return o.Target
}

func lsSize(o *object) string {
	switch {
	case o.NSems != nil:
		return fmt.Sprintf("%d sem", *o.NSems)
	case o.Size != nil:
		return strconv.FormatInt(*o.Size, 10)
	}
	return "-"
}

// lsTime is the TIME column: see lsHelp.
func lsTime(o *object) string {
	t := o.Times.Modified
	if t == nil {
		t = o.Times.Changed
	}
	if t == nil {
		return "-"
	}
	return t.Local().Format(time.DateTime)
}

// lsMapped is the MAPPED column: see lsHelp.
func lsMapped(o *object) string {
	m := o.Mapped
	if m == nil {
		return "-"
	}
	var procs []string
	for _, p := range m.Processes {
		procs = append(procs, fmt.Sprintf("%d %s", p.PID, p.Command))
	}
	s := strings.Join(procs, ", ")
	switch {
	case m.Error != "":
		s = strings.TrimSpace(s + " " + mappedUnknown)
	case len(m.Unknown) > 0 && s == "":
		s = fmt.Sprintf("?(%d unreadable)", len(m.Unknown))
	case len(m.Unknown) > 0:
		s += fmt.Sprintf(" +?(%d unreadable)", len(m.Unknown))
	case s == "":
		s = "none"
	}
	if m.Attached != nil {
		s = fmt.Sprintf("nattch %d: %s", *m.Attached, s)
	}
	return s
}

// lsState is the STATE column: see lsHelp.
func lsState(o *object) string {
	var parts []string
	if o.Removed {
		parts = append(parts, "removed")
	}
	if o.Value != nil {
		parts = append(parts, fmt.Sprintf("value %d", *o.Value))
	}
	if r := o.Ring; r != nil {
		if r.Error != "" {
			parts = append(parts, "ring? "+r.Error)
		} else {
			parts = append(parts, fmt.Sprintf("ring: %d msg, %d/%d B used, %d waiting", r.Messages, r.Used, r.Capacity, r.ProducersWaiting+r.ConsumersWaiting))
		}
	}
	if o.Type != "" {
		parts = append(parts, o.Type)
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, "; ")
}
