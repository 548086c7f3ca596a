"""The grading worker process: receives chunks of items, grades each with ``verimath.answers.grade`` and
sends the verdicts back in their ``to_dict`` form.

Once up it writes 0, and before each item the item's index, into a shared 8-byte page, so the parent can
tell which item a stuck worker holds without a message per item. Imports only ``verimath.answers``.
"""

from __future__ import annotations

import mmap
import socket
import struct
from multiprocessing.connection import Connection

from verimath.answers import grade

PROGRESS = struct.Struct("<q")
STARTING = -1
"""The progress value of a worker from its spawn until it is up (its imports done)."""


def main(sock_fd: int, progress_fd: int) -> None:
    """Serve chunks until the parent closes its end (EOF), then return."""
    sock = socket.socket(fileno=sock_fd)
    conn = Connection(sock.detach())
    progress = mmap.mmap(progress_fd, PROGRESS.size)
    PROGRESS.pack_into(progress, 0, 0)  # up: the first item's clock may start
    while True:
        try:
            chunk = conn.recv()
        except (EOFError, OSError):
            return
        verdicts = []
        for index, (response, gold, extract_answer, budget) in enumerate(chunk):
            PROGRESS.pack_into(progress, 0, index)
            verdicts.append(grade(response, gold, budget=budget, extract_answer=extract_answer).to_dict())
        conn.send(verdicts)
