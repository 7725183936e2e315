//! n_unique against a set of each row's value (the oracle: `Column::get` per row, NaNs as one
//! key, -0.0 as 0.0, null as one key), for every dtype with nulls and text, through the API,
//! the parser and inside larger expressions.

mod common;

use std::collections::HashSet;

use common::*;
use swath::prelude::*;

fn oracle(c: &Column) -> i64 {
    if c.dtype() == DType::Categorical {
        let strings: HashSet<Option<String>> = c.to_strings().unwrap().into_iter().collect();
        return strings.len() as i64;
    }
    (0..c.len())
        .map(|r| value_key(c.get(r).unwrap()))
        .collect::<HashSet<_>>()
        .len() as i64
}

#[test]
fn distinct_counts_match_a_set_of_the_rows() {
    let mut rng = Rng::for_test("n_unique");
    for len in [0usize, 1, 5, 64, 1000] {
        let frame = random_frame_with_text(&mut rng, len, 1, &["x", "y", "z"], 0.2);
        // Few distinct values, so duplicates are many: NaNs of two payloads, both zeros.
        let pool = [1.5f64, f64::NAN, -f64::NAN, 0.0, -0.0, 1.5, f64::INFINITY];
        let small: Vec<Option<f64>> = (0..len)
            .map(|_| (!rng.chance(0.1)).then(|| rng.pick(&pool)))
            .collect();
        let ints: Vec<i32> = (0..len).map(|_| rng.pick(&[-1, 0, 7, 7])).collect();
        let mut columns: Vec<(String, Column)> = frame
            .columns()
            .map(|(n, c)| (n.to_string(), c.clone()))
            .collect();
        columns.push(("small".into(), Column::from(small)));
        columns.push(("ints".into(), Column::from(ints)));
        let frame = Frame::new(columns).unwrap();
        let names: Vec<String> = frame.names().iter().map(|n| n.to_string()).collect();
        let out = frame
            .select(names.iter().map(|n| col(n).n_unique()))
            .unwrap();
        for name in &names {
            assert_eq!(
                out.values::<i64>(name).unwrap(),
                [oracle(frame.column(name).unwrap())],
                "{name} at {len} rows"
            );
        }
    }
}

#[test]
fn n_unique_parses_prints_and_nests() {
    let df = Frame::new([
        (
            "k",
            Column::from(vec![Some("a"), None, Some("b"), Some("a")]),
        ),
        ("x", Column::from(vec![1i64, 2, 2, 3])),
    ])
    .unwrap();
    let parsed = swath::parse("n_unique(k)").unwrap();
    assert_eq!(parsed, col("k").n_unique());
    assert_eq!(parsed.to_string(), "col(\"k\").n_unique()");
    let out = df
        .select([parsed, (col("x").n_unique() * lit(10)).alias("times")])
        .unwrap();
    assert_eq!(out.values::<i64>("k").unwrap(), [3]);
    assert_eq!(out.values::<i64>("times").unwrap(), [30]);
    // Of a filtered text column: only the strings still present count.
    let kept = df.filter(col("x").gt(lit(1))).unwrap();
    let out = kept.select([col("k").n_unique()]).unwrap();
    assert_eq!(out.values::<i64>("k").unwrap(), [3]);
    // Text in arithmetic inside n_unique is still an error naming the column.
    let err = df.select([(col("k") + lit(1)).n_unique()]);
    assert!(err.is_err_and(|e| e.to_string().contains('k')));
}
