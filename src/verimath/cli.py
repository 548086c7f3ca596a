"""The ``verimath`` command (typer + rich).

The only module that prints. Each command turns its arguments into library calls; a ``VerimathError`` becomes
a one-line message on stderr and its exit code (0 ok, 1 failure of the work, 2 bad usage or input). No traceback
reaches a user.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from verimath import __version__
from verimath.errors import VerimathError

app = typer.Typer(
    name="verimath",
    help="Verified, tool-integrated mathematical reasoning with LLMs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        console.print(f"verimath {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """Verified, tool-integrated mathematical reasoning with LLMs."""


def main() -> None:
    """Entry point: run the typer app (which reports usage errors itself), turning library errors into
    one-line messages with their exit codes."""
    try:
        app()
    except VerimathError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
