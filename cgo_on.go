//go:build cgo

package ipcbuf

const cgoEnabled = true
