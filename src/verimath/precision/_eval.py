"""``verimath precision eval``: a model's accuracy in each arithmetic, through ``verimath eval``.

Each arm × scope is an ordinary ``verimath eval`` run (its own run directory, resumable) of the model spec
``precision:ARM@SCOPE:MODEL`` — a backend registered here that loads ``MODEL`` and swaps its arithmetic for
the run's life (unscoped arms are ``precision:ARM:MODEL``; the fp32 reference is ``MODEL`` itself, untouched).
Read back: accuracy with its bootstrap interval, the change against fp32 with a paired interval, the problems
that flip, and how far the arm's next-token distributions move from fp32's, layer by layer.

**Per layer** means: the arm is applied to one decoder layer's matmuls (in the scope) while every other
matmul stays fp32, and the final logits are compared with fp32's — so each row says how much that layer's
arithmetic alone moves the output. A last row, ``all``, applies the arm everywhere in the scope (the
configuration the accuracy runs use). Compared on the first ``probe`` problems of the fp32 run: the first
request the strategy sent (read from the stored messages) followed by fp32's greedy continuation, teacher
forced; every position that predicts a continuation token or the end counts. KL is KL(fp32 ‖ arm) in nats,
averaged over positions; top-1 agreement is the share of positions whose most likely token is fp32's. (In a
Hugging Face model an attention swap runs the other layers' attention as eager fp32 — the same function as the
model's own, to about 1e-7 — so that floor is in every attention row.)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from verimath.errors import InputError
from verimath.eval import EvalConfig, Progress, RunStore, build_report, compare_runs, evaluate
from verimath.models import ChatRequest, Message, backends, load_model, register_backend
from verimath.precision._swap import SCOPES, Arm, decoder_layers, parse_arm, swap

PREFIX = "precision"
LOCAL_PREFIXES = ("builtin", "hf")
"""Model specs whose network runs in this process (the only ones whose arithmetic can be swapped)."""


def check_local(model: str) -> None:
    """An ``InputError`` unless ``model`` is a spec whose network runs in this process."""
    if model.partition(":")[0] not in LOCAL_PREFIXES:
        raise InputError(f"{model}: the precision lab changes a model's arithmetic, so it needs a local "
                         f"torch model ({', '.join(p + ':' for p in LOCAL_PREFIXES)})", field="model")


def arm_spec(model: str, arm: Arm, scope: str | None) -> str:
    """The model spec of ``model`` run in ``arm`` (within ``scope`` for an emulated arm)."""
    if arm.kind == "reference":
        return model
    return f"{PREFIX}:{arm.name}@{scope}:{model}" if arm.scoped else f"{PREFIX}:{arm.name}:{model}"


def _load_swapped(name: str, **options: Any) -> Any:
    """The ``precision:`` backend factory: ``ARM@SCOPE:MODEL`` or ``ARM:MODEL``."""
    from verimath.precision._local import local_torch

    head, sep, inner = name.partition(":")
    if not sep or not inner:
        raise InputError(f"precision model spec {name!r} must look like ARM@SCOPE:MODEL or ARM:MODEL",
                         field="model")
    arm_name, _, scope = head.partition("@")
    arm = parse_arm(arm_name)
    if arm.scoped and scope not in SCOPES:
        raise InputError(f"arm {arm.name} needs a scope ({', '.join(SCOPES)}): {arm.name}@SCOPE:MODEL",
                         field="model")
    model = load_model(inner, **options)
    local = local_torch(model)
    # The swap lives as long as the model object: it is never restored, the model is this run's alone.
    model.precision_swap = swap(local.module, arm, scope or "all")  # type: ignore[attr-defined]
    return model


def register() -> None:
    """Make ``precision:`` model specs loadable (``verimath eval --model precision:lmul3@all:builtin:tiny``
    works once this package is imported)."""
    if PREFIX not in backends():
        register_backend(PREFIX, _load_swapped)


@dataclass(frozen=True, slots=True)
class ArmRun:
    """One arm × scope, read back from its run."""

    arm: str
    scope: str
    """The scope, or ``model`` for an arm that changes the whole model (and for the reference)."""
    run_dir: Path
    problems: int
    accuracy: float
    """pass@1 (greedy: the share of problems right)."""
    low: float
    high: float
    delta: float
    """Accuracy minus fp32's on the shared problems (0 for the reference)."""
    delta_low: float
    delta_high: float
    gained: tuple[str, ...]
    """Problems right in this arm and wrong in fp32."""
    lost: tuple[str, ...]
    """Problems right in fp32 and wrong in this arm."""
    wall_s: float
    """Seconds this invocation spent on the cell (resuming a finished run costs only the check)."""
    errors: int

    @property
    def label(self) -> str:
        return self.arm if self.scope == "model" else f"{self.arm}@{self.scope}"

    def to_dict(self) -> dict[str, Any]:
        return {"arm": self.arm, "scope": self.scope, "run_dir": str(self.run_dir), "problems": self.problems,
                "accuracy": _num(self.accuracy), "ci95": [_num(self.low), _num(self.high)],
                "delta_vs_fp32": _num(self.delta),
                "delta_ci95": [_num(self.delta_low), _num(self.delta_high)],
                "flips": len(self.gained) + len(self.lost), "gained": list(self.gained),
                "lost": list(self.lost), "wall_s": round(self.wall_s, 2), "errors": self.errors}


@dataclass(frozen=True, slots=True)
class LayerRow:
    """How far one arm, applied to one layer (or to all: ``layer`` None), moves the next-token distribution
    from fp32's."""

    arm: str
    scope: str
    layer: int | None
    positions: int
    kl: float
    """Mean KL(fp32 ‖ arm) in nats per position."""
    top1: float
    """Share of positions whose most likely token is fp32's."""

    @property
    def label(self) -> str:
        where = "all layers" if self.layer is None else f"layer {self.layer}"
        arm = self.arm if self.scope == "model" else f"{self.arm}@{self.scope}"
        return f"{arm} · {where}"

    def to_dict(self) -> dict[str, Any]:
        return {"arm": self.arm, "scope": self.scope, "layer": "all" if self.layer is None else self.layer,
                "positions": self.positions, "kl": _num(self.kl), "top1_agreement": _num(self.top1)}


@dataclass(frozen=True, slots=True)
class PrecisionEval:
    """What ``verimath precision eval`` measured."""

    model: str
    strategy: str
    dataset: str
    runs: tuple[ArmRun, ...]
    layers: tuple[LayerRow, ...]
    probe_problems: int
    wall_s: float

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "strategy": self.strategy, "dataset": self.dataset,
                "wall_s": round(self.wall_s, 2), "arms": [r.to_dict() for r in self.runs],
                "per_layer": {"definition": "arm applied to one decoder layer (others fp32), final-logit KL "
                                            "and top-1 agreement vs fp32 over teacher-forced positions",
                              "problems": self.probe_problems, "rows": [r.to_dict() for r in self.layers]}}


def _num(x: float) -> float | None:
    return None if math.isnan(x) or math.isinf(x) else float(f"{x:.6g}")


@dataclass(frozen=True, slots=True)
class EvalPlan:
    """The arguments of a precision evaluation."""

    model: str
    strategy: str
    arms: tuple[Arm, ...]
    scopes: tuple[str, ...]
    dataset: str
    out: Path
    limit: int | None = None
    probe: int = 16
    """Problems for the per-layer comparison (0: none)."""
    concurrency: int = 64
    max_tokens: int | None = None


def _cells(plan: EvalPlan) -> list[tuple[Arm, str]]:
    """(arm, scope) pairs to run, cheapest first: the reference, the whole-model arms, then each scope's
    emulated arms."""
    cells = [(parse_arm("fp32"), "model")]
    cells += [(arm, "model") for arm in plan.arms if arm.kind in ("cast", "layercast")]
    cells += [(arm, scope) for scope in plan.scopes for arm in plan.arms if arm.scoped]
    return cells


def run_dir_for(plan: EvalPlan, arm: Arm, scope: str) -> Path:
    return plan.out / plan.strategy / (arm.name if scope == "model" else f"{arm.name}@{scope}")


def precision_eval(plan: EvalPlan, on_progress: Callable[[str, Progress], None] | None = None,
                   *, invocation: Sequence[str] = ()) -> PrecisionEval:
    """Run (or resume) every arm × scope of ``plan`` through ``verimath eval`` and read them back."""
    check_local(plan.model)
    register()
    start = time.perf_counter()
    cells = _cells(plan)
    options = {"max_tokens": plan.max_tokens} if plan.max_tokens is not None else {}
    walls: dict[Path, float] = {}
    for arm, scope in cells:
        run_dir = run_dir_for(plan, arm, scope)
        began = time.perf_counter()
        label = arm.name if scope == "model" else f"{arm.name}@{scope}"
        report = (lambda p, s=label: on_progress(s, p)) if on_progress is not None else None
        evaluate(EvalConfig(dataset=plan.dataset, model=arm_spec(plan.model, arm, scope), run_dir=run_dir,
                            strategy=plan.strategy, limit=plan.limit, concurrency=plan.concurrency,
                            strategy_options=options), report, invocation=invocation)
        walls[run_dir] = time.perf_counter() - began
    reference_dir = run_dir_for(plan, cells[0][0], "model")
    reference = build_report(reference_dir)
    runs = []
    for arm, scope in cells:
        run_dir = run_dir_for(plan, arm, scope)
        report = reference if run_dir == reference_dir else build_report(run_dir)
        head = report.summary.headline
        diff = compare_runs(reference, report)
        delta = next(d for d in diff.differences if d.metric == "pass@1")
        runs.append(ArmRun(arm.name, scope, run_dir, head.problems, head.value, head.low, head.high,
                           delta.delta, delta.low, delta.high, diff.gained, diff.lost, walls[run_dir],
                           report.errors))
    layers = per_layer(plan, [a for a, _ in cells[1:]], reference_dir) if plan.probe else ()
    return PrecisionEval(plan.model, plan.strategy, plan.dataset, tuple(runs), layers,
                         min(plan.probe, len(reference.problems)), time.perf_counter() - start)


def first_requests(run_dir: Path, count: int) -> list[ChatRequest]:
    """The first request each of the run's first ``count`` problems sent: its stored messages up to and
    including the user message that holds the question."""
    requests = []
    with RunStore.open(run_dir) as store:
        for problem, records in store.attempts():
            if len(requests) >= count:
                break
            messages = records[0].attempt.get("messages", []) if records else []
            ask = next((i for i, m in enumerate(messages)
                        if m["role"] == "user" and problem.question.strip() in m["content"]), None)
            if ask is not None:
                sent = messages[: ask + 1]
                requests.append(ChatRequest(tuple(Message(m["role"], m["content"]) for m in sent)))
    return requests


def per_layer(plan: EvalPlan, arms: Sequence[Arm], reference_dir: Path) -> tuple[LayerRow, ...]:
    """The per-layer comparison (see the module docstring) for each arm and scope of ``plan``."""
    import torch

    from verimath.precision._local import local_torch

    local = local_torch(load_model(plan.model))
    prompts = [local.encode(r) for r in first_requests(reference_dir, plan.probe)]
    if not prompts:
        return ()
    max_new = plan.max_tokens or 96
    sequences = [p + local.continuation(p, max_new) for p in prompts]
    spans = [(len(p) - 1, len(s)) for p, s in zip(prompts, sequences, strict=True)]
    reference = local.logits(sequences)
    depth = len(decoder_layers(local.module))

    def row(arm: Arm, scope: str, layer: int | None) -> LayerRow:
        with swap(local.module, arm, scope if arm.scoped else "all",
                  layers=None if layer is None else [layer]):
            logits = local.logits(sequences)
        kl, agree, count = 0.0, 0, 0
        for ref, got, (first, end) in zip(reference, logits, spans, strict=True):
            p, q = ref[first:end].double().log_softmax(-1), got[first:end].double().log_softmax(-1)
            kl += float((p.exp() * (p - q)).sum())
            agree += int((ref[first:end].argmax(-1) == got[first:end].argmax(-1)).sum())
            count += end - first
        return LayerRow(arm.name, scope, layer, count, kl / count, agree / count)

    rows = []
    seen: set[tuple[str, str]] = set()
    with torch.inference_mode():
        for arm in arms:
            for scope in plan.scopes if arm.scoped else ("model",):
                if (arm.name, scope) in seen:
                    continue
                seen.add((arm.name, scope))
                if arm.scoped:
                    rows.extend(row(arm, scope, layer) for layer in range(depth))
                rows.append(row(arm, scope, None))
    return tuple(rows)
