/* uncontended: the C baselines of the bench's uncontended mutex and atomic
 * figures (group 9).
 *
 * It prints "ready", then reads one command a line from stdin, "OP N", does
 * OP N times in a loop and prints the nanoseconds per operation, of this
 * thread's CPU time (CLOCK_THREAD_CPUTIME_ID): on a busy machine the time
 * other programs take the CPU away is not the operation's. The words
 * and the robust mutex live in a shared anonymous mapping, as an ipcbuf
 * buffer's do; one process uses them, so nothing is contended.
 *
 *   robust   pthread_mutex_lock + pthread_mutex_unlock, a process-shared
 *            robust mutex (PTHREAD_PROCESS_SHARED, PTHREAD_MUTEX_ROBUST)
 *   plain    the same on a mutex with default attributes
 *   load32, add32, cas32, load64, add64, cas64
 *            __atomic_load_n, __atomic_add_fetch and a successful
 *            __atomic_compare_exchange_n, all __ATOMIC_SEQ_CST, as Go's
 *            sync/atomic is
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

struct shared {
	pthread_mutex_t robust;
	uint32_t w32 __attribute__((aligned(64)));
	uint64_t w64 __attribute__((aligned(64)));
};

static pthread_mutex_t plain = PTHREAD_MUTEX_INITIALIZER;

/* sink receives every loaded sum, so the loads cannot be dropped. */
volatile uint64_t sink;

static int64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int lock_unlock(pthread_mutex_t *m, long n)
{
	for (long i = 0; i < n; i++) {
		int e = pthread_mutex_lock(m);
		if (e != 0)
			return e;
		e = pthread_mutex_unlock(m);
		if (e != 0)
			return e;
	}
	return 0;
}

int main(void)
{
	struct shared *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED) {
		printf("error: mmap: %s\n", strerror(errno));
		return 1;
	}
	pthread_mutexattr_t attr;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	int e = pthread_mutex_init(&s->robust, &attr);
	if (e != 0) {
		printf("error: pthread_mutex_init: %s\n", strerror(e));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	char line[64], op[16];
	long n;
	while (fgets(line, sizeof line, stdin) != NULL) {
		if (sscanf(line, "%15s %ld", op, &n) != 2 || n <= 0) {
			printf("error: bad command %s", line);
			fflush(stdout);
			continue;
		}
		uint64_t sum = 0;
		e = 0;
		int64_t start = cpu_ns();
		if (strcmp(op, "robust") == 0) {
			e = lock_unlock(&s->robust, n);
		} else if (strcmp(op, "plain") == 0) {
			e = lock_unlock(&plain, n);
		} else if (strcmp(op, "load32") == 0) {
			for (long i = 0; i < n; i++)
				sum += __atomic_load_n(&s->w32, __ATOMIC_SEQ_CST);
		} else if (strcmp(op, "add32") == 0) {
			for (long i = 0; i < n; i++)
				__atomic_add_fetch(&s->w32, 1, __ATOMIC_SEQ_CST);
		} else if (strcmp(op, "cas32") == 0) {
			uint32_t v = __atomic_load_n(&s->w32, __ATOMIC_SEQ_CST);
			for (long i = 0; i < n; i++) {
				uint32_t old = v;
				if (__atomic_compare_exchange_n(&s->w32, &old, v + 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
					v++;
				else
					v = old;
			}
		} else if (strcmp(op, "load64") == 0) {
			for (long i = 0; i < n; i++)
				sum += __atomic_load_n(&s->w64, __ATOMIC_SEQ_CST);
		} else if (strcmp(op, "add64") == 0) {
			for (long i = 0; i < n; i++)
				__atomic_add_fetch(&s->w64, 1, __ATOMIC_SEQ_CST);
		} else if (strcmp(op, "cas64") == 0) {
			uint64_t v = __atomic_load_n(&s->w64, __ATOMIC_SEQ_CST);
			for (long i = 0; i < n; i++) {
				uint64_t old = v;
				if (__atomic_compare_exchange_n(&s->w64, &old, v + 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
					v++;
				else
					v = old;
			}
		} else {
			printf("error: unknown operation %s\n", op);
			fflush(stdout);
			continue;
		}
		int64_t took = cpu_ns() - start;
		sink = sum;
		if (e != 0) {
			printf("error: %s: %s\n", op, strerror(e));
			fflush(stdout);
			continue;
		}
		printf("%.3f\n", (double)took / (double)n);
		fflush(stdout);
	}
	return 0;
}
