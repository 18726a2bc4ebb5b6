module github.com/ipcbuf/ipcbuf

go 1.24.0

require (
	github.com/frankban/quicktest v1.14.6
	github.com/google/go-cmp v0.7.0
	golang.org/x/sys v0.40.0
)

require (
	github.com/kr/pretty v0.3.1 // indirect
	github.com/kr/text v0.2.0 // indirect
	github.com/rogpeppe/go-internal v1.9.0 // indirect
)
