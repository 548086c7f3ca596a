"""``verimath precision repro``: the divergence metrics, and real batched greedy decoding on builtin:tiny
and a tiny Llama."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("ml_dtypes")

from verimath.errors import InputError  # noqa: E402
from verimath.models import ChatRequest, Message, load_model  # noqa: E402
from verimath.precision import local_torch, parse_batch_sizes, parse_dtypes, repro  # noqa: E402
from verimath.precision._repro import BatchRun, Decoded, decode_batch, divergence, summarize  # noqa: E402
from verimath.problems import Problem, write_jsonl  # noqa: E402
from verimath.strategies import get_strategy  # noqa: E402
from verimath.tinylab import held_out  # noqa: E402


def test_divergence_is_the_first_index_where_runs_differ():
    assert divergence([(1, 2, 3), (1, 2, 3)]) is None
    assert divergence([(1, 2, 3), (1, 5, 3), (1, 2, 3)]) == 1
    assert divergence([(1, 2), (1, 2, 3)]) == 2  # one run ended first
    assert divergence([(7,), (8,)]) == 0


def test_summarize_computes_the_papers_metrics_from_runs():
    same = Decoded(True, (1, 2, 3), (0.9, 0.8, 0.7))
    runs = [(BatchRun(1, 1.0, 0.1), [same, Decoded(True, (4, 5), (0.5, 0.5))]),
            (BatchRun(8, 0.5, 0.1), [same, Decoded(False, (4, 6, 7), (0.7, 0.5, 0.1))])]
    arm = summarize("bf16", runs)
    assert arm.std_accuracy == pytest.approx(math.sqrt(0.125))  # sample std of (1.0, 0.5)
    assert arm.mean_std_length == pytest.approx((0 + 0.5) / 2)
    assert (arm.divergent, arm.mean_divergence_index) == (1, 1)
    # top-1 std over positions before divergence: problem 1 all zero; problem 2 position 0 only: pstdev(.5,.7)
    assert arm.mean_std_top1 == pytest.approx((0 + 0.1) / 2)


def test_bad_dtypes_and_batch_sizes_name_the_field():
    with pytest.raises(InputError, match="unknown dtype 'fp64'") as info:
        parse_dtypes("fp32,fp64")
    assert info.value.field == "dtypes"
    assert [a.name for a in parse_dtypes("fp32,bf16,fp16,layercast")] == ["fp32", "cast-bf16", "cast-fp16",
                                                                          "layercast"]
    for bad in ("8", "1,x", "0,8", "8,8"):
        with pytest.raises(InputError) as info:
            parse_batch_sizes(bad)
        assert info.value.field == "batch-sizes"


def test_a_batch_is_decoded_together_and_its_tokens_are_the_greedy_tokens():
    """A group of questions is one padded batch (every decoding step holds all of them), and the tokens read
    from the steps are the network's own greedy continuation of each prompt decoded alone."""
    model = load_model("builtin:tiny", max_batch=8)
    local = local_torch(model)
    problems = held_out(5)
    with local.step_logits() as steps:
        decoded = decode_batch(model, get_strategy("direct", temperature=0.0), [p.question for p in problems],
                               [p.answer for p in problems])
    assert steps and all(s.shape[0] == 5 for s in steps)
    for problem, answer in zip(problems, decoded, strict=True):
        request = ChatRequest((Message("system", "Answer."), Message("user", problem.question)))
        alone = local.continuation(local.encode(request), 96)
        assert list(answer.tokens[:-1]) == alone  # the last step is the end of sequence
        assert all(0 < p <= 1 for p in answer.top1)


def test_repro_on_tiny_pal_with_a_layercast_arm():
    problems = held_out(6)
    result = repro("builtin:tiny", parse_dtypes("fp32,bf16,layercast"), (1, 3),
                   [p.question for p in problems], [p.answer for p in problems], strategy="pal")
    assert [a.arm for a in result.arms] == ["fp32", "cast-bf16", "layercast"]
    fp32 = result.arms[0]
    assert fp32.problems == 6 and [r.batch_size for r in fp32.runs] == [1, 3]
    assert all(r.accuracy > 0.5 for a in result.arms for r in a.runs)  # PAL solves the held-out set
    for arm in result.arms:
        assert arm.mean_std_length >= 0 and 0 <= arm.divergent <= 6
        assert arm.mean_std_top1 >= 0


def test_the_command_on_a_tiny_hugging_face_llama(tiny_llama_model, tmp_path):
    data = tmp_path / "d.jsonl"
    write_jsonl([Problem(f"p{i}", f"What is {i} + {i}?", str(2 * i)) for i in range(4)], data)
    done = subprocess.run([sys.executable, "-m", "verimath", "precision", "repro", "--model",
                           f"hf:{tiny_llama_model}", "--strategy", "direct", "--dtypes",
                           "fp32,bf16,layercast", "--batch-sizes", "1,4", "--dataset", str(data),
                           "--max-tokens", "6", "--out", str(tmp_path / "out"), "--json"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["problems"] == 4 and report["batch_sizes"] == [1, 4]
    assert [a["arm"] for a in report["arms"]] == ["fp32", "cast-bf16", "layercast"]
    assert (tmp_path / "out" / "repro.html").read_text().count('<svg class="figure"') == 1
