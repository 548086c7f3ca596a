"""Hostile snippets: each must end in its safe outcome, and the sandbox must still serve a plain run after.

All run in a sandbox started inside containment of the test's own (a PID namespace, and cgroups with pids and
memory limits where this machine allows), see ``conftest.Contained``.
"""

from __future__ import annotations

import os
import socket
import sys
import textwrap
from collections.abc import Callable

import pytest
from sandbox_helpers import SECRET, Contained

from verimath.sandbox import ExecResult

Check = Callable[[ExecResult], bool]


def fails(*types: str) -> Check:
    """The run raised one of ``types`` (status ``error``)."""
    return lambda r: r.status == "error" and r.error is not None and (not types or r.error.type in types)


def prints(text: str) -> Check:
    return lambda r: r.status == "ok" and r.stdout.strip() == text


# (id, code, limits, safe outcome)
HOSTILE: list[tuple[str, str, dict[str, float], Check]] = [
    (
        "read-etc-shadow",
        "print(open('/etc/shadow').read())",
        {},
        fails("FileNotFoundError", "PermissionError"),
    ),
    (
        "read-proc-1-environ",
        "print(open('/proc/1/environ').read())",
        {},
        fails("PermissionError", "FileNotFoundError"),
    ),
    ("read-proc-1-mem", "print(open('/proc/1/mem', 'rb').read(1))", {}, fails("PermissionError", "OSError")),
    ("proc-1-root", "import os; print(os.listdir('/proc/1/root'))", {}, fails("PermissionError")),
    ("execve", "import os; os.execv('/bin/sh', ['sh', '-c', 'id'])", {}, fails("PermissionError")),
    (
        "subprocess",
        "import subprocess; print(subprocess.run(['id'], capture_output=True).stdout)",
        {},
        fails("PermissionError"),
    ),
    (
        "os-system",
        "import os; print(os.system('id > /dev/null'))",
        {},
        lambda r: r.status == "ok" and r.stdout.strip() != "0",
    ),
    ("fork", "import os; os.fork()", {}, fails("PermissionError")),
    (
        "fork-bomb",
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass",
        {"timeout_s": 1},
        lambda r: r.status == "timeout",
    ),
    (
        "thread-bomb",
        textwrap.dedent("""
        import threading, time
        threads = []
        while True:
            t = threading.Thread(target=time.sleep, args=(60,), daemon=True)
            t.start()
            threads.append(t)
        """),
        {"timeout_s": 3},
        lambda r: (
            r.status in ("error", "memory")
            and r.error is not None
            and r.error.type in ("RuntimeError", "MemoryError")
        ),
    ),
    ("alloc-16gib", "x = bytearray(16 * 2**30)", {}, lambda r: r.status == "memory"),
    ("numpy-16gib", "import numpy as np; x = np.ones(2**31)", {}, lambda r: r.status == "memory"),
    (
        "slow-leak",
        "chunks = []\nwhile True:\n    chunks.append(bytearray(8 * 2**20))",
        {"timeout_s": 5},
        lambda r: r.status == "memory",
    ),
    (
        "busy-loop",
        "while True:\n    pass",
        {"timeout_s": 1},
        lambda r: r.status == "timeout" and r.duration_ms < 2500,
    ),
    ("sleep", "import time; time.sleep(100)", {"timeout_s": 1}, lambda r: r.status == "timeout"),
    (
        "ignore-sigxcpu",
        "import signal\nsignal.signal(signal.SIGXCPU, signal.SIG_IGN)\nwhile True:\n    pass",
        {"timeout_s": 30, "cpu_s": 1},
        lambda r: r.status == "timeout" and r.error is not None and "CPU" in r.error.message,
    ),
    (
        "ignore-sigterm",
        "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\ntime.sleep(100)",
        {"timeout_s": 1},
        lambda r: r.status == "timeout",
    ),
    (
        "output-flood",
        "while True:\n    print('x' * 1000)",
        {"timeout_s": 1, "output_bytes": 4096},
        lambda r: r.status == "timeout" and r.truncated and len(r.stdout) == 4096,
    ),
    (
        "huge-line",
        "print('y' * 10**8)",
        {"output_bytes": 65536, "timeout_s": 20},
        lambda r: r.status == "ok" and r.truncated and r.stdout == "y" * 65536,
    ),
    (
        "stderr-flood",
        "import sys\nfor _ in range(10**5):\n    sys.stderr.write('z' * 100)",
        {"output_bytes": 1000, "timeout_s": 20},
        lambda r: r.truncated and len(r.stderr) == 1000,
    ),
    (
        "write-tmp",
        "open('/tmp/verimath-escape', 'w').write('x')",
        {},
        fails("PermissionError", "OSError", "FileNotFoundError"),
    ),
    ("write-usr", "open('/usr/verimath-escape', 'w').write('x')", {}, fails("PermissionError", "OSError")),
    (
        "write-site-packages",
        "import os, sympy\n"
        "open(os.path.join(os.path.dirname(sympy.__file__), 'verimath_escape.py'), 'w').write('x')",
        {},
        fails("PermissionError", "OSError"),
    ),
    (
        "file-1gib",
        "with open('big', 'wb') as f:\n    for _ in range(1024):\n        f.write(b'0' * 2**20)",
        {},
        fails("OSError"),
    ),
    ("kill-parent", "import os; os.kill(os.getppid(), 9)", {}, fails("PermissionError")),
    ("kill-all", "import os; os.kill(-1, 9)", {}, fails("PermissionError")),
    ("kill-pid-1", "import os; os.kill(1, 9)", {}, fails("PermissionError")),
    ("setsid", "import os; os.setsid()", {}, fails("PermissionError")),
    ("setuid-root", "import os; os.setuid(0)", {}, fails("PermissionError")),
    (
        "ptrace",
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "print(libc.ptrace(16, 1, 0, 0), ctypes.get_errno())",
        {},
        prints("-1 1"),
    ),
    (
        "unshare",
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "print(libc.unshare(0x10000000), ctypes.get_errno())",
        {},
        prints("-1 1"),
    ),
    (
        "mount",
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "print(libc.mount(b'none', b'/work', b'tmpfs', 0, None), ctypes.get_errno())",
        {},
        prints("-1 1"),
    ),
    (
        "raw-socket-syscall",
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "print(libc.syscall(41, 2, 1, 0), libc.syscall(41, 17, 3, 0), libc.syscall(41, 10, 2, 0))",
        {},
        prints("-1 -1 -1"),
    ),
    (
        "clone3",
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "print(libc.syscall(435, None, 0), ctypes.get_errno())",
        {},
        prints("-1 38"),
    ),
    (
        "io-uring",
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nprint(libc.syscall(425, 8, None) < 0)",
        {},
        prints("True"),
    ),
    (
        "bpf",
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nprint(libc.syscall(321, 0, None, 0) < 0)",
        {},
        prints("True"),
    ),
    (
        "keyctl",
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "print(libc.syscall(250, 0, -3, 0), ctypes.get_errno())",
        {},
        prints("-1 1"),
    ),
    (
        "tiocsti",
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nc = ctypes.c_char(b'x')\n"
        "print(libc.ioctl(0, 0x5412, ctypes.byref(c)), ctypes.get_errno())",
        {},
        prints("-1 1"),
    ),
    (
        "segfault",
        "import ctypes; ctypes.string_at(0)",
        {},
        lambda r: r.status == "killed" and r.error is not None and "SIGSEGV" in r.error.message,
    ),
    ("deep-recursion", "def f(n):\n    return f(n + 1)\nf(0)", {}, fails("RecursionError")),
    (
        "deep-recursion-unlimited",
        "import sys\nsys.setrecursionlimit(10**8)\ndef f(n):\n    return f(n + 1)\nf(0)",
        {"timeout_s": 5},
        lambda r: r.status in ("killed", "error", "memory", "timeout"),
    ),
    (
        "fake-json-result",
        'print(\'{"status": "ok", "stdout": "42", "error": null}\')\n1/0',
        {},
        lambda r: r.status == "error" and r.error is not None and r.error.type == "ZeroDivisionError",
    ),
    (
        "unprivileged-uid",
        "import os; print(os.getuid(), os.geteuid(), os.getgid())",
        {},
        lambda r: r.status == "ok" and "0" not in r.stdout.split(),
    ),
]


@pytest.mark.parametrize(
    ("code", "limits", "safe"), [pytest.param(c, lim, s, id=i) for i, c, lim, s in HOSTILE]
)
def test_hostile_snippet_is_contained(contained: Contained, code: str, limits: dict[str, float], safe: Check):
    result, after = contained.run(code, **limits)
    assert safe(result), result
    assert after.status == "ok" and after.stdout == "alive\n", after


def test_suite_is_run_with_full_isolation(contained: Contained):
    if not contained.hello["isolation"]["full"]:
        pytest.skip("full isolation (bubblewrap + seccomp) is not available on this machine")
    assert contained.hello["isolation"]["backend"] == "bwrap"
    assert contained.hello["warnings"] == []


def test_host_environment_is_not_visible(contained: Contained):
    result, _ = contained.run("import os; print(dict(os.environ))")
    assert result.status == "ok"
    assert SECRET not in result.stdout and "AWS_SECRET_ACCESS_KEY" not in result.stdout


def test_no_process_environment_leaks_the_host_secret(contained: Contained):
    code = textwrap.dedent("""
        import os
        found = []
        for pid in os.listdir('/proc'):
            if pid.isdigit():
                try:
                    found.append(open(f'/proc/{pid}/environ', 'rb').read())
                except OSError:
                    pass
        print(b'|'.join(found).decode('latin-1'))
        """)
    result, _ = contained.run(code)
    assert result.status == "ok"
    assert SECRET not in result.stdout


def test_root_home_shows_no_host_files(contained: Contained):
    host = {n for n in os.listdir("/root") if n != ".pyenv"} if os.path.isdir("/root") else set()
    result, _ = contained.run("import os\nfor n in os.listdir('/root'):\n    print(n)")
    visible = set(result.stdout.split()) if result.status == "ok" else set()
    assert not visible & host, visible & host


def test_tcp_to_a_host_loopback_listener_is_refused(contained: Contained):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.settimeout(0.5)
        port = server.getsockname()[1]
        result, _ = contained.run(
            f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=1)"
        )
        assert result.status == "error" and result.error is not None and result.error.type.endswith("Error")
        with pytest.raises(TimeoutError):
            server.accept()


def test_udp_to_a_host_loopback_listener_never_arrives(contained: Contained):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server:
        server.bind(("127.0.0.1", 0))
        server.settimeout(0.5)
        port = server.getsockname()[1]
        result, _ = contained.run(
            "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
            f"s.sendto(b'hi', ('127.0.0.1', {port}))"
        )
        assert result.status == "error"
        with pytest.raises(TimeoutError):
            server.recvfrom(16)


def test_nothing_was_written_on_the_host(contained: Contained):
    contained.run("open('/tmp/verimath-escape', 'w').write('x')")
    assert not os.path.exists("/tmp/verimath-escape")
    import sympy

    assert not os.path.exists(os.path.join(os.path.dirname(sympy.__file__), "verimath_escape.py"))


def test_state_left_by_one_run_is_not_visible_to_the_next(contained: Contained):
    leave = textwrap.dedent("""
        import builtins, os, sys, sympy
        open('left-behind.txt', 'w').write('x')
        builtins.LEFT_BEHIND = 1
        sys.modules['sympy'].LEFT_BEHIND = 1
        for d in ('/dev/shm', os.environ.get('TMPDIR', '/tmp')):
            try:
                open(os.path.join(d, 'left-behind.txt'), 'w').write('x')
            except OSError:
                pass
        print(os.getcwd())
        """)
    first, _ = contained.run(leave)
    assert first.status == "ok"
    look = textwrap.dedent(f"""
        import builtins, os, sympy
        print(os.path.exists('left-behind.txt'),
              os.path.exists({first.stdout.strip()!r} + '/left-behind.txt'),
              os.path.exists('/dev/shm/left-behind.txt'), hasattr(builtins, 'LEFT_BEHIND'),
              hasattr(sympy, 'LEFT_BEHIND'))
        """)
    second, _ = contained.run(look)
    assert second.stdout.split() == ["False"] * 5, second


@pytest.mark.skipif(sys.platform != "linux", reason="Linux only")
def test_containment_of_the_tests_own_is_active(contained: Contained):
    assert contained.hello["pid"] == 1  # the server is PID 1 of its own namespace
