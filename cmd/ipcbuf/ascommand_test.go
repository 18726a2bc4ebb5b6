package main

import (
	"context"
	"os"
	"os/exec"
)

// asCommandEnv makes the test binary be the ipcbuf command, so that tests
// can run the command as processes of its own without building it (under
// Wine there is no go command to build it with).
const asCommandEnv = "IPCBUF_TEST_AS_COMMAND"

func init() {
	if os.Getenv(asCommandEnv) == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
}

// commandProcess returns the ipcbuf command with args, as a process of its
// own, ended with ctx: the test binary, in the role of the command.
func commandProcess(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), asCommandEnv+"=1", "GORACE=atexit_sleep_ms=0")
	return cmd
}
