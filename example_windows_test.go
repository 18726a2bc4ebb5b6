//go:build windows

package ipcbuf_test

import (
	"fmt"
	"os"

	"github.com/ipcbuf/ipcbuf"
)

// On Windows "*name" is a named section. Its creator's buffer has the size
// asked for; a process that opens it at size 0 gets whole pages, since
// Windows keeps no exact size. The section goes when the last process that
// has it open closes it.
func Example_windowsSection() {
	name := fmt.Sprintf("example-section-%d", os.Getpid())
	b, err := ipcbuf.Open("*"+name, 100000, ipcbuf.Exclusive())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()
	b.Write("hello from the creator", 0, "")

	other, err := ipcbuf.Open("*"+name, 0, ipcbuf.OpenOnly())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer other.Close()
	s, _ := other.ToString("", 0, 22)
	fmt.Println(b.Len(), other.Len(), s)
	// Output: 100000 102400 hello from the creator
}
