//! group_by().agg() against an independent oracle: the test groups rows itself (a map from
//! each row's key tuple, read with `Column::get`, to its rows, in order of first row), builds
//! each group's rows as a frame of its own, and evaluates every aggregate there with the
//! scalar evaluator of tests/common (f64 reference arithmetic). Every key dtype, cardinalities
//! 1, 2, 7, 1000 and all-distinct, nulls and special values; threads 1/2/7 bit-identical; bad
//! requests give errors.

mod common;

use std::collections::HashMap;

use common::*;
use swath::prelude::*;

/// Row `r` of a column as a key (text by its string).
fn cell_key(c: &Column, r: usize) -> String {
    if c.dtype() == DType::Categorical {
        return format!("{:?}", c.str_value(r).unwrap());
    }
    value_key(c.get(r).unwrap())
}

/// The rows `rows` of `c`, built through the public constructors.
fn pick(c: &Column, rows: &[usize]) -> Column {
    macro_rules! pick {
        ($t:ty, $v:ident) => {
            Column::from(
                rows.iter()
                    .map(|&r| match c.get(r).unwrap() {
                        Scalar::$v(x) => Some(x),
                        _ => None,
                    })
                    .collect::<Vec<Option<$t>>>(),
            )
        };
    }
    match c.dtype() {
        DType::Categorical => {
            let strings: Vec<Option<String>> = rows
                .iter()
                .map(|&r| c.str_value(r).unwrap().map(str::to_string))
                .collect();
            Column::from(strings.iter().map(|s| s.as_deref()).collect::<Vec<_>>())
        }
        DType::Bool => pick!(bool, Bool),
        DType::I32 => pick!(i32, I32),
        DType::I64 => pick!(i64, I64),
        DType::U32 => pick!(u32, U32),
        DType::F32 => pick!(f32, F32),
        DType::F64 => pick!(f64, F64),
    }
}

/// The oracle's groups: each group's rows, groups in order of their first row.
fn oracle_groups(frame: &Frame, keys: &[&str]) -> Vec<Vec<usize>> {
    let columns: Vec<&Column> = keys.iter().map(|k| frame.column(k).unwrap()).collect();
    let mut index: HashMap<Vec<String>, usize> = HashMap::new();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for r in 0..frame.height() {
        let tuple: Vec<String> = columns.iter().map(|c| cell_key(c, r)).collect();
        let g = *index.entry(tuple).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[g].push(r);
    }
    groups
}

/// Checks `agg` of `frame` grouped by `keys` against the oracle; returns the failures.
fn check(frame: &Frame, keys: &[&str], aggs: &[Expr], options: &ExecOptions) -> Vec<String> {
    let what = format!("by {keys:?}");
    let key_exprs: Vec<Expr> = keys.iter().map(|k| col(*k)).collect();
    let got = match frame.group_by(key_exprs).agg_with(aggs.to_vec(), options) {
        Ok(g) => g,
        Err(e) => return vec![format!("{what}: {e}")],
    };
    let groups = oracle_groups(frame, keys);
    let mut failures = Vec::new();
    if got.height() != groups.len() {
        return vec![format!(
            "{what}: {} groups, the oracle has {}",
            got.height(),
            groups.len()
        )];
    }
    let names: Vec<String> = keys
        .iter()
        .map(|k| k.to_string())
        .chain(aggs.iter().map(Expr::output_name))
        .collect();
    if got.names() != names {
        failures.push(format!(
            "{what}: columns {:?}, expected {names:?}",
            got.names()
        ));
        return failures;
    }
    for (g, rows) in groups.iter().enumerate() {
        for k in keys {
            let (have, want) = (got.column(k).unwrap(), frame.column(k).unwrap());
            if cell_key(have, g) != cell_key(want, rows[0]) {
                failures.push(format!(
                    "{what}: group {g} key {k} is {}, expected {}",
                    cell_key(have, g),
                    cell_key(want, rows[0])
                ));
            }
        }
        // The scalar evaluator reads no text: the keys' strings were checked above.
        let sub = Frame::new(
            frame
                .columns()
                .filter(|(_, c)| c.dtype() != DType::Categorical)
                .map(|(n, c)| (n.to_string(), pick(c, rows))),
        )
        .unwrap();
        let oracle = Oracle::new(&sub);
        for e in aggs {
            let want = match oracle.eval(e) {
                Ok(w) => w,
                Err(why) => {
                    failures.push(format!("{what}: the oracle refuses `{e}`: {why}"));
                    continue;
                }
            };
            let have = pick(got.column(&e.output_name()).unwrap(), &[g]);
            if let Err(why) = compare(&have, &want, 1) {
                failures.push(format!(
                    "{what}: group {g} ({} rows) `{e}`: {why}",
                    rows.len()
                ));
            }
        }
        if failures.len() > 8 {
            break;
        }
    }
    failures
}

/// A frame of `rows` rows: keys of every dtype with `card` distinct values (nulls and special
/// floats among them), and values of every dtype with nulls.
fn keyed_frame(rng: &mut Rng, rows: usize, card: usize) -> Frame {
    let values = random_null_frame(rng, rows, 1, Flavor::Wild, &NullRows::ALL);
    let words: Vec<String> = (0..card).map(|i| format!("w{i}")).collect();
    let floats = [f64::NAN, -0.0, 0.0, 1.5, -2.25, f64::INFINITY, 1e300];
    let draw = |rng: &mut Rng| rng.below(card as u64) as usize;
    let int_keys: Vec<Option<i64>> = (0..rows)
        .map(|_| {
            let k = draw(rng);
            (k != 3).then_some(k as i64 * 7 - 20)
        })
        .collect();
    let wide_keys: Vec<i64> = (0..rows).map(|_| (draw(rng) as i64) << 40).collect();
    let text_keys: Vec<Option<&str>> = (0..rows)
        .map(|_| {
            let k = draw(rng);
            (k != 1).then(|| words[k].as_str())
        })
        .collect();
    let float_keys: Vec<Option<f64>> = (0..rows)
        .map(|_| {
            let k = draw(rng);
            (k != 2).then(|| floats.get(k).copied().unwrap_or(k as f64 / 3.0))
        })
        .collect();
    let bool_keys: Vec<Option<bool>> = (0..rows)
        .map(|_| match draw(rng) % 3 {
            0 => None,
            k => Some(k == 1),
        })
        .collect();
    let mut columns: Vec<(String, Column)> = values
        .columns()
        .map(|(n, c)| (n.to_string(), c.clone()))
        .collect();
    columns.push(("k_int".into(), Column::from(int_keys)));
    columns.push(("k_wide".into(), Column::from(wide_keys)));
    columns.push(("k_text".into(), Column::from(text_keys)));
    columns.push(("k_float".into(), Column::from(float_keys)));
    columns.push(("k_bool".into(), Column::from(bool_keys)));
    Frame::new(columns).unwrap()
}

/// Every reduction over every value column that takes it.
fn all_aggregates(frame: &Frame) -> Vec<Expr> {
    let mut aggs = vec![swath::len()];
    for (name, column) in frame.columns() {
        if name.starts_with("k_") {
            continue;
        }
        let c = || col(name);
        let tag = |e: Expr, what: &str| e.alias(format!("{name}_{what}"));
        aggs.push(tag(c().count(), "count"));
        aggs.push(tag(c().null_count(), "null_count"));
        aggs.push(tag(c().n_unique(), "n_unique"));
        aggs.push(tag(c().len(), "len"));
        if column.dtype() == DType::Bool {
            aggs.push(tag(c().any(), "any"));
            aggs.push(tag(c().all(), "all"));
            continue;
        }
        aggs.push(tag(c().sum(), "sum"));
        aggs.push(tag(c().mean(), "mean"));
        aggs.push(tag(c().min(), "min"));
        aggs.push(tag(c().max(), "max"));
        aggs.push(tag(c().var(1), "var"));
        aggs.push(tag(c().std(0), "std"));
        aggs.push(tag(c().arg_min(), "arg_min"));
        aggs.push(tag(c().arg_max(), "arg_max"));
    }
    aggs
}

#[test]
fn every_reduction_and_key_dtype_matches_the_oracle() {
    let mut rng = Rng::new(base_seed() ^ 0x6b65_7973);
    for (rows, card) in [(40, 1), (300, 2), (500, 7), (3000, 1000), (200, 1_000_000)] {
        let frame = keyed_frame(&mut rng, rows, card);
        let aggs = all_aggregates(&frame);
        let options = ExecOptions::new();
        for keys in [
            &["k_int"][..],
            &["k_wide"],
            &["k_text"],
            &["k_float"],
            &["k_bool"],
            &["k_text", "k_int"],
            &["k_float", "k_bool", "k_wide"],
        ] {
            assert_ok(
                check(&frame, keys, &aggs, &options),
                &format!("{rows} rows, {card} keys"),
            );
        }
    }
}

#[test]
fn maps_nested_reductions_and_expressions_of_reductions() {
    let mut rng = Rng::new(base_seed() ^ 0x6e65_7374);
    let frame = keyed_frame(&mut rng, 2000, 7);
    let a = || col(cname(DType::F64, 0));
    let b = || col(cname(DType::F32, 0));
    let i = || col(cname(DType::I64, 0));
    let aggs = [
        (a() * b()).sum().alias("ab"),
        (a() - a().mean()).abs().sum().alias("dev"),
        (a().sum() / b().count()).alias("ratio"),
        (i() % lit(5)).n_unique().alias("mods"),
        when(a().gt(lit(0.0)))
            .then(b())
            .otherwise(lit(1.0))
            .max()
            .alias("w"),
        lit(2.0).sum().alias("twice"),
    ];
    for keys in [&["k_int"][..], &["k_text", "k_bool"]] {
        assert_ok(check(&frame, keys, &aggs, &ExecOptions::new()), "maps");
    }
}

#[test]
fn results_are_bit_identical_for_any_thread_count() {
    let mut rng = Rng::new(base_seed() ^ 0x7468_7265);
    // Rows enough for two hash parts and, up to 40,000 keys, several blocks.
    for card in [7, 40_000, 600_000] {
        let frame = keyed_frame(&mut rng, 1_200_000, card);
        let v = || col(cname(DType::F64, 0));
        let w = || col(cname(DType::F32, 0));
        let aggs = vec![
            v().sum().alias("sum"),
            w().mean().alias("mean"),
            v().var(1).alias("var"),
            w().arg_min().alias("arg_min"),
            (v() * w()).sum().alias("product"),
            v().n_unique().alias("distinct"),
        ];
        let run = |threads: usize, keys: &[&str]| {
            let out = frame
                .group_by(keys.iter().map(|k| col(*k)))
                .agg_with(aggs.clone(), &ExecOptions::new().threads(threads))
                .unwrap();
            let cells: Vec<String> = out
                .columns()
                .flat_map(|(_, c)| {
                    (0..c.len()).map(move |r| match c.dtype() {
                        DType::F32 | DType::F64 => {
                            format!("{:?}", c.get(r).unwrap().as_f64().map(f64::to_bits))
                        }
                        _ => cell_key(c, r),
                    })
                })
                .collect();
            cells
        };
        for keys in [&["k_int"][..], &["k_float", "k_text"]] {
            let one = run(1, keys);
            assert_eq!(one, run(2, keys), "{card} keys {keys:?}: 2 threads");
            assert_eq!(one, run(7, keys), "{card} keys {keys:?}: 7 threads");
        }
    }
}

#[test]
fn explain_names_the_key_strategies_and_the_passes() {
    let mut rng = Rng::new(base_seed() ^ 0x6578_706c);
    let frame = keyed_frame(&mut rng, 500, 7);
    let v = || col(cname(DType::F64, 0));
    let aggs = [
        v().sum(),
        (v() * lit(2.0)).mean().alias("m"),
        v().n_unique().alias("u"),
        (v() - v().mean()).abs().sum().alias("dev"),
    ];
    let groups = frame
        .group_by([col("k_text"), col("k_int")])
        .agg(aggs.clone())
        .unwrap()
        .height();
    let plan = frame
        .group_by([col("k_text"), col("k_int"), col("k_float")])
        .explain(aggs.clone())
        .unwrap();
    for want in [
        "key `k_text`: text codes",
        "key `k_int`: integer offsets",
        "key `k_float`: hashed by value",
        "combined:",
        "one keyed pass",
        "computed per 65536-row window",
        "n_unique",
        "its own pass",
    ] {
        assert!(plan.contains(want), "`{want}` missing from:\n{plan}");
    }
    let two_keys = frame
        .group_by([col("k_text"), col("k_int")])
        .explain(aggs)
        .unwrap();
    assert!(two_keys.contains(&format!("{groups} groups")), "{two_keys}");
}

#[test]
fn an_empty_frame_gives_empty_columns() {
    let frame = Frame::new([
        ("k", Column::from(Vec::<i64>::new())),
        ("v", Column::from(Vec::<f64>::new())),
    ])
    .unwrap();
    let out = frame
        .group_by([col("k")])
        .agg([col("v").sum(), swath::len()])
        .unwrap();
    assert_eq!(out.names(), ["k", "v", "len"]);
    assert_eq!(out.height(), 0);
    assert_eq!(out.column("v").unwrap().dtype(), DType::F64);
}

#[test]
fn bad_requests_are_errors_naming_the_expression() {
    let frame = Frame::new([
        ("k", Column::from(vec![1i64, 2, 1])),
        ("t", Column::from(vec!["a", "b", "a"])),
        ("v", Column::from(vec![1.0f64, 2.0, 3.0])),
    ])
    .unwrap();
    let err = |keys: Vec<Expr>, aggs: Vec<Expr>| match no_panic(|| frame.group_by(keys).agg(aggs)) {
        Ok(Err(e)) => e.to_string(),
        Ok(Ok(f)) => panic!("expected an error, got {f:?}"),
        Err(p) => panic!("panicked: {p}"),
    };
    assert!(err(vec![col("nope")], vec![col("v").sum()]).contains("nope"));
    assert!(err(vec![col("k")], vec![col("nope").sum()]).contains("nope"));
    let bare = err(vec![col("k")], vec![col("v")]);
    assert!(bare.contains("must be reduced"), "{bare}");
    let mapped = err(vec![col("k")], vec![col("v") + lit(1.0)]);
    assert!(mapped.contains("must be reduced"), "{mapped}");
    let reduced_key = err(vec![col("v").sum()], vec![swath::len()]);
    assert!(reduced_key.contains("one value per row"), "{reduced_key}");
    let text_sum = err(vec![col("k")], vec![col("t").sum()]);
    assert!(text_sum.contains("text column `t`"), "{text_sum}");
}

#[test]
fn every_isa_gives_the_same_bits() {
    let mut rng = Rng::new(base_seed() ^ 0x6973_6173);
    let frame = keyed_frame(&mut rng, 300_000, 40);
    let v = || col(cname(DType::F64, 0));
    let w = || col(cname(DType::F32, 0));
    let aggs = vec![
        (v() * w() + lit(1.5)).sum().alias("fused"),
        (v() - v().mean()).abs().mean().alias("dev"),
        w().var(0).alias("var"),
    ];
    let run = |isa: Isa| -> Vec<Option<u64>> {
        let out = frame
            .group_by([col("k_int"), col("k_text")])
            .agg_with(aggs.clone(), &ExecOptions::new().isa(isa))
            .unwrap();
        ["fused", "dev", "var"]
            .iter()
            .flat_map(|n| {
                let c = out.column(n).unwrap();
                (0..c.len()).map(|r| c.get(r).unwrap().as_f64().map(f64::to_bits))
            })
            .collect()
    };
    let isas = supported_isas();
    let first = run(isas[0]);
    for &isa in &isas[1..] {
        assert_eq!(run(isa), first, "{isa:?} against {:?}", isas[0]);
    }
}

mod random {
    use super::*;
    use proptest::prelude::*;

    const KEY_SETS: [&[&str]; 6] = [
        &["k_int"],
        &["k_text"],
        &["k_float"],
        &["k_bool", "k_wide"],
        &["k_text", "k_float"],
        &["k_int", "k_bool", "k_text"],
    ];

    proptest! {
        // A fixed seed (`SWATH_TEST_SEED` changes it), so a run is reproducible, as in
        // tests/properties.rs.
        #![proptest_config(ProptestConfig {
            cases: 24,
            failure_persistence: None,
            rng_seed: proptest::test_runner::RngSeed::Fixed(base_seed()),
            ..ProptestConfig::default()
        })]

        /// Random frames, keys and aggregate lists (a random subset of every reduction, plus
        /// maps and nested reductions) agree with the oracle.
        #[test]
        fn random_groupings_agree_with_the_oracle(
            rows in 0usize..400,
            card in 1usize..60,
            keys in 0usize..KEY_SETS.len(),
            seed in any::<u64>(),
            pick in any::<u64>(),
        ) {
            let mut rng = common::Rng::new(seed);
            let frame = keyed_frame(&mut rng, rows, card);
            let a = || col(cname(DType::F64, 0));
            let b = || col(cname(DType::I32, 0));
            let mut aggs: Vec<Expr> = all_aggregates(&frame)
                .into_iter()
                .enumerate()
                .filter(|(k, _)| pick >> (k % 64) & 1 == 1)
                .map(|(_, e)| e)
                .collect();
            aggs.push((a() * b()).max().alias("ab"));
            aggs.push((a() - a().min()).sum().alias("over_min"));
            let failures = check(&frame, KEY_SETS[keys], &aggs, &ExecOptions::new());
            prop_assert!(failures.is_empty(), "{}", failures.join("\n"));
        }
    }
}
