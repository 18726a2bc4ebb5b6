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
}

const helpHelp = `Print the usage of ipcbuf, or of one command with its flags.
`

// exitCodesText is the part of the usage that documents the exit statuses.
const exitCodesText = `Exit status: 0 when the command did what was asked; 1 when it failed (the
message names the target and says what to do); 2 for a usage error (bad
flags, arguments or TARGET; nothing was done); 3 when rm refused a TARGET
that processes still have mapped (nothing removed; --force removes it).
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
