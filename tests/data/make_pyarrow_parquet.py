"""Writes pyarrow.parquet: a Parquet file made by pyarrow, for tests/parquet.rs. Every dtype
swath holds, nulls in each column, a dictionary-encoded text column and a plain one, in
three row groups, zstd-compressed; and pyarrow.json, the same values as JSON (the reference
the test reads, independent of swath).

    python3 tests/data/make_pyarrow_parquet.py   (needs pyarrow)
"""
import json
import pathlib

import pyarrow as pa
import pyarrow.parquet as pq

here = pathlib.Path(__file__).parent
n = 50


def pick(i, value):
    return None if i % 7 == 3 else value


columns = {
    "flag": pa.array([pick(i, i % 3 == 0) for i in range(n)], pa.bool_()),
    "i32": pa.array([pick(i, i * 1000 - 20000) for i in range(n)], pa.int32()),
    "i64": pa.array([pick(i, (i - 25) * 10**12) for i in range(n)], pa.int64()),
    "u32": pa.array([pick(i, i * 80_000_000) for i in range(n)], pa.uint32()),
    "f32": pa.array([pick(i, i / 8 - 3) for i in range(n)], pa.float32()),
    "f64": pa.array([pick(i, i / 3 - 7.25) for i in range(n)], pa.float64()),
    "species": pa.array([pick(i, ["Adelie", "Gentoo", "Chinstrap"][i % 3]) for i in range(n)]).dictionary_encode(),
    "note": pa.array([pick(i, f"row {i}") for i in range(n)], pa.string()),
}
table = pa.table(columns)
pq.write_table(table, here / "pyarrow.parquet", row_group_size=20, compression="zstd")
assert pq.ParquetFile(here / "pyarrow.parquet").num_row_groups == 3
reference = {name: col.to_pylist() for name, col in zip(table.column_names, table.columns)}
(here / "pyarrow.json").write_text(json.dumps(reference) + "\n")
print(table.schema)
