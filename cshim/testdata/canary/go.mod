module ipcbuf.test/sanitizecanary

go 1.24
