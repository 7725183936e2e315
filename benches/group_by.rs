//! Group-by (issue 16): db-benchmark's questions on the Parquet file `benches/peers/groupby.py`
//! makes, read into memory first; median of five after a warm-up, one JSON line per question.
//! `groupby.py` runs this beside Polars and DuckDB on the same file.
//!
//!     cargo bench --bench group_by -- /tmp/swath-groupby/g1_10000000.parquet

use std::hint::black_box;
use std::time::Instant;

use swath::prelude::*;

fn median_s(mut f: impl FnMut()) -> f64 {
    f();
    let mut times: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[2]
}

fn main() {
    let Some(path) = std::env::args().skip(1).find(|a| !a.starts_with("--")) else {
        eprintln!(
            "usage: cargo bench --bench group_by -- FILE.parquet (made by benches/peers/groupby.py)"
        );
        return;
    };
    let df = swath::io::read_parquet(&path, None).expect("a readable Parquet file");
    let questions: Vec<(&str, Vec<Expr>, Vec<Expr>)> = vec![
        ("q1", vec![col("id1")], vec![col("v1").sum()]),
        (
            "q3",
            vec![col("id3")],
            vec![col("v1").sum(), col("v3").mean()],
        ),
        (
            "q4",
            vec![col("id4")],
            vec![col("v1").mean(), col("v2").mean(), col("v3").mean()],
        ),
        (
            "q5",
            vec![col("id6")],
            vec![col("v1").sum(), col("v2").sum(), col("v3").sum()],
        ),
        (
            "fused",
            vec![col("id4")],
            vec![(col("v1") * col("v3")).sum()],
        ),
    ];
    for (name, keys, aggs) in questions {
        let seconds = median_s(|| {
            black_box(
                df.group_by(keys.clone())
                    .agg(aggs.clone())
                    .expect("a group-by"),
            );
        });
        println!("{{\"question\":\"{name}\",\"median_s\":{seconds:.5}}}");
    }
    let seconds = median_s(|| {
        black_box(df.select([(col("v1") * col("v3")).sum()]).expect("a sum"));
    });
    println!("{{\"question\":\"sum_v1_v3\",\"median_s\":{seconds:.5}}}");
}
