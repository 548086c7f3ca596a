"""A sandbox server for the destructive tests, started *inside containment of the tests' own*.

The test starts this script under ``unshare --pid --fork --kill-child --mount-proc`` (a PID namespace: when
it ends, everything it started ends) and, where the machine lets us, inside a fresh cgroup with ``pids.max``
and a memory limit (cgroup v2 or v1). It then serves JSON lines on stdin/stdout: each request runs one snippet
and then a plain ``print('alive')``, so every test also checks that the sandbox still serves.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import uuid
import warnings

CGROUP_PIDS_MAX = 2048
CGROUP_MEMORY_BYTES = 6 << 30


def _current_cgroup(controller: str) -> str:
    """This process's cgroup path for ``controller`` (v1), or the unified one ("" = v2)."""
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            if controller in controllers.split(","):
                return path
    return "/"


def enter_cgroups() -> list[str]:
    """Move this process into new pids/memory cgroups *below its current ones* (so nothing it runs escapes
    limits already set above it); return the ones joined (best effort)."""
    name = f"verimath-sandbox-test-{uuid.uuid4().hex[:12]}"
    if os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
        candidates = [
            (
                os.path.join("/sys/fs/cgroup", _current_cgroup("").lstrip("/")),
                {"pids.max": CGROUP_PIDS_MAX, "memory.max": CGROUP_MEMORY_BYTES},
            )
        ]
    else:
        candidates = [
            (
                os.path.join("/sys/fs/cgroup/pids", _current_cgroup("pids").lstrip("/")),
                {"pids.max": CGROUP_PIDS_MAX},
            ),
            (
                os.path.join("/sys/fs/cgroup/memory", _current_cgroup("memory").lstrip("/")),
                {"memory.limit_in_bytes": CGROUP_MEMORY_BYTES},
            ),
        ]
    joined = []
    for root, settings in candidates:
        path = os.path.join(root, name)
        try:
            os.makedirs(path, exist_ok=True)
            for key, value in settings.items():
                if os.path.exists(os.path.join(path, key)):
                    with open(os.path.join(path, key), "w") as f:
                        f.write(str(value))
            with open(os.path.join(path, "cgroup.procs"), "w") as f:
                f.write(str(os.getpid()))
            joined.append(path)
        except OSError:
            with contextlib.suppress(OSError):
                os.rmdir(path)
    return joined


def main() -> None:
    backend = sys.argv[1]
    cgroups = enter_cgroups()
    from verimath.sandbox import Limits, Sandbox

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sandbox = Sandbox(limits=Limits(timeout_s=5), cells=1, backend=backend)
    hello = {
        "isolation": sandbox.isolation.to_dict(),
        "cgroups": cgroups,
        "pid": os.getpid(),
        "warnings": [str(w.message) for w in caught],
    }
    print(json.dumps(hello), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        result = sandbox.run(req["code"], limits=Limits(**req.get("limits", {"timeout_s": 5})))
        after = sandbox.run("print('alive')")
        print(json.dumps({"result": result.to_dict(), "after": after.to_dict()}), flush=True)
    sandbox.close()
    leave_cgroups(cgroups)


def leave_cgroups(cgroups: list[str]) -> None:
    """Leave nothing behind: step back into the parent cgroups, remove ours."""
    for path in cgroups:
        with contextlib.suppress(OSError):
            with open(os.path.join(os.path.dirname(path), "cgroup.procs"), "w") as f:
                f.write(str(os.getpid()))
            os.rmdir(path)


if __name__ == "__main__":
    main()
