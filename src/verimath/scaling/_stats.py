"""Percentile-bootstrap confidence intervals of means over problems."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class Bootstrap:
    """Seeded resamples of problems, shared by every metric over the same number of problems so that all
    intervals of one summary come from the same resamples."""

    def __init__(self, *, resamples: int = 1000, level: float = 0.95, seed: int = 0) -> None:
        self.resamples, self.level, self.seed = resamples, level, seed
        self._indices: dict[int, np.ndarray] = {}

    def interval(self, values: Sequence[float]) -> tuple[float, float]:
        """The percentile interval of the mean of ``values`` (one value per problem); NaNs when empty."""
        size = len(values)
        if not size:
            return (float("nan"), float("nan"))
        index = self._indices.get(size)
        if index is None:
            index = np.random.default_rng(self.seed).integers(0, size, size=(self.resamples, size))
            self._indices[size] = index
        means = np.asarray(values, dtype=float)[index].mean(axis=1)
        tail = (1.0 - self.level) / 2.0
        lo, hi = np.quantile(means, [tail, 1.0 - tail])
        return float(lo), float(hi)


def bootstrap_ci(values: Sequence[float], *, level: float = 0.95, resamples: int = 1000,
                 seed: int = 0) -> tuple[float, float]:
    """Percentile-bootstrap ``level`` confidence interval of the mean of ``values``."""
    return Bootstrap(resamples=resamples, level=level, seed=seed).interval(values)
