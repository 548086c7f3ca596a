"""The op-level error report behind ``verimath precision ops``: every arm's products against exact products
on seeded random inputs (N(0,1) and U(-1,1)), dot products of a fixed length, and the paper's claims and the
issue's figures marked reproduced or not."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from verimath.errors import InputError, import_extra
from verimath.precision._arrays import NEEDED_BY
from verimath.precision._lmul import lmul
from verimath.precision._matmul import MatmulMode, emulated_matmul, emulated_multiply, parse_mode

DISTRIBUTIONS: dict[str, str] = {"normal": "N(0,1)", "uniform": "U(-1,1)"}
"""Input distributions by name, with how the report writes them."""
DEFAULT_ARMS = ("fp32", "bf16", "fp16", "e4m3", "e5m2", "e3m4", "exact:e4m3:fp32", "exact:e5m2:fp32",
                "lmul2", "lmul3", "lmul4", "lmul5", "lmul7", "lmul3t", "lmul4t")
"""The 8-bit formats both ways (``e4m3``: inputs and products rounded, the paper's comparison;
``exact:e4m3:fp32``: inputs only, as FP8 hardware multiplies) and L-Mul around the paper's m = 3, 4, with
operands rounded and (``t``) truncated."""
FORMULA = "formula"
"""The ``semantics`` of the extra rows that read an L-Mul arm's formula literally (no carry)."""
_SLICE = 1 << 18
"""Pairs measured at once: bounds the memory of the elementwise pass."""


@dataclass(frozen=True, slots=True)
class OpError:
    """One arm's error on one input distribution. Relative errors are (product - exact) / exact over pairs
    whose exact product is not zero; the exact product is the float64 product of the float32 inputs."""

    arm: str
    mode: str
    """The arm's long form ``product:input:accumulator``."""
    semantics: str
    """``integer-add`` or ``formula`` for L-Mul arms, ``-`` for the others."""
    distribution: str
    mean_relative_error: float
    max_relative_error: float
    bias: float
    """Mean signed relative error: positive when products come out too large in magnitude."""
    dot_normwise_error: float | None
    """Mean over dot products of |computed - exact| / (‖x‖₂‖y‖₂), the dot product computed by
    ``emulated_matmul`` (products and float32 accumulation as the arm says); None for formula rows."""
    dot_normwise_error_max: float | None


@dataclass(frozen=True, slots=True)
class Check:
    """A claim or a figure, its measurement and whether this run reproduces it."""

    claim: str
    distribution: str
    measured: float
    reference: float
    """The baseline's measured value (claims) or the figure expected (figures)."""
    reproduced: bool
    detail: str


@dataclass(frozen=True, slots=True)
class OpsReport:
    pairs: int
    dot_length: int
    seed: int
    rows: tuple[OpError, ...]
    claims: tuple[Check, ...]
    """The paper's claims, per baseline reading and distribution."""
    figures: tuple[Check, ...]
    """The mean relative errors the issue expects on N(0,1), each within half its last digit."""
    versions: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def row(self, mode: str, distribution: str, semantics: str | None = None) -> OpError | None:
        """The row of an arm (any of its names) on a distribution, integer-add semantics unless told."""
        long = parse_mode(mode).name
        for row in self.rows:
            wanted = semantics or ("integer-add" if parse_mode(row.mode).lmul_bits else "-")
            if row.mode == long and row.distribution == distribution and row.semantics == wanted:
                return row
        return None


CLAIMS: tuple[tuple[str, str, str, str], ...] = tuple(
    (claim, f"{lmul}{operands}", baseline, kind)
    for claim, lmul, baselines, kind in (
        ("L-Mul m=4 is as precise as float8 e4m3", "lmul4", ("e4m3", "exact:e4m3:fp32"), "as"),
        ("L-Mul m=3 is more precise than float8 e5m2", "lmul3", ("e5m2", "exact:e5m2:fp32"), "better"))
    for operands in ("", "t") for baseline in baselines)
"""arXiv 2410.00907's op-level claims: (claim, L-Mul arm, baseline arm, "as" (no worse) or "better"), each
L-Mul reading (operands rounded, ``t`` truncated) against each FP8 reading (product rounded, inputs only)."""
FIGURES: tuple[tuple[str, float], ...] = (
    ("lmul3", 0.057), ("lmul4", 0.053), ("e4m3", 0.045), ("e5m2", 0.072))
"""Mean relative errors on N(0,1) the issue expects an independent measurement to find."""


def measure_ops(arms: Sequence[str] = DEFAULT_ARMS, *, pairs: int = 2_000_000, dot_length: int = 1024,
                seed: int = 0, progress: Callable[[str], None] | None = None) -> OpsReport:
    """Measure every arm on ``pairs`` seeded float32 pairs from each distribution, and on
    ``pairs // dot_length`` dot products of length ``dot_length`` cut from them; L-Mul arms also get a row for
    the literal-formula reading. ``progress`` is told each (arm, distribution) as it starts."""
    np = import_extra("numpy", "precision", NEEDED_BY)
    import_extra("ml_dtypes", "precision", NEEDED_BY)
    if pairs < 1 or dot_length < 1 or pairs < dot_length:
        raise InputError(f"need 1 <= dot length <= pairs, got {pairs} pairs and dot length {dot_length}")
    modes = [(arm, parse_mode(arm)) for arm in arms]  # every name checked before any work
    rows: list[OpError] = []
    for index, distribution in enumerate(DISTRIBUTIONS):
        x, y = _inputs(np, distribution, pairs, np.random.default_rng([seed, index]))
        for arm, mode in modes:
            if progress is not None:
                progress(f"{arm} on {DISTRIBUTIONS[distribution]}")
            rows.append(_measure(np, arm, mode, "integer-add" if mode.lmul_bits else "-", distribution, x, y,
                                 dot_length))
            if mode.lmul_bits is not None:
                rows.append(_measure(np, arm, mode, FORMULA, distribution, x, y, None))
    return _with_checks(OpsReport(pairs, dot_length, seed, tuple(rows), (), (), _versions()))


def _inputs(np: Any, distribution: str, pairs: int, rng: Any) -> tuple[Any, Any]:
    if distribution == "normal":
        x, y = rng.standard_normal(pairs), rng.standard_normal(pairs)
    else:
        x, y = rng.uniform(-1.0, 1.0, pairs), rng.uniform(-1.0, 1.0, pairs)
    return x.astype(np.float32), y.astype(np.float32)


def _measure(np: Any, arm: str, mode: MatmulMode, semantics: str, distribution: str, x: Any, y: Any,
             dot_length: int | None) -> OpError:
    count, total, signed, largest = 0, 0.0, 0.0, 0.0
    for start in range(0, len(x), _SLICE):
        a, b = x[start:start + _SLICE], y[start:start + _SLICE]
        if semantics == FORMULA:
            product = lmul(a, b, mantissa_bits=mode.lmul_bits or 0, semantics=FORMULA,
                           operands=mode.lmul_operands)
        else:
            product = emulated_multiply(a, b, mode)
        exact = a.astype(np.float64) * b.astype(np.float64)
        nonzero = exact != 0
        with np.errstate(invalid="ignore", over="ignore"):
            relative = (product.astype(np.float64)[nonzero] - exact[nonzero]) / exact[nonzero]
        count += int(nonzero.sum())
        total += float(np.abs(relative).sum())
        signed += float(relative.sum())
        largest = max(largest, float(np.abs(relative).max(initial=0.0)))
    dot_mean, dot_max = _dot_errors(np, mode, x, y, dot_length) if dot_length else (None, None)
    return OpError(arm, mode.name, semantics, distribution, total / count if count else math.nan,
                   largest, signed / count if count else math.nan, dot_mean, dot_max)


def _dot_errors(np: Any, mode: MatmulMode, x: Any, y: Any, length: int) -> tuple[float, float]:
    dots = len(x) // length
    left = x[:dots * length].reshape(dots, 1, length)
    right = y[:dots * length].reshape(dots, length, 1)
    computed = emulated_matmul(left, right, mode).reshape(dots).astype(np.float64)
    wide_left, wide_right = left.astype(np.float64), right.astype(np.float64)
    exact = (wide_left @ wide_right).reshape(dots)
    norms = np.linalg.norm(wide_left.reshape(dots, length), axis=1) * np.linalg.norm(
        wide_right.reshape(dots, length), axis=1)
    with np.errstate(invalid="ignore", over="ignore"):
        errors = np.abs(computed - exact) / norms
    return float(errors.mean()), float(errors.max())


def _with_checks(report: OpsReport) -> OpsReport:
    claims = []
    for text, arm, baseline, kind in CLAIMS:
        for distribution in DISTRIBUTIONS:
            measured, reference = report.row(arm, distribution), report.row(baseline, distribution)
            if measured is None or reference is None:
                continue
            ratio = measured.mean_relative_error / reference.mean_relative_error
            holds = ratio <= 1 if kind == "as" else ratio < 1
            detail = (f"{arm} {100 * measured.mean_relative_error:.2f}% vs {baseline} "
                      f"{100 * reference.mean_relative_error:.2f}% mean relative error ({ratio:.2f}×)")
            claims.append(Check(text, distribution, measured.mean_relative_error,
                                reference.mean_relative_error, holds, detail))
    figures = []
    for arm, expected in FIGURES:
        row = report.row(arm, "normal")
        if row is not None:
            within = abs(row.mean_relative_error - expected) <= 0.0005
            figures.append(Check(f"{arm} mean relative error ≈ {100 * expected:.1f}%", "normal",
                                 row.mean_relative_error, expected, within,
                                 f"measured {100 * row.mean_relative_error:.2f}% ({row.mode})"))
    return OpsReport(report.pairs, report.dot_length, report.seed, report.rows, tuple(claims), tuple(figures),
                     report.versions)


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for package in ("verimath", "numpy", "ml_dtypes"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "unknown"
    return found
