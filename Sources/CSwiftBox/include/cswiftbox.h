// The narrow C shim: only what Swift cannot reach on Linux (variadic or
// returns-twice functions, _GNU_SOURCE declarations, SCM_RIGHTS plumbing, and
// the clone trampoline that must run no Swift code in the child).
#ifndef CSWIFTBOX_H
#define CSWIFTBOX_H

#include <sys/types.h>
#include <stdint.h>

// Namespace flags (sched.h hides them without _GNU_SOURCE).
#define SB_CLONE_NEWNS     0x00020000
#define SB_CLONE_NEWCGROUP 0x02000000
#define SB_CLONE_NEWUTS    0x04000000
#define SB_CLONE_NEWIPC    0x08000000
#define SB_CLONE_NEWUSER   0x10000000
#define SB_CLONE_NEWPID    0x20000000
#define SB_CLONE_NEWNET    0x40000000
#define SB_CLONE_NEWTIME   0x00000080

// Mount flags the Glibc module may not expose.
#define SB_MS_RDONLY      1UL
#define SB_MS_NOSUID      2UL
#define SB_MS_NODEV       4UL
#define SB_MS_NOEXEC      8UL
#define SB_MS_SYNCHRONOUS 16UL
#define SB_MS_REMOUNT     32UL
#define SB_MS_MANDLOCK    64UL
#define SB_MS_DIRSYNC     128UL
#define SB_MS_NOSYMFOLLOW 256UL
#define SB_MS_NOATIME     1024UL
#define SB_MS_NODIRATIME  2048UL
#define SB_MS_BIND        4096UL
#define SB_MS_MOVE        8192UL
#define SB_MS_REC         16384UL
#define SB_MS_SILENT      32768UL
#define SB_MS_UNBINDABLE  (1UL << 17)
#define SB_MS_PRIVATE     (1UL << 18)
#define SB_MS_SLAVE       (1UL << 19)
#define SB_MS_SHARED      (1UL << 20)
#define SB_MS_RELATIME    (1UL << 21)
#define SB_MS_STRICTATIME (1UL << 24)
#define SB_MS_LAZYTIME    (1UL << 25)
#define SB_MNT_DETACH     2
#define SB_O_PATH         010000000
#define SB_AT_EMPTY_PATH  0x1000

/// What the trampoline child does between clone and execve.
struct sb_spawn {
    int clone_flags;        // CLONE_NEW* to create
    int unshare_flags;      // flags to unshare() in the child (CLONE_NEWTIME)
    int join_fds[16];       // namespace fds to setns() into, in order, before anything else
    int join_count;
    int ready_fd;           // if >= 0: write one byte here once unshared (the parent may then write timens_offsets)
    int wait_fd;            // if >= 0: block reading one byte before execve (uid/gid maps)
    int become_root;        // setresgid/setresuid(0) after wait (fresh user namespace)
    int new_session;        // setsid() first: signals to the caller's process group never reach the child
    int error_fd;           // the child writes "<step>:<errno>\n" here if it fails
    int stdio_set;          // if non-zero: dup2(stdio_fds[i], i) before execve
    int stdio_fds[3];
    int exec_fd;            // if >= 0: execveat(exec_fd, "", AT_EMPTY_PATH) instead of path
    // cgroup placement without a migration by the parent (which waits for an
    // RCU grace period, up to tens of ms): the child writes "0" to each of
    // cgroup_fds (cgroup v1 `tasks` files) first thing; with into_cgroup_fd
    // (a cgroup v2 directory) it is cloned straight into it (clone3
    // CLONE_INTO_CGROUP), or, where clone3 is missing, writes "0" to
    // into_cgroup_procs_fd. A failed write reports "join cgroup <index>".
    int cgroup_fds[16];
    int cgroup_count;
    int into_cgroup_fd;     // -1: none
    int into_cgroup_procs_fd;
    const char *path;       // what to execve
    char *const *argv;
    char *const *envp;
};

/// Clones a child with `clone_flags` (plus SIGCHLD) that performs the steps of
/// `sb_spawn` and execs. Returns the child pid or -1 with errno set.
pid_t sb_spawn_process(const struct sb_spawn *spec);

/// Forks a child that joins `join_fds`, then clones the grandchild with
/// `clone_flags` (so a joined pid namespace takes effect, and new namespaces
/// are made inside the joined ones); the grandchild execs. The
/// intermediate child writes the grandchild's pid (as 4 bytes) to `pid_fd`
/// and exits. Returns the intermediate pid, or -1.
pid_t sb_spawn_joined(const struct sb_spawn *spec, int pid_fd);

int sb_setns(int fd, int nstype);
int sb_unshare(int flags);
int sb_pivot_root(const char *new_root, const char *put_old);
int sb_prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5);
int sb_mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data);
int sb_umount2(const char *target, int flags);
int sb_sethostname(const char *name, size_t len);
int sb_setdomainname(const char *name, size_t len);
int sb_setgroups(size_t size, const gid_t *list);
int sb_setresuid(uid_t uid);
int sb_setresgid(gid_t gid);

/// Capability sets as the kernel's v3 capget/capset use them (two 32-bit words each).
struct sb_caps { uint32_t effective[2]; uint32_t permitted[2]; uint32_t inheritable[2]; };
int sb_capget(int pid, struct sb_caps *caps);
int sb_capset(const struct sb_caps *caps);

/// Sends `fd` over the unix socket `sock` (SCM_RIGHTS) with `name` as payload.
int sb_send_fd(int sock, int fd, const char *name);
/// Receives one fd; returns it or -1.
int sb_recv_fd(int sock);
/// Sends `count` (0 to 16) descriptors with a one-byte message (MSG_NOSIGNAL).
int sb_send_fds(int sock, const int *fds, int count);
/// Receives the one-byte message of sb_send_fds and its descriptors (close-on-exec)
/// into `fds`; returns how many, or -1.
int sb_recv_fds(int sock, int *fds, int max);

int sb_pidfd_open(pid_t pid);
int sb_pidfd_send_signal(int pidfd, int sig);
int sb_close_range_cloexec(unsigned int first);
int sb_memfd_create(const char *name, unsigned int flags);
int sb_openat2_in_root(int dirfd, const char *path, int flags, int mode);
int sb_execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags);
int sb_seccomp_set_filter(unsigned int flags, const void *prog_len_and_filter_ptr);
int sb_personality(unsigned long persona);
int sb_wexitstatus(int status);
int sb_wtermsig(int status);
int sb_wifexited(int status);
int sb_wifsignaled(int status);
int sb_wifstopped(int status);
int sb_child_subreaper(void);
int sb_open_pty(int *master, char *slave_name, size_t name_len);
int sb_set_ctty(int fd);
int sb_ioctl_winsize(int fd, unsigned short rows, unsigned short cols);
/// The window size of a terminal; -1 if `fd` is not one.
int sb_get_winsize(int fd, unsigned short *rows, unsigned short *cols);
/// Copies the window size of terminal `from` to terminal `to`.
int sb_copy_winsize(int from, int to);
/// Puts a terminal in raw mode; saves its settings in `saved` (an opaque
/// buffer of at least 128 bytes) for sb_restore_terminal.
int sb_make_raw(int fd, void *saved);
int sb_restore_terminal(int fd, const void *saved);
int sb_pipe2(int fds[2], int flags);
int sb_dup3(int oldfd, int newfd, int flags);

// ---- Image unpacking (SwiftBoxImage) ----
#define SB_RESOLVE_NO_XDEV       0x01
#define SB_RESOLVE_NO_MAGICLINKS 0x02
#define SB_RESOLVE_NO_SYMLINKS   0x04
#define SB_RESOLVE_BENEATH       0x08
#define SB_RESOLVE_IN_ROOT       0x10
#define SB_RENAME_NOREPLACE      1
#define SB_RENAME_EXCHANGE       2

/// openat2(2) with an explicit `resolve` mask (SB_RESOLVE_*); O_CLOEXEC is added.
int sb_openat2(int dirfd, const char *path, int flags, int mode, unsigned long long resolve);
/// mknodat(2) with the device number built from major/minor (makedev is a macro).
int sb_mknodat(int dirfd, const char *name, unsigned int mode, unsigned int major, unsigned int minor);
/// The major and minor numbers of a device number.
unsigned int sb_major(unsigned long long dev);
unsigned int sb_minor(unsigned long long dev);
/// renameat2(2) (SB_RENAME_* flags).
int sb_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags);
/// Extended attributes (sys/xattr.h is not part of the Glibc module).
int sb_fsetxattr(int fd, const char *name, const void *value, size_t size);
int sb_lsetxattr(const char *path, const char *name, const void *value, size_t size);
ssize_t sb_lgetxattr(const char *path, const char *name, void *value, size_t size);
ssize_t sb_llistxattr(const char *path, char *list, size_t size);

// ---- cgroup v2 device control (SwiftBoxCgroups) ----
/// Loads a BPF_PROG_TYPE_CGROUP_DEVICE program of `count` 8-byte instructions.
/// Returns the program fd, or -1 with errno set and the verifier's log in `log`.
int sb_bpf_load_device_program(const void *insns, unsigned int count, char *log, unsigned int log_size);
/// Attaches a device program to a cgroup directory fd (BPF_F_ALLOW_MULTI).
int sb_bpf_attach_device_program(int cgroup_fd, int prog_fd);
/// Detaches one device program from a cgroup directory fd.
int sb_bpf_detach_device_program(int cgroup_fd, int prog_fd);
/// Lists the ids of the device programs attached to a cgroup (at most *count;
/// *count is set to the number found).
int sb_bpf_query_device_programs(int cgroup_fd, unsigned int *ids, unsigned int *count);
/// Opens a loaded BPF program by id.
int sb_bpf_program_fd(unsigned int id);

#endif
