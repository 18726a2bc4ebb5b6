module github.com/ipcbuf/ipcbuf/bench

go 1.26.0

replace github.com/ipcbuf/ipcbuf => ../

require (
	github.com/edsrzf/mmap-go v1.2.0
	github.com/ipcbuf/ipcbuf v0.0.0-00010101000000-000000000000
	golang.org/x/sys v0.50.0
)
