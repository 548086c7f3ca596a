"""verimath.scaling — how to combine samples.

Owns the estimators over a problem's n samples (unbiased pass@k; exact maj@k over all k-subsets with answers
clustered by equivalence and ties reported; weighted votes by self-verification, execution signals or external
scores; best-of-k by score), percentile-bootstrap confidence intervals, per-group breakdowns, compute
accounting with accuracy-versus-compute curves, the run's one headline metric (``HEADLINE``, pass@1), and
robustness metrics over problems' lineage (originals vs variants, drop per perturbation type, worst case per
template or parent, spread across instantiation sets). Pure computation, no I/O. Imports only
``verimath.answers`` (for the default answer equivalence); must not import ``eval``, ``strategies``,
``models`` or ``sandbox``.
"""

from __future__ import annotations

from verimath.scaling._clusters import Equivalence, cluster_answers
from verimath.scaling._estimators import best_of_k, majority_odds, pass_at_k, weighted_vote_at_k
from verimath.scaling._problem import DEFAULT_WEIGHTINGS, ProblemScores, Sample, score_problem
from verimath.scaling._robustness import ORIGINAL, Drop, Outcome, Robustness, robustness
from verimath.scaling._stats import Bootstrap, bootstrap_ci
from verimath.scaling._summary import HEADLINE, Estimate, Summary, summarize
from verimath.scaling._weights import ExecutionWeights, ScoreWeights, VerificationWeights, Weighting

__all__ = [
    "DEFAULT_WEIGHTINGS",
    "HEADLINE",
    "ORIGINAL",
    "Bootstrap",
    "Drop",
    "Equivalence",
    "Estimate",
    "ExecutionWeights",
    "Outcome",
    "ProblemScores",
    "Robustness",
    "Sample",
    "ScoreWeights",
    "Summary",
    "VerificationWeights",
    "Weighting",
    "best_of_k",
    "bootstrap_ci",
    "cluster_answers",
    "majority_odds",
    "pass_at_k",
    "robustness",
    "score_problem",
    "summarize",
    "weighted_vote_at_k",
]
