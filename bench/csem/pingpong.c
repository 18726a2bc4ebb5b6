/* pingpong: the C baselines of the bench's coordination ping-pong (group 8).
 *
 * Usage: pingpong sem|mutex
 *
 * It maps one shared anonymous page and forks: the parent pings, the child
 * answers. Mode sem: two process-shared sem_t, ping and pong; a round trip
 * is sem_post(ping), sem_wait(pong) in the parent and sem_wait(ping),
 * sem_post(pong) in the child. Mode mutex: three process-shared robust
 * pthread mutexes passed round as a baton, and a turn word they guard. The
 * parent starts holding m[0] and m[1], the child m[2]; at step j the parent
 * checks and advances the turn, unlocks m[j%3] and locks m[(j+2)%3], which
 * the child releases only after it has taken m[j%3] (its step j: lock
 * m[j%3], check and advance the turn, unlock m[(j+2)%3]). So the two
 * strictly alternate, each step is one hand-off of a mutex another process
 * is blocked on (a futex wait and a wake), and a round trip is two, as with
 * the semaphores; nothing spins.
 *
 * Control: it prints "ready", then reads one command a line from stdin,
 * "N P C": it pins itself to CPU P and the child to CPU C (sched_setaffinity;
 * -1: any CPU), makes N round trips, and prints the median and 99th
 * percentile of their times and their total, in nanoseconds ("p50 p99
 * total"). The child moves itself when it sees a new CPU in the shared
 * page, before its first answer of the round. Between rounds both
 * processes sleep (the child in sem_wait or pthread_mutex_lock), so they take
 * no CPU from the bench's other contenders. At the end of stdin it exits;
 * the child dies with it (PR_SET_PDEATHSIG).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct shared {
	sem_t go;    /* mode mutex: the child posts it once it holds m[2] */
	sem_t ping;  /* parent to child, mode sem */
	char gap1[128];
	sem_t pong;  /* child to parent, mode sem */
	char gap2[128];
	pthread_mutex_t m[3]; /* mode mutex */
	long turn;   /* 2j before the parent's step j, 2j+1 before the child's */
	int child_cpu; /* where the child should run; written before a hand-off */
};

static void die(const char *what, int err)
{
	fprintf(stderr, "pingpong: %s: %s\n", what, strerror(err));
	printf("error: %s: %s\n", what, strerror(err));
	fflush(stdout);
	exit(1);
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* pin moves the calling process to cpu (-1: any CPU). */
static void pin(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	if (cpu < 0) {
		for (int i = 0; i < CPU_SETSIZE; i++) /* the kernel keeps those that exist */
			CPU_SET(i, &set);
	} else {
		CPU_SET(cpu, &set);
	}
	if (sched_setaffinity(0, sizeof set, &set) != 0)
		die("sched_setaffinity", errno);
}

/* follow moves the child when the parent asked for another CPU. */
static void follow(struct shared *s, int *cur)
{
	int want = __atomic_load_n(&s->child_cpu, __ATOMIC_RELAXED);
	if (want != *cur) {
		pin(want);
		*cur = want;
	}
}

static void sem_wait_retry(sem_t *s)
{
	while (sem_wait(s) != 0) {
		if (errno != EINTR)
			die("sem_wait", errno);
	}
}

static void lock(pthread_mutex_t *mu)
{
	int e = pthread_mutex_lock(mu);
	if (e != 0)
		die("pthread_mutex_lock", e);
}

static void unlock(pthread_mutex_t *mu)
{
	int e = pthread_mutex_unlock(mu);
	if (e != 0)
		die("pthread_mutex_unlock", e);
}

/* advance checks that the turn word says it is this side's step (want)
 * and passes the turn on: a mutex that let both sides in at once would
 * show here. */
static void advance(struct shared *s, long want)
{
	if (s->turn != want) {
		fprintf(stderr, "pingpong: turn %ld, want %ld\n", s->turn, want);
		printf("error: turn word %ld, want %ld: the mutexes did not alternate\n", s->turn, want);
		fflush(stdout);
		exit(1);
	}
	s->turn = want + 1;
}

static void child(struct shared *s, int mutex)
{
	int cur = -1;
	if (mutex) {
		lock(&s->m[2]);
		sem_post(&s->go); /* tell the parent it holds m[2] */
		for (long j = 0;; j++) {
			lock(&s->m[j % 3]);
			follow(s, &cur);
			advance(s, 2 * j + 1);
			unlock(&s->m[(j + 2) % 3]);
		}
	}
	for (;;) {
		sem_wait_retry(&s->ping);
		follow(s, &cur);
		sem_post(&s->pong);
	}
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	if (argc != 2 || (strcmp(argv[1], "sem") != 0 && strcmp(argv[1], "mutex") != 0)) {
		fprintf(stderr, "usage: pingpong sem|mutex\n");
		return 2;
	}
	int mutex = strcmp(argv[1], "mutex") == 0;
	struct shared *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED)
		die("mmap", errno);
	if (sem_init(&s->go, 1, 0) != 0 || sem_init(&s->ping, 1, 0) != 0 || sem_init(&s->pong, 1, 0) != 0)
		die("sem_init", errno);
	pthread_mutexattr_t attr;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	for (int i = 0; i < 3; i++) {
		int e = pthread_mutex_init(&s->m[i], &attr);
		if (e != 0)
			die("pthread_mutex_init", e);
	}
	s->turn = 0;
	s->child_cpu = -1;
	if (mutex) {
		lock(&s->m[0]);
		lock(&s->m[1]);
	}

	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		die("fork", errno);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		child(s, mutex);
		_exit(0);
	}
	if (mutex)
		sem_wait_retry(&s->go);

	printf("ready\n");
	fflush(stdout);
	char line[64];
	int64_t *lat = NULL;
	long cap = 0;
	long step = 0; /* the parent's next step, mode mutex */
	while (fgets(line, sizeof line, stdin) != NULL) {
		long n;
		int pcpu, ccpu;
		if (sscanf(line, "%ld %d %d", &n, &pcpu, &ccpu) != 3 || n <= 0 || pcpu < -1 || ccpu < -1 ||
		    pcpu >= CPU_SETSIZE || ccpu >= CPU_SETSIZE) {
			printf("error: bad command %s", line);
			fflush(stdout);
			continue;
		}
		pin(pcpu);
		__atomic_store_n(&s->child_cpu, ccpu, __ATOMIC_RELAXED); /* the next hand-off publishes it */
		if (n > cap) {
			free(lat);
			lat = malloc(sizeof *lat * n);
			if (lat == NULL)
				die("malloc", ENOMEM);
			cap = n;
		}
		int64_t start = now_ns(), prev = start;
		for (long i = 0; i < n; i++) {
			if (mutex) {
				advance(s, 2 * step);
				unlock(&s->m[step % 3]);
				lock(&s->m[(step + 2) % 3]);
				step++;
			} else {
				sem_post(&s->ping);
				sem_wait_retry(&s->pong);
			}
			int64_t t = now_ns();
			lat[i] = t - prev;
			prev = t;
		}
		int64_t total = prev - start;
		qsort(lat, n, sizeof *lat, cmp64);
		printf("%lld %lld %lld\n", (long long)lat[n / 2], (long long)lat[(n * 99) / 100], (long long)total);
		fflush(stdout);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return 0;
}
