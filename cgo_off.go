//go:build !cgo

package ipcbuf

const cgoEnabled = false
