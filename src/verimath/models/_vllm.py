"""``vllm:PATH_OR_ID`` — vLLM's offline engine (optional extra ``verimath[vllm]``, imported only when used).

Requests waiting at the same time with equal sampling settings go to the engine as one ``generate`` call;
chat requests are rendered with the engine's tokenizer chat template first.
"""

from __future__ import annotations

import time
from typing import Any

from verimath.errors import ModelError
from verimath.models._base import BatchingBackend, render_for
from verimath.models._types import Completion, Request, Sampling, Usage


class VLLMModel(BatchingBackend):
    """A model served in-process by ``vllm.LLM``; ``engine_options`` go to its constructor."""

    def __init__(self, path: str, *, max_batch: int = 256, **engine_options: Any) -> None:
        super().__init__(f"vllm:{path}", max_batch=max_batch)
        import vllm  # installed: the registry checked the vllm extra

        self._vllm = vllm
        try:
            self.engine = vllm.LLM(model=path, **engine_options)
        except Exception as exc:  # vLLM raises many types while starting an engine
            raise ModelError(f"vllm:{path}: cannot start the engine: {exc}") from exc
        self.tokenizer = self.engine.get_tokenizer()

    def render(self, request: Request) -> str:
        return render_for(self.tokenizer, request)

    def _run_batch(self, prompts: list[str], s: Sampling) -> list[list[Completion]]:
        params = self._vllm.SamplingParams(n=s.n, temperature=s.temperature, top_p=s.top_p,
                                           max_tokens=s.max_tokens, stop=list(s.stop) or None, seed=s.seed)
        start = time.perf_counter()
        outs = self.engine.generate(prompts, params, use_tqdm=False)
        latency = time.perf_counter() - start
        return [[Completion(o.text, "length" if o.finish_reason == "length" else "stop",
                            Usage(len(r.prompt_token_ids or ()) if i == 0 else 0, len(o.token_ids)), latency)
                 for i, o in enumerate(r.outputs)] for r in outs]
