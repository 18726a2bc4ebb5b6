//go:build cgo && linux && !ipcbuf_noposix

package ipcbuf_test

import (
	"fmt"
	"log"
	"os"
	"sync"

	"github.com/ipcbuf/ipcbuf"
)

func ExampleBuffer_AddUint64() {
	name := fmt.Sprintf("example-counter-%d", os.Getpid())
	b, err := ipcbuf.OpenShm(name, 4096, ipcbuf.Exclusive())
	if err != nil {
		log.Fatal(err)
	}
	defer ipcbuf.RemoveShm(name)
	defer b.Close()

	// Four goroutines here; processes that open *name would do the same.
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				if _, err := b.AddUint64(0, 1); err != nil {
					log.Fatal(err)
				}
			}
		}()
	}
	wg.Wait()
	n, _ := b.LoadUint64(0)
	fmt.Println(n)

	// CompareAndSwap claims a word once: only the first claim wins.
	won, _ := b.CompareAndSwapUint32(8, 0, uint32(os.Getpid()))
	again, _ := b.CompareAndSwapUint32(8, 0, 1)
	fmt.Println(won, again)
	// Output:
	// 4000
	// true false
}

func ExampleBuffer_Wait() {
	name := fmt.Sprintf("example-flag-%d", os.Getpid())
	b, err := ipcbuf.OpenShm(name, 4096, ipcbuf.Exclusive())
	if err != nil {
		log.Fatal(err)
	}
	defer ipcbuf.RemoveShm(name)
	defer b.Close()

	// The producer (a goroutine here, any process that opens *name in
	// general) writes its result, sets the flag word at 0, and wakes.
	go func() {
		b.Write("ready", 64, "")
		b.StoreUint32(0, 1)
		b.WakeAll(0)
	}()

	// The consumer sleeps while the flag is 0. A wake-up may be spurious,
	// so it looks at the flag again each time.
	for {
		flag, err := b.LoadUint32(0)
		if err != nil {
			log.Fatal(err)
		}
		if flag == 1 {
			break
		}
		if err := b.Wait(0, flag); err != nil {
			log.Fatal(err)
		}
	}
	s, _ := b.ToString("", 64, 69)
	fmt.Println(s)
	// Output: ready
}

func ExampleNewSemaphore() {
	name := fmt.Sprintf("example-jobs-%d", os.Getpid())
	b, err := ipcbuf.OpenShm(name, 4096, ipcbuf.Exclusive())
	if err != nil {
		log.Fatal(err)
	}
	defer ipcbuf.RemoveShm(name)
	defer b.Close()

	// A new object is zero bytes: a semaphore with count 0 at offset 0.
	// Every process that opens *name calls NewSemaphore(b, 0) too.
	jobs, err := ipcbuf.NewSemaphore(b, 0)
	if err != nil {
		log.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		for range 3 {
			if err := jobs.Wait(); err != nil { // sleeps until a Post
				log.Fatal(err)
			}
		}
		close(done)
	}()
	for range 3 {
		jobs.Post()
	}
	<-done
	ok, _ := jobs.TryWait()
	fmt.Println(jobs.Name() == "*"+name+"@0", ok)
	// Output: true false
}
