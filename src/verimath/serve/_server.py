"""``run(config)``: serve the app with uvicorn until SIGINT/SIGTERM, then shut down gracefully (stop
accepting, let in-flight requests finish for up to ``shutdown_grace_s``, then end the workers and cells;
exit status 0).

Owns the listening socket, the uvicorn settings and the access-log handler. Imports uvicorn, its own package
and ``verimath.errors``.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys

from verimath.errors import InputError, VerimathError
from verimath.serve._config import ServeConfig


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket listening on ``host:port``, bound here so that a busy port or an unknown host is one line
    before any worker starts (uvicorn would start them, then log the failure and exit 3)."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror as exc:
        raise InputError(f"cannot resolve {host!r}: {exc.strerror}", field="host") from None
    try:
        return socket.create_server((host, port), family=family, backlog=2048)
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)  # its strerror repeats the address
        raise VerimathError(f"cannot listen on {host}:{port}: {reason}") from None


def run(config: ServeConfig) -> None:
    import uvicorn

    from verimath.serve._app import access_log, create_app

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    access_log.addHandler(handler)
    access_log.setLevel(logging.INFO)
    access_log.propagate = False
    listener = listening_socket(config.host, config.port)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config),
            host=config.host,
            port=config.port,
            access_log=False,
            log_level="warning",
            timeout_graceful_shutdown=int(config.shutdown_grace_s),
            lifespan="on",
            limit_concurrency=None,
            backlog=2048,
        )
    )
    url_host = f"[{config.host}]" if ":" in config.host else config.host  # IPv6 in brackets, as URLs write it
    print(
        f"verimath serve: http://{url_host}:{listener.getsockname()[1]} ({config.workers} workers)",
        file=sys.stderr,
        flush=True,
    )
    # uvicorn re-raises the signal it caught once it has shut down; a SIGTERM that ended in a graceful
    # shutdown is a clean exit.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server.run(sockets=[listener])
