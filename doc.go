// Package ipcbuf gives Go programs byte buffers with the behaviour of
// Node.js's Buffer whose bytes can live outside the process, so that two
// processes share them with no copy and no system call per access.
//
// A Buffer's memory is one of four kinds:
//
//   - KindMemory: this process's memory (Alloc).
//   - KindPOSIX: a POSIX shared memory object, memory only (OpenShm).
//   - KindFile: a file mapped into memory: its bytes are there at open and
//     writes reach the file (OpenFile).
//   - KindSysV: a System V shared memory segment named by a numeric key
//     (OpenSysV).
//
// Open takes the original node-ipcbuffer's one-line target instead: "*name"
// is POSIX shared memory, a number ("4660" or "0x1234") is a System V key, and
// any other string is a file path. A number is decimal unless it starts
// with 0x: "010" is key 10, never octal.
//
// # Sizes
//
// Opening never shrinks or overwrites existing data. A size larger than the
// existing object grows it (System V segments cannot grow: that is an
// error); a smaller one maps only that many bytes; size 0 attaches to an
// existing object at its current size and fails with an error matching
// fs.ErrNotExist when there is none (and with one matching fs.ErrInvalid
// when it is empty: there is nothing to map). A new POSIX object or file
// is made whole, mode and size, before its name appears, so another
// process opening the name finds either the whole object or none. New
// POSIX and file space is reserved when it is created (posix_fallocate),
// so a full file system fails at open with ENOSPC instead of killing the
// process with SIGBUS later. An open that fails leaves an existing object
// with the size and storage it had.
//
// Only regular files and shared memory objects are buffers: a FIFO, socket,
// device or directory under the name is an error matching fs.ErrInvalid,
// and opening never waits on one.
//
// # Lifetime
//
// Close syncs and unmaps a buffer; a buffer that becomes unreachable without
// Close is synced and unmapped by a runtime cleanup. Neither removes the named
// object: POSIX objects and System V segments stay until Remove (or a
// reboot), files stay on disk. Buffers made by Slice share their parent's
// memory and keep it mapped while they are reachable; closing any of them
// closes the memory for all.
//
// # Concurrency
//
// A Buffer's methods may be called from many goroutines at once, Close
// included; a method that races with Close either completes or returns an
// error matching fs.ErrClosed. Methods take no lock: Close does not wait
// for them, so one that completes may do so after Close has returned. Concurrent writes to the same bytes are, as
// with any shared memory, not ordered by ipcbuf: use your own
// synchronisation.
//
// # Coordinating processes
//
// Beside its bytes, a buffer gives processes ways to take turns and wake
// each other: atomics on aligned 32- and 64-bit words (LoadUint32,
// AddUint64, CompareAndSwapUint32, ...); Wait and Wake on a 32-bit word, a
// futex shared between processes; a robust Mutex in 16 bytes of a buffer,
// whose next owner learns with ErrOwnerDead that the last one died holding
// it; and counting semaphores, in a buffer (NewSemaphore) or named
// (OpenSemaphore: "*name" is a POSIX named semaphore, a key a System V
// set). Each documents what the others see when a process dies.
//
// # Messages
//
// A Ring (CreateRing, OpenRing) is a queue of messages in a buffer, for
// any number of producers and consumers in any processes, which sleeps on
// a futex word when there is nothing to do and survives a crash on either
// side. Its layout and protocol are in RING.md at the root of the
// repository, for programs in other languages.
//
// # Nil and zero buffers
//
// A *Buffer that is nil, or points to the zero Buffer, is not a buffer:
// buffers come from Alloc, AllocFill, From, FromBytes, Concat, the Open
// functions and Slice. ipcbuf treats nil and the zero Buffer alike, and
// neither ever makes it panic. One rule says what they give:
//
//   - As the receiver of a method with an error result: an *fs.PathError
//     matching fs.ErrInvalid, before any argument is looked at, as a closed
//     buffer gives fs.ErrClosed. Two exceptions follow encoding/json: ToJSON
//     and MarshalJSON of a nil *Buffer give null, and UnmarshalJSON fills a
//     zero Buffer (that is how encoding/json makes one) and refuses only
//     nil. Methods without an error result give their zero values: Len 0,
//     Kind KindMemory, Name "", ReadOnly false, Bytes nil; Slice and
//     Subarray a new zero Buffer; String "<nil>" or "<Buffer zero value>".
//   - As an argument, wherever a *Buffer is passed (the target of Copy,
//     Equals, Compare and CompareRange; the value of Fill, AllocFill,
//     IndexOf, LastIndexOf and Includes; both buffers of the function
//     Compare, an element of Concat's list, View's buffer): an *Error with
//     Code "ERR_INVALID_ARG_TYPE", as Node throws for an argument that is
//     not a Buffer. A method reports its receiver first (unusable, closed,
//     read-only) and then its arguments; a function checks its arguments
//     before it uses any buffer.
//
// # Build tags
//
// The tags ipcbuf_noposix and ipcbuf_nosysv leave the POSIX and System V
// backends out of a build (for systems that lack them); without cgo only
// memory buffers exist. The missing kinds fail with an error matching
// errors.ErrUnsupported that names the reason.
//
// # Node.js Buffer
//
// A Buffer has the methods of Node 20's Buffer under their Node names in Go
// casing (Node's readUInt8 is ReadUint8, its alias readUint8 too), with the
// same bytes, strings, results and errors: where Node throws, the Go method
// returns an *Error whose Code is Node's err.code, and the buffer is left
// unchanged. A differential test checks this against the real Node on every
// kind of buffer. The kind of a buffer makes no difference to its methods.
//
// Strings: Node's strings are UTF-16, a Go string is bytes. The rule that
// maps one to the other is given at Encoding; in short, a Go string is read
// as UTF-8, a lone surrogate is written as its three-byte WTF-8 form (which
// is what utf16le decoding produces, so round trips are exact), and other
// invalid UTF-8 counts as U+FFFD.
//
// Where Go cannot say what Node says, ipcbuf takes the Go idiom:
//
//   - No undefined and no optional arguments: every argument is given, and
//     the method documents the values that mean Node's defaults. An encoding
//     of "" means utf8 everywhere, also where Node throws
//     ERR_UNKNOWN_ENCODING for it: in ToString, and in IndexOf, LastIndexOf
//     and Includes with a string value.
//     buf.toString() is b.ToString("", 0, b.Len()); buf.write(s) is
//     b.Write(s, 0, ""), and the four-argument write is WriteLength;
//     buf.fill(v) is b.Fill(v, 0, b.Len(), ""); buf.copy(t) is
//     b.Copy(t, 0, 0, b.Len()); buf.indexOf(v) is b.IndexOf(v, 0, "") and
//     buf.lastIndexOf(v) is b.LastIndexOf(v, b.Len(), ""); buf.compare(t)
//     is Compare and the ranged form CompareRange; Buffer.concat(list) is
//     Concat and Buffer.concat(list, n) is ConcatLength; buf.subarray and
//     buf.slice are Slice (and Subarray).
//   - Typed arguments: offsets and lengths are ints, so Node's
//     ERR_INVALID_ARG_TYPE for a non-number and "It must be an integer"
//     cannot happen. Integer writers take an int64, so Node's range checks
//     (WriteUint8(256, 0) is ERR_OUT_OF_RANGE) still apply; the BigInt
//     writers take int64 and uint64, whose ranges are exactly Node's, so
//     they never fail on the value. ReadFloatLE/BE return a float32, which
//     widens to exactly Node's Number. Error messages print the exact Go
//     value where Node prints the double it received.
//   - Values of several types: Fill, AllocFill, IndexOf, LastIndexOf and
//     Includes take a string, a []byte, a *Buffer, any Go integer type, a
//     float32 or a float64 (Node's number, with Node's conversion to a
//     byte; every float32 is exactly a JS number). Anything else, bool
//     included, is ERR_INVALID_ARG_TYPE. nil stands for undefined: Fill and
//     AllocFill fill zeros with it, as Node's buf.fill(undefined) does, and
//     the searches refuse it, as Node's do. An integer value is taken mod
//     256 exactly, even beyond 2^53 where Node would first round it to a
//     double, in Fill, AllocFill and the searches alike.
//   - Closed and read-only buffers have no Node counterpart: every method
//     reports fs.ErrClosed or ErrReadOnly before it looks at its arguments.
//   - Two Node bugs are not copied: with a []byte or *Buffer needle and
//     utf16le, on a buffer of odd length, Node's indexOf returns Len()-1 for
//     no match (IndexOf returns -1), and Node's search results wrap negative
//     past 2^31 (ipcbuf returns the offset).
//   - Buffer.concat with a nil element is always ERR_INVALID_ARG_TYPE (Node
//     gives that code only when a length is passed). String, the inspect
//     form "<Buffer 68 69>", always shows at most 50 bytes.
//   - Not ported: the TypedArray methods a Buffer inherits (at, map, sort,
//     …), for which Go has Bytes and View; allocUnsafe (Alloc always zeroes);
//     Buffer.from(arrayBuffer), whose sharing Slice gives; transcode,
//     isUtf8, atob and btoa.
package ipcbuf
