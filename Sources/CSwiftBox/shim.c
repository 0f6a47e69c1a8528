#define _GNU_SOURCE
#include "cswiftbox.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/personality.h>
#include <sys/wait.h>
#include <grp.h>
#include <termios.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <linux/sched.h>

#define SB_CHILD_STACK (64 * 1024)

static void child_fail(int fd, const char *step) {
    int e = errno;
    if (fd >= 0) {
        char buf[96];
        int n = snprintf(buf, sizeof buf, "%s:%d\n", step, e);
        if (n > 0) { ssize_t w = write(fd, buf, (size_t)n); (void)w; }
    }
    _exit(127);
}

// Moves the calling (single-threaded) child into its cgroups: "0" is the
// writer itself, and a `tasks` write of one thread skips the global lock a
// cgroup.procs write by another process takes.
static void join_cgroups(const struct sb_spawn *s, int procs_fallback) {
    for (int i = 0; i < s->cgroup_count; i++) {
        if (write(s->cgroup_fds[i], "0", 1) != 1) {
            char step[32];
            snprintf(step, sizeof step, "join cgroup %d", i);
            child_fail(s->error_fd, step);
        }
    }
    if (procs_fallback && s->into_cgroup_procs_fd >= 0 && write(s->into_cgroup_procs_fd, "0", 1) != 1) {
        char step[32];
        snprintf(step, sizeof step, "join cgroup %d", s->cgroup_count);
        child_fail(s->error_fd, step);
    }
}

// Runs in the child: joins, unshares, waits for the parent, drops to ns root, execs.
static int child_steps(const struct sb_spawn *s, int procs_fallback) {
    join_cgroups(s, procs_fallback);
    if (s->new_session) setsid();
    for (int i = 0; i < s->join_count; i++)
        if (setns(s->join_fds[i], 0) < 0) child_fail(s->error_fd, "setns");
    if (s->unshare_flags && unshare(s->unshare_flags) < 0) child_fail(s->error_fd, "unshare");
    if (s->ready_fd >= 0 && write(s->ready_fd, "1", 1) != 1) child_fail(s->error_fd, "report-unshared");
    if (s->wait_fd >= 0) {
        char c;
        ssize_t r;
        do { r = read(s->wait_fd, &c, 1); } while (r < 0 && errno == EINTR);
        if (r != 1) { errno = ECONNABORTED; child_fail(s->error_fd, "wait-for-parent"); }
    }
    if (s->become_root) {
        if (setresgid(0, 0, 0) < 0) child_fail(s->error_fd, "setresgid");
        if (setresuid(0, 0, 0) < 0) child_fail(s->error_fd, "setresuid");
    }
    if (s->stdio_set)
        for (int i = 0; i < 3; i++)
            if (s->stdio_fds[i] >= 0 && s->stdio_fds[i] != i && dup2(s->stdio_fds[i], i) < 0)
                child_fail(s->error_fd, "dup2");
    if (s->exec_fd >= 0) syscall(SYS_execveat, s->exec_fd, "", s->argv, s->envp, AT_EMPTY_PATH);
    else execve(s->path, s->argv, s->envp);
    child_fail(s->error_fd, "execve");
    return 127;
}

static int clone_entry(void *arg) { return child_steps((const struct sb_spawn *)arg, 1); }

// clone3 with CLONE_INTO_CGROUP: fork-like (no CLONE_VM), so the child runs
// on a copy of this stack and never returns from here. -2: clone3 or the flag
// is unknown to this kernel, or a seccomp filter refuses clone3 (ENOSYS, or
// EPERM in older container profiles): plain clone is tried then, and fails
// the same way if namespaces are what is not permitted.
static pid_t clone_into_cgroup(const struct sb_spawn *spec) {
#if defined(SYS_clone3) && defined(CLONE_INTO_CGROUP)
    struct clone_args a;
    memset(&a, 0, sizeof a);
    a.flags = (unsigned long long)(unsigned int)spec->clone_flags | CLONE_INTO_CGROUP;
    a.exit_signal = SIGCHLD;
    a.cgroup = (unsigned long long)spec->into_cgroup_fd;
    long r = syscall(SYS_clone3, &a, sizeof a);
    if (r == 0) { child_steps(spec, 0); _exit(127); }
    if (r < 0 && (errno == ENOSYS || errno == E2BIG || errno == EPERM)) return -2;
    return (pid_t)r;
#else
    (void)spec;
    return -2;
#endif
}

pid_t sb_spawn_process(const struct sb_spawn *spec) {
    // The child starts with every signal blocked (init clears the mask), so
    // nothing sent to our process group lands before it can setsid().
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t pid = -2;
    if (spec->into_cgroup_fd >= 0) pid = clone_into_cgroup(spec);
    if (pid == -2) {
        void *stack = mmap(NULL, SB_CHILD_STACK, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (stack == MAP_FAILED) {
            pid = -1;
        } else {
            pid = clone(clone_entry, (char *)stack + SB_CHILD_STACK, spec->clone_flags | SIGCHLD, (void *)spec);
            int e = errno;
            munmap(stack, SB_CHILD_STACK);
            errno = e;
        }
    }
    int e = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = e;
    return pid;
}

pid_t sb_spawn_joined(const struct sb_spawn *spec, int pid_fd) {
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t mid = fork();
    if (mid != 0) {
        int e = errno;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        errno = e;
        return mid;
    }
    if (spec->new_session) setsid();
    // Intermediate: join everything, then fork so a joined pid namespace applies.
    for (int i = 0; i < spec->join_count; i++)
        if (setns(spec->join_fds[i], 0) < 0) child_fail(spec->error_fd, "setns");
    // The grandchild is cloned with the spec's new namespaces (none for exec).
    struct sb_spawn rest = *spec;
    rest.join_count = 0;
    pid_t pid = sb_spawn_process(&rest);
    if (pid < 0) child_fail(spec->error_fd, "clone");
    int32_t p = pid;
    ssize_t w = write(pid_fd, &p, sizeof p);
    _exit(w == sizeof p ? 0 : 1);
}

int sb_setns(int fd, int nstype) { return setns(fd, nstype); }
int sb_unshare(int flags) { return unshare(flags); }
int sb_pivot_root(const char *n, const char *o) { return (int)syscall(SYS_pivot_root, n, o); }
int sb_prctl(int o, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5) {
    return prctl(o, a2, a3, a4, a5);
}
int sb_mount(const char *s, const char *t, const char *f, unsigned long fl, const char *d) {
    return mount(s, t, f, fl, d);
}
int sb_umount2(const char *t, int f) { return umount2(t, f); }
int sb_sethostname(const char *n, size_t l) { return sethostname(n, l); }
int sb_setdomainname(const char *n, size_t l) { return setdomainname(n, l); }
int sb_setgroups(size_t n, const gid_t *l) { return setgroups(n, l); }
int sb_setresuid(uid_t u) { return setresuid(u, u, u); }
int sb_setresgid(gid_t g) { return setresgid(g, g, g); }

int sb_capget(int pid, struct sb_caps *c) {
    struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, pid };
    struct __user_cap_data_struct d[2];
    memset(d, 0, sizeof d);
    if (syscall(SYS_capget, &h, d) < 0) return -1;
    for (int i = 0; i < 2; i++) {
        c->effective[i] = d[i].effective;
        c->permitted[i] = d[i].permitted;
        c->inheritable[i] = d[i].inheritable;
    }
    return 0;
}

int sb_capset(const struct sb_caps *c) {
    struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct d[2];
    for (int i = 0; i < 2; i++) {
        d[i].effective = c->effective[i];
        d[i].permitted = c->permitted[i];
        d[i].inheritable = c->inheritable[i];
    }
    return (int)syscall(SYS_capset, &h, d);
}

int sb_send_fd(int sock, int fd, const char *name) {
    char cbuf[CMSG_SPACE(sizeof(int))];
    memset(cbuf, 0, sizeof cbuf);
    struct iovec iov = { (void *)name, strlen(name) ? strlen(name) : 1 };
    if (!strlen(name)) iov.iov_base = (void *)"x";
    struct msghdr m = { 0 };
    m.msg_iov = &iov; m.msg_iovlen = 1;
    m.msg_control = cbuf; m.msg_controllen = sizeof cbuf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET; c->cmsg_type = SCM_RIGHTS; c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    return sendmsg(sock, &m, 0) < 0 ? -1 : 0;
}

int sb_recv_fd(int sock) {
    char buf[256], cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec iov = { buf, sizeof buf };
    struct msghdr m = { 0 };
    m.msg_iov = &iov; m.msg_iovlen = 1;
    m.msg_control = cbuf; m.msg_controllen = sizeof cbuf;
    if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC) < 0) return -1;
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    if (!c || c->cmsg_type != SCM_RIGHTS) { errno = EBADMSG; return -1; }
    int fd; memcpy(&fd, CMSG_DATA(c), sizeof fd);
    return fd;
}

int sb_send_fds(int sock, const int *fds, int count) {
    if (count < 0 || count > 16) { errno = EINVAL; return -1; }
    char cbuf[CMSG_SPACE(16 * sizeof(int))];
    memset(cbuf, 0, sizeof cbuf);
    struct iovec iov = { (void *)"F", 1 };
    struct msghdr m = { 0 };
    m.msg_iov = &iov; m.msg_iovlen = 1;
    if (count > 0) {
        m.msg_control = cbuf; m.msg_controllen = CMSG_SPACE(count * sizeof(int));
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET; c->cmsg_type = SCM_RIGHTS; c->cmsg_len = CMSG_LEN(count * sizeof(int));
        memcpy(CMSG_DATA(c), fds, count * sizeof(int));
    }
    ssize_t r;
    do { r = sendmsg(sock, &m, MSG_NOSIGNAL); } while (r < 0 && errno == EINTR);
    return r == 1 ? 0 : -1;
}

int sb_recv_fds(int sock, int *fds, int max) {
    char byte, cbuf[CMSG_SPACE(16 * sizeof(int))];
    struct iovec iov = { &byte, 1 };
    struct msghdr m = { 0 };
    m.msg_iov = &iov; m.msg_iovlen = 1;
    m.msg_control = cbuf; m.msg_controllen = sizeof cbuf;
    ssize_t r;
    do { r = recvmsg(sock, &m, MSG_CMSG_CLOEXEC); } while (r < 0 && errno == EINTR);
    if (r != 1) { if (r == 0) errno = ECONNABORTED; return -1; }
    if (m.msg_flags & MSG_CTRUNC) { errno = EMSGSIZE; return -1; }
    int n = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        for (int i = 0; i < k; i++) {
            int fd; memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            if (n < max) fds[n++] = fd; else close(fd);
        }
    }
    return n;
}

int sb_pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }
int sb_pidfd_send_signal(int pidfd, int sig) { return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0); }
int sb_close_range_cloexec(unsigned int first) {
    return (int)syscall(SYS_close_range, first, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */);
}
int sb_memfd_create(const char *name, unsigned int flags) { return (int)syscall(SYS_memfd_create, name, flags); }
int sb_openat2_in_root(int dirfd, const char *path, int flags, int mode) {
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (uint64_t)flags | O_CLOEXEC;
    how.mode = (flags & O_CREAT) ? (uint64_t)mode : 0;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}
int sb_execveat(int dirfd, const char *p, char *const a[], char *const e[], int f) {
    return (int)syscall(SYS_execveat, dirfd, p, a, e, f);
}
int sb_seccomp_set_filter(unsigned int flags, const void *prog) {
    return (int)syscall(SYS_seccomp, 1 /* SECCOMP_SET_MODE_FILTER */, flags, prog);
}
int sb_personality(unsigned long p) { return personality(p); }
int sb_wexitstatus(int s) { return WEXITSTATUS(s); }
int sb_wtermsig(int s) { return WTERMSIG(s); }
int sb_wifexited(int s) { return WIFEXITED(s); }
int sb_wifsignaled(int s) { return WIFSIGNALED(s); }
int sb_wifstopped(int s) { return WIFSTOPPED(s); }
int sb_child_subreaper(void) { return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }

int sb_open_pty(int *master, char *slave_name, size_t len) {
    int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0) return -1;
    if (grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, slave_name, len) != 0) { close(m); return -1; }
    *master = m;
    return 0;
}
int sb_set_ctty(int fd) { return ioctl(fd, TIOCSCTTY, 0); }
int sb_ioctl_winsize(int fd, unsigned short rows, unsigned short cols) {
    struct winsize w = { rows, cols, 0, 0 };
    return ioctl(fd, TIOCSWINSZ, &w);
}
int sb_get_winsize(int fd, unsigned short *rows, unsigned short *cols) {
    struct winsize w;
    if (ioctl(fd, TIOCGWINSZ, &w) < 0) return -1;
    *rows = w.ws_row; *cols = w.ws_col;
    return 0;
}
int sb_copy_winsize(int from, int to) {
    struct winsize w;
    if (ioctl(from, TIOCGWINSZ, &w) < 0) return -1;
    return ioctl(to, TIOCSWINSZ, &w);
}
int sb_make_raw(int fd, void *saved) {
    struct termios t;
    if (tcgetattr(fd, &t) < 0) return -1;
    memcpy(saved, &t, sizeof t);
    cfmakeraw(&t);
    return tcsetattr(fd, TCSANOW, &t);
}
int sb_restore_terminal(int fd, const void *saved) {
    return tcsetattr(fd, TCSANOW, (const struct termios *)saved);
}
int sb_pipe2(int fds[2], int flags) { return pipe2(fds, flags); }
int sb_dup3(int o, int n, int f) { return dup3(o, n, f); }

// ---- Image unpacking (SwiftBoxImage) ----
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <sys/stat.h>

int sb_openat2(int dirfd, const char *path, int flags, int mode, unsigned long long resolve) {
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (uint64_t)flags | O_CLOEXEC;
    how.mode = (flags & O_CREAT) ? (uint64_t)mode : 0;
    how.resolve = resolve;
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}
int sb_mknodat(int dirfd, const char *name, unsigned int mode, unsigned int maj, unsigned int min) {
    return mknodat(dirfd, name, (mode_t)mode, makedev(maj, min));
}
unsigned int sb_major(unsigned long long dev) { return major(dev); }
unsigned int sb_minor(unsigned long long dev) { return minor(dev); }
int sb_renameat2(int od, const char *op, int nd, const char *np, unsigned int flags) {
    return (int)syscall(SYS_renameat2, od, op, nd, np, flags);
}
int sb_fsetxattr(int fd, const char *n, const void *v, size_t s) { return fsetxattr(fd, n, v, s, 0); }
int sb_lsetxattr(const char *p, const char *n, const void *v, size_t s) { return lsetxattr(p, n, v, s, 0); }
ssize_t sb_lgetxattr(const char *p, const char *n, void *v, size_t s) { return lgetxattr(p, n, v, s); }
ssize_t sb_llistxattr(const char *p, char *l, size_t s) { return llistxattr(p, l, s); }

// ---- cgroup v2 device control (SwiftBoxCgroups) ----
#include <linux/bpf.h>

static int sb_bpf(int cmd, union bpf_attr *attr) {
    return (int)syscall(SYS_bpf, cmd, attr, sizeof *attr);
}
int sb_bpf_load_device_program(const void *insns, unsigned int count, char *log, unsigned int log_size) {
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    a.insns = (uint64_t)(uintptr_t)insns;
    a.insn_cnt = count;
    a.license = (uint64_t)(uintptr_t)"Apache";
    if (log && log_size) {
        log[0] = 0;
        a.log_buf = (uint64_t)(uintptr_t)log;
        a.log_size = log_size;
        a.log_level = 1;
    }
    int fd = sb_bpf(BPF_PROG_LOAD, &a);
    if (fd < 0 && errno == ENOSPC && log) {
        // The log was too small for the verifier's output: load again without one.
        a.log_buf = 0; a.log_size = 0; a.log_level = 0;
        fd = sb_bpf(BPF_PROG_LOAD, &a);
    }
    if (fd >= 0) fcntl(fd, F_SETFD, FD_CLOEXEC);
    return fd;
}
int sb_bpf_attach_device_program(int cgroup_fd, int prog_fd) {
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.target_fd = (uint32_t)cgroup_fd;
    a.attach_bpf_fd = (uint32_t)prog_fd;
    a.attach_type = BPF_CGROUP_DEVICE;
    a.attach_flags = BPF_F_ALLOW_MULTI;
    return sb_bpf(BPF_PROG_ATTACH, &a);
}
int sb_bpf_detach_device_program(int cgroup_fd, int prog_fd) {
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.target_fd = (uint32_t)cgroup_fd;
    a.attach_bpf_fd = (uint32_t)prog_fd;
    a.attach_type = BPF_CGROUP_DEVICE;
    return sb_bpf(BPF_PROG_DETACH, &a);
}
int sb_bpf_query_device_programs(int cgroup_fd, unsigned int *ids, unsigned int *count) {
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.query.target_fd = (uint32_t)cgroup_fd;
    a.query.attach_type = BPF_CGROUP_DEVICE;
    a.query.prog_ids = (uint64_t)(uintptr_t)ids;
    a.query.prog_cnt = *count;
    int rc = sb_bpf(BPF_PROG_QUERY, &a);
    *count = a.query.prog_cnt;
    return rc;
}
int sb_bpf_program_fd(unsigned int id) {
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.prog_id = id;
    int fd = sb_bpf(BPF_PROG_GET_FD_BY_ID, &a);
    if (fd >= 0) fcntl(fd, F_SETFD, FD_CLOEXEC);
    return fd;
}
