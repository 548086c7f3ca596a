"""Where verimath's own templates live (``templates/*.json`` inside the package, written for verimath)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["builtin_dir"]


def builtin_dir() -> Path:
    """The folder of built-in templates: 62 grade-school word problems (money, percentages, fractions, rates,
    time, ratios, units, ages, geometry, multi-step), each with a no-op distractor variant, some with
    P1-style (one extra clause) and P2-style (two) variants; ``variant_of`` links a variant to its base."""
    return Path(__file__).parent / "templates"
