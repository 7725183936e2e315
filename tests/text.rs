//! Text columns (dictionary-encoded, DType::Categorical) against plain Rust string
//! comparisons: building and reading them, `==`/`!=` against literals and between columns
//! with different dictionaries, `is_in`, counts and nulls, filters keeping the dictionary,
//! the parser's quoted literals, and clear errors for text in arithmetic; on every backend.

mod common;

use common::*;
use swath::prelude::*;

fn words(rng: &mut Rng, n: usize, pool: &[&str], null_chance: f64) -> Vec<Option<String>> {
    (0..n)
        .map(|_| (!rng.chance(null_chance)).then(|| rng.pick(pool).to_string()))
        .collect()
}

fn frame(rng: &mut Rng, n: usize) -> (Frame, Vec<Option<String>>, Vec<Option<String>>) {
    let k = words(rng, n, &["alpha", "beta", "gamma", "delta"], 0.1);
    // Another dictionary: other strings, in another order, some shared.
    let j = words(rng, n, &["gamma", "omega", "beta", "zeta"], 0.0);
    let x: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let df = Frame::new([
        ("k", Column::from(k.clone())),
        ("j", Column::from(j.clone())),
        ("x", Column::from(x)),
    ])
    .unwrap();
    (df, k, j)
}

/// Expected `a op b` row by row: null where either is null.
fn expect(a: &[Option<String>], b: &[Option<&str>], eq: bool) -> Vec<Option<bool>> {
    a.iter()
        .zip(b)
        .map(|(x, y)| match (x, y) {
            (Some(x), Some(y)) => Some((x == y) == eq),
            _ => None,
        })
        .collect()
}

#[test]
fn comparisons_agree_with_string_comparisons_on_every_backend() {
    let mut rng = Rng::for_test("text-compare");
    for n in [0usize, 1, 7, 4097, 70_001] {
        let (df, k, j) = frame(&mut rng, n);
        let beta = vec![Some("beta"); n];
        let absent = vec![Some("nowhere"); n];
        let js: Vec<Option<&str>> = j.iter().map(|s| s.as_deref()).collect();
        for b in backends() {
            let out = df
                .select_with(
                    [
                        col("k").eq(lit("beta")).alias("eq"),
                        col("k").neq(lit("beta")).alias("ne"),
                        col("k").eq(lit("nowhere")).alias("absent"),
                        col("k").eq(col("j")).alias("kj"),
                        col("j").neq(col("k")).alias("jk"),
                        col("k").is_in(["alpha", "gamma"]).alias("in"),
                    ],
                    &b.opts,
                )
                .unwrap_or_else(|e| panic!("[{b}] {e}"));
            let got = |name: &str| out.column(name).unwrap().to_options::<bool>().unwrap();
            assert_eq!(got("eq"), expect(&k, &beta, true), "[{b}] eq, {n} rows");
            assert_eq!(got("ne"), expect(&k, &beta, false), "[{b}] ne");
            assert_eq!(got("absent"), expect(&k, &absent, true), "[{b}] absent");
            assert_eq!(got("kj"), expect(&k, &js, true), "[{b}] k == j");
            let ks: Vec<Option<&str>> = k.iter().map(|s| s.as_deref()).collect();
            assert_eq!(got("jk"), expect(&j, &ks, false), "[{b}] j != k");
            let want_in: Vec<Option<bool>> = k
                .iter()
                .map(|s| s.as_ref().map(|s| s == "alpha" || s == "gamma"))
                .collect();
            assert_eq!(got("in"), want_in, "[{b}] is_in");
        }
    }
}

#[test]
fn counts_nulls_filters_and_printing() {
    let mut rng = Rng::for_test("text-counts");
    let (df, k, _) = frame(&mut rng, 5000);
    let out = df
        .select([
            col("k").count().alias("count"),
            col("k").len().alias("len"),
            col("k").null_count().alias("nulls"),
        ])
        .unwrap();
    let valid = k.iter().filter(|s| s.is_some()).count() as i64;
    assert_eq!(out.values::<i64>("count").unwrap(), [valid]);
    assert_eq!(out.values::<i64>("len").unwrap(), [5000]);
    assert_eq!(out.values::<i64>("nulls").unwrap(), [5000 - valid]);
    // A filter keeps the dictionary; selecting a text column passes it through.
    let kept = df
        .filter(col("k").eq(lit("gamma")) & col("x").lt(lit(2500.0)))
        .unwrap();
    let want: Vec<Option<String>> = k[..2500]
        .iter()
        .filter(|s| s.as_deref() == Some("gamma"))
        .cloned()
        .collect();
    let got = kept.column("k").unwrap();
    assert_eq!(got.dtype(), DType::Categorical);
    assert_eq!(got.to_strings().unwrap(), want);
    assert_eq!(got.categories(), df.column("k").unwrap().categories());
    let same = df.select([col("k"), col("k").alias("k2")]).unwrap();
    assert_eq!(same.column("k2").unwrap().to_strings().unwrap(), k);
    let small = Frame::new([("name", Column::from(vec![Some("ada"), None]))]).unwrap();
    let shown = small.to_string();
    assert!(
        shown.contains("\"ada\"") && shown.contains("null") && shown.contains("cat"),
        "{shown}"
    );
}

#[test]
fn the_parser_takes_quoted_text_and_text_in_arithmetic_is_an_error() {
    let df = Frame::new([
        ("k", Column::from(vec!["a", "b", "a"])),
        ("x", Column::from(vec![1.0f32, 2.0, 3.0])),
    ])
    .unwrap();
    let out = df
        .select([
            swath::parse("k == 'a'").unwrap().alias("single"),
            swath::parse("k != \"a\"").unwrap().alias("double"),
            swath::parse("`k` == \"b\"").unwrap().alias("backtick"),
        ])
        .unwrap();
    assert_eq!(out.values::<bool>("single").unwrap(), [true, false, true]);
    assert_eq!(out.values::<bool>("double").unwrap(), [false, true, false]);
    assert_eq!(
        out.values::<bool>("backtick").unwrap(),
        [false, true, false]
    );
    for bad in [
        col("k") + lit(1),
        col("k").sum(),
        col("k").eq(lit(1)),
        col("x").eq(lit("a")),
        col("k").sqrt(),
    ] {
        let err = df.select([bad.clone()]).unwrap_err();
        assert!(matches!(err, Error::InvalidType { .. }), "`{bad}`: {err}");
        assert!(err.to_string().contains("text"), "`{bad}`: {err}");
    }
}
