"""Emulated matmul speed and memory: L-Mul (and the other arms) on 512×512 by 512×512 on one core, beside
plain float32 ``torch.matmul`` as the anchor, and on the small products a model makes (a decode step's linear
layer, a few heads of attention scores); peak memory against the chunk size, for two inner sizes k
(smaller chunks work too, slowly: each block and span costs a few dozen array operations).

Speed: ``torch.set_num_threads(1)``, median of ``--repeats`` runs after a warm-up, torch tensors (and numpy
for L-Mul m=3). Memory: the numpy path under ``tracemalloc`` (which sees numpy's buffers; torch's CPU
allocator is invisible to it, and the two paths run the same algorithm), as the peak above what was
allocated before the call (the inputs were), beside the bytes of the output and of ``chunk`` float32 values:
it follows the chunk, not k, until a span covers all of k.

Run: ``python benchmarks/precision.py [--repeats 3]``; writes ``benchmarks/results/precision.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from verimath.precision import emulated_matmul, parse_mode

RESULTS = Path(__file__).resolve().parent / "results"
SIZE = 512
ARMS = ("fp32", "bf16", "e4m3", "lmul3", "lmul4")
SMALL = {"decode linear (8, 128) @ (128, 384)": ((8, 128), (128, 384)),
         "attention scores (4, 16, 32) @ (4, 32, 16)": ((4, 16, 32), (4, 32, 16))}
SMALL_ARMS = ("fp32", "e4m3", "lmul3")
CALLS = 50
"""Small products timed per batch of this many calls."""
CHUNKS = (1 << 14, 1 << 16, 1 << 18, 1 << 20, 1 << 22)
MIB = 1 << 20


def median_seconds(run: Callable[[], Any], repeats: int) -> float:
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def speed(repeats: int) -> list[dict[str, Any]]:
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(SIZE, SIZE, generator=generator)
    b = torch.randn(SIZE, SIZE, generator=generator)
    rows = [{"what": "torch.matmul float32 (anchor)", "seconds": median_seconds(lambda: a @ b, repeats)}]
    for arm in ARMS:
        mode = parse_mode(arm)
        seconds = median_seconds(lambda mode=mode: emulated_matmul(a, b, mode), repeats)
        rows.append({"what": f"emulated {arm} ({mode.name}), torch", "seconds": seconds})
    a_np, b_np, lmul3 = a.numpy(), b.numpy(), parse_mode("lmul3")
    rows.append({"what": "emulated lmul3, numpy",
                 "seconds": median_seconds(lambda: emulated_matmul(a_np, b_np, lmul3), repeats)})
    anchor = rows[0]["seconds"]
    for row in rows:
        row["x_anchor"] = row["seconds"] / anchor
    return rows


def small_speed(repeats: int) -> list[dict[str, Any]]:
    rows = []
    generator = torch.Generator().manual_seed(1)
    for name, (a_shape, b_shape) in SMALL.items():
        a, b = torch.randn(a_shape, generator=generator), torch.randn(b_shape, generator=generator)
        anchor = median_seconds(lambda a=a, b=b: [a @ b for _ in range(CALLS)], repeats) / CALLS
        rows.append({"shape": name, "what": "torch.matmul float32", "seconds": anchor, "x_anchor": 1.0})
        for arm in SMALL_ARMS:
            mode = parse_mode(arm)
            seconds = median_seconds(lambda a=a, b=b, mode=mode: [emulated_matmul(a, b, mode)
                                                                  for _ in range(CALLS)], repeats) / CALLS
            rows.append({"shape": name, "what": f"emulated {arm}", "seconds": seconds,
                         "x_anchor": seconds / anchor})
    return rows


def peak_bytes(run: Callable[[], Any]) -> int:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        run()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def memory() -> list[dict[str, Any]]:
    rng = np.random.default_rng(0)
    rows = []
    mode = parse_mode("lmul3")
    for k in (SIZE, 4 * SIZE):
        a = rng.standard_normal((SIZE, k)).astype(np.float32)
        b = rng.standard_normal((k, SIZE)).astype(np.float32)
        for chunk in CHUNKS:
            start = time.perf_counter()
            peak = peak_bytes(lambda a=a, b=b, chunk=chunk: emulated_matmul(a, b, mode, chunk=chunk))
            rows.append({"k": k, "chunk": chunk, "peak_above_inputs_mib": peak / MIB,
                         "output_mib": SIZE * SIZE * 4 / MIB, "chunk_float32_mib": chunk * 4 / MIB,
                         "seconds": time.perf_counter() - start})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"emulated matmul {SIZE}x{SIZE} @ {SIZE}x{SIZE}, one thread, torch {torch.__version__}, "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs (median of {args.repeats})")
    timed = speed(args.repeats)
    for row in timed:
        print(f"  {row['what']:<44} {row['seconds'] * 1000:9.1f} ms  {row['x_anchor']:8.1f}× anchor")
    small = small_speed(args.repeats)
    for row in small:
        print(f"  {row['shape'] + ': ' + row['what']:<66} {row['seconds'] * 1000:8.3f} ms "
              f"{row['x_anchor']:8.1f}× anchor")
    print("peak memory of emulated lmul3 (numpy, tracemalloc) by chunk size:")
    print(f"  {'k':>5} {'chunk':>9} {'peak above inputs MiB':>22} {'output MiB':>11} {'chunk×4 B MiB':>14} "
          f"{'s':>6}")
    held = memory()
    for row in held:
        print(f"  {row['k']:>5} {row['chunk']:>9,} {row['peak_above_inputs_mib']:>22.1f} "
              f"{row['output_mib']:>11.1f} {row['chunk_float32_mib']:>14.2f} {row['seconds']:>6.2f}")
    RESULTS.mkdir(exist_ok=True)
    out = {"size": SIZE, "threads": 1, "torch": torch.__version__, "numpy": np.__version__,
           "repeats": args.repeats, "speed": timed, "small": small, "memory": held}
    (RESULTS / "precision.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
