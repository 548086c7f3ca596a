"""Prompt files: one TOML file per strategy in ``prompts/``, overridable key by key from a file or a dict.

A prompt file has string keys (``system``, ``question``, and per-strategy templates such as ``verify``) and an
optional ``[[examples]]`` array of ``{question, solution}`` tables (few-shot demonstrations). Templates use
``{{name}}`` placeholders, which never clash with LaTeX braces or dollars.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from verimath.errors import InputError

_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


@dataclass(frozen=True, slots=True)
class Prompts:
    """The prompts of one strategy."""

    source: str
    """Where they came from (file names)."""
    texts: Mapping[str, str]
    examples: tuple[tuple[str, str], ...]
    """Few-shot ``(question, solution)`` pairs."""

    def fill(self, key: str, **values: str) -> str:
        """The template ``key`` with its ``{{name}}`` placeholders replaced by ``values``."""
        try:
            template = self.texts[key]
        except KeyError:
            raise InputError(f"prompt {key!r} is missing", file=self.source, field=key) from None

        def sub(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in values:
                raise InputError(f"unknown placeholder {{{{{name}}}}} in prompt {key!r}", file=self.source,
                                 field=key)
            return values[name]

        return _PLACEHOLDER.sub(sub, template)


def _read(path: Path | Any, label: str) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", file=label) from exc
    except OSError as exc:
        raise InputError(f"cannot read the prompt file: {exc.strerror}", file=label) from exc


def load_prompts(strategy: str, override: str | Path | Mapping[str, Any] | None = None) -> Prompts:
    """The built-in prompts of ``strategy``, with the keys of ``override`` (a TOML file or a mapping) on top.
    Files are read once per process."""
    if override is None or isinstance(override, str | Path):
        return _load_file_prompts(strategy, override)
    return _load(strategy, override)


@functools.lru_cache(maxsize=64)
def _load_file_prompts(strategy: str, override: str | Path | None) -> Prompts:
    return _load(strategy, override)


def _load(strategy: str, override: str | Path | Mapping[str, Any] | None) -> Prompts:
    data = _read(resources.files("verimath.strategies") / "prompts" / f"{strategy}.toml", f"{strategy}.toml")
    source = f"{strategy}.toml"
    if override is not None:
        if isinstance(override, Mapping):
            extra, label = dict(override), "<prompts>"
        else:
            extra, label = _read(Path(override), str(override)), str(override)
        unknown = set(extra) - set(data) - {"examples"}
        if unknown:
            raise InputError(f"unknown prompt keys {sorted(unknown)}; this strategy has {sorted(data)}",
                             file=label, field=sorted(unknown)[0])
        data = {**data, **extra}
        source = f"{source} + {label}"
    texts = {k: v for k, v in data.items() if k != "examples"}
    bad = [k for k, v in texts.items() if not isinstance(v, str)]
    if bad:
        raise InputError("prompt values must be strings", file=source, field=bad[0])
    examples = []
    for i, ex in enumerate(data.get("examples", ())):
        if not isinstance(ex, dict) or not isinstance(ex.get("question"), str) or not isinstance(
                ex.get("solution"), str):
            raise InputError("each example needs string 'question' and 'solution'", file=source,
                             field=f"examples[{i}]")
        examples.append((ex["question"].strip(), ex["solution"].strip()))
    return Prompts(source, texts, tuple(examples))
