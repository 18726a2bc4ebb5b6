package ipcbuf_test

import (
	"errors"
	"fmt"
	"log"
	"sync"

	"github.com/ipcbuf/ipcbuf"
)

// A counter that goroutines (here) or processes (with a buffer from Open)
// update under a Mutex that lives in the buffer beside it. The counter is
// read and written with plain methods: the mutex makes each update whole.
func ExampleMutex() {
	b, err := ipcbuf.Alloc(64) // ipcbuf.Open("*jobs", 64) to share it
	if err != nil {
		log.Fatal(err)
	}
	m, err := ipcbuf.NewMutex(b, 0) // bytes 0-15; zero bytes are unlocked
	if err != nil {
		log.Fatal(err)
	}
	const counter = ipcbuf.MutexSize

	// lock takes the mutex. If its last holder died mid-update, the data
	// may be half-written: check or rebuild it, then MarkConsistent, or
	// the mutex becomes unusable at Unlock.
	lock := func() error {
		err := m.Lock()
		if errors.Is(err, ipcbuf.ErrOwnerDead) {
			// The counter is a single word, always whole: nothing to repair.
			return m.MarkConsistent()
		}
		return err
	}

	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				if err := lock(); err != nil {
					log.Fatal(err)
				}
				n, _ := b.ReadUint32LE(counter)
				b.WriteUint32LE(int64(n)+1, counter)
				if err := m.Unlock(); err != nil {
					log.Fatal(err)
				}
			}
		}()
	}
	wg.Wait()
	n, _ := b.ReadUint32LE(counter)
	fmt.Println(n)
	// Output: 4000
}
