package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/ipcbuf/ipcbuf"
)

const lockSynopsis = "lock [--timeout D] TARGET -- COMMAND [ARG...]"

// lockTimeout is the --timeout flag. Unset means no limit, which is not
// the same as 0 (one attempt), so it records whether it was given; a
// negative duration is refused by Set, so that it is a usage error found
// before anything is opened.
type lockTimeout struct {
	d   time.Duration
	set bool
}

// String returns "0" when unset, which keeps printCommandUsage from
// showing a default: the usage says what unset means.
func (t *lockTimeout) String() string {
	if !t.set {
		return "0"
	}
	return t.d.String()
}

func (t *lockTimeout) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return errors.New("not a duration (such as 500ms, 10s or 2m)")
	}
	if d < 0 {
		return errors.New("the timeout is negative")
	}
	t.d, t.set = d, true
	return nil
}

// runLock runs COMMAND holding the robust mutex at the start of TARGET,
// as flock(1) does with a file lock, and exits with COMMAND's status.
func runLock(args []string, stdout, stderr io.Writer) int {
	flags := newFlagSet("lock")
	var timeout lockTimeout
	flags.Var(&timeout, "timeout", "give up after `D` (such as 500ms or 2m) if another process holds the lock; 0 tries once (default: wait as long as it takes)")
	err := flags.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		printCommandUsage(stdout, flags)
		return 0
	case err != nil:
		return usageError(stderr, "lock", err.Error())
	}
	rest := flags.Args()
	// The flag package takes a "--" before TARGET as the end of the flags:
	// "lock -- COMMAND" has no TARGET.
	endedFlags := len(rest) < len(args) && args[len(args)-len(rest)-1] == "--"
	switch {
	case len(rest) == 0 || rest[0] == "--" || endedFlags && !slices.Contains(rest, "--"):
		return usageError(stderr, "lock", "lock wants TARGET -- COMMAND [ARG...]; TARGET is missing")
	case len(rest) == 1:
		return usageError(stderr, "lock", "lock wants -- COMMAND after TARGET")
	case rest[1] != "--":
		return usageError(stderr, "lock", fmt.Sprintf("lock wants -- between TARGET and COMMAND; got %q after TARGET", rest[1]))
	case len(rest) == 2:
		return usageError(stderr, "lock", "lock wants a COMMAND after --")
	}
	target, argv := rest[0], rest[2:]
	if st := checkTarget(stderr, "lock", target); st >= 0 {
		return st
	}

	// Like flock(1), a missing target is created: with just the mutex.
	b, _, err := openForPut(target, ipcbuf.MutexSize, 0)
	if err != nil {
		return failure(stderr, err)
	}
	defer b.Close()
	if b.Len() < ipcbuf.MutexSize {
		return failure(stderr, fmt.Errorf("lock %s: it has %d bytes, and a mutex takes %d", target, b.Len(), ipcbuf.MutexSize))
	}
	m, err := ipcbuf.NewMutex(b, 0)
	if err != nil {
		return failure(stderr, err)
	}
	if timeout.set {
		err = m.LockTimeout(timeout.d)
	} else {
		err = m.Lock()
	}
	switch {
	case errors.Is(err, ipcbuf.ErrOwnerDead):
		// The command is what repairs whatever the lock protects; all
		// that is left to do here is to say so and go on.
		fmt.Fprintf(stderr, "ipcbuf: %s; marking it consistent and going on\n", message(err))
		if err := m.MarkConsistent(); err != nil {
			m.Unlock()
			return failure(stderr, err)
		}
	case errors.Is(err, ipcbuf.ErrTimeout):
		return failure(stderr, fmt.Errorf("%s after %v: another process holds the lock", message(err), timeout.d))
	case err != nil:
		return failure(stderr, err)
	}

	status := runLocked(argv, stdout, stderr)
	if err := m.Unlock(); err != nil {
		failure(stderr, err)
		if status == 0 {
			status = 1
		}
	}
	return status
}

// runLocked runs argv with the standard streams passed through and
// returns its exit status: 128+n if signal n ended it, 127 if it cannot be
// found, 126 if it cannot be run.
func runLocked(argv []string, stdout, stderr io.Writer) int {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr

	// The lock belongs to this process, not to the command: should this
	// process be killed, the next locker would take the lock over while
	// the command still ran. So the command dies with it (on Linux, by
	// the parent-death signal, which the kernel sends when the thread
	// that started the child ends: hence the locked thread).
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	dieWithParent(cmd)

	// While the command runs, signals meant to stop it must not kill this
	// process first, which would leave the lock to look abandoned. SIGINT
	// and SIGQUIT from a terminal reach the command by themselves (it is
	// in the same process group); SIGTERM and SIGHUP, often sent to this
	// process alone, are passed on.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGQUIT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)

	if err := cmd.Start(); err != nil {
		fmt.Fprintf(stderr, "ipcbuf: lock: %s\n", strings.TrimPrefix(err.Error(), "exec: "))
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
			return 127
		}
		return 126
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case sig := <-sigs:
				if sig == syscall.SIGTERM || sig == syscall.SIGHUP {
					cmd.Process.Signal(sig)
				}
			case <-done:
				return
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exitErr):
		if ws, ok := exitErr.Sys().(interface {
			Signaled() bool
			Signal() syscall.Signal
		}); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return exitErr.ExitCode()
	}
	fmt.Fprintf(stderr, "ipcbuf: lock: %s: %v\n", argv[0], err)
	return 1
}
