//! `Frame::filter` against a plain Rust oracle: every dtype, sizes around the 8-row groups and
//! the 64K-row chunks the gather splits into, masks from none to all rows kept, on the calling
//! thread and on pools of 2 and 7 threads (the result must not depend on which).

mod common;

use common::{Flavor, Rng, gen_column};
use swath::Isa;
use swath::prelude::*;
use swath::unstable::CHUNK;

/// Columns of every dtype with special values (NaN, infinities, -0.0, integer extremes), a
/// percentage per row for the masks, and a column of nulls.
fn frame(n: usize) -> (Frame, Vec<u32>) {
    let mut rng = Rng::for_test(&format!("filter {n}"));
    let pct: Vec<u32> = (0..n).map(|_| rng.below(100) as u32).collect();
    let mut columns: Vec<(&str, Column)> = [
        ("f32", DType::F32),
        ("f64", DType::F64),
        ("i32", DType::I32),
        ("i64", DType::I64),
        ("u32", DType::U32),
        ("bool", DType::Bool),
    ]
    .into_iter()
    .map(|(name, dtype)| (name, gen_column(&mut rng, dtype, n, Flavor::Wild)))
    .collect();
    columns.push(("pct", Column::from(pct.clone())));
    columns.push(("nulls", Column::nulls(DType::F64, n)));
    (Frame::new(columns).unwrap(), pct)
}

fn kept<T: Copy>(values: &[T], keep: &[bool]) -> Vec<T> {
    values
        .iter()
        .zip(keep)
        .filter(|p| *p.1)
        .map(|p| *p.0)
        .collect()
}

/// Equal vectors, or a message naming the first row that differs (not the whole column).
fn same<T: PartialEq + std::fmt::Debug>(got: Vec<T>, want: Vec<T>, what: &str, column: &str) {
    assert_eq!(got.len(), want.len(), "{what}: {column}: length");
    if let Some(i) = (0..got.len()).find(|&i| got[i] != want[i]) {
        panic!(
            "{what}: {column}: row {i} of the result is {:?}, not {:?}",
            got[i], want[i]
        );
    }
}

fn check(df: &Frame, out: &Frame, keep: &[bool], what: &str) -> Result<(), Error> {
    let height = keep.iter().filter(|k| **k).count();
    assert_eq!(out.height(), height, "{what}: height");
    assert_eq!(out.width(), df.width(), "{what}: width");
    let bits32 = |v: Vec<f32>| v.into_iter().map(f32::to_bits).collect::<Vec<_>>();
    let bits64 = |v: Vec<f64>| v.into_iter().map(f64::to_bits).collect::<Vec<_>>();
    same(
        bits32(out.values("f32")?),
        bits32(kept(&df.values("f32")?, keep)),
        what,
        "f32",
    );
    same(
        bits64(out.values("f64")?),
        bits64(kept(&df.values("f64")?, keep)),
        what,
        "f64",
    );
    same(
        out.values::<i32>("i32")?,
        kept(&df.values("i32")?, keep),
        what,
        "i32",
    );
    same(
        out.values::<i64>("i64")?,
        kept(&df.values("i64")?, keep),
        what,
        "i64",
    );
    same(
        out.values::<u32>("u32")?,
        kept(&df.values("u32")?, keep),
        what,
        "u32",
    );
    same(
        out.values::<bool>("bool")?,
        kept(&df.values("bool")?, keep),
        what,
        "bool",
    );
    let nulls = out.column("nulls")?;
    assert_eq!(
        (nulls.len(), nulls.null_count()),
        (height, height),
        "{what}: nulls"
    );
    Ok(())
}

#[test]
fn filter_matches_the_oracle_at_every_size_density_and_thread_count() -> Result<(), Error> {
    let pool = |threads| ExecOptions::new().backend(Backend::Cpu).threads(threads);
    let mut ways = vec![
        ("pool of 2".to_string(), pool(2)),
        ("pool of 7".to_string(), pool(7)),
        ("auto".to_string(), ExecOptions::new()),
    ];
    // Every instruction set this machine has (AVX-512 compacts with its own instructions).
    for isa in Isa::ALL.into_iter().filter(|i| i.is_supported()) {
        let options = ExecOptions::new().backend(Backend::Cpu1).isa(isa);
        ways.push((format!("calling thread, {isa:?}"), options));
    }
    for n in [
        0,
        1,
        7,
        8,
        9,
        17,
        CHUNK - 1,
        CHUNK,
        CHUNK + 1,
        3 * CHUNK + 5,
    ] {
        let (df, pct) = frame(n);
        // Kept: none, 1%, half, 99%, all, from random percentages.
        for below in [0, 1, 50, 99, 100] {
            let keep: Vec<bool> = pct.iter().map(|&p| p < below).collect();
            for (way, options) in &ways {
                let out = df.filter_with(col("pct").lt(lit(below)), options)?;
                check(&df, &out, &keep, &format!("{n} rows, {below}% kept, {way}"))?;
            }
        }
        // Structured masks: whole chunks kept beside partial ones, single rows at the ends of
        // chunks and of the frame, all rows but one.
        let last = n.saturating_sub(1) as u32;
        let chunk = CHUNK as u32;
        let structured = [
            ("the first chunk and 3 rows", col("row").lt(lit(chunk + 3))),
            ("the last row", col("row").eq(lit(last))),
            (
                "each chunk's last row",
                (col("row") % lit(chunk)).eq(lit(chunk - 1)),
            ),
            ("all but row 5", col("row").neq(lit(5u32))),
        ];
        let rows: Vec<u32> = (0..n as u32).collect();
        let df = df.with_columns([row_index().alias("row")])?;
        for (what, predicate) in structured {
            let keep: Vec<bool> = rows
                .iter()
                .map(|&r| match what {
                    "the first chunk and 3 rows" => r < chunk + 3,
                    "the last row" => r == last,
                    "each chunk's last row" => r % chunk == chunk - 1,
                    _ => r != 5,
                })
                .collect();
            for (way, options) in &ways {
                let out = df.filter_with(predicate.clone(), options)?;
                check(&df, &out, &keep, &format!("{n} rows, {what}, {way}"))?;
            }
        }
    }
    Ok(())
}

#[test]
fn a_filter_that_keeps_every_row_shares_the_columns() -> Result<(), Error> {
    let (df, _) = frame(1000);
    let out = df.filter(col("pct").lt(lit(100)))?;
    let before = df.column("f64")?.as_slice::<f64>()?.as_ptr();
    let after = out.column("f64")?.as_slice::<f64>()?.as_ptr();
    assert_eq!(before, after, "the kept column was copied");
    Ok(())
}
