"""Group-by, swath against Polars (eager and lazy) and DuckDB (issue 16), on data shaped like
the db-benchmark group-by data (its generator's distributions: 10M rows; id1 text of 100
values, id3 text of 100,000; id4, id5 integers 1..100; id6 integers 1..100,000; v1, v2
integers 1..5; v3 float in (0, 100) rounded to 6 places), made once with numpy into
/tmp/swath-groupby/g1_1e7.parquet. Every contender holds the data in memory before timing:
Polars a DataFrame (text as Categorical, as db-benchmark casts it), DuckDB a table, swath a
Frame (`cargo bench --bench group_by`, text as dictionaries). Median of five after a warm-up;
the ratio is the contender's time over swath's (above 1: swath faster). The fused
`sum(v1 * v3)` without keys is timed by swath too, as the near-memory-speed reference.

    .venv/bin/python benches/peers/groupby.py [ROWS]     (needs polars, pyarrow, duckdb)
"""
import json
import pathlib
import statistics
import subprocess
import sys
import time

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

rows = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
out = pathlib.Path("/tmp/swath-groupby")
out.mkdir(exist_ok=True)
path = out / f"g1_{rows}.parquet"
K = 100
if not path.exists():
    rng = np.random.default_rng(108)

    def text(n_values, width):
        names = np.array([f"id{i:0{width}d}" for i in range(1, n_values + 1)])
        codes = rng.integers(0, n_values, rows).astype(np.int32)
        return pa.DictionaryArray.from_arrays(pa.array(codes), pa.array(names))

    table = pa.table({
        "id1": text(K, 3),
        "id2": text(K, 3),
        "id3": text(rows // K, 10),
        "id4": pa.array(rng.integers(1, K + 1, rows).astype(np.int32)),
        "id5": pa.array(rng.integers(1, K + 1, rows).astype(np.int32)),
        "id6": pa.array(rng.integers(1, rows // K + 1, rows).astype(np.int32)),
        "v1": pa.array(rng.integers(1, 6, rows).astype(np.int32)),
        "v2": pa.array(rng.integers(1, 6, rows).astype(np.int32)),
        "v3": pa.array(np.round(rng.uniform(0, 100, rows), 6)),
    })
    pq.write_table(table, path, row_group_size=1 << 20)

QUESTIONS = ["q1", "q3", "q4", "q5", "fused"]
df = pl.read_parquet(path).with_columns(pl.col("id1", "id2", "id3").cast(pl.Categorical))
lazy = df.lazy()
con = duckdb.connect()
con.execute("SET threads TO 2")
arrow_table = df.to_arrow()
con.execute("CREATE TABLE x AS SELECT * FROM arrow_table")

polars_q = {
    "q1": (["id1"], [pl.col("v1").sum()]),
    "q3": (["id3"], [pl.col("v1").sum(), pl.col("v3").mean()]),
    "q4": (["id4"], [pl.col("v1").mean(), pl.col("v2").mean(), pl.col("v3").mean()]),
    "q5": (["id6"], [pl.col("v1").sum(), pl.col("v2").sum(), pl.col("v3").sum()]),
    "fused": (["id4"], [(pl.col("v1") * pl.col("v3")).sum()]),
}
duck_q = {
    "q1": "SELECT id1, sum(v1) FROM x GROUP BY id1",
    "q3": "SELECT id3, sum(v1), avg(v3) FROM x GROUP BY id3",
    "q4": "SELECT id4, avg(v1), avg(v2), avg(v3) FROM x GROUP BY id4",
    "q5": "SELECT id6, sum(v1), sum(v2), sum(v3) FROM x GROUP BY id6",
    "fused": "SELECT id4, sum(v1 * v3) FROM x GROUP BY id4",
}


def median(f):
    f()
    times = []
    for _ in range(5):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


results = {}
for q in QUESTIONS:
    keys, aggs = polars_q[q]
    results[q] = {
        "polars": median(lambda: df.group_by(keys).agg(aggs)),
        "polars_lazy": median(lambda: lazy.group_by(keys).agg(aggs).collect()),
        "duckdb": median(lambda: con.execute(duck_q[q]).to_arrow_table()),
    }
run = subprocess.run(["cargo", "bench", "--bench", "group_by", "--", str(path)],
                     check=True, capture_output=True, text=True)
swath = {}
peaks = {}
for line in run.stdout.splitlines():
    if line.startswith("{"):
        r = json.loads(line)
        if "median_s" in r:
            swath[r["question"]] = r["median_s"]
        if "peak_extra_mib" in r:
            peaks[r["question"]] = r["peak_extra_mib"]
        if "mib" in r:
            inputs_mib = r["mib"]
print(f"{rows} rows, Polars {pl.__version__}, DuckDB {duckdb.__version__}; ratios: contender / swath")
print(f"{'question':<8}{'swath ms':>10}{'polars ms':>11}{'ratio':>7}{'lazy ms':>9}{'ratio':>7}{'duckdb ms':>11}{'ratio':>7}")
for q in QUESTIONS:
    s = swath[q]
    r = results[q]
    print(f"{q:<8}{s * 1e3:>10.1f}{r['polars'] * 1e3:>11.1f}{r['polars'] / s:>7.2f}"
          f"{r['polars_lazy'] * 1e3:>9.1f}{r['polars_lazy'] / s:>7.2f}{r['duckdb'] * 1e3:>11.1f}{r['duckdb'] / s:>7.2f}")
print(f"swath's inputs in memory: {inputs_mib:.0f} MiB; peak memory beyond them during each "
      "group-by (MiB): " + ", ".join(f"{q} {peaks[q]:.1f}" for q in QUESTIONS))
if "sum_v1_v3" in swath:
    print(f"plain fused sum(v1 * v3), no keys: {swath['sum_v1_v3'] * 1e3:.1f} ms; "
          f"fused by id4 / plain: {swath['sum_v1_v3'] / swath['fused']:.2f}")
