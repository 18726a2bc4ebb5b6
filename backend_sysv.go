//go:build cgo && !ipcbuf_nosysv

package ipcbuf

import (
	"fmt"
	"io/fs"
	"syscall"

	"github.com/ipcbuf/ipcbuf/cshim"
)

// OpenSysV attaches the System V shared memory segment with the given key
// (shmget, shmat), creating it with size bytes if it does not exist, unless
// the options say otherwise.
//
// An existing segment's real size comes from the kernel (IPC_STAT): size 0
// maps all of it, a smaller size maps that many bytes, and a larger size is
// an error, because System V segments cannot grow. Segments outlive every
// process that used them until RemoveSysV (ipcrm -m) or a reboot.
//
// key is a key_t: any value from math.MinInt32 to math.MaxUint32 except 0,
// which is IPC_PRIVATE and names no segment another process can find.
// The mode of a new segment is exact; System V ignores the umask.
func OpenSysV(key int, size int, opts ...Option) (*Buffer, error) {
	o, err := parseOptions(size, opts)
	if err == nil {
		err = checkKey(key)
	}
	target := keyPath(key)
	fail := func(err error) (*Buffer, error) {
		return nil, &fs.PathError{Op: "open", Path: target, Err: err}
	}
	if err != nil {
		return fail(err)
	}
	k := int32(uint32(key))
	id, created, err := createOrOpen(o, size, "segment",
		func() (int, error) {
			id, err := cshim.Shmget(k, size, cshim.IPCCreat|cshim.IPCExcl|int(o.mode))
			if err == syscall.EINVAL {
				err = fmt.Errorf("the system refuses a %d-byte segment (limits: /proc/sys/kernel/shmmax, shmall): %w", size, err)
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
	r := &region{addr: addr, size: real, sysvID: id, reserve: reserveRegion,
		unmap: func(r *region) error { return cshim.Shmdt(r.addr) },
		ident: sysvObjectID(st)}
	return newMapped(KindSysV, target, r, n, o.readOnly), nil
}

// RemoveSysV marks the System V segment with the given key for removal
// (IPC_RMID), as ipcrm -M does. It disappears when the last process detaches;
// from now on the key finds no segment. A missing segment is an error
// matching fs.ErrNotExist.
func RemoveSysV(key int) error {
	target := keyPath(key)
	err := checkKey(key)
	if err == nil {
		var id int
		if id, err = cshim.Shmget(int32(uint32(key)), 0, 0); err == nil {
			return removeSysVID(target, id)
		}
	}
	return &fs.PathError{Op: "remove", Path: target, Err: err}
}

func removeSysVID(target string, id int) error {
	if err := cshim.ShmRmid(id); err != nil {
		return &fs.PathError{Op: "remove", Path: target, Err: err}
	}
	return nil
}

func sysvObjectID(st cshim.ShmIdent) objectID {
	return objectID{known: true, key: st.Key, cuid: st.CUID, cpid: st.CPID, ctime: st.Ctime, size: st.Size}
}

// removeSysVSegment marks a buffer's segment id for removal, if it is
// still the segment that want recorded at open (see Buffer.Remove).
// attached says that the buffer is still attached to it, so that the
// identifier cannot have been reused.
func removeSysVSegment(target string, id int, want objectID, attached bool) error {
	if !attached {
		st, err := cshim.ShmStatIdent(id)
		switch {
		case err == syscall.EINVAL || err == syscall.EIDRM:
			err = errNotTheObject(fmt.Sprintf("segment id %d is gone", id))
		case err != nil:
		case sysvObjectID(st) != want:
			err = errNotTheObject(fmt.Sprintf("segment id %d is now another segment (key %s) or was removed", id, keyName(int(st.Key))))
		}
		if err != nil {
			return &fs.PathError{Op: "remove", Path: target, Err: err}
		}
	}
	return removeSysVID(target, id)
}

const haveSysV = true
