"""A scripted "model" that solves arithmetic questions competently under every built-in strategy, for tests
and benchmarks that need realistic multi-round traces without a real LLM. Pair it with
``verimath.models.testing.ScriptedServer``::

    tutor = Tutor("6 * 7 + 1")
    with ScriptedServer(tutor) as server:
        model = load_model("openai:tutor", base_url=server.base_url)
        attempt = await get_strategy("tir").attempt(tutor.question, model, sandbox)

It reads what it is shown the way a model would: it writes code for the expression, then answers with the
output the sandbox really produced (so a wrong or missing execution shows up as a wrong answer). It follows
the wording of the built-in prompt files. Not imported by ``verimath.strategies``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from verimath.models.testing import ServedRequest

_OUTPUT = re.compile(r"```output\n(.*?)\n```", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Tutor:
    """Answers ``question`` (default: "What is EXPRESSION?") by computing ``expression`` with code."""

    expression: str
    question_text: str | None = None

    @property
    def answer(self) -> str:
        """The expression's value, as the sandbox prints it."""
        return _value(self.expression)

    @property
    def question(self) -> str:
        return self.question_text or f"What is {self.expression}?"

    def __call__(self, req: ServedRequest) -> str:
        text = req.text
        # the last user turn (a completion prompt renders turns as "User: ..." blocks)
        last = req.last if req.kind == "chat" else text.rsplit("User: ", 1)[-1]
        shown = text[text.find(self.question):] if self.question in text else last
        outputs = _OUTPUT.findall(shown)
        if "numbered list" in last:
            return "1. Compute the expression.\n2. Report the result."
        if last.startswith("Sub-task 1"):
            return f"```python\nresult = {self.expression}\nprint(result)\n```"
        if last.startswith("Sub-task 2"):
            return "```python\nprint(result)\n```"
        if "All sub-tasks are done" in last:
            return f"The result is \\boxed{{{outputs[-1] if outputs else '?'}}}."
        if "check the answer" in shown:
            if outputs and outputs[-1] in ("True", "False"):
                return f"The check printed {outputs[-1]}.\nVerification: {outputs[-1]}"
            claimed = re.search(r"check the answer (.+?) with code", shown)
            return f"```python\nprint(({claimed.group(1) if claimed else None}) == ({self.expression}))\n```"
        if "is wrong" in last:
            return f"```python\nprint({self.expression})\n```"
        if "one complete Python program" in text:
            return f"```python\nprint({self.expression})\n```"
        if "Give only the final answer" in text:
            return f"\\boxed{{{self.answer}}}"
        if "Reason step by step" in text:
            return f"Working it out, \\boxed{{{self.answer}}}."
        if not outputs:
            return f"Let me compute it.\n```python\nx = {self.expression}\nprint(x)\n```"
        if len(outputs) == 1:
            return "Check the stored value once more.\n```python\nprint(x)\n```"
        return f"So the answer is \\boxed{{{outputs[-1]}}}."


def _value(expression: str) -> str:
    """The expression's value, computed here (for cot, which has no sandbox, and for checking answers)."""
    return str(eval(compile(expression, "<tutor>", "eval"), {"__builtins__": {}}, {}))
