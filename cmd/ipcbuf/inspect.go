package main

// What ls and stat find out about an object: the model, and how each kind
// is looked at. Nothing here creates or changes an object: files are opened
// read-only to read their first bytes, and only an object that holds a
// ring is opened read-write, without creating, for ipcbuf.OpenRing.

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/ipcbuf/ipcbuf"
)

// The kinds of object ls and stat show, as their JSON "kind".
const (
	kindPOSIX    = "posix"           // a POSIX shared memory object
	kindPOSIXSem = "posix-semaphore" // a named POSIX semaphore (sem_open)
	kindSysV     = "sysv"            // a System V shared memory segment
	kindSysVSem  = "sysv-semaphore"  // a System V semaphore set
	kindFile     = "file"            // a regular file
	kindOther    = "other"           // a path that is not a regular file: never a buffer
)

// kindNames are the kinds in words, for stat.
var kindNames = map[string]string{
	kindPOSIX:    "POSIX shared memory object",
	kindPOSIXSem: "POSIX named semaphore",
	kindSysV:     "System V shared memory segment",
	kindSysVSem:  "System V semaphore set",
	kindFile:     "regular file",
	kindOther:    "not a buffer",
}

// object is one object as ls and stat report it; its JSON is their --json
// output.
type object struct {
	Kind string `json:"kind"`
	// Target is the object as Open (or OpenSemaphore) takes it; "" for a
	// System V object with key 0 (IPC_PRIVATE, or removed while still
	// attached), which no one can open by key.
	Target string `json:"target"`
	Path   string `json:"path,omitempty"` // the file: /dev/shm/NAME for POSIX objects
	ID     *int64 `json:"id,omitempty"`   // System V: shmid or semid
	// Type says what a path that is not a regular file is: "a directory",
	// "a symbolic link to X"...
	Type  string `json:"type,omitempty"`
	Size  *int64 `json:"size,omitempty"`  // bytes; not for a semaphore set
	NSems *int64 `json:"nsems,omitempty"` // System V semaphore set: its semaphores
	// Mode is the permission bits, octal: "0600"; "" where the system
	// has none (Windows, whose objects have security descriptors).
	Mode string `json:"mode"`
	// UID and GID are null, and Owner and Group "", where they are not
	// known (Windows: the security descriptor is not read).
	UID     *int     `json:"uid"`
	Owner   string   `json:"owner"`             // user name, or the uid if it has none
	GID     *int     `json:"gid"`               //
	Group   string   `json:"group"`             // group name, or the gid
	Removed bool     `json:"removed,omitempty"` // System V: marked for removal, still attached
	Locked  bool     `json:"locked,omitempty"`  // System V: SHM_LOCK'ed in memory
	Times   times    `json:"times"`
	Mapped  *mapping `json:"mapped,omitempty"`
	// Value is a semaphore's count (a System V set of one, or a POSIX
	// named semaphore).
	Value *int       `json:"value,omitempty"`
	Ring  *ringState `json:"ring,omitempty"`
	// Notes are what could not be found out, and why.
	Notes []string `json:"notes,omitempty"`
}

// times are an object's times; each is absent where the kind has none or,
// for System V, where it never happened.
type times struct {
	Modified *time.Time `json:"modified,omitempty"` // POSIX, files: mtime
	Created  *time.Time `json:"created,omitempty"`  // files on Windows: creation time
	Changed  *time.Time `json:"changed,omitempty"`  // ctime; System V: created or last IPC_SET
	Accessed *time.Time `json:"accessed,omitempty"` // POSIX, files: atime
	Attached *time.Time `json:"attached,omitempty"` // System V segment: last shmat
	Detached *time.Time `json:"detached,omitempty"` // System V segment: last shmdt
	Operated *time.Time `json:"operated,omitempty"` // System V semaphore set: last semop
}

// mapping is who has an object mapped.
type mapping struct {
	// Attached is a System V segment's attach count (nattch), as the
	// kernel keeps it: the processes counted there may be more than those
	// found in the maps, if some could not be read.
	Attached   *int64 `json:"attached,omitempty"`
	CreatorPID int64  `json:"creator_pid,omitempty"` // System V segment: cpid
	LastPID    int64  `json:"last_pid,omitempty"`    // System V segment: lpid, the last to attach or detach
	// Processes are those whose /proc/PID/maps show the object.
	Processes []process `json:"processes"`
	// Unknown are the processes whose maps could not be read (another
	// user's, without privilege): whether they map the object is not
	// known. Empty for a System V segment whose every attachment is found.
	Unknown []int `json:"unknown"`
	// Error says why no process could be looked at (no /proc; on
	// Windows, which keeps no list of who maps what, always).
	Error string `json:"error,omitempty"`
}

// process is a process that maps an object.
type process struct {
	PID     int    `json:"pid"`
	Command string `json:"command"`
}

// ringState is the state of an ipcbuf ring in an object, from Ring.Stat.
type ringState struct {
	Capacity         int64  `json:"capacity"`
	Used             int64  `json:"used"`
	Messages         int    `json:"messages"`
	Writing          int    `json:"writing"`
	DeadWriting      int    `json:"dead_writing"`
	ProducersWaiting int    `json:"producers_waiting"`
	ConsumersWaiting int    `json:"consumers_waiting"`
	SingleProducer   bool   `json:"single_producer"`
	SingleConsumer   bool   `json:"single_consumer"`
	Skipped          uint64 `json:"skipped"`
	Lost             uint64 `json:"lost"`
	// Error is set, and the rest zero, when the object starts like a ring
	// but could not be opened as one: it says why.
	Error string `json:"error,omitempty"`
}

// inspector looks at objects, with one scan of the processes' maps and the
// System V lists for all of them.
type inspector struct {
	maps   *procMaps
	shm    []sysvEntry
	shmErr error
	sem    []sysvEntry
	semErr error
	names  map[string]string // user and group names, cached
	peek   bool              // read objects' first bytes for rings and semaphore values
	// attach lets peek attach System V segments, which changes their
	// attach count for a moment and their last pid and times for good.
	attach bool
}

// all returns every POSIX object (on Windows: named section) and named
// semaphore, System V segment and semaphore set on the system, and the
// files given, in that order.
func (in *inspector) all(files []string) (objs []*object, errs []error) {
	objs, errs = in.shared()
	if in.shmErr != nil && !errors.Is(in.shmErr, fs.ErrNotExist) && !errors.Is(in.shmErr, errors.ErrUnsupported) {
		errs = append(errs, fmt.Errorf("list System V segments: %w", in.shmErr))
	}
	for _, e := range in.shm {
		objs = append(objs, in.sysvShm(e))
	}
	if in.semErr != nil && !errors.Is(in.semErr, fs.ErrNotExist) && !errors.Is(in.semErr, errors.ErrUnsupported) {
		errs = append(errs, fmt.Errorf("list System V semaphore sets: %w", in.semErr))
	}
	for _, e := range in.sem {
		objs = append(objs, in.sysvSem(e))
	}
	for _, f := range files {
		o, err := in.file(f)
		if err != nil {
			errs = append(errs, &fs.PathError{Op: "ls", Path: f, Err: unwrapPath(err)})
			continue
		}
		objs = append(objs, o)
	}
	return objs, errs
}

// target returns the object TARGET names: a POSIX object, a file or a
// System V segment; with sem, the semaphore it names instead. A missing
// object is an error matching fs.ErrNotExist that names the target.
func (in *inspector) target(target string, sem bool) (*object, error) {
	kind, name, key, err := ipcbuf.ParseTarget(target)
	if err != nil {
		return nil, err
	}
	switch kind {
	case ipcbuf.KindPOSIX:
		if sem {
			name = "sem." + name
		}
		o, err := in.posix(name)
		if err != nil {
			return nil, &fs.PathError{Op: "stat", Path: target, Err: unwrapPath(err)}
		}
		return o, nil
	case ipcbuf.KindSysV:
		list, err := in.shm, in.shmErr
		if sem {
			list, err = in.sem, in.semErr
		}
		if err != nil {
			return nil, &fs.PathError{Op: "stat", Path: target, Err: err}
		}
		for _, e := range list {
			if e.key() == uint32(key) {
				if sem {
					return in.sysvSem(e), nil
				}
				return in.sysvShm(e), nil
			}
		}
		return nil, &fs.PathError{Op: "stat", Path: target, Err: syscall.ENOENT}
	}
	if sem {
		return nil, &fs.PathError{Op: "stat", Path: target, Err: errors.New("--sem wants '*name' or a System V key: a semaphore is never a file path")}
	}
	return in.file(name)
}

// unwrapPath returns the error inside a *fs.PathError, so that the caller
// can name the target its own way.
func unwrapPath(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}

// file returns the file at path, without following a symbolic link there.
func (in *inspector) file(path string) (*object, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	o := in.fromFileInfo(kindFile, path, path, fi)
	if o.Kind == kindFile && in.peek {
		in.ringOf(o, path)
	}
	return o, nil
}

// fromFileInfo fills an object from a file's stat. A file that is not
// regular becomes kindOther, with its type said.
func (in *inspector) fromFileInfo(kind, target, path string, fi fs.FileInfo) *object {
	size := fi.Size()
	mtime := fi.ModTime()
	o := &object{Kind: kind, Target: target, Path: path, Size: &size, Mode: fileMode(fi)}
	o.Times.Modified = &mtime
	if !fi.Mode().IsRegular() {
		o.Kind, o.Type, o.Size = kindOther, describeType(path, fi.Mode()), nil
	}
	id, ok := idOf(fi)
	if !ok {
		withoutID(o, fi)
		return o
	}
	o.UID, o.GID = &id.uid, &id.gid
	o.Owner, o.Group = in.userName(id.uid), in.groupName(id.gid)
	o.Times.Changed, o.Times.Accessed = &id.ctime, &id.atime
	if o.Kind != kindOther {
		o.Mapped = in.fileMapping(id, path)
	}
	return o
}

// specialBits returns the setuid, setgid and sticky bits of m as st_mode
// has them.
func specialBits(m fs.FileMode) uint32 {
	var bits uint32
	if m&fs.ModeSetuid != 0 {
		bits |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		bits |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		bits |= 0o1000
	}
	return bits
}

// describeType says what a file that is not regular is, for people.
func describeType(path string, m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		if dest, err := os.Readlink(path); err == nil {
			return "a symbolic link to " + dest
		}
		return "a symbolic link"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO (named pipe)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	}
	return "not a regular file"
}

// fileMapping returns who maps the file with id at path.
func (in *inspector) fileMapping(id fileID, path string) *mapping {
	m := &mapping{Processes: []process{}, Unknown: slices.Clone(in.maps.unknown)}
	if m.Unknown == nil {
		m.Unknown = []int{}
	}
	if in.maps.err != nil {
		m.Error = in.maps.err.Error()
		return m
	}
	for _, pid := range in.maps.mappers(id, path) {
		m.Processes = append(m.Processes, process{pid, procCommand(pid)})
	}
	return m
}

// sysvShm returns the System V segment of a /proc/sysvipc/shm line.
func (in *inspector) sysvShm(e sysvEntry) *object {
	id, size, nattch := e.int("shmid"), e.int("size"), e.int("nattch")
	mode := e.mode()
	o := &object{Kind: kindSysV, ID: &id, Size: &size, Mode: fmt.Sprintf("%04o", mode&0o777),
		Removed: mode&shmDest != 0, Locked: mode&shmLocked != 0}
	if key := e.key(); key != 0 {
		o.Target = sysvTarget(key)
	}
	in.owner(o, e)
	o.Times.Attached, o.Times.Detached, o.Times.Changed = e.time("atime"), e.time("dtime"), e.time("ctime")
	m := &mapping{Attached: &nattch, CreatorPID: e.int("cpid"), LastPID: e.int("lpid"), Processes: []process{}, Unknown: []int{}}
	if in.maps.err != nil {
		m.Error = in.maps.err.Error()
	}
	for _, pid := range in.maps.sysv[uint64(id)] {
		m.Processes = append(m.Processes, process{pid, procCommand(pid)})
	}
	if int64(len(m.Processes)) < nattch {
		// Some attachments are in processes not looked at.
		m.Unknown = append(m.Unknown, in.maps.unknown...)
	}
	o.Mapped = m
	if in.peek && in.attach && o.Target != "" {
		in.ringOf(o, "")
	}
	return o
}

// sysvSem returns the System V semaphore set of a /proc/sysvipc/sem line.
func (in *inspector) sysvSem(e sysvEntry) *object {
	id, nsems := e.int("semid"), e.int("nsems")
	o := &object{Kind: kindSysVSem, ID: &id, NSems: &nsems, Mode: fmt.Sprintf("%04o", e.mode()&0o777)}
	if key := e.key(); key != 0 {
		o.Target = sysvTarget(key)
	}
	in.owner(o, e)
	o.Times.Operated, o.Times.Changed = e.time("otime"), e.time("ctime")
	// OpenSemaphore opens sets of one, and waits for a set's creator to
	// initialise it (otime 0): ask only where it answers at once.
	if in.peek && o.Target != "" && nsems == 1 && o.Times.Operated != nil {
		o.Value = in.semValue(o, o.Target)
	}
	return o
}

// owner fills in a System V object's owner from its line.
func (in *inspector) owner(o *object, e sysvEntry) {
	uid, gid := int(e.int("uid")), int(e.int("gid"))
	o.UID, o.GID = &uid, &gid
	o.Owner, o.Group = in.userName(uid), in.groupName(gid)
}

// semValue returns the count of the semaphore target, or nil with a note.
func (in *inspector) semValue(o *object, target string) *int {
	s, err := ipcbuf.OpenSemaphore(target, 0, ipcbuf.OpenOnly())
	if err != nil {
		o.Notes = append(o.Notes, "value: "+message(err))
		return nil
	}
	defer s.Close()
	v, err := s.Value()
	if err != nil {
		o.Notes = append(o.Notes, "value: "+message(err))
		return nil
	}
	return &v
}

// ringMagic is how every ipcbuf ring starts (RING.md). A mutex has no such
// mark, so ls never says that bytes are a mutex.
const ringMagic = "IPCBRING"

// ringOf looks at the start of o for a ring and, if there is one, reports
// its state. path is the file to read the first bytes from; "" for a
// System V segment, which is attached read-only to read them.
func (in *inspector) ringOf(o *object, path string) {
	if o.Size == nil || *o.Size < int64(ipcbuf.RingSize(64)) {
		return // too small for any ring: not opened at all
	}
	head, err := firstBytes(o.Target, path, len(ringMagic))
	if err != nil {
		o.Notes = append(o.Notes, "contents: "+message(err))
		return
	}
	if string(head) != ringMagic {
		return
	}
	o.Ring = inspectRing(o.Target)
}

// firstBytes returns the first n bytes of the object target, reading them
// from path if it is a file (opened read-only and without blocking, and
// only if it is still a regular file) or else attaching it read-only.
func firstBytes(target, path string, n int) ([]byte, error) {
	p := make([]byte, n)
	if path == "" {
		b, err := ipcbuf.Open(target, 0, ipcbuf.ReadOnly())
		if err != nil {
			return nil, err
		}
		defer b.Close()
		if _, err := b.ReadAt(p, 0); err != nil {
			return nil, err
		}
		return p, nil
	}
	f, err := os.OpenFile(path, peekFlags|noAtime, 0)
	if errors.Is(err, fs.ErrPermission) && noAtime != 0 {
		f, err = os.OpenFile(path, peekFlags, 0) // not the owner: O_NOATIME is refused
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is no longer a regular file", path)
	}
	if _, err := f.ReadAt(p, 0); err != nil {
		return nil, err
	}
	return p, nil
}

// inspectRing opens the ring in target and returns its state. OpenRing needs
// a writable buffer, so the object is opened read-write, but without
// creating it, growing it or writing to it: OpenRing and Stat only read.
func inspectRing(target string) *ringState {
	opts := []ipcbuf.Option{ipcbuf.OpenOnly()}
	if kind, _, _, _ := ipcbuf.ParseTarget(target); kind == ipcbuf.KindFile {
		opts = append(opts, ipcbuf.NoFollow())
	}
	b, err := ipcbuf.Open(target, 0, opts...)
	if err != nil {
		return &ringState{Error: message(err)}
	}
	defer b.Close()
	r, err := ipcbuf.OpenRing(b)
	if err != nil {
		return &ringState{Error: message(err)}
	}
	defer r.Close()
	s, err := r.Stat()
	if err != nil {
		return &ringState{Error: message(err)}
	}
	return &ringState{Capacity: s.Capacity, Used: s.Used, Messages: s.Messages, Writing: s.Writing,
		DeadWriting: s.DeadWriting, ProducersWaiting: s.ProducersWaiting, ConsumersWaiting: s.ConsumersWaiting,
		SingleProducer: s.SingleProducer, SingleConsumer: s.SingleConsumer, Skipped: s.Skipped, Lost: s.Lost}
}

// userName returns the name of user uid, or the uid if it has none.
func (in *inspector) userName(uid int) string {
	k := "u" + strconv.Itoa(uid)
	if n, ok := in.names[k]; ok {
		return n
	}
	n := strconv.Itoa(uid)
	if u, err := user.LookupId(n); err == nil {
		n = u.Username
	}
	in.names[k] = n
	return n
}

// groupName returns the name of group gid, or the gid if it has none.
func (in *inspector) groupName(gid int) string {
	k := "g" + strconv.Itoa(gid)
	if n, ok := in.names[k]; ok {
		return n
	}
	n := strconv.Itoa(gid)
	if g, err := user.LookupGroupId(n); err == nil {
		n = g.Name
	}
	in.names[k] = n
	return n
}

// fileID is what ls and stat need of a file's stat beyond fs.FileInfo: its
// device and inode (to find it in /proc/PID/maps), its owner and its other
// times. Only Linux gives it (idOf, in inspect_linux.go); elsewhere idOf
// says there is none.
type fileID struct {
	dev, ino uint64
	uid, gid int
	atime    time.Time
	ctime    time.Time
}
