"""The reversible arm swap on real models: builtin:tiny, a tiny Llama and a tiny GPT-2 (random weights)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("ml_dtypes")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from torch.nn import functional as F  # noqa: E402

from verimath.errors import InputError  # noqa: E402
from verimath.models import load_model  # noqa: E402
from verimath.precision import (  # noqa: E402
    decoder_layers,
    emulated_attention,
    emulated_matmul,
    local_torch,
    parse_arm,
    parse_arms,
    parse_mode,
    parse_scopes,
    swap,
)

ARMS = ("bf16", "e4m3", "lmul3", "cast-bf16", "cast-fp16", "layercast")


@pytest.fixture(scope="module")
def tiny():
    return load_model("builtin:tiny").net


@pytest.fixture(scope="module")
def llama(tiny_llama_model):
    return load_model(f"hf:{tiny_llama_model}", device="cpu").model


@pytest.fixture(scope="module")
def gpt2(tiny_hf_model):
    return load_model(f"hf:{tiny_hf_model}", device="cpu").model


def _snapshot(model):
    """Every parameter and buffer: the object, its dtype and a copy of its bits."""
    return [(name, t.data if isinstance(t, torch.nn.Parameter) else t, t.dtype, t.detach().clone())
            for name, t in [*model.named_parameters(), *model.named_buffers()]]


def _assert_restored(model, snapshot, ids, reference, forward):
    assert [(n, d) for n, _, d, _ in snapshot] == [
        (n, t.dtype) for n, t in [*model.named_parameters(), *model.named_buffers()]]
    for (name, _, _, bits), (_, now) in zip(snapshot, [*model.named_parameters(), *model.named_buffers()],
                                            strict=True):
        assert torch.equal(bits, now.detach()), name
    assert torch.equal(forward(model, ids), reference)
    assert not any("forward" in m.__dict__ for m in model.modules())


def _tiny_forward(net, ids):
    with torch.inference_mode():
        return net(ids)[0]


def _hf_forward(model, ids):
    with torch.inference_mode():
        return model(input_ids=ids).logits


@pytest.mark.parametrize("arm", ARMS)
def test_every_arm_changes_tiny_and_restores_it_bit_for_bit(tiny, arm):
    ids = torch.randint(3, 40, (1, 16))
    reference = _tiny_forward(tiny, ids)
    snapshot = _snapshot(tiny)
    scopes = ("attention", "linear", "all") if parse_arm(arm).scoped else ("all",)
    for scope in scopes:
        with swap(tiny, arm, scope):
            changed = _tiny_forward(tiny, ids)
        assert changed.shape == reference.shape
        assert not torch.equal(changed.float(), reference), (arm, scope)
        assert torch.isfinite(changed).all()
        _assert_restored(tiny, snapshot, ids, reference, _tiny_forward)
    assert all(block.attention is F.scaled_dot_product_attention for block in tiny.blocks)


def test_emulated_linear_is_emulated_matmul_plus_bias(tiny):
    layer = tiny.blocks[0].qkv
    x = torch.randn(3, 5, layer.in_features)
    mode = parse_mode("lmul4")
    expected = emulated_matmul(x.reshape(15, -1), layer.weight.T, mode) + layer.bias
    with swap(tiny, "lmul4", "linear"), torch.inference_mode():
        got = layer(x)
    assert torch.equal(got, expected.reshape(3, 5, -1))


def test_emulated_attention_computes_torchs_attention_on_the_tiny_masks(tiny):
    """The replacement computes the same function as torch's attention, masks included: exactly up to
    summation order without a mode, within bf16 input rounding under bf16."""
    q, k, v = (torch.randn(2, 4, 6, 32) for _ in range(3))
    mask = torch.ones(6, 6, dtype=torch.bool).tril()[None, None].expand(2, 1, 6, 6).clone()
    mask[0, :, :, 0] = False
    mask[0, :, 0, 0] = True
    expected = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    plain, _ = emulated_attention(q, k, v, None, scale=32 ** -0.5, mask=mask)
    assert torch.allclose(plain, expected, atol=1e-6)
    with swap(tiny, "bf16", "attention"):
        attend = tiny.blocks[0].attention
        got = attend(q, k, v, attn_mask=mask)
        causal = attend(q, k, v, is_causal=True)
    assert torch.allclose(got, expected, atol=3e-2)
    assert torch.allclose(causal, F.scaled_dot_product_attention(q, k, v, is_causal=True), atol=3e-2)


def test_layers_limit_the_swap_to_those_decoder_layers(tiny):
    with swap(tiny, "lmul3", "all", layers=[1]):
        assert "forward" in tiny.blocks[1].qkv.__dict__
        assert "forward" not in tiny.blocks[0].qkv.__dict__
        assert tiny.blocks[1].attention is not F.scaled_dot_product_attention
        assert tiny.blocks[2].attention is F.scaled_dot_product_attention
    with pytest.raises(InputError, match="layer 9 is out of range"):
        swap(tiny, "lmul3", "all", layers=[9])
    assert not any("forward" in m.__dict__ for m in tiny.modules())


@settings(max_examples=8, deadline=None)
@given(arm=st.sampled_from(ARMS), scope=st.sampled_from(("attention", "linear", "all")),
       layers=st.none() | st.sets(st.integers(0, 3), min_size=1).map(sorted))
def test_restore_is_the_identity_for_any_arm_scope_and_layers(tiny, arm, scope, layers):
    ids = torch.tensor([[5, 9, 12, 7, 30, 4]])
    reference = _tiny_forward(tiny, ids)
    snapshot = _snapshot(tiny)
    handle = swap(tiny, arm, scope, layers=layers if parse_arm(arm).scoped else None)
    _tiny_forward(tiny, ids)
    handle.restore()
    handle.restore()  # idempotent
    _assert_restored(tiny, snapshot, ids, reference, _tiny_forward)


@pytest.mark.parametrize("arm", ["lmul3", "e5m2", "cast-bf16", "layercast"])
def test_llama_swaps_attention_and_linear_and_restores(llama, arm):
    ids = torch.randint(0, 300, (2, 9))
    reference = _hf_forward(llama, ids)
    snapshot = _snapshot(llama)
    implementation = llama.config._attn_implementation
    scopes = ("attention", "linear", "all") if parse_arm(arm).scoped else ("all",)
    for scope in scopes:
        with swap(llama, arm, scope):
            if scope != "linear" and parse_arm(arm).scoped:
                assert llama.config._attn_implementation == "verimath_emulated"
            changed = _hf_forward(llama, ids)
        assert not torch.equal(changed.float(), reference), (arm, scope)
        assert llama.config._attn_implementation == implementation
        _assert_restored(llama, snapshot, ids, reference, _hf_forward)


def test_llama_linear_scope_includes_the_output_head(llama):
    with swap(llama, "lmul3", "linear"):
        assert "forward" in llama.lm_head.__dict__
    with swap(llama, "lmul3", "linear", layers=[0]):
        assert "forward" not in llama.lm_head.__dict__
        assert "forward" in decoder_layers(llama)[0].mlp.down_proj.__dict__


def test_gpt2_conv1d_layers_are_linear_layers_too(gpt2):
    ids = torch.randint(0, 300, (1, 7))
    reference = _hf_forward(gpt2, ids)
    snapshot = _snapshot(gpt2)
    with swap(gpt2, "e4m3", "linear"):
        assert "forward" in decoder_layers(gpt2)[0].attn.c_attn.__dict__
        assert not torch.equal(_hf_forward(gpt2, ids), reference)
    with swap(gpt2, "e4m3", "attention"):
        assert not torch.equal(_hf_forward(gpt2, ids), reference)
    _assert_restored(gpt2, snapshot, ids, reference, _hf_forward)


def test_local_torch_refuses_a_remote_model():
    model = load_model("openai:some-model", base_url="http://127.0.0.1:9/v1")
    with pytest.raises(InputError, match="needs a local torch model"):
        local_torch(model)


@pytest.mark.parametrize(("text", "message"), [
    ("fp32,lmul3,fp32", "'fp32' is given twice"),
    ("fp32,e9m9", "unknown"),
    ("", "no arm given"),
])
def test_bad_arm_lists_name_the_field(text, message):
    with pytest.raises(InputError, match=message) as info:
        parse_arms(text)
    assert info.value.field == "arms"


def test_bad_scopes_name_the_field():
    with pytest.raises(InputError, match="unknown scope 'attn'"):
        parse_scopes("attention,attn")
    with pytest.raises(InputError, match="given twice"):
        parse_scopes("all,all")
