/*
 * shm.h: the C layer of ipcbuf.
 *
 * Every function wraps exactly one system call. It returns 0 (or the
 * descriptor / identifier the call yields) on success and -1 on failure with
 * errno set, except ipcbuf_fallocate, which returns posix_fallocate's error
 * code because posix_fallocate does not set errno. No function copies bytes:
 * all access to mapped memory happens in Go, where faults can be recovered.
 */
#ifndef IPCBUF_SHM_H
#define IPCBUF_SHM_H

#include <stddef.h>
#include <sys/mman.h>
#include <sys/types.h>

/* glibc before 2.35 lacks the names of Linux 5.14's advice; the kernel
   answers EINVAL where it lacks the advice itself. */
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* Descriptors: every open passes O_CLOEXEC so no child inherits them. */
int ipcbuf_open(const char *path, int flags, unsigned mode);
int ipcbuf_close(int fd);
int ipcbuf_ftruncate(int fd, off_t size);
int ipcbuf_fallocate(int fd, off_t offset, off_t len);
int ipcbuf_fallocate_keep(int fd, off_t offset, off_t len);
/* What ipcbuf_fstat reports of a descriptor's file: st_mode whole (type
   and permission bits), allocated is st_blocks * 512. */
struct ipcbuf_stat {
	off_t size, allocated;
	unsigned mode, uid;
	unsigned long nlink;
	unsigned long long dev, ino;
};
int ipcbuf_fstat(int fd, struct ipcbuf_stat *st);
/* lstat(2) for whether path names anything (a symlink is not followed). */
int ipcbuf_lstat_exists(const char *path);
int ipcbuf_fchmod(int fd, unsigned mode);
int ipcbuf_fsync(int fd);
int ipcbuf_unlink(const char *path);
/* renameat2(2) with RENAME_NOREPLACE: moves oldpath to newpath in one
   atomic step, failing with EEXIST if newpath exists (whatever it is; a
   symlink there is not followed). */
int ipcbuf_rename_noreplace(const char *oldpath, const char *newpath);

/* Mappings. */
void *ipcbuf_mmap(size_t len, int writable, int fd);
int ipcbuf_munmap(void *addr, size_t len);
int ipcbuf_msync(void *addr, size_t len);
/* Replaces the mapping at addr with inaccessible address space (MAP_FIXED),
   releasing the object it mapped while keeping the addresses taken. */
int ipcbuf_reserve(void *addr, size_t len);
/* madvise(2): ipcbuf passes MADV_POPULATE_READ, MADV_POPULATE_WRITE (Linux
   5.14) and MADV_HUGEPAGE. */
int ipcbuf_madvise(void *addr, size_t len, int advice);

#ifdef IPCBUF_POSIX
/* POSIX shared memory objects; name starts with '/'. */
int ipcbuf_shm_open(const char *name, int flags, unsigned mode);
int ipcbuf_shm_unlink(const char *name);

/* POSIX named semaphores (sem.c); name starts with '/'. ipcbuf_sem_open
   returns NULL, not SEM_FAILED, on failure. ipcbuf_sem_clockwait's deadline
   is on CLOCK_MONOTONIC, in nanoseconds, as ipcbuf_clock_monotonic reads
   it. */
#include <semaphore.h>
sem_t *ipcbuf_sem_open(const char *name, int flags, unsigned mode, unsigned value);
int ipcbuf_sem_close(sem_t *s);
int ipcbuf_sem_unlink(const char *name);
int ipcbuf_sem_post(sem_t *s);
int ipcbuf_sem_trywait(sem_t *s);
int ipcbuf_sem_clockwait(sem_t *s, long long deadline_ns);
int ipcbuf_sem_getvalue(sem_t *s, int *value);
int ipcbuf_clock_monotonic(long long *ns);
#endif

#ifdef IPCBUF_SYSV
/* System V shared memory segments. */
int ipcbuf_shmget(int key, size_t size, int flags);
void *ipcbuf_shmat(int id, int readonly);
int ipcbuf_shmdt(const void *addr);
int ipcbuf_shm_rmid(int id);

/* System V semaphore sets of one (sem.c): ipcbuf_semop and
   ipcbuf_semtimedop apply op to semaphore 0 (the timeout is relative, in
   nanoseconds); ipcbuf_sem_getval, _getpid and _getncnt return semctl's
   GETVAL, GETPID and GETNCNT. */
struct ipcbuf_sem_info {
	int key;
	unsigned mode;
	unsigned long nsems;
	long long otime, ctime;
};
int ipcbuf_semget(int key, int nsems, int flags);
int ipcbuf_semop(int id, int op, int flags);
int ipcbuf_semtimedop(int id, int op, int flags, long long timeout_ns);
int ipcbuf_sem_getval(int id);
int ipcbuf_sem_getpid(int id);
int ipcbuf_sem_getncnt(int id);
int ipcbuf_sem_stat(int id, struct ipcbuf_sem_info *info);
int ipcbuf_sem_rmid(int id);
#endif

/* The identity of a file or POSIX object, from statx: what tells one
   object from another that later took its name. */
struct ipcbuf_file_id {
	unsigned long long dev_major, dev_minor, ino;
	long long btime_sec;	/* birth time, if has_btime */
	unsigned btime_nsec;
	unsigned mode;		/* file type and permission bits */
	int has_btime;		/* the file system records birth times */
};
/* The file open at fd. */
int ipcbuf_fstatx_id(int fd, struct ipcbuf_file_id *id);
/* What path names, not following a symbolic link at its end. */
int ipcbuf_lstatx_id(const char *path, struct ipcbuf_file_id *id);

#ifdef IPCBUF_SYSV
/* The identity of a System V segment, from IPC_STAT: what tells it from a
   later segment given the same identifier. */
struct ipcbuf_shm_ident {
	int key;
	unsigned cuid;
	int cpid;
	long long ctime;
	size_t size;
};
int ipcbuf_shm_ident(int id, struct ipcbuf_shm_ident *out);
#endif

#endif
