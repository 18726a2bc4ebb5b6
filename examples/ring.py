#!/usr/bin/env python3
"""ring.py: send to and receive from an ipcbuf ring in plain Python 3.

A reader and a writer of the ring that RING.md (at the repository root)
describes, version 1, with nothing but the standard library: mmap for the
shared memory, memoryview.cast('Q') and cast('I') for single aligned 8- and
4-byte loads and stores, and ctypes only for the futex wake system call.
Python has no compare-and-swap, so, as RING.md says, it takes only the
*single producer* and *single consumer* roles: `send` needs a ring created
with the single-producer flag (in Go: ipcbuf.CreateRing(b,
ipcbuf.SingleProducer())), `recv` one with the single-consumer flag. It
polls instead of sleeping on the futex, and, unable to order a store before
a later load, it wakes the other side after every message whether or not
anyone waits. It relies on x86-64's ordering of aligned stores (RING.md,
"Memory order"); it refuses to run on other machines.

Usage:
  ring.py send RING [OPTIONS] MSG...
  ring.py send RING [OPTIONS] -        (one message a line on stdin)
  ring.py recv RING COUNT [OPTIONS]    (one message a line on stdout)
  ring.py stat RING [--offset N]

OPTIONS: --hex, --timeout SECONDS, --offset N, --verbose.

RING is a file path, or *name for the POSIX shared memory object name
(/dev/shm/name). --hex gives and prints messages in hexadecimal, so that a
message may hold any byte (and be empty); otherwise a message is its UTF-8
text and recv prints each as text. --offset is where the ring starts in the
file (a multiple of 8; default 0). --timeout bounds each wait for space or
for a message (default: wait for ever); on timeout the command exits 3.
--verbose says at the end, on stderr, how many messages went and how
many times the ring was full (send) or empty (recv) when looked at.
The exit status is 0 on success, 1 on an error, 2 on bad usage; an error
says what was wrong on stderr, and a file that is not a ring is refused
before anything is written to it.
"""

import ctypes
import mmap
import os
import platform
import struct
import sys
import time

MAGIC = b"IPCBRING"
VERSION = 1
HEADER_SIZE = 1024
FLAG_SINGLE_PRODUCER = 1
FLAG_SINGLE_CONSUMER = 2

# Header offsets (RING.md, "Header").
OFF_MAGIC, OFF_VERSION, OFF_FLAGS, OFF_CAPACITY, OFF_HEADER_SIZE = 0, 8, 12, 16, 24
OFF_TAIL, OFF_PRODUCER_LOCK = 128, 136
OFF_HEAD, OFF_CONSUMER_LOCK = 256, 264
OFF_FREE, OFF_LOST, OFF_SKIPPED = 384, 392, 400
OFF_DATA_SEQ, OFF_CONSUMERS_WAITING = 512, 516
OFF_SPACE_SEQ, OFF_PRODUCERS_WAITING = 640, 644

# Record states (RING.md, "Records").
WRITING, COMMITTED, CLAIMED, RELEASED, PADDING, SKIPPED = 1, 2, 3, 4, 5, 6
RECORD_HEADER = 24

FUTEX_WAKE = 1  # shared: no FUTEX_PRIVATE_FLAG
SYS_FUTEX = {"x86_64": 202}
POLL = 0.0002  # seconds between looks while waiting, doubling up to POLL_MAX
POLL_MAX = 0.005


class RingError(Exception):
    """A ring that cannot be used: not a ring, corrupt, or busy."""


class Timeout(Exception):
    """A wait for space or for a message took longer than asked."""


def record_size(length):
    """The bytes a record of a message of length bytes takes."""
    return (RECORD_HEADER + length + 7) & ~7


def start_ticks(pid):
    """Field 22 of /proc/pid/stat (the start time, in clock ticks) and the
    state letter, or None if there is no such process."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            stat = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name (field 2) is in parentheses and may hold anything,
    # spaces and parentheses included: the fields after it start after the
    # last ')'. Field 3 (the state) is then the first.
    rest = stat[stat.rindex(b")") + 2:].split()
    return int(rest[22 - 3]), rest[0]


def own_owner():
    """This process's owner word: pid low, ticket (start time's low 32
    bits) high."""
    pid = os.getpid()
    ticks, _ = start_ticks(pid)
    return pid | (ticks & 0xFFFFFFFF) << 32


def is_dead(pid, ticket):
    """RING.md, "Owners": kill(pid, 0) fails with ESRCH, or the process is
    a zombie, or its start time does not match a nonzero ticket."""
    if pid == 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # alive, someone else's
    st = start_ticks(pid)
    if st is None:
        return True
    ticks, state = st
    if state == b"Z":
        return True
    return ticket != 0 and ticks & 0xFFFFFFFF != ticket


class Ring:
    """One ring in a mapped file, in one role: "producer" or "consumer"."""

    def __init__(self, path, role, offset=0):
        if platform.machine() not in SYS_FUTEX:
            raise RingError("%s: this program relies on x86-64's ordering of plain stores (RING.md, \"Memory order\"); this machine is %s"
                            % (path, platform.machine()))
        if offset < 0 or offset % 8:
            raise RingError("%s: offset %d is not a non-negative multiple of 8" % (path, offset))
        self.path, self.role = path, role
        self.waits = 0  # times send found the ring full, or recv empty
        fd = os.open(path, os.O_RDWR)
        try:
            size = os.fstat(fd).st_size
            if size < offset + HEADER_SIZE:
                raise RingError("%s: not a ring: %d bytes from offset %d, less than the %d-byte header"
                                % (path, size - offset, offset, HEADER_SIZE))
            self.mm = mmap.mmap(fd, size)
        finally:
            os.close(fd)
        self.base = offset
        whole = memoryview(self.mm)
        # The views of aligned words: mmap gives page-aligned memory, and
        # offset and the ring's fields are multiples of 8, so each item is
        # one aligned load or store.
        end8 = offset + (size - offset) // 8 * 8
        self.q = whole[offset:end8].cast("Q")
        self.i = whole[offset:end8].cast("I")
        whole.release()  # q and i hold the mapping on their own
        self.size = size - offset
        self._ptr = None
        try:
            self._validate()
            self._take_role()
        except BaseException:
            self._unmap()
            raise

    # Single aligned loads and stores of header fields and state words.
    def load64(self, off):
        return self.q[off >> 3]

    def store64(self, off, v):
        self.q[off >> 3] = v

    def load32(self, off):
        return self.i[off >> 2]

    def store32(self, off, v):
        self.i[off >> 2] = v & 0xFFFFFFFF

    def _validate(self):
        """Everything RING.md says a reader checks before it trusts a
        ring; anything else is refused with what was wrong."""
        mm, b, p = self.mm, self.base, self.path
        magic = bytes(mm[b:b + 8])
        if magic != MAGIC:
            raise RingError("%s: not a ring: magic %r, want %r" % (p, magic, MAGIC))
        version = self.load32(OFF_VERSION)
        if version != VERSION:
            raise RingError("%s: ring version %d; this program reads version %d" % (p, version, VERSION))
        self.flags = self.load32(OFF_FLAGS)
        if self.flags & ~(FLAG_SINGLE_PRODUCER | FLAG_SINGLE_CONSUMER):
            raise RingError("%s: corrupt ring: unknown flags %#x" % (p, self.flags))
        c = self.load64(OFF_CAPACITY)
        if c < 64 or c > 1 << 40 or c & (c - 1):
            raise RingError("%s: corrupt ring: capacity %d is not a power of two from 64 to 2^40" % (p, c))
        hs = self.load32(OFF_HEADER_SIZE)
        if hs != HEADER_SIZE:
            raise RingError("%s: corrupt ring: header size %d, want %d" % (p, hs, HEADER_SIZE))
        if self.size < HEADER_SIZE + c:
            raise RingError("%s: corrupt ring: capacity %d needs %d bytes, the buffer has %d"
                            % (p, c, HEADER_SIZE + c, self.size))
        self.cap = c
        free, head, tail = self.load64(OFF_FREE), self.load64(OFF_HEAD), self.load64(OFF_TAIL)
        if free % 8 or head % 8 or tail % 8 or not free <= head <= tail <= free + c:
            raise RingError("%s: corrupt ring: positions free %d, head %d, tail %d are not in order and 8-aligned (capacity %d)"
                            % (p, free, head, tail, c))

    def _take_role(self):
        """Takes the producer or consumer lock for as long as this Ring
        lives (RING.md, "Locks": the lock is 0 or held by a dead process;
        then store our owner word)."""
        if self.role == "producer":
            flag, lock, what = FLAG_SINGLE_PRODUCER, OFF_PRODUCER_LOCK, "single-producer"
        else:
            flag, lock, what = FLAG_SINGLE_CONSUMER, OFF_CONSUMER_LOCK, "single-consumer"
        if not self.flags & flag:
            raise RingError("%s: the ring is not %s: taking turns with other %ss needs compare-and-swap, which plain Python lacks"
                            % (self.path, what, self.role))
        held = self.load64(lock)
        if held and not is_dead(held & 0xFFFFFFFF, held >> 32):
            raise RingError("%s: busy: the %s role is held by process %d" % (self.path, self.role, held & 0xFFFFFFFF))
        self.owner = own_owner()
        self.lock = lock
        self.store64(lock, self.owner)
        if self.load64(lock) != self.owner:
            raise RingError("%s: busy: another process took the %s role at the same time" % (self.path, self.role))

    def close(self):
        """Gives the role back and unmaps the ring."""
        if self.mm is not None and self.load64(self.lock) == self.owner:
            self.store64(self.lock, 0)
        self._unmap()

    def _unmap(self):
        self.q.release()
        self.i.release()
        self.mm.close()
        self.mm = None

    def _wake(self, seq_off, n):
        """Adds 1 to the sequence at seq_off and wakes up to n sleepers on
        it. We are its only writer (a single role), so a plain add is
        enough; the system call orders our earlier stores before any load
        that follows it (RING.md, "Waiting")."""
        self.store32(seq_off, self.load32(seq_off) + 1)
        if self._ptr is None:
            libc = ctypes.CDLL(None, use_errno=True)
            self._syscall = libc.syscall
            self._syscall.restype = ctypes.c_long
            # The address of the mapping, for the kernel: from_buffer
            # exports the mmap only while the ctypes object lives.
            anchor = ctypes.c_char.from_buffer(self.mm)
            self._ptr = ctypes.addressof(anchor)
            del anchor
        r = self._syscall(ctypes.c_long(SYS_FUTEX[platform.machine()]), ctypes.c_void_p(self._ptr + self.base + seq_off),
                          ctypes.c_int(FUTEX_WAKE), ctypes.c_int(n), None, None, ctypes.c_int(0))
        if r < 0:
            e = ctypes.get_errno()
            raise OSError(e, "futex wake: " + os.strerror(e))

    def _at(self, pos):
        """The offset in the ring of position pos."""
        return HEADER_SIZE + pos % self.cap

    def _state(self, pos):
        """The state of the record at pos; a state word naming another
        position means a corrupt ring."""
        w = self.load64(self._at(pos))
        if w & ~7 != pos:
            raise RingError("%s: corrupt ring: the record at position %d has state word %#x" % (self.path, pos, w))
        return w & 7

    # Sending (RING.md, "Sending"), the producer lock held for good.
    def send(self, msg, timeout=None):
        n = len(msg)
        if n > self.cap - RECORD_HEADER:
            raise RingError("%s: a %d-byte message is larger than the ring's largest, %d bytes"
                            % (self.path, n, self.cap - RECORD_HEADER))
        s, c = record_size(n), self.cap
        deadline = None if timeout is None else time.monotonic() + timeout
        pause = POLL
        while True:
            t, f = self.load64(OFF_TAIL), self.load64(OFF_FREE)
            padded = False
            if t % c + s > c:
                pad = c - t % c
                if t + pad - f <= c:
                    self.store64(self._at(t), t | PADDING)
                    t += pad
                    padded = True
            if t + s - f <= c and t % c + s <= c:
                break
            # Full: publish the padding, if any, and wait for space. A
            # consumer asleep on the empty ring must pass the padding to
            # give its room back: wake it, as after a message.
            if padded:
                self.store64(OFF_TAIL, t)
                self._wake(OFF_DATA_SEQ, 1)
            if pause == POLL:
                self.waits += 1
            if deadline is not None and time.monotonic() >= deadline:
                raise Timeout("%s: no space for a %d-byte message in %g s" % (self.path, n, timeout))
            time.sleep(pause)
            pause = min(pause * 2, POLL_MAX)
        at = self._at(t)
        self.store32(at + 8, n)
        self.store32(at + 12, self.owner & 0xFFFFFFFF)
        self.store32(at + 16, self.owner >> 32)
        self.store32(at + 20, 0)
        self.store64(at, t | WRITING)
        self.store64(OFF_TAIL, t + s)
        self.mm[self.base + at + RECORD_HEADER:self.base + at + RECORD_HEADER + n] = msg
        # A plain store, not a compare-and-swap: a consumer moves a
        # writing record to skipped only when its producer is dead.
        self.store64(at, t | COMMITTED)
        self._wake(OFF_DATA_SEQ, 1)

    # Receiving (RING.md, "Receiving"), the consumer lock held for good.
    def recv(self, timeout=None):
        c = self.cap
        deadline = None if timeout is None else time.monotonic() + timeout
        pause = POLL
        while True:
            h, t = self.load64(OFF_HEAD), self.load64(OFF_TAIL)
            if h != t:
                state = self._state(h)
                at = self._at(h)
                if state == PADDING:
                    self.store64(OFF_HEAD, (h // c + 1) * c)
                    self._passed()
                    continue
                if state == SKIPPED:
                    self.store64(OFF_HEAD, h + record_size(self.load32(at + 8)))
                    self._passed()
                    continue
                if state == WRITING:
                    if is_dead(self.load32(at + 12), self.load32(at + 16)):
                        # The only other writer of this word is its dead
                        # producer: a plain store is the compare-and-swap.
                        self.store64(at, h | SKIPPED)
                        self.store64(OFF_SKIPPED, self.load64(OFF_SKIPPED) + 1)
                        self.store64(OFF_HEAD, h + record_size(self.load32(at + 8)))
                        self._passed()
                        continue
                elif state in (COMMITTED, CLAIMED):
                    break
                else:
                    raise RingError("%s: corrupt ring: the record at head %d is in state %d" % (self.path, h, state))
            if pause == POLL:
                self.waits += 1
            if deadline is not None and time.monotonic() >= deadline:
                raise Timeout("%s: no message in %g s" % (self.path, timeout))
            time.sleep(pause)
            pause = min(pause * 2, POLL_MAX)
        n = self.load32(at + 8)
        if n > c - RECORD_HEADER or h % c + record_size(n) > c:
            raise RingError("%s: corrupt ring: the record at %d says %d bytes" % (self.path, h, n))
        self.store32(at + 12, self.owner & 0xFFFFFFFF)
        self.store32(at + 16, self.owner >> 32)
        self.store64(at, h | CLAIMED)
        self.store64(OFF_HEAD, h + record_size(n))
        msg = bytes(self.mm[self.base + at + RECORD_HEADER:self.base + at + RECORD_HEADER + n])
        self.store64(at, h | RELEASED)
        self._advance_free()
        self._wake(OFF_SPACE_SEQ, 0x7FFFFFFF)
        return msg

    def _passed(self):
        """After head passed a record with no message (padding or
        skipped): give it back at once if free has reached it. Left for the
        next release, it could be the space a producer waits for while we
        wait for that producer's message."""
        f = self.load64(OFF_FREE)
        self._advance_free()
        if self.load64(OFF_FREE) != f:
            self._wake(OFF_SPACE_SEQ, 0x7FFFFFFF)

    def _advance_free(self):
        """Gives back to producers every record from free on that is done
        with, up to head. A record still claimed by a consumer that died
        (one that held the role before us) is lost: counted and freed."""
        c = self.cap
        f, h = self.load64(OFF_FREE), self.load64(OFF_HEAD)
        while f < h:
            state = self._state(f)
            at = self._at(f)
            if state == PADDING:
                f = (f // c + 1) * c
                continue
            if state == CLAIMED and is_dead(self.load32(at + 12), self.load32(at + 16)):
                self.store64(at, f | RELEASED)
                self.store64(OFF_LOST, self.load64(OFF_LOST) + 1)
                state = RELEASED
            if state not in (RELEASED, SKIPPED):
                break
            f += record_size(self.load32(at + 8))
        self.store64(OFF_FREE, f)

    def stat(self):
        names = [("capacity", OFF_CAPACITY), ("tail", OFF_TAIL), ("head", OFF_HEAD), ("free", OFF_FREE),
                 ("lost", OFF_LOST), ("skipped", OFF_SKIPPED)]
        out = {k: self.load64(o) for k, o in names}
        out["flags"] = self.flags
        out["producers_waiting"] = self.load32(OFF_PRODUCERS_WAITING)
        out["consumers_waiting"] = self.load32(OFF_CONSUMERS_WAITING)
        return out


class Observer(Ring):
    """A ring opened only to look at its header: no role taken."""

    def _take_role(self):
        self.lock = None

    def close(self):
        self._unmap()


def ring_path(arg):
    """*name is the POSIX shared memory object name; anything else a path."""
    if arg.startswith("*"):
        return "/dev/shm/" + arg[1:]
    return arg


def usage(msg):
    sys.stderr.write("ring.py: %s\n%s" % (msg, __doc__[__doc__.index("Usage:"):__doc__.index("RING is")]))
    sys.exit(2)


def main(argv):
    if len(argv) < 2:
        usage("need a command and a ring")
    cmd, path, rest = argv[0], ring_path(argv[1]), argv[2:]
    hexmode, verbose, timeout, offset, args = False, False, None, 0, []
    it = iter(rest)
    for a in it:
        if a == "--hex":
            hexmode = True
        elif a == "--verbose":
            verbose = True
        elif a in ("--timeout", "--offset"):
            v = next(it, None)
            if v is None:
                usage(a + " needs a value")
            try:
                if a == "--timeout":
                    timeout = float(v)
                else:
                    offset = int(v, 0)
            except ValueError:
                usage("%s %r is not a number" % (a, v))
        else:
            args.append(a)
    try:
        if cmd == "send":
            if not args:
                usage("send needs messages, or - to read them from stdin")
            if args == ["-"]:
                msgs = (line.rstrip("\n") for line in sys.stdin)
            else:
                msgs = iter(args)
            r = Ring(path, "producer", offset)
            n = 0
            try:
                for m in msgs:
                    try:
                        data = bytes.fromhex(m) if hexmode else m.encode()
                    except ValueError:
                        raise RingError("message %r is not hexadecimal" % m)
                    r.send(data, timeout)
                    n += 1
            finally:
                r.close()
                if verbose:
                    sys.stderr.write("sent %d full %d\n" % (n, r.waits))
        elif cmd == "recv":
            if len(args) != 1:
                usage("recv needs a count")
            try:
                count = int(args[0])
            except ValueError:
                usage("count %r is not a number" % args[0])
            r = Ring(path, "consumer", offset)
            n = 0
            try:
                while n < count:
                    m = r.recv(timeout)
                    if hexmode:
                        sys.stdout.write(m.hex() + "\n")
                    else:
                        sys.stdout.write(m.decode(errors="backslashreplace") + "\n")
                    sys.stdout.flush()
                    n += 1
            finally:
                r.close()
                if verbose:
                    sys.stderr.write("got %d empty %d\n" % (n, r.waits))
        elif cmd == "stat":
            r = Observer(path, None, offset)
            try:
                for k, v in r.stat().items():
                    print(k, v)
            finally:
                r.close()
        else:
            usage("unknown command %r" % cmd)
    except Timeout as e:
        sys.stderr.write("ring.py: %s\n" % e)
        return 3
    except (RingError, OSError) as e:
        sys.stderr.write("ring.py: %s\n" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
