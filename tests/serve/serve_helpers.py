"""Real servers on loopback for the serve tests: the ``verimath serve`` CLI in a subprocess, or the app under
uvicorn in a thread (for configurations the CLI does not expose), plus pid helpers for fault injection."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

SRC = str(Path(__file__).resolve().parents[2] / "src")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, timeout: float = 60.0, headers: dict[str, str] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", headers=headers, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} never became ready")


class CliServer:
    """``python -m verimath serve`` on a free loopback port."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(os.devnull, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "verimath", "serve", "--port", str(self.port), *args],
            env={**os.environ, "PYTHONPATH": SRC, **(env or {})},
            stderr=self.log,
        )
        try:
            wait_ready(self.url)
        except TimeoutError:
            self.stop()
            raise

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(30)
        self.log.close()
        return code


class ThreadServer:
    """The app under uvicorn in a daemon thread of this process, with any ``ServeConfig``."""

    def __init__(self, **settings: object) -> None:
        import uvicorn

        from verimath.serve import ServeConfig, create_app

        self.config = ServeConfig(
            **{"workers": 2, "sandbox": False, "access_log": False, "port": 0, **settings}
        )
        self.app = create_app(self.config)
        self.server = uvicorn.Server(
            uvicorn.Config(self.app, host="127.0.0.1", port=free_port(), log_level="warning", lifespan="on")
        )
        self.url = f"http://127.0.0.1:{self.server.config.port}"
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        token = settings.get("token")
        wait_ready(self.url, headers={"authorization": f"Bearer {token}"} if token else None)

    @property
    def pool(self):
        return self.app.state.pool

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)


def worker_pids(url: str, headers: dict[str, str] | None = None) -> list[int]:
    return httpx.get(f"{url}/v1/info", headers=headers).json()["grading_worker_pids"]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(") ")[1][0] != "Z"
