package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// commandHelp is what "ipcbuf help VERB" and "ipcbuf VERB --help" print
// after a command's synopsis and flags, for the commands that need more
// than their flags to be understood.
var commandHelp = map[string]string{
	"ls":   lsHelp,
	"stat": statHelp,
	"dump": dumpHelp,
	"rm":   rmHelp,
	"help": helpHelp,
	"put":  putHelp,
	"get":  getHelp,
	"demo": demoHelp,
}

const putHelp = `Write STRING into TARGET at --offset, encoded with --enc, as Node's
buf.write does: what fits, and print how many bytes that was. A missing
TARGET is created with --size bytes; an existing one keeps its size.
On Windows '*name' is the named section Local\name. A section's size is
fixed when it is made, and another process that opens it sees it rounded
up to whole pages (4096 bytes): Windows does not keep the exact size. A
section lasts only while some process has it open, so one that put creates
is gone when put exits unless another process holds it.
`

const getHelp = `Print TARGET's bytes from --start to --end, decoded with --enc, as Node's
buf.toString does. TARGET is opened read-only.
On Windows '*name' is the named section Local\name; opened at its own size,
it has whole pages (a multiple of 4096 bytes), the bytes past the size it
was made with zero.
`

const demoHelp = `Create a buffer of each kind, start a second ipcbuf process that opens
each by its name alone, reads the first process's message and answers, and
print what each side saw; then remove everything it made.
On Windows the '*name' row is a named section (Local\ipcbuf-demo-PID),
shown as "section"; there is no System V row to share, as Windows has none.
`

const helpHelp = `Print the usage of ipcbuf, or of one command with its flags.
`

// exitCodesText is the part of the usage that documents the exit statuses.
const exitCodesText = `Exit status: 0 when the command did what was asked; 1 when it failed (the
message names the target and says what to do); 2 for a usage error (bad
flags, arguments or TARGET; nothing was done); 3 when rm refused a TARGET
that processes still have mapped (nothing removed; --force removes it) or,
on Windows, a named section, which cannot be removed.
lock exits with COMMAND's status; sem wait --timeout with 1 when time runs
out.
`

// parseVarFlags is parseFlags for a command that takes min or more
// arguments after its flags, described by what in errors.
func parseVarFlags(fs *flag.FlagSet, args []string, min int, what string, stdout, stderr io.Writer) int {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		printCommandUsage(stdout, fs)
		return 0
	case err != nil:
		return usageError(stderr, fs.Name(), err.Error())
	case fs.NArg() < min:
		return usageError(stderr, fs.Name(), fmt.Sprintf("%s wants %s after its flags", fs.Name(), what))
	}
	return -1
}
