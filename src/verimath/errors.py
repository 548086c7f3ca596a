"""Errors raised by verimath's library code.

Owns the exception hierarchy. Library code raises these; only ``verimath.cli`` turns them into one-line
messages and exit codes (0 ok, 1 failure of the work, 2 bad usage or input). Imports nothing from verimath.
``import_extra`` is how every package imports an optional dependency, so a missing one is a ``MissingExtra``.
"""

from __future__ import annotations

import importlib
from types import ModuleType


class VerimathError(Exception):
    """Base class of every error verimath raises on purpose."""

    exit_code: int = 1


class InputError(VerimathError):
    """Bad input from a user: a file, a line in it, or a field. The message names where."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        self.file, self.line, self.field = file, line, field
        where = ":".join(str(p) for p in (file, line) if p is not None)
        if field is not None:
            where = f"{where} field {field!r}" if where else f"field {field!r}"
        super().__init__(f"{where}: {message}" if where else message)


class SandboxUnavailable(VerimathError):
    """The sandbox cannot start on this machine (a missing tool, a refused namespace)."""


class ModelError(VerimathError):
    """A language-model backend failed after its retries."""


class ModelUnavailable(ModelError):
    """The model could not be asked at all: the connection failed, the server answered with an HTTP error
    status (after retries where retrying helps), or it does not serve the model named. Not the model's
    fault, so an evaluation stores it as an error to retry, never as a wrong answer."""


class ClusterUnavailable(VerimathError):
    """The Ray cluster cannot be reached, or was lost mid-run (what finished is stored; rerunning resumes)."""


class BudgetExceeded(VerimathError):
    """A bounded computation ran out of its time or size budget."""


class MissingExtra(VerimathError):
    """An optional dependency is not installed. The message names the extra that brings it."""

    exit_code = 2

    def __init__(self, needed_by: str, module: str, extra: str) -> None:
        self.needed_by, self.module, self.extra = needed_by, module, extra
        super().__init__(f"{needed_by} needs {module}, which is not installed: "
                         f"pip install 'verimath[{extra}]'")


def import_extra(module: str, extra: str, needed_by: str) -> ModuleType:
    """``module`` imported, or ``MissingExtra`` naming ``extra`` when it (or something it needs) is not
    installed.

    Only a module that cannot be found becomes ``MissingExtra``; an installed module failing for another
    reason keeps its own error."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        raise MissingExtra(needed_by, exc.name or module, extra) from None
