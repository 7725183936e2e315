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

/// A field of /proc/self/status in MiB (Linux; 0 elsewhere).
fn status_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Memory the process holds at its peak during `f` beyond what it held before (MiB): the
/// peak is reset first (`clear_refs`), so only `f` counts.
fn peak_extra_mib(f: impl FnOnce()) -> f64 {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = status_mib("VmRSS:");
    f();
    status_mib("VmHWM:") - before
}

fn main() {
    let Some(path) = std::env::args().skip(1).find(|a| !a.starts_with("--")) else {
        eprintln!(
            "usage: cargo bench --bench group_by -- FILE.parquet (made by benches/peers/groupby.py)"
        );
        return;
    };
    let df = swath::io::read_parquet(&path, None).expect("a readable Parquet file");
    let input_mib: f64 = df
        .columns()
        .map(|(_, c)| (c.len() * c.dtype().size_of()) as f64 / (1 << 20) as f64)
        .sum();
    println!("{{\"question\":\"inputs\",\"mib\":{input_mib:.1}}}");
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
        let extra = peak_extra_mib(|| {
            black_box(
                df.group_by(keys.clone())
                    .agg(aggs.clone())
                    .expect("a group-by"),
            );
        });
        println!(
            "{{\"question\":\"{name}\",\"median_s\":{seconds:.5},\"peak_extra_mib\":{extra:.1}}}"
        );
    }
    let seconds = median_s(|| {
        black_box(df.select([(col("v1") * col("v3")).sum()]).expect("a sum"));
    });
    println!("{{\"question\":\"sum_v1_v3\",\"median_s\":{seconds:.5}}}");
}
