"""``verimath serve`` against the ways RL stacks grade and run code today, side by side in one run.

1. Batch grading: the real pairs (GSM8K model solutions and MATH-500 reference solutions from ../shared/data,
   skipped cleanly when absent), each seen once by a fresh service (warmed up on other items), posted to
   ``/v1/grade/batch`` in batches of 512 (one verl step) by two concurrent clients, against Math-Verify 0.9.0
   in a 2-process ``ProcessPoolExecutor`` with a timeout per item (how verl's reward managers serve it).
2. Single items: ``/v1/grade`` from 64 concurrent keep-alive connections (a raw asyncio HTTP/1.1 load
   generator in this process, on the same cores as the server): requests/s and p50/p99 latency, closed loop
   (each connection sends as soon as it has its answer: the most the service does) and open loop at 1,000/s
   (latency counted from each request's scheduled time).
3. Code: ``/run_code`` with a SymPy program from 32 concurrent connections, closed loop and open loop at 60/s,
   against a server that starts a fresh ``python`` per request (SandboxFusion's model), same load generator.
   In a closed loop, latency is ``connections / throughput`` by Little's law; the open loop shows the latency
   at a given rate.
4. Soak: a bounded mixed loop at ``--soak-rate`` requests/s (grade batches of 64, single grades, code runs;
   1% adversarial items and 1% endless programs) for ``--soak-s`` seconds: errors, server memory (RSS of the
   server and its children) first vs last quarter, its processes before and after, and any left behind after
   shutdown.

The machine's load average is printed and stored with the figures. Writes ``benchmarks/results/serve.json``.
Run: ``python benchmarks/serve.py [--seconds 10] [--soak-s 60]`` (needs the ``serve`` and ``bench`` extras).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
RESULTS = Path(__file__).resolve().parent / "results"
SYMPY_PROGRAM = "import sympy as sp\nx = sp.symbols('x')\nprint(sp.factor(x**6 - 1))\n"
ADVERSARIAL = [
    ("\\boxed{9^{9^{9^{9}}}}", "9^{9^{9^{9}}}+1"),
    ("\\boxed{" + "(" * 3000 + "1" + ")" * 3000 + "}", "1"),
    ("\\boxed{(x+1)^{1000}}", "(x+1)^{999}*(x+1)+1"),
    ("\\boxed{" + "x+" * 20000 + "1}", "1"),
]
_LENGTH = re.compile(rb"content-length: *(\d+)", re.IGNORECASE)


def load_pairs() -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    gsm = DATA / "gsm8k_model_answer_grading.jsonl"
    if gsm.is_file():
        pairs += [(r["model_solution"], r["gold_answer"]) for r in map(json.loads, gsm.open())]
    math = DATA / "math500.jsonl"
    if math.is_file():
        pairs += [(r["solution"], r["answer"]) for r in map(json.loads, math.open())]
    return pairs


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port: int, path: str = "/readyz", timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            status, _ = asyncio.run(_once(port, "GET", path, b""))
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"port {port} never became ready")


def _request(method: str, path: str, body: bytes) -> bytes:
    return (
        f"{method} {path} HTTP/1.1\r\nhost: bench\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\n\r\n"
    ).encode() + body


async def _read(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    match = _LENGTH.search(head)
    return int(head[9:12]), await reader.readexactly(int(match.group(1)) if match else 0)


async def _once(port: int, method: str, path: str, body: bytes) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(_request(method, path, body))
    try:
        return await _read(reader)
    finally:
        writer.close()


async def _load(port: int, requests: list[bytes], clients: int, seconds: float) -> dict:
    """``clients`` keep-alive connections sending ``requests`` round-robin for ``seconds``."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def client(offset: int) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        i = offset
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            writer.write(requests[i % len(requests)])
            status, _ = await _read(reader)
            latencies.append(time.perf_counter() - start)
            errors += status != 200
            i += clients
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client(k) for k in range(clients)))
    wall = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "requests": len(latencies),
        "per_s": len(latencies) / wall,
        "errors": errors,
        "p50_ms": ordered[len(ordered) // 2] * 1000,
        "p99_ms": ordered[int(len(ordered) * 0.99)] * 1000,
    }


async def _paced(port: int, requests: list[bytes], rate: float, seconds: float, connections: int) -> dict:
    """Open loop: requests sent at ``rate`` per second over up to ``connections`` keep-alive connections;
    each latency counts from the request's scheduled time (so waiting for a free connection is included)."""
    idle: asyncio.Queue = asyncio.Queue()
    for _ in range(connections):
        idle.put_nowait(await asyncio.open_connection("127.0.0.1", port))
    latencies: list[float] = []
    errors = 0

    async def one(i: int, scheduled: float) -> None:
        nonlocal errors
        reader, writer = await idle.get()
        writer.write(requests[i % len(requests)])
        status, _ = await _read(reader)
        latencies.append(time.perf_counter() - scheduled)
        errors += status != 200
        idle.put_nowait((reader, writer))

    start = time.perf_counter()
    tasks = []
    for i in range(int(rate * seconds)):
        scheduled = start + i / rate
        await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
        tasks.append(asyncio.ensure_future(one(i, scheduled)))
    await asyncio.gather(*tasks)
    wall = time.perf_counter() - start
    while not idle.empty():
        idle.get_nowait()[1].close()
    ordered = sorted(latencies)
    return {
        "offered_per_s": rate,
        "requests": len(latencies),
        "per_s": len(latencies) / wall,
        "errors": errors,
        "p50_ms": ordered[len(ordered) // 2] * 1000,
        "p99_ms": ordered[int(len(ordered) * 0.99)] * 1000,
    }


def start_service(port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "verimath", "serve", "--port", str(port), "--workers", "2"],
        stderr=subprocess.DEVNULL,
    )
    wait_ready(port)
    return proc


# -- 1. batch grading --------------------------------------------------------------------------------------
def service_batches(port: int, pairs: list[tuple[str, str]], rounds: int) -> dict:
    batches = [
        json.dumps(
            {"items": [{"response": p, "gold": g} for p, g in pairs[i : i + 512]], "timeout_ms": 5000}
        ).encode()
        for i in range(0, len(pairs), 512)
    ]

    async def run() -> tuple[int, int]:
        queue = [b for _ in range(rounds) for b in batches]
        graded = errors = 0

        async def client() -> None:
            nonlocal graded, errors
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            while queue:
                writer.write(_request("POST", "/v1/grade/batch", queue.pop()))
                status, body = await _read(reader)
                errors += status != 200
                graded += len(json.loads(body)["results"]) if status == 200 else 0
            writer.close()

        await asyncio.gather(client(), client())
        return graded, errors

    start = time.perf_counter()
    graded, errors = asyncio.run(run())
    wall = time.perf_counter() - start
    return {"grades": graded, "wall_s": wall, "per_s": graded / wall, "errors": errors}


def _math_verify(prediction: str, gold: str) -> bool:
    from math_verify import parse, verify

    try:
        return bool(verify(parse(f"${gold}$"), parse(prediction)))
    except Exception:  # a crash is a "no", as in verl
        return False


def math_verify_pool(pairs: list[tuple[str, str]], timeout_s: float = 5.0) -> dict | None:
    try:
        import math_verify  # noqa: F401
    except ImportError:
        return None
    start = time.perf_counter()
    timeouts = 0
    with ProcessPoolExecutor(2) as pool:
        futures = [pool.submit(_math_verify, p, g) for p, g in pairs]
        for future in futures:
            try:
                future.result(timeout=timeout_s)
            except FutureTimeout:
                timeouts += 1
    wall = time.perf_counter() - start
    return {"grades": len(pairs), "wall_s": wall, "per_s": len(pairs) / wall, "timeouts": timeouts}


# -- 3. fresh python per request ---------------------------------------------------------------------------
def fresh_python_app():
    """A minimal ASGI app that runs each ``/run_code`` request in a new ``python`` process."""

    async def app(scope, receive, send):
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                while (await receive())["type"] != "lifespan.shutdown":
                    await send({"type": "lifespan.startup.complete"})
                await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        status, payload = 200, {"status": "Success"}
        if scope["path"] == "/run_code":
            request = json.loads(body)
            start = time.perf_counter()
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                request["code"],
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            try:
                out, err = await asyncio.wait_for(proc.communicate(), request.get("run_timeout", 10))
            except TimeoutError:
                proc.kill()
                out, err = b"", b""
            payload = {
                "status": "Success" if proc.returncode == 0 else "Failed",
                "run_result": {
                    "status": "Finished",
                    "return_code": proc.returncode,
                    "stdout": out.decode(),
                    "stderr": err.decode(),
                    "execution_time": time.perf_counter() - start,
                },
            }
        data = json.dumps(payload).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(data)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": data})

    return app


def start_fresh_python(port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--fresh-python-server", str(port)], stderr=subprocess.DEVNULL
    )
    wait_ready(port, "/healthz")
    return proc


# -- 4. soak -----------------------------------------------------------------------------------------------
def _children(pid: int) -> list[int]:
    """Children started by any thread of ``pid`` (each thread's children are listed under its own task)."""
    kids: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                kids += [int(c) for c in f.read().split()]
    except (FileNotFoundError, ProcessLookupError):
        pass
    return kids


def descendants(pid: int) -> set[int]:
    found: set[int] = set()
    stack = [pid]
    while stack:
        kids = set(_children(stack.pop())) - found
        found |= kids
        stack += list(kids)
    return found


def tree_rss_mb(pid: int) -> float:
    total = 0
    for member in (pid, *descendants(pid)):
        try:
            with open(f"/proc/{member}/statm") as f:
                total += int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total / 2**20


def survivors(pids: set[int], wait_s: float = 5.0) -> list[str]:
    """The command lines of ``pids`` still running (not zombies) after up to ``wait_s`` seconds."""
    deadline = time.monotonic() + wait_s
    while True:
        alive = []
        for pid in pids:
            try:
                with open(f"/proc/{pid}/stat") as f:
                    if f.read().rsplit(") ", 1)[1][0] == "Z":
                        continue
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    alive.append(f.read().replace(b"\0", b" ").decode(errors="replace").strip()[:200])
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)


def soak(
    port: int, proc: subprocess.Popen, pairs: list[tuple[str, str]], seconds: float, rate: float
) -> dict:
    """Requests at ``rate`` per second, a third each of 64-item batches, single grades and code runs."""
    rng = random.Random(0)

    def item() -> dict:
        p, g = rng.choice(ADVERSARIAL) if rng.random() < 0.01 else rng.choice(pairs)
        return {"response": p, "gold": g, "timeout_ms": 2000}

    requests = []
    for k in range(300):
        if k % 3 == 0:
            requests.append(
                _request(
                    "POST", "/v1/grade/batch", json.dumps({"items": [item() for _ in range(64)]}).encode()
                )
            )
        elif k % 3 == 1:
            requests.append(_request("POST", "/v1/grade", json.dumps(item()).encode()))
        else:
            code = "while True: pass" if rng.random() < 0.01 else SYMPY_PROGRAM
            requests.append(
                _request("POST", "/run_code", json.dumps({"code": code, "run_timeout": 2}).encode())
            )
    samples, errors, done, worst_p99 = [], 0, 0, 0.0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        result = asyncio.run(_paced(port, requests, rate, min(5.0, max(end - time.monotonic(), 0.5)), 16))
        errors += result["errors"]
        done += result["requests"]
        worst_p99 = max(worst_p99, result["p99_ms"])
        samples.append(tree_rss_mb(proc.pid))
    quarter = max(1, len(samples) // 4)
    return {
        "seconds": seconds,
        "offered_per_s": rate,
        "requests": done,
        "errors": errors,
        "worst_5s_p99_ms": worst_p99,
        "processes_after": len(descendants(proc.pid)),
        "rss_first_quarter_mb": sum(samples[:quarter]) / quarter,
        "rss_last_quarter_mb": sum(samples[-quarter:]) / quarter,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="Length of each load phase.")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="Passes over the pairs in the batch phase (later passes hit the grader's caches).",
    )
    parser.add_argument("--math-verify-pairs", type=int, default=1000)
    parser.add_argument("--soak-s", type=float, default=60.0)
    parser.add_argument("--soak-rate", type=float, default=100.0, help="Soak requests per second.")
    parser.add_argument("--fresh-python-server", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fresh_python_server:
        import uvicorn

        uvicorn.run(fresh_python_app(), host="127.0.0.1", port=args.fresh_python_server, log_level="warning")
        return 0
    pairs = load_pairs()
    if not pairs:
        print(f"no benchmark data under {DATA}; nothing to do")
        return 0
    report: dict = {
        "load_average_before": os.getloadavg(),
        "cores": len(os.sched_getaffinity(0)),
        "pairs": len(pairs),
    }
    port = free_port()
    service = start_service(port)
    try:
        service_batches(
            port, [(f"so the answer is \\boxed{{{k}}}", str(k % 7)) for k in range(512)], 1
        )  # warm-up
        report["batch_service"] = service_batches(port, pairs, args.rounds)
        report["batch_math_verify_pool"] = math_verify_pool(pairs[: args.math_verify_pairs])
        singles = [
            _request("POST", "/v1/grade", json.dumps({"response": p, "gold": g}).encode()) for p, g in pairs
        ]
        report["single_grade_64"] = asyncio.run(_load(port, singles, 64, args.seconds))
        report["single_grade_64_at_1000_per_s"] = asyncio.run(_paced(port, singles, 1000, args.seconds, 64))
        run = [
            _request("POST", "/run_code", json.dumps({"code": SYMPY_PROGRAM, "language": "python"}).encode())
        ]
        asyncio.run(_load(port, run, 4, 2))  # warm-up
        report["run_code_32"] = asyncio.run(_load(port, run, 32, args.seconds))
        report["run_code_32_at_60_per_s"] = asyncio.run(_paced(port, run, 60, args.seconds, 32))
        fresh_port = free_port()
        fresh = start_fresh_python(fresh_port)
        try:
            report["run_code_32_fresh_python"] = asyncio.run(_load(fresh_port, run, 32, args.seconds))
        finally:
            fresh.terminate()
            fresh.wait(30)
        if args.soak_s > 0:
            children = descendants(service.pid)
            report["soak"] = soak(port, service, pairs, args.soak_s, args.soak_rate)
            report["soak"]["processes_before"] = len(children)
    finally:
        children = descendants(service.pid)
        service.send_signal(signal.SIGTERM)
        report["service_exit_code"] = service.wait(60)
        report["processes_left_after_shutdown"] = survivors(children)
    report["load_average_after"] = os.getloadavg()
    print_table(report)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "serve.json").write_text(json.dumps(report, indent=2) + "\n")
    return 0


def print_table(r: dict) -> None:
    print(
        f"{r['cores']} cores; load average before {r['load_average_before'][0]:.1f}, "
        f"after {r['load_average_after'][0]:.1f} (other work shares these cores); {r['pairs']} real pairs"
    )
    b, mv = r["batch_service"], r["batch_math_verify_pool"]
    print(
        f"batch grading   verimath serve       {b['per_s']:>9.0f} grades/s "
        f"({b['grades']} graded, {b['errors']} errors)"
    )
    if mv:
        print(
            f"                Math-Verify pool(2)  {mv['per_s']:>9.0f} grades/s ({mv['grades']} graded, "
            f"{mv['timeouts']} timeouts) -> {b['per_s'] / mv['per_s']:.1f}x"
        )
    s = r["single_grade_64"]
    print(
        f"/v1/grade x64   {s['per_s']:>9.0f} req/s  p50 {s['p50_ms']:.1f} ms  p99 {s['p99_ms']:.1f} ms  "
        f"({s['errors']} errors)"
    )
    s = r["single_grade_64_at_1000_per_s"]
    print(
        f"  open loop at {s['offered_per_s']:.0f}/s: {s['per_s']:.0f} req/s  p50 {s['p50_ms']:.1f} ms  "
        f"p99 {s['p99_ms']:.1f} ms"
    )
    c, f = r["run_code_32"], r["run_code_32_fresh_python"]
    print(
        f"/run_code x32   verimath {c['per_s']:>7.1f} runs/s  p50 {c['p50_ms']:.0f} ms  "
        f"p99 {c['p99_ms']:.0f} ms "
        f"({c['errors']} errors)"
    )
    print(
        f"                fresh python {f['per_s']:>5.1f} runs/s  p50 {f['p50_ms']:.0f} ms  "
        f"p99 {f['p99_ms']:.0f} ms "
        f"-> {c['per_s'] / f['per_s']:.1f}x"
    )
    o = r["run_code_32_at_60_per_s"]
    print(
        f"  open loop at {o['offered_per_s']:.0f}/s: {o['per_s']:.1f} runs/s  p50 {o['p50_ms']:.0f} ms  "
        f"p99 {o['p99_ms']:.0f} ms"
    )
    if "soak" in r:
        k = r["soak"]
        print(
            f"soak {k['seconds']:.0f} s at {k['offered_per_s']:.0f} req/s: {k['requests']} requests, "
            f"{k['errors']} errors, worst 5 s p99 {k['worst_5s_p99_ms']:.0f} ms, RSS "
            f"{k['rss_first_quarter_mb']:.0f} -> {k['rss_last_quarter_mb']:.0f} MB, processes "
            f"{k['processes_before']} -> {k['processes_after']}"
        )
    print(
        f"shutdown: exit {r['service_exit_code']}, {len(r['processes_left_after_shutdown'])} processes left "
        f"behind 5 s later {r['processes_left_after_shutdown']}"
    )


if __name__ == "__main__":
    sys.exit(main())
