"""Many users, one ``Sandbox``: for each class of cross-user harm, an attacker and a victim share the sandbox
(one cell, so they share everything a cell has) and the victim must be served, correctly and in time.

Every call that could hang on a broken sandbox runs under :func:`within`, so a regression fails the test
instead of wedging the suite. Attacks that could hurt the machine (memory) run in the tests' own
containment (``contained`` fixture); the rest need no more than the sandbox itself.
"""

from __future__ import annotations

import glob
import os
import re
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest
from sandbox_helpers import Contained

from verimath.sandbox import ExecResult, Limits, Sandbox

T = TypeVar("T")
CALL_DEADLINE_S = 60.0


def within(fn: Callable[[], T], seconds: float = CALL_DEADLINE_S) -> T:
    """``fn()``, run in a daemon thread: its value, its exception, or a failure if it does not finish."""
    box: dict[str, object] = {}

    def call() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the test below
            box["error"] = exc

    worker = threading.Thread(target=call, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"call did not finish within {seconds} s: the sandbox is wedged"
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A one-cell sandbox, cold (no numpy/SymPy preloaded): quick to start, small heap to scan."""
    sb = Sandbox(limits=Limits(timeout_s=5), cells=1, warm=False)
    yield sb
    within(sb.close)


def victim_is_served(sb: Sandbox) -> None:
    r = within(lambda: sb.run("print(6 * 7)"), 30)
    assert (r.status, r.stdout) == ("ok", "42\n"), r


def write_result(payload: str) -> str:
    """Job code that writes ``payload`` (a Python expression for bytes) as its result and exits."""
    return f"import os\nos.write(4, {payload})\nos._exit(0)"


# -- 1. malformed results wedging the supervisor -------------------------------------------------------------
def test_malformed_results_never_wedge_the_sandbox(sandbox: Sandbox):
    """A result nested just deeper than the supervisor's recursion limit (but not the zygote's) used to raise
    RecursionError in the supervisor and keep the cell out of the pool: every later run waited forever."""

    def attack() -> list[ExecResult | Exception]:
        codes = [
            write_result(f"b'{{\"status\": \"error\", \"error\": ' + b'[' * {depth} + b']' * {depth} + b'}}'")
            for depth in range(960, 1000)  # the zygote's and the supervisor's stack depths differ a little
        ]
        codes += [write_result("b'[' * 3000000"), write_result("b'\"just a string\"'")]
        results: list[ExecResult | Exception] = []
        for code in codes:
            try:
                results.append(sandbox.run(code))
            except Exception as exc:  # judged below, after the sandbox has shown whether it still serves
                results.append(exc)
        return results

    for r in within(attack, 60):
        assert isinstance(r, ExecResult) and r.status in ("error", "killed") and r.error is not None, r
    victim_is_served(sandbox)


# -- 5. a forged error object --------------------------------------------------------------------------------
@pytest.mark.parametrize("error", ["'boom'", "42", "['a']", "{'type': 1, 'message': [], 'traceback': None}"])
def test_forged_error_object_is_a_failed_run_not_a_crash(sandbox: Sandbox, error: str):
    forged = f"__import__('json').dumps({{'status': 'error', 'error': {error}}}).encode()"
    r = within(lambda: sandbox.run(write_result(forged)))
    assert r.status == "error" and r.error is not None and r.error.type == "SandboxError"
    with sandbox.session() as s:
        # In a session the result is written by the cell's own process: it can forge it too.
        r = within(lambda: s.run(f"import json\njson.dumps = lambda obj: {forged}.decode()"))
        assert r.status in ("error", "killed")
    victim_is_served(sandbox)


# -- 2. sessions start clean ---------------------------------------------------------------------------------
SCAN_MEMORY = r"""
import ctypes, re
found = set()
with open('/proc/self/maps') as maps:
    regions = [line.split() for line in maps]
for fields in regions:
    if not fields[1].startswith('rw'):
        continue
    lo, hi = (int(x, 16) for x in fields[0].split('-'))
    for at in range(lo, hi, 1 << 22):
        chunk = ctypes.string_at(at, min((1 << 22) + 64, hi - at))
        found.update(m.group(1).decode() for m in re.finditer(rb'PASSWORD=([0-9a-f]{32})', chunk))
print(sorted(found))
"""


def test_a_new_session_finds_no_earlier_users_data(sandbox: Sandbox):
    """Holders used to be forked from the zygote, whose heap had carried every earlier request."""
    secrets = [f"{i:x}" * 32 for i in (10, 11)]
    victim_run = f"print('PASSWORD={secrets[0][:32]}')"
    assert within(lambda: sandbox.run(victim_run)).ok
    with sandbox.session() as victim:
        assert within(lambda: victim.run(f"p = 'PASSWORD={secrets[1][:32]}'\nprint(p)")).ok
        with sandbox.session() as attacker:
            r = within(lambda: attacker.run(SCAN_MEMORY))
    assert r.status == "ok", r
    leaked = {s[:32] for s in secrets} & set(re.findall(r"[0-9a-f]{32}", r.stdout))
    assert not leaked, f"a new session found earlier users' data: {leaked}"


# -- 3. memory and space accounted to their user -------------------------------------------------------------
MEMFD_HOARD = """
import os
held, block = 0, b'x' * (1 << 20)
try:
    fds = []
    while held < 256:
        fds.append(os.memfd_create('hoard'))
        for _ in range(32):
            os.write(fds[-1], block)
        held += 32
finally:
    print(f'held {held} MiB')
"""


def test_memfd_memory_cannot_bypass_the_memory_limit(contained: Contained):
    """memfd files are RAM but not address space: a job limited to 64 MiB used to hold gigabytes."""
    result, after = contained.run(MEMFD_HOARD, memory_mb=64)
    held = int(re.search(r"held (\d+) MiB", result.stdout).group(1)) if "held" in result.stdout else 0
    assert held <= 64, f"the job held {held} MiB of memfd memory under a 64 MiB limit: {result}"
    assert after.ok


def _memory_cgroups_here() -> str | None:
    """Where this process could make memory cgroups (v2 or v1), tried independently of the sandbox."""
    with open("/proc/self/cgroup") as f:
        own = {ctl: path for _, ctl, path in (line.rstrip("\n").split(":", 2) for line in f)}
    places = []
    if os.path.exists("/sys/fs/cgroup/cgroup.controllers") and "" in own:
        places.append(("/sys/fs/cgroup" + own[""].rstrip("/"), "memory.max"))
    for ctl, path in own.items():
        if "memory" in ctl.split(","):
            places.append(("/sys/fs/cgroup/memory" + path.rstrip("/"), "memory.limit_in_bytes"))
    for place, limit in places:
        probe = os.path.join(place, f"verimath-test-probe-{os.getpid()}")
        try:
            os.mkdir(probe)
        except OSError:
            continue
        usable = os.path.exists(os.path.join(probe, limit))
        os.rmdir(probe)
        if usable:
            return place
    return None


def test_a_cells_files_and_kernel_memory_are_counted_in_its_own_cgroup():
    """tmpfs pages, page tables, inodes: memory no rlimit counts has a ceiling where the machine allows."""
    place = _memory_cgroups_here()
    if place is None:
        pytest.skip("this machine lets this process make no memory cgroup")
    hold = "open('held', 'wb').write(b'x' * (48 << 20))\nimport time\ntime.sleep(3)"
    with Sandbox(limits=Limits(timeout_s=10), cells=1, warm=False) as sb:
        assert "memory-cgroup" in sb.isolation.layers
        (group,) = glob.glob(os.path.join(place, f"verimath-cell-{os.getpid()}-*"))
        usage = next(os.path.join(group, u) for u in ("memory.current", "memory.usage_in_bytes")
                     if os.path.exists(os.path.join(group, u)))

        def used() -> int:
            with open(usage) as f:
                return int(f.read())

        before = used()
        job = threading.Thread(target=lambda: sb.run(hold), daemon=True)
        job.start()
        peak = before
        while job.is_alive():
            peak = max(peak, used())
            job.join(0.1)
    assert peak - before >= 40 << 20, ("the cell's cgroup did not see its job's tmpfs file: "
                                       f"{before} -> {peak}")
    assert not os.path.exists(group) or within(lambda: _gone(group), 10)


def _gone(path: str) -> bool:
    while os.path.exists(path):
        threading.Event().wait(0.1)
    return True


def test_one_session_cannot_fill_the_space_of_other_users(sandbox: Sandbox):
    """One session's files used to stay in the cell's shared work area until others got ENOSPC."""
    fill = "for i in range(4):\n    with open(f'blob{i}', 'wb') as f:\n        f.write(b'x' * (60 << 20))"
    with sandbox.session() as hog:
        r = within(lambda: hog.run(fill))
        kept = within(lambda: hog.run("import os; print(len(os.listdir('.')))"))
    assert not (r.ok and kept.ok and kept.stdout == "4\n"), "a session kept 240 MiB of the shared work area"
    victim = within(lambda: sandbox.run("with open('mine', 'wb') as f:\n    f.write(b'v' * (60 << 20))"))
    assert victim.ok, f"another user's files took this user's space: {victim}"


def test_a_session_keeps_a_bounded_number_of_files(sandbox: Sandbox):
    with sandbox.session() as hog:
        within(lambda: hog.run("for i in range(6000):\n    open(f'f{i}', 'w').close()"))
        r = within(lambda: hog.run("import os; print(len(os.listdir('.')))"))
    assert not (r.ok and r.stdout == "6000\n"), "a session kept 6,000 files between its cells"
    victim_is_served(sandbox)


def test_a_running_job_is_stopped_at_its_file_quota(sandbox: Sandbox):
    """Inodes on the cell's tmpfs are kernel memory no size limit counts (3 million files in 13 s)."""
    flood = "for i in range(60000):\n    open(f'f{i}', 'w').close()\nprint('made them all')"
    r = within(lambda: sandbox.run(flood, limits=Limits(timeout_s=30)))
    assert r.status == "killed" and r.error is not None and r.error.type == "DiskQuota", r
    victim_is_served(sandbox)


# -- 4. the zygote survives any job --------------------------------------------------------------------------
STOP_READING = "import socket, time\nsocket.recv_fds = lambda *args: time.sleep(3600)"
ATTACKS = {
    "realtime-signal": ("import os, signal\nos.kill(os.getpid(), signal.SIGRTMIN + 3)", None),
    "deep-json-result": (write_result("b'[' * 200000 + b']' * 200000"), None),
    "deep-directory-tree": (
        "import os\nfor _ in range(3000):\n    os.mkdir('d')\n    os.chdir('d')\nprint('deep')",
        None,
    ),
    "holder-stops-reading": (STOP_READING, "x = 1  # " + "y" * (8 << 20)),
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_zygote_survives_any_job_with_other_users_sessions(sandbox: Sandbox, attack: str):
    code, then = ATTACKS[attack]
    with sandbox.session() as victim:
        assert within(lambda: victim.run("v = 41")).ok
        if then is None:
            within(lambda: sandbox.run(code))
        else:  # the attack is a session whose holder misbehaves on its next cell
            with sandbox.session() as attacker:
                within(lambda: attacker.run(code))
                within(lambda: attacker.run(then))
        r = within(lambda: victim.run("print(v + 1)"))
        assert (r.status, r.stdout) == ("ok", "42\n"), f"the victim's session was lost: {r}"
    victim_is_served(sandbox)


# -- 6. lesser cross-user effects ----------------------------------------------------------------------------
RESCHEDULE_OTHERS = """
import os, time
me = os.getpid()
def same_user():
    found = []
    for p in os.listdir('/proc'):
        try:
            if p.isdigit() and int(p) != me and os.stat(f'/proc/{p}').st_uid == os.getuid():
                found.append(int(p))
        except OSError:
            pass
    return found
for _ in range(100):  # the spare that replaces this job's child is being forked right now
    others = same_user()
    if others:
        break
    time.sleep(0.02)
done = []
for pid in others:
    for name, call in (
        ('nice', lambda: os.setpriority(os.PRIO_PROCESS, pid, 19)),
        ('idle', lambda: os.sched_setscheduler(pid, os.SCHED_IDLE, os.sched_param(0))),
        ('affinity', lambda: os.sched_setaffinity(pid, os.sched_getaffinity(0))),
    ):
        try:
            call()
            done.append(name)
        except OSError:
            pass
os.setpriority(os.PRIO_PROCESS, 0, 5)  # its own: allowed
print(sorted(set(done)), bool(others))
"""


def test_a_job_cannot_reschedule_other_jobs_or_spares(sandbox: Sandbox):
    r = within(lambda: sandbox.run(RESCHEDULE_OTHERS))
    assert (r.status, r.stdout) == ("ok", "[] True\n"), r
    victim_is_served(sandbox)


FIND_OTHERS = """
import ctypes, os
work = os.path.dirname(os.getcwd())
found = []
for kind in ('session', 'run'):
    for i in range(1, 64):
        for name in (f'{kind}-{i}/secret.txt', f'{kind}-{i}'):
            try:
                os.stat(os.path.join(work, name))
                found.append(name)
            except OSError:
                pass
libc = ctypes.CDLL(None, use_errno=True)
watch = libc.inotify_init1(0)
print(found, 'inotify' if watch >= 0 else 'no-inotify')
"""


def test_a_job_cannot_watch_or_find_other_users_files(sandbox: Sandbox):
    with sandbox.session() as victim:
        assert within(lambda: victim.run("open('secret.txt', 'w').write('s')")).ok
        r = within(lambda: sandbox.run(FIND_OTHERS))
    assert (r.status, r.stdout) == ("ok", "[] no-inotify\n"), r


NEW_USER_NAMESPACE_FORK = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWUSER, SIGCHLD = 0x10000000, 17
def fork():
    pid = libc.syscall(56, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0)
    if pid < 0:
        raise OSError(ctypes.get_errno(), 'clone')
    return pid
os.fork = fork
print(os.readlink('/proc/self/ns/user'))
"""


def test_the_checkpoint_gate_admits_only_a_plain_fork(sandbox: Sandbox):
    """A cell that replaced ``os.fork`` made its holder's next checkpoint a namespace-creating clone."""
    with sandbox.session() as s:
        before = within(lambda: s.run(NEW_USER_NAMESPACE_FORK))
        assert before.ok, before
        after = within(lambda: s.run("import os; print(os.readlink('/proc/self/ns/user'))"))
    assert not (after.ok and after.stdout != before.stdout), "a checkpoint fork made a new user namespace"
    victim_is_served(sandbox)


def test_session_threads_end_with_their_cell(sandbox: Sandbox):
    with sandbox.session() as s:
        started = within(
            lambda: s.run("import threading, time\nt = threading.Thread(target=time.sleep, args=(60,))\n"
                          "t.start()")
        )
        later = within(lambda: s.run("print(t.is_alive())"))
    assert not (later.ok and later.stdout == "True\n"), "a thread outlived its cell in the session holder"
    assert started.status == "error" and "threads" in started.error.message  # type: ignore[union-attr]


def test_every_run_gets_fresh_random_state():
    draw = (
        "import random, numpy, sympy.core.random as sr\n"
        "print(random.random(), numpy.random.random(), sr.rng.random(), sr._assumptions_rng.random())"
    )
    with Sandbox(limits=Limits(timeout_s=20), cells=1) as sb:
        a, b = (within(lambda: sb.run(draw)) for _ in range(2))
    assert a.ok and b.ok, (a, b)
    repeated = [x for x, y in zip(a.stdout.split(), b.stdout.split(), strict=True) if x == y]
    assert not repeated, f"random state repeated across runs: {repeated}"


@pytest.mark.parametrize(
    "code",
    [
        "class E(Exception):\n    def __str__(self):\n        raise ValueError('no')\nraise E()",
        "class C:\n    def __eq__(self, other):\n        raise ValueError\nraise SystemExit(C())",
        "import os, sys\nsys.stdout.write('lost')\nos.close(1)",
        "import sys\nclass S:\n    def write(self, s): pass\n    def flush(self): raise OSError('full')\n"
        "sys.stdout = S()",
    ],
    ids=["str-raises", "exit-code-eq-raises", "flush-fails", "replaced-stdout-flush-fails"],
)
def test_status_is_the_jobs_real_outcome(sandbox: Sandbox, code: str):
    r = within(lambda: sandbox.run(code))
    assert r.status == "error" and r.error is not None, r
    with sandbox.session() as s:
        r = within(lambda: s.run(code))
    assert r.status == "error", r
    victim_is_served(sandbox)


def test_modify_ldt_and_memfd_secret_are_refused(sandbox: Sandbox):
    code = (
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nbuf = ctypes.create_string_buffer(64)\n"
        "out = []\nfor nr, args in ((154, (0, buf, 64)), (447, (0,))):\n"
        "    rc = libc.syscall(nr, *args)\n    out.append((rc, ctypes.get_errno()))\nprint(out)"
    )
    r = within(lambda: sandbox.run(code))
    assert (r.status, r.stdout) == ("ok", "[(-1, 1), (-1, 1)]\n"), r


# -- the soak ------------------------------------------------------------------------------------------------
SOAK_S, SOAK_USERS = 30, 6


def test_soak_many_users_with_a_hostile_job_every_few_runs():
    """Users mixing sessions and one-shot runs, every fourth run an attack (``_soak.py``): every victim's
    result is right, and no run waits longer than its deadline plus a fixed margin."""
    soak = Contained("auto", "_soak.py", str(SOAK_S), str(SOAK_USERS))
    report = soak.hello
    soak.close()
    assert report["stuck_users"] == 0, report
    assert report["counts"]["hostile"] >= SOAK_USERS and report["counts"]["run"] >= SOAK_USERS, report
    assert report["wrong"] == [] and report["late"] == [] and report["raised"] == [], report
