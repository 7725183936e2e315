"""Reading files, swath against Polars (issue 15): makes the test files if they are missing,
times Polars' read_csv / read_parquet (median of five after a warm-up, default threads), runs
`cargo bench --bench io` on the same files, and prints each file's times and the ratio
Polars/swath (above 1: swath is faster).

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
run = subprocess.run(
    ["cargo", "bench", "--bench", "io", "--"] + [str(f) for f in files],
    check=True, capture_output=True, text=True,
)
swath = {}
for line in run.stdout.splitlines():
    if line.startswith("{"):
        r = json.loads(line)
        swath[r["file"]] = r["median_s"]
print(f"{'file':<36}{'polars s':>10}{'swath s':>10}{'polars/swath':>14}")
for f in files:
    p, s = polars[str(f)], swath[str(f)]
    print(f"{f.name:<36}{p:>10.3f}{s:>10.3f}{p / s:>14.2f}")
