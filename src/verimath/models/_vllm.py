"""``vllm:PATH_OR_ID`` — vLLM's offline engine (optional extra ``verimath[vllm]``, imported only when used).

vLLM batches internally; requests are handed to it from a worker thread, one engine call at a time.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from verimath.errors import ModelError
from verimath.models._base import Backend
from verimath.models._types import ChatRequest, Completion, Request, Usage


class VLLMModel(Backend):
    """A model served in-process by ``vllm.LLM``; ``engine_options`` go to its constructor."""

    def __init__(self, path: str, **engine_options: Any) -> None:
        super().__init__(f"vllm:{path}", max_concurrency=1 << 16)
        try:
            import vllm
        except ImportError as exc:
            raise ModelError("the vllm backend needs vLLM: pip install 'verimath[vllm]' (Linux, GPU)") from exc
        self._vllm = vllm
        try:
            self.engine = vllm.LLM(model=path, **engine_options)
        except Exception as exc:  # vLLM raises many types while starting an engine
            raise ModelError(f"vllm:{path}: cannot start the engine: {exc}") from exc
        self._lock = threading.Lock()

    async def _generate(self, request: Request) -> list[Completion]:
        try:
            return await asyncio.to_thread(self._run, request)
        except Exception as exc:
            raise ModelError(f"{self.name}: generation failed: {exc}") from exc

    def _run(self, request: Request) -> list[Completion]:
        s = request.sampling
        params = self._vllm.SamplingParams(n=s.n, temperature=s.temperature, top_p=s.top_p,
                                           max_tokens=s.max_tokens, stop=list(s.stop) or None, seed=s.seed)
        start = time.perf_counter()
        with self._lock:
            if isinstance(request, ChatRequest):
                outs = self.engine.chat([m.to_dict() for m in request.messages], params, use_tqdm=False)
            else:
                outs = self.engine.generate([request.prompt], params, use_tqdm=False)
        latency = time.perf_counter() - start
        result = outs[0]
        n_prompt = len(result.prompt_token_ids or ())
        return [Completion(o.text, "length" if o.finish_reason == "length" else "stop",
                           Usage(n_prompt if i == 0 else 0, len(o.token_ids)), latency)
                for i, o in enumerate(result.outputs)]
