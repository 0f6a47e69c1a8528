/*
 * The seccomp tests' payload: issues raw system calls and reports, one line
 * each, whether they succeeded or which errno they failed with, then prints
 * "alive" to show the process survived. Built with `gcc -static` at test
 * time and bind-mounted into a busybox container.
 *
 *   probe keyctl | add_key | clone-ns | fork | clone3 | mseal
 *   probe socket FAMILY [HIGH32]     socket(FAMILY | HIGH32 << 32, SOCK_STREAM, 0)
 *   probe sys NR [ARG...]            any system call by number
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void report(const char *what, long rc) {
    if (rc < 0) printf("%s: errno=%d\n", what, errno);
    else printf("%s: ok\n", what);
    fflush(stdout);
}

/* A child made by a raw clone or fork exits at once; the parent reaps it. */
static long reap(long pid) {
    if (pid == 0) _exit(0);
    if (pid > 0) waitpid((pid_t)pid, NULL, 0);
    return pid;
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *cmd = argv[i];
        if (!strcmp(cmd, "keyctl")) {
            /* KEYCTL_GET_KEYRING_ID of KEY_SPEC_SESSION_KEYRING, creating it. */
            report(cmd, syscall(SYS_keyctl, 0, -3, 1));
        } else if (!strcmp(cmd, "add_key")) {
            /* A user key in KEY_SPEC_PROCESS_KEYRING. */
            report(cmd, syscall(SYS_add_key, "user", "swiftbox-probe", "x", 1, -2));
        } else if (!strcmp(cmd, "clone-ns")) {
            report(cmd, reap(syscall(SYS_clone, CLONE_NEWUTS | SIGCHLD, 0, 0, 0, 0)));
        } else if (!strcmp(cmd, "fork")) {
            report(cmd, reap(syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0)));
        } else if (!strcmp(cmd, "clone3")) {
            /* struct clone_args with only exit_signal = SIGCHLD. */
            unsigned long long args[11] = {0};
            args[4] = SIGCHLD;
            report(cmd, reap(syscall(SYS_clone3, args, sizeof args)));
        } else if (!strcmp(cmd, "mseal")) {
            /* Newer than the built-in profile (Linux 6.10, number 462 on x86_64). */
            report(cmd, syscall(462, 0, 0, 0));
        } else if (!strcmp(cmd, "socket") && i + 1 < argc) {
            unsigned long family = strtoul(argv[++i], NULL, 0);
            unsigned long high = (i + 1 < argc && argv[i + 1][0] >= '0' && argv[i + 1][0] <= '9') ? strtoul(argv[++i], NULL, 0) : 0;
            char what[64];
            snprintf(what, sizeof what, "socket %lu%s", family, high ? " high" : "");
            long fd = syscall(SYS_socket, family | (high << 32), 1 /* SOCK_STREAM */, 0);
            report(what, fd);
            if (fd >= 0) close((int)fd);
        } else if (!strcmp(cmd, "sys") && i + 1 < argc) {
            long nr = strtol(argv[++i], NULL, 0), a[6] = {0};
            int n = 0;
            while (n < 6 && i + 1 < argc && argv[i + 1][0] >= '0' && argv[i + 1][0] <= '9') a[n++] = strtol(argv[++i], NULL, 0);
            char what[32];
            snprintf(what, sizeof what, "sys %ld", nr);
            report(what, syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]));
        } else {
            fprintf(stderr, "probe: unknown command %s\n", cmd);
            return 2;
        }
    }
    puts("alive");
    return 0;
}
