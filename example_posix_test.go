//go:build cgo && !ipcbuf_noposix

package ipcbuf_test

import (
	"fmt"
	"log"
	"os"

	"github.com/ipcbuf/ipcbuf"
)

func ExampleOpenShm() {
	// A name unique to this process, created exclusively: no one else can
	// have prepared it.
	name := fmt.Sprintf("example-%d", os.Getpid())
	b, err := ipcbuf.OpenShm(name, 4096, ipcbuf.Exclusive())
	if err != nil {
		log.Fatal(err)
	}
	defer ipcbuf.RemoveShm(name) // closing does not remove the object
	defer b.Close()
	b.Write("shared with any process that opens *"+name, 0, "")

	// Another process (here, another open) sees the same bytes.
	other, err := ipcbuf.OpenShm(name, 0, ipcbuf.ReadOnly())
	if err != nil {
		log.Fatal(err)
	}
	defer other.Close()
	s, _ := other.ToString("", 0, 6)
	fmt.Println(other.Len(), s)
	// Output: 4096 shared
}

func ExampleCreateShmTemp() {
	// A new object under a random name that no one can have prepared.
	b, err := ipcbuf.CreateShmTemp("example-*.buf", 4096)
	if err != nil {
		log.Fatal(err)
	}
	defer b.Remove()
	defer b.Close()
	// Hand b.Name() to the processes that should open it.
	fmt.Println(b.Kind(), b.Len(), b.Name()[:9])
	// Output: posix 4096 *example-
}
