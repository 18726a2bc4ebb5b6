package ipcbuf

// This file holds the functions that make memory buffers, as Node's static
// Buffer functions do.

// Alloc returns a buffer of size zero bytes in this process's memory, like
// Node's Buffer.alloc(size).
func Alloc(size int) (*Buffer, error) {
	if size < 0 || uint64(size) > maxSize {
		return nil, nodeError("ERR_OUT_OF_RANGE", "The value of \"size\" is out of range. It must be >= 0 && <= %d. Received %d", maxSize, size)
	}
	m := &mapping{kind: KindMemory, data: make([]byte, size)}
	return &Buffer{m: m, n: size}, nil
}
