//go:build linux

package ipcbuf_test

import (
	"strconv"
	"testing"
	"time"

	qt "github.com/frankban/quicktest"

	"github.com/ipcbuf/ipcbuf"
)

// The interop tests prove that other programs open the same semaphores:
// C programs through sem_open (here Python's ctypes calling the C
// library's sem_open, sem_post and sem_wait) and Python's sysv_ipc. They
// find their Python with requirePython (interop_helpers_test.go).
// pyLibcSem is the C library's POSIX semaphore API through ctypes:
// op(name, ...) for "wait" (open, say "waiting", sem_wait, say "got"),
// "create" (sem_open O_CREAT|O_EXCL mode 0600 with a value, then post N
// times) and "value".
const pyLibcSem = `import ctypes, ctypes.util, errno, os, sys
libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
libc.sem_open.restype = ctypes.c_void_p
libc.sem_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_uint, ctypes.c_uint]
for f in ("sem_post", "sem_wait", "sem_close", "sem_getvalue"):
    getattr(libc, f).argtypes = [ctypes.c_void_p] + ([ctypes.POINTER(ctypes.c_int)] if f == "sem_getvalue" else [])
def check(r, what):
    if r != 0:
        e = ctypes.get_errno()
        raise OSError(e, what + ": " + os.strerror(e))
op, name = sys.argv[1], sys.argv[2].encode()
if op == "create":
    s = libc.sem_open(name, os.O_CREAT | os.O_EXCL, 0o600, int(sys.argv[3]))
else:
    s = libc.sem_open(name, 0, 0, 0)
if not s:
    e = ctypes.get_errno()
    raise OSError(e, "sem_open: " + os.strerror(e))
if op == "wait":
    print("waiting", flush=True)
    while libc.sem_wait(s) != 0:
        if ctypes.get_errno() != errno.EINTR:
            check(-1, "sem_wait")
    print("got", flush=True)
elif op == "create":
    for _ in range(int(sys.argv[4])):
        check(libc.sem_post(s), "sem_post")
v = ctypes.c_int()
check(libc.sem_getvalue(s, ctypes.byref(v)), "sem_getvalue")
print("value", v.value, flush=True)
check(libc.sem_close(s), "sem_close")
`

func TestSemaphoreInteropPOSIX(t *testing.T) {
	if !ipcbuf.KindPOSIX.Supported() {
		t.Skip("this build leaves POSIX out")
	}
	python := requirePython(t, "ctypes")

	// Go creates, C waits and Go posts.
	name := semName(t)
	s := openSem(t, "*"+name, 0, ipcbuf.Exclusive())
	cmd, out := startPython(t, python, pyLibcSem, "wait", "/"+name)
	expectLine(t, out, "waiting")
	qt.Assert(t, s.Post(), qt.IsNil)
	expectLine(t, out, "got")
	expectLine(t, out, "value 0")
	qt.Assert(t, cmd.Wait(), qt.IsNil)
	qt.Assert(t, s.Post(), qt.IsNil)
	qt.Assert(t, runPython(t, python, pyLibcSem, "value", "/"+name), qt.Equals, "value 1\n")

	// C creates with a value and posts; Go opens it and takes every unit.
	name = semName(t)
	qt.Assert(t, runPython(t, python, pyLibcSem, "create", "/"+name, "2", "3"), qt.Equals, "value 5\n")
	c := openSem(t, "*"+name, 0, ipcbuf.OpenOnly())
	qt.Assert(t, semValue(t, c), qt.Equals, 5)
	for range 5 {
		qt.Assert(t, c.WaitTimeout(time.Minute), qt.IsNil)
	}
	ok, err := c.TryWait()
	qt.Assert(t, err, qt.IsNil)
	qt.Assert(t, ok, qt.IsFalse)
}

// pySysV drives sysv_ipc: op(key, ...) for "create" (IPC_CREX, mode 0600,
// initial_value, and no operation after), "release", "acquire" (say
// "waiting", acquire with a minute's timeout) and "show".
const pySysV = `import sys, sysv_ipc
op, key = sys.argv[1], int(sys.argv[2], 0)
if op == "create":
    s = sysv_ipc.Semaphore(key, sysv_ipc.IPC_CREX, 0o600, int(sys.argv[3]))
else:
    s = sysv_ipc.Semaphore(key)
if op == "release":
    s.release()
elif op == "acquire":
    print("waiting", flush=True)
    s.acquire(60)
    print("got", flush=True)
print("value %d mode %o otime_set %s" % (s.value, s.mode, s.o_time != 0), flush=True)
`

func TestSemaphoreInteropSysV(t *testing.T) {
	if !ipcbuf.KindSysV.Supported() {
		t.Skip("this build leaves System V out")
	}
	python := requirePython(t, "sysv_ipc")

	// Python creates with an initial value and does nothing else: its
	// sysv_ipc sets the value with semctl SETVAL, so sem_otime stays 0.
	// Go must open it at once with that value, not wait for a semop.
	key := semKey(t)
	target := strconv.Itoa(key)
	qt.Assert(t, runPython(t, python, pySysV, "create", target, "2"), qt.Equals, "value 2 mode 600 otime_set False\n")
	start := time.Now()
	s := openSem(t, target, 0, ipcbuf.OpenOnly())
	t.Logf("opening the Python-made set took %v", time.Since(start))
	qt.Assert(t, semValue(t, s), qt.Equals, 2)
	// Go waits; Python releases.
	for range 2 {
		qt.Assert(t, s.Wait(), qt.IsNil)
	}
	done := make(chan error, 1)
	go func() { done <- s.WaitTimeout(time.Minute) }()
	runPython(t, python, pySysV, "release", target)
	qt.Assert(t, <-done, qt.IsNil)
	qt.Assert(t, semValue(t, s), qt.Equals, 0)

	// Go creates (the Stevens way: sem_otime set), Python acquires.
	key = semKey(t)
	target = strconv.Itoa(key)
	g := openSem(t, target, 1, ipcbuf.Exclusive(), ipcbuf.Mode(0o640))
	qt.Assert(t, runPython(t, python, pySysV, "show", target), qt.Equals, "value 1 mode 640 otime_set True\n")
	qt.Assert(t, g.Wait(), qt.IsNil)
	cmd, out := startPython(t, python, pySysV, "acquire", target)
	expectLine(t, out, "waiting")
	qt.Assert(t, g.Post(), qt.IsNil)
	expectLine(t, out, "got")
	expectLine(t, out, "value 0 mode 640 otime_set True")
	qt.Assert(t, cmd.Wait(), qt.IsNil)
}
