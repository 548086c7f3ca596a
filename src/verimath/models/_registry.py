"""Model specs (``PREFIX:NAME``) and the registry of backend factories."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any

from verimath.errors import InputError, import_extra
from verimath.models._base import Model

Factory = Callable[..., Model]

_FACTORIES: dict[str, Factory] = {}


def register_backend(prefix: str, factory: Factory, *, replace: bool = False) -> None:
    """Make ``load_model("PREFIX:NAME", **options)`` call ``factory(NAME, **options)``."""
    if not prefix.isidentifier():
        raise ValueError(f"a backend prefix must be an identifier, got {prefix!r}")
    if prefix in _FACTORIES and not replace:
        raise ValueError(f"backend {prefix!r} is already registered")
    _FACTORIES[prefix] = factory


def backends() -> tuple[str, ...]:
    """The registered prefixes."""
    return tuple(sorted(_FACTORIES))


def load_model(spec: str, **options: Any) -> Model:
    """Build the model named by ``spec`` (``openai:NAME``, ``hf:PATH``, ``vllm:PATH``, ``builtin:tiny``, or a
    registered prefix).

    Options go to the backend (``base_url=`` for ``openai``, ``device=`` for ``hf``, ...); options a backend
    does not take are an ``InputError``. Options whose value is ``None`` are dropped.
    """
    prefix, sep, name = spec.partition(":")
    if not sep or not name:
        raise InputError(f"model spec {spec!r} must look like PREFIX:NAME, with PREFIX one of "
                         f"{', '.join(backends())}", field="model")
    factory = _FACTORIES.get(prefix)
    if factory is None:
        raise InputError(f"unknown model backend {prefix!r}; known: {', '.join(backends())}", field="model")
    options = {k: v for k, v in options.items() if v is not None}
    return factory(name, **options)


def _lazy(prefix: str, module: str, cls_name: str, *, extra: str = "",
          needs: tuple[str, ...] = ()) -> Factory:
    """A factory that imports its backend class only when used and checks the options against it. The optional
    packages in ``needs`` are imported first, so a missing one is a ``MissingExtra`` naming ``extra``."""

    def factory(name: str, **options: Any) -> Model:
        for package in needs:
            import_extra(package, extra, f"the {prefix}: backend")
        cls = getattr(importlib.import_module(module), cls_name)
        try:
            inspect.signature(cls).bind(name, **options)
        except TypeError as exc:
            raise InputError(f"{cls_name} does not take these options: {exc}", field="model") from exc
        return cls(name, **options)

    return factory


register_backend("openai", _lazy("openai", "verimath.models._openai", "OpenAIModel", extra="models",
                                 needs=("openai",)))
register_backend("hf", _lazy("hf", "verimath.models._hf", "HFModel", extra="hf",
                             needs=("torch", "transformers")))
register_backend("vllm", _lazy("vllm", "verimath.models._vllm", "VLLMModel", extra="vllm", needs=("vllm",)))
# The tiny backend checks its extra itself (``network()``): training uses the network without the backend.
register_backend("builtin", _lazy("builtin", "verimath.models.tiny", "TinyModel"))
