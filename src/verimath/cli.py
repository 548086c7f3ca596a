"""The ``verimath`` command (typer + rich).

The only module that prints. Each command turns its arguments into library calls; a ``VerimathError`` becomes
a one-line message on stderr and its exit code (0 ok, 1 failure of the work, 2 bad usage or input). No traceback
reaches a user.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from verimath import __version__
from verimath.errors import InputError, SandboxUnavailable, VerimathError

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


def _progress() -> Progress:
    return Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                    TextColumn("{task.completed:,} rows"), TimeElapsedColumn(), console=err_console,
                    transient=True)


@app.command("grade")
def grade_command(
    input_path: Path = typer.Argument(..., metavar="INPUT.jsonl", help="JSONL with a prediction and a gold per row."),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write graded rows here ('-' for stdout)."),
    prediction_field: str = typer.Option("prediction", help="Field holding the model response."),
    gold_field: str = typer.Option("gold", help="Field holding the reference answer."),
    label_field: str | None = typer.Option(None, help="Field with a published verdict to measure agreement."),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, help="Worker processes."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Grade a JSONL file of model outputs: every row written back in order with correct/extracted/reason."""
    from verimath.batch import grade_jsonl

    def report_skip(line) -> None:
        err_console.print(f"[yellow]skipped[/] {line.reason}", highlight=False)

    sink = sys.stdout if output == Path("-") else None
    with _progress() as progress:
        task = progress.add_task("grading", total=None)
        try:
            handle = sink or (output.open("w", encoding="utf-8") if output else None)
        except OSError as exc:
            raise InputError(f"cannot write: {exc.strerror}", file=str(output)) from exc
        try:
            summary = grade_jsonl(input_path, handle, prediction_field=prediction_field, gold_field=gold_field,
                                  label_field=label_field, jobs=jobs, on_progress=lambda done, _: progress.update(task, completed=done),
                                  on_skip=report_skip)
        finally:
            if handle is not None and handle is not sys.stdout:
                handle.close()
    out = err_console if sink else console  # graded rows on stdout keep it pure JSONL
    if as_json:
        out.print_json(json.dumps(summary.to_dict()))
    else:
        agreement = "" if summary.agreement is None else f", agreement with {label_field} {summary.agreement:.2%}"
        out.print(f"{summary.rows:,} rows graded, accuracy {summary.accuracy:.2%}{agreement}, "
                  f"{summary.rows_per_second:,.0f} rows/s, {summary.skipped} skipped", highlight=False)


# The main job until a built-in model lands: grade real model outputs against their published human verdicts.
_DEMO_SETS = (
    ("GSM8K model solutions (published verdicts)",
     Path("../shared/data/gsm8k_model_answer_grading.jsonl"), "model_solution", "gold_answer"),
    ("verimath's own examples (answer types)",
     Path(__file__).parent / "data" / "example_outputs.jsonl", "prediction", "gold"),
)


@app.command("demo")
def demo_command(
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON."),
) -> None:
    """The main job on the embedded default: grade real model outputs and compare with published verdicts."""
    from rich.table import Table

    from verimath.batch import grade_jsonl

    table = Table(title="verimath demo: grading model outputs against published verdicts")
    for column in ("data", "rows", "graded correct", "agreement with labels", "rows/s"):
        table.add_column(column, justify="left" if column == "data" else "right")
    results = {}
    for name, path, prediction_field, gold_field in _DEMO_SETS:
        if not path.is_file():
            err_console.print(f"[dim]{name}: {path} not found, skipped[/]")
            continue
        with _progress() as progress:
            task = progress.add_task(name, total=None)
            summary = grade_jsonl(path, prediction_field=prediction_field, gold_field=gold_field,
                                  label_field="is_correct",
                                  on_progress=lambda done, _, t=task: progress.update(t, completed=done))
        results[name] = summary.to_dict()
        table.add_row(name, f"{summary.rows:,}", f"{summary.accuracy:.1%}", f"{summary.agreement or 0:.2%}",
                      f"{summary.rows_per_second:,.0f}")
    if as_json:
        console.print_json(json.dumps(results))
    else:
        console.print(table)


@app.command("solve")
def solve_command(
    question: str = typer.Argument(..., help="The problem, as text (LaTeX welcome); '-' reads it from stdin."),
    model: str = typer.Option(..., "--model", "-m", help="PREFIX:NAME: openai:NAME, hf:PATH, vllm:PATH."),
    base_url: str | None = typer.Option(None, "--base-url", help="OpenAI-compatible server (openai: only)."),
    api_key_env: str | None = typer.Option(None, help="Environment variable holding the API key (openai: only; "
                                                      "default OPENAI_API_KEY)."),
    strategy: str = typer.Option("tir", "--strategy", "-s", help="cot, pal, tir, self_verify or decompose."),
    n: int = typer.Option(1, "-n", min=1, help="Attempts; their answers are voted on."),
    temperature: float | None = typer.Option(None, help="Sampling temperature (default 0, or 0.7 when n > 1)."),
    max_tokens: int | None = typer.Option(None, help="Most new tokens per model call."),
    max_rounds: int | None = typer.Option(None, help="Model calls per phase (tir, self_verify)."),
    seed: int | None = typer.Option(None, help="Sampling seed (attempt k uses seed + k)."),
    mode: str | None = typer.Option(None, help="chat, or completion for base models."),
    prompts: Path | None = typer.Option(None, help="TOML file overriding the strategy's prompts."),
    cell_timeout: float = typer.Option(10.0, "--cell-timeout", help="Seconds each code cell may run."),
    time_limit: float | None = typer.Option(None, "--time-limit", help="Seconds one attempt may take."),
    as_json: bool = typer.Option(False, "--json", help="Print answer, attempts and trace as JSON."),
) -> None:
    """Solve one question with a model, a strategy and the sandbox; print the trace and the answer."""
    import asyncio

    from verimath.models import load_model
    from verimath.strategies import get_strategy, solve

    if temperature is None and n > 1:
        temperature = 0.7
    chosen = get_strategy(strategy, temperature=temperature, max_tokens=max_tokens, max_rounds=max_rounds,
                          seed=seed, mode=mode, prompts=prompts, time_limit_s=time_limit)
    if question == "-":
        question = sys.stdin.read()
    if not question.strip():
        raise InputError("the question is empty", field="question")
    llm = load_model(model, base_url=base_url, api_key_env=api_key_env)
    executor = _sandbox(cell_timeout)

    async def run() -> Any:
        try:
            return await solve(question, llm, executor, chosen, n=n)
        finally:
            await llm.aclose()

    try:
        with err_console.status(f"solving with {strategy} on {model} ({n} attempt{'s' * (n > 1)})"):
            solution = asyncio.run(run())
    finally:
        executor.close()
    if as_json:
        console.print_json(json.dumps(solution.to_dict(), ensure_ascii=False))
    else:
        _print_solution(solution)
    if solution.answer is None:
        raise typer.Exit(1)


def _sandbox(timeout_s: float) -> Any:
    try:
        from verimath.sandbox import Limits, Sandbox
    except ImportError as exc:
        raise SandboxUnavailable(f"the sandbox is not available: {exc}") from exc
    return Sandbox(limits=Limits(timeout_s=timeout_s))


def _print_solution(solution: Any) -> None:
    from rich.panel import Panel
    from rich.rule import Rule
    from rich.syntax import Syntax
    from rich.text import Text

    from verimath.strategies import CodeStep

    best = solution.best
    for step in best.trace:
        if isinstance(step, CodeStep):
            ok = step.status == "ok"
            took = f"{step.result.get('duration_ms', step.duration_s * 1000):.0f} ms"
            console.print(Panel(Syntax(step.code, "python", theme="ansi_dark"), title=f"cell · {step.label}",
                                subtitle=f"{step.status} · {took}", title_align="left", border_style="cyan"))
            console.print(Panel(Text(step.feedback), title="output", title_align="left",
                                border_style="green" if ok else "red"))
            continue
        title = f"{step.role} · {step.label}" if step.label else step.role
        if step.usage is not None:
            title += f" · {step.duration_s:.2f} s · {step.usage.completion_tokens} tokens"
        style = {"system": "dim", "user": "blue", "assistant": "white"}.get(step.role, "white")
        console.print(Panel(Text(step.content), title=title, title_align="left", border_style=style))
    console.print(Rule())
    if len(solution.attempts) > 1:
        votes = ", ".join(f"{a} ({w:g})" for a, w in solution.votes) or "none"
        console.print(f"votes over {len(solution.attempts)} attempts: {votes}", highlight=False)
    if best.verification is not None:
        console.print(f"self-verification: {best.verification}")
    if solution.answer is None:
        console.print(Text(f"no answer: {best.error}", style="bold red"))
    else:
        console.print(Text.assemble(("answer: ", "bold"), (solution.answer, "bold green")))
    used = sum(a.usage.total_tokens for a in solution.attempts)
    console.print(f"[dim]{best.strategy} · {sum(a.model_calls for a in solution.attempts)} model calls · "
                  f"{sum(a.code_calls for a in solution.attempts)} cells · {used} tokens · "
                  f"{max(a.wall_s for a in solution.attempts):.2f} s[/]")


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
