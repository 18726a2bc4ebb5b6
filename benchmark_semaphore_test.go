package ipcbuf_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/ipcbuf/ipcbuf"
)

// BenchmarkNamedSemaphorePostTryWait: one uncontended Post and TryWait per
// op on each kind of named semaphore this build has:
//
//	go test -run '^$' -bench BenchmarkNamedSemaphorePostTryWait .
func BenchmarkNamedSemaphorePostTryWait(b *testing.B) {
	pid := os.Getpid()
	targets := map[ipcbuf.Kind]string{
		ipcbuf.KindPOSIX: fmt.Sprintf("*%sbench-sem", testPrefix),
		ipcbuf.KindSysV:  fmt.Sprint(0x6c000000 | (pid&0xffff)<<8),
	}
	for _, kind := range []ipcbuf.Kind{ipcbuf.KindPOSIX, ipcbuf.KindSysV} {
		b.Run(kind.String(), func(b *testing.B) {
			if !kind.Supported() {
				b.Skipf("this build leaves %s out", kind)
			}
			s, err := ipcbuf.OpenSemaphore(targets[kind], 0, ipcbuf.Exclusive())
			if err != nil {
				b.Fatal(err)
			}
			defer s.Remove()
			defer s.Close()
			for b.Loop() {
				if err := s.Post(); err != nil {
					b.Fatal(err)
				}
				if ok, err := s.TryWait(); !ok || err != nil {
					b.Fatal(ok, err)
				}
			}
		})
	}
}
