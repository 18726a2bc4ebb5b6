//go:build linux

package ipcbuf_test

// Hardening of the library's arguments, reliability scenarios 19, 23, 25
// and 26 (rows of TESTING.md's reliability table): targets with leading zeros, nil and zero
// buffers as receivers and arguments, Remove by a buffer whose object was
// replaced, and Remove of what is not a buffer.

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	qt "github.com/frankban/quicktest"

	"github.com/ipcbuf/ipcbuf"
)

// TestTargetLeadingZeros is scenario 19: a key is decimal or 0x hex, as
// the documentation says; a leading zero does not make it octal, and
// errors name the value as it was given.
func TestTargetLeadingZeros(t *testing.T) {
	for _, tc := range []struct {
		target string
		key    int
	}{
		{"010", 10},
		{"08", 8},
		{"0755", 755},
		{"09", 9},
		{"000000000000000000000000004660", 4660},
		{"04294967295", 0xffffffff},
		{"0x010", 0x10},
		{"0X0000ff", 0xff},
	} {
		kind, _, key, err := ipcbuf.ParseTarget(tc.target)
		qt.Assert(t, err, qt.IsNil, qt.Commentf("%q", tc.target))
		qt.Check(t, kind, qt.Equals, ipcbuf.KindSysV, qt.Commentf("%q", tc.target))
		qt.Check(t, key, qt.Equals, tc.key, qt.Commentf("%q", tc.target))
	}
	for _, tc := range []struct{ target, want string }{
		{"00", "IPC_PRIVATE"},
		{"0x000", "IPC_PRIVATE"},
		{"4294967296", "System V key 4294967296 is out of range"},
		{"04294967296", "System V key 04294967296 is out of range"},
		{"0x100000000", "System V key 0x100000000 is out of range"},
		{"99999999999999999999999", "System V key 99999999999999999999999 is out of range"},
	} {
		_, _, _, err := ipcbuf.ParseTarget(tc.target)
		qt.Assert(t, err, qt.ErrorIs, fs.ErrInvalid, qt.Commentf("%q", tc.target))
		qt.Check(t, err, qt.ErrorMatches, ".*"+tc.want+".*", qt.Commentf("%q", tc.target))
	}

	// Keys out of range are named as given, not cut to 32 bits (which
	// would name another, valid key).
	for _, key := range []int{-2147483649, 1 << 32, -1 << 40} {
		for _, err := range []error{
			func() error { _, err := ipcbuf.OpenSysV(key, 64); return err }(),
			ipcbuf.RemoveSysV(key),
		} {
			var pe *fs.PathError
			qt.Assert(t, errors.As(err, &pe), qt.IsTrue, qt.Commentf("key %d: %v", key, err))
			qt.Check(t, pe.Path, qt.Equals, strconv.Itoa(key))
			if ipcbuf.KindSysV.Supported() {
				qt.Check(t, err, qt.ErrorIs, fs.ErrInvalid)
				qt.Check(t, err, qt.ErrorMatches, fmt.Sprintf(".*System V key %d is out of range.*", key))
			}
		}
	}

	// The object: "0" and the decimal digits open the key those digits
	// name, the one the same digits without the zero open.
	if !ipcbuf.KindSysV.Supported() {
		t.Skip("no System V backend in this build: the parsing above is all there is")
	}
	key := sysvKey(t)
	b := open(t, "0"+strconv.Itoa(key), 64)
	qt.Assert(t, b.Name(), qt.Equals, fmt.Sprintf("0x%08x", key))
	again := open(t, strconv.Itoa(key), 0, ipcbuf.OpenOnly())
	qt.Assert(t, again.Len(), qt.Equals, 64)
	qt.Assert(t, ipcbuf.Remove("00"+strconv.Itoa(key)), qt.IsNil)
	qt.Assert(t, sysvExists(key), qt.IsFalse)
}

// unusableBuffers are what scenario 23 passes where a *Buffer goes: nil and
// a pointer to the zero Buffer, which the package treats alike.
func unusableBuffers() map[string]*ipcbuf.Buffer {
	return map[string]*ipcbuf.Buffer{"nil": nil, "zero": {}}
}

// methodRow says how TestUnusableBuffers calls one method of *Buffer.
type methodRow struct {
	// slots are the parameters (0 is the first after the receiver) that
	// take a *Buffer: typed *Buffer, or a value of type any that accepts
	// one.
	slots []int
	// args are arguments other than the defaults argFor makes by type.
	args map[int]any
	// recv checks the results on a nil or zero receiver; nil means the
	// rule: the last result is an error matching fs.ErrInvalid.
	recv func(t *testing.T, which string, out []reflect.Value)
}

// returns checks that a method without an error result gave want.
func returns(want any) func(t *testing.T, which string, out []reflect.Value) {
	return func(t *testing.T, which string, out []reflect.Value) {
		qt.Check(t, out[0].Interface(), qt.DeepEquals, want, qt.Commentf("%s receiver", which))
	}
}

// isZeroBuffer checks that Slice of an unusable buffer is a zero Buffer,
// as unusable as its parent.
func isZeroBuffer(t *testing.T, which string, out []reflect.Value) {
	s := out[0].Interface().(*ipcbuf.Buffer)
	qt.Assert(t, s, qt.IsNotNil, qt.Commentf("%s receiver", which))
	qt.Check(t, s.Len(), qt.Equals, 0)
	_, err := s.ToString("", 0, 1)
	qt.Check(t, err, qt.ErrorIs, fs.ErrInvalid)
}

// bufferMethods has a row for every exported method of *Buffer;
// TestUnusableBuffers fails for a method without one, so a new method
// cannot escape it.
var bufferMethods = map[string]methodRow{
	"Bytes":        {recv: returns([]byte(nil))},
	"Close":        {},
	"Compare":      {slots: []int{0}},
	"CompareRange": {slots: []int{0}},
	"Copy":         {slots: []int{0}, args: map[int]any{3: 1}},
	"Equals":       {slots: []int{0}},
	"Fill":         {slots: []int{0}, args: map[int]any{2: 1}},
	"Includes":     {slots: []int{0}},
	"IndexOf":      {slots: []int{0}},
	"LastIndexOf":  {slots: []int{0}},
	"Kind":         {recv: returns(ipcbuf.KindMemory)},
	"Len":          {recv: returns(0)},
	"Name":         {recv: returns("")},
	"ReadOnly":     {recv: returns(false)},
	"Slice":        {recv: isZeroBuffer},
	"Subarray":     {recv: isZeroBuffer},
	"Remove":       {},
	"ReadAt":       {},
	"WriteAt":      {},
	"Sync":         {},
	"ToString":     {args: map[int]any{2: 1}},
	"Write":        {},
	"WriteLength":  {},
	"Swap16":       {},
	"Swap32":       {},
	"Swap64":       {},
	"ReadIntBE":    {args: map[int]any{1: 1}},
	"ReadIntLE":    {args: map[int]any{1: 1}},
	"ReadUintBE":   {args: map[int]any{1: 1}},
	"ReadUintLE":   {args: map[int]any{1: 1}},
	"WriteIntBE":   {args: map[int]any{2: 1}},
	"WriteIntLE":   {args: map[int]any{2: 1}},
	"WriteUintBE":  {args: map[int]any{2: 1}},
	"WriteUintLE":  {args: map[int]any{2: 1}},
	// Atomics and wait/wake: every one checks its receiver first.
	"LoadUint32":           {},
	"StoreUint32":          {},
	"AddUint32":            {},
	"SwapUint32":           {},
	"CompareAndSwapUint32": {},
	"LoadUint64":           {},
	"StoreUint64":          {},
	"AddUint64":            {},
	"SwapUint64":           {},
	"CompareAndSwapUint64": {},
	"Wait":                 {},
	"WaitTimeout":          {},
	"WaitContext":          {args: map[int]any{0: context.Background()}},
	"Wake":                 {args: map[int]any{1: 1}},
	"WakeAll":              {},
	"UnmarshalJSON":        {args: map[int]any{0: []byte(`{"type":"Buffer","data":[1]}`)}, recv: unmarshalRecv},
	// JSON's conventions: a nil *Buffer is null; the zero Buffer is refused.
	"ToJSON":      {recv: jsonRecv},
	"MarshalJSON": {recv: jsonRecv},
	// String never fails: it says what the receiver is.
	"String": {recv: func(t *testing.T, which string, out []reflect.Value) {
		want := map[string]string{"nil": "<nil>", "zero": "<Buffer zero value>"}[which]
		qt.Check(t, out[0].Interface(), qt.Equals, want)
	}},
}

func jsonRecv(t *testing.T, which string, out []reflect.Value) {
	err, _ := out[1].Interface().(error)
	if which == "nil" {
		qt.Check(t, err, qt.IsNil)
		qt.Check(t, string(out[0].Interface().([]byte)), qt.Equals, "null")
		return
	}
	qt.Check(t, err, qt.ErrorIs, fs.ErrInvalid)
}

// unmarshalRecv: UnmarshalJSON replaces *b, so the zero Buffer, which is
// what encoding/json makes for a *Buffer field, is a fine receiver; nil is
// the rule's error.
func unmarshalRecv(t *testing.T, which string, out []reflect.Value) {
	err, _ := out[0].Interface().(error)
	if which == "zero" {
		qt.Check(t, err, qt.IsNil)
		return
	}
	qt.Check(t, err, qt.ErrorIs, fs.ErrInvalid)
}

// numericMethods are the readers and writers of numbers, which take only
// numbers and follow the rule: each gets the default row.
const numericMethods = `ReadUint8 ReadInt8 ReadUint16LE ReadUint16BE ReadInt16LE ReadInt16BE
	ReadUint32LE ReadUint32BE ReadInt32LE ReadInt32BE ReadBigUint64LE ReadBigUint64BE
	ReadBigInt64LE ReadBigInt64BE ReadFloatLE ReadFloatBE ReadDoubleLE ReadDoubleBE
	WriteUint8 WriteInt8 WriteUint16LE WriteUint16BE WriteInt16LE WriteInt16BE
	WriteUint32LE WriteUint32BE WriteInt32LE WriteInt32BE WriteBigUint64LE WriteBigUint64BE
	WriteBigInt64LE WriteBigInt64BE WriteFloatLE WriteFloatBE WriteDoubleLE WriteDoubleBE`

func init() {
	for _, name := range strings.Fields(numericMethods) {
		bufferMethods[name] = methodRow{}
	}
}

// argFor is the default argument of type typ: a value each method accepts.
func argFor(t *testing.T, typ reflect.Type) reflect.Value {
	switch typ {
	case reflect.TypeFor[[]byte]():
		return reflect.ValueOf([]byte{1})
	case reflect.TypeFor[any]():
		return reflect.ValueOf(&[]any{"x"}[0]).Elem()
	}
	switch typ.Kind() {
	case reflect.Int, reflect.Int64, reflect.Uint32, reflect.Uint64, reflect.Float64, reflect.String:
		return reflect.Zero(typ) // 0, and "" (utf8) for encodings
	}
	t.Fatalf("argFor has no value of type %v: add one", typ)
	return reflect.Value{}
}

// callMethod calls recv's method m with the row's arguments, bufs in its
// slots, and returns the results, or the panic it caught.
func callMethod(t *testing.T, m reflect.Method, row methodRow, recv, buf *ipcbuf.Buffer) (out []reflect.Value, panicked any) {
	args := make([]reflect.Value, m.Type.NumIn()-1)
	for i := range args {
		typ := m.Type.In(i + 1)
		switch a, ok := row.args[i]; {
		case slices.Contains(row.slots, i):
			v := reflect.New(typ).Elem()
			v.Set(reflect.ValueOf(buf))
			args[i] = v
		case ok:
			args[i] = reflect.ValueOf(a).Convert(typ)
		default:
			args[i] = argFor(t, typ)
		}
	}
	defer func() { panicked = recover() }()
	return reflect.ValueOf(recv).MethodByName(m.Name).Call(args), nil
}

// lastError returns the method's error result, or nil.
func lastError(out []reflect.Value) (error, bool) {
	if len(out) == 0 || out[len(out)-1].Type() != reflect.TypeFor[error]() {
		return nil, false
	}
	err, _ := out[len(out)-1].Interface().(error)
	return err, true
}

// TestUnusableBuffers is scenario 23: nil and the zero Buffer, as the
// receiver of every method and as every *Buffer argument, give an error
// (the rule in the package documentation), never a panic.
func TestUnusableBuffers(t *testing.T) {
	typ := reflect.TypeFor[*ipcbuf.Buffer]()
	seen := map[string]bool{}
	for i := range typ.NumMethod() {
		m := typ.Method(i)
		seen[m.Name] = true
		row, ok := bufferMethods[m.Name]
		if !ok {
			t.Errorf("method %s has no row in bufferMethods: add one", m.Name)
			continue
		}
		t.Run(m.Name, func(t *testing.T) {
			good, err := ipcbuf.From("abcdefgh", "")
			qt.Assert(t, err, qt.IsNil)
			// An unusable receiver: the rule, whatever the arguments.
			for which, recv := range unusableBuffers() {
				for argWhich, arg := range map[string]*ipcbuf.Buffer{"good": good, "nil": nil, "zero": {}} {
					out, p := callMethod(t, m, row, recv, arg)
					if p != nil {
						t.Errorf("%s receiver, %s argument: panic: %v", which, argWhich, p)
						continue
					}
					if row.recv != nil {
						row.recv(t, which, out)
						continue
					}
					err, _ := lastError(out)
					qt.Check(t, err, qt.ErrorIs, fs.ErrInvalid, qt.Commentf("%s receiver, %s argument", which, argWhich))
					var pe *fs.PathError
					qt.Check(t, errors.As(err, &pe), qt.IsTrue, qt.Commentf("%v", err))
				}
			}
			// An unusable argument to a good receiver: ERR_INVALID_ARG_TYPE,
			// and the receiver untouched; to a closed one, fs.ErrClosed
			// first, as for every argument.
			if len(row.slots) == 0 {
				return
			}
			closed, err := ipcbuf.From("x", "")
			qt.Assert(t, err, qt.IsNil)
			qt.Assert(t, closed.Close(), qt.IsNil)
			for which, arg := range unusableBuffers() {
				out, p := callMethod(t, m, row, good, arg)
				qt.Assert(t, p, qt.IsNil, qt.Commentf("%s argument: panic", which))
				err, _ := lastError(out)
				qt.Check(t, err, qt.ErrorIs, ipcbuf.ErrInvalidArgType, qt.Commentf("%s argument", which))
				qt.Check(t, good.Bytes(), qt.DeepEquals, []byte("abcdefgh"))

				out, p = callMethod(t, m, row, closed, arg)
				qt.Assert(t, p, qt.IsNil, qt.Commentf("closed receiver, %s argument: panic", which))
				err, _ = lastError(out)
				qt.Check(t, err, qt.ErrorIs, fs.ErrClosed, qt.Commentf("closed receiver, %s argument", which))
			}
		})
	}
	for name := range bufferMethods {
		if !seen[name] {
			t.Errorf("bufferMethods has a row for %s, which is not a method of *Buffer", name)
		}
	}
}

// TestUnusableBufferArguments is scenario 23 for the package functions that
// take buffers: each *Buffer is an argument, checked before any buffer is
// used.
func TestUnusableBufferArguments(t *testing.T) {
	good, err := ipcbuf.From("abc", "")
	qt.Assert(t, err, qt.IsNil)
	for which, bad := range unusableBuffers() {
		for _, tc := range []struct {
			name string
			call func() error
		}{
			{"Compare(good, bad)", func() error { _, err := ipcbuf.Compare(good, bad); return err }},
			{"Compare(bad, good)", func() error { _, err := ipcbuf.Compare(bad, good); return err }},
			{"Compare(bad, bad)", func() error { _, err := ipcbuf.Compare(bad, bad); return err }},
			{"Concat", func() error { _, err := ipcbuf.Concat([]*ipcbuf.Buffer{good, bad}); return err }},
			{"ConcatLength", func() error { _, err := ipcbuf.ConcatLength([]*ipcbuf.Buffer{bad}, 2); return err }},
			{"View", func() error { _, err := ipcbuf.View[uint16](bad); return err }},
			{"AllocFill", func() error { _, err := ipcbuf.AllocFill(3, bad, ""); return err }},
		} {
			var err error
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Errorf("%s with a %s buffer: panic: %v", tc.name, which, p)
					}
				}()
				err = tc.call()
			}()
			qt.Check(t, err, qt.ErrorIs, ipcbuf.ErrInvalidArgType, qt.Commentf("%s with a %s buffer", tc.name, which))
		}
	}
}

// TestRemoveOnlyItsObject is scenario 25 for POSIX objects and files: once
// the object a buffer opened is gone and another has taken its name,
// b.Remove leaves the other alone and says so, whether b is closed or not.
func TestRemoveOnlyItsObject(t *testing.T) {
	forKinds(t, func(t *testing.T, kc kindCase) {
		if kc.kind == ipcbuf.KindSysV {
			t.Skip("System V: TestRemoveSysVReusedID, in an IPC namespace of its own")
		}
		path := func(target string) string {
			if kc.kind == ipcbuf.KindPOSIX {
				return "/dev/shm/" + target[1:]
			}
			return target
		}
		// replace removes target's object and makes a new one holding
		// "new". pin keeps the old inode alive meanwhile, so that the new
		// object cannot get its number: the check must not depend on luck.
		replace := func(t *testing.T, target string) {
			pin, err := os.Open(path(target))
			qt.Assert(t, err, qt.IsNil)
			defer pin.Close()
			qt.Assert(t, ipcbuf.Remove(target), qt.IsNil)
			nb, err := ipcbuf.Open(target, 4096, ipcbuf.Exclusive())
			qt.Assert(t, err, qt.IsNil)
			defer nb.Close()
			_, err = nb.Write("new", 0, "")
			qt.Assert(t, err, qt.IsNil)
		}
		stillNew := func(t *testing.T, target string) {
			t.Helper()
			nb, err := ipcbuf.Open(target, 0, ipcbuf.OpenOnly())
			qt.Assert(t, err, qt.IsNil, qt.Commentf("the new object was removed"))
			defer nb.Close()
			s, err := nb.ToString("", 0, 3)
			qt.Assert(t, err, qt.IsNil)
			qt.Assert(t, s, qt.Equals, "new")
		}

		t.Run("closed", func(t *testing.T) {
			target := kc.target(t)
			b := open(t, target, 4096)
			qt.Assert(t, b.Close(), qt.IsNil)
			replace(t, target)
			err := b.Remove()
			qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist)
			qt.Assert(t, err, qt.ErrorMatches, ".*the name now refers to another file.*")
			stillNew(t, target)
		})
		t.Run("open", func(t *testing.T) {
			target := kc.target(t)
			b := open(t, target, 4096)
			replace(t, target)
			qt.Assert(t, b.Remove(), qt.ErrorIs, fs.ErrNotExist)
			stillNew(t, target)
		})
		t.Run("unchanged", func(t *testing.T) {
			// Remove after Close of an object nobody touched still works.
			target := kc.target(t)
			b := open(t, target, 4096)
			qt.Assert(t, b.Close(), qt.IsNil)
			qt.Assert(t, b.Remove(), qt.IsNil)
			_, err := os.Lstat(path(target))
			qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist)
			qt.Assert(t, b.Remove(), qt.ErrorIs, fs.ErrNotExist, qt.Commentf("removing twice"))
		})
		t.Run("directory", func(t *testing.T) {
			target := kc.target(t)
			b := open(t, target, 4096)
			qt.Assert(t, b.Close(), qt.IsNil)
			qt.Assert(t, ipcbuf.Remove(target), qt.IsNil)
			qt.Assert(t, os.Mkdir(path(target), 0o700), qt.IsNil)
			t.Cleanup(func() { os.Remove(path(target)) })
			err := b.Remove()
			qt.Assert(t, err, qt.ErrorIs, fs.ErrNotExist)
			qt.Assert(t, err, qt.ErrorMatches, ".*the name refers to a directory, not a regular file.*")
			fi, err := os.Lstat(path(target))
			qt.Assert(t, err, qt.IsNil)
			qt.Assert(t, fi.IsDir(), qt.IsTrue)
		})
	})
}

func init() {
	childRoles["sysvreuse"] = sysvReuseChild
}

// shmID returns the identifier of the segment with key, from
// /proc/sysvipc/shm (which shows this process's IPC namespace), or -1.
func shmID(key int) int {
	if s, ok := sysvSegByKey(key); ok {
		return s.id
	}
	return -1
}

// sysvReuseChild runs in an IPC namespace of its own, where it may set
// kernel.shm_next_id without touching anyone: it gives a closed buffer's
// segment identifier to a new segment, then checks that the closed
// buffer's Remove leaves that segment alone. Exit status 3: the identifier
// could not be forced here.
func sysvReuseChild(target string) int {
	key, _ := strconv.Atoi(target)
	fail := func(format string, args ...any) int {
		fmt.Printf(format+"\n", args...)
		return 1
	}
	// reuse makes a segment with key k and size n under identifier id.
	reuse := func(id, k, n int) (*ipcbuf.Buffer, int) {
		if err := os.WriteFile("/proc/sys/kernel/shm_next_id", []byte(strconv.Itoa(id)), 0); err != nil {
			fmt.Println("cannot set kernel.shm_next_id:", err)
			return nil, 3
		}
		nb, err := ipcbuf.OpenSysV(k, n, ipcbuf.Exclusive())
		if err != nil {
			return nil, fail("new segment: %v", err)
		}
		if got := shmID(k); got != id {
			fmt.Printf("kernel.shm_next_id=%d gave identifier %d\n", id, got)
			return nil, 3
		}
		_, _ = nb.Write("new", 0, "")
		return nb, 0
	}
	for _, tc := range []struct {
		what   string
		key, n int
	}{
		{"another key", key + 1, 4096},
		{"the same key, another size", key, 8192},
	} {
		b, err := ipcbuf.OpenSysV(key, 4096)
		if err != nil {
			return fail("open: %v", err)
		}
		id := shmID(key)
		if err := b.Close(); err != nil {
			return fail("close: %v", err)
		}
		if err := ipcbuf.RemoveSysV(key); err != nil {
			return fail("RemoveSysV: %v", err)
		}
		nb, code := reuse(id, tc.key, tc.n)
		if code != 0 {
			return code
		}
		err = b.Remove()
		fmt.Printf("%s: stale Remove: %v\n", tc.what, err)
		if !errors.Is(err, fs.ErrNotExist) {
			return fail("%s: Remove of a closed buffer whose identifier %d was reused returned %v", tc.what, id, err)
		}
		if again, err := ipcbuf.OpenSysV(tc.key, 0, ipcbuf.OpenOnly()); err != nil {
			return fail("%s: the new segment with identifier %d was removed: %v", tc.what, id, err)
		} else {
			again.Close()
		}
		nb.Close()
		if err := ipcbuf.RemoveSysV(tc.key); err != nil {
			return fail("removing the new segment: %v", err)
		}
	}
	// A closed buffer whose segment is untouched still removes it.
	b, err := ipcbuf.OpenSysV(key, 4096)
	if err != nil {
		return fail("open: %v", err)
	}
	b.Close()
	if err := b.Remove(); err != nil {
		return fail("Remove after Close: %v", err)
	}
	if shmID(key) != -1 {
		return fail("Remove after Close left the segment")
	}
	if err := b.Remove(); !errors.Is(err, fs.ErrNotExist) {
		return fail("second Remove: %v", err)
	}
	return 0
}

// TestRemoveSysVReusedID is scenario 25 for System V: a closed buffer's
// Remove does not remove a new segment given its old identifier. The
// identifier is forced with kernel.shm_next_id, in an IPC namespace of the
// child's own (without it, reuse takes about 65,536 allocations).
func TestRemoveSysVReusedID(t *testing.T) {
	if !ipcbuf.KindSysV.Supported() {
		t.Skip("no System V backend in this build")
	}
	cmd := childCommand("sysvreuse", strconv.Itoa(sysvKey(t)))
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWIPC}
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 3 || errors.Is(err, syscall.EPERM) {
		requireOrSkip(t, "cannot force a System V identifier in an IPC namespace of our own here (needs CAP_SYS_ADMIN): %v\n%s", err, out)
	}
	qt.Assert(t, err, qt.IsNil, qt.Commentf("%s", out))
	t.Logf("%s", out)
}

// nonBuffers makes, in dir, one of each kind of file that is not a buffer
// and that Remove must leave alone, by the name of its kind. Kinds this
// machine cannot make (a device node needs CAP_MKNOD) are left out.
func nonBuffers(t *testing.T, dir string) map[string]string {
	t.Helper()
	made := map[string]string{}
	mk := func(kind string, f func(path string) error) {
		path := filepath.Join(dir, strings.ReplaceAll(kind, " ", "-"))
		if err := f(path); err != nil {
			t.Logf("cannot make %s here: %v", kind, err)
			return
		}
		made[kind] = path
	}
	mk("a directory", func(p string) error { return os.Mkdir(p, 0o700) })
	mk("a FIFO", func(p string) error { return syscall.Mkfifo(p, 0o600) })
	mk("a socket", func(p string) error {
		fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer syscall.Close(fd)
		return syscall.Bind(fd, &syscall.SockaddrUnix{Name: p})
	})
	mk("a character device", func(p string) error { return syscall.Mknod(p, syscall.S_IFCHR|0o600, 1<<8|3) }) // like /dev/null
	mk("a symbolic link", func(p string) error {
		if err := os.WriteFile(p+".target", []byte("x"), 0o600); err != nil {
			return err
		}
		return os.Symlink(p+".target", p)
	})
	return made
}

// TestRemoveRefusesNonBuffers is scenario 26 in the library: Remove
// removes only what could be a buffer, never a directory, FIFO, socket,
// device or symbolic link, by path or by POSIX name.
func TestRemoveRefusesNonBuffers(t *testing.T) {
	check := func(t *testing.T, kind, target, path string, remove func() error) {
		before, err := os.Lstat(path)
		qt.Assert(t, err, qt.IsNil)
		err = remove()
		qt.Check(t, err, qt.ErrorIs, fs.ErrInvalid, qt.Commentf("%s", kind))
		qt.Check(t, err, qt.ErrorMatches, ".*is "+kind+".*nothing removed.*|.*is "+kind+".*, not a POSIX shared memory object.*")
		after, err := os.Lstat(path)
		qt.Assert(t, err, qt.IsNil, qt.Commentf("%s was removed", kind))
		qt.Check(t, after.Mode().Type(), qt.Equals, before.Mode().Type())
	}
	for kind, path := range nonBuffers(t, t.TempDir()) {
		if !ipcbuf.KindFile.Supported() {
			// Without cgo there is no file backend: its kind is refused
			// like the others, and nothing is removed.
			qt.Check(t, ipcbuf.Remove(path), qt.ErrorIs, errors.ErrUnsupported, qt.Commentf("%s", kind))
			_, err := os.Lstat(path)
			qt.Check(t, err, qt.IsNil, qt.Commentf("%s was removed", kind))
			continue
		}
		check(t, kind, path, path, func() error { return ipcbuf.Remove(path) })
	}
	if !ipcbuf.KindPOSIX.Supported() {
		t.Skip("no POSIX backend in this build")
	}
	// The same in /dev/shm, where shm_unlink would unlink what is there.
	name := shmName(t)
	dir := "/dev/shm/" + name
	qt.Assert(t, os.Mkdir(dir, 0o700), qt.IsNil)
	t.Cleanup(func() { os.Remove(dir) })
	check(t, "a directory", "*"+name, dir, func() error { return ipcbuf.Remove("*" + name) })
	fifo := shmName(t)
	qt.Assert(t, syscall.Mkfifo("/dev/shm/"+fifo, 0o600), qt.IsNil)
	t.Cleanup(func() { os.Remove("/dev/shm/" + fifo) })
	check(t, "a FIFO", "*"+fifo, "/dev/shm/"+fifo, func() error { return ipcbuf.RemoveShm(fifo) })
}
