package main

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// procRoot is where the processes' maps are read. Linux only: elsewhere
// every lookup fails, and the command says it cannot tell who maps what.
const procRoot = "/proc"

// mapKey identifies a mapped file as /proc/PID/maps shows it: the device's
// major and minor numbers and the inode.
type mapKey struct{ major, minor, ino uint64 }

// procMaps is one scan of every process's /proc/PID/maps: who maps which
// file, and which processes could not be looked at.
type procMaps struct {
	byFile map[mapKey][]int    // pids mapping each file, ascending
	byPath map[string][]mapKey // the files mapped under each path (for the overlayfs fallback)
	sysv   map[uint64][]int    // pids attached to each System V segment, by shmid
	// unknown are the processes whose maps could not be read (another
	// user's, without the privilege to read them): they may map anything.
	unknown []int
	err     error // the scan itself failed: no /proc
}

// scanMaps reads every process's maps. A process that ends during the scan
// is left out; one whose maps cannot be read is listed in unknown.
func scanMaps() *procMaps {
	m := &procMaps{byFile: map[mapKey][]int{}, byPath: map[string][]mapKey{}, sysv: map[uint64][]int{}}
	entries, err := os.ReadDir(procRoot)
	if err != nil {
		m.err = fmt.Errorf("cannot list processes: %w (is /proc mounted?)", err)
		return m
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		if err := m.read(pid); err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH) {
				continue // it ended
			}
			m.unknown = append(m.unknown, pid)
		}
	}
	slices.Sort(m.unknown)
	return m
}

// read adds pid's mappings to m.
func (m *procMaps) read(pid int) error {
	f, err := os.Open(fmt.Sprintf("%s/%d/maps", procRoot, pid))
	if err != nil {
		return err
	}
	defer f.Close()
	seen := map[mapKey]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		// address perms offset dev inode [path]
		f := strings.Fields(sc.Text())
		if len(f) < 6 {
			continue // anonymous memory
		}
		ino, err := strconv.ParseUint(f[4], 10, 64)
		if err != nil || ino == 0 {
			continue
		}
		majs, mins, ok := strings.Cut(f[3], ":")
		maj, err1 := strconv.ParseUint(majs, 16, 64)
		min, err2 := strconv.ParseUint(mins, 16, 64)
		if !ok || err1 != nil || err2 != nil {
			continue
		}
		k := mapKey{maj, min, ino}
		if seen[k] {
			continue
		}
		seen[k] = true
		m.byFile[k] = append(m.byFile[k], pid)
		// A path may contain spaces: it is everything after the inode.
		path := strings.Join(f[5:], " ")
		if strings.HasPrefix(path, "/SYSV") {
			// A System V segment: its inode is its shmid.
			m.sysv[ino] = append(m.sysv[ino], pid)
			continue
		}
		if !strings.HasSuffix(path, " (deleted)") {
			m.byPath[path] = append(m.byPath[path], k)
		}
	}
	return sc.Err() // ESRCH if it ended mid-read
}

// mappers returns the pids that map the file with fileID id at path. The
// file is found by device and inode, so a process that mapped it under
// another name (a hard link, a bind mount, the name before a rename) is
// found too. Where the device number in the maps differs from stat's
// (files on overlayfs show the underlying file system's), a mapping at the
// same path with the same inode counts as well.
func (m *procMaps) mappers(id fileID, path string) []int {
	maj, min := devMajorMinor(id.dev)
	pids := slices.Clone(m.byFile[mapKey{maj, min, id.ino}])
	for _, k := range m.byPath[path] {
		if k.ino == id.ino && (k.major != maj || k.minor != min) {
			pids = append(pids, m.byFile[k]...)
		}
	}
	slices.Sort(pids)
	return slices.Compact(pids)
}

// procCommand returns the command name of process pid (its comm), or "?"
// if it cannot be read (it ended).
func procCommand(pid int) string {
	data, err := os.ReadFile(fmt.Sprintf("%s/%d/comm", procRoot, pid))
	if err != nil {
		return "?"
	}
	return strings.TrimSuffix(string(data), "\n")
}
