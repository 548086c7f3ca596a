"""Writes verimath's own templates (src/verimath/problems/templates/*.json) from the definitions in
build_templates_part*.py: each base template, its P1-style extra-clause variant where one is written, and a
no-op distractor variant (a sentence that changes nothing, inserted before the question sentence).

Run from the repository root: python tools/build_templates.py
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import build_templates_part2  # noqa: F401  (registers templates)
import build_templates_part3  # noqa: F401
import build_templates_part4  # noqa: F401
from build_templates_part1 import T

OUT = Path(__file__).resolve().parents[1] / "src" / "verimath" / "problems" / "templates"


def annotated(q: str, init: list[str], cond: list[str], ans: str) -> str:
    parts = [q, "", "#init:", *(f"- {s}" for s in init)]
    if cond:
        parts += ["", "#conditions:", *(f"- {c}" for c in cond)]
    parts += ["", f"#answer: {ans}"]
    return "\n".join(parts)


def main() -> None:
    files: dict[str, list[dict]] = defaultdict(list)
    for d in T:
        base = {"id": d["id"], "topic": d["topic"], "variant": d.get("variant", "base"),
                "question_annotated": annotated(d["q"], d["init"], list(d["cond"]), d["ans"]),
                "answer_annotated": d["sol"]}
        if d.get("variant_of"):
            base["variant_of"] = d["variant_of"]
        files[d["topic"]].append(base)
        if d.get("noop"):
            head, _, last = d["q"].rpartition(". ")
            q = f"{head}. {d['noop']} {last}"
            files[d["topic"]].append({
                "id": f"{d['id']}-noop", "topic": d["topic"], "variant": "noop", "variant_of": d["id"],
                "question_annotated": annotated(q, [*d["init"], *d["noop_init"]], list(d["cond"]), d["ans"]),
                "answer_annotated": d["sol"]})
    OUT.mkdir(parents=True, exist_ok=True)
    for topic, rows in files.items():
        (OUT / f"{topic}.json").write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{sum(len(r) for r in files.values())} templates in {len(files)} files")


if __name__ == "__main__":
    main()
