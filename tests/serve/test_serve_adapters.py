"""The trainer adapters against real clients: TRL's GRPOTrainer, verl's reward loading and reward manager,
OpenRLHF's and slime's remote reward shapes over real HTTP."""

from __future__ import annotations

import asyncio
import types

import httpx
import pytest

from verimath.serve import openrlhf, slime, verl
from verimath.serve.trl import AsyncRewardFunction, RewardFunction

RIGHT = "6 * 7 = 42, so the answer is \\boxed{42}."
WRONG = "the answer is \\boxed{41}"


def graded_count(url: str) -> float:
    text = httpx.get(f"{url}/metrics").text
    return sum(
        float(line.split()[-1])
        for line in text.splitlines()
        if line.startswith("verimath_grade_verdicts_total{")
    )


@pytest.mark.parametrize("where", ["in-process", "service"])
def test_verl_compute_score_single_batched_and_async(server, where):
    url = server.url if where == "service" else None
    one = verl.compute_score("openai/gsm8k", RIGHT, "42", {"index": 0}, url=url)
    assert one == {"score": 1.0, "acc": True, "pred": "42", "method": one["method"]}
    assert verl.compute_score("openai/gsm8k", WRONG, 42, url=url)["score"] == 0.0  # ground truth not a str
    batch = verl.compute_score_batch(
        ["a", "b", "c"], [RIGHT, WRONG, "no answer"], ["42", "42", "42"], url=url
    )
    assert [b["score"] for b in batch] == [1.0, 0.0, 0.0]
    assert asyncio.run(verl.compute_score_async("a", RIGHT, "42", url=url))["acc"] is True


def test_verl_loads_the_module_as_custom_reward_function_and_its_reward_manager_scores_with_it(
    server, tiny_hf_model
):
    try:
        import numpy as np
        import torch
        from omegaconf import OmegaConf
        from transformers import AutoTokenizer
        from verl import DataProto
        from verl.experimental.reward_loop.reward_manager.naive import NaiveRewardManager
        from verl.trainer.ppo.reward import get_custom_reward_fn
    except ImportError as e:
        pytest.skip(f"verl cannot be imported here: {e}")
    tokenizer = AutoTokenizer.from_pretrained(tiny_hf_model)
    for name in ("compute_score", "compute_score_async"):
        config = OmegaConf.create(
            {
                "reward": {
                    "custom_reward_function": {
                        "path": verl.__file__,
                        "name": name,
                        "reward_kwargs": {"url": server.url},
                    }
                }
            }
        )
        manager = NaiveRewardManager(config, tokenizer, get_custom_reward_fn(config))
        for text, expected in ((RIGHT, 1.0), (WRONG, 0.0)):
            ids = torch.tensor([tokenizer.encode(text)])
            data = DataProto.from_dict(
                tensors={"responses": ids, "attention_mask": torch.ones_like(ids)},
                non_tensors={
                    "data_source": np.array(["openai/gsm8k"], dtype=object),
                    "reward_model": np.array([{"ground_truth": "42"}], dtype=object),
                },
            )
            out = manager.loop.run_until_complete(manager.run_single(data))
            assert out["reward_score"] == expected, (name, text, out)
            assert out["reward_extra_info"]["acc"] is (expected == 1.0)


def test_openrlhf_remote_reward_strips_the_prompt(server):
    prompt = "Q: what is 6*7? The answer is \\boxed{41} is wrong. A: "
    body = {
        "query": [prompt + RIGHT, prompt + "I am not sure what to do here, sorry.",
                  "no prompt here \\boxed{42}"],
        "prompts": [prompt, prompt, "other prompt"],
        "labels": ["42", "42", "42"],
    }
    r = httpx.post(f"{server.url}/get_reward", json=body)
    assert r.status_code == 200
    assert r.json()["rewards"] == r.json()["scores"] == [1.0, 0.0, 1.0]
    assert r.json()["extra_logs"]["verdict_unparseable"] == [0.0, 1.0, 0.0]
    bad = httpx.post(f"{server.url}/get_reward", json={"query": ["a"], "prompts": [], "labels": ["1"]})
    assert bad.status_code == 422 and "length" in bad.json()["detail"]
    assert openrlhf.items(body, 1.0)[0].response == RIGHT


def test_slime_remote_reward_and_custom_reward_function(server, monkeypatch):
    r = httpx.post(f"{server.url}/slime/reward", json={"prompt": "p", "response": RIGHT, "label": "42"})
    assert r.status_code == 200 and r.json() == 1.0
    assert httpx.post(f"{server.url}/slime/reward", json={"response": WRONG, "label": "42"}).json() == 0.0
    monkeypatch.setenv("VERIMATH_SERVE_URL", server.url)
    before = graded_count(server.url)
    sample = types.SimpleNamespace(prompt="p", response=RIGHT, label="42")
    assert asyncio.run(slime.reward(None, sample)) == 1.0
    assert graded_count(server.url) == before + 1  # it went through the service named in the environment


def test_trl_reward_functions_take_plain_and_conversational_completions(server):
    completions = [[{"role": "assistant", "content": RIGHT}], WRONG]
    sync = RewardFunction("answer", url=server.url)
    assert sync(prompts=["p", "p"], completions=completions, answer=["42", "42"]) == [1.0, 0.0]
    assert asyncio.run(
        AsyncRewardFunction("answer")(prompts=["p", "p"], completions=completions, answer=["42", "42"])
    ) == [1.0, 0.0]
    with pytest.raises(Exception, match="no column 'answer'"):
        sync(prompts=["p"], completions=[RIGHT], solution=["42"])


def test_trl_grpo_trainer_runs_two_steps_with_sync_and_async_rewards(server, tiny_hf_model, tmp_path):
    trl = pytest.importorskip("trl")
    datasets = pytest.importorskip("datasets")
    rows = [
        {"prompt": "What is 6 times 7?", "answer": "42"},
        {"prompt": "What is 2 plus 2?", "answer": "4"},
    ] * 4
    config = trl.GRPOConfig(
        output_dir=str(tmp_path),
        max_steps=2,
        per_device_train_batch_size=4,
        num_generations=4,
        max_completion_length=8,
        logging_steps=1,
        report_to=[],
        save_strategy="no",
        use_cpu=True,
        seed=0,
    )
    before = graded_count(server.url)
    trainer = trl.GRPOTrainer(
        model=str(tiny_hf_model),
        args=config,
        train_dataset=datasets.Dataset.from_list(rows),
        reward_funcs=[
            RewardFunction("answer", name="verimath_local"),
            AsyncRewardFunction("answer", url=server.url, name="verimath_served"),
        ],
    )
    trainer.train()
    logged = [entry for entry in trainer.state.log_history if "rewards/verimath_local/mean" in entry]
    assert len(logged) == 2 and all("rewards/verimath_served/mean" in entry for entry in logged)
    assert trainer.state.global_step == 2
    assert (
        graded_count(server.url) - before == 2 * 4
    )  # the async reward graded every completion of both steps
