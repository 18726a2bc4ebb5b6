package ipcbuf

// What the Mutex needs on Windows with or without cgo.

// mutexNamedObject says that Mutex is built on a named object of the
// system rather than on the futex: mutex.go's methods hand over to the
// ...Named ones (mutex_windows.go; without cgo, mutex_windows_nocgo.go).
const mutexNamedObject = true

// Neither is asked on Windows: the Win32 mutex knows its owner's thread,
// and tells of its death itself.

func mutexStartTime() uint64 { return 0 }

func mutexOwnerAlive(pid, ticket uint32) bool { return true }
