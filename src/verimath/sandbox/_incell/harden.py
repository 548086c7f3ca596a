"""Per-run hardening of a job process: session, unprivileged uid, rlimits, no_new_privs, Landlock, seccomp.

Runs inside the cell, in a freshly forked child, before any untrusted code. Every function either applies its
layer or raises; :func:`probe` tells the zygote which layers this kernel and this process can apply at all.
Imports only the standard library (and ``pyseccomp`` when installed).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import resource
import stat
import sys
from dataclasses import dataclass

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_libc.prctl.restype = ctypes.c_int

PR_SET_NO_NEW_PRIVS = 38
PR_SET_DUMPABLE = 4

# Landlock (linux/landlock.h). Syscall numbers are the same on every architecture since 5.13.
_SYS_LANDLOCK_CREATE_RULESET, _SYS_LANDLOCK_ADD_RULE, _SYS_LANDLOCK_RESTRICT_SELF = 444, 445, 446
_LANDLOCK_CREATE_RULESET_VERSION = 1
_LANDLOCK_RULE_PATH_BENEATH = 1
_FS_EXECUTE, _FS_WRITE_FILE, _FS_READ_FILE, _FS_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_FS_ALL_V1 = (1 << 13) - 1
_FS_REFER, _FS_TRUNCATE, _FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
_NET_BIND_TCP, _NET_CONNECT_TCP = 1 << 0, 1 << 1
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1 << 0, 1 << 1

CLONE_THREAD = 0x00010000
AF_UNIX = 1
TIOCSTI, TIOCLINUX = 0x5412, 0x541C

# Syscalls a job never needs: escaping or inspecting the cell, kernel attack surface, cross-job state.
_DENIED = (
    "execve",
    "execveat",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "kcmp",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "unshare",
    "setns",
    "open_tree",
    "move_mount",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "mount_setattr",
    "keyctl",
    "add_key",
    "request_key",
    "name_to_handle_at",
    "open_by_handle_at",
    "pidfd_open",
    "pidfd_getfd",
    "pidfd_send_signal",
    "shmget",
    "shmat",
    "shmctl",
    "shmdt",
    "msgget",
    "msgsnd",
    "msgrcv",
    "msgctl",
    "semget",
    "semop",
    "semctl",
    "semtimedop",
    "mq_open",
    "mq_unlink",
    "personality",
    "uselib",
    "swapon",
    "swapoff",
    "reboot",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "acct",
    "setsid",
    "setpgid",
    # memory no limit counts (memfd files are RAM, not address space), and kernel surface no job needs
    "memfd_create",
    "memfd_secret",
    "modify_ldt",
    # watching files: another user's file names and times are not a job's business
    "inotify_init",
    "inotify_init1",
    "inotify_add_watch",
    "fanotify_init",
    "fanotify_mark",
    # other processes' memory placement
    "migrate_pages",
    "move_pages",
    "process_madvise",
    "process_mrelease",
)
# Scheduling, priority and affinity: a job may change its own (pid argument 0), never another process's —
# the spares and other users' session holders share its uid.
_SELF_ONLY = ("sched_setaffinity", "sched_setscheduler", "sched_setparam", "sched_setattr")
_PRIO_PROCESS, _IOPRIO_WHO_PROCESS = 0, 1
# Signal-sending syscalls whose first argument is the target process: allowed only towards the job itself.
_SIGNALS = ("kill", "tgkill", "tkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo")


def landlock_abi() -> int:
    """The kernel's Landlock ABI version, or 0 when Landlock is unavailable."""
    abi = _libc.syscall(
        _SYS_LANDLOCK_CREATE_RULESET,
        None,
        ctypes.c_size_t(0),
        ctypes.c_uint32(_LANDLOCK_CREATE_RULESET_VERSION),
    )
    return max(int(abi), 0)


def seccomp_available() -> bool:
    try:
        import pyseccomp  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def probe(drop_uid: bool) -> list[str]:
    """The layers a child of this process can apply (checked, not assumed, by :func:`harden` at run time)."""
    layers = ["session", "rlimits", "no_new_privs"]
    if drop_uid and os.geteuid() == 0:
        layers.append("uid")
    elif os.geteuid() != 0:
        layers.append("uid")  # already unprivileged (a user namespace mapped us to an unprivileged id)
    if seccomp_available():
        try:
            compile_seccomp(gated_fork=True)
            layers.append("seccomp")
        except OSError:
            pass
    if landlock_abi() > 0:
        layers.append("landlock")
    return layers


_NAMESPACES = {"net": "net-ns", "pid": "pid-ns", "ipc": "ipc-ns", "uts": "uts-ns"}
_CAP_SYS_ADMIN = 21


def host_namespaces() -> dict[str, str]:
    """This process's namespace ids (the supervisor sends its own, for the cell to compare with)."""
    return {name: os.readlink(f"/proc/self/ns/{name}") for name in _NAMESPACES}


def probe_cell(host_ns: dict[str, str], env_keys: list[str], readonly: list[str], work: str) -> list[str]:
    """The cell-level layers, measured from inside the cell: namespaces that differ from the supervisor's,
    read-only interpreter and system directories, the environment, capabilities, a size-limited work area."""
    layers = [
        layer
        for name, layer in _NAMESPACES.items()
        if host_ns.get(name) not in (None, os.readlink(f"/proc/self/ns/{name}"))
    ]
    if readonly and all(os.statvfs(p).f_flag & os.ST_RDONLY for p in readonly):
        layers.append("fs-readonly")
    if set(os.environ) <= set(env_keys):
        layers.append("env-whitelist")
    with open("/proc/self/status") as f:
        caps = {k: int(v, 16) for k, _, v in (line.partition(":\t") for line in f) if k.startswith("Cap")}
    if not caps.get("CapEff", -1) >> _CAP_SYS_ADMIN & 1:
        layers.append("caps-dropped")
    st = os.statvfs(work)
    if os.statvfs("/").f_fsid != st.f_fsid and st.f_blocks * st.f_frsize <= 4 << 30:
        layers.append("tmpfs-limited")
    return layers


def fork_syscalls() -> dict[int, str]:
    """This architecture's numbers of the syscalls a checkpoint fork may use (``fork`` where it exists)."""
    import pyseccomp as sc

    calls = {sc.resolve_syscall(sc.Arch.NATIVE, name): name for name in ("fork", "clone")}
    return {nr: name for nr, name in calls.items() if nr >= 0}


def oom_first() -> None:
    """Make this process the first the kernel's OOM killer picks (before the zygote, forker and holders)."""
    fd = os.open("/proc/self/oom_score_adj", os.O_WRONLY)
    try:
        os.write(fd, b"1000")
    finally:
        os.close(fd)


def drop_privileges(uid: int, gid: int) -> None:
    """Become ``uid``/``gid`` for good (real, effective and saved ids; no supplementary groups)."""
    if os.geteuid() != 0:
        return
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    if os.geteuid() == 0 or os.getegid() == 0:
        raise OSError(errno.EPERM, "could not drop root")


def no_new_privs() -> None:
    if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    _libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)  # no core dumps, no /proc/<pid>/mem from peers


def set_limits(
    *, cpu_s: int | None, memory_mb: int | None, file_mb: int, open_files: int, max_procs: int
) -> None:
    """Lower soft *and* hard limits, so the job cannot raise them back."""

    def lim(what: int, value: int) -> None:
        resource.setrlimit(what, (value, value))

    lim(resource.RLIMIT_CORE, 0)
    lim(resource.RLIMIT_FSIZE, file_mb * 2**20)
    lim(resource.RLIMIT_NOFILE, open_files)
    lim(resource.RLIMIT_NPROC, max_procs)
    if cpu_s is not None:
        # Soft limit: SIGXCPU; the hard limit one second later is a SIGKILL the job cannot ignore.
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))
    if memory_mb is not None:
        fd = os.open("/proc/self/statm", os.O_RDONLY)  # raw: Python's text I/O costs ms in a fresh fork
        try:
            mapped = int(os.read(fd, 256).split()[0]) * resource.getpagesize()
        finally:
            os.close(fd)
        lim(resource.RLIMIT_AS, mapped + memory_mb * 2**20)


def readable_paths(hidden: str) -> list[str]:
    """Every path beside the way from ``/`` down to ``hidden``: granting read on these shows the whole file
    system except ``hidden`` (where the jobs' and sessions' directories live)."""
    out: list[str] = []
    parts = [p for p in os.path.normpath(hidden).split("/") if p]
    here = "/"
    for part in parts:
        try:
            names = os.listdir(here)
        except OSError:
            names = []
        out += [os.path.join(here, n) for n in sorted(names) if n != part]
        here = os.path.join(here, part)
    return out


class Landlock:
    """The cell's Landlock rules, prepared once: read-only access below every path of ``readable`` (held open
    as ``O_PATH`` descriptors, so a ruleset costs no path lookups), read-write below one job directory each;
    no TCP; with ABI ≥ 6 no signals or abstract Unix sockets across the job's boundary.

    :meth:`ruleset` runs in the (trusted) process that forks the job, :func:`landlock_restrict` in the job:
    the job pays for one syscall, not for building the rules.
    """

    def __init__(self, readable: list[str], abi: int) -> None:
        handled = _FS_ALL_V1
        if abi >= 2:
            handled |= _FS_REFER
        if abi >= 3:
            handled |= _FS_TRUNCATE
        if abi >= 5:
            handled |= _FS_IOCTL_DEV
        fields = [handled]
        if abi >= 4:
            fields.append(_NET_BIND_TCP | _NET_CONNECT_TCP)
        if abi >= 6:
            fields.append(_SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL)
        self._attr = (ctypes.c_uint64 * len(fields))(*fields)
        self._handled = handled
        read = _FS_EXECUTE | _FS_READ_FILE | _FS_READ_DIR
        null = _FS_READ_FILE | _FS_WRITE_FILE | (_FS_TRUNCATE if abi >= 3 else 0)
        self._rules: list[_PathBeneath] = []
        for path in readable:
            with contextlib.suppress(OSError):  # vanished, or not ours to open: then not readable either
                self._rules.append(_path_rule(path, read))
        self._rules.append(_path_rule("/dev/null", null))

    def ruleset(self, writable: str) -> int:
        """A new ruleset fd granting the prepared rules plus read-write below ``writable``."""
        ruleset = _libc.syscall(
            _SYS_LANDLOCK_CREATE_RULESET,
            ctypes.byref(self._attr),
            ctypes.c_size_t(ctypes.sizeof(self._attr)),
            ctypes.c_uint32(0),
        )
        if ruleset < 0:
            raise OSError(ctypes.get_errno(), "landlock_create_ruleset")
        try:
            for rule in self._rules:
                _add_rule(ruleset, rule)
            rule = _path_rule(writable, self._handled)
            try:
                _add_rule(ruleset, rule)
            finally:
                os.close(rule.parent_fd)
        except BaseException:
            os.close(ruleset)
            raise
        return int(ruleset)


def landlock_restrict(ruleset: int) -> None:
    """Confine this process to ``ruleset`` (from :meth:`Landlock.ruleset`) for good, and close it."""
    try:
        if _libc.syscall(_SYS_LANDLOCK_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self")
    finally:
        os.close(ruleset)


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _path_rule(path: str, access: int) -> _PathBeneath:
    """A rule for ``path`` holding an open ``O_PATH`` descriptor of it (the caller closes it)."""
    fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    if not stat.S_ISDIR(os.fstat(fd).st_mode):
        access &= _FS_EXECUTE | _FS_WRITE_FILE | _FS_READ_FILE | _FS_TRUNCATE | _FS_IOCTL_DEV
    return _PathBeneath(access, fd)


def _add_rule(ruleset: int, rule: _PathBeneath) -> None:
    if (
        _libc.syscall(
            _SYS_LANDLOCK_ADD_RULE,
            ctypes.c_int(ruleset),
            ctypes.c_int(_LANDLOCK_RULE_PATH_BENEATH),
            ctypes.byref(rule),
            ctypes.c_uint32(0),
        )
        != 0
    ):
        raise OSError(ctypes.get_errno(), f"landlock_add_rule (fd {rule.parent_fd})")


_PID_PLACEHOLDER = 0x5EC0CAFE
_SECCOMP_SET_MODE_FILTER = 1
_SECCOMP_FILTER_FLAG_NEW_LISTENER = 1 << 3


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


@dataclass(frozen=True, slots=True)
class SeccompProgram:
    """A compiled filter: BPF code, where the job's pid goes, and the ``seccomp`` syscall's number."""

    code: bytes
    pid_slots: tuple[int, ...]
    syscall_nr: int


def compile_seccomp(*, gated_fork: bool) -> SeccompProgram:
    """Build the syscall filter once (in the zygote) as a BPF program, with a placeholder for the job's pid.

    Process creation (fork, vfork, clone without ``CLONE_THREAD``) fails with EPERM — or, with
    ``gated_fork`` (sessions), goes to a user-notification listener held by the zygote, which allows exactly
    the checkpoint forks it asked for. Signals may only target the job itself.
    """
    import tempfile

    import pyseccomp as sc

    f = sc.SyscallFilter(sc.ALLOW)
    eperm = sc.ERRNO(errno.EPERM)
    spawn = sc.NOTIFY if gated_fork else eperm
    f.add_rule(spawn, "fork")
    f.add_rule(spawn, "vfork")
    f.add_rule(spawn, "clone", sc.Arg(0, sc.MASKED_EQ, CLONE_THREAD, 0))
    f.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")  # its flags live in memory; libc falls back to clone
    for name in _DENIED:
        if sc.resolve_syscall(sc.Arch.NATIVE, name) >= 0:  # newer than this libseccomp: the kernel's ENOSYS
            f.add_rule(eperm, name)
    f.add_rule(sc.ERRNO(errno.EAFNOSUPPORT), "socket", sc.Arg(0, sc.NE, AF_UNIX))
    f.add_rule(sc.ERRNO(errno.EAFNOSUPPORT), "socketpair", sc.Arg(0, sc.NE, AF_UNIX))
    f.add_rule(eperm, "ioctl", sc.Arg(1, sc.MASKED_EQ, 0xFFFFFFFF, TIOCSTI))
    f.add_rule(eperm, "ioctl", sc.Arg(1, sc.MASKED_EQ, 0xFFFFFFFF, TIOCLINUX))
    f.add_rule(eperm, "prlimit64", sc.Arg(0, sc.NE, 0))
    for name in _SELF_ONLY:
        f.add_rule(eperm, name, sc.Arg(0, sc.NE, 0))
    f.add_rule(eperm, "setpriority", sc.Arg(0, sc.NE, _PRIO_PROCESS))
    f.add_rule(eperm, "setpriority", sc.Arg(1, sc.NE, 0))
    f.add_rule(eperm, "ioprio_set", sc.Arg(0, sc.NE, _IOPRIO_WHO_PROCESS))
    f.add_rule(eperm, "ioprio_set", sc.Arg(1, sc.NE, 0))
    for name in _SIGNALS:
        f.add_rule(eperm, name, sc.Arg(0, sc.NE, _PID_PLACEHOLDER))
    with tempfile.TemporaryFile() as out:
        f.export_bpf(out)
        out.seek(0)
        program = out.read()
    slots = tuple(
        i
        for i in range(0, len(program), 8)
        if int.from_bytes(program[i + 4 : i + 8], sys.byteorder) == _PID_PLACEHOLDER
    )
    if len(program) % 8 or not slots:
        raise OSError(errno.EINVAL, "unexpected seccomp program from libseccomp")
    return SeccompProgram(program, slots, sc.resolve_syscall(sc.Arch.NATIVE, "seccomp"))


class SeccompFilter:
    """A compiled program made ready to load once, in the zygote: its BPF words sit in a ctypes buffer with
    the ``sock_fprog`` that points at them, so a job only writes its pid into the slots and makes the syscall
    (building the buffer in each job cost it about 0.3 ms, mostly copy-on-write faults)."""

    def __init__(self, program: SeccompProgram) -> None:
        self._words = (ctypes.c_uint32 * (len(program.code) // 4)).from_buffer_copy(program.code)
        # ``k``: the second word of a slot
        self._pid_words = tuple(slot // 4 + 1 for slot in program.pid_slots)
        self._fprog = _SockFprog(len(program.code) // 8, ctypes.addressof(self._words))
        self._syscall_nr = program.syscall_nr

    def load(self, *, listener: bool) -> int | None:
        """Install the filter for this process, naming it as the only signal target; with ``listener`` return
        the user-notification fd (to hand to the zygote, then close)."""
        me = os.getpid()
        for word in self._pid_words:
            self._words[word] = me
        flags = _SECCOMP_FILTER_FLAG_NEW_LISTENER if listener else 0
        rc = _libc.syscall(self._syscall_nr, _SECCOMP_SET_MODE_FILTER, flags, ctypes.byref(self._fprog))
        if rc < 0:
            raise OSError(ctypes.get_errno(), "seccomp(SECCOMP_SET_MODE_FILTER)")
        return int(rc) if listener else None
