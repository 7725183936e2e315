"""Reading files, swath against Polars (issue 15): makes the test files if they are missing,
times Polars' read_csv / read_parquet (median of five after a warm-up, default threads), runs
`cargo bench --bench io` on the same files (with the system's malloc, then with mimalloc),
and prints each file's times and the ratios Polars/swath (above 1: swath is faster).

    .venv/bin/python benches/peers/io.py        (needs polars and pyarrow; see README.md)
"""
import json
import pathlib
import random
import statistics
import subprocess
import time

import polars as pl
import pyarrow.csv
import pyarrow.parquet as pq

out = pathlib.Path("/tmp/swath-io")
out.mkdir(exist_ok=True)
numbers = out / "numbers.csv"  # 2M rows of a,b,c: 48.7 MB (BENCHMARKS.md, "Reading CSV")
text = out / "text.csv"  # 2M rows with a text column and 5% empty cells
if not numbers.exists():
    random.seed(1)
    with open(numbers, "w") as f:
        f.write("a,b,c\n")
        for i in range(2_000_000):
            f.write(f"{random.random():.6f},{random.random() * 100:.4f},{i}\n")
if not text.exists():
    random.seed(2)
    species = ["Adelie", "Gentoo", "Chinstrap", "Macaroni", "Emperor"]
    cell = lambda s: "" if random.random() < 0.05 else s
    with open(text, "w") as f:
        f.write("species,x,n,y\n")
        for i in range(2_000_000):
            f.write(",".join([cell(random.choice(species)), cell(f"{random.random():.6f}"),
                              cell(str(i)), cell(f"{random.random() * 1000:.3f}")]) + "\n")
files = [numbers, text]
for csv in [numbers, text]:
    parquet = csv.with_suffix(".parquet")
    if not parquet.exists():
        table = pyarrow.csv.read_csv(csv)
        pq.write_table(table, parquet, row_group_size=256 * 1024)
    files.append(parquet)


def median(f):
    f()
    times = []
    for _ in range(5):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


polars = {}
for f in files:
    read = (lambda f=f: pl.read_parquet(f)) if f.suffix == ".parquet" else (lambda f=f: pl.read_csv(f))
    polars[str(f)] = median(read)
def swath_times(extra):
    run = subprocess.run(
        ["cargo", "bench", "--bench", "io"] + extra + ["--"] + [str(f) for f in files],
        check=True, capture_output=True, text=True,
    )
    times = {}
    for line in run.stdout.splitlines():
        if line.startswith("{"):
            r = json.loads(line)
            times[r["file"]] = r["median_s"]
    return times


# swath with the system's malloc (what a Rust program gets by default), and with mimalloc
# (Polars' wheel ships jemalloc; glibc maps every large block fresh, so each read page-faults
# its columns).
swath = swath_times([])
swath_mi = swath_times(["--features", "bench-mimalloc"])
print(f"{'file':<24}{'polars s':>10}{'swath s':>10}{'polars/swath':>14}{'mimalloc s':>12}{'polars/mi':>11}")
for f in files:
    p, s, m = polars[str(f)], swath[str(f)], swath_mi[str(f)]
    print(f"{f.name:<24}{p:>10.3f}{s:>10.3f}{p / s:>14.2f}{m:>12.3f}{p / m:>11.2f}")
