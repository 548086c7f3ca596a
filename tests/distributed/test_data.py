"""The Ray Data stages on a real two-node Ray cluster: a ``map_batches`` pipeline grades and executes a few
hundred rows through actor pools (each actor keeps its grader and its warm sandbox across batches)."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("ray")

from verimath.distributed import ExecuteBatch, GradeBatch

ROWS = 300


def test_a_map_batches_pipeline_grades_and_executes_every_row(ray_cluster: Any) -> None:
    import ray.data

    rows = [{"i": i, "response": f"The total is \\boxed{{{i * i if i % 3 else i + 1}}}.", "gold": str(i * i),
             "code": f"print({i} * {i})" if i % 10 else f"1 / (({i}) * 0)"} for i in range(ROWS)]
    pool = ray.data.ActorPoolStrategy(size=2)
    graded = (ray.data.from_items(rows)
              .map_batches(GradeBatch, batch_size=50, compute=pool, num_cpus=0.5)
              .map_batches(ExecuteBatch, fn_constructor_kwargs={"timeout_s": 5.0}, batch_size=50,
                           compute=ray.data.ActorPoolStrategy(size=2), num_cpus=0.5)
              .take_all())
    assert sorted(r["i"] for r in graded) == list(range(ROWS))
    for r in graded:
        i = r["i"]
        right = i % 3 != 0 or i + 1 == i * i
        assert bool(r["correct"]) is right, r
        assert r["extracted"] == (str(i * i) if i % 3 else str(i + 1))
        if i % 10:
            assert (r["status"], r["stdout"], r["error"]) == ("ok", f"{i * i}\n", None), r
        else:
            assert r["status"] == "error" and r["error"].startswith("ZeroDivisionError"), r


def test_a_stage_names_a_missing_column() -> None:
    from verimath.errors import InputError

    with pytest.raises(InputError, match="no column 'response'"):
        GradeBatch()({"answer": ["1"], "gold": ["1"]})
