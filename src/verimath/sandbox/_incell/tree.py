"""Job and session directories, walked without recursion: measuring them and removing them.

A job shapes its directory as it likes (3,000 levels deep, a million files, names longer than ``PATH_MAX``
taken together, subdirectories it made unreadable). Both walks hold one directory descriptor at a time and
step down by name and up by ``..``, so depth costs neither stack nor descriptors, and every step is counted,
so a walk ends in bounded time whatever it finds. Imports only the standard library.
"""

from __future__ import annotations

import contextlib
import os
import stat

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _open_dir(name: str, parent: int | None) -> int:
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=parent)
    except PermissionError:
        # The job may have taken its own permissions away (when the zygote has no CAP_DAC_OVERRIDE).
        os.chmod(name, 0o700, dir_fd=parent, follow_symlinks=False)
        return os.open(name, _DIR_FLAGS, dir_fd=parent)


def _clear_files(fd: int) -> str | None:
    """Unlink the entries of ``fd`` that are not directories; return the first subdirectory's name."""
    with os.scandir(fd) as entries:
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    return entry.name
                os.unlink(entry.name, dir_fd=fd)
            except FileNotFoundError:
                continue
    return None


def remove(path: str, *, max_steps: int = 10_000_000) -> bool:
    """Remove the directory ``path`` and everything below it; whether it is gone."""
    try:
        os.rmdir(path)  # one syscall when the job left it empty, as most do
        return True
    except FileNotFoundError:
        return True
    except OSError:
        pass
    try:
        fd = _open_dir(path, None)
    except OSError:
        return False
    names: list[str] = []
    steps = 0
    try:
        while steps < max_steps:
            steps += 1
            try:
                sub = _clear_files(fd)
            except OSError:
                sub = None
            if sub is not None:
                try:
                    child = _open_dir(sub, fd)
                except OSError:
                    break
                os.close(fd)
                fd = child
                names.append(sub)
                continue
            if not names:
                break
            parent = os.open("..", _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = parent
            os.rmdir(names.pop(), dir_fd=fd)  # emptied just now: failing here means it cannot be removed
    except OSError:
        pass
    finally:
        os.close(fd)
    with contextlib.suppress(OSError):
        os.rmdir(path)
    return not os.path.lexists(path)


def usage(path: str, *, max_files: int) -> tuple[int, int]:
    """Bytes (allocated) and entries below ``path``; counting stops a little past ``max_files``."""
    seen = [0, 0]
    try:
        fd = _open_dir(path, None)
    except OSError:
        return 0, 0
    # Directories are walked depth first; ``pending`` holds, per level, the subdirectories not yet entered.
    pending: list[list[str]] = [_subdirs(fd, seen)]
    try:
        while pending and seen[1] <= max_files:
            if pending[-1]:
                name = pending[-1].pop()
                try:
                    child = _open_dir(name, fd)
                except OSError:
                    continue
                os.close(fd)
                fd = child
                pending.append(_subdirs(fd, seen))
                continue
            pending.pop()
            if pending:
                parent = os.open("..", _DIR_FLAGS, dir_fd=fd)
                os.close(fd)
                fd = parent
    except OSError:
        pass
    finally:
        os.close(fd)
    return seen[0], seen[1]


def _subdirs(fd: int, seen: list[int]) -> list[str]:
    """Count every entry of ``fd`` in ``seen``; return the names of its subdirectories."""
    subdirs = []
    with os.scandir(fd) as entries:
        for entry in entries:
            with contextlib.suppress(OSError):
                info = entry.stat(follow_symlinks=False)
                seen[0] += info.st_blocks * 512
                seen[1] += 1
                if stat.S_ISDIR(info.st_mode):
                    subdirs.append(entry.name)
    return subdirs
