//go:build cgo && linux && !ipcbuf_nosysv

package cshim

// #cgo CFLAGS: -DIPCBUF_SYSV
// #include <sys/ipc.h>
// #include <sys/sem.h>
// #include "shm.h"
import "C"

import "time"

// Flags for Semop and Semtimedop.
const (
	IPCNoWait = C.IPC_NOWAIT
	SemUndo   = C.SEM_UNDO
)

// SemInfo is what IPC_STAT says about a semaphore set.
type SemInfo struct {
	Key          int32  // the set's key
	Mode         uint32 // its permission bits
	NSems        int    // how many semaphores it holds
	OTime, CTime int64  // last semop and last change, in Unix seconds; OTime 0: no semop yet
}

// Semget returns the identifier of the System V semaphore set with key;
// flags holds IPCCreat, IPCExcl and the permission bits.
func Semget(key int32, nsems int, flags int) (int, error) {
	id, err := C.ipcbuf_semget(C.int(key), C.int(nsems), C.int(flags))
	if id < 0 {
		return -1, err
	}
	return int(id), nil
}

// Semop adds op to semaphore 0 of set id (semop); flags holds IPCNoWait
// and SemUndo. A negative op blocks while the value is too small, unless
// IPCNoWait (EAGAIN then); a signal ends the wait with EINTR.
func Semop(id, op, flags int) error {
	if r, err := C.ipcbuf_semop(C.int(id), C.int(op), C.int(flags)); r != 0 {
		return err
	}
	return nil
}

// Semtimedop is Semop that blocks at most d: EAGAIN then.
func Semtimedop(id, op, flags int, d time.Duration) error {
	if r, err := C.ipcbuf_semtimedop(C.int(id), C.int(op), C.int(flags), C.longlong(d)); r != 0 {
		return err
	}
	return nil
}

// SemGetval returns semaphore 0's value (GETVAL).
func SemGetval(id int) (int, error) {
	v, err := C.ipcbuf_sem_getval(C.int(id))
	if v < 0 {
		return 0, err
	}
	return int(v), nil
}

// SemGetpid returns the pid of the last process that operated on, or set,
// semaphore 0 (GETPID): 0 for a set no one has touched since semget.
func SemGetpid(id int) (int, error) {
	v, err := C.ipcbuf_sem_getpid(C.int(id))
	if v < 0 {
		return 0, err
	}
	return int(v), nil
}

// SemGetncnt returns how many processes wait for semaphore 0 to grow
// (GETNCNT).
func SemGetncnt(id int) (int, error) {
	v, err := C.ipcbuf_sem_getncnt(C.int(id))
	if v < 0 {
		return 0, err
	}
	return int(v), nil
}

// SemStat returns what IPC_STAT says about set id.
func SemStat(id int) (SemInfo, error) {
	var info C.struct_ipcbuf_sem_info
	if r, err := C.ipcbuf_sem_stat(C.int(id), &info); r != 0 {
		return SemInfo{}, err
	}
	return SemInfo{Key: int32(info.key), Mode: uint32(info.mode), NSems: int(info.nsems),
		OTime: int64(info.otime), CTime: int64(info.ctime)}, nil
}

// SemRmid removes set id at once (IPC_RMID), waking its waiters with EIDRM.
func SemRmid(id int) error {
	if r, err := C.ipcbuf_sem_rmid(C.int(id)); r != 0 {
		return err
	}
	return nil
}
