package ipcbuf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"testing"
)

// BenchmarkGuard measures what the fault guard adds to a method: the same
// work on the same POSIX shared memory with no guard at all ("bare", what
// Bytes gives), under a full lease ("lease": state check, panic-on-fault,
// deferred recover) and, for the 8-byte read, through the method
// ReadBigUint64LE, whose fast path has the least guard there is. Compare
// them with benchstat:
//
//	go test -run '^$' -bench BenchmarkGuard -count 6 . | benchstat -col /guard -
func BenchmarkGuard(b *testing.B) {
	if !KindPOSIX.Supported() {
		b.Skip("no POSIX backend in this build")
	}
	name := fmt.Sprintf("ipcbuf-test-%d-guard", os.Getpid())
	buf, err := OpenShm(name, 1<<20, Exclusive())
	if err != nil {
		b.Fatal(err)
	}
	defer buf.Close()
	defer RemoveShm(name)
	p := make([]byte, 1<<20)
	var sink uint64

	bare := func(f func(mem []byte)) error {
		f(buf.mem())
		return nil
	}
	leased := func(f func(mem []byte)) (err error) {
		mem, l, err := buf.acquire("bench", false)
		if err != nil {
			return err
		}
		defer l.release(&err)
		f(mem)
		return nil
	}
	copy1M := func(mem []byte) { copy(p, mem) }
	read8 := func(mem []byte) { sink += binary.LittleEndian.Uint64(mem[4096:]) }
	for _, work := range []struct {
		name string
		f    func([]byte)
	}{{"copy1MiB", copy1M}, {"read8", read8}} {
		for _, g := range []struct {
			name string
			run  func(func([]byte)) error
		}{{"bare", bare}, {"lease", leased}} {
			b.Run(work.name+"/guard="+g.name, func(b *testing.B) {
				if work.name == "copy1MiB" {
					b.SetBytes(1 << 20)
				}
				for b.Loop() {
					g.run(work.f)
				}
			})
		}
	}
	b.Run("read8/guard=method", func(b *testing.B) {
		for b.Loop() {
			v, _ := buf.ReadBigUint64LE(4096)
			sink += v
		}
	})
	_ = sink
}

// TestGuardAfterClose: a method that found the buffer open and then had it
// closed under it, its memory swapped for the reservation, faults into its
// guard and returns fs.ErrClosed, for a lease on one buffer and on a pair;
// the same fault with the buffer still open is ErrFault. Close cannot be
// placed between a method's check and its access from outside, so this
// test does it from inside: the race tests (TestLeaseRacesClose) cover the
// real thing.
func TestGuardAfterClose(t *testing.T) {
	if !KindPOSIX.Supported() {
		t.Skip("no POSIX backend in this build")
	}
	name := fmt.Sprintf("ipcbuf-test-%d-guardclose", os.Getpid())
	mk := func(exclusive bool) *Buffer {
		opts := []Option{}
		if exclusive {
			opts = append(opts, Exclusive())
		}
		b, err := OpenShm(name, 1<<16, opts...)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	keep := mk(true)
	t.Cleanup(func() { keep.Close(); RemoveShm(name) })

	touch := func(b *Buffer, closeFirst bool) (err error) {
		mem, l, err := b.acquire("touch", false)
		if err != nil {
			return err
		}
		defer l.release(&err)
		if closeFirst {
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
		}
		sinkByte = mem[100]
		return nil
	}
	err := touch(mk(false).Slice(64, 1024), true)
	if !errors.Is(err, fs.ErrClosed) || errors.Is(err, ErrFault) {
		t.Fatalf("lease on one buffer closed under it: %v; want fs.ErrClosed", err)
	}

	pair := func(b, arg *Buffer, closeWhich *Buffer) (err error) {
		mb, ma, l, err := acquirePair("pair", b, "arg", arg, writeArg)
		if err != nil {
			return err
		}
		defer l.release(&err)
		if err := closeWhich.Close(); err != nil {
			t.Fatal(err)
		}
		copy(ma[:16], mb[:16])
		return nil
	}
	heap, _ := Alloc(1 << 16)
	for _, c := range []struct {
		what string
		b    *Buffer
		arg  *Buffer
		cl   int // which to close: 0 b, 1 arg
	}{
		{"receiver closed, heap argument", mk(false), heap, 0},
		{"heap receiver, argument closed", heap, mk(false), 1},
		{"two mappings, receiver closed", mk(false), mk(false), 0},
		{"two mappings, argument closed", mk(false), mk(false), 1},
	} {
		cl := c.b
		if c.cl == 1 {
			cl = c.arg
		}
		err := pair(c.b, c.arg, cl)
		if !errors.Is(err, fs.ErrClosed) || errors.Is(err, ErrFault) {
			t.Errorf("%s: %v; want fs.ErrClosed", c.what, err)
		}
		c.b.Close()
		c.arg.Close()
	}

	// The fast path of the numeric methods on memory swapped for the
	// reservation while the state still says open (the moment between a
	// method's check and Close's mark never lasts this long): the guard
	// catches the fault; once marked closed, the state check answers.
	b := mk(false)
	if _, err := b.m.reg.retire(); err != nil {
		t.Fatal(err)
	}
	for _, call := range []func() error{
		func() error { _, err := b.ReadUint32LE(8); return err },
		func() error { _, err := b.ReadBigUint64BE(8); return err },
		func() error { _, err := b.WriteUint16BE(1, 8); return err },
		func() error { _, err := b.WriteInt8(-1, 8); return err },
		func() error { _, err := b.ReadUintLE(8, 3); return err },
	} {
		if err := call(); !errors.Is(err, ErrFault) {
			t.Errorf("on the reservation, open: %v; want ErrFault", err)
		}
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := b.ReadUint32LE(8); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("closed: %v; want fs.ErrClosed", err)
	}
}

var sinkByte byte

// BenchmarkCloseReserve measures what the reservation costs Close: open,
// touch and close a 64 KiB POSIX object, with the memory handed out by
// Bytes (Close swaps in a reservation, unmapped later by the cleanup) and
// without (Close unmaps at once).
func BenchmarkCloseReserve(b *testing.B) {
	if !KindPOSIX.Supported() {
		b.Skip("no POSIX backend in this build")
	}
	name := fmt.Sprintf("ipcbuf-test-%d-closebench", os.Getpid())
	keep, err := OpenShm(name, 64<<10, Exclusive())
	if err != nil {
		b.Fatal(err)
	}
	defer keep.Close()
	defer RemoveShm(name)
	for _, exposed := range []bool{false, true} {
		b.Run(fmt.Sprintf("exposed=%v", exposed), func(b *testing.B) {
			for b.Loop() {
				buf, err := OpenShm(name, 0)
				if err != nil {
					b.Fatal(err)
				}
				if exposed {
					buf.Bytes()[0]++
				} else {
					buf.WriteUint8(1, 0)
				}
				buf.Close()
			}
		})
	}
}
