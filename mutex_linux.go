package ipcbuf

// Who owns a mutex, and whether that process still runs: the pid and the
// start time from /proc, and kill(pid, 0).

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
)

// startTime returns this process's start time, in clock ticks after boot,
// or 0 if /proc cannot say (then the mutex records the owner as unknown).
func mutexStartTime() uint64 {
	start, _, err := mutexProcStat("/proc/self/stat")
	if err != nil {
		return 0
	}
	return start
}

// mutexProcStat reads a /proc/<pid>/stat file and returns its fields 22 (the
// start time) and 3 (the state: R, S, D, Z, ...).
func mutexProcStat(path string) (start uint64, state byte, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, err
	}
	// Field 2 is the command name in parentheses, and may itself hold
	// spaces and parentheses: the fields after it follow the last ')'.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, 0, syscall.EINVAL
	}
	fields := bytes.Fields(data[i+1:])
	if len(fields) < 20 || len(fields[0]) != 1 { // fields[0] is field 3
		return 0, 0, syscall.EINVAL
	}
	start, err = strconv.ParseUint(string(fields[19]), 10, 64)
	if err != nil {
		return 0, 0, syscall.EINVAL
	}
	return start, fields[0][0], nil
}

// mutexOwnerAlive reports whether the process that locked a mutex as pid and
// ticket can still unlock it. It answers false only when sure: no process
// has the pid, or it is a zombie, or its start time is not the ticket's
// (the pid was reused). When /proc cannot be read (not mounted, or
// mounted with hidepid), a process with the pid counts as the owner.
func mutexOwnerAlive(pid, ticket uint32) bool {
	me := mutexSelf()
	if pid == me.pid {
		// This process, or an earlier one that had its pid and so has died.
		return ticket == me.ticket
	}
	if syscall.Kill(int(pid), 0) == syscall.ESRCH {
		return false
	}
	start, state, err := mutexProcStat("/proc/" + strconv.FormatUint(uint64(pid), 10) + "/stat")
	if err != nil {
		// It may have ended since kill: ask again.
		return syscall.Kill(int(pid), 0) != syscall.ESRCH
	}
	switch {
	case state == 'Z' || state == 'X' || state == 'x':
		return false // dead, not yet reaped: it will never unlock
	case ticket != 0 && uint32(start) != ticket:
		return false // another process got the pid
	}
	return true
}
