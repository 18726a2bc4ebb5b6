// Command ipcbuf reads and writes ipcbuf buffers from the shell: POSIX shared
// memory objects, System V segments and mapped files, named by the same
// one-line targets as ipcbuf.Open. Its demo subcommand shows two processes
// sharing each kind of buffer.
//
// Run "ipcbuf help" for usage.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// usageText is what "ipcbuf help" prints. '*name' is quoted because a shell
// expands an unquoted *name whenever it happens to match a file.
const usageText = `usage: ipcbuf <command> [flags] [arguments]

commands:
  demo     show two processes sharing each kind of buffer
  put [--size N] [--offset N] [--enc E] TARGET STRING
           write STRING into TARGET (Node's buf.write); print the bytes written
  get [--start N] [--end N] [--enc E] TARGET
           print TARGET's bytes from start to end, decoded (Node's buf.toString)
  ls [--json] [--attach] [FILE...]
           list every POSIX and System V object (and FILEs), with who maps it
  stat [--json] [--sem] TARGET
           show one object in full: mode, owner, times, who maps it, its ring
  dump [--offset N] [--length N] [--enc E] TARGET
           print TARGET's bytes as hexdump -C does, or decoded
  rm [--force] [--dry-run] TARGET...
           remove TARGETs: shared memory objects or regular files, never a
           directory, FIFO, socket, device or symbolic link; refuses one that
           processes still have mapped unless --force
  sem create|post|wait|get|rm [flags] TARGET
           named semaphores: run "ipcbuf sem help"
  ring create|send|recv|stat [flags] TARGET
           a queue of messages in a buffer: run "ipcbuf ring help"
  lock [--timeout D] TARGET -- COMMAND [ARG...]
           run COMMAND holding the mutex at the start of TARGET (created
           with 16 bytes if missing); exit with COMMAND's status

TARGET is one of:
  '*name'          POSIX shared memory object (/dev/shm/name on Linux; on
                   Windows the named section Local\name)
  4660 or 0x1234   System V shared memory key (not 0; Windows has none)
  path             a file mapped into memory (./123 for a file named 123)

On Windows a named section lives while a process has it open and cannot be
removed; ls lists this session's sections and says "unknown" for who maps
what, which Windows does not tell. "ipcbuf help COMMAND" says what differs.

Encodings (--enc): utf8 (default), utf16le, latin1, ascii, base64, base64url,
hex, and Node's other spellings of them (utf-8, ucs2, binary, ...).
Flags go before TARGET. Run "ipcbuf help <command>" for a command's flags.

` + exitCodesText

// command is one subcommand: its one-line synopsis and what it does with its
// arguments.
type command struct {
	synopsis string
	run      func(args []string, stdout, stderr io.Writer) int
}

// commands maps each subcommand's name to it. It is filled in by init
// because runHelp, one of its entries, reads it.
var commands map[string]command

func init() {
	commands = map[string]command{
		"demo": {"demo", runDemoCommand},
		"put":  {"put [--size N] [--offset N] [--enc E] TARGET STRING", runPut},
		"get":  {"get [--start N] [--end N] [--enc E] TARGET", runGet},
		"rm":   {rmSynopsis, runRm},
		"ls":   {lsSynopsis, runLs},
		"stat": {statSynopsis, runStat},
		"dump": {dumpSynopsis, runDump},
		"sem":  {"sem create|post|wait|get|rm [flags] TARGET", runSem},
		"ring": {"ring create|send|recv|stat [flags] TARGET", runRing},
		"lock": {lockSynopsis, runLock},
		"help": {"help [command]", runHelp},
	}
}

// run is the whole command, minus the process: it returns the exit status
// instead of exiting, so tests can call it in-process.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return 2
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		name = "help"
	case demoChildRole:
		return runDemoChild(args[1:], stdout, stderr)
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "ipcbuf: unknown command %q\nRun 'ipcbuf help' for usage.\n", name)
		return 2
	}
	return cmd.run(args[1:], stdout, stderr)
}

func runHelp(args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0:
		fmt.Fprint(stdout, usageText)
		return 0
	case len(args) == 1 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help"):
		fmt.Fprintf(stdout, "usage: ipcbuf %s\n\n%s", commands["help"].synopsis, helpHelp)
		return 0
	case len(args) == 1:
		if _, ok := commands[args[0]]; ok {
			// Each command prints its own flags when asked for -h.
			return run([]string{args[0], "-h"}, stdout, stderr)
		}
		fmt.Fprintf(stderr, "ipcbuf: unknown command %q\nRun 'ipcbuf help' for usage.\n", args[0])
		return 2
	}
	return usageError(stderr, "help", "help takes at most one command")
}

// newFlagSet returns a FlagSet for the named subcommand that reports nothing
// itself: parseFlags decides where usage goes and with what status.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags parses args with fs and checks that the arguments left are the
// ones named in want. It returns -1 if the command should go on, or else the
// exit status: 0 after printing help for -h, 2 after a usage error.
func parseFlags(fs *flag.FlagSet, args []string, want []string, stdout, stderr io.Writer) int {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		printCommandUsage(stdout, fs)
		return 0
	case err != nil:
		return usageError(stderr, fs.Name(), err.Error())
	case fs.NArg() != len(want) && len(want) == 0:
		return usageError(stderr, fs.Name(), fmt.Sprintf("%s takes no arguments", fs.Name()))
	case fs.NArg() != len(want):
		return usageError(stderr, fs.Name(), fmt.Sprintf("%s wants %s after its flags; got %d argument(s)", fs.Name(), strings.Join(want, " "), fs.NArg()))
	}
	return -1
}

// usageError reports a mistake in how the command was called, with the
// command's synopsis so the fix is in view, and returns status 2.
func usageError(stderr io.Writer, name, msg string) int {
	fmt.Fprintf(stderr, "ipcbuf: %s\nusage: ipcbuf %s\nRun 'ipcbuf help' for more.\n", msg, commands[name].synopsis)
	return 2
}

// printCommandUsage prints a command's synopsis and flags. It does not use
// FlagSet.PrintDefaults, which writes flags with one dash where the rest of
// the usage writes two.
func printCommandUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: ipcbuf %s\n", commands[fs.Name()].synopsis)
	fs.VisitAll(func(f *flag.Flag) {
		arg, usage := flag.UnquoteUsage(f)
		if f.DefValue != "0" && f.DefValue != "false" && f.DefValue != "" {
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, "  --%s\n      %s\n", strings.TrimSpace(f.Name+" "+arg), usage)
	})
	if help, ok := commandHelp[fs.Name()]; ok {
		fmt.Fprintf(w, "\n%s", help)
	}
}

// failure reports err and returns status 1.
func failure(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "ipcbuf: %s\n", message(err))
	return 1
}
