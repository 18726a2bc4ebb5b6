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
	populate  bool // Populate
	hugePages bool // HugePages
	semUndo   bool // SemUndo: System V semaphores only
	global    bool // Global: Windows sections only
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

// Populate makes opening pay for the buffer's page faults at once, instead
// of one fault on the first touch of each page: it asks the kernel to fault
// every page in, for writing (MADV_POPULATE_WRITE), or for reading with
// ReadOnly (MADV_POPULATE_READ). A new file gets its blocks, a POSIX object
// or System V segment its memory, and this process's page tables their
// entries, so that a program that must not stall on its first writes (a
// latency-sensitive producer, or a writer of records at random offsets into
// a new file) pays once, up front, in one system call. It costs the memory
// of the whole buffer at once (a sparse object stops being sparse), and the
// time to fault it all in: use it for buffers that will be touched all over
// soon. Where the kernel is older than Linux 5.14 opening fails with an
// error matching errors.ErrUnsupported; where memory or space runs out, with
// the kernel's error; in both cases an object the open created is removed
// and an existing one is left as it was.
func Populate() Option { return func(o *options) { o.populate = true } }

// HugePages asks for the buffer's memory in huge pages (2 MiB on x86-64)
// instead of 4 KiB ones: fewer TLB misses for random access over a large
// buffer, and fewer, larger page faults. For a POSIX object it advises
// transparent huge pages (MADV_HUGEPAGE), which the tmpfs at /dev/shm must
// allow: mounted with huge=advise, huge=always or huge=within_size, or
// the kernel's /sys/kernel/mm/transparent_hugepage/shmem_enabled set to
// force. tmpfs gives huge pages only to the page faults of an advised
// mapping, so the open then faults every page in, as Populate does, in
// place of the fallocate that would otherwise claim the object's memory
// in small pages; processes that open the object later share those pages. A System V segment that opening creates is made with SHM_HUGETLB,
// from the pool of huge pages the administrator reserved (vm.nr_hugepages),
// and its size is rounded up to whole huge pages in memory (Len stays the
// size asked for); an existing segment keeps the pages it was made with.
// A file's pages are its file system's: for huge pages put the file on a
// hugetlbfs mount, where they need no option. Where the system refuses —
// a tmpfs without huge pages, no free huge page in the pool, a file — opening
// fails with an error that says so and creates nothing. Memory buffers
// (Alloc) are the Go heap's, which uses transparent huge pages as the
// system allows.
func HugePages() Option { return func(o *options) { o.hugePages = true } }

// Global makes a "*name" target on Windows the section Global\name,
// which every session of the machine sees, instead of Local\name, which
// only the processes of this session see. Creating a Global\ section
// needs the SeCreateGlobalPrivilege (services and administrators have
// it); opening one does not. Elsewhere it changes nothing: POSIX shared
// memory has one namespace.
func Global() Option { return func(o *options) { o.global = true } }

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
	case o.semUndo:
		return o, invalid("SemUndo is for System V semaphores (OpenSemaphore), not buffers")
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
