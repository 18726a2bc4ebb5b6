package ipcbuf

// SemEINTRs counts the named semaphores' waits that a signal interrupted
// and that were retried.
var SemEINTRs = &semEINTRs
