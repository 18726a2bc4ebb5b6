package ipcbuf

import (
	"io/fs"
)

// An Option changes how OpenShm, OpenFile, OpenSysV and Open open their
// object. Without options they open the object if it exists and create it if
// not, read-write, with mode 0600.
type Option func(*options)

type options struct {
	exclusive bool
	openOnly  bool
	readOnly  bool
	noFollow  bool
	mode      fs.FileMode
	semUndo   bool // SemUndo: System V semaphores only
}

// Exclusive makes opening fail with an error matching fs.ErrExist if the
// object already exists (O_EXCL, IPC_EXCL): the buffer is then sure to be
// new, and no one else can have prepared its contents.
func Exclusive() Option { return func(o *options) { o.exclusive = true } }

// OpenOnly makes opening fail with an error matching fs.ErrNotExist if the
// object does not exist, instead of creating it.
func OpenOnly() Option { return func(o *options) { o.openOnly = true } }

// ReadOnly maps the object for reading only. It implies OpenOnly, and the
// size asked for must not exceed the object's. Methods that write return
// ErrReadOnly.
func ReadOnly() Option { return func(o *options) { o.readOnly = true; o.openOnly = true } }

// NoFollow refuses to open a file through a symbolic link: if the last
// component of the path is a symlink, opening fails with an error matching
// fs.ErrInvalid (and syscall.ELOOP) instead of following it (O_NOFOLLOW).
// Without it, OpenFile follows symlinks as os.OpenFile does — including
// one another user planted in a sticky world-writable directory such as
// /tmp, unless the kernel's fs.protected_symlinks stops it; Exclusive
// refuses every existing name, symlinks included. Directories earlier in
// the path are still followed. POSIX shared memory names are never
// followed (glibc's shm_open passes O_NOFOLLOW), and System V keys are not
// paths: for those, NoFollow changes nothing.
func NoFollow() Option { return func(o *options) { o.noFollow = true } }

// Mode sets the permission bits of an object that opening creates. The
// object gets exactly these bits, whatever the process's umask. The default
// is 0600: only the owner can open it. An existing object's mode is left
// alone.
func Mode(perm fs.FileMode) Option { return func(o *options) { o.mode = perm } }

// applyOptions applies opts to the defaults (mode 0600).
func applyOptions(opts []Option) (options, error) {
	o := options{mode: 0o600}
	for _, opt := range opts {
		if opt == nil {
			return o, invalid("nil Option")
		}
		opt(&o)
	}
	return o, nil
}

// parseOptions checks a set of options and a size before any system call.
func parseOptions(size int, opts []Option) (options, error) {
	o, err := applyOptions(opts)
	if err != nil {
		return o, err
	}
	switch {
	case o.exclusive && o.readOnly:
		return o, invalid("Exclusive and ReadOnly together can never succeed: a new object cannot be read-only")
	case o.exclusive && o.openOnly:
		return o, invalid("Exclusive and OpenOnly together can never succeed")
	case o.exclusive && size == 0:
		return o, invalid("Exclusive needs a size: size 0 only opens an existing object")
	case o.mode&^fs.ModePerm != 0:
		return o, invalid("mode %#o has bits outside the permission bits 0777", uint32(o.mode))
	case size < 0:
		return o, invalid("size %d is negative", size)
	case uint64(size) > maxSize:
		return o, invalid("size %d is larger than this process's address space", size)
	}
	return o, nil
}

// mayCreate reports whether opening with o and size may create the object.
// Size 0 only ever attaches to an existing object.
func (o options) mayCreate(size int) bool { return !o.openOnly && size > 0 }

// SemUndo makes a System V semaphore (OpenSemaphore with a key) use
// SEM_UNDO for this process's Post, Wait and TryWait: when the process
// exits, however it exits, even on SIGKILL, the kernel reverses its net
// change to the count. A process that took a unit and died before posting
// it back thereby gives it back, which is what a semaphore used as a lock
// wants. A process that only posts (a producer) must not use it: its posts
// would be taken back when it exits. Each process chooses for itself. It
// is an error for POSIX semaphores, which have nothing like it.
func SemUndo() Option { return func(o *options) { o.semUndo = true } }
