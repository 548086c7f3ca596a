"""``verimath.sandbox``: run untrusted, model-written Python safely, with state, in milliseconds.

Owns cells (bubblewrap or the best available fallback), the warm zygote inside each, per-run hardening
(unprivileged uid, rlimits, no_new_privs, seccomp, Landlock), the supervising pool, and stateful sessions.
A leaf package: imports nothing from verimath except :mod:`verimath.errors`.

    from verimath.sandbox import Sandbox, Limits
    with Sandbox(limits=Limits(timeout_s=5)) as sb:
        print(sb.run("import sympy as sp; print(sp.solve('x**2-2'))").stdout)
        with sb.session() as s:
            s.run("x = 21")
            s.run("print(x * 2)")
"""

from __future__ import annotations

from verimath.sandbox._sandbox import Sandbox, Session
from verimath.sandbox._types import FULL_LAYERS, ExecError, ExecResult, Isolation, Limits, Status

__all__ = ["FULL_LAYERS", "ExecError", "ExecResult", "Isolation", "Limits", "Sandbox", "Session", "Status"]
