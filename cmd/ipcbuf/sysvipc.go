package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// The kernel's lists of System V objects. ipcs reads the same files;
// reading them directly needs no util-linux at all.
const (
	sysvShmList = "/proc/sysvipc/shm"
	sysvSemList = "/proc/sysvipc/sem"
)

// Bits of a segment's mode beyond its permissions, as the kernel shows
// them in /proc/sysvipc/shm.
const (
	shmDest   = 0o1000 // SHM_DEST: removed, still attached
	shmLocked = 0o2000 // SHM_LOCKED
)

// sysvEntry is one line of a /proc/sysvipc file, by column name.
type sysvEntry map[string]string

// readSysV returns the lines of a /proc/sysvipc file. The columns are found
// by their names in the header, so that a kernel that adds columns (rss
// and swap came in Linux 4.x) is read all the same.
func readSysV(path string) ([]sysvEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return nil, sc.Err()
	}
	header := strings.Fields(sc.Text())
	var entries []sysvEntry
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < len(header) {
			continue
		}
		e := sysvEntry{}
		for i, h := range header {
			e[h] = fields[i]
		}
		entries = append(entries, e)
	}
	return entries, sc.Err()
}

// int returns column name as a number; a missing or bad column is 0.
func (e sysvEntry) int(name string) int64 {
	v, _ := strconv.ParseInt(e[name], 10, 64)
	return v
}

// key returns the entry's key as the 32 bits of key_t, which the kernel
// prints signed.
func (e sysvEntry) key() uint32 { return uint32(e.int("key")) }

// mode returns the perms column, which the kernel prints in octal.
func (e sysvEntry) mode() uint32 {
	v, _ := strconv.ParseUint(e["perms"], 8, 32)
	return uint32(v)
}

// time returns a time column (seconds since the epoch), or nil for 0:
// never.
func (e sysvEntry) time(name string) *time.Time {
	s := e.int(name)
	if s == 0 {
		return nil
	}
	t := time.Unix(s, 0)
	return &t
}

// sysvTarget is how Open names a key: the way ipcs prints it too.
func sysvTarget(key uint32) string { return fmt.Sprintf("0x%08x", key) }
