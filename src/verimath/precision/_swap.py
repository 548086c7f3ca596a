"""Reversible arithmetic swaps on PyTorch models: the arms of the precision lab applied to a live model.

An *arm* names an arithmetic:

* ``fp32`` — the reference: the model as loaded, untouched;
* an emulated matmul mode (``bf16``, ``fp16``, ``e4m3``, ``e5m2``, ``e3m4``, ``lmul3``, ``lmul4``, ... — any
  name ``parse_mode`` reads): the matmuls in a *scope* are computed by ``emulated_matmul`` under that mode,
  everything else stays fp32;
* ``cast-bf16`` / ``cast-fp16`` — the whole model (weights and compute) in that torch dtype, torch's own
  kernels (what serving a model in bf16 does);
* ``layercast`` — LayerCast ("Give Me FP32 or Give Me Death?", arXiv 2506.09501): weights stored in bf16,
  every computation in fp32. The weights are rounded to bf16 and kept in fp32 tensors, which computes exactly
  what upcasting bf16 storage just in time computes (the memory saving is not what the lab measures).

Scopes (emulated arms only): ``attention`` — the two products of attention, qkᵀ and attention·v; ``linear`` —
every ``nn.Linear`` (and GPT-2's ``Conv1D``); ``all`` — both. In ``builtin:tiny`` the tied output projection
is a plain matmul, not a layer, and stays fp32; in Hugging Face models ``lm_head`` is an ``nn.Linear`` and is
swapped. ``layers=`` restricts a swap to some decoder layers (then nothing outside them is swapped).

How: a linear layer gets an instance ``forward``; a tiny block's ``attention`` attribute is replaced; a
Hugging Face model is switched to an attention function registered with transformers' ``AttentionInterface``
(``verimath_emulated``, eager masks) that emulates the modules the swap names and computes the others in
plain fp32. :class:`Swap` remembers every attribute, tensor object and setting it replaced and
:meth:`Swap.restore` puts those very objects back, so weights and outputs are bit-identical afterwards.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import nn

from verimath.errors import InputError
from verimath.precision._matmul import emulated_matmul, parse_mode

SCOPES = ("attention", "linear", "all")
REFERENCE = "fp32"
CASTS = {"cast-bf16": torch.bfloat16, "cast-fp16": torch.float16}
LAYERCAST = "layercast"
HF_ATTENTION = "verimath_emulated"
"""The name the emulated attention function is registered under in transformers."""

ArmKind = Literal["reference", "emulated", "cast", "layercast"]
_ABSENT = object()
"""Marks an attribute a swap set where the object had none of its own (restore deletes it)."""


@dataclass(frozen=True, slots=True)
class Arm:
    """One arithmetic to run a model in (see the module docstring)."""

    name: str
    kind: ArmKind
    mode: Any = None
    """The ``MatmulMode`` of an emulated arm."""

    @property
    def scoped(self) -> bool:
        """Whether the arm takes a scope (only emulated matmuls do; the others change the whole model)."""
        return self.kind == "emulated"


def parse_arm(name: str) -> Arm:
    """The arm called ``name``; an unknown name is an ``InputError`` listing the known kinds."""
    name = name.strip()
    if name == REFERENCE:
        return Arm(name, "reference")
    if name in CASTS:
        return Arm(name, "cast")
    if name == LAYERCAST:
        return Arm(name, "layercast")
    try:
        return Arm(name, "emulated", parse_mode(name))
    except InputError as exc:
        raise InputError(f"{exc}; or a whole-model arm: {', '.join(CASTS)}, {LAYERCAST}",
                         field="arms") from None


def parse_arms(text: str | Sequence[str]) -> tuple[Arm, ...]:
    """Arms from a comma-separated list (or a sequence of names), in order, each once."""
    names = [n.strip() for n in (text.split(",") if isinstance(text, str) else text) if n.strip()]
    if not names:
        raise InputError("no arm given", field="arms")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InputError(f"arm {repeated[0]!r} is given twice", field="arms")
    return tuple(parse_arm(n) for n in names)


def parse_scopes(text: str | Sequence[str]) -> tuple[str, ...]:
    """Scopes from a comma-separated list, in order, each once; an unknown one is an ``InputError``."""
    names = [n.strip() for n in (text.split(",") if isinstance(text, str) else text) if n.strip()]
    if not names:
        raise InputError("no scope given", field="scope")
    for n in names:
        if n not in SCOPES:
            raise InputError(f"unknown scope {n!r}; scopes are {', '.join(SCOPES)}", field="scope")
        if names.count(n) > 1:
            raise InputError(f"scope {n!r} is given twice", field="scope")
    return tuple(names)


def decoder_layers(model: nn.Module) -> nn.ModuleList:
    """The model's stack of decoder layers: the ``nn.ModuleList`` of same-class modules holding the most
    parameters (``blocks`` in ``builtin:tiny``, ``model.layers`` in Llama/Qwen, ``transformer.h`` in
    GPT-2)."""
    best: nn.ModuleList | None = None
    best_size = -1
    for module in model.modules():
        if isinstance(module, nn.ModuleList) and len(module) and len({type(m) for m in module}) == 1:
            size = sum(p.numel() for p in module.parameters())
            if size > best_size:
                best, best_size = module, size
    if best is None:
        raise InputError(f"{type(model).__name__} has no stack of decoder layers (an nn.ModuleList)",
                         field="model")
    return best


def batched_matmul(a: torch.Tensor, b: torch.Tensor, mode: Any) -> torch.Tensor:
    """``a @ b`` (batch dimensions broadcast) by ``emulated_matmul`` under ``mode``; ``None`` is torch's own
    fp32 matmul. The result has ``a``'s dtype."""
    if mode is None:
        return torch.matmul(a.float(), b.float()).to(a.dtype)
    return emulated_matmul(a.float(), b.float(), mode).to(a.dtype)


def emulated_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mode: Any, *, scale: float,
                       mask: torch.Tensor | None = None,
                       causal: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """softmax(q·kᵀ·scale + mask)·v with both products under ``mode`` (softmax in fp32). ``mask`` is boolean
    (True: attend) or additive; ``causal`` masks later keys. Returns (output, attention weights)."""
    scores = batched_matmul(q, k.transpose(-1, -2), mode).float() * scale
    if causal:
        tq, tk = scores.shape[-2:]
        allowed = torch.ones(tq, tk, dtype=torch.bool, device=q.device).tril(tk - tq)
        scores = scores.masked_fill(~allowed, -math.inf)
    if mask is not None:
        scores = scores.masked_fill(~mask, -math.inf) if mask.dtype == torch.bool else scores + mask.float()
    weights = torch.softmax(scores, dim=-1)
    return batched_matmul(weights.to(v.dtype), v, mode), weights


class _TinyAttention:
    """A drop-in for ``F.scaled_dot_product_attention`` in a tiny block, emulating both products."""

    def __init__(self, mode: Any) -> None:
        self.mode = mode

    def __call__(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                 attn_mask: torch.Tensor | None = None, dropout_p: float = 0.0, is_causal: bool = False,
                 scale: float | None = None) -> torch.Tensor:
        out, _ = emulated_attention(q, k, v, self.mode, scale=scale or q.shape[-1] ** -0.5, mask=attn_mask,
                                    causal=is_causal)
        return out


class _EmulatedLinear:
    """An instance ``forward`` for ``nn.Linear`` (y = x·Wᵀ + b) or GPT-2's ``Conv1D`` (y = x·W + b)."""

    def __init__(self, layer: nn.Module, mode: Any) -> None:
        self.layer = weakref.ref(layer)  # the layer holds this object: no strong cycle
        self.mode = mode

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        layer = self.layer()
        assert layer is not None
        weight = layer.weight.T if isinstance(layer, nn.Linear) else layer.weight
        out = batched_matmul(x.reshape(-1, x.shape[-1]), weight, self.mode)
        if layer.bias is not None:
            out = out + layer.bias.to(out.dtype)
        return out.reshape(*x.shape[:-1], out.shape[-1])


# module -> mode for the attention modules a live swap emulates (Hugging Face models)
_HF_MODES: weakref.WeakKeyDictionary[nn.Module, Any] = weakref.WeakKeyDictionary()


def _hf_attention(module: nn.Module, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                  attention_mask: torch.Tensor | None, scaling: float | None = None, dropout: float = 0.0,
                  **kwargs: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """transformers' attention-function signature: eager attention, emulated for the modules in
    ``_HF_MODES``, plain fp32 for the others."""
    groups = getattr(module, "num_key_value_groups", 1)
    if groups > 1:  # grouped-query attention: each key/value head serves ``groups`` query heads
        key, value = key.repeat_interleave(groups, dim=1), value.repeat_interleave(groups, dim=1)
    if attention_mask is not None and attention_mask.dim() == 4:
        attention_mask = attention_mask[:, :, :, : key.shape[-2]]
    out, weights = emulated_attention(query, key, value, _HF_MODES.get(module),
                                      scale=scaling if scaling is not None else query.shape[-1] ** -0.5,
                                      mask=attention_mask)
    return out.transpose(1, 2).contiguous(), weights


def _register_hf_attention() -> None:
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, eager_mask

    AttentionInterface.register(HF_ATTENTION, _hf_attention)
    AttentionMaskInterface.register(HF_ATTENTION, eager_mask)


def _is_linear(module: nn.Module) -> bool:
    return isinstance(module, nn.Linear) or (type(module).__name__ == "Conv1D" and hasattr(module, "nf"))


def _is_hf_attention(module: nn.Module) -> bool:
    return type(module).__name__.endswith("Attention") and hasattr(module, "config")


class Swap:
    """A live change of ``model``'s arithmetic to ``arm`` (in ``scope``, in the decoder ``layers`` given or
    everywhere); a context manager, and :meth:`restore` puts back exactly what was replaced."""

    def __init__(self, model: nn.Module, arm: Arm, scope: str = "all", *,
                 layers: Sequence[int] | None = None) -> None:
        if scope not in SCOPES:
            raise InputError(f"unknown scope {scope!r}; scopes are {', '.join(SCOPES)}", field="scope")
        self.model, self.arm, self.scope = model, arm, scope
        self.layers = None if layers is None else tuple(layers)
        self._attributes: list[tuple[Any, str, Any]] = []
        """(object, attribute, previous value or _ABSENT) in the order they were set."""
        self._tensors: list[tuple[nn.Module, str, bool, torch.Tensor]] = []
        """(module, name, is_parameter, original tensor)."""
        self._hf_modules: list[nn.Module] = []
        self._hf_implementation: str | None = None
        self.active = True
        try:
            self._apply()
        except BaseException:
            self.restore()
            raise

    def _regions(self) -> Iterator[nn.Module]:
        if self.layers is None:
            yield self.model
            return
        stack = decoder_layers(self.model)
        for i in self.layers:
            if not 0 <= i < len(stack):
                raise InputError(f"layer {i} is out of range (the model has {len(stack)})", field="layers")
            yield stack[i]

    def _modules(self) -> Iterator[nn.Module]:
        seen: set[int] = set()
        for region in self._regions():
            for module in region.modules():
                if id(module) not in seen:
                    seen.add(id(module))
                    yield module

    def _set(self, obj: Any, name: str, value: Any) -> None:
        self._attributes.append((obj, name, obj.__dict__.get(name, _ABSENT)))
        setattr(obj, name, value)

    def _apply(self) -> None:
        kind = self.arm.kind
        if kind == "reference":
            return
        if kind in ("cast", "layercast"):
            self._save_tensors()
            if kind == "cast":
                self.model.to(CASTS[self.arm.name])
            else:
                with torch.no_grad():
                    for module, name, is_param, tensor in self._tensors:
                        if is_param and tensor.is_floating_point():
                            module._parameters[name].data = tensor.to(torch.bfloat16).to(tensor.dtype)
            return
        mode = self.arm.mode
        hf = hasattr(self.model, "set_attn_implementation")
        for module in self._modules():
            if self.scope in ("linear", "all") and _is_linear(module):
                self._set(module, "forward", _EmulatedLinear(module, mode))
            if self.scope in ("attention", "all"):
                if hf and _is_hf_attention(module):
                    self._hf_modules.append(module)
                elif callable(getattr(module, "attention", None)) and "attention" in module.__dict__:
                    self._set(module, "attention", _TinyAttention(mode))
        if self._hf_modules:
            _register_hf_attention()
            self._hf_implementation = self.model.config._attn_implementation  # type: ignore[union-attr]
            for module in self._hf_modules:
                _HF_MODES[module] = mode
            self.model.set_attn_implementation(HF_ATTENTION)  # type: ignore[operator]

    def _save_tensors(self) -> None:
        for module in self.model.modules():
            for store, is_param in ((module._parameters, True), (module._buffers, False)):
                for name, tensor in store.items():
                    if tensor is not None:
                        self._tensors.append((module, name, is_param, tensor.data if is_param else tensor))

    def restore(self) -> None:
        """Put back every attribute, tensor and setting the swap replaced (idempotent)."""
        if not self.active:
            return
        self.active = False
        for obj, name, previous in reversed(self._attributes):
            if previous is _ABSENT:
                obj.__dict__.pop(name, None)
            else:
                obj.__dict__[name] = previous
        for module, name, is_param, tensor in self._tensors:
            if is_param:
                module._parameters[name].data = tensor  # type: ignore[union-attr]
            else:
                module._buffers[name] = tensor
        for module in self._hf_modules:
            _HF_MODES.pop(module, None)
        if self._hf_implementation is not None:
            self.model.set_attn_implementation(self._hf_implementation)  # type: ignore[operator]

    def __enter__(self) -> Swap:
        return self

    def __exit__(self, *exc: object) -> None:
        self.restore()


def swap(model: nn.Module, arm: Arm | str, scope: str = "all", *,
         layers: Sequence[int] | None = None) -> Swap:
    """Run ``model`` in ``arm`` (an :class:`Arm` or its name) within ``scope``; use as a context manager or
    call ``restore()``."""
    return Swap(model, parse_arm(arm) if isinstance(arm, str) else arm, scope, layers=layers)
