//go:build cgo && linux && !ipcbuf_noposix

package ipcbuf_test

import (
	"fmt"
	"hash/crc32"
	"log"
	"os"
	"runtime"

	"github.com/ipcbuf/ipcbuf"
)

func ExampleOpen() {
	// "*name" is a POSIX shared memory object; a number would be a System V
	// key and any other string a file (see ParseTarget). The name is
	// unique to this process, and Exclusive makes sure no one else
	// prepared it.
	target := fmt.Sprintf("*example-open-%d", os.Getpid())
	writer, err := ipcbuf.Open(target, 4096, ipcbuf.Exclusive())
	if err != nil {
		log.Fatal(err)
	}
	defer ipcbuf.Remove(target) // Close does not remove the object
	defer writer.Close()

	// Any process that opens the same target shares the memory; size 0
	// takes the object's size, and OpenOnly never creates it.
	reader, err := ipcbuf.Open(target, 0, ipcbuf.OpenOnly())
	if err != nil {
		log.Fatal(err)
	}
	defer reader.Close()

	writer.WriteUint32LE(42, 0)
	writer.Write("hello", 4, "")
	n, _ := reader.ReadUint32LE(0)
	s, _ := reader.ToString("", 4, 9)
	fmt.Println(reader.Len(), n, s)
	// Output: 4096 42 hello
}

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

func ExampleBuffer_Bytes() {
	target := fmt.Sprintf("*example-bytes-%d", os.Getpid())
	b, err := ipcbuf.Open(target, 4096, ipcbuf.Exclusive())
	if err != nil {
		log.Fatal(err)
	}
	defer ipcbuf.Remove(target) // by its name: b is not needed for it

	// p is b's shared memory itself, not a copy, for code that takes a
	// []byte. The memory stays mapped only while b is reachable: the
	// garbage collector does not know that p points into b's mapping,
	// and once b is unreachable its cleanup unmaps the memory under p.
	// b has no use below (it is left to that cleanup rather than closed),
	// so runtime.KeepAlive(b) after p's last use keeps b, and the mapping,
	// alive until then. With defer b.Close() instead, b would stay
	// reachable until Close, after which p must not be touched.
	p := b.Bytes()
	n := copy(p, "written through Bytes")
	sum := crc32.ChecksumIEEE(p[:n])
	runtime.KeepAlive(b)

	// Another opener sees the bytes: they went straight to the object.
	other, err := ipcbuf.Open(target, 0, ipcbuf.OpenOnly())
	if err != nil {
		log.Fatal(err)
	}
	defer other.Close()
	s, _ := other.ToString("", 0, n)
	fmt.Println(s, sum == crc32.ChecksumIEEE([]byte(s)))
	// Output: written through Bytes true
}
