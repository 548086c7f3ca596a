"""Percentile-bootstrap confidence intervals of means over problems."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

CACHE_ENTRIES = 1 << 22
"""Resample indices a :class:`Bootstrap` keeps per problem count (32 MiB); larger sets are resampled in
blocks."""


class Bootstrap:
    """Seeded resamples of problems, shared by every metric over the same number of problems so that all
    intervals of one summary come from the same resamples."""

    def __init__(self, *, resamples: int = 1000, level: float = 0.95, seed: int = 0) -> None:
        self.resamples, self.level, self.seed = resamples, level, seed
        self._indices: dict[tuple[int, int], np.ndarray] = {}

    def _rng(self, stream: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, stream]) if stream else np.random.default_rng(self.seed)

    def _means(self, values: Sequence[float], stream: int) -> np.ndarray:
        """The means of ``values`` over this bootstrap's resamples (stream 0 shared by every metric). Index
        matrices up to ``CACHE_ENTRIES`` are kept; larger ones are drawn again, in row blocks of that size,
        from the same seeded stream (the same resamples, without holding resamples × problems integers)."""
        size = len(values)
        data = np.asarray(values, dtype=float)
        if size * self.resamples <= CACHE_ENTRIES:
            index = self._indices.get((size, stream))
            if index is None:
                index = self._rng(stream).integers(0, size, size=(self.resamples, size))
                self._indices[size, stream] = index
            return data[index].mean(axis=1)
        rng, rows = self._rng(stream), max(1, CACHE_ENTRIES // size)
        means = np.empty(self.resamples)
        for start in range(0, self.resamples, rows):
            stop = min(start + rows, self.resamples)
            means[start:stop] = data[rng.integers(0, size, size=(stop - start, size))].mean(axis=1)
        return means

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
