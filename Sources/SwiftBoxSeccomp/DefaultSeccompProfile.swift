/// The built-in seccomp profile for services, as JSON in the Docker profile
/// format (see `SeccompProfile`). Kept as a literal so that the runtime needs
/// no resource bundle (and with it no Foundation); `images/seccomp/default.json`
/// is a copy for readers and tools, and a test keeps the two identical.
///
/// Bump `version` whenever the effect changes.
let defaultSeccompProfileJSON = #"""
{
  "name": "swiftbox-default",
  "version": "1",
  "comment": "The seccomp profile swiftbox gives services: an allowlist with EPERM for everything else, equal in effect to Docker's default profile but without io_uring and AF_ALG sockets. Entries with includes/excludes apply only to containers with (or without) those capabilities, on those architectures, or on kernels at least that new. See docs/security.md.",
  "defaultAction": "SCMP_ACT_ERRNO",
  "defaultErrnoRet": 1,
  "archMap": [
    {
      "architecture": "SCMP_ARCH_X86_64",
      "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]
    },
    {
      "architecture": "SCMP_ARCH_AARCH64",
      "subArchitectures": ["SCMP_ARCH_ARM"]
    },
    {
      "architecture": "SCMP_ARCH_MIPS64",
      "subArchitectures": ["SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32"]
    },
    {
      "architecture": "SCMP_ARCH_MIPS64N32",
      "subArchitectures": ["SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64"]
    },
    {
      "architecture": "SCMP_ARCH_MIPSEL64",
      "subArchitectures": ["SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32"]
    },
    {
      "architecture": "SCMP_ARCH_MIPSEL64N32",
      "subArchitectures": ["SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64"]
    },
    {
      "architecture": "SCMP_ARCH_S390X",
      "subArchitectures": ["SCMP_ARCH_S390"]
    },
    {
      "architecture": "SCMP_ARCH_RISCV64",
      "subArchitectures": []
    }
  ],
  "syscalls": [
    {
      "names": [
        "access", "chdir", "chmod", "chown", "chown32", "close", "close_range", "copy_file_range", "creat",
        "dup", "dup2", "dup3", "faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate",
        "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat",
        "fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fremovexattr", "fsetxattr",
        "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64",
        "futimesat", "getcwd", "getdents", "getdents64", "getxattr", "inotify_add_watch", "inotify_init",
        "inotify_init1", "inotify_rm_watch", "io_cancel", "io_destroy", "io_getevents", "io_pgetevents",
        "io_pgetevents_time64", "io_setup", "io_submit", "ioctl", "lchown", "lchown32", "lgetxattr", "link",
        "linkat", "listxattr", "llistxattr", "_llseek", "lremovexattr", "lseek", "lsetxattr", "lstat",
        "lstat64", "mkdir", "mkdirat", "mknod", "mknodat", "name_to_handle_at", "newfstatat", "open",
        "openat", "openat2", "pipe", "pipe2", "pread64", "preadv", "preadv2", "pwrite64", "pwritev",
        "pwritev2", "read", "readahead", "readlink", "readlinkat", "readv", "removexattr", "rename",
        "renameat", "renameat2", "rmdir", "sendfile", "sendfile64", "setxattr", "splice", "stat", "stat64",
        "statfs", "statfs64", "statx", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs", "tee",
        "truncate", "truncate64", "umask", "unlink", "unlinkat", "utime", "utimensat", "utimensat_time64",
        "utimes", "vmsplice", "write", "writev"
      ],
      "action": "SCMP_ACT_ALLOW",
      "comment": "Files, directories, descriptors and asynchronous I/O (not io_uring)."
    },
    {
      "names": [
        "brk", "cachestat", "getrandom", "madvise", "map_shadow_stack", "membarrier", "memfd_create",
        "memfd_secret", "mincore", "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect", "mremap",
        "msync", "munlock", "munlockall", "munmap", "pkey_alloc", "pkey_free", "pkey_mprotect",
        "remap_file_pages"
      ],
      "action": "SCMP_ACT_ALLOW",
      "comment": "Memory and random numbers."
    },
    {
      "names": [
        "capget", "capset", "execve", "execveat", "exit", "exit_group", "fork", "futex", "futex_requeue",
        "futex_time64", "futex_wait", "futex_waitv", "futex_wake", "get_robust_list", "get_thread_area",
        "getcpu", "getpgid", "getpgrp", "getpid", "getppid", "getpriority", "getrlimit", "getrusage",
        "getsid", "gettid", "ioprio_get", "ioprio_set", "kill", "landlock_add_rule",
        "landlock_create_ruleset", "landlock_restrict_self", "pidfd_open", "pidfd_send_signal", "prctl",
        "prlimit64", "process_mrelease", "restart_syscall", "rseq", "rt_sigaction", "rt_sigpending",
        "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
        "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_get_priority_max", "sched_get_priority_min",
        "sched_getaffinity", "sched_getattr", "sched_getparam", "sched_getscheduler",
        "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr",
        "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "set_robust_list",
        "set_thread_area", "set_tid_address", "setpgid", "setpriority", "setrlimit", "setsid", "sigaltstack",
        "signalfd", "signalfd4", "sigprocmask", "sigreturn", "sysinfo", "tgkill", "times", "tkill",
        "ugetrlimit", "uname", "vfork", "wait4", "waitid", "waitpid"
      ],
      "action": "SCMP_ACT_ALLOW",
      "comment": "Processes, threads, signals and scheduling (namespace-creating clone is below)."
    },
    {
      "names": [
        "getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32",
        "getresgid", "getresgid32", "getresuid", "getresuid32", "getuid", "getuid32", "setfsgid",
        "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32", "setregid",
        "setregid32", "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid", "setreuid32",
        "setuid", "setuid32"
      ],
      "action": "SCMP_ACT_ALLOW",
      "comment": "User and group identity (the kernel still checks CAP_SETUID and CAP_SETGID)."
    },
    {
      "names": [
        "adjtimex", "alarm", "clock_adjtime", "clock_adjtime64", "clock_getres", "clock_getres_time64",
        "clock_gettime", "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64", "getitimer",
        "gettimeofday", "nanosleep", "setitimer", "time", "timer_create", "timer_delete", "timer_getoverrun",
        "timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64", "timerfd_create",
        "timerfd_gettime", "timerfd_gettime64", "timerfd_settime", "timerfd_settime64"
      ],
      "action": "SCMP_ACT_ALLOW",
      "comment": "Clocks and timers (setting the clock needs CAP_SYS_TIME, below; adjtimex only reads without it)."
    },
    {
      "names": [
        "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait", "epoll_pwait2",
        "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "_newselect", "pause", "poll", "ppoll",
        "ppoll_time64", "pselect6", "pselect6_time64", "select"
      ],
      "action": "SCMP_ACT_ALLOW",
      "comment": "Waiting for events."
    },
    {
      "names": [
        "accept", "accept4", "bind", "connect", "getpeername", "getsockname", "getsockopt", "listen", "recv",
        "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg", "send", "sendmmsg", "sendmsg", "sendto",
        "setsockopt", "shutdown", "socketcall", "socketpair"
      ],
      "action": "SCMP_ACT_ALLOW",
      "comment": "Sockets once created (socket itself is below)."
    },
    {
      "names": [
        "ipc", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedreceive_time64",
        "mq_timedsend", "mq_timedsend_time64", "mq_unlink", "msgctl", "msgget", "msgrcv", "msgsnd", "semctl",
        "semget", "semop", "semtimedop", "semtimedop_time64", "shmat", "shmctl", "shmdt", "shmget"
      ],
      "action": "SCMP_ACT_ALLOW",
      "comment": "System V and POSIX IPC (namespaced by the container's IPC namespace)."
    },
    {
      "names": ["socket"],
      "action": "SCMP_ACT_ALLOW",
      "args": [
        {"index": 0, "value": 4294967264, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}
      ],
      "comment": "socket: address families 0-31. AF_ALG (38) and AF_VSOCK (40) are left out, so they are denied. The masks test only the low 32 bits, which are all the kernel reads of the int argument."
    },
    {
      "names": ["socket"],
      "action": "SCMP_ACT_ALLOW",
      "args": [
        {"index": 0, "value": 4294967292, "valueTwo": 32, "op": "SCMP_CMP_MASKED_EQ"}
      ],
      "comment": "socket: address families 32-35. AF_ALG (38) and AF_VSOCK (40) are left out, so they are denied. The masks test only the low 32 bits, which are all the kernel reads of the int argument."
    },
    {
      "names": ["socket"],
      "action": "SCMP_ACT_ALLOW",
      "args": [
        {"index": 0, "value": 4294967294, "valueTwo": 36, "op": "SCMP_CMP_MASKED_EQ"}
      ],
      "comment": "socket: address families 36-37. AF_ALG (38) and AF_VSOCK (40) are left out, so they are denied. The masks test only the low 32 bits, which are all the kernel reads of the int argument."
    },
    {
      "names": ["socket"],
      "action": "SCMP_ACT_ALLOW",
      "args": [
        {"index": 0, "value": 4294967295, "valueTwo": 39, "op": "SCMP_CMP_MASKED_EQ"}
      ],
      "comment": "socket: address families 39. AF_ALG (38) and AF_VSOCK (40) are left out, so they are denied. The masks test only the low 32 bits, which are all the kernel reads of the int argument."
    },
    {
      "names": ["socket"],
      "action": "SCMP_ACT_ALLOW",
      "args": [
        {"index": 0, "value": 4294967295, "valueTwo": 41, "op": "SCMP_CMP_MASKED_EQ"}
      ],
      "comment": "socket: address families 41. AF_ALG (38) and AF_VSOCK (40) are left out, so they are denied. The masks test only the low 32 bits, which are all the kernel reads of the int argument."
    },
    {
      "names": ["socket"],
      "action": "SCMP_ACT_ALLOW",
      "args": [
        {"index": 0, "value": 4294967294, "valueTwo": 42, "op": "SCMP_CMP_MASKED_EQ"}
      ],
      "comment": "socket: address families 42-43. AF_ALG (38) and AF_VSOCK (40) are left out, so they are denied. The masks test only the low 32 bits, which are all the kernel reads of the int argument."
    },
    {
      "names": ["socket"],
      "action": "SCMP_ACT_ALLOW",
      "args": [
        {"index": 0, "value": 4294967292, "valueTwo": 44, "op": "SCMP_CMP_MASKED_EQ"}
      ],
      "comment": "socket: address families 44-47. AF_ALG (38) and AF_VSOCK (40) are left out, so they are denied. The masks test only the low 32 bits, which are all the kernel reads of the int argument."
    },
    {
      "names": ["socket"],
      "action": "SCMP_ACT_ALLOW",
      "args": [
        {"index": 0, "value": 4294967280, "valueTwo": 48, "op": "SCMP_CMP_MASKED_EQ"}
      ],
      "comment": "socket: address families 48-63. AF_ALG (38) and AF_VSOCK (40) are left out, so they are denied. The masks test only the low 32 bits, which are all the kernel reads of the int argument."
    },
    {
      "names": ["personality"],
      "action": "SCMP_ACT_ALLOW",
      "args": [
        {"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}
      ],
      "comment": "personality: PER_LINUX only. Others (e.g. READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE) weaken exploit mitigations."
    },
    {
      "names": ["personality"],
      "action": "SCMP_ACT_ALLOW",
      "args": [
        {"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}
      ],
      "comment": "personality: PER_LINUX32 only. Others (e.g. READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE) weaken exploit mitigations."
    },
    {
      "names": ["personality"],
      "action": "SCMP_ACT_ALLOW",
      "args": [
        {"index": 0, "value": 131072, "op": "SCMP_CMP_EQ"}
      ],
      "comment": "personality: UNAME26 only. Others (e.g. READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE) weaken exploit mitigations."
    },
    {
      "names": ["personality"],
      "action": "SCMP_ACT_ALLOW",
      "args": [
        {"index": 0, "value": 131080, "op": "SCMP_CMP_EQ"}
      ],
      "comment": "personality: PER_LINUX32|UNAME26 only. Others (e.g. READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE) weaken exploit mitigations."
    },
    {
      "names": ["personality"],
      "action": "SCMP_ACT_ALLOW",
      "args": [
        {"index": 0, "value": 4294967295, "op": "SCMP_CMP_EQ"}
      ],
      "comment": "personality: query the current persona only. Others (e.g. READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE) weaken exploit mitigations."
    },
    {
      "names": ["process_vm_readv", "process_vm_writev", "ptrace"],
      "action": "SCMP_ACT_ALLOW",
      "includes": {"minKernel": "4.8"},
      "comment": "Debugging processes of the same container. Before Linux 4.8 ptrace could be used to bypass seccomp."
    },
    {
      "names": ["arch_prctl"],
      "action": "SCMP_ACT_ALLOW",
      "includes": {
        "arches": ["amd64", "x32"]
      }
    },
    {
      "names": ["modify_ldt"],
      "action": "SCMP_ACT_ALLOW",
      "includes": {
        "arches": ["amd64", "x32", "x86"]
      }
    },
    {
      "names": [
        "arm_fadvise64_64", "arm_sync_file_range", "breakpoint", "cacheflush", "set_tls", "sync_file_range2"
      ],
      "action": "SCMP_ACT_ALLOW",
      "includes": {
        "arches": ["arm", "arm64"]
      }
    },
    {
      "names": ["swapcontext", "sync_file_range2"],
      "action": "SCMP_ACT_ALLOW",
      "includes": {
        "arches": ["ppc64le"]
      }
    },
    {
      "names": ["s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"],
      "action": "SCMP_ACT_ALLOW",
      "includes": {
        "arches": ["s390", "s390x"]
      }
    },
    {
      "names": ["riscv_flush_icache"],
      "action": "SCMP_ACT_ALLOW",
      "includes": {
        "arches": ["riscv64"]
      }
    },
    {
      "names": ["clone"],
      "action": "SCMP_ACT_ALLOW",
      "args": [
        {"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}
      ],
      "excludes": {
        "caps": ["CAP_SYS_ADMIN"],
        "arches": ["s390", "s390x"]
      },
      "comment": "clone without CLONE_NEWNS, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET or NEWCGROUP (mask 0x7E020000): threads and processes, not namespaces."
    },
    {
      "names": ["clone"],
      "action": "SCMP_ACT_ALLOW",
      "args": [
        {"index": 1, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}
      ],
      "includes": {
        "arches": ["s390", "s390x"]
      },
      "excludes": {
        "caps": ["CAP_SYS_ADMIN"]
      },
      "comment": "The same for s390, where clone takes its flags second."
    },
    {
      "names": ["clone3"],
      "action": "SCMP_ACT_ERRNO",
      "errnoRet": 38,
      "excludes": {
        "caps": ["CAP_SYS_ADMIN"]
      },
      "comment": "clone3 passes its flags in memory a filter cannot read: ENOSYS makes the C library fall back to clone, whose flags are checked above."
    },
    {
      "names": [
        "bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick",
        "lookup_dcookie", "mount", "mount_setattr", "move_mount", "open_tree", "perf_event_open", "quotactl",
        "quotactl_fd", "setdomainname", "sethostname", "setns", "syslog", "umount", "umount2", "unshare"
      ],
      "action": "SCMP_ACT_ALLOW",
      "includes": {
        "caps": ["CAP_SYS_ADMIN"]
      },
      "comment": "Namespaces, mounts and other administration: only for containers that keep CAP_SYS_ADMIN."
    },
    {
      "names": ["open_by_handle_at"],
      "action": "SCMP_ACT_ALLOW",
      "includes": {
        "caps": ["CAP_DAC_READ_SEARCH"]
      },
      "comment": "Opens any file on a mounted file system by handle, escaping the container's root (the 'shocker' exploit)."
    },
    {
      "names": ["reboot"],
      "action": "SCMP_ACT_ALLOW",
      "includes": {
        "caps": ["CAP_SYS_BOOT"]
      }
    },
    {
      "names": ["chroot"],
      "action": "SCMP_ACT_ALLOW",
      "includes": {
        "caps": ["CAP_SYS_CHROOT"]
      }
    },
    {
      "names": ["delete_module", "finit_module", "init_module"],
      "action": "SCMP_ACT_ALLOW",
      "includes": {
        "caps": ["CAP_SYS_MODULE"]
      }
    },
    {
      "names": ["acct"],
      "action": "SCMP_ACT_ALLOW",
      "includes": {
        "caps": ["CAP_SYS_PACCT"]
      }
    },
    {
      "names": ["kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace"],
      "action": "SCMP_ACT_ALLOW",
      "includes": {
        "caps": ["CAP_SYS_PTRACE"]
      }
    },
    {
      "names": ["ioperm", "iopl"],
      "action": "SCMP_ACT_ALLOW",
      "includes": {
        "caps": ["CAP_SYS_RAWIO"]
      }
    },
    {
      "names": ["clock_settime", "clock_settime64", "settimeofday", "stime"],
      "action": "SCMP_ACT_ALLOW",
      "includes": {
        "caps": ["CAP_SYS_TIME"]
      }
    },
    {
      "names": ["vhangup"],
      "action": "SCMP_ACT_ALLOW",
      "includes": {
        "caps": ["CAP_SYS_TTY_CONFIG"]
      }
    },
    {
      "names": ["get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"],
      "action": "SCMP_ACT_ALLOW",
      "includes": {
        "caps": ["CAP_SYS_NICE"]
      }
    },
    {
      "names": ["syslog"],
      "action": "SCMP_ACT_ALLOW",
      "includes": {
        "caps": ["CAP_SYSLOG"]
      }
    },
    {
      "names": ["bpf"],
      "action": "SCMP_ACT_ALLOW",
      "includes": {
        "caps": ["CAP_BPF"]
      }
    },
    {
      "names": ["perf_event_open"],
      "action": "SCMP_ACT_ALLOW",
      "includes": {
        "caps": ["CAP_PERFMON"]
      }
    },
    {
      "names": ["add_key", "keyctl", "request_key"],
      "action": "SCMP_ACT_ERRNO",
      "errnoRet": 1,
      "comment": "Denied (as by the default action; listed to say why): the kernel keyring is not namespaced, so containers could read or exhaust each other's keys."
    },
    {
      "names": ["userfaultfd"],
      "action": "SCMP_ACT_ERRNO",
      "errnoRet": 1,
      "comment": "Denied: lets a process stall kernel page faults at will, a standard tool for winning kernel race conditions."
    },
    {
      "names": ["kexec_file_load", "kexec_load"],
      "action": "SCMP_ACT_ERRNO",
      "errnoRet": 1,
      "comment": "Denied: loads a new kernel."
    },
    {
      "names": ["io_uring_enter", "io_uring_register", "io_uring_setup"],
      "action": "SCMP_ACT_ERRNO",
      "errnoRet": 1,
      "comment": "Denied: io_uring performs I/O without system calls a filter could see, and has been a steady source of kernel exploits."
    }
  ]
}
"""#
