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
err_console = Console(stderr=True, soft_wrap=True)  # one-line errors stay one line


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


@app.command("exec")
def exec_(
    file: str = typer.Argument(..., help="Python file to run, or - for standard input."),
    timeout: float = typer.Option(10.0, "--timeout", help="Wall-clock limit in seconds."),
    memory: int = typer.Option(1024, "--memory", help="Memory limit in MiB."),
    as_json: bool | None = typer.Option(None, "--json/--no-json",
                                        help="Print the ExecResult as JSON (default when stdout is not a terminal)."),
) -> None:
    """Run untrusted Python in the sandbox and print its result."""
    import json
    import warnings
    from pathlib import Path

    from verimath.errors import InputError
    from verimath.sandbox import Limits, Sandbox

    if file == "-":
        code = sys.stdin.read()
    else:
        try:
            code = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read: {exc.strerror if isinstance(exc, OSError) else exc}", file=file) from exc
    limits = Limits(timeout_s=timeout, memory_mb=memory)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sandbox = Sandbox(limits=limits, cells=1)
    for w in caught:  # e.g. isolation weaker than full: one line, not Python's two
        err_console.print(f"[yellow]warning:[/] {w.message}", highlight=False)
    with sandbox:
        result = sandbox.run(code)
    if as_json if as_json is not None else not sys.stdout.isatty():
        print(json.dumps(result.to_dict()))
    else:
        sys.stdout.write(result.stdout)
        sys.stderr.write(result.stderr)
        if result.error is not None:
            err_console.print(f"[bold red]{result.status}:[/] {result.error.type}: {result.error.message}",
                              highlight=False)
    raise typer.Exit(0 if result.ok else 1)
