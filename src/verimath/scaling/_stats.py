"""Percentile-bootstrap confidence intervals of means over problems."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class Bootstrap:
    """Seeded resamples of problems, shared by every metric over the same number of problems so that all
    intervals of one summary come from the same resamples."""

    def __init__(self, *, resamples: int = 1000, level: float = 0.95, seed: int = 0) -> None:
        self.resamples, self.level, self.seed = resamples, level, seed
        self._indices: dict[tuple[int, int], np.ndarray] = {}

    def _means(self, values: Sequence[float], stream: int) -> np.ndarray:
        size = len(values)
        index = self._indices.get((size, stream))
        if index is None:
            rng = np.random.default_rng([self.seed, stream]) if stream else np.random.default_rng(self.seed)
            index = rng.integers(0, size, size=(self.resamples, size))
            self._indices[size, stream] = index
        return np.asarray(values, dtype=float)[index].mean(axis=1)

    def _quantiles(self, means: np.ndarray) -> tuple[float, float]:
        tail = (1.0 - self.level) / 2.0
        lo, hi = np.quantile(means, [tail, 1.0 - tail])
        return float(lo), float(hi)

    def interval(self, values: Sequence[float]) -> tuple[float, float]:
        """The percentile interval of the mean of ``values`` (one value per problem); NaNs when empty."""
        if not len(values):
            return (float("nan"), float("nan"))
        return self._quantiles(self._means(values, 0))

    def difference(self, a: Sequence[float], b: Sequence[float]) -> tuple[float, float]:
        """The percentile interval of ``mean(a) - mean(b)`` for two independent samples of problems, each
        resampled on its own (for paired values, take :meth:`interval` of the differences); NaNs when either
        is empty."""
        if not len(a) or not len(b):
            return (float("nan"), float("nan"))
        return self._quantiles(self._means(a, 0) - self._means(b, 1))


def bootstrap_ci(values: Sequence[float], *, level: float = 0.95, resamples: int = 1000,
                 seed: int = 0) -> tuple[float, float]:
    """Percentile-bootstrap ``level`` confidence interval of the mean of ``values``."""
    return Bootstrap(resamples=resamples, level=level, seed=seed).interval(values)
