package main

import (
	"slices"
	"strings"
	"testing"
)

func TestHelpEveryVerb(t *testing.T) {
	var verbs []string
	for v := range commands {
		verbs = append(verbs, v)
	}
	slices.Sort(verbs)
	for _, v := range verbs {
		for _, args := range [][]string{{v, "--help"}, {v, "-h"}, {"help", v}} {
			r := ipcbufRun(args...)
			if r.code != 0 || r.stderr != "" || !strings.HasPrefix(r.stdout, "usage: ipcbuf "+v) {
				t.Errorf("ipcbuf %q: status %d, stdout %q, stderr %q; want status 0 and the usage of %s", args, r.code, r.stdout, r.stderr, v)
			}
		}
		// Every verb is in the overview.
		if !strings.Contains(usageText, "\n  "+v+" ") && v != "help" {
			t.Errorf("the usage does not list %s", v)
		}
	}
	// The new verbs explain their output, and the overview the exit codes.
	for v, want := range map[string][]string{
		"ls":   {"--json", "KIND", "MAPPED", "unreadable", "STATE"},
		"stat": {"--json", "--sem"},
		"dump": {"--offset N", "--length N", "--enc E", "hexdump -C"},
		"rm":   {"--force", "--dry-run", "Exit status", "3 if some were\nrefused"},
	} {
		out := mustRun(t, "help", v)
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("ipcbuf help %s lacks %q:\n%s", v, w, out)
			}
		}
	}
	out := mustRun(t, "help")
	for _, w := range []string{"Exit status: 0", "1 when it failed", "2 for a usage error", "3 when rm refused"} {
		if !strings.Contains(out, w) {
			t.Errorf("ipcbuf help lacks %q", w)
		}
	}
	mustFail(t, 2, "help takes at most one command", "help", "ls", "rm")
	mustFail(t, 2, `unknown command "nope"`, "help", "nope")
}
