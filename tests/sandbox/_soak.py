"""The soak: many users share one ``Sandbox`` for a bounded time, a hostile job among every few runs.

Started by the tests inside their own containment (``_contained.py``'s PID namespace and cgroups), as
``_soak.py BACKEND SECONDS USERS``. Each user thread mixes one-shot runs and sessions whose answers it can
check, and every ``HOSTILE_EVERY``-th run of each user is an attack from the classes of
issue 12. When the time
is up it prints one JSON line: how many runs of each kind, every wrong victim result, every run that waited
longer than its deadline plus ``MARGIN_S`` (queueing included), every exception that reached a user.
"""

from __future__ import annotations

import json
import os
import random
import sys
import threading
import time
from typing import Any

from _contained import enter_cgroups, leave_cgroups

HOSTILE_EVERY = 4
MARGIN_S = 15.0
VICTIM = {"timeout_s": 5.0}
HOSTILE_LIMITS = {"timeout_s": 1.0, "memory_mb": 256}
RESULT = "import os\nos.write(4, {})\nos._exit(0)"
HOSTILE_RUNS = {
    "fork-bomb": "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass",
    "memory": "chunks = []\nwhile True:\n    chunks.append(bytearray(16 << 20))",
    "busy": "while True:\n    pass",
    "flood": "while True:\n    print('x' * 4096)",
    "deep-result": RESULT.format("b'[' * 100000"),
    "forged-error": RESULT.format("b'{\"status\": \"error\", \"error\": \"boom\"}'"),
    "realtime-signal": "import os, signal\nos.kill(os.getpid(), signal.SIGRTMIN + 1)",
    "deep-tree": "import os\nfor _ in range(1500):\n    os.mkdir('d')\n    os.chdir('d')",
    "memfd": "import os\nfd = os.memfd_create('x')\nos.write(fd, b'x' * (64 << 20))",
    "renice-all": "import os\nfor p in range(1, 200):\n    try:\n"
    "        os.setpriority(os.PRIO_PROCESS, p, 19)\n    except OSError:\n        pass",
}
HOSTILE_SESSIONS = {
    "stops-reading": [
        "import socket, time\nsocket.recv_fds = lambda *a: time.sleep(3600)",
        "x = 1  # " + "y" * (8 << 20),
    ],
    "thread-left": ["import threading, time\nthreading.Thread(target=time.sleep, args=(60,)).start()", "1"],
    "files": ["for i in range(5000):\n    open(f'f{i}', 'w').close()", "1"],
}


class Report:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: dict[str, int] = {"run": 0, "session_cell": 0, "hostile": 0}
        self.wrong: list[str] = []
        self.late: list[str] = []
        self.raised: list[str] = []

    def timed(self, what: str, deadline_s: float, fn: Any) -> Any:
        start = time.monotonic()
        try:
            return fn()
        except Exception as exc:
            with self.lock:
                self.raised.append(f"{what}: {type(exc).__name__}: {exc}")
            return None
        finally:
            took = time.monotonic() - start
            if took > deadline_s + MARGIN_S:
                with self.lock:
                    self.late.append(f"{what}: {took:.1f} s")

    def check(self, what: str, ok: bool, detail: Any) -> None:
        if not ok:
            with self.lock:
                self.wrong.append(f"{what}: {detail}"[:500])

    def count(self, kind: str) -> None:
        with self.lock:
            self.counts[kind] += 1


def user(sandbox: Any, limits: Any, number: int, until: float, report: Report) -> None:
    rng = random.Random(number)
    victim, hostile = limits(**VICTIM), limits(**HOSTILE_LIMITS)
    i = 0
    while time.monotonic() < until:
        i += 1
        if i % HOSTILE_EVERY == 0:
            report.count("hostile")
            name = rng.choice(sorted(HOSTILE_RUNS) + sorted(HOSTILE_SESSIONS))
            if name in HOSTILE_RUNS:
                report.timed(name, 1.0, lambda c=HOSTILE_RUNS[name]: sandbox.run(c, limits=hostile))
            else:
                with sandbox.session(hostile) as s:
                    for cell in HOSTILE_SESSIONS[name]:
                        report.timed(name, 1.0, lambda c=cell: s.run(c))
        elif rng.random() < 0.5:
            report.count("run")
            n = rng.randrange(10**6)
            r = report.timed("run", 5.0, lambda n=n: sandbox.run(f"print(sum(range({n})))", limits=victim))
            report.check(f"user {number} run", r is not None and r.stdout == f"{n * (n - 1) // 2}\n", r)
        else:
            token = f"{number}-{i}"
            with sandbox.session(victim) as s:
                cells = [(f"t = {token!r}\nk = 0", ""), ("k += 1", ""), ("k += 1", "")]
                cells.append(("print(t, k)", f"{token} 2\n"))
                for code, expected in cells:
                    report.count("session_cell")
                    r = report.timed("session", 5.0, lambda c=code: s.run(c))
                    report.check(f"user {number} session", r is not None and r.ok and r.stdout == expected, r)


def main() -> None:
    backend, seconds, users = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    cgroups = enter_cgroups()
    from verimath.sandbox import Limits, Sandbox

    with Sandbox(limits=Limits(**VICTIM), cells=2, backend=backend) as sandbox:
        report = Report()
        until = time.monotonic() + seconds
        threads = [
            threading.Thread(target=user, args=(sandbox, Limits, n, until, report), daemon=True)
            for n in range(users)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(seconds + 120)
        stuck = sum(t.is_alive() for t in threads)
        summary = {
            "counts": report.counts,
            "wrong": report.wrong,
            "late": report.late,
            "raised": report.raised,
            "stuck_users": stuck,
            "cgroups": cgroups,
        }
        print(json.dumps(summary), flush=True)
        if stuck:
            os._exit(1)
    leave_cgroups(cgroups)


if __name__ == "__main__":
    main()
