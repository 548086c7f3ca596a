"""Make the README's report screenshots: a MATH-500 run against a simulated model, its HTML report, and PNGs
of its top and of its sample browser.

The model is verimath's scripted OpenAI-compatible server on loopback (``verimath.models.testing``),
answering each question with its gold answer in ``\\boxed{}`` with a probability that falls with the MATH
level (0.9 at level 1 to 0.3 at level 5), else with one of a few wrong answers — a stand-in with a realistic
spread, so the page shows every part (LaTeX, votes that differ from pass@k, breakdowns). It goes through the
real CLI: ``verimath eval`` (strategy ``cot``, real HTTP, real grader, real store) and ``verimath report
--html``; then headless Chromium takes the screenshot.

    python tools/report_demo.py [--data ../shared/data/math500.jsonl] [--out runs/report-demo] \\
        [--png docs/report.png]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
from pathlib import Path

from verimath.models.testing import ScriptedServer, ServedRequest

_RIGHT = {1: 0.9, 2: 0.75, 3: 0.6, 4: 0.45, 5: 0.3}


def responder(rows: list[dict[str, object]], seed: int):
    """Replies to the ``cot`` prompt of any of ``rows``: right with its level's probability, else one of three
    wrong answers (so votes split); seeded, one stream per question."""
    streams: dict[str, random.Random] = {}

    def respond(request: ServedRequest) -> str:
        row = next((r for r in rows if str(r["question"]) in request.last), None)
        if row is None:
            return "I do not know."
        rng = streams.setdefault(str(row["id"]), random.Random(f"{seed}:{row['id']}"))
        level = int(str(row.get("level", 3))) if str(row.get("level", "3")).isdigit() else 3
        gold = str(row["answer"])
        answer = gold if rng.random() < _RIGHT.get(level, 0.5) else rng.choice(["0", "1", f"{gold} + 1"])
        return f"Working through it step by step gives the result.\n\nThe answer is $\\boxed{{{answer}}}$."

    return respond


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/math500.jsonl"))
    parser.add_argument("--out", type=Path, default=Path("runs/report-demo"))
    parser.add_argument("--png", type=Path, default=Path("docs/report.png"))
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("-n", type=int, default=4)
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines()[: args.limit]]
    env = {**os.environ, "OPENAI_API_KEY": os.environ.get("OPENAI_API_KEY", "unused")}
    verimath = [sys.executable, "-m", "verimath"]
    with ScriptedServer(responder(rows, seed=0)) as server:
        subprocess.run([*verimath, "eval", "--dataset", str(args.data), "--limit", str(args.limit),
                        "--model", "openai:simulated", "--base-url", server.base_url, "--strategy", "cot",
                        "-n", str(args.n), "--temperature", "0.7", "--concurrency", "1",
                        "--run-dir", str(args.out)], check=True, env=env)
    page = args.out / "report.html"
    subprocess.run([*verimath, "report", str(args.out), "--html", str(page)], check=True,
                   stdout=subprocess.DEVNULL)
    # The sample browser, its first problem and first sample opened, everything above it hidden.
    html = page.read_text(encoding="utf-8")
    html = html.replace('<details class="problem', '<details open class="problem', 1)
    html = html.replace('<details class="sample', '<details open class="sample', 1)
    samples = args.out / "samples.html"
    samples.write_text(html.replace("</head>", "<style>body>*{display:none}#samples,#samples~*{display:block}"
                                               "</style></head>", 1), encoding="utf-8")
    args.png.parent.mkdir(parents=True, exist_ok=True)
    shots = ((page, args.png, 1500), (samples, args.png.with_name(f"{args.png.stem}-samples.png"), 660))
    for source, png, height in shots:
        subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-background-networking", "--hide-scrollbars", "--virtual-time-budget=5000",
                        f"--user-data-dir={args.out / 'chromium'}", f"--window-size=1100,{height}",
                        f"--screenshot={png.resolve()}", source.resolve().as_uri()],
                       check=True, stderr=subprocess.DEVNULL)
        print(png)
    print(page)


if __name__ == "__main__":
    main()
