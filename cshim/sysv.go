//go:build cgo && linux && !ipcbuf_nosysv

package cshim

// #cgo CFLAGS: -DIPCBUF_SYSV
// #include <sys/ipc.h>
// #include <sys/shm.h>
// #include "shm.h"
import "C"

import "unsafe"

// Flags for Shmget.
const (
	IPCCreat = C.IPC_CREAT
	IPCExcl  = C.IPC_EXCL
	// SHMHugeTLB makes a new segment of huge pages, from the pool that
	// vm.nr_hugepages reserves.
	SHMHugeTLB = C.SHM_HUGETLB
)

// Shmget returns the identifier of the System V segment with key; flags
// holds IPCCreat, IPCExcl and the permission bits.
func Shmget(key int32, size int, flags int) (int, error) {
	id, err := C.ipcbuf_shmget(C.int(key), C.size_t(size), C.int(flags))
	if id < 0 {
		return -1, err
	}
	return int(id), nil
}

// Shmat attaches segment id at an address the kernel chooses.
func Shmat(id int, readonly bool) (unsafe.Pointer, error) {
	ro := C.int(0)
	if readonly {
		ro = 1
	}
	p, err := C.ipcbuf_shmat(C.int(id), ro)
	if p == nil {
		return nil, err
	}
	return p, nil
}

// Shmdt detaches the segment attached at p.
func Shmdt(p unsafe.Pointer) error {
	if r, err := C.ipcbuf_shmdt(p); r != 0 {
		return err
	}
	return nil
}

// ShmRmid marks segment id for removal; it goes when the last process
// detaches.
func ShmRmid(id int) error {
	if r, err := C.ipcbuf_shm_rmid(C.int(id)); r != 0 {
		return err
	}
	return nil
}

// ShmIdent is what IPC_STAT tells of a segment that a later segment given
// the same identifier would most likely not share: its key, its creator's
// user and process, the time it was created (or last changed by
// IPC_SET), in seconds, and its size.
type ShmIdent struct {
	Key   int32
	CUID  uint32
	CPID  int32
	Ctime int64
	Size  int
}

// ShmStatIdent returns segment id's identity and size, from IPC_STAT.
func ShmStatIdent(id int) (ShmIdent, error) {
	var st C.struct_ipcbuf_shm_ident
	if r, err := C.ipcbuf_shm_ident(C.int(id), &st); r != 0 {
		return ShmIdent{}, err
	}
	return ShmIdent{Key: int32(st.key), CUID: uint32(st.cuid), CPID: int32(st.cpid), Ctime: int64(st.ctime), Size: int(st.size)}, nil
}
