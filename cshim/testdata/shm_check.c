/*
 * shm_check.c: a stand-alone test of the C shim, built by sanitize.sh under
 * AddressSanitizer + UndefinedBehaviorSanitizer and again for valgrind.
 *
 * It includes ../shm.c and ../sem.c itself, with both backends in, and calls every shim
 * function on its success and failure paths, checking results and errno.
 * Every check that fails prints a line starting with "FAIL"; with -v the
 * ones that pass are printed too. The last line is "N passed, N failed" and
 * the exit status is 0 only when nothing failed. With --leak-probe it only
 * leaks a block, which LeakSanitizer and valgrind must report.
 *
 * Everything it creates is named after its pid: the directory
 * $TMPDIR/ipcbuf-check-<pid>-XXXXXX, the POSIX objects and named
 * semaphores /ipcbuf-check-<pid>-<n> (a semaphore's file is
 * /dev/shm/sem.ipcbuf-check-<pid>-<n>), System V segments (whose creator
 * pid ipcs -p shows) and semaphore sets. It removes them at the end, and also when it dies on a signal or a
 * sanitizer report; sanitize.sh checks afterwards that nothing is left.
 */
#ifndef IPCBUF_POSIX
#define IPCBUF_POSIX 1
#endif
#ifndef IPCBUF_SYSV
#define IPCBUF_SYSV 1
#endif
#include "../shm.c"
#include "../sem.c"

#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/common_interface_defs.h>
#endif

/* ---- results ---- */

static int passed, failed, verbose;

static void check(int ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		passed++;
	else
		failed++;
	if (ok && !verbose)
		return;
	fputs(ok ? "ok   " : "FAIL ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static const char *errname(int e)
{
	static char buf[32];

	switch (e) {
	case 0: return "0";
	case EACCES: return "EACCES";
	case EAGAIN: return "EAGAIN";
	case EOVERFLOW: return "EOVERFLOW";
	case ERANGE: return "ERANGE";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EBADF: return "EBADF";
	case EEXIST: return "EEXIST";
	case EFBIG: return "EFBIG";
	case EIDRM: return "EIDRM";
	case EINVAL: return "EINVAL";
	case ENODEV: return "ENODEV";
	case ENOENT: return "ENOENT";
	case ENOMEM: return "ENOMEM";
	case ENOSPC: return "ENOSPC";
	case EPERM: return "EPERM";
	}
	snprintf(buf, sizeof buf, "errno %d", e);
	return buf;
}

/* A call that must succeed: returns 0 (or, with ge0, any value >= 0). */
#define OK(call) ok_((call), 0, #call)
#define OK_GE0(call) ok_((call), 1, #call)
static long ok_(long r, int ge0, const char *what)
{
	int e = errno;

	check(ge0 ? r >= 0 : r == 0, "%s = %ld (%s)", what, r,
	      (ge0 ? r >= 0 : r == 0) ? "ok" : errname(e));
	return r;
}

/* A call that must fail: -1, or NULL for the pointer-returning ones, with
 * errno set to want. errno is cleared first so a stale value cannot pass. */
#define FAILS(call, want) (errno = 0, fails_((call) == -1, #call, (want)))
#define FAILS_NULL(call, want) (errno = 0, fails_((call) == NULL, #call, (want)))
static void fails_(int failed_, const char *what, int want)
{
	int e = errno;

	check(failed_ && e == want, "%s fails with %s (got %s, %s)", what,
	      errname(want), failed_ ? "failure" : "success", errname(e));
}

/* ---- what we created, removed at the end or on a crash ---- */

#define MAXRES 16
#define FILEMAX (PATH_MAX + 32) /* a name in tmpdir */
static char tmpdir[PATH_MAX];
static char files[MAXRES][FILEMAX];
static char shmnames[MAXRES][NAME_MAX];
static int shmids[MAXRES];
static char semnames[MAXRES][NAME_MAX];
static int semids[MAXRES];
static int nfiles, nshm, nids, nsemnames, nsemids;

static void track_file(const char *path)
{
	if (nfiles < MAXRES)
		snprintf(files[nfiles++], FILEMAX, "%s", path);
}

static void track_shm(const char *name)
{
	if (nshm < MAXRES)
		snprintf(shmnames[nshm++], NAME_MAX, "%s", name);
}

static void track_id(int id)
{
	if (id >= 0 && nids < MAXRES)
		shmids[nids++] = id;
}

static void track_sem(const char *name)
{
	if (nsemnames < MAXRES)
		snprintf(semnames[nsemnames++], NAME_MAX, "%s", name);
}

static void track_semid(int id)
{
	if (id >= 0 && nsemids < MAXRES)
		semids[nsemids++] = id;
}

static void forget_semid(int id)
{
	int i;

	for (i = 0; i < nsemids; i++)
		if (semids[i] == id)
			semids[i] = -1;
}

/* Called once id is removed: its number may be reused for another segment. */
static void forget_id(int id)
{
	int i;

	for (i = 0; i < nids; i++)
		if (shmids[i] == id)
			shmids[i] = -1;
}

/* Removes everything tracked; only system calls, so it may run in a signal
 * handler and may run twice. */
static void remove_all(void)
{
	int i, saved = errno;

	for (i = 0; i < nfiles; i++)
		unlink(files[i]);
	for (i = 0; i < nshm; i++)
		shm_unlink(shmnames[i]);
	for (i = 0; i < nids; i++)
		if (shmids[i] >= 0)
			shmctl(shmids[i], IPC_RMID, NULL);
	for (i = 0; i < nsemnames; i++)
		sem_unlink(semnames[i]);
	for (i = 0; i < nsemids; i++)
		if (semids[i] >= 0)
			semctl(semids[i], 0, IPC_RMID);
	if (tmpdir[0])
		rmdir(tmpdir);
	errno = saved;
}

static void on_signal(int sig)
{
	remove_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_cleanup(void)
{
	/* ASan reports SIGSEGV and SIGBUS itself, so those stay with it. A
	 * sanitizer that stops the run calls ASan's death callback, then
	 * aborts with abort_on_error=1 or _exits without. gcc links UBSan's
	 * runtime apart from ASan's, and UBSan's halt never calls this
	 * callback: sanitize.sh sets abort_on_error=1 for UBSan too, so that
	 * SIGABRT brings it here. */
	static const int sigs[] = {
		SIGABRT, SIGINT, SIGTERM, SIGHUP,
#ifndef __SANITIZE_ADDRESS__
		SIGSEGV, SIGBUS, SIGFPE, SIGILL,
#endif
	};
	size_t i;

	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		signal(sigs[i], on_signal);
#ifdef __SANITIZE_ADDRESS__
	__sanitizer_set_death_callback(remove_all);
#endif
}

/* ---- helpers ---- */

static size_t page;
static off_t allocated; /* fstat_size's second result */

/* fstat_size gives the size and the storage of fd's file through
 * ipcbuf_fstat; on failure it leaves *size and *alloc alone. */
static int fstat_size(int fd, off_t *size, off_t *alloc)
{
	struct ipcbuf_stat st;

	if (ipcbuf_fstat(fd, &st) != 0)
		return -1;
	*size = st.size;
	*alloc = st.allocated;
	return 0;
}

/* shm_size gives segment id's size through ipcbuf_shm_ident; on failure
 * it leaves *size alone. */
static int shm_size(int id, size_t *size)
{
	struct ipcbuf_shm_ident st;

	if (ipcbuf_shm_ident(id, &st) != 0)
		return -1;
	*size = st.size;
	return 0;
}

/* The permissions /proc/self/maps shows for the mapping holding addr, e.g.
 * "rw-s"; "" if addr is not mapped. */
static const char *map_perms(const void *addr)
{
	static char perms[8];
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");

	perms[0] = 0;
	if (f == NULL)
		return perms;
	while (fgets(line, sizeof line, f) != NULL) {
		unsigned long lo, hi;
		char p[8];

		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, p) == 3 &&
		    (uintptr_t)addr >= lo && (uintptr_t)addr < hi) {
			memcpy(perms, p, sizeof perms);
			break;
		}
	}
	fclose(f);
	return perms;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own descriptor */
}

static int cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	return fl >= 0 && (fl & FD_CLOEXEC);
}

static mode_t fd_mode(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 31u + seed);
}

static int pread_equals(int fd, const unsigned char *want, size_t n)
{
	unsigned char *got = malloc(n);
	int same;

	if (got == NULL)
		return 0;
	same = pread(fd, got, n, 0) == (ssize_t)n && memcmp(got, want, n) == 0;
	free(got);
	return same;
}

/* Maps fd (n bytes, writable), writes a pattern through the mapping,
 * msyncs, reads it back with pread, then checks the failure paths of msync
 * and munmap and that munmap really unmapped (by /proc/self/maps: msync on
 * the unmapped range would be ENOMEM, but valgrind reports that call as an
 * error of ours). what names fd in messages. */
static void check_mapping(int fd, size_t n, const char *what)
{
	unsigned char *want = malloc(n);
	unsigned char *p;

	if (want == NULL) {
		check(0, "malloc(%zu)", n);
		return;
	}
	p = ipcbuf_mmap(n, 1, fd);
	check(p != NULL, "%s: ipcbuf_mmap(%zu, writable) (%s)", what, n,
	      p ? "ok" : errname(errno));
	if (p == NULL) {
		free(want);
		return;
	}
	check(strcmp(map_perms(p), "rw-s") == 0,
	      "%s: writable mapping is shared read-write (maps: %s)", what,
	      map_perms(p));
	fill(want, n, 7);
	memcpy(p, want, n);
	OK(ipcbuf_msync(p, n));
	check(pread_equals(fd, want, n),
	      "%s: bytes written through the mapping read back with pread", what);

	/* And the other way: pwrite shows in the mapping. */
	check(pwrite(fd, "hello", 5, 1) == 5 && memcmp(p + 1, "hello", 5) == 0,
	      "%s: pwrite shows through the mapping", what);

	FAILS(ipcbuf_msync(p + 1, n - 1), EINVAL);
	FAILS(ipcbuf_munmap(p + 1, page), EINVAL);
	FAILS(ipcbuf_munmap(p, 0), EINVAL);
	OK(ipcbuf_munmap(p, n));
	check(map_perms(p)[0] == 0, "%s: nothing mapped at %p after munmap",
	      what, (void *)p);
	free(want);
}

/* ---- the tests ---- */

static void check_fstat(int fd, const char *path)
{
	struct ipcbuf_stat st, untouched;
	struct stat want;
	int dir;

	memset(&st, 0, sizeof st);
	OK(ipcbuf_fstat(fd, &st));
	if (stat(path, &want) != 0) {
		check(0, "stat(%s): %s", path, strerror(errno));
		return;
	}
	check(S_ISREG(st.mode) && (st.mode & 07777) == (want.st_mode & 07777),
	      "ipcbuf_fstat: a regular file, mode %04o (got %o)",
	      (unsigned)(want.st_mode & 07777), st.mode);
	check(st.size == want.st_size && st.allocated == (off_t)want.st_blocks * 512,
	      "ipcbuf_fstat: size %lld and storage %lld as stat says (got %lld, %lld)",
	      (long long)want.st_size, (long long)want.st_blocks * 512,
	      (long long)st.size, (long long)st.allocated);
	check(st.uid == (unsigned)geteuid() && st.nlink == 1 &&
	      st.dev == (unsigned long long)want.st_dev &&
	      st.ino == (unsigned long long)want.st_ino,
	      "ipcbuf_fstat: owner, one link, device and inode as stat says");
	dir = ipcbuf_open(tmpdir, O_RDONLY | O_DIRECTORY, 0);
	if (dir >= 0) {
		OK(ipcbuf_fstat(dir, &st));
		check(S_ISDIR(st.mode), "ipcbuf_fstat of a directory says "
		      "S_ISDIR (mode %o)", st.mode);
		OK(ipcbuf_close(dir));
	}
	memset(&untouched, 0x5a, sizeof untouched);
	st = untouched;
	FAILS(ipcbuf_fstat(-1, &st), EBADF);
	check(memcmp(&st, &untouched, sizeof st) == 0,
	      "failed ipcbuf_fstat leaves its result alone");
}

static void check_rename(const char *path)
{
	char from[FILEMAX], to[FILEMAX];
	struct stat st;
	int fd;

	snprintf(from, sizeof from, "%s/rename-from", tmpdir);
	snprintf(to, sizeof to, "%s/rename-to", tmpdir);
	fd = ipcbuf_open(from, O_RDWR | O_CREAT | O_EXCL, 0600);
	check(fd >= 0, "ipcbuf_open(%s) = %d", from, fd);
	if (fd < 0)
		return;
	track_file(from);
	track_file(to);
	OK(ipcbuf_close(fd));
	FAILS(ipcbuf_rename_noreplace(from, path), EEXIST);
	check(stat(from, &st) == 0, "a refused rename leaves the source");
	OK(ipcbuf_rename_noreplace(from, to));
	check(stat(from, &st) != 0 && errno == ENOENT && stat(to, &st) == 0,
	      "after ipcbuf_rename_noreplace the file has only its new name");
	FAILS(ipcbuf_rename_noreplace(from, to), ENOENT);

	/* lstat_exists: a name, a missing one, a dangling symlink. */
	OK(ipcbuf_lstat_exists(to));
	FAILS(ipcbuf_lstat_exists(from), ENOENT);
	if (symlink("nowhere", from) == 0) {
		OK(ipcbuf_lstat_exists(from));
		OK(ipcbuf_unlink(from));
	} else {
		check(0, "symlink(%s): %s", from, strerror(errno));
	}
	OK(ipcbuf_unlink(to));
}

static void check_fifo(void)
{
	char fifo[FILEMAX];
	struct ipcbuf_stat st;
	int fd;

	snprintf(fifo, sizeof fifo, "%s/fifo", tmpdir);
	if (mkfifo(fifo, 0600) != 0) {
		check(0, "mkfifo(%s): %s", fifo, strerror(errno));
		return;
	}
	track_file(fifo);
	/* Without O_NONBLOCK this open would wait for a writer forever. */
	fd = ipcbuf_open(fifo, O_RDONLY | O_NONBLOCK, 0);
	check(fd >= 0, "ipcbuf_open(FIFO, O_RDONLY|O_NONBLOCK) = %d (%s)", fd,
	      fd >= 0 ? "ok" : errname(errno));
	if (fd >= 0) {
		OK(ipcbuf_fstat(fd, &st));
		check(S_ISFIFO(st.mode), "ipcbuf_fstat of a FIFO says S_ISFIFO "
		      "(mode %o)", st.mode);
		OK(ipcbuf_close(fd));
	}
	OK(ipcbuf_unlink(fifo));
}

static void test_files(void)
{
	char path[FILEMAX], missing[FILEMAX];
	const char *base = getenv("TMPDIR");
	off_t size;
	int fd, fd2, rd, dir, r;
	unsigned char *p;

	if (base == NULL || base[0] == 0)
		base = "/tmp";
	snprintf(tmpdir, sizeof tmpdir, "%s/ipcbuf-check-%ld-XXXXXX", base,
		 (long)getpid());
	if (mkdtemp(tmpdir) == NULL) {
		check(0, "mkdtemp(%s): %s", tmpdir, strerror(errno));
		tmpdir[0] = 0;
		return;
	}
	snprintf(path, sizeof path, "%s/file", tmpdir);
	snprintf(missing, sizeof missing, "%s/missing", tmpdir);

	/* open: create exclusively, then the collision, then a missing file. */
	fd = ipcbuf_open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	check(fd >= 0, "ipcbuf_open(O_CREAT|O_EXCL) = %d (%s)", fd,
	      fd >= 0 ? "ok" : errname(errno));
	if (fd < 0)
		return;
	track_file(path);
	check(cloexec(fd), "ipcbuf_open sets FD_CLOEXEC");
	check(fd_mode(fd) == 0600, "new file has mode 0600 (got %04o)",
	      (unsigned)fd_mode(fd));
	FAILS(ipcbuf_open(path, O_RDWR | O_CREAT | O_EXCL, 0600), EEXIST);
	FAILS(ipcbuf_open(missing, O_RDWR, 0), ENOENT);
	snprintf(missing, sizeof missing, "%s/nodir/file", tmpdir);
	FAILS(ipcbuf_open(missing, O_RDWR | O_CREAT, 0600), ENOENT);

	/* fchmod sets the bits exactly, whatever the umask (022 here). */
	OK(ipcbuf_fchmod(fd, 0666));
	check(fd_mode(fd) == 0666, "ipcbuf_fchmod(0666) under umask 022 gives "
	      "0666 (got %04o)", (unsigned)fd_mode(fd));
	OK(ipcbuf_fchmod(fd, 0600));
	FAILS(ipcbuf_fchmod(-1, 0600), EBADF);

	/* fstat size and ftruncate. */
	size = -1;
	OK(fstat_size(fd, &size, &allocated));
	check(size == 0, "new file's size is 0 (got %lld)", (long long)size);
	OK(ipcbuf_ftruncate(fd, (off_t)(3 * page)));
	size = -1;
	OK(fstat_size(fd, &size, &allocated));
	check(size == (off_t)(3 * page), "size after ftruncate(%zu) is %lld",
	      3 * page, (long long)size);
	FAILS(ipcbuf_ftruncate(fd, -1), EINVAL);
	FAILS(ipcbuf_ftruncate(-1, 0), EBADF);
	size = 12345;
	FAILS(fstat_size(-1, &size, &allocated), EBADF);
	check(size == 12345, "failed ipcbuf_fstat_size leaves *size alone");

	/* fallocate grows, never shrinks, and returns its error code (it does
	 * not return -1 and does not touch errno). */
	OK(ipcbuf_fallocate(fd, 0, 20000));
	OK(fstat_size(fd, &size, &allocated));
	check(size == 20000, "size after fallocate(0, 20000) is %lld",
	      (long long)size);
	check(allocated >= 20000, "storage after fallocate(0, 20000) is %lld",
	      (long long)allocated);
	OK(ipcbuf_fallocate(fd, 0, 100));
	OK(fstat_size(fd, &size, &allocated));
	check(size == 20000, "fallocate(0, 100) does not shrink (size %lld)",
	      (long long)size);
	errno = 4242;
	r = ipcbuf_fallocate(fd, 0, INT64_MAX);
	check((r == EFBIG || r == ENOSPC) && errno == 4242,
	      "ipcbuf_fallocate(fd, 0, INT64_MAX) returns EFBIG or ENOSPC "
	      "with errno untouched (got %s, errno %d)", errname(r), errno);
	errno = 4242;
	r = ipcbuf_fallocate(fd, 0, -1);
	check(r == EINVAL && errno == 4242, "ipcbuf_fallocate(fd, 0, -1) "
	      "returns EINVAL (got %s, errno %d)", errname(r), errno);
	errno = 4242;
	r = ipcbuf_fallocate(-1, 0, 10);
	check(r == EBADF && errno == 4242, "ipcbuf_fallocate(-1, 0, 10) returns "
	      "EBADF (got %s, errno %d)", errname(r), errno);
	OK(fstat_size(fd, &size, &allocated));
	check(size == 20000, "failed fallocates leave the size (%lld)",
	      (long long)size);

	/* fsync of the file, of its directory, and of nothing. */
	OK(ipcbuf_fsync(fd));
	dir = ipcbuf_open(tmpdir, O_RDONLY | O_DIRECTORY, 0);
	check(dir >= 0, "ipcbuf_open(dir, O_DIRECTORY) = %d", dir);
	if (dir >= 0) {
		OK(ipcbuf_fsync(dir));
		OK(ipcbuf_close(dir));
	}
	FAILS(ipcbuf_fsync(-1), EBADF);

	/* mmap, msync, munmap: write through the mapping, read with pread. */
	OK(ipcbuf_ftruncate(fd, (off_t)(3 * page)));
	check_mapping(fd, 3 * page, "file");
	FAILS_NULL(ipcbuf_mmap(0, 1, fd), EINVAL);
	FAILS_NULL(ipcbuf_mmap(page, 1, -1), EBADF);

	/* A read-only descriptor maps read-only, and refuses writable. */
	rd = ipcbuf_open(path, O_RDONLY, 0);
	check(rd >= 0, "ipcbuf_open(O_RDONLY) = %d", rd);
	if (rd >= 0) {
		FAILS_NULL(ipcbuf_mmap(page, 1, rd), EACCES);
		p = ipcbuf_mmap(page, 0, rd);
		check(p != NULL, "ipcbuf_mmap(read-only) (%s)",
		      p ? "ok" : errname(errno));
		if (p != NULL) {
			check(strcmp(map_perms(p), "r--s") == 0,
			      "read-only mapping is shared read-only (maps: %s)",
			      map_perms(p));
			check(memcmp(p + 1, "hello", 5) == 0,
			      "read-only mapping sees the file's bytes");
			OK(ipcbuf_munmap(p, page));
		}
		OK(ipcbuf_close(rd));
	}

	/* fstat: the type, owner, links and identity of the file. */
	check_fstat(fd, path);

	/* rename_noreplace: moves a file in one step, never over another. */
	check_rename(path);

	/* A FIFO opened with O_NONBLOCK returns at once; fstat names it. */
	check_fifo();

	/* close: twice is EBADF, as is -1. */
	fd2 = fd;
	OK(ipcbuf_close(fd));
	FAILS(ipcbuf_close(fd2), EBADF);
	FAILS(ipcbuf_close(-1), EBADF);

	/* The identity by descriptor and by name agree, and tell the file from
	 * its directory; a symbolic link is itself, not its target. */
	{
		struct ipcbuf_file_id byfd, byname, ofdir;
		char link[FILEMAX];
		int id_fd = ipcbuf_open(path, O_RDONLY, 0);

		check(id_fd >= 0, "ipcbuf_open(O_RDONLY) for identity = %d", id_fd);
		OK(ipcbuf_fstatx_id(id_fd, &byfd));
		OK(ipcbuf_close(id_fd));
		OK(ipcbuf_lstatx_id(path, &byname));
		check(byfd.dev_major == byname.dev_major && byfd.dev_minor == byname.dev_minor &&
		      byfd.ino == byname.ino && byfd.btime_sec == byname.btime_sec &&
		      byfd.btime_nsec == byname.btime_nsec && byfd.has_btime == byname.has_btime,
		      "ipcbuf_fstatx_id and ipcbuf_lstatx_id agree");
		check(S_ISREG(byname.mode), "ipcbuf_lstatx_id: a regular file (mode %o)", byname.mode);
		OK(ipcbuf_lstatx_id(tmpdir, &ofdir));
		check(S_ISDIR(ofdir.mode) && ofdir.ino != byname.ino,
		      "ipcbuf_lstatx_id: the directory is another inode");
		snprintf(link, sizeof link, "%s/link", tmpdir);
		if (symlink(path, link) == 0) {
			track_file(link);
			OK(ipcbuf_lstatx_id(link, &ofdir));
			check(S_ISLNK(ofdir.mode), "ipcbuf_lstatx_id does not follow a link");
			OK(ipcbuf_unlink(link));
		}
		FAILS(ipcbuf_fstatx_id(-1, &byfd), EBADF);
		snprintf(link, sizeof link, "%s/missing", tmpdir);
		FAILS(ipcbuf_lstatx_id(link, &byfd), ENOENT);
	}

	/* unlink, then again. */
	OK(ipcbuf_unlink(path));
	FAILS(ipcbuf_unlink(path), ENOENT);
	FAILS(ipcbuf_open(path, O_RDWR, 0), ENOENT);
}

static void test_posix(void)
{
	char name[NAME_MAX], missing[NAME_MAX], dev[NAME_MAX + 16];
	struct stat st;
	off_t size;
	int fd, fd2, rd;
	unsigned char *p;

	snprintf(name, sizeof name, "/ipcbuf-check-%ld-1", (long)getpid());
	snprintf(missing, sizeof missing, "/ipcbuf-check-%ld-2", (long)getpid());
	snprintf(dev, sizeof dev, "/dev/shm%s", name);

	fd = ipcbuf_shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	check(fd >= 0, "ipcbuf_shm_open(O_CREAT|O_EXCL) = %d (%s)", fd,
	      fd >= 0 ? "ok" : errname(errno));
	if (fd < 0)
		return;
	track_shm(name);
	check(cloexec(fd), "ipcbuf_shm_open sets FD_CLOEXEC");
	check(stat(dev, &st) == 0, "%s exists", dev);
	FAILS(ipcbuf_shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600), EEXIST);
	FAILS(ipcbuf_shm_open(missing, O_RDWR, 0), ENOENT);
	FAILS(ipcbuf_shm_open("/ipcbuf/check", O_RDWR | O_CREAT, 0600), EINVAL);
	OK(ipcbuf_fchmod(fd, 0640));
	check(fd_mode(fd) == 0640, "shm object mode after fchmod(0640) is %04o",
	      (unsigned)fd_mode(fd));

	/* fallocate sizes a new object; the huge length is ENOSPC on tmpfs. */
	OK(ipcbuf_fallocate(fd, 0, (off_t)(2 * page)));
	size = -1;
	OK(fstat_size(fd, &size, &allocated));
	check(size == (off_t)(2 * page), "shm object's size after fallocate "
	      "is %lld", (long long)size);
	check_mapping(fd, 2 * page, "shm");

	/* A second descriptor on the same name maps the same bytes. */
	fd2 = ipcbuf_shm_open(name, O_RDWR, 0);
	check(fd2 >= 0, "ipcbuf_shm_open(existing) = %d", fd2);
	if (fd2 >= 0) {
		p = ipcbuf_mmap(2 * page, 1, fd2);
		check(p != NULL, "second mapping of the shm object");
		if (p != NULL) {
			check(memcmp(p + 1, "hello", 5) == 0,
			      "second mapping sees the bytes written before");
			OK(ipcbuf_munmap(p, 2 * page));
		}
		OK(ipcbuf_close(fd2));
	}
	rd = ipcbuf_shm_open(name, O_RDONLY, 0);
	check(rd >= 0, "ipcbuf_shm_open(O_RDONLY) = %d", rd);
	if (rd >= 0) {
		FAILS_NULL(ipcbuf_mmap(page, 1, rd), EACCES);
		OK(ipcbuf_close(rd));
	}
	OK(ipcbuf_close(fd));

	OK(ipcbuf_shm_unlink(name));
	check(stat(dev, &st) != 0 && errno == ENOENT, "%s is gone", dev);
	FAILS(ipcbuf_shm_unlink(name), ENOENT);
	FAILS(ipcbuf_shm_open(name, O_RDWR, 0), ENOENT);
}

/* The largest segment the kernel allows, from /proc; 0 if unknown. */
static unsigned long long shmmax(void)
{
	unsigned long long v = 0;
	FILE *f = fopen("/proc/sys/kernel/shmmax", "r");

	if (f != NULL) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

static void test_sysv(void)
{
	size_t size;
	int id, id2, key = 0, i, bad_stack = 0;
	unsigned char *p, *ro;
	unsigned long long max;

	/* A private segment: attach, write, attach again read-only, read. */
	id = ipcbuf_shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0600);
	check(id >= 0, "ipcbuf_shmget(IPC_PRIVATE, 10000) = %d (%s)", id,
	      id >= 0 ? "ok" : errname(errno));
	if (id < 0)
		return;
	track_id(id);
	size = 0;
	OK(shm_size(id, &size));
	check(size == 10000, "shm_size is 10000 (got %zu)", size);
	p = ipcbuf_shmat(id, 0);
	check(p != NULL, "ipcbuf_shmat(read-write) (%s)", p ? "ok" : errname(errno));
	ro = ipcbuf_shmat(id, 1);
	check(ro != NULL, "ipcbuf_shmat(read-only) (%s)", ro ? "ok" : errname(errno));
	if (p != NULL && ro != NULL) {
		check(strcmp(map_perms(p), "rw-s") == 0,
		      "read-write attachment is rw-s (maps: %s)", map_perms(p));
		check(strcmp(map_perms(ro), "r--s") == 0,
		      "read-only attachment is r--s (maps: %s)", map_perms(ro));
		fill(p, 10000, 3);
		for (i = 0; i < 10000; i++)
			if (ro[i] != (unsigned char)(i * 31u + 3))
				break;
		check(i == 10000, "bytes written at one attachment read at the "
		      "other (first difference at %d)", i);
	}
	if (ro != NULL) {
		OK(ipcbuf_shmdt(ro));
		check(map_perms(ro)[0] == 0, "nothing attached at %p after shmdt",
		      (void *)ro);
		FAILS(ipcbuf_shmdt(ro), EINVAL);
	}
	if (p != NULL)
		OK(ipcbuf_shmdt(p));
	FAILS(ipcbuf_shmdt(&bad_stack), EINVAL);
	if (OK(ipcbuf_shm_rmid(id)) == 0)
		forget_id(id);
	FAILS(shm_size(id, &size), EINVAL);
	FAILS(ipcbuf_shm_rmid(id), EINVAL);
	FAILS_NULL(ipcbuf_shmat(id, 0), EINVAL);

	/* A keyed segment: IPC_EXCL collides, the key finds it, a larger size
	 * is refused, and after IPC_RMID the key finds nothing. Keys come from
	 * the pid; one somebody else holds is skipped. */
	id = -1;
	for (i = 0; i < 64 && id < 0; i++) {
		key = (int)(0x69630000u | (((unsigned)getpid() * 64u + (unsigned)i) & 0xffffu));
		id = ipcbuf_shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600);
		if (id < 0 && errno != EEXIST)
			break;
	}
	check(id >= 0, "ipcbuf_shmget(0x%08x, IPC_CREAT|IPC_EXCL) = %d (%s)",
	      (unsigned)key, id, id >= 0 ? "ok" : errname(errno));
	if (id < 0)
		return;
	track_id(id);
	FAILS(ipcbuf_shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
	id2 = ipcbuf_shmget(key, 0, 0);
	check(id2 == id, "ipcbuf_shmget(key, 0, 0) finds the segment (%d, want %d)",
	      id2, id);
	OK(shm_size(id, &size));
	check(size == 4096, "keyed segment's size is 4096 (got %zu)", size);
	{
		struct ipcbuf_shm_ident ident;

		OK(ipcbuf_shm_ident(id, &ident));
		check(ident.key == key && ident.cpid == getpid() && ident.cuid == getuid() &&
		      ident.size == 4096 && ident.ctime > 0,
		      "ipcbuf_shm_ident: key, creator, size and ctime of the segment");
		FAILS(ipcbuf_shm_ident(-1, &ident), EINVAL);
	}
	FAILS(ipcbuf_shmget(key, 8192, 0), EINVAL);
	if (OK(ipcbuf_shm_rmid(id)) == 0)
		forget_id(id);
	FAILS(ipcbuf_shmget(key, 0, 0), ENOENT);

	/* Sizes the kernel refuses: 0 and more than SHMMAX. */
	FAILS(ipcbuf_shmget(IPC_PRIVATE, 0, IPC_CREAT | 0600), EINVAL);
	max = shmmax();
	if (max > 0 && max < SIZE_MAX) {
		FAILS(ipcbuf_shmget(IPC_PRIVATE, (size_t)max + 1, IPC_CREAT | 0600),
		      EINVAL);
	} else {
		check(0, "cannot read a SHMMAX below SIZE_MAX (%llu)", max);
	}
	size = 12345;
	FAILS(shm_size(-1, &size), EINVAL);
	check(size == 12345, "failed shm_size leaves *size alone");
	FAILS(ipcbuf_shm_rmid(-1), EINVAL);
	FAILS_NULL(ipcbuf_shmat(-1, 0), EINVAL);
}

/* CLOCK_MONOTONIC now, in ns, through the shim. */
static long long mono_now(void)
{
	long long ns = -1;

	OK(ipcbuf_clock_monotonic(&ns));
	return ns;
}

static void test_posix_sem(void)
{
	char name[NAME_MAX], name2[NAME_MAX], missing[NAME_MAX], dev[NAME_MAX + 16];
	struct stat st;
	sem_t *s, *s2;
	int v = -1;
	long long t0, t1;

	snprintf(name, sizeof name, "/ipcbuf-check-%ld-sem1", (long)getpid());
	snprintf(name2, sizeof name2, "/ipcbuf-check-%ld-sem2", (long)getpid());
	snprintf(missing, sizeof missing, "/ipcbuf-check-%ld-sem3", (long)getpid());
	snprintf(dev, sizeof dev, "/dev/shm/sem.%s", name + 1);

	t0 = mono_now();
	t1 = mono_now();
	check(t0 > 0 && t1 >= t0, "ipcbuf_clock_monotonic goes forward (%lld, %lld)", t0, t1);

	s = ipcbuf_sem_open(name, O_CREAT | O_EXCL, 0666, 2);
	check(s != NULL, "ipcbuf_sem_open(O_CREAT|O_EXCL, 2) (%s)", s ? "ok" : errname(errno));
	if (s == NULL)
		return;
	track_sem(name);
	check(stat(dev, &st) == 0 && (st.st_mode & 0777) == 0644,
	      "%s exists with mode 0666 less umask 022 (got %04o)", dev, (unsigned)(st.st_mode & 0777));
	FAILS_NULL(ipcbuf_sem_open(name, O_CREAT | O_EXCL, 0600, 0), EEXIST);
	FAILS_NULL(ipcbuf_sem_open(missing, 0, 0, 0), ENOENT);
	FAILS_NULL(ipcbuf_sem_open("/ipcbuf/check", O_CREAT, 0600, 0), EINVAL);
	FAILS_NULL(ipcbuf_sem_open(name2, O_CREAT | O_EXCL, 0600, (unsigned)SEM_VALUE_MAX + 1u), EINVAL);

	OK(ipcbuf_sem_getvalue(s, &v));
	check(v == 2, "new semaphore's value is 2 (got %d)", v);
	OK(ipcbuf_sem_trywait(s));
	OK(ipcbuf_sem_trywait(s));
	FAILS(ipcbuf_sem_trywait(s), EAGAIN);
	OK(ipcbuf_sem_post(s));
	OK(ipcbuf_sem_clockwait(s, mono_now() + 1000000000LL));
	t0 = mono_now();
	FAILS(ipcbuf_sem_clockwait(s, t0 + 20000000LL), ETIMEDOUT);
	t1 = mono_now();
	check(t1 - t0 >= 20000000LL, "clockwait waited its 20ms (%lld ns)", t1 - t0);
	FAILS(ipcbuf_sem_clockwait(s, t0 - 1), ETIMEDOUT);
	FAILS(ipcbuf_sem_clockwait(s, -1), EINVAL);

	/* A second handle on the name is the same semaphore. */
	s2 = ipcbuf_sem_open(name, 0, 0, 0);
	check(s2 != NULL, "ipcbuf_sem_open(existing) (%s)", s2 ? "ok" : errname(errno));
	if (s2 != NULL) {
		OK(ipcbuf_sem_post(s2));
		OK(ipcbuf_sem_getvalue(s, &v));
		check(v == 1, "a post through the second handle shows in the first (%d)", v);
		OK(ipcbuf_sem_close(s2));
	}
	OK(ipcbuf_sem_close(s));
	OK(ipcbuf_sem_unlink(name));
	check(stat(dev, &st) != 0 && errno == ENOENT, "%s is gone", dev);
	FAILS(ipcbuf_sem_unlink(name), ENOENT);
	FAILS_NULL(ipcbuf_sem_open(name, 0, 0, 0), ENOENT);

	/* The largest value: one more post overflows. */
	s = ipcbuf_sem_open(name2, O_CREAT | O_EXCL, 0600, SEM_VALUE_MAX);
	check(s != NULL, "ipcbuf_sem_open(SEM_VALUE_MAX) (%s)", s ? "ok" : errname(errno));
	if (s == NULL)
		return;
	track_sem(name2);
	FAILS(ipcbuf_sem_post(s), EOVERFLOW);
	OK(ipcbuf_sem_getvalue(s, &v));
	check(v == SEM_VALUE_MAX, "value stays SEM_VALUE_MAX (got %d)", v);
	OK(ipcbuf_sem_close(s));
	OK(ipcbuf_sem_unlink(name2));
}

static void test_sysv_sem(void)
{
	struct ipcbuf_sem_info info;
	int id, id2, key = 0, i;

	id = ipcbuf_semget(IPC_PRIVATE, 1, IPC_CREAT | 0640);
	check(id >= 0, "ipcbuf_semget(IPC_PRIVATE, 1) = %d (%s)", id, id >= 0 ? "ok" : errname(errno));
	if (id < 0)
		return;
	track_semid(id);
	memset(&info, 0xff, sizeof info);
	OK(ipcbuf_sem_stat(id, &info));
	check(info.nsems == 1 && info.mode == 0640 && info.otime == 0,
	      "new set: 1 semaphore, mode 0640, no semop yet (got %lu, %04o, %lld)",
	      info.nsems, info.mode, info.otime);
	check(ipcbuf_sem_getpid(id) == 0, "no one touched the new set (GETPID %d)", ipcbuf_sem_getpid(id));
	check(ipcbuf_sem_getval(id) == 0, "new set's value is 0");

	OK(ipcbuf_semop(id, 3, 0));
	check(ipcbuf_sem_getval(id) == 3, "value after +3 is 3 (got %d)", ipcbuf_sem_getval(id));
	OK(ipcbuf_sem_stat(id, &info));
	check(info.otime != 0, "a semop sets sem_otime (%lld)", info.otime);
	check(ipcbuf_sem_getpid(id) == getpid(), "GETPID is this process after a semop");
	for (i = 0; i < 3; i++)
		OK(ipcbuf_semop(id, -1, IPC_NOWAIT));
	FAILS(ipcbuf_semop(id, -1, IPC_NOWAIT), EAGAIN);
	FAILS(ipcbuf_semtimedop(id, -1, 0, 10000000LL), EAGAIN);
	FAILS(ipcbuf_semtimedop(id, -1, 0, -1), EINVAL);
	check(ipcbuf_sem_getncnt(id) == 0, "no waiters (GETNCNT %d)", ipcbuf_sem_getncnt(id));
	OK(ipcbuf_semop(id, 0, IPC_NOWAIT)); /* wait-for-zero on 0 */
	OK(ipcbuf_semop(id, 32767, 0));
	FAILS(ipcbuf_semop(id, 1, 0), ERANGE);
	check(ipcbuf_sem_getval(id) == 32767, "value stays SEMVMX");
	OK(ipcbuf_semtimedop(id, -1, SEM_UNDO, 1000000000LL));
	if (OK(ipcbuf_sem_rmid(id)) == 0)
		forget_semid(id);
	FAILS(ipcbuf_sem_rmid(id), EINVAL);
	FAILS(ipcbuf_sem_getval(id), EINVAL);
	FAILS(ipcbuf_sem_getpid(id), EINVAL);
	FAILS(ipcbuf_sem_getncnt(id), EINVAL);
	FAILS(ipcbuf_sem_stat(id, &info), EINVAL);
	FAILS(ipcbuf_semop(id, 1, 0), EINVAL);

	/* A keyed set: IPC_EXCL collides, the key finds it, IPC_STAT shows
	 * the key, and after IPC_RMID the key finds nothing. */
	id = -1;
	for (i = 0; i < 64 && id < 0; i++) {
		key = (int)(0x69730000u | (((unsigned)getpid() * 64u + (unsigned)i) & 0xffffu));
		id = ipcbuf_semget(key, 1, IPC_CREAT | IPC_EXCL | 0600);
		if (id < 0 && errno != EEXIST)
			break;
	}
	check(id >= 0, "ipcbuf_semget(0x%08x, IPC_CREAT|IPC_EXCL) = %d (%s)",
	      (unsigned)key, id, id >= 0 ? "ok" : errname(errno));
	if (id < 0)
		return;
	track_semid(id);
	FAILS(ipcbuf_semget(key, 1, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
	id2 = ipcbuf_semget(key, 0, 0);
	check(id2 == id, "ipcbuf_semget(key, 0, 0) finds the set (%d, want %d)", id2, id);
	OK(ipcbuf_sem_stat(id, &info));
	check(info.key == key, "IPC_STAT's key is 0x%08x (got 0x%08x)", (unsigned)key, (unsigned)info.key);
	if (OK(ipcbuf_sem_rmid(id)) == 0)
		forget_semid(id);
	FAILS(ipcbuf_semget(key, 0, 0), ENOENT);
	FAILS(ipcbuf_semget(IPC_PRIVATE, 0, IPC_CREAT | 0600), EINVAL);
}

/* A block nothing points to once this returns: a definite leak. */
static void *volatile leak_slot;
static __attribute__((noinline)) void leak(void)
{
	leak_slot = malloc(77);
	leak_slot = NULL;
}

int main(int argc, char **argv)
{
	int fds;

	if (argc > 1 && strcmp(argv[1], "--leak-probe") == 0) {
		/* For sanitize.sh: LeakSanitizer and valgrind must report this. */
		leak();
		puts("leaked 77 bytes");
		return 0;
	}
	verbose = argc > 1 && strcmp(argv[1], "-v") == 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	install_cleanup();
	umask(022);
	page = (size_t)sysconf(_SC_PAGESIZE);
	fds = count_fds();

	test_files();
	test_posix();
	test_sysv();
	test_posix_sem();
	test_sysv_sem();

	check(count_fds() == fds, "no descriptor left open (%d at start, %d "
	      "at the end)", fds, count_fds());
	remove_all();
	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
