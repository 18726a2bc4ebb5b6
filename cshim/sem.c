//go:build cgo && linux

/*
 * sem.c: semaphores, one system call per function; see shm.h for the
 * conventions. POSIX named semaphores (sem_open and kin) when IPCBUF_POSIX
 * is defined, System V semaphore sets of one (semget, semop, semctl) when
 * IPCBUF_SYSV is.
 */
#define _GNU_SOURCE
#include "shm.h"

#include <errno.h>
#include <fcntl.h>
#include <time.h>

#ifdef IPCBUF_POSIX
#include <semaphore.h>

sem_t *ipcbuf_sem_open(const char *name, int flags, unsigned mode, unsigned value)
{
	sem_t *s = sem_open(name, flags, (mode_t)mode, value);

	return s == SEM_FAILED ? NULL : s;
}

int ipcbuf_sem_close(sem_t *s)
{
	return sem_close(s);
}

int ipcbuf_sem_unlink(const char *name)
{
	return sem_unlink(name);
}

int ipcbuf_sem_post(sem_t *s)
{
	return sem_post(s);
}

int ipcbuf_sem_trywait(sem_t *s)
{
	return sem_trywait(s);
}

int ipcbuf_sem_clockwait(sem_t *s, long long deadline_ns)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(deadline_ns / 1000000000);
	ts.tv_nsec = (long)(deadline_ns % 1000000000);
	return sem_clockwait(s, CLOCK_MONOTONIC, &ts);
}

int ipcbuf_sem_getvalue(sem_t *s, int *value)
{
	return sem_getvalue(s, value);
}

int ipcbuf_clock_monotonic(long long *ns)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return -1;
	*ns = (long long)ts.tv_sec * 1000000000 + ts.tv_nsec;
	return 0;
}
#endif

#ifdef IPCBUF_SYSV
#include <sys/ipc.h>
#include <sys/sem.h>

/* The caller defines union semun (semctl(2)); glibc does not. */
union ipcbuf_semun {
	int val;
	struct semid_ds *buf;
};

int ipcbuf_semget(int key, int nsems, int flags)
{
	return semget((key_t)key, nsems, flags);
}

int ipcbuf_semop(int id, int op, int flags)
{
	struct sembuf sb;

	sb.sem_num = 0;
	sb.sem_op = (short)op;
	sb.sem_flg = (short)flags;
	return semop(id, &sb, 1);
}

int ipcbuf_semtimedop(int id, int op, int flags, long long timeout_ns)
{
	struct sembuf sb;
	struct timespec ts;

	sb.sem_num = 0;
	sb.sem_op = (short)op;
	sb.sem_flg = (short)flags;
	ts.tv_sec = (time_t)(timeout_ns / 1000000000);
	ts.tv_nsec = (long)(timeout_ns % 1000000000);
	return semtimedop(id, &sb, 1, &ts);
}

int ipcbuf_sem_getval(int id)
{
	return semctl(id, 0, GETVAL);
}

int ipcbuf_sem_getpid(int id)
{
	return semctl(id, 0, GETPID);
}

int ipcbuf_sem_getncnt(int id)
{
	return semctl(id, 0, GETNCNT);
}

int ipcbuf_sem_stat(int id, struct ipcbuf_sem_info *info)
{
	struct semid_ds ds;
	union ipcbuf_semun arg;

	arg.buf = &ds;
	if (semctl(id, 0, IPC_STAT, arg) != 0)
		return -1;
	info->key = (int)ds.sem_perm.__key;
	info->mode = (unsigned)ds.sem_perm.mode & 0777;
	info->nsems = (unsigned long)ds.sem_nsems;
	info->otime = (long long)ds.sem_otime;
	info->ctime = (long long)ds.sem_ctime;
	return 0;
}

int ipcbuf_sem_rmid(int id)
{
	return semctl(id, 0, IPC_RMID);
}
#endif
