"""Several OpenAI-compatible servers behind one ``openai:`` model (one vLLM or SGLang per GPU or node).

Owns reading the server list (``URL1,URL2,…`` or ``@FILE`` with one URL a line) and choosing a server per
request: the one with the fewest requests outstanding among those not resting after a failure. A server that
fails (connection refused, timeout, 429/5xx) rests for a while that doubles with each failure in a row (up to
``max_rest_s``) and is tried again after it; a success ends its rest. When every server rests, the one whose
rest ends first is asked. So a dead server costs some retries, never the run. Imports only
``verimath.errors``.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from verimath.errors import InputError


def server_urls(base_url: str) -> list[str]:
    """The URLs ``base_url`` names: ``URL``, ``URL1,URL2,…`` or ``@FILE`` (one URL a line, blank lines and
    ``#`` comments ignored)."""
    where: str | None = None
    if base_url.startswith("@"):
        if not base_url[1:].strip():
            raise InputError("@ needs a file name: @FILE, one URL a line", field="base_url")
        path = Path(base_url[1:])
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise InputError(f"cannot read the server list: {exc.strerror}", file=str(path),
                             field="base_url") from None
        where = str(path)
        entries = [(number, line.split("#", 1)[0].strip()) for number, line in enumerate(lines, 1)]
    else:
        entries = [(None, part.strip()) for part in base_url.split(",")]
    entries = [(number, url) for number, url in entries if url]
    for number, url in entries:
        if not url.startswith(("http://", "https://")):
            raise InputError(f"server URL {url!r} must start with http:// or https://", file=where,
                             line=number, field="base_url")
    if not entries:
        raise InputError("names no server URL", file=where, field="base_url")
    return [url for _, url in entries]


@dataclass(slots=True)
class ServerState:
    """One server as the pool sees it."""

    url: str
    outstanding: int = 0
    """Requests sent and not yet answered."""
    failures: int = 0
    """Failures in a row (a success resets it)."""
    rest_until: float = 0.0
    """``time.monotonic()`` before which the server is asked only if every server rests."""
    requests: int = 0
    """Requests sent, in all."""


class ServerPool:
    """Chooses a server per request by least outstanding requests, with per-server failure tracking."""

    def __init__(self, urls: Sequence[str], *, rest_s: float = 1.0, max_rest_s: float = 30.0) -> None:
        if not urls:
            raise InputError("needs at least one server URL", field="base_url")
        self.servers = [ServerState(url) for url in urls]
        self.rest_s, self.max_rest_s = rest_s, max_rest_s
        self._turn = itertools.count()  # ties go round the servers, so equal servers share the load

    def pick(self) -> ServerState:
        now = time.monotonic()
        ready = [s for s in self.servers if s.rest_until <= now]
        if not ready:
            return min(self.servers, key=lambda s: s.rest_until)
        start = next(self._turn) % len(ready)
        rotated = ready[start:] + ready[:start]
        return min(rotated, key=lambda s: s.outstanding)

    def others_ready(self, server: ServerState) -> bool:
        """Whether a server other than ``server`` is not resting (a retry can go there at once)."""
        now = time.monotonic()
        return any(s is not server and s.rest_until <= now for s in self.servers)

    @contextlib.contextmanager
    def using(self, server: ServerState) -> Iterator[None]:
        """Counts a request outstanding on ``server`` for the duration of the block."""
        server.outstanding += 1
        server.requests += 1
        try:
            yield
        finally:
            server.outstanding -= 1

    def succeeded(self, server: ServerState) -> None:
        server.failures, server.rest_until = 0, 0.0

    def failed(self, server: ServerState) -> None:
        server.failures += 1
        rest = min(self.max_rest_s, self.rest_s * 2 ** (server.failures - 1))
        server.rest_until = time.monotonic() + rest
