module github.com/ipcbuf/ipcbuf

go 1.24
