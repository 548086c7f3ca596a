"""``hf:PATH_OR_ID`` — a local Hugging Face transformers causal LM (optional extra ``verimath[hf]``).

Requests waiting at the same time with the same sampling settings are generated as one left-padded batch.
"""

from __future__ import annotations

import time
from typing import Any

from verimath.errors import ModelError
from verimath.models._base import BatchingBackend, cut_at_stop, render_for
from verimath.models._types import Completion, FinishReason, Request, Sampling, Usage


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


class HFModel(BatchingBackend):
    """A transformers model loaded from a local folder (or a hub id already in the local cache)."""

    def __init__(self, path: str, *, device: str | None = None, dtype: str | None = None,
                 max_batch: int = 16, trust_remote_code: bool = False) -> None:
        super().__init__(f"hf:{path}", max_batch=max_batch)
        import torch  # installed: the registry checked the hf extra
        import transformers

        self._torch, self._transformers = torch, transformers
        transformers.utils.logging.disable_progress_bar()  # verimath shows its own progress
        try:
            self.tokenizer: Any = transformers.AutoTokenizer.from_pretrained(
                path, trust_remote_code=trust_remote_code)
            kwargs: dict[str, Any] = {"trust_remote_code": trust_remote_code}
            if dtype is not None:
                kwargs["dtype"] = getattr(torch, dtype)
            self.model: Any = transformers.AutoModelForCausalLM.from_pretrained(path, **kwargs)
        except (OSError, ValueError) as exc:
            raise ModelError(f"hf:{path}: cannot load the model: {exc}") from exc
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.model.to(self.device).eval()
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token

    def render(self, request: Request) -> str:
        return render_for(self.tokenizer, request)

    def _run_batch(self, prompts: list[str], s: Sampling) -> list[list[Completion]]:
        torch, tok = self._torch, self.tokenizer
        start = time.perf_counter()
        with torch.inference_mode():
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
                finish: FinishReason = ("stop" if stopped or ended is not None or n_generated < s.max_tokens
                                        else "length")
                samples.append(Completion(text, finish, Usage(n_prompt if j == 0 else 0, n_generated),
                                          latency))
            results.append(samples)
        return results
