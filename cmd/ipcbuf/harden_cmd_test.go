package main

// Hardening of the command, reliability scenarios 19 and 26 of
// reliability-matrix.md: a key with leading zeros is the decimal key; bad
// input is refused before anything is created; rm removes only buffers.

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/ipcbuf/ipcbuf"
)

// TestLeadingZeroKey is scenario 19: "0755" is key 755, not octal 0x1ed, so
// what put wrote there get finds under "755", and "08" is key 8.
func TestLeadingZeroKey(t *testing.T) {
	key := testKey(t)
	target := strconv.Itoa(key)
	requireKind(t, target)
	removeAtCleanup(t, target)
	expect(t, "put --size 64 0"+target, mustRun(t, "put", "--size", "64", "0"+target, "hello"), "5\n")
	expect(t, "get --end 5 "+target, mustRun(t, "get", "--end", "5", target), "hello")
	expect(t, "get --end 5 0x...", mustRun(t, "get", "--end", "5", fmt.Sprintf("0x%x", key)), "hello")
	expect(t, "rm 00"+target, mustRun(t, "rm", "00"+target), "")
	if exists(t, target) {
		t.Fatalf("%s still exists after rm 00%s", target, target)
	}
	// Digits 8 and 9 after a zero are not "out of range": they are decimal.
	for _, s := range []string{"08", "0755", "09"} {
		_, _, k, err := ipcbuf.ParseTarget(s)
		want, _ := strconv.Atoi(s)
		if err != nil || k != want {
			t.Errorf("ParseTarget(%q) = key %d, %v; want %d", s, k, err, want)
		}
	}
	mustFail(t, 2, "System V key 04294967296 is out of range", "get", "04294967296")
}
