package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"strconv"

	"github.com/ipcbuf/ipcbuf"
)

// The largest initial value of each kind of named semaphore, as
// ipcbuf.OpenSemaphore documents them: SEM_VALUE_MAX for POSIX, SEMVMX for
// System V. Checked here so that a bad --value is a usage error.
const (
	semValueMaxPOSIX = 2147483647
	semValueMaxSysV  = 32767
)

// semSubcommand is one of sem's subcommands.
type semSubcommand struct {
	synopsis string
	run      func(args []string, stdout, stderr io.Writer) int
}

// semSubcommands maps sem's subcommands to them. It is filled in by init
// because the subcommands' usage errors read it.
var semSubcommands map[string]semSubcommand

func init() {
	semSubcommands = map[string]semSubcommand{
		"create": {"sem create [--value N] [--mode M] TARGET", runSemCreate},
		"post":   {"sem post TARGET", runSemPost},
		"wait":   {"sem wait [--timeout D] TARGET", runSemWait},
		"get":    {"sem get TARGET", runSemGet},
		"rm":     {"sem rm TARGET", runSemRm},
	}
}

const semUsage = `usage: ipcbuf sem <subcommand> [flags] TARGET

subcommands:
  create [--value N] [--mode M] TARGET
           create the semaphore TARGET with count N (default 0) and
           permission bits M (octal, default 600); an error if it exists
  post TARGET
           add one to TARGET's count, waking a waiter
  wait [--timeout D] TARGET
           take one from TARGET's count, waiting while it is 0, at most D
           (such as 500ms or 2s) if given: exit status 1 when time runs out
  get TARGET
           print TARGET's count
  rm TARGET
           remove TARGET

TARGET is one of:
  '*name'          POSIX named semaphore (sem_open("/name"); /dev/shm/sem.name on Linux)
  4660 or 0x1234   System V semaphore set of one (ipcs -s; not 0)

On Windows '*name' is the Win32 semaphore Local\sem.name, which lives only
while some process has it open: a semaphore that 'sem create' makes is gone
when that command exits, so these verbs reach only semaphores that a running
program holds. --mode can only be 600 there, and System V does not exist.
`

// runSem is "ipcbuf sem": it dispatches to a subcommand.
func runSem(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, semUsage)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, semUsage)
		return 0
	}
	sub, ok := semSubcommands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "ipcbuf: unknown sem subcommand %q\n%s", args[0], semUsage)
		return 2
	}
	return sub.run(args[1:], stdout, stderr)
}

// semFlags returns the FlagSet of a sem subcommand.
func semFlags(name string) *flag.FlagSet { return newFlagSet("sem " + name) }

// semParse parses a sem subcommand's flags and its one TARGET and checks
// the target; it returns -1 if the command should go on, else the exit
// status.
func semParse(flags *flag.FlagSet, args []string, stdout, stderr io.Writer) (ipcbuf.Kind, int) {
	err := flags.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		printSemUsage(stdout, flags)
		return 0, 0
	case err != nil:
		return 0, semUsageError(stderr, flags.Name(), err.Error())
	case flags.NArg() != 1:
		return 0, semUsageError(stderr, flags.Name(), fmt.Sprintf("%s wants TARGET after its flags; got %d argument(s)", flags.Name(), flags.NArg()))
	}
	target := flags.Arg(0)
	kind, _, _, err := ipcbuf.ParseTarget(target)
	if err == nil && kind == ipcbuf.KindFile {
		err = errors.New("a semaphore is '*name' (POSIX) or a System V key, not a file path")
	}
	if err != nil {
		if pe, ok := err.(*fs.PathError); ok {
			err = pe.Err
		}
		return 0, semUsageError(stderr, flags.Name(), fmt.Sprintf("bad TARGET %q: %s", target, message(err)))
	}
	return kind, -1
}

func semUsageError(stderr io.Writer, name, msg string) int {
	fmt.Fprintf(stderr, "ipcbuf: %s\nusage: ipcbuf %s\nRun 'ipcbuf sem help' for more.\n", msg, semSubcommands[name[len("sem "):]].synopsis)
	return 2
}

func printSemUsage(w io.Writer, flags *flag.FlagSet) {
	fmt.Fprintf(w, "usage: ipcbuf %s\n", semSubcommands[flags.Name()[len("sem "):]].synopsis)
	flags.VisitAll(func(f *flag.Flag) {
		arg, usage := flag.UnquoteUsage(f)
		fmt.Fprintf(w, "  --%s %s\n      %s\n", f.Name, arg, usage)
	})
}

// modeFlag is --mode: octal permission bits, checked when parsed.
type modeFlag struct{ mode fs.FileMode }

func (m *modeFlag) String() string { return fmt.Sprintf("%o", uint32(m.mode)) }

func (m *modeFlag) Set(s string) error {
	v, err := strconv.ParseUint(s, 8, 32)
	if err != nil || v > 0o777 {
		return fmt.Errorf("mode %q is not octal permission bits from 0 to 777", s)
	}
	m.mode = fs.FileMode(v)
	return nil
}

func runSemCreate(args []string, stdout, stderr io.Writer) int {
	flags := semFlags("create")
	value := flags.Int64("value", 0, "start the count at `N`")
	mode := modeFlag{0o600}
	flags.Var(&mode, "mode", "give the semaphore permission bits `M` (octal; exact, whatever the umask) (default 600)")
	kind, st := semParse(flags, args, stdout, stderr)
	if st >= 0 {
		return st
	}
	max, what := int64(semValueMaxPOSIX), "a POSIX semaphore holds 0 to SEM_VALUE_MAX"
	if kind == ipcbuf.KindSysV {
		max, what = semValueMaxSysV, "a System V semaphore holds 0 to SEMVMX"
	}
	if *value < 0 || *value > max {
		return semUsageError(stderr, flags.Name(), fmt.Sprintf("--value %d is out of range: %s, %d", *value, what, max))
	}
	s, err := ipcbuf.OpenSemaphore(flags.Arg(0), int(*value), ipcbuf.Exclusive(), ipcbuf.Mode(mode.mode))
	if err != nil {
		return failure(stderr, err)
	}
	if err := s.Close(); err != nil {
		return failure(stderr, err)
	}
	return 0
}

// openSem opens an existing semaphore for a subcommand.
func openSem(target string) (*ipcbuf.Semaphore, error) {
	s, err := ipcbuf.OpenSemaphore(target, 0, ipcbuf.OpenOnly())
	if errors.Is(err, fs.ErrNotExist) {
		err = fmt.Errorf("%s (create it with 'ipcbuf sem create')", message(err))
	}
	return s, err
}

func runSemPost(args []string, stdout, stderr io.Writer) int {
	flags := semFlags("post")
	if _, st := semParse(flags, args, stdout, stderr); st >= 0 {
		return st
	}
	s, err := openSem(flags.Arg(0))
	if err != nil {
		return failure(stderr, err)
	}
	defer s.Close()
	if err := s.Post(); err != nil {
		return failure(stderr, err)
	}
	return 0
}

func runSemWait(args []string, stdout, stderr io.Writer) int {
	flags := semFlags("wait")
	timeout := flags.Duration("timeout", 0, "give up after `D` (such as 500ms or 2s): exit status 1 (default: wait as long as it takes)")
	if _, st := semParse(flags, args, stdout, stderr); st >= 0 {
		return st
	}
	timed := false
	flags.Visit(func(f *flag.Flag) { timed = timed || f.Name == "timeout" })
	if *timeout < 0 {
		return semUsageError(stderr, flags.Name(), fmt.Sprintf("--timeout %v is negative", *timeout))
	}
	target := flags.Arg(0)
	s, err := openSem(target)
	if err != nil {
		return failure(stderr, err)
	}
	defer s.Close()
	if timed {
		err = s.WaitTimeout(*timeout)
	} else {
		err = s.Wait()
	}
	if errors.Is(err, ipcbuf.ErrTimeout) {
		return failure(stderr, fmt.Errorf("wait %s: timed out after %v: the count stayed 0", target, *timeout))
	}
	if err != nil {
		return failure(stderr, err)
	}
	return 0
}

func runSemGet(args []string, stdout, stderr io.Writer) int {
	flags := semFlags("get")
	if _, st := semParse(flags, args, stdout, stderr); st >= 0 {
		return st
	}
	s, err := openSem(flags.Arg(0))
	if err != nil {
		return failure(stderr, err)
	}
	defer s.Close()
	v, err := s.Value()
	if err != nil {
		return failure(stderr, err)
	}
	fmt.Fprintln(stdout, v)
	return 0
}

func runSemRm(args []string, stdout, stderr io.Writer) int {
	flags := semFlags("rm")
	if _, st := semParse(flags, args, stdout, stderr); st >= 0 {
		return st
	}
	if err := ipcbuf.RemoveSemaphore(flags.Arg(0)); err != nil {
		return failure(stderr, err)
	}
	return 0
}
