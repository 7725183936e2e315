#!/usr/bin/env python3
"""Times numpy, numexpr and Polars on the same operations, sizes and data as swath's
`ratios` bench, and prints them side by side with swath's figures from the same run.

    python3 -m venv .venv && .venv/bin/pip install numpy polars numexpr threadpoolctl
    .venv/bin/python benches/peers/peers.py            # builds and runs the swath side too

Data: the splitmix64 stream of benches/data.rs, so every library sums the same numbers.
"""
import json
import os
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SUM_ROWS = 64 << 20
FUSED_ROWS = 16 << 20
# fused_f32_1m comes from the bench's `--kernels` rows (seeds 10, 11, 12), where a peer's
# fixed cost per call shows.
KERNEL_ROWS = 1 << 20
GROUPS = ("sum_64m", "fused_f32_1m", "fused_16m", "filter_half_16m", "filter_1pct_16m")


def random_f32(n, seed, lo, hi):
    """benches/data.rs's generator, vectorized: the same f32 values bit for bit."""
    with np.errstate(over="ignore"):
        i = np.arange(1, n + 1, dtype=np.uint64)
        z = np.uint64(seed) + i * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
    u = (z >> np.uint64(40)).astype(np.float32) / np.float32(1 << 24)
    return (np.float32(lo) + np.float32(hi - lo) * u).astype(np.float32)


def median_ns(runs, f):
    f()
    times = []
    for _ in range(runs):
        t = time.perf_counter_ns()
        f()
        times.append(time.perf_counter_ns() - t)
    times.sort()
    return times[len(times) // 2]


def swath_rows():
    cmd = ["cargo", "bench", "-q", "--bench", "ratios", "--", "--json", "--kernels"]
    out = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def main():
    rows = []
    for r in swath_rows():
        if r["group"] in GROUPS:
            rows.append((r["group"], "swath " + r["name"], r["median_ns"], r["bytes"]))

    import numexpr
    import polars as pl

    x = random_f32(SUM_ROWS, 1, -1.0, 1.0)
    s = pl.Series("x", x)
    b = SUM_ROWS * 4
    rows.append(("sum_64m", "numpy np.sum", median_ns(15, lambda: np.sum(x)), b))
    rows.append(("sum_64m", "polars Series.sum", median_ns(15, lambda: s.sum()), b))
    del x, s

    a, bb, c = (random_f32(KERNEL_ROWS, 10 + k, 0.0, 2.0) for k in range(3))
    df = pl.DataFrame({"a": a, "b": bb, "c": c})
    env = {"a": a, "bb": bb, "c": c}
    expr = (pl.col("a") * pl.col("b") + pl.col("c")).sqrt().sum()
    b = KERNEL_ROWS * 12
    rows.append(("fused_f32_1m", "numpy", median_ns(101, lambda: np.sum(np.sqrt(a * bb + c))), b))
    rows.append(("fused_f32_1m", "numexpr", median_ns(101, lambda: numexpr.evaluate("sum(sqrt(a*bb+c))", local_dict=env)), b))
    rows.append(("fused_f32_1m", "polars lazy", median_ns(101, lambda: df.lazy().select(expr).collect()), b))

    a = random_f32(FUSED_ROWS, 2, 0.0, 2.0)
    bb = random_f32(FUSED_ROWS, 3, 0.0, 2.0)
    c = random_f32(FUSED_ROWS, 4, 0.0, 2.0)
    df = pl.DataFrame({"a": a, "b": bb, "c": c})
    env = {"a": a, "bb": bb, "c": c}
    expr = ((pl.col("a") * pl.col("b") + pl.col("c")).sqrt().sum())
    b = FUSED_ROWS * 12
    rows.append(("fused_16m", "numpy", median_ns(9, lambda: np.sum(np.sqrt(a * bb + c))), b))
    rows.append(("fused_16m", "numexpr", median_ns(9, lambda: numexpr.evaluate("sum(sqrt(a*bb+c))", local_dict=env)), b))
    rows.append(("fused_16m", "polars lazy", median_ns(9, lambda: df.lazy().select(expr).collect()), b))
    rows.append(("fused_16m", "polars eager", median_ns(9, lambda: df.select(expr)), b))
    for group, below in (("filter_half_16m", 1.0), ("filter_1pct_16m", 0.02)):
        pred = pl.col("a") < below
        rows.append((group, "numpy a[m], b[m], c[m]", median_ns(9, lambda: (lambda m: (a[m], bb[m], c[m]))(a < np.float32(below))), b))
        rows.append((group, "polars filter", median_ns(9, lambda: df.filter(pred)), b))
    truth = float(np.sum(np.sqrt(a.astype(np.float64) * bb + c)))
    ne = float(numexpr.evaluate("sum(sqrt(a*bb+c))", local_dict=env))

    print(f"{'group':<10} {'who':<22} {'median ms':>10} {'GB/s':>8} {'swath_2t is':>12}")
    for group in GROUPS:
        ref = next(r[2] for r in rows if r[0] == group and r[1] == "swath swath_2t")
        for g, who, ns, nbytes in rows:
            if g == group:
                print(f"{g:<10} {who:<22} {ns / 1e6:>10.3} {nbytes / ns:>8.2f} {ns / ref:>11.2}x")
    print(f"numexpr's fused sum is {abs(ne - truth) / truth:.2e} off the f64 sum (f32 accumulation)")


if __name__ == "__main__":
    sys.exit(main())
