package ipcbuf_test

import (
	"errors"
	"fmt"
	"io/fs"
	"log"

	"github.com/ipcbuf/ipcbuf"
)

func ExampleAlloc() {
	b, err := ipcbuf.Alloc(5)
	if err != nil {
		log.Fatal(err)
	}
	n, _ := b.Write("héllo", 0, ipcbuf.UTF8) // only whole characters fit
	s, _ := b.ToString(ipcbuf.Hex, 0, b.Len())
	fmt.Println(n, s)
	// Output: 5 68c3a96c6c
}

func ExampleParseTarget() {
	// The one-line targets of Open and Remove: "*name" for POSIX shared
	// memory, a number for a System V key, anything else for a file.
	for _, target := range []string{"*jobs", "0x1234", "4660", "./4660", "/var/lib/app/state"} {
		kind, _, _, err := ipcbuf.ParseTarget(target)
		fmt.Println(target, kind, err)
	}
	// Output:
	// *jobs posix <nil>
	// 0x1234 sysv <nil>
	// 4660 sysv <nil>
	// ./4660 file <nil>
	// /var/lib/app/state file <nil>
}

func ExampleBuffer_Slice() {
	b, _ := ipcbuf.Alloc(8)
	view := b.Slice(-4, 8) // the last four bytes, sharing b's memory
	view.Write("tail", 0, "")
	s, _ := b.ToString("", 0, 8)
	fmt.Printf("%q\n", s)
	// Output: "\x00\x00\x00\x00tail"
}

func ExampleError() {
	b, _ := ipcbuf.Alloc(4)
	n, _ := b.WriteUint16BE(0xbeef, 1) // returns offset + 2, as in Node
	_, err := b.WriteUint8(256, 0)     // Node throws here; Go returns the same code
	var nerr *ipcbuf.Error
	if errors.As(err, &nerr) {
		fmt.Println(n, nerr.Code, errors.Is(err, ipcbuf.ErrOutOfRange))
	}
	fmt.Println(b)
	// Output:
	// 3 ERR_OUT_OF_RANGE true
	// <Buffer 00 be ef 00>
}

func ExampleView() {
	b, err := ipcbuf.Alloc(16)
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	// Four uint32 in b's memory, in the machine's byte order: for counters
	// and flags that processes share, not for data with a fixed layout
	// (use the ReadUint32LE family for those).
	counters, err := ipcbuf.View[uint32](b)
	if err != nil {
		log.Fatal(err)
	}
	counters[0] = 7
	counters[3]++
	fmt.Println(len(counters), counters[0], counters[3])

	// The same bytes through a view at an aligned offset.
	tail, err := ipcbuf.View[uint32](b.Slice(12, 16))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tail[0])

	// A view must start at an address aligned for its type.
	_, err = ipcbuf.View[uint32](b.Slice(1, 5))
	fmt.Println(errors.Is(err, fs.ErrInvalid))
	// Output:
	// 4 7 1
	// 1
	// true
}
