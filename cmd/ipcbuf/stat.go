package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ipcbuf/ipcbuf"
)

const statSynopsis = "stat [--json] [--sem] TARGET"

const statHelp = `Show everything ls knows about one object: its kind, target, path or
System V id, size, mode, owner and group, every time the system keeps, the
processes that have it mapped (with the attach count and creator and last
pids for System V) and those whose maps could not be read, and the state of
an ipcbuf ring in it or the count of a semaphore. TARGET '*name' is the
POSIX object /dev/shm/name and a key is a System V segment; with --sem they
name the semaphore instead (/dev/shm/sem.name, a System V semaphore set).
A path is shown as it is, without following a symbolic link. To look for
a ring in a System V segment, stat attaches it read-only, after reading its
attach count, pids and times: from then on its last pid is stat's. --json
prints the object as one JSON object (the fields are those of ls --json).
On Windows '*name' is the named section Local\name (with --sem, the named
semaphore Local\sem.name). stat shows its size in whole pages (Windows keeps
no exact size), "mapped by: unknown" (Windows does not tell who maps what),
and "-" for mode and owner; of a file, its size and times (created,
modified, accessed). A System V key is an error: Windows has none.
`

func runStat(args []string, stdout, stderr io.Writer) int {
	flags := newFlagSet("stat")
	asJSON := flags.Bool("json", false, "print JSON")
	sem := flags.Bool("sem", false, "TARGET names a semaphore, not a buffer")
	if st := parseFlags(flags, args, []string{"TARGET"}, stdout, stderr); st >= 0 {
		return st
	}
	target := flags.Arg(0)
	if st := checkTarget(stderr, "stat", target); st >= 0 {
		return st
	}
	in := newInspector()
	in.attach = true // asked about this one object: see statHelp
	o, err := in.target(target, *sem)
	if err != nil {
		return failure(stderr, statError(target, *sem, err))
	}
	if *asJSON {
		out, err := json.MarshalIndent(o, "", "  ")
		if err != nil {
			return failure(stderr, err)
		}
		fmt.Fprintf(stdout, "%s\n", out)
		return 0
	}
	printObject(stdout, o)
	return 0
}

// statError names target in err and says what to do about a missing one.
func statError(target string, sem bool, err error) error {
	err = &fs.PathError{Op: "stat", Path: target, Err: unwrapPath(err)}
	if errors.Is(err, fs.ErrNotExist) {
		hint := "'ipcbuf ls' lists what exists"
		if kind, _, _, _ := ipcbuf.ParseTarget(target); !sem && kind != ipcbuf.KindFile {
			hint += "; add --sem for a semaphore"
		}
		return fmt.Errorf("%s (%s)", message(err), hint)
	}
	return err
}

// printObject prints o for people, one field a line.
func printObject(w io.Writer, o *object) {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	line := func(k, format string, args ...any) {
		if k != "" {
			k += ":"
		}
		fmt.Fprintf(tw, "%s\t%s\n", k, fmt.Sprintf(format, args...))
	}
	line("target", "%s", lsTarget(o))
	line("kind", "%s (%s)", kindNames[o.Kind], o.Kind)
	if o.Type != "" {
		line("type", "%s", o.Type)
	}
	if o.Path != "" {
		line("path", "%s", o.Path)
	}
	if o.ID != nil {
		line("id", "%d", *o.ID)
	}
	if o.Size != nil {
		line("size", "%d bytes", *o.Size)
	}
	if o.NSems != nil {
		line("semaphores", "%d", *o.NSems)
	}
	line("mode", "%s", orDash(o.Mode))
	if o.UID != nil && o.GID != nil {
		line("owner", "%s (uid %d), group %s (gid %d)", o.Owner, *o.UID, o.Group, *o.GID)
	} else {
		line("owner", "-")
	}
	if o.Removed {
		line("removed", "yes: the key is gone; the segment lasts until its last process detaches")
	}
	if o.Locked {
		line("locked", "yes (SHM_LOCK: never swapped out)")
	}
	for _, t := range []struct {
		name string
		t    *time.Time
	}{
		{"created", o.Times.Created}, {"modified", o.Times.Modified}, {"changed", o.Times.Changed}, {"accessed", o.Times.Accessed},
		{"last attach", o.Times.Attached}, {"last detach", o.Times.Detached}, {"last semop", o.Times.Operated},
	} {
		if t.t != nil {
			line(t.name, "%s", t.t.Local().Format("2006-01-02 15:04:05.000000000 -0700"))
		}
	}
	if m := o.Mapped; m != nil {
		if m.Attached != nil {
			line("attach count", "%d (nattch); created by pid %d, last attached or detached by pid %d", *m.Attached, m.CreatorPID, m.LastPID)
		}
		if len(m.Processes) == 0 && m.Error == "" && len(m.Unknown) == 0 {
			line("mapped by", "no process")
		}
		for i, p := range m.Processes {
			k := ""
			if i == 0 {
				k = "mapped by"
			}
			line(k, "%d %s", p.PID, p.Command)
		}
		if m.Error != "" {
			line("mapped by", "unknown: %s", m.Error)
		}
		if len(m.Unknown) > 0 {
			line("unknown", "%s whose maps could not be read (permission denied), which may map it too: %s", processes(int64(len(m.Unknown))), pidList(m.Unknown))
		}
	}
	if o.Value != nil {
		line("value", "%d", *o.Value)
	}
	if r := o.Ring; r != nil {
		if r.Error != "" {
			line("ring", "starts like an ipcbuf ring, but: %s", r.Error)
		} else {
			roles := []string{}
			if r.SingleProducer {
				roles = append(roles, "single producer")
			}
			if r.SingleConsumer {
				roles = append(roles, "single consumer")
			}
			line("ring", "capacity %d bytes, %d used, %d messages ready", r.Capacity, r.Used, r.Messages)
			line("", "%d being written (%d by dead producers), %d producers and %d consumers waiting", r.Writing, r.DeadWriting, r.ProducersWaiting, r.ConsumersWaiting)
			line("", "%d skipped, %d lost%s", r.Skipped, r.Lost, strings.Join(append([]string{""}, roles...), ", "))
		}
	}
	for _, n := range o.Notes {
		line("note", "%s", n)
	}
	tw.Flush()
}

// pidList writes pids as "1, 2, 3", cut short after 20.
func pidList(pids []int) string {
	var s []string
	for i, p := range pids {
		if i == 20 {
			s = append(s, fmt.Sprintf("… (%d more)", len(pids)-20))
			break
		}
		s = append(s, fmt.Sprint(p))
	}
	return strings.Join(s, ", ")
}
