"""The wire: how messages cross process boundaries, and how anything that crosses is parsed — bounded.

Two framings: a 4-byte length + JSON on stream sockets (supervisor <-> zygote <-> session holders), and one
JSON record per datagram on the forker's SEQPACKET socket. Both may carry descriptors. Every parse checks the
size first and the nesting depth before ``json.loads`` ever recurses, so a message that a job shaped (a result
a million levels deep, a gigabyte long) is a ``ValueError`` for the reader, never a ``RecursionError`` or an
exhausted heap. Imports only the standard library.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import struct
from typing import Any

HEADER = struct.Struct("!I")
#: Deepest nesting any message of ours has (a reply: object -> error object -> string), with room to spare.
MAX_DEPTH = 8
#: Default cap on one framed message (the supervisor's requests carry the code).
MAX_MESSAGE = 64 << 20
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")
_INNERMOST = re.compile(rb"\[\]|\{\}")


def loads(data: bytes, *, max_bytes: int = MAX_MESSAGE, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` for data from a less trusted process: ``ValueError`` if longer than ``max_bytes`` or
    nested deeper than ``max_depth``. The depth is found without recursion: strings dropped, then the
    innermost bracket pairs peeled off ``max_depth`` times (each a pass of one regular expression)."""
    if len(data) > max_bytes:
        raise ValueError(f"message of {len(data)} bytes exceeds {max_bytes}")
    brackets = _NOT_BRACKET.sub(b"", _STRING.sub(b"", data))
    for _ in range(max_depth):
        if not brackets:
            break
        brackets = _INNERMOST.sub(b"", brackets)
    if brackets:
        raise ValueError(f"message nested deeper than {max_depth} levels (or unbalanced)")
    return json.loads(data)


def send_msg(sock: socket.socket, obj: Any, fds: list[int] | None = None) -> None:
    """Send one framed message (a socket timeout, where set, bounds the whole send)."""
    data = json.dumps(obj).encode()
    payload = HEADER.pack(len(data)) + data
    if fds:
        sent = socket.send_fds(sock, [payload[:65536]], fds)
        sock.sendall(payload[sent:])
    else:
        sock.sendall(payload)


def recv_msg(sock: socket.socket, maxfds: int = 0, *, max_bytes: int = MAX_MESSAGE) -> tuple[Any, list[int]]:
    """Receive one framed message: ``EOFError`` at end of stream, ``ValueError`` for one that is too long, too
    deep or not JSON (descriptors that came with a rejected message are closed)."""
    if maxfds:
        buf, fds, _, _ = socket.recv_fds(sock, 65536, maxfds)
    else:
        buf, fds = sock.recv(65536), []
    try:
        if not buf:
            raise EOFError
        while len(buf) < HEADER.size:
            buf += _more(sock, HEADER.size - len(buf))
        (n,) = HEADER.unpack_from(buf)
        if n > max_bytes:
            raise ValueError(f"message of {n} bytes exceeds {max_bytes}")
        chunks = [buf]
        have = len(buf)
        while have < HEADER.size + n:
            chunk = _more(sock, min(1 << 20, HEADER.size + n - have))
            chunks.append(chunk)
            have += len(chunk)
        data = b"".join(chunks)[HEADER.size : HEADER.size + n]
        return loads(data, max_bytes=max_bytes), list(fds)
    except BaseException:
        for fd in fds:
            _close(fd)
        raise


def _more(sock: socket.socket, n: int) -> bytes:
    chunk = sock.recv(n)
    if not chunk:
        raise EOFError
    return chunk


def _close(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)


def send_record(sock: socket.socket, obj: Any, fds: list[int] | None = None) -> None:
    """One JSON record as one datagram of a SEQPACKET socket (the forker's)."""
    socket.send_fds(sock, [json.dumps(obj).encode()], fds or [])


def recv_record(sock: socket.socket, maxfds: int = 4) -> tuple[Any, list[int]]:
    data, fds, _, _ = socket.recv_fds(sock, 65536, maxfds)
    if not data:
        raise EOFError
    return loads(data, max_bytes=65536), list(fds)
