//go:build cgo && linux

package ipcbuf_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/ipcbuf/ipcbuf"
)

func ExampleOpenFile() {
	dir, err := os.MkdirTemp("", "ipcbuf-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "greeting.txt")
	os.WriteFile(path, []byte("hello, file"), 0o644)

	// Size 0: map the file as it is.
	b, err := ipcbuf.OpenFile(path, 0)
	if err != nil {
		log.Fatal(err)
	}
	s, _ := b.ToString("", 0, b.Len())
	fmt.Println(s)
	b.Write("HELLO", 0, "")
	b.Close() // syncs: the file now holds the write

	data, _ := os.ReadFile(path)
	fmt.Println(string(data))
	// Output:
	// hello, file
	// HELLO, file
}
