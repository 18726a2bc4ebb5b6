//go:build cgo && linux && !ipcbuf_noposix

package ipcbuf_test

import (
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/ipcbuf/ipcbuf"
)

func ExampleOpenSemaphore() {
	// A POSIX named semaphore, "*name", which C programs open with
	// sem_open("/name", 0). A System V key instead ("4660", "0x1234")
	// gives a set that ipcs -s lists and Python's sysv_ipc opens.
	target := fmt.Sprintf("*example-sem-%d", os.Getpid())
	sem, err := ipcbuf.OpenSemaphore(target, 1, ipcbuf.Exclusive())
	if err != nil {
		log.Fatal(err)
	}
	defer ipcbuf.RemoveSemaphore(target) // it outlives every process otherwise
	defer sem.Close()

	// Any process that opens target shares the count.
	other, err := ipcbuf.OpenSemaphore(target, 0, ipcbuf.OpenOnly())
	if err != nil {
		log.Fatal(err)
	}
	defer other.Close()
	if err := other.Wait(); err != nil { // takes the one unit
		log.Fatal(err)
	}
	err = sem.WaitTimeout(10 * time.Millisecond) // none left
	fmt.Println("timed out:", errors.Is(err, ipcbuf.ErrTimeout))
	sem.Post()
	v, _ := other.Value()
	fmt.Println("value", v)
	// Output:
	// timed out: true
	// value 1
}
