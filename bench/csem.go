package main

// The C baselines of groups 8 and 9: programs in csem/, compiled with the
// system's C compiler at run time into a temporary directory, and run as a
// peer process that takes one command a line on its stdin.

import (
	"embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

//go:embed csem/*.c
var csemSources embed.FS

// csemDir holds the compiled programs for the whole run; main removes it.
var (
	csemOnce sync.Once
	csemDir  string
	csemErr  error
)

// csemCompiler is the C compiler: $CC, else gcc.
func csemCompiler() string {
	if cc := os.Getenv("CC"); cc != "" {
		return cc
	}
	return "gcc"
}

// csemFlags are the compiler flags: optimised as a C programmer would ship
// it, and as strict as the library's own C.
var csemFlags = []string{"-O2", "-std=gnu11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-pthread"}

// csemProgram compiles csem/<name>.c once per run and returns the path of
// the program.
func csemProgram(name string) (string, error) {
	csemOnce.Do(func() {
		csemDir, csemErr = os.MkdirTemp("", "ipcbuf-bench-csem-")
	})
	if csemErr != nil {
		return "", csemErr
	}
	exe := filepath.Join(csemDir, name)
	if _, err := os.Stat(exe); err == nil {
		return exe, nil
	}
	src, err := csemSources.ReadFile("csem/" + name + ".c")
	if err != nil {
		return "", err
	}
	srcPath := exe + ".c"
	if err := os.WriteFile(srcPath, src, 0o600); err != nil {
		return "", err
	}
	args := append(append([]string{}, csemFlags...), "-o", exe, srcPath)
	out, err := exec.Command(csemCompiler(), args...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("compiling csem/%s.c: %s %s: %v\n%s", name, csemCompiler(), strings.Join(args, " "), err, out)
	}
	return exe, nil
}

// csemCleanup removes the compiled programs.
func csemCleanup() {
	if csemDir != "" {
		os.RemoveAll(csemDir)
	}
}

// csemCommandLine describes how a program was built, for the notes.
func csemCommandLine() string {
	return csemCompiler() + " " + strings.Join(csemFlags, " ")
}

// startCPeer compiles csem/<name>.c and starts it with args as a peer (see
// peer): it says "ready", then answers one line per command line.
func startCPeer(name string, args ...string) (*peer, error) {
	exe, err := csemProgram(name)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, args...)
	cmd.Stderr = os.Stderr
	in, out, err := startPiped(cmd)
	if err != nil {
		return nil, err
	}
	p := &peer{role: "csem/" + name + ".c", cmd: cmd, in: in, out: out}
	if _, err := p.reply(); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}
