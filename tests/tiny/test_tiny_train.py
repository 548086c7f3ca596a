"""Training from scratch on a tiny configuration: the loss drops, the weights file loads and decodes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("safetensors")

from verimath.models import load_model
from verimath.models.tiny import load_checkpoint
from verimath.tinylab import TrainConfig, TrainProgress, train


def test_a_few_steps_lower_the_loss_and_write_a_loadable_model(tmp_path: Path) -> None:
    seen: list[TrainProgress] = []
    config = TrainConfig(steps=60, batch=16, per_template=2, d_model=32, n_layers=1, n_heads=2, warmup=5,
                         lr=3e-3)
    result = train(config, tmp_path / "tiny.safetensors", seen.append, progress_every=10)
    assert [p.step for p in seen] == [10, 20, 30, 40, 50, 60]
    assert seen[-1].loss < 0.7 * seen[0].loss
    record = json.loads((tmp_path / "tiny.json").read_text())
    assert record["training"]["steps"] == 60 and record["config"]["d_model"] == 32
    net, checkpoint = load_checkpoint(result.path)
    assert net.parameter_count() == result.parameters
    prompt = checkpoint.tokenizer.encode_question("Ava buys 4 notebooks at $3 each.", "pal").ids
    assert len(net.greedy([prompt, prompt[:5]], 8)) == 2
    model = load_model(f"builtin:{result.path}")
    assert model.name == f"builtin:{result.path}"


def test_same_seed_same_weights(tmp_path: Path) -> None:
    config = TrainConfig(steps=5, batch=4, per_template=1, d_model=16, n_layers=1, n_heads=2, warmup=2)
    a = train(config, tmp_path / "a" / "tiny.safetensors")
    b = train(config, tmp_path / "b" / "tiny.safetensors")
    assert a.path.read_bytes() == b.path.read_bytes()


def test_bad_config_is_an_input_error() -> None:
    from verimath.errors import InputError

    with pytest.raises(InputError):
        TrainConfig(steps=0)
    with pytest.raises(InputError, match="direct_format"):
        TrainConfig(direct_format="sideways")  # type: ignore[arg-type]


def test_an_unwritable_destination_fails_before_any_training(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    seen: list[TrainProgress] = []
    with pytest.raises(OSError):
        train(TrainConfig(steps=5, batch=4, per_template=1, d_model=16, n_layers=1, n_heads=2, warmup=2),
              blocker / "out" / "tiny.safetensors", seen.append, progress_every=1)
    assert seen == []
