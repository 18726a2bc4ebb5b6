//go:build asan

package ipcbuf

// asanEnabled is set when the tests are built with -asan (make
// test-sanitize), under which the compiler makes every *T -> unsafe.Pointer
// conversion escape and the runtime turns off its tiny allocator: the
// allocation counts the tests pin do not hold there.
const asanEnabled = true
