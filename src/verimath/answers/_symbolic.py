"""The SymPy fallback, run in worker processes that are killed when a check's deadline passes.

Owns a small pool of worker processes (reused across checks, replaced when killed) and the
translation of our expression trees into SymPy inside the worker (by walking the tree: no ``sympify``, no
``eval``). SymPy is imported only in the workers. Imports only ``verimath.answers.values``.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

from verimath.answers.values import Node

_MAX_IDLE = 2
_MAX_BUSY = 4
"""At most this many SymPy workers run at once (each holds ~100 MB); further checks wait for a slot."""
_slots = threading.BoundedSemaphore(_MAX_BUSY)
_MAX_TIMEOUT = 600.0
_lock = threading.Lock()
_idle: list[_Worker] = []


class _Worker:
    """A ``python -c`` child (not ``multiprocessing``: the caller's ``__main__`` is never re-imported)."""

    def __init__(self) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        code = f"from verimath.answers._symbolic import serve; serve({to_child_r}, {from_child_w})"
        self.proc = subprocess.Popen([sys.executable, "-c", code], pass_fds=(to_child_r, from_child_w),
                                     env=env,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        os.close(to_child_r)
        os.close(from_child_w)
        self.send, self.recv = (Connection(to_child_w, readable=False),
                                Connection(from_child_r, writable=False))

    def ask(self, a: Node, b: Node, timeout: float) -> bool | None:
        self.send.send((a, b))
        if not self.recv.poll(timeout):
            raise TimeoutError
        return self.recv.recv()  # type: ignore[no-any-return]

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()
        self.send.close()
        self.recv.close()


@atexit.register
def _shutdown() -> None:
    with _lock:
        workers = list(_idle)
        _idle.clear()
    for w in workers:
        w.kill()


def equal(a: Node, b: Node, *, timeout: float) -> bool | None:
    """Whether SymPy proves ``a - b == 0`` (True), disproves it (False), or cannot say in ``timeout``
    (None)."""
    if timeout <= 0:
        return None
    timeout = min(timeout, _MAX_TIMEOUT)
    start = time.monotonic()
    if not _slots.acquire(timeout=timeout):
        return None
    try:
        return _ask(a, b, timeout - (time.monotonic() - start))
    finally:
        _slots.release()


def _ask(a: Node, b: Node, timeout: float) -> bool | None:
    with _lock:
        worker = _idle.pop() if _idle else None
    if worker is None:
        worker = _Worker()
    try:
        result = worker.ask(a, b, timeout)
    except (TimeoutError, EOFError, OSError):
        worker.kill()
        with _lock:  # start a replacement now, so that it has imported SymPy by the next inconclusive check
            if not _idle:
                _idle.append(_Worker())
        return None
    with _lock:
        if len(_idle) < _MAX_IDLE:
            _idle.append(worker)
            return result
    worker.kill()
    return result


# ------------------------------------------------------------------------------------------ in the worker


def serve(read_fd: int, write_fd: int) -> None:  # pragma: no cover - runs in the worker process
    """The worker's loop: receive two trees, answer True / False / None."""
    import sympy

    requests, replies = Connection(read_fd, writable=False), Connection(write_fd, readable=False)
    while True:
        try:
            a, b = requests.recv()
        except EOFError:
            return
        try:
            diff = _to_sympy(a, sympy) - _to_sympy(b, sympy)
            result: bool | None = True if sympy.simplify(diff) == 0 else diff.equals(0)
        except Exception:  # any SymPy failure means "cannot say"
            result = None
        replies.send(result)


_SYMPY_FUNCS = {
    "sin": "sin", "cos": "cos", "tan": "tan", "sec": "sec", "csc": "csc", "cot": "cot", "arcsin": "asin",
    "arccos": "acos", "arctan": "atan", "arcsec": "asec", "arccsc": "acsc", "arccot": "acot", "sinh": "sinh",
    "cosh": "cosh", "tanh": "tanh", "exp": "exp", "sqrt": "sqrt", "abs": "Abs", "floor": "floor",
    "ceil": "ceiling", "gcd": "gcd", "lcm": "lcm", "max": "Max", "min": "Min", "mod": "Mod",
}


def _to_sympy(node: Node, sp: Any) -> Any:
    op, a = node.op, node.args
    if op == "num":
        return sp.Rational(a[0].numerator, a[0].denominator)  # type: ignore[attr-defined]
    if op == "sym":
        return sp.Symbol(a[0])
    if op == "const":
        return {"pi": sp.pi, "e": sp.E, "i": sp.I, "inf": sp.oo}[a[0]]  # type: ignore[index]
    args = [_to_sympy(x, sp) for x in a if isinstance(x, Node)]
    if op == "add":
        return sp.Add(*args)
    if op == "mul":
        return sp.Mul(*args)
    if op == "neg":
        return -args[0]
    if op == "div":
        return args[0] / args[1]
    if op == "pow":
        return sp.Pow(args[0], args[1])
    if op == "fact":
        return sp.factorial(args[0])
    if op == "binom":
        return sp.binomial(args[0], args[1])
    if op == "func":
        name = a[0]
        if name == "log":
            return sp.log(*args)
        if name == "root":
            return sp.root(args[0], args[1])
        return getattr(sp, _SYMPY_FUNCS[name])(*args)  # type: ignore[index]
    raise ValueError(op)
