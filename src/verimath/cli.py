"""The ``verimath`` command (typer + rich).

The only module that prints. Each command turns its arguments into library calls; a ``VerimathError`` becomes
a one-line message on stderr and its exit code (0 ok, 1 failure of the work, 2 bad usage or input). No
traceback reaches a user.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from verimath._version import __version__
from verimath.errors import InputError, VerimathError, import_extra

app = typer.Typer(
    name="verimath",
    help="Verified, tool-integrated mathematical reasoning with LLMs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True, soft_wrap=True)  # one-line errors stay one line
_RAY_ADDRESS_HELP = ("Ray cluster (HOST:PORT, or ray://HOST:PORT for Ray Client) for --executor ray; "
                     "default: a local Ray on 127.0.0.1 for it.")


def _version(value: bool) -> None:
    if value:
        console.print(f"verimath {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version."),
) -> None:
    """Verified, tool-integrated mathematical reasoning with LLMs."""


def _progress() -> Progress:
    return Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                    TextColumn("{task.completed:,} rows"), TimeElapsedColumn(), console=err_console,
                    transient=True)


@app.command("grade")
def grade_command(
    input_path: Path = typer.Argument(..., metavar="INPUT.jsonl",
                                      help="JSONL with a prediction and a gold per row."),
    output: Path | None = typer.Option(None, "-o", "--output",
                                       help="Write graded rows here ('-' for stdout)."),
    prediction_field: str = typer.Option("prediction", help="Field holding the model response."),
    gold_field: str = typer.Option("gold", help="Field holding the reference answer."),
    label_field: str | None = typer.Option(None, help="Field with a published verdict to measure agreement."),
    extracted: bool = typer.Option(
        False, "--extracted", help="The prediction field already holds the final answer: grade it whole."),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, help="Worker processes (local executor)."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    executor: str = typer.Option("local", "--executor", help="Where rows are graded: local (--jobs worker "
                                 "processes) or ray (Ray tasks; needs the ray extra)."),
    ray_address: str | None = typer.Option(None, "--ray-address", help=_RAY_ADDRESS_HELP),
) -> None:
    """Grade a JSONL file of model outputs: every line written back in order with correct/extracted/reason
    (a line that cannot be graded gets correct: null and an error)."""
    from verimath.batch import RowError, grade_jsonl

    def report_error(line: RowError) -> None:
        err_console.print(f"[yellow]not graded[/] {line.reason}", highlight=False)

    def open_output() -> Any:  # called once the fields are checked: a bad command creates no file
        try:
            return output.open("w", encoding="utf-8")  # type: ignore[union-attr]
        except OSError as exc:
            raise InputError(f"cannot write: {exc.strerror}", file=str(output)) from exc

    to_stdout = output == Path("-")
    if output is not None and not to_stdout and output.exists() and input_path.exists() \
            and output.samefile(input_path):  # opening it for writing would empty it before it is read
        raise InputError(f"{str(output)!r} is the input file; write the graded rows elsewhere",
                         field="--output")
    if output is not None and not to_stdout and not output.parent.is_dir():  # before a Ray cluster starts
        raise InputError(f"cannot write: no folder {str(output.parent)!r}", file=str(output))
    with contextlib.ExitStack() as stack:
        pool = None
        if _uses_ray(executor, ray_address):
            from verimath.distributed import RayPool

            pool = stack.enter_context(RayPool(ray_address))
            jobs = pool.workers  # the cluster's CPUs, not --jobs, say how many rows are graded at once
        progress = stack.enter_context(_progress())
        task = progress.add_task("grading", total=None)
        sink = None if output is None else sys.stdout if to_stdout else open_output
        summary = grade_jsonl(input_path, sink, prediction_field=prediction_field, gold_field=gold_field,
                              label_field=label_field, extracted=extracted, jobs=jobs, on_error=report_error,
                              on_progress=lambda done, _: progress.update(task, completed=done), pool=pool)
    out = err_console if to_stdout else console  # graded rows on stdout keep it pure JSONL
    if as_json:
        out.print_json(json.dumps(summary.to_dict()))
    else:
        agreement = ("" if summary.agreement is None
                     else f", agreement with {label_field} {summary.agreement:.2%}")
        out.print(f"{summary.rows:,} rows graded, accuracy {summary.accuracy:.2%}{agreement}, "
                  f"{summary.rows_per_second:,.0f} rows/s, {summary.errors} not graded", highlight=False)


@app.command("tiny-demo")
def tiny_demo_command(
    out: Path = typer.Option(Path("runs/tiny-demo"), "--out",
                             help="Folder for the held-out set, runs, reports."),
    n: int = typer.Option(120, "-n", min=3, help="Held-out problems (a third per range factor 1, 10, 100)."),
    model: str = typer.Option("builtin:tiny", "--model", help="Model spec (builtin:tiny or builtin:PATH)."),
    seed: int | None = typer.Option(None, "--seed", help="Held-out seed (default: far from training seeds)."),
    as_json: bool = typer.Option(False, "--json", help="Print the comparison as JSON."),
) -> None:
    """The main job: the built-in tiny model with tools (pal) and without (direct) on a fresh held-out set
    with numbers longer than in training, compared by operand length; writes an HTML report per strategy."""
    from rich.table import Table

    from verimath.models.tiny import network
    from verimath.tinylab import HELD_OUT_SEED, run_demo

    network()  # a missing torch or safetensors is one line naming the extra, before any file or progress
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True) as bar:
        tasks: dict[str, Any] = {}

        def show(strategy: str, p: Any) -> None:
            if strategy not in tasks:
                tasks[strategy] = bar.add_task(f"{model} {strategy}", total=None)
            bar.update(tasks[strategy], completed=p.done, total=p.total or None)

        result = run_demo(out, n=n, model=model, seed=HELD_OUT_SEED if seed is None else seed,
                          on_progress=show)
    if as_json:
        console.print_json(json.dumps(result.to_dict()))
        return
    total = sum(row.problems for row in result.by_length)
    table = Table(title=f"{model} on {total} held-out problems (new seeds; template ranges x1, x10, x100)")
    table.add_column("largest number in the question", justify="left")
    table.add_column("problems", justify="right")
    for run in result.runs:
        table.add_column(f"{run.strategy} accuracy", justify="right")
    groups = [(f"{row.value} digits", row) for row in result.by_length]
    groups += [(f"range x{row.value}", row) for row in result.by_range]
    for i, (label, row) in enumerate(groups):
        table.add_row(label, str(row.problems),
                      *(f"{row.correct[r.strategy] / row.problems:.1%}" for r in result.runs),
                      end_section=i + 1 == len(result.by_length))
    table.add_row("all", str(total),
                  *(f"{r.accuracy:.1%}" for r in result.runs), style="bold")
    console.print(table)
    for run in result.runs:
        console.print(f"{run.strategy}: {run.problems} problems in {run.wall_s:.1f} s "
                      f"({run.problems / run.wall_s:.1f}/s); report {run.html}", highlight=False)
    console.print(f"held-out set {result.dataset}; total {result.wall_s:.1f} s", highlight=False)


@app.command("train-tiny")
def train_tiny_command(
    out: Path = typer.Option(..., "--out", help="Folder to write tiny.safetensors and tiny.json into."),
    steps: int = typer.Option(1500, "--steps", min=1, help="Optimizer steps."),
    seed: int = typer.Option(0, "--seed", help="Seed of the data, the initialisation and the batch order."),
    batch: int = typer.Option(32, "--batch", min=1, help="Instances per step (each trained in both modes)."),
    per_template: int = typer.Option(400, "--per-template", min=1, help="Training instances per template."),
    direct_format: str = typer.Option("reversed", "--direct-format",
                                      help="Digits of direct answers: reversed (least significant first) "
                                           "or plain."),
    threads: int = typer.Option(1, "--threads", min=1, help="CPU threads for torch."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Train the built-in tiny model from scratch on CPU from the built-in templates (deterministic for a
    seed)."""
    from verimath.models.tiny import network
    from verimath.tinylab import TrainConfig, train

    config = TrainConfig(steps=steps, seed=seed, batch=batch, per_template=per_template,
                         direct_format=direct_format, threads=threads)  # type: ignore[arg-type]
    network()  # a missing torch or safetensors is one line naming the extra, before any progress is shown
    columns = (TextColumn("train-tiny"), BarColumn(), MofNCompleteColumn(),
               TextColumn("loss {task.fields[loss]}"), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err_console, transient=as_json) as bar:
        task = bar.add_task("train", total=steps, loss="—")
        result = train(config, out / "tiny.safetensors",
                       lambda p: bar.update(task, completed=p.step, loss=f"{p.loss:.4f}"), progress_every=10)
    summary = {"weights": str(result.path), "parameters": result.parameters, "examples": result.examples,
               "final_loss": round(result.final_loss, 5), "wall_s": round(result.wall_s, 1)}
    if as_json:
        console.print_json(json.dumps(summary))
    else:
        console.print(f"{result.parameters:,} parameters trained on {result.examples:,} instances in "
                      f"{result.wall_s / 60:.1f} min (final loss {result.final_loss:.4f}) -> {result.path}",
                      highlight=False)


@app.command("solve")
def solve_command(
    question: str = typer.Argument(...,
                                   help="The problem, as text (LaTeX welcome); '-' reads it from stdin."),
    model: str = typer.Option(..., "--model", "-m",
                              help="PREFIX:NAME: openai:NAME, hf:PATH, vllm:PATH, builtin:tiny."),
    base_url: str | None = typer.Option(None, "--base-url", help="OpenAI-compatible server (openai: only)."),
    api_key_env: str | None = typer.Option(None, help="Environment variable holding the API key "
                                                      "(openai: only; default OPENAI_API_KEY)."),
    strategy: str = typer.Option("tir", "--strategy", "-s",
                                 help="cot, direct, pal, tir, self_verify or decompose."),
    n: int = typer.Option(1, "-n", min=1, help="Attempts; their answers are voted on."),
    temperature: float | None = typer.Option(None,
                                             help="Sampling temperature (default 0, or 0.7 when n > 1)."),
    max_tokens: int | None = typer.Option(None, help="Most new tokens per model call."),
    max_rounds: int | None = typer.Option(None, help="Model calls per phase (tir, self_verify)."),
    seed: int | None = typer.Option(None, help="Sampling seed (attempt k uses seed + k)."),
    mode: str | None = typer.Option(None, help="chat, or completion for base models."),
    num_fewshot: int | None = typer.Option(None, "--num-fewshot",
                                           help="Few-shot examples shown (default: the prompt file's)."),
    prompts: Path | None = typer.Option(None, help="TOML file overriding the strategy's prompts."),
    cell_timeout: float = typer.Option(10.0, "--cell-timeout", help="Seconds each code cell may run."),
    time_limit: float | None = typer.Option(None, "--time-limit", help="Seconds one attempt may take."),
    as_json: bool = typer.Option(False, "--json", help="Print answer, attempts and trace as JSON."),
) -> None:
    """Solve one question with a model, a strategy and the sandbox; print the trace and the answer."""
    import asyncio

    from verimath.models import load_model
    from verimath.sandbox import Limits, Sandbox
    from verimath.strategies import SAMPLING_TEMPERATURE, get_strategy, solve

    if temperature is None and n > 1:
        temperature = SAMPLING_TEMPERATURE
    chosen = get_strategy(strategy, temperature=temperature, max_tokens=max_tokens, max_rounds=max_rounds,
                          seed=seed, mode=mode, prompts=prompts, time_limit_s=time_limit,
                          num_fewshot=num_fewshot)
    if question == "-":
        question = sys.stdin.read()
    if not question.strip():
        raise InputError("the question is empty", field="question")
    llm = load_model(model, base_url=base_url, api_key_env=api_key_env)
    executor = Sandbox(limits=Limits(timeout_s=cell_timeout), cells=min(n, os.cpu_count() or 1)) \
        if chosen.uses_code else None

    async def run() -> Any:
        try:
            return await solve(question, llm, executor, chosen, n=n)
        finally:
            await llm.aclose()

    try:
        with err_console.status(f"solving with {strategy} on {model} ({n} attempt{'s' * (n > 1)})"):
            solution = asyncio.run(run())
    finally:
        if executor is not None:
            executor.close()
    if as_json:
        console.print_json(json.dumps(solution.to_dict(), ensure_ascii=False))
    else:
        _print_solution(solution)
    if solution.answer is None:
        raise typer.Exit(1)


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
            took = f"{step.result.duration_ms:.0f} ms"
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
    except VerimathError as exc:  # the message is plain text: no markup, no :emoji: codes (openai:m:)
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, emoji=False)
        sys.exit(exc.exit_code)
    except OSError as exc:  # a file system failure (unwritable --out, disk full) is the user's to fix
        where = f"{exc.filename}: " if exc.filename else ""
        err_console.print(f"[bold red]error:[/] {escape(f'{where}{exc.strerror or exc}')}", highlight=False)
        sys.exit(1)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)


def _uses_ray(executor: str, ray_address: str | None) -> bool:
    """The ``--executor`` choice of ``eval`` and ``grade``: True for ray, False for local."""
    if executor not in ("local", "ray"):
        raise InputError(f"must be local or ray, got {executor!r}", field="--executor")
    if executor == "local" and ray_address is not None:
        raise InputError("--ray-address needs --executor ray", field="--ray-address")
    if ray_address is not None and not ray_address.strip():
        raise InputError("is empty; leave it out for a local Ray", field="--ray-address")
    return executor == "ray"


@app.command("eval")
def eval_command(
    dataset: str = typer.Option(..., "--dataset",
                                help="JSONL/CSV/Parquet file, or a Hugging Face dataset name."),
    model: str = typer.Option(..., "--model", help="Model spec, e.g. openai:NAME or builtin:tiny."),
    run_dir: Path = typer.Option(..., "--run-dir", help="Where the run is stored; rerun to resume."),
    strategy: str = typer.Option("tir", "--strategy", help="Reasoning strategy (cot, pal, tir, ...)."),
    n: int = typer.Option(1, "-n", min=1, help="Samples per problem (a larger n extends a run)."),
    base_url: str | None = typer.Option(None, "--base-url", help="OpenAI-compatible server URL; several "
                                        "serving one model as URL1,URL2,... or @FILE (one URL a line)."),
    api_key_env: str | None = typer.Option(None, "--api-key-env", help="Environment variable holding the "
                                           "API key (openai: only; default OPENAI_API_KEY)."),
    concurrency: int = typer.Option(8, "--concurrency", min=1, help="Attempts in flight at once."),
    executor: str = typer.Option("local", "--executor", help="Where attempts run: local (this process) or "
                                 "ray (Ray workers; needs the ray extra)."),
    ray_address: str | None = typer.Option(None, "--ray-address", help=_RAY_ADDRESS_HELP),
    question_field: str = typer.Option("question", "--question-field"),
    answer_field: str = typer.Option("answer", "--answer-field"),
    id_field: str = typer.Option("id", "--id-field"),
    split: str = typer.Option("test", "--split", help="Split of a Hugging Face dataset."),
    subset: str | None = typer.Option(None, "--subset", help="Subset (configuration) of a Hugging Face "
                                      "dataset, e.g. main for openai/gsm8k."),
    limit: int | None = typer.Option(None, "--limit", min=0, help="Keep the first N problems (after "
                                     "filters)."),
    shuffle: bool = typer.Option(False, "--shuffle", help="Shuffle the problems with --seed."),
    seed: int = typer.Option(0, "--seed"),
    filters: list[str] = typer.Option([], "--filter", help="Keep rows with FIELD=VALUE (repeatable)."),
    temperature: float | None = typer.Option(None, "--temperature",
                                             help="Sampling temperature (default 0, or 0.7 when n > 1)."),
    max_tokens: int | None = typer.Option(None, "--max-tokens", help="Most new tokens per model call."),
    top_p: float | None = typer.Option(None, "--top-p"),
    mode: str | None = typer.Option(None, "--mode", help="chat, or completion for base models."),
    max_rounds: int | None = typer.Option(None, "--max-rounds",
                                          help="Model calls per phase (tir, self_verify)."),
    num_fewshot: int | None = typer.Option(None, "--num-fewshot",
                                           help="Few-shot examples shown (default: the prompt file's)."),
    prompts: Path | None = typer.Option(None, "--prompts", help="A prompts file overriding the strategy's."),
    cell_timeout: float = typer.Option(10.0, "--cell-timeout", help="Seconds each code cell may run."),
    time_limit: float | None = typer.Option(None, "--time-limit", help="Seconds one attempt may take."),
    no_retry_errors: bool = typer.Option(False, "--no-retry-errors",
                                         help="Keep attempts stored as errors instead of trying them again."),
    json_out: bool = typer.Option(False, "--json", help="Print the final counts as JSON."),
) -> None:
    """Run (or resume) an evaluation: every problem -n times with --strategy, graded and stored as it
    finishes. Attempts the model could not be asked for (connection, HTTP status, timeout, model not found)
    are stored as errors, apart from wrong answers, and tried again by the next run of the same command."""
    from verimath.eval import EvalConfig, evaluate

    options = {"temperature": temperature, "max_tokens": max_tokens, "top_p": top_p, "mode": mode,
               "max_rounds": max_rounds, "num_fewshot": num_fewshot, "time_limit_s": time_limit,
               "prompts": str(prompts) if prompts else None}
    config = EvalConfig(dataset=dataset, model=model, run_dir=run_dir, strategy=strategy, n=n,
                        base_url=base_url, api_key_env=api_key_env, concurrency=concurrency,
                        question_field=question_field, answer_field=answer_field, id_field=id_field,
                        limit=limit, shuffle=shuffle, seed=seed,
                        filters=tuple(filters), split=split, subset=subset, cell_timeout=cell_timeout,
                        retry_errors=not no_retry_errors,
                        strategy_options={k: v for k, v in options.items() if v is not None})
    columns = (TextColumn("eval"), BarColumn(), MofNCompleteColumn(),
               TextColumn("accuracy {task.fields[acc]}"), TextColumn("{task.fields[errors]}"),
               TimeRemainingColumn())
    bar = Progress(*columns, console=err_console, transient=json_out)
    task = bar.add_task("eval", total=None, acc="—", errors="")
    shown = []  # the bar appears with the first progress: a refused input leaves only its one-line error

    def show(p: Any) -> None:
        if not shown:
            bar.start()
            shown.append(True)
        bar.update(task, completed=p.done + p.errors, total=p.total or None,
                   acc=f"{100 * p.correct / p.done:.1f}%" if p.done else "—",
                   errors=f"[red]{p.errors} errors[/]" if p.errors else "")

    runner = None
    if _uses_ray(executor, ray_address):
        from verimath.distributed import RayExecutor

        runner = RayExecutor(address=ray_address)
    try:
        final = evaluate(config, show, invocation=sys.argv, executor=runner)
    except KeyboardInterrupt:
        bar.stop()
        err_console.print(f"interrupted; finished attempts are stored — rerun the same command to resume "
                          f"({run_dir})")
        raise typer.Exit(130) from None
    finally:
        if shown:  # stopping a bar never started still prints a blank line before the error
            bar.stop()
    if json_out:
        console.print_json(json.dumps({"run_dir": str(run_dir), "attempts": final.done,
                                       "correct": final.correct, "errors": final.errors}))
    else:
        console.print(f"{final.done} attempts stored in {run_dir}; `verimath report {run_dir}` for metrics",
                      highlight=False)
    if final.errors:
        err_console.print(f"[bold red]error:[/] {final.errors} attempts could not be made (stored as errors, "
                          f"not as wrong answers); rerun the same command to retry them", highlight=False)
        raise typer.Exit(1)


@app.command("report")
def report_command(
    run_dirs: list[Path] = typer.Argument(..., metavar="RUN [RUN_B]",
                                          help="A run directory made by `verimath eval`; with a second one, "
                                               "compare them (B against A)."),
    json_out: bool = typer.Option(False, "--json", help="Print the metrics as JSON."),
    html: Path | None = typer.Option(None, "--html", help="Also write a self-contained HTML report here."),
    score_field: str | None = typer.Option(None, "--score-field",
                                           help="Numeric attempt field with external reward scores."),
    max_problems: int = typer.Option(500, "--max-problems", help="Problems shown in the HTML trace browser."),
) -> None:
    """Summarize a run: pass@1 (the headline), first-sample accuracy, pass@k, maj@k, weighted votes, 95% CIs,
    groups, compute, errors, and robustness (originals vs variants, drop per perturbation, worst case per
    template/parent, spread) when the problems carry lineage. With two runs: each metric's difference on the
    shared problems with a paired bootstrap 95% CI, and the problems that flip."""
    from verimath.eval import build_report, render_html, robustness_tables, summary_tables

    if len(run_dirs) > 2:
        raise InputError(f"report takes one run, or two to compare; got {len(run_dirs)}", field="RUN")
    if len(run_dirs) == 2:
        if html is not None:
            raise InputError("--html describes one run; give a single RUN", field="html")
        _compare(*run_dirs, score_field=score_field, json_out=json_out)
        return
    run_dir = run_dirs[0]
    report = build_report(run_dir, score_field=score_field)
    if html is not None:
        html.write_text(render_html(report, run_dir, max_problems=max_problems), encoding="utf-8")
    if json_out:
        print(json.dumps(report.to_dict(), indent=1))
        return
    if report.summary.problems:
        for table in summary_tables(report.summary, report.errors):
            console.print(table)
    else:
        console.print(f"no graded attempts in {run_dir} yet", highlight=False)
    for message, count in report.error_messages.items():
        console.print(f"[red]{count} errors:[/] {escape(message)}", highlight=False, emoji=False)
    for table in robustness_tables(report.robustness) if report.robustness is not None else ():
        console.print(table)
    if html is not None:
        console.print(f"HTML report: {html}")


def _compare(run_a: Path, run_b: Path, *, score_field: str | None, json_out: bool) -> None:
    from verimath.eval import build_report, compare_runs, comparison_table

    comparison = compare_runs(build_report(run_a, score_field=score_field),
                              build_report(run_b, score_field=score_field))
    if json_out:
        print(json.dumps({"a": str(run_a), "b": str(run_b), **comparison.to_dict()}, indent=1))
        return
    console.print(comparison_table(comparison, {"a": str(run_a), "b": str(run_b)}))
    for label, ids in (("gained by B", comparison.gained), ("lost by B", comparison.lost)):
        if ids:
            shown = ", ".join(ids[:20]) + (f" and {len(ids) - 20} more" if len(ids) > 20 else "")
            console.print(f"{label}: {shown}", highlight=False)


@app.command("regrade")
def regrade_command(
    run_dir: Path = typer.Argument(..., help="A run directory made by `verimath eval`."),
    json_out: bool = typer.Option(False, "--json", help="Print the outcome as JSON."),
) -> None:
    """Re-judge every stored answer with the current grader and record its version."""
    from verimath.eval import default_grader, regrade

    result = regrade(run_dir, default_grader())
    if json_out:
        print(json.dumps({"attempts": result.attempts, "changed": result.changed, "grader": result.grader}))
    else:
        console.print(f"re-graded {result.attempts} attempts with {result.grader}: "
                      f"{result.changed} verdicts changed")


@app.command("export")
def export_command(
    run_dir: Path = typer.Argument(..., help="A run directory made by `verimath eval`."),
    output: Path = typer.Option(..., "-o", "--output", help="JSONL file to write ('-' for stdout)."),
) -> None:
    """Write one JSON line per sample: problem, the exact messages sent (system, few-shot turns, question,
    replies, cell outputs), answer, verdict, error and timings."""
    from verimath.eval import DB_NAME, MANIFEST_NAME, RunStore, export_samples

    RunStore.open(run_dir).close()  # a missing run is an input error before the output file is made
    if output.resolve().parent == run_dir.resolve() and output.name.startswith((DB_NAME, MANIFEST_NAME)):
        raise InputError(f"{str(output)!r} is the run's own file; export elsewhere", field="--output")
    if output == Path("-"):
        rows = export_samples(run_dir, sys.stdout)
    else:
        with output.open("w", encoding="utf-8") as handle:
            rows = export_samples(run_dir, handle)
    err_console.print(f"{rows} samples -> {output}", highlight=False)


@app.command("runs")
def runs_command(
    folder: Path = typer.Argument(Path("."), help="Folder searched, with its subfolders, for runs."),
    json_out: bool = typer.Option(False, "--json", help="Print the list as JSON."),
) -> None:
    """List the runs under a folder: model, strategy, dataset, problems, samples, accuracy, errors, date."""
    from verimath.eval import list_runs, runs_table

    if not folder.is_dir():
        raise InputError("not a folder", file=str(folder))
    infos = list_runs(folder)
    if json_out:
        print(json.dumps([r.to_dict() for r in infos], indent=1))
    else:
        console.print(runs_table(infos, folder))


@app.command()
def generate(
    templates: str = typer.Option("builtin", "--templates",
                                  help="'builtin', a template folder or a .json file."),
    per_template: int = typer.Option(50, "--per-template", "-n", min=1,
                                     help="Distinct instances per template."),
    seed: int = typer.Option(0, "--seed", help="Random seed; the same seed gives byte-identical output."),
    max_tries: int = typer.Option(400_000, "--max-tries", min=1, help="Draw budget per template."),
    widen: int = typer.Option(1, "--widen", min=1,
                              help="Multiply the bounds of the templates' integer ranges "
                                   "(longer numbers than the templates' own)."),
    out: str = typer.Option(..., "--out", "-o", help="Output JSONL: id, template_id, question, answer, "
                                                       "solution, variables."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Generate problem instances from annotated templates (GSM-Symbolic format or verimath's own)."""
    import json

    from verimath.problems import generate_many, load_templates, write_jsonl

    loaded = load_templates(templates)
    problems, failures = generate_many(loaded, per_template, seed=seed, max_tries=max_tries, widen=widen)
    written = write_jsonl(problems, out)
    summary = {"templates": len(loaded), "generated": len(loaded) - len(failures), "instances": written,
               "failed": [{"template": f.template_id, "reason": f.reason, "message": str(f)}
                          for f in failures]}
    if as_json:
        console.print_json(json.dumps(summary))
    else:
        for f in failures:
            err_console.print(f"[yellow]skipped[/] {f.template_id} ({f.reason}): {f}", highlight=False)
        console.print(f"{written} instances from {summary['generated']}/{len(loaded)} templates -> {out}",
                      highlight=False)
    if not written:
        raise typer.Exit(1)


@app.command()
def perturb(
    dataset: str = typer.Argument(..., help="A JSONL/JSON/CSV/Parquet file or a Hugging Face dataset name."),
    ops: str = typer.Option("numeric_substitution,digit_expansion,integer_to_decimal,distractor", "--ops",
                            help="Comma-separated operations (see `verimath perturb --help`)."),
    out: str = typer.Option(..., "--out", "-o", help="Output JSONL of variants (parent_id, perturbation)."),
    variants: int = typer.Option(1, "--variants", min=1, help="Variants per problem and operation."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    question_field: str = typer.Option("question", "--question-field"),
    answer_field: str = typer.Option("answer", "--answer-field"),
    id_field: str = typer.Option("id", "--id-field"),
    limit: int | None = typer.Option(None, "--limit", min=0, help="Use only the first N problems."),
    shuffle: bool = typer.Option(False, "--shuffle", help="Shuffle (with --seed) before --limit."),
    filters: Annotated[list[str] | None,
                       typer.Option("--filter", help="Keep rows with FIELD=VALUE (repeatable).")] = None,
    include_original: bool = typer.Option(False, "--include-original", help="Write the originals too."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Make answer-preserving variants of a dataset: numeric_substitution, digit_expansion,
    integer_to_decimal, integer_to_fraction (numeric, via GSM8K's <<a*b=c>> annotations or an equation field),
    decimal_to_fraction, fraction_to_decimal (same values rewritten), distractor and symbolic_numeric,
    symbolic_parameter, symbolic_equivalent (rows with 'expression' and 'task'). Problems an operation cannot
    handle are dropped and counted."""
    import json
    from itertools import chain

    from verimath.problems import PerturbReport, load_dataset, write_jsonl
    from verimath.problems import perturb as make_variants

    names = [o.strip() for o in ops.split(",") if o.strip()]
    originals = list(load_dataset(dataset, question_field=question_field, answer_field=answer_field,
                                  id_field=id_field, limit=limit, shuffle=shuffle, seed=seed,
                                  filters=filters))
    report = PerturbReport()
    made = make_variants(originals, names, seed=seed, variants=variants, report=report)
    written = write_jsonl(chain(originals, made) if include_original else made, out)
    summary = {"problems": len(originals), "written": written, "made": dict(report.made),
               "dropped": dict(report.dropped.most_common())}
    if as_json:
        console.print_json(json.dumps(summary))
    else:
        from rich.table import Table

        table = Table(title=f"{len(originals)} problems -> {written} rows in {out}")
        table.add_column("operation")
        table.add_column("variants", justify="right")
        table.add_column("dropped", justify="right")
        for name in names:
            dropped = sum(n for k, n in report.dropped.items() if k.startswith(f"{name}:"))
            table.add_row(name, str(report.made[name]), str(dropped))
        console.print(table)
        for reason, n in report.dropped.most_common(8):
            console.print(f"  dropped {n:>5}  {reason}", highlight=False)
@app.command("exec")
def exec_(
    file: str = typer.Argument(..., help="Python file to run, or - for standard input."),
    timeout: float = typer.Option(10.0, "--timeout", help="Wall-clock limit in seconds."),
    memory: int = typer.Option(1024, "--memory", help="Memory limit in MiB."),
    as_json: bool | None = typer.Option(None, "--json/--no-json",
                                        help="Print the ExecResult as JSON "
                                             "(default when stdout is not a terminal)."),
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
            reason = exc.strerror if isinstance(exc, OSError) else exc
            raise InputError(f"cannot read: {reason}", file=file) from exc
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
        from rich.markup import escape

        sys.stdout.write(_terminal_safe(result.stdout))
        sys.stderr.write(_terminal_safe(result.stderr))
        if result.error is not None:
            what = _terminal_safe(f"{result.error.type}: {result.error.message}")
            err_console.print(f"[bold red]{result.status}:[/] {escape(what)}", highlight=False)
    raise typer.Exit(0 if result.ok else 1)


def _terminal_safe(text: str) -> str:
    """``text`` with every control character but newline and tab written as an escape (``\\x1b``), so a
    sandboxed program's output cannot drive the user's terminal (move the cursor, retitle it, hide lines)."""
    def control(ch: str) -> bool:
        return ch not in "\n\t" and (ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0)

    return "".join(ascii(ch)[1:-1] if control(ch) else ch for ch in text)


precision_app = typer.Typer(help="How arithmetic precision changes a model's math: number formats, L-Mul, "
                                   "FP8, bf16.", no_args_is_help=True)
app.add_typer(precision_app, name="precision")


@precision_app.command("ops")
def precision_ops_command(
    arms: str | None = typer.Option(None, "--arms", help="Comma-separated arms: fp32, bf16, fp16, e4m3, "
                                    "e5m2, e3m4, lmulM, lmulMt (operands truncated), or "
                                    "product:input:accumulator (default: the formats both ways, lmul2-5, "
                                    "lmul7, lmul3t, lmul4t)."),
    pairs: int = typer.Option(2_000_000, "--pairs", min=1, help="Input pairs per distribution."),
    dot_length: int = typer.Option(1024, "--dot-length", min=1, help="Length of the dot products."),
    seed: int = typer.Option(0, "--seed", min=0, help="Random seed of the inputs."),
    out: Path | None = typer.Option(None, "--out", help="Folder for ops.html and ops.json."),
    json_out: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Op-level error of every arm against exact products on N(0,1) and U(-1,1) inputs: mean and max relative
    error, signed bias, normwise error of dot products; the L-Mul paper's claims marked reproduced or not."""
    import_extra("numpy", "precision", "verimath precision ops")
    import_extra("ml_dtypes", "precision", "verimath precision ops")
    from verimath.precision import DEFAULT_ARMS, measure_ops, ops_tables, parse_mode, render_ops_html

    names = [a.strip() for a in arms.split(",") if a.strip()] if arms is not None else list(DEFAULT_ARMS)
    if not names:
        raise InputError("no arms given", field="arms")
    spelled: dict[str, str] = {}  # mode -> the first name given for it
    for name in names:  # one line naming the bad arm, before any work
        try:
            mode = parse_mode(name).name
        except InputError as exc:
            raise InputError(str(exc), field="arms") from None
        if mode in spelled:
            raise InputError(f"{name!r} repeats {spelled[mode]!r} ({mode})", field="arms")
        spelled[mode] = name
    if out is not None:  # an unusable folder is refused before minutes of measuring, not after
        if out.exists() and not out.is_dir():
            raise InputError(f"{str(out)!r} is a file, not a folder", field="--out")
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot make the folder {str(out)!r}: {exc.strerror}",
                             field="--out") from None
    with Progress(TextColumn("{task.description}"), TimeElapsedColumn(), console=err_console,
                  transient=True) as bar:
        task = bar.add_task("measuring")
        try:
            report = measure_ops(names, pairs=pairs, dot_length=dot_length, seed=seed,
                                 progress=lambda what: bar.update(task, description=f"measuring {what}"))
        except MemoryError as exc:  # numpy says how much it wanted: "Unable to allocate 7.28 TiB for ..."
            raise InputError(f"{pairs:,} pairs do not fit in memory ({str(exc).split(' for ')[0]})",
                             field="--pairs") from None
    if out is not None:
        (out / "ops.json").write_text(json.dumps(report.to_dict(), indent=1), encoding="utf-8")
        (out / "ops.html").write_text(render_ops_html(report), encoding="utf-8")
    if json_out:
        print(json.dumps(report.to_dict(), indent=1))
        return
    for table in ops_tables(report):
        console.print(table)
    if out is not None:
        console.print(f"HTML report: {out / 'ops.html'}", highlight=False)


@app.command("serve")
def serve_command(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind; any non-loopback one needs "
                             "$VERIMATH_API_TOKEN (a bearer token every request must carry)."),
    port: int = typer.Option(8000, "--port", help="TCP port."),
    workers: int | None = typer.Option(None, "--workers", min=1, help="Grading worker processes and sandbox "
                                       "cells (default: one per core)."),
    no_sandbox: bool = typer.Option(False, "--no-sandbox", help="Serve grading only (no code execution)."),
    access_log: bool = typer.Option(True, "--access-log/--no-access-log",
                                    help="One JSON line per request on standard error."),
) -> None:
    """Serve grading and code execution over HTTP for RL training loops (verl, TRL, OpenRLHF, slime)."""
    for package in ("fastapi", "uvicorn"):
        import_extra(package, "serve", "verimath serve")
    from verimath.serve import TOKEN_ENV, ServeConfig, run

    settings: dict[str, Any] = {"workers": workers} if workers else {}
    run(ServeConfig(host=host, port=port, token=os.environ.get(TOKEN_ENV) or None, sandbox=not no_sandbox,
                    access_log=access_log, **settings))


# `verimath precision eval` and `repro`: the model side of the precision lab (the sub-app is defined above).


def _held_out_default(out: Path, problems: int) -> str:
    """The built-in held-out set (``problems`` of them) written to ``out/held_out.jsonl``, once."""
    from verimath.problems import write_jsonl
    from verimath.tinylab import HELD_OUT_SEED, held_out

    path = out / "held_out.jsonl"
    if not path.exists():
        out.mkdir(parents=True, exist_ok=True)
        write_jsonl(held_out(problems, seed=HELD_OUT_SEED), path)
    return str(path)


def _bar_progress() -> Any:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    bar = Progress(*columns, console=err_console, transient=True)
    tasks: dict[str, Any] = {}

    def show(label: str, done: int, total: int | None) -> None:
        if label not in tasks:
            tasks[label] = bar.add_task(label, total=None)
        bar.update(tasks[label], completed=done, total=total or None)

    return bar, show


def _publish(page: Path, html_text: str, result: dict[str, Any], as_json: bool) -> bool:
    """Write a lab's HTML page; with ``--json``, print the result with the page's path. True when printed."""
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(html_text, encoding="utf-8")
    if as_json:
        console.print_json(json.dumps({**result, "html": str(page)}))
    return as_json


@precision_app.command("eval")
def precision_eval_command(
    model: str = typer.Option(..., "--model", help="A local model: builtin:tiny, builtin:PATH or hf:PATH."),
    strategy: str = typer.Option("pal", "--strategy", help="Reasoning strategy (pal, direct, cot, ...)."),
    arms: str = typer.Option("fp32,bf16,e4m3,e5m2,lmul3,lmul4", "--arms",
                             help="Arithmetics: fp32, emulated matmul modes (bf16, fp16, e4m3, e5m2, e3m4, "
                                  "lmulM, product:input:accumulator), cast-bf16, cast-fp16, layercast."),
    scope: str = typer.Option("attention,all", "--scope", help="Where emulated matmuls go: attention, "
                                                                  "linear, all (comma-separated)."),
    dataset: str | None = typer.Option(None, "--dataset", help="JSONL/CSV/Parquet file or Hugging Face "
                                       "dataset (default: the built-in held-out set, written to OUT)."),
    problems: int = typer.Option(300, "--problems", min=3, help="Size of the default held-out set."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Keep the first N problems."),
    out: Path = typer.Option(Path("runs/precision"), "--out", help="Folder for the runs (one per arm and "
                             "scope, under STRATEGY/; rerun to resume) and the report."),
    probe: int = typer.Option(16, "--probe", min=0, help="Problems for the per-layer KL / top-1 agreement "
                                                         "(0: skip)."),
    concurrency: int = typer.Option(64, "--concurrency", min=1, help="Attempts in flight (one batch)."),
    max_tokens: int | None = typer.Option(None, "--max-tokens", help="Most new tokens per model call."),
    html: Path | None = typer.Option(None, "--html", help="Write the HTML page here "
                                                          "(default OUT/STRATEGY/precision.html)."),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON."),
) -> None:
    """A model's math accuracy in each arithmetic, each arm × scope an ordinary `verimath eval` run; flips
    against fp32 and per-layer KL / top-1 agreement against fp32."""
    for package in ("torch", "ml_dtypes"):
        import_extra(package, "precision", "verimath precision eval")
    from verimath.precision import EvalPlan, check_local, eval_html, parse_arms, parse_scopes, precision_eval

    check_local(model)  # bad names: one line, before any work
    plan_arms, plan_scopes = parse_arms(arms), parse_scopes(scope)
    path = dataset if dataset is not None else _held_out_default(out, problems)
    plan = EvalPlan(model, strategy, plan_arms, plan_scopes, path, out, limit=limit, probe=probe,
                    concurrency=concurrency, max_tokens=max_tokens)
    bar, show = _bar_progress()
    with bar:
        result = precision_eval(plan, lambda label, p: show(label, p.done + p.errors, p.total),
                                invocation=sys.argv)
    page = html or out / strategy / "precision.html"
    if _publish(page, eval_html(result), result.to_dict(), as_json):
        return
    from rich.table import Table

    table = Table(title=f"{model}, {strategy}: accuracy per arm ({result.runs[0].problems} problems)")
    for col in ("arm", "accuracy %", "95% CI", "Δ vs fp32 (points)", "flips +/−", "errors"):
        table.add_column(col, justify="left" if col == "arm" else "right")
    for r in result.runs:
        table.add_row(r.label, f"{100 * r.accuracy:.1f}", f"{100 * r.low:.1f} … {100 * r.high:.1f}",
                      f"{100 * r.delta:+.1f}", f"{len(r.gained)}/{len(r.lost)}", str(r.errors))
    console.print(table)
    if result.layers:
        layers = Table(title=f"per layer vs fp32 ({result.probe_problems} problems, teacher-forced)")
        for col in ("arm · layer", "positions", "KL nats", "top-1 agreement %"):
            layers.add_column(col, justify="left" if col == "arm · layer" else "right")
        for row in result.layers:
            layers.add_row(row.label, str(row.positions), f"{row.kl:.3g}", f"{100 * row.top1:.1f}")
        console.print(layers)
    console.print(f"report {page}; runs under {out / strategy}; {result.wall_s:.0f} s", highlight=False)
    if any(r.errors for r in result.runs):
        raise typer.Exit(1)


@precision_app.command("repro")
def precision_repro_command(
    model: str = typer.Option(..., "--model", help="A local model: builtin:tiny, builtin:PATH or hf:PATH."),
    dtypes: str = typer.Option("fp32,bf16,fp16,layercast", "--dtypes",
                               help="fp32, bf16, fp16 (the whole model in that dtype), layercast (bf16 "
                                    "weights, fp32 compute)."),
    batch_sizes: str = typer.Option("1,8,32", "--batch-sizes", help="Batch sizes to compare."),
    strategy: str = typer.Option("pal", "--strategy", help="A strategy making one model call per problem "
                                                           "(pal, direct, cot)."),
    dataset: str | None = typer.Option(None, "--dataset", help="Dataset file (default: the built-in "
                                                               "held-out set, written to OUT)."),
    problems: int = typer.Option(300, "--problems", min=3, help="Size of the default held-out set."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Keep the first N problems."),
    max_tokens: int | None = typer.Option(None, "--max-tokens", help="Most new tokens per answer."),
    out: Path = typer.Option(Path("runs/precision-repro"), "--out", help="Folder for the data set and page."),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON."),
) -> None:
    """Greedy decoding at several batch sizes per dtype: Std@Acc, output-length spread, first divergent
    token, top-1 probability spread ("Give Me FP32 or Give Me Death?"), with a LayerCast arm."""
    import_extra("torch", "precision", "verimath precision repro")
    from verimath.precision import check_local, parse_batch_sizes, parse_dtypes, repro, repro_html
    from verimath.problems import load_dataset

    check_local(model)
    arms, sizes = parse_dtypes(dtypes), parse_batch_sizes(batch_sizes)
    path = dataset if dataset is not None else _held_out_default(out, problems)
    rows = list(load_dataset(path, limit=limit))
    bar, show = _bar_progress()
    with bar:
        result = repro(model, arms, sizes, [p.question for p in rows], [p.answer for p in rows],
                       strategy=strategy, max_tokens=max_tokens, on_progress=show)
    page = out / "repro.html"
    if _publish(page, repro_html(result), result.to_dict(), as_json):
        return
    from rich.table import Table

    table = Table(title=f"{model}, {strategy}, {result.problems} problems, batch sizes {batch_sizes}")
    for col in ("arm", "accuracy % by batch size", "Std@Acc (pts)", "mean std length", "divergent",
                "mean first divergent token", "std top-1 prob"):
        table.add_column(col, justify="left" if col == "arm" else "right")
    for a in result.arms:
        table.add_row(a.arm, " / ".join(f"{100 * r.accuracy:.1f}" for r in a.runs),
                      f"{100 * a.std_accuracy:.2f}", f"{a.mean_std_length:.2f}",
                      f"{a.divergent}/{a.problems}", f"{a.mean_divergence_index:.1f}",
                      f"{a.mean_std_top1:.2e}")
    console.print(table)
    console.print(f"report {page}; {result.wall_s:.0f} s", highlight=False)
