package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/pprof"
)

// childEnv selects the role of a second process of this program.
const childEnv = "IPCBUF_BENCH_CHILD"

// childRoles are the roles groups register; a role reads its arguments
// from the environment and returns the exit status.
var childRoles = map[string]func() int{}

func runChild(role string) int {
	f, ok := childRoles[role]
	if !ok {
		fmt.Fprintln(os.Stderr, "bench: unknown child role", role)
		return 2
	}
	if prefix := os.Getenv(profileEnv); prefix != "" {
		stop, err := startProfile(fmt.Sprintf("%s.%s.%d", prefix, role, os.Getpid()))
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 2
		}
		defer stop()
	}
	return f()
}

// profileEnv passes -cpuprofile's file to the children, which profile
// themselves into files named after it.
const profileEnv = "IPCBUF_BENCH_CPUPROFILE"

// startProfile starts a CPU profile into the file name; stop ends it.
func startProfile(name string) (stop func(), err error) {
	f, err := os.Create(name)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// startPiped starts cmd with a pipe to its standard input and one from its
// standard output.
func startPiped(cmd *exec.Cmd) (io.WriteCloser, *bufio.Reader, error) {
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	return in, bufio.NewReader(out), nil
}

// child returns a command running this program in role, with extra
// environment variables ("K=V").
func child(cfg *config, role string, env ...string) *exec.Cmd {
	cmd := exec.Command(cfg.self)
	cmd.Env = append(append(os.Environ(), childEnv+"="+role), env...)
	cmd.Stderr = os.Stderr
	return cmd
}
