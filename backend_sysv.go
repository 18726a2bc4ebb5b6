//go:build cgo && linux && !ipcbuf_nosysv

package ipcbuf

// The System V shared memory backend: segments found with shmget and
// attached with shmat. The exported API is in backend.go.

import (
	"fmt"
	"io/fs"
	"syscall"
	"unsafe"

	"github.com/ipcbuf/ipcbuf/cshim"
)

const haveSysV = true

// openSysV is OpenSysV once its arguments are checked.
func openSysV(key int, size int, o options) (*Buffer, error) {
	target := keyName(key)
	fail := func(err error) (*Buffer, error) {
		return nil, &fs.PathError{Op: "open", Path: target, Err: err}
	}
	k := int32(uint32(key))
	id, created, err := createOrOpen(o, size, "segment",
		func() (int, error) {
			flags := cshim.IPCCreat | cshim.IPCExcl | int(o.mode)
			if o.hugePages {
				flags |= cshim.SHMHugeTLB
			}
			id, err := cshim.Shmget(k, size, flags)
			switch {
			case err == syscall.EINVAL:
				err = fmt.Errorf("the system refuses a %d-byte segment (limits: /proc/sys/kernel/shmmax, shmall): %w", size, err)
			case o.hugePages && err == syscall.ENOMEM:
				err = fmt.Errorf("HugePages: the kernel has too few free huge pages for a %d-byte segment (the pool is vm.nr_hugepages; see HugePages_Free in /proc/meminfo): %w", size, err)
			case o.hugePages && err == syscall.EPERM:
				err = fmt.Errorf("HugePages: this process may not make System V segments of huge pages (it needs CAP_IPC_LOCK or the group in vm.hugetlb_shm_group): %w", err)
			}
			return id, err
		},
		func() (int, error) { return cshim.Shmget(k, 0, 0) })
	if err != nil {
		return fail(err)
	}
	b, err := attachSysV(id, target, size, o)
	if err != nil {
		if created {
			_ = cshim.ShmRmid(id)
		}
		return fail(err)
	}
	return b, nil
}

// attachSysV attaches segment id and maps size bytes of it (0: all).
func attachSysV(id int, target string, size int, o options) (*Buffer, error) {
	st, err := cshim.ShmStatIdent(id)
	if err != nil {
		return nil, err
	}
	real := st.Size
	if size > real {
		return nil, invalid("the segment is %d bytes and System V segments cannot grow; asked for %d", real, size)
	}
	n := size
	if n == 0 {
		n = real
	}
	addr, err := cshim.Shmat(id, o.readOnly)
	if err != nil {
		return nil, err
	}
	r := newRegion(addr, real, attachedSysV, segment{target: target, id: id, ident: sysvIdentOf(st)})
	if err := o.advise(KindSysV, addr, real); err != nil {
		_ = r.unmap()
		return nil, err
	}
	return newMapped(KindSysV, target, r, n, o.readOnly), nil
}

// shmdt detaches the segment attached at addr: how a region of kind
// attachedSysV is unmapped.
func shmdt(addr unsafe.Pointer) error { return cshim.Shmdt(addr) }

// removeSysV is RemoveSysV once the key is checked.
func removeSysV(key int) error {
	id, err := cshim.Shmget(int32(uint32(key)), 0, 0)
	if err != nil {
		return &fs.PathError{Op: "remove", Path: keyName(key), Err: err}
	}
	return rmid(keyName(key), id)
}

func rmid(target string, id int) error {
	if err := cshim.ShmRmid(id); err != nil {
		return &fs.PathError{Op: "remove", Path: target, Err: err}
	}
	return nil
}

// sysvIdent is what identified a segment when a buffer attached it: key,
// creator's user and process, creation time (seconds) and size.
type sysvIdent struct {
	key   int32
	cuid  uint32
	cpid  int32
	ctime int64
	size  int
}

func sysvIdentOf(st cshim.ShmIdent) sysvIdent {
	return sysvIdent{key: st.Key, cuid: st.CUID, cpid: st.CPID, ctime: st.Ctime, size: st.Size}
}

// segment is a buffer's System V segment, for Buffer.Remove: its target,
// identifier and identity at open.
type segment struct {
	target string
	id     int
	ident  sysvIdent
}

// remove marks the segment for removal, if it is still the one the buffer
// attached (see Buffer.Remove). While the buffer is attached the segment
// cannot be destroyed, so its identifier cannot have been reused.
func (s segment) remove(attached bool) error {
	if !attached {
		st, err := cshim.ShmStatIdent(s.id)
		switch {
		case err == syscall.EINVAL || err == syscall.EIDRM:
			err = errNotTheObject(fmt.Sprintf("segment id %d is gone", s.id))
		case err != nil:
		case sysvIdentOf(st) != s.ident:
			err = errNotTheObject(fmt.Sprintf("segment id %d is now another segment (key %s) or was removed", s.id, keyName(int(st.Key))))
		}
		if err != nil {
			return &fs.PathError{Op: "remove", Path: s.target, Err: err}
		}
	}
	return rmid(s.target, s.id)
}
