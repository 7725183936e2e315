//! What nulls cost (issue 15): the same passes over f32 columns with no null and with 5% of
//! rows null, at an L2, an L3 and a main-memory size (64K, 1M, 16M rows), on one and two
//! threads, CPU backend forced. Prints each pair's times and the ratio without/with (1.0:
//! nulls cost nothing; the issue asks at least 0.75 for the sum and at most 1.3x time for
//! any pass).
//!
//! `cargo bench --bench nulls` (add `-- --json` for one JSON line per timing).

use std::hint::black_box;

use swath::prelude::*;

mod data;

/// A shape's name and how to build its expression.
type Shape = (&'static str, fn() -> Expr);

/// `values` with every row whose hash falls in the lowest `share` null.
fn with_nulls(values: &[f32], seed: u64, share: f64) -> Column {
    let draws = data::random_f32(values.len(), seed, 0.0, 1.0);
    Column::from(
        values
            .iter()
            .zip(draws)
            .map(|(&v, d)| (f64::from(d) >= share).then_some(v))
            .collect::<Vec<Option<f32>>>(),
    )
}

fn main() {
    let json = std::env::args().any(|a| a == "--json");
    let shapes: [Shape; 4] = [
        ("sum", || col("a").sum()),
        ("fused_sum", || {
            (col("a") * col("b") + col("c")).sqrt().sum()
        }),
        // Only `a` may hold nulls: `x` and `y` are `b` and `c` without them.
        ("fused_1", || (col("a") * col("x") + col("y")).sqrt().sum()),
        ("map", || (col("a") * col("b") + col("c")).alias("m")),
    ];
    if !json {
        println!(
            "{:<10} {:<6} {:<3} {:>12} {:>12} {:>9}",
            "shape", "rows", "thr", "no nulls", "5% nulls", "ratio"
        );
    }
    for (size, rows, runs) in [
        // Below the compiled kernels' 4096 rows: what the rewrite itself costs a select.
        ("1000", 1000usize, 20001),
        ("64k", 1usize << 16, 1001),
        ("1m", 1 << 20, 101),
        ("16m", 16 << 20, 11),
    ] {
        let values: Vec<Vec<f32>> = (0..3)
            .map(|k| data::random_f32(rows, 10 + k, 0.0, 2.0))
            .collect();
        let names = ["a", "b", "c"];
        let complete = [
            ("x", Column::from(values[1].clone())),
            ("y", Column::from(values[2].clone())),
        ];
        let plain = Frame::new(
            names
                .iter()
                .zip(&values)
                .map(|(n, v)| (*n, Column::from(v.clone())))
                .chain(complete.clone()),
        )
        .expect("equal lengths");
        let nullable = Frame::new(
            names
                .iter()
                .zip(&values)
                .enumerate()
                .map(|(k, (n, v))| (*n, with_nulls(v, 100 + k as u64, 0.05)))
                .chain(complete),
        )
        .expect("equal lengths");
        for threads in [1, 2] {
            let options = ExecOptions::new().threads(threads).backend(Backend::Cpu);
            for (shape, expr) in shapes {
                let time = |df: &Frame| {
                    data::median_ns(runs, || {
                        let _ = black_box(df.select_with([expr()], &options));
                    })
                };
                let (without, with) = (time(&plain), time(&nullable));
                if json {
                    println!(
                        "{{\"shape\":\"{shape}\",\"size\":\"{size}\",\"threads\":{threads},\"no_nulls_ns\":{without:.0},\"nulls_ns\":{with:.0}}}"
                    );
                } else {
                    println!(
                        "{shape:<10} {size:<6} {threads:<3} {:>9.1} us {:>9.1} us {:>9.2}",
                        without / 1e3,
                        with / 1e3,
                        without / with
                    );
                }
            }
        }
    }
}
