//go:build !linux

package main

import "os/exec"

// dieWithParent does nothing: only Linux has a parent-death signal, and
// only Linux has the mutex that lock holds.
func dieWithParent(cmd *exec.Cmd) {}
