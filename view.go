package ipcbuf

import (
	"reflect"
	"unsafe"
)

// Number is the element types of a typed View: Go's fixed-size integers and
// floats, and types whose underlying type is one of them.
type Number interface {
	~int8 | ~uint8 | ~int16 | ~uint16 | ~int32 | ~uint32 | ~int64 | ~uint64 | ~float32 | ~float64
}

// View returns b's memory itself as a []T, not a copy, like a JavaScript
// typed array over the Buffer's ArrayBuffer: element i is the bytes
// i*size..(i+1)*size-1 of b, read in the machine's byte order, and a write
// through the slice is seen by every process sharing the object, at once.
// An empty b gives a nil slice and no error.
//
// b.Len() must be a multiple of T's size, or View returns an *Error with
// Code "ERR_INVALID_BUFFER_SIZE". The first byte of b must be aligned for T
// (its address a multiple of T's alignment), or View returns an error
// matching fs.ErrInvalid that names the offset. Shared memory is mapped at a
// page boundary, so a whole shared buffer, or a Slice of it starting at a
// multiple of T's size, is always aligned. A buffer from Alloc whose length
// is a multiple of T's size is aligned too, by the way Go's allocator works
// today rather than by a promise of the language. A closed b gives an error
// matching fs.ErrClosed, and a nil or zero b an *Error with Code
// "ERR_INVALID_ARG_TYPE".
//
// The slice follows the same rules as the one from Bytes. It is valid until
// Close is called on b or on any buffer sharing its memory, and only while
// one of those buffers is reachable: the garbage collector does not know
// that the slice points into the mapping, so after the last use of the slice
// keep b alive with runtime.KeepAlive(b). Past that point the slice may
// fault or see other memory. Writing through the view of a read-only buffer
// faults. Access through the slice is not guarded: if another process
// truncates the file or object, touching the lost pages raises SIGBUS.
// Concurrent access from several goroutines or processes needs your own
// synchronisation, as for Bytes.
func View[T Number](b *Buffer) ([]T, error) {
	var zero T
	size, align := int(unsafe.Sizeof(zero)), uintptr(unsafe.Alignof(zero))
	if b == nil || b.m == nil {
		return nil, errViewBuffer(b)
	}
	mem, l, err := b.acquire("view", false)
	if err != nil {
		return nil, err
	}
	defer l.release(nil)
	if b.m.reg != nil {
		b.m.reg.exposed.Store(true) // writes through it are unseen: every flush must msync
	}
	name := reflect.TypeFor[T]().String()
	if len(mem)%size != 0 {
		return nil, errViewSize(len(mem), name, size)
	}
	if len(mem) == 0 {
		return nil, nil
	}
	p := unsafe.Pointer(unsafe.SliceData(mem))
	if mis := uintptr(p) % align; mis != 0 {
		return nil, b.pathError("view", invalid(
			"cannot view as []%s: the buffer starts at address %#x (byte %d of its mapping), which is not a multiple of %d, the alignment of %s; take a Slice that starts %d bytes earlier or %d bytes later, or copy the bytes into an aligned buffer",
			name, uintptr(p), b.off, align, name, mis, align-mis))
	}
	return unsafe.Slice((*T)(p), len(mem)/size), nil
}
