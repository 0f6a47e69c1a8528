// swiftbox-bench-launch: runs ARGV, waits, and prints the resource use of it
// and its waited-for descendants as "user_us system_us maxrss_kb exit".
//
// Why a separate C program: a child's peak RSS (ru_maxrss) starts from the
// memory of the process that forked it, so measuring from the Swift benchmark
// would report the benchmark's own ~14 MiB for every runtime.
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000L + t.tv_nsec / 1000;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: swiftbox-bench-launch PROGRAM [ARGS...]\n"); return 2; }
    // Wall time is taken here too, so the launcher's own start-up is in no figure.
    long start = now_us();
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); return 2; }
    if (pid == 0) { execvp(argv[1], argv + 1); perror(argv[1]); _exit(127); }
    int status = 0;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) { perror("wait4"); return 2; }
    long wall = now_us() - start;
    long user = ru.ru_utime.tv_sec * 1000000L + ru.ru_utime.tv_usec;
    long sys = ru.ru_stime.tv_sec * 1000000L + ru.ru_stime.tv_usec;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    dprintf(3, "%ld %ld %ld %d %ld\n", user, sys, ru.ru_maxrss, code, wall);
    return code;
}
