/* SPDX-License-Identifier: MIT */
/*
 * timeit OUT CMD [ARG...]: run CMD, then append one line to OUT:
 *   "<wall seconds> <cpu seconds> <exit status>"
 * cpu is user + system time of CMD and every descendant it waited for
 * (wait4's rusage), so `timeit t sh -c 'zcat f | wc -c'` counts both
 * sides of the pipe. CMD's own stdin/stdout/stderr are untouched. Exits
 * with CMD's status (128 + signal if killed), 127 if it cannot run.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec a, b;
	struct rusage ru;
	int st = 0, rc;
	pid_t pid;

	if (argc < 3) {
		fprintf(stderr, "usage: timeit OUT CMD [ARG...]\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	pid = fork();
	if (pid < 0) {
		perror("timeit: fork");
		return 127;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		fprintf(stderr, "timeit: %s: %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &st, 0, &ru) < 0)
		if (errno != EINTR) {
			perror("timeit: wait4");
			return 127;
		}
	clock_gettime(CLOCK_MONOTONIC, &b);
	rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	double wall = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		     (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	FILE *f = fopen(argv[1], "a");
	if (!f) {
		fprintf(stderr, "timeit: %s: %s\n", argv[1], strerror(errno));
		return 127;
	}
	fprintf(f, "%.4f %.4f %d\n", wall, cpu, rc);
	fclose(f);
	return rc;
}
