//go:build cgo && linux && !ipcbuf_nosysv

package ipcbuf_test

import (
	"fmt"
	"log"
	"os"

	"github.com/ipcbuf/ipcbuf"
)

func ExampleOpenSysV() {
	key := 0x1b000000 | os.Getpid()&0xffffff
	b, err := ipcbuf.OpenSysV(key, 1024, ipcbuf.Exclusive(), ipcbuf.Mode(0o640))
	if err != nil {
		log.Fatal(err)
	}
	defer ipcbuf.RemoveSysV(key) // segments outlive every process otherwise
	defer b.Close()
	b.Write("System V", 0, "")

	// Size 0 attaches at the segment's real size.
	again, err := ipcbuf.OpenSysV(key, 0)
	if err != nil {
		log.Fatal(err)
	}
	defer again.Close()
	s, _ := again.ToString("", 0, 8)
	fmt.Println(again.Len(), s)
	// Output: 1024 System V
}
