"""``run(config)``: serve the app with uvicorn until SIGINT/SIGTERM, then shut down gracefully (stop
accepting, let in-flight requests finish for up to ``shutdown_grace_s``, then end the workers and cells;
exit status 0).

Owns the uvicorn settings and the access-log handler. Imports uvicorn and its own package.
"""

from __future__ import annotations

import logging
import signal
import sys

from verimath.serve._config import ServeConfig


def run(config: ServeConfig) -> None:
    import uvicorn

    from verimath.serve._app import access_log, create_app

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    access_log.addHandler(handler)
    access_log.setLevel(logging.INFO)
    access_log.propagate = False
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
    print(
        f"verimath serve: http://{config.host}:{server.config.port} ({config.workers} workers)",
        file=sys.stderr,
        flush=True,
    )
    # uvicorn re-raises the signal it caught once it has shut down; a SIGTERM that ended in a graceful
    # shutdown is a clean exit.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server.run()
