package main

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel kill cmd if this process ends first.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
