//go:build cgo && !windows && !ipcbuf_noposix

package ipcbuf_test

import (
	"fmt"
	"log"
	"os"

	"github.com/ipcbuf/ipcbuf"
)

// A queue of messages between processes, in a POSIX shared memory object.
// One process creates the ring; any process that opens the same target
// and the ring in it can send and receive. Here the second process is a
// second open in this one.
func ExampleRing() {
	// A name unique to this process, created exclusively: no one else can
	// have prepared it.
	target := fmt.Sprintf("*example-ring-%d", os.Getpid())
	b, err := ipcbuf.Open(target, ipcbuf.RingSize(4096), ipcbuf.Exclusive())
	if err != nil {
		log.Fatal(err)
	}
	defer ipcbuf.Remove(target) // Close does not remove the object
	defer b.Close()
	producer, err := ipcbuf.CreateRing(b) // once, before others open it
	if err != nil {
		log.Fatal(err)
	}
	defer producer.Close()

	// The other process: open the object, then the ring in it.
	other, err := ipcbuf.Open(target, 0, ipcbuf.OpenOnly())
	if err != nil {
		log.Fatal(err)
	}
	defer other.Close()
	consumer, err := ipcbuf.OpenRing(other)
	if err != nil {
		log.Fatal(err)
	}
	defer consumer.Close()

	for _, msg := range []string{"hello", "world"} {
		if err := producer.Send([]byte(msg)); err != nil {
			log.Fatal(err)
		}
	}
	buf := make([]byte, consumer.MaxMessage())
	for range 2 {
		n, err := consumer.Recv(buf) // waits until a message is there
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(string(buf[:n]))
	}
	// Output:
	// hello
	// world
}

// Sending and receiving without copying: Reserve hands out the message's
// place in the ring to fill, Peek the received message in place. A
// memory buffer here; a buffer from Open shares the ring between
// processes the same way.
func ExampleRing_Reserve() {
	b, err := ipcbuf.Alloc(ipcbuf.RingSize(1024))
	if err != nil {
		log.Fatal(err)
	}
	r, err := ipcbuf.CreateRing(b)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()

	v, err := r.Reserve(len("built in place"))
	if err != nil {
		log.Fatal(err)
	}
	copy(v.Bytes(), "built in place")  // or encode straight into v.Bytes()
	if err := v.Commit(); err != nil { // Abort would drop it instead
		log.Fatal(err)
	}

	m, err := r.Peek()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s (%d bytes)\n", m.Bytes(), len(m.Bytes()))
	if err := m.Release(); err != nil { // its room goes back to the producers
		log.Fatal(err)
	}
	// Output: built in place (14 bytes)
}
