"""Benchmark of ``verimath.sandbox``: latency of ``print(1+1)`` and of a SymPy ``solve`` in warm cells, side
by side with a fresh ``python -c`` per run (measured in the same process, same moment), session
open time, throughput on all cores, and memory per cell. Prints a table and writes
``benchmarks/results/sandbox.json``.

    python benchmarks/sandbox.py [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from verimath.sandbox import Sandbox

PRINT = "print(1+1)"
SOLVE = "import sympy as sp\nx = sp.Symbol('x')\nprint(sp.solve(x**2 - 2, x))"
RESULTS = Path(__file__).resolve().parent / "results" / "sandbox.json"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(ms: list[float]) -> dict[str, float]:
    return {
        "n": len(ms),
        "median_ms": round(statistics.median(ms), 2),
        "p99_ms": round(percentile(ms, 0.99), 2),
    }


def time_sandbox(sb: Sandbox, code: str, n: int, expect: str) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        r = sb.run(code)
        out.append((time.perf_counter() - t) * 1000)
        if r.stdout != expect:
            raise RuntimeError(f"unexpected result {r}")
    return out


def time_session_open(sb: Sandbox, n: int) -> list[float]:
    """Milliseconds to open a session (until it can take its first cell); each is closed after."""
    out = []
    for _ in range(n):
        t = time.perf_counter()
        session = sb.session()
        out.append((time.perf_counter() - t) * 1000)
        session.close()
    return out


def time_fresh(code: str, n: int, expect: str) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        out.append((time.perf_counter() - t) * 1000)
        if p.stdout != expect:
            raise RuntimeError(f"unexpected output {p.stdout!r}")
    return out


def _zygotes(sb: Sandbox) -> list[int]:
    """Pids of the zygotes of ``sb``: the Python processes of each cell whose parent is not one too."""
    found = []
    for cell in sb._all:
        pythons = set()
        for pid in _descendants(cell._proc.pid):
            try:
                with open(f"/proc/{pid}/comm") as f:
                    if f.read().startswith("python"):
                        pythons.add(pid)
            except OSError:
                continue
        found += [pid for pid in pythons if _parent(pid) not in pythons]
    return found


def _stat(pid: int) -> list[bytes]:
    with open(f"/proc/{pid}/stat", "rb") as f:
        return f.read().rsplit(b")", 1)[1].split()


def _parent(pid: int) -> int:
    try:
        return int(_stat(pid)[1])
    except OSError:
        return 0


def _cell_cpu_s(sb: Sandbox) -> dict[str, float]:
    """CPU seconds used so far in the cells of ``sb``: by the zygotes, by their forkers (their direct
    children, which fork and reap the job processes) and by the job processes the forkers reaped."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {"jobs": 0.0, "forker": 0.0, "zygote": 0.0}
    for zygote in _zygotes(sb):
        with contextlib.suppress(OSError):
            used["zygote"] += sum(int(x) for x in _stat(zygote)[11:13]) / tick  # utime stime
        for pid in _descendants(zygote):
            if _parent(pid) == zygote:
                with contextlib.suppress(OSError):
                    fields = _stat(pid)
                    used["forker"] += sum(int(x) for x in fields[11:13]) / tick
                    used["jobs"] += sum(int(x) for x in fields[13:15]) / tick  # cutime cstime: reaped jobs
    return used


def throughput(cells: int, seconds: float) -> dict[str, Any]:
    """SymPy solves per second with every core busy (two callers per cell keep the queue full), and the CPU
    time each solve costs (jobs, forkers, zygotes and the supervisor): unlike the rate, that does not depend
    on what else runs on the machine, and it bounds the rate of otherwise idle cores."""
    with Sandbox(cells=cells) as sb:
        sb.run(SOLVE)
        done = 0
        lock = threading.Lock()
        stop = time.perf_counter() + seconds

        def worker() -> None:
            nonlocal done
            while time.perf_counter() < stop:
                if sb.run(SOLVE).ok:
                    with lock:
                        done += 1

        cpu0, sup0, start = _cell_cpu_s(sb), time.process_time(), time.perf_counter()
        threads = [threading.Thread(target=worker) for _ in range(2 * cells)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start
        sb.run("pass")  # let the forkers reap the last children
        cpu1 = _cell_cpu_s(sb)
        used = {key: cpu1[key] - cpu0[key] for key in cpu0} | {"supervisor": time.process_time() - sup0}
    per_solve = {key: 1000 * seconds / max(done, 1) for key, seconds in used.items()}
    cpu_ms = sum(per_solve.values())
    return {
        "solves_per_s": round(done / elapsed, 1),
        "cpu_ms_per_solve": round(cpu_ms, 1),
        "cpu_ms_per_solve_by_process": {key: round(ms, 2) for key, ms in per_solve.items()},
        "cpu_bound_solves_per_s": round(cells * 1000 / cpu_ms, 1),
    }


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += children.get(pid, [])
    return out


def memory_per_cell() -> dict[str, float]:
    """PSS and RSS (MiB) of one idle cell: bubblewrap, the zygote and its pre-forked child."""
    with Sandbox(cells=1) as sb:
        sb.run(SOLVE)
        time.sleep(0.5)
        pss = rss = 0
        for pid in _descendants(sb._all[0]._proc.pid):
            try:
                with open(f"/proc/{pid}/smaps_rollup") as f:
                    for line in f:
                        key, _, rest = line.partition(":")
                        if key in ("Pss", "Rss"):
                            kib = int(rest.split()[0])
                            pss += kib if key == "Pss" else 0
                            rss += kib if key == "Rss" else 0
            except OSError:
                continue
        return {"pss_mib": round(pss / 1024, 1), "rss_mib": round(rss / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    n_print, n_solve, n_fresh_print, n_fresh_solve, secs, n_sessions = (
        (50, 30, 10, 3, 3.0, 10) if args.quick else (300, 150, 30, 10, 10.0, 40)
    )
    cores = len(os.sched_getaffinity(0))
    load_before = os.getloadavg()
    with Sandbox(cells=1) as sb:
        isolation = sb.isolation
        time_sandbox(sb, PRINT, 5, "2\n")
        time_sandbox(sb, SOLVE, 5, "[-sqrt(2), sqrt(2)]\n")
        warm_print = time_sandbox(sb, PRINT, n_print, "2\n")
        warm_solve = time_sandbox(sb, SOLVE, n_solve, "[-sqrt(2), sqrt(2)]\n")
        session_open = time_session_open(sb, n_sessions)
    fresh_print = time_fresh(PRINT, n_fresh_print, "2\n")
    fresh_solve = time_fresh(SOLVE, n_fresh_solve, "[-sqrt(2), sqrt(2)]\n")
    tput = throughput(cores, secs)
    memory = memory_per_cell()
    report = {
        "machine": {
            "cores": cores,
            "python": platform.python_version(),
            "kernel": platform.release(),
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        },
        "isolation": isolation.to_dict(),
        "print": {"sandbox": summary(warm_print), "fresh_python": summary(fresh_print)},
        "solve": {"sandbox": summary(warm_solve), "fresh_python": summary(fresh_solve)},
        "session_open": summary(session_open),
        "speedup_solve_median": round(statistics.median(fresh_solve) / statistics.median(warm_solve), 1),
        "throughput": tput,
        "memory_per_cell": memory,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(
        f"verimath.sandbox benchmark — {cores} cores, isolation {isolation.backend} "
        f"({'full' if isolation.full else 'partial'}), load avg {load_before[0]:.2f} -> "
        f"{os.getloadavg()[0]:.2f}"
    )
    print(f"{'workload':<22}{'sandbox median':>16}{'p99':>10}{'fresh python -c':>18}{'p99':>10}")
    for name in ("print", "solve"):
        s, f = report[name]["sandbox"], report[name]["fresh_python"]
        print(
            f"{name:<22}{s['median_ms']:>13.1f} ms{s['p99_ms']:>7.1f} ms"
            f"{f['median_ms']:>15.1f} ms{f['p99_ms']:>7.1f} ms"
        )
    print(f"solve speed-up (median): {report['speedup_solve_median']}x")
    so = report["session_open"]
    print(f"session open (a fresh holder, hardened): median {so['median_ms']} ms, p99 {so['p99_ms']} ms")
    by_process = ", ".join(f"{k} {v}" for k, v in tput["cpu_ms_per_solve_by_process"].items())
    print(
        f"throughput, {cores} cells: {tput['solves_per_s']} SymPy solves/s; {tput['cpu_ms_per_solve']} ms "
        f"CPU per solve ({by_process}), i.e. at most {tput['cpu_bound_solves_per_s']}/s on {cores} idle cores"
    )
    print(f"memory per idle cell: PSS {memory['pss_mib']} MiB, RSS {memory['rss_mib']} MiB")
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
