"""Grading over real HTTP: verdicts, batches in order, the wire form, health, info and metrics."""

from __future__ import annotations

import httpx
import pytest

from verimath.answers import Verdict, grade


def test_a_correct_answer_is_a_200_with_its_verdict(server):
    r = httpx.post(f"{server.url}/v1/grade", json={"response": "so x = \\boxed{\\frac{1}{2}}", "gold": "0.5"})
    assert r.status_code == 200
    body = r.json()
    assert (body["score"], body["correct"], body["verdict"], body["extracted"]) == (
        1.0,
        True,
        "correct",
        "\\frac{1}{2}",
    )
    assert body["elapsed_ms"] >= 0
    assert Verdict.from_dict(body).correct  # the verdict's own wire form


@pytest.mark.parametrize(
    ("response", "label"),
    [
        ("the answer is \\boxed{3}", "incorrect"),
        ("Let me think about it step by step.", "unparseable"),  # prose, no answer
        ("\\boxed{3 +* }", "unparseable"),
        ("\x00" * 10_000, "unparseable"),
    ],
)
def test_a_bad_model_output_is_a_200_with_a_verdict(server, response, label):
    r = httpx.post(f"{server.url}/v1/grade", json={"response": response, "gold": "2"})
    assert r.status_code == 200
    assert (r.json()["verdict"], r.json()["score"]) == (label, 0.0)


def test_a_batch_answers_every_item_in_order_as_the_library_would(server, real_pairs):
    items = [{"response": p, "gold": g} for p, g in real_pairs]
    r = httpx.post(f"{server.url}/v1/grade/batch", json={"items": items, "timeout_ms": 5000}, timeout=60)
    assert r.status_code == 200
    body = r.json()
    assert len(body["results"]) == len(real_pairs)
    assert [x["correct"] for x in body["results"]] == [grade(p, g, budget=5).correct for p, g in real_pairs]
    assert [x["extracted"] for x in body["results"]] == [
        grade(p, g, budget=5).extracted for p, g in real_pairs
    ]
    stats = body["stats"]
    assert stats["items"] == len(real_pairs)
    assert stats["correct"] == sum(x["correct"] for x in body["results"]) > 0


def test_an_empty_batch_is_answered_at_once(server):
    r = httpx.post(f"{server.url}/v1/grade/batch", json={"items": []})
    assert r.status_code == 200 and r.json()["results"] == []


@pytest.mark.parametrize(
    ("path", "body", "where"),
    [
        ("/v1/grade", b"{not json", "body"),
        ("/v1/grade", b'["a list"]', "body"),
        ("/v1/grade", b'{"response": "x"}', "gold"),
        ("/v1/grade", b'{"response": "x", "gold": true}', "gold"),
        ("/v1/grade", b'{"response": "x", "gold": null}', "gold"),
        ("/v1/grade", b'{"response": "x", "gold": [1]}', "gold"),
        ("/slime/reward", b'{"response": "x", "label": false}', "label"),
        ("/get_reward", b'{"query": ["x"], "labels": [{"a": 1}]}', "labels[0]"),
        ("/v1/grade", b'{"response": 3, "gold": "3"}', "response"),
        ("/v1/grade", b'{"response": "x", "gold": "3", "timeout_ms": -1}', "timeout_ms"),
        ("/v1/grade", b'{"response": "x", "gold": "3", "extract": "yes"}', "extract"),
        ("/v1/grade/batch", b'{"items": {"response": "x"}}', "items"),
        (
            "/v1/grade/batch",
            b'{"items": [{"response": "x", "gold": "1"}, {"gold": "1"}]}',
            "items[1].response",
        ),
    ],
)
def test_a_malformed_request_is_a_422_naming_the_field(server, path, body, where):
    r = httpx.post(f"{server.url}{path}", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert f"'{where}'" in r.json()["detail"]


def test_numeric_golds_are_graded_as_their_value(server):
    """RL datasets often store the reference as a JSON number; each request shape takes one."""
    right, wrong = "so the answer is \\boxed{42}", "so the answer is \\boxed{41}"
    for gold in (42, 42.0):
        r = httpx.post(f"{server.url}/v1/grade", json={"response": right, "gold": gold})
        assert r.status_code == 200 and r.json()["correct"] is True, r.json()
    batch = {"items": [{"response": right, "gold": 42}, {"response": wrong, "gold": 42},
                       {"response": "\\boxed{0.5}", "gold": 0.5}]}
    r = httpx.post(f"{server.url}/v1/grade/batch", json=batch)
    assert [x["correct"] for x in r.json()["results"]] == [True, False, True]
    assert httpx.post(f"{server.url}/slime/reward", json={"response": right, "label": 42}).json() == 1.0
    r = httpx.post(f"{server.url}/get_reward", json={"query": [right, wrong], "labels": [42, 42]})
    assert r.json()["rewards"] == [1.0, 0.0]


def test_a_retried_batch_with_the_same_idempotency_key_gets_the_same_answer(server):
    body = {"items": [{"response": "\\boxed{7}", "gold": "7"}] * 3}
    first = httpx.post(f"{server.url}/v1/grade/batch", json=body, headers={"idempotency-key": "k-123"})
    again = httpx.post(f"{server.url}/v1/grade/batch", json=body, headers={"idempotency-key": "k-123"})
    other = httpx.post(f"{server.url}/v1/grade/batch", json=body, headers={"idempotency-key": "k-456"})
    assert first.status_code == again.status_code == 200
    assert first.content == again.content  # the stored answer, elapsed times included
    assert other.content != first.content


def test_health_readiness_and_info(server):
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{server.url}/readyz").json()
    assert ready["ready"] and ready["grading"]
    info = httpx.get(f"{server.url}/v1/info").json()
    assert info["limits"]["workers"] == 2 and len(info["grading_worker_pids"]) == 2
    assert info["limits"]["max_body_bytes"] > 0 and "token" not in info["limits"]
    assert info["sandbox"] in ("ready", "off") or info["sandbox"].startswith("unavailable")


def test_metrics_count_verdicts_in_prometheus_text(server):
    def count(text: str, line: str) -> float:
        found = [ln for ln in text.splitlines() if ln.startswith(line + " ")]
        return float(found[0].split()[-1]) if found else 0.0

    before = httpx.get(f"{server.url}/metrics").text
    httpx.post(
        f"{server.url}/v1/grade/batch",
        json={"items": [{"response": "\\boxed{1}", "gold": "1"}, {"response": "\\boxed{1}", "gold": "2"}]},
    )
    r = httpx.get(f"{server.url}/metrics")
    assert r.headers["content-type"].startswith("text/plain")
    for label in ("correct", "incorrect"):
        line = f'verimath_grade_verdicts_total{{verdict="{label}"}}'
        assert count(r.text, line) == count(before, line) + 1
    assert "# TYPE verimath_http_request_seconds histogram" in r.text
    assert count(r.text, "verimath_grade_queue_depth") == 0
    assert 'verimath_http_request_seconds_bucket{route="/v1/grade/batch",le="+Inf"}' in r.text
