"""``hf:PATH_OR_ID`` — a local Hugging Face transformers causal LM (optional extra ``verimath[hf]``).

Requests waiting at the same time with the same sampling settings are generated as one left-padded batch in
a worker thread; the model runs one batch at a time.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import Any

from verimath.errors import ModelError
from verimath.models._base import Backend, cut_at_stop
from verimath.models._types import ChatRequest, Completion, Message, Request, Sampling, Usage


def render_plain_chat(messages: tuple[Message, ...]) -> str:
    """The prompt used when a tokenizer has no chat template: one ``Role: text`` block per message."""
    body = "".join(f"{m.role.capitalize()}: {m.content}\n\n" for m in messages)
    return body + "Assistant:"


class _StopInGenerated:
    """Stops a row once a stop string appears in its *generated* text (transformers' own ``stop_strings`` also
    match across the end of the prompt, which OpenAI-style stop semantics do not)."""

    def __init__(self, tokenizer: Any, stop: tuple[str, ...], prompt_len: int) -> None:
        self.tokenizer, self.stop, self.prompt_len = tokenizer, stop, prompt_len
        self.window = max(len(x) for x in stop) + 8  # a token decodes to at least one character, bar specials

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        start = max(self.prompt_len, input_ids.shape[1] - self.window)
        tails = self.tokenizer.batch_decode(input_ids[:, start:], skip_special_tokens=True)
        return torch.tensor([any(x in t for x in self.stop) for t in tails], device=input_ids.device)


@dataclass(slots=True)
class _Pending:
    prompt: str
    sampling: Sampling
    future: asyncio.Future[list[Completion]]


class HFModel(Backend):
    """A transformers model loaded from a local folder (or a hub id already in the local cache)."""

    def __init__(self, path: str, *, device: str | None = None, dtype: str | None = None,
                 max_batch: int = 16, trust_remote_code: bool = False) -> None:
        super().__init__(f"hf:{path}", max_concurrency=1 << 16)
        try:
            import torch
            import transformers
        except ImportError as exc:
            raise ModelError("the hf backend needs torch and transformers: pip install 'verimath[hf]'") from exc
        self._torch, self._transformers = torch, transformers
        transformers.utils.logging.disable_progress_bar()  # verimath shows its own progress
        try:
            self.tokenizer = transformers.AutoTokenizer.from_pretrained(path, trust_remote_code=trust_remote_code)
            kwargs: dict[str, Any] = {"trust_remote_code": trust_remote_code}
            if dtype is not None:
                kwargs["dtype"] = getattr(torch, dtype)
            self.model = transformers.AutoModelForCausalLM.from_pretrained(path, **kwargs)
        except (OSError, ValueError) as exc:
            raise ModelError(f"hf:{path}: cannot load the model: {exc}") from exc
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.model.to(self.device).eval()
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.max_batch = max_batch
        self._pending: list[_Pending] = []
        self._worker: asyncio.Task[None] | None = None
        self._lock = threading.Lock()

    def render(self, request: Request) -> str:
        """The exact text the model is given for ``request``."""
        if not isinstance(request, ChatRequest):
            return request.prompt
        if getattr(self.tokenizer, "chat_template", None):
            return self.tokenizer.apply_chat_template([m.to_dict() for m in request.messages],
                                                      tokenize=False, add_generation_prompt=True)
        return render_plain_chat(request.messages)

    async def _generate(self, request: Request) -> list[Completion]:
        future: asyncio.Future[list[Completion]] = asyncio.get_running_loop().create_future()
        self._pending.append(_Pending(self.render(request), request.sampling, future))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._pending:
            first = self._pending[0]
            batch = [p for p in self._pending if p.sampling == first.sampling][: self.max_batch]
            self._pending = [p for p in self._pending if not any(p is b for b in batch)]
            try:
                results = await asyncio.to_thread(self._run_batch, [p.prompt for p in batch], first.sampling)
            except Exception as exc:  # any engine failure is the caller's ModelError
                for p in batch:
                    if not p.future.done():
                        p.future.set_exception(ModelError(f"{self.name}: generation failed: {exc}"))
                continue
            for p, result in zip(batch, results, strict=True):
                if not p.future.done():
                    p.future.set_result(result)

    def _run_batch(self, prompts: list[str], s: Sampling) -> list[list[Completion]]:
        import time

        torch, tok = self._torch, self.tokenizer
        start = time.perf_counter()
        with self._lock, torch.inference_mode():
            enc = tok(prompts, return_tensors="pt", padding=True).to(self.device)
            kwargs: dict[str, Any] = {"max_new_tokens": s.max_tokens, "num_return_sequences": s.n,
                                      "pad_token_id": tok.pad_token_id}
            if s.temperature > 0:
                kwargs.update(do_sample=True, temperature=s.temperature, top_p=s.top_p)
            else:
                kwargs.update(do_sample=False, temperature=None, top_p=None)
            if s.stop:
                kwargs["stopping_criteria"] = self._transformers.StoppingCriteriaList(
                    [_StopInGenerated(tok, s.stop, enc["input_ids"].shape[1])])
            if s.seed is not None:
                torch.manual_seed(s.seed)
            out = self.model.generate(**enc, **kwargs)
        latency = time.perf_counter() - start
        prompt_len = enc["input_ids"].shape[1]
        eos = {tok.eos_token_id, tok.pad_token_id} - {None}
        results: list[list[Completion]] = []
        for i in range(len(prompts)):
            n_prompt = int(enc["attention_mask"][i].sum())
            samples = []
            for j in range(s.n):
                ids = out[i * s.n + j, prompt_len:].tolist()
                ended = next((k for k, t in enumerate(ids) if t in eos), None)
                kept = ids if ended is None else ids[:ended]
                text, stopped = cut_at_stop(tok.decode(kept, skip_special_tokens=True), s.stop)
                n_generated = len(ids) if ended is None else ended + 1
                finish = "stop" if stopped or ended is not None or n_generated < s.max_tokens else "length"
                samples.append(Completion(text, finish, Usage(n_prompt if j == 0 else 0, n_generated), latency))
            results.append(samples)
        return results
