module github.com/ipcbuf/ipcbuf/bench

go 1.24

replace github.com/ipcbuf/ipcbuf => ../
