//go:build cgo && linux

/*
 * shm.c: one system call per function; see shm.h for the conventions.
 * IPCBUF_POSIX and IPCBUF_SYSV are defined by the Go files of this package
 * whose build tags keep those backends in, as the original addon used
 * __POSIX__ and __SYSV__.
 */
#define _GNU_SOURCE
#include "shm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef IPCBUF_SYSV
#include <sys/ipc.h>
#include <sys/shm.h>
#endif

int ipcbuf_open(const char *path, int flags, unsigned mode)
{
	return open(path, flags | O_CLOEXEC, (mode_t)mode);
}

int ipcbuf_close(int fd)
{
	return close(fd);
}

int ipcbuf_ftruncate(int fd, off_t size)
{
	return ftruncate(fd, size);
}

int ipcbuf_fallocate(int fd, off_t offset, off_t len)
{
	return posix_fallocate(fd, offset, len);
}

int ipcbuf_fallocate_keep(int fd, off_t offset, off_t len)
{
	return fallocate(fd, 0, offset, len);
}

int ipcbuf_fstat(int fd, struct ipcbuf_stat *out)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return -1;
	out->size = st.st_size;
	out->allocated = (off_t)st.st_blocks * 512;
	out->mode = (unsigned)st.st_mode;
	out->uid = (unsigned)st.st_uid;
	out->nlink = (unsigned long)st.st_nlink;
	out->dev = (unsigned long long)st.st_dev;
	out->ino = (unsigned long long)st.st_ino;
	return 0;
}

int ipcbuf_lstat_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st);
}

int ipcbuf_fchmod(int fd, unsigned mode)
{
	return fchmod(fd, (mode_t)mode);
}

int ipcbuf_fsync(int fd)
{
	return fsync(fd);
}

int ipcbuf_unlink(const char *path)
{
	return unlink(path);
}

int ipcbuf_rename_noreplace(const char *oldpath, const char *newpath)
{
	return renameat2(AT_FDCWD, oldpath, AT_FDCWD, newpath, RENAME_NOREPLACE);
}

void *ipcbuf_mmap(size_t len, int writable, int fd)
{
	int prot = PROT_READ | (writable ? PROT_WRITE : 0);
	void *p = mmap(NULL, len, prot, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

int ipcbuf_munmap(void *addr, size_t len)
{
	return munmap(addr, len);
}

int ipcbuf_msync(void *addr, size_t len)
{
	return msync(addr, len, MS_SYNC);
}

int ipcbuf_reserve(void *addr, size_t len)
{
	void *p = mmap(addr, len, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? -1 : 0;
}

int ipcbuf_madvise(void *addr, size_t len, int advice)
{
	return madvise(addr, len, advice);
}

#ifdef IPCBUF_POSIX
int ipcbuf_shm_open(const char *name, int flags, unsigned mode)
{
	/* glibc adds O_NOFOLLOW|O_CLOEXEC; pass O_CLOEXEC for other libcs. */
	return shm_open(name, flags | O_CLOEXEC, (mode_t)mode);
}

int ipcbuf_shm_unlink(const char *name)
{
	return shm_unlink(name);
}
#endif

#ifdef IPCBUF_SYSV
int ipcbuf_shmget(int key, size_t size, int flags)
{
	return shmget((key_t)key, size, flags);
}

void *ipcbuf_shmat(int id, int readonly)
{
	void *p = shmat(id, NULL, readonly ? SHM_RDONLY : 0);

	return p == (void *)-1 ? NULL : p;
}

int ipcbuf_shmdt(const void *addr)
{
	return shmdt(addr);
}

int ipcbuf_shm_rmid(int id)
{
	return shmctl(id, IPC_RMID, NULL);
}
#endif

/* file_id copies what identifies a file out of a statx result. */
static void file_id(const struct statx *stx, struct ipcbuf_file_id *id)
{
	id->dev_major = stx->stx_dev_major;
	id->dev_minor = stx->stx_dev_minor;
	id->ino = stx->stx_ino;
	id->mode = stx->stx_mode;
	id->has_btime = (stx->stx_mask & STATX_BTIME) != 0;
	id->btime_sec = id->has_btime ? stx->stx_btime.tv_sec : 0;
	id->btime_nsec = id->has_btime ? stx->stx_btime.tv_nsec : 0;
}

#define IPCBUF_STATX_MASK (STATX_TYPE | STATX_MODE | STATX_INO | STATX_BTIME)

int ipcbuf_fstatx_id(int fd, struct ipcbuf_file_id *id)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH, IPCBUF_STATX_MASK, &stx) != 0)
		return -1;
	file_id(&stx, id);
	return 0;
}

int ipcbuf_lstatx_id(const char *path, struct ipcbuf_file_id *id)
{
	struct statx stx;

	if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, IPCBUF_STATX_MASK, &stx) != 0)
		return -1;
	file_id(&stx, id);
	return 0;
}

#ifdef IPCBUF_SYSV
int ipcbuf_shm_ident(int id, struct ipcbuf_shm_ident *out)
{
	struct shmid_ds ds;

	if (shmctl(id, IPC_STAT, &ds) != 0)
		return -1;
	out->key = ds.shm_perm.__key;
	out->cuid = ds.shm_perm.cuid;
	out->cpid = ds.shm_cpid;
	out->ctime = ds.shm_ctime;
	out->size = ds.shm_segsz;
	return 0;
}
#endif
