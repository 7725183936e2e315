//! CPU results are bit-identical for any thread count and any instruction set (ARCHITECTURE.md:
//! fixed-size chunks, partials combined in chunk order, fixed lane counts, no contraction into
//! fused multiply-adds). Checked on ~300k-row random f32 and f64 columns, which span several
//! 65536-row chunks, with reductions, a fused map-reduce and a fused map, with and without
//! nulls.

mod common;

use common::*;
use swath::prelude::*;

const ROWS: usize = 300_007;

fn frame(rng: &mut Rng) -> Frame {
    let mut cols = Vec::new();
    for (suffix, flavor) in [("", Flavor::Tame), ("_near1", Flavor::NearOne)] {
        cols.push((
            format!("a32{suffix}"),
            Column::from(gen_f32(rng, ROWS, flavor)),
        ));
        cols.push((
            format!("b32{suffix}"),
            Column::from(gen_f32(rng, ROWS, flavor)),
        ));
        cols.push((
            format!("c32{suffix}"),
            Column::from(gen_f32(rng, ROWS, flavor)),
        ));
        cols.push((
            format!("a64{suffix}"),
            Column::from(gen_f64(rng, ROWS, flavor)),
        ));
        cols.push((
            format!("b64{suffix}"),
            Column::from(gen_f64(rng, ROWS, flavor)),
        ));
        cols.push((
            format!("c64{suffix}"),
            Column::from(gen_f64(rng, ROWS, flavor)),
        ));
    }
    // Values spread over many magnitudes make summation order visible in the last bits.
    let wide: Vec<f64> = (0..ROWS)
        .map(|_| rng.uniform(-1.0, 1.0) * 10f64.powf(rng.uniform(-8.0, 8.0)))
        .collect();
    cols.push((
        "w32".into(),
        Column::from(wide.iter().map(|&x| x as f32).collect::<Vec<f32>>()),
    ));
    cols.push(("w64".into(), Column::from(wide)));
    Frame::new(cols).unwrap()
}

fn exprs() -> Vec<Expr> {
    let mut out = Vec::new();
    for w in ["32", "64"] {
        let a = col(format!("a{w}"));
        let b = col(format!("b{w}"));
        let c = col(format!("c{w}"));
        let wide = col(format!("w{w}"));
        out.extend([
            a.clone().sum(),
            wide.clone().sum(),
            a.clone().mean(),
            wide.clone().mean(),
            a.clone().var(1),
            wide.clone().var(0),
            a.clone().std(1),
            wide.clone().std(1),
            a.clone().min(),
            a.clone().max(),
            a.clone().arg_min(),
            wide.clone().arg_max(),
            col(format!("a{w}_near1")).product(),
            (col(format!("a{w}_near1")) * col(format!("b{w}_near1"))).product(),
            (a.clone() * b.clone() + c.clone()).sqrt().sum(),
            (a.clone() * b.clone() + c.clone()).abs().sqrt().mean(),
            (wide.clone() - wide.clone().mean()).pow(lit(2)).sum(),
        ]);
    }
    out.into_iter()
        .enumerate()
        .map(|(i, e)| e.alias(format!("r{i}")))
        .collect()
}

/// A result's columns, each as the bits of its values.
type Fingerprint = Vec<(String, Vec<u64>)>;

/// Every float value of a result, as bits (nulls and other dtypes as their own values).
fn fingerprint(out: &Frame) -> Fingerprint {
    out.columns()
        .map(|(name, c)| {
            let bits = column_values(c)
                .into_iter()
                .map(|v| match v {
                    // Any NaN is the same value: IEEE 754 leaves a NaN result's sign and
                    // payload open, and on an H200 host's CPU `x - NaN` gave +NaN under the
                    // base ISA and -NaN under AVX2 (not on the dev VM).
                    V::F(x, _) if x.is_nan() => f64::NAN.to_bits(),
                    V::F(x, _) => x.to_bits(),
                    V::I(i) => i as u64,
                    V::B(b) => b as u64,
                    V::Null => u64::MAX - 1,
                    V::Unknown => unreachable!(),
                })
                .collect();
            (name.to_string(), bits)
        })
        .collect()
}

fn configs() -> Vec<(String, ExecOptions)> {
    let mut out = Vec::new();
    for isa in supported_isas() {
        for threads in [1, 2, 7] {
            out.push((
                format!("{isa}/{threads}t"),
                ExecOptions::new()
                    .backend(Backend::Cpu)
                    .threads(threads)
                    .isa(isa),
            ));
        }
    }
    out
}

#[test]
fn reductions_are_bit_identical_across_threads_and_isas() {
    let mut rng = Rng::for_test("determinism");
    reductions_are_bit_identical(&frame(&mut rng), "determinism");
}

#[test]
fn reductions_with_nulls_are_bit_identical_across_threads_and_isas() {
    let mut rng = Rng::for_test("determinism-nulls");
    let plain = frame(&mut rng);
    let patterns = [
        NullRows::Random(0.05),
        NullRows::EveryThird,
        NullRows::First,
        NullRows::Random(0.5),
    ];
    let columns: Vec<(String, Column)> = plain
        .columns()
        .enumerate()
        .map(|(k, (name, c))| {
            let rows = patterns[k % patterns.len()];
            (name.to_string(), with_nulls(c, rows, &mut rng))
        })
        .collect();
    let frame = Frame::new(columns).unwrap();
    reductions_are_bit_identical(&frame, "determinism with nulls");
}

/// The reductions of [`exprs`] over `frame` give the same bits on every configuration, and
/// the oracle's values.
fn reductions_are_bit_identical(frame: &Frame, what: &str) {
    let exprs = exprs();
    let texts: Vec<String> = exprs.iter().map(|e| e.to_string()).collect();
    let mut reference: Option<(String, Fingerprint)> = None;
    let mut failures = Vec::new();
    for (name, opts) in configs() {
        let out = frame.select_with(exprs.clone(), &opts).unwrap();
        assert_eq!(out.height(), 1);
        let fp = fingerprint(&out);
        match &reference {
            None => reference = Some((name, fp)),
            Some((ref_name, ref_fp)) => {
                for (i, ((_, want), (_, got))) in ref_fp.iter().zip(&fp).enumerate() {
                    if want != got {
                        failures.push(format!(
                            "`{}`: {ref_name} gives {:?}, {name} gives {:?}",
                            texts[i],
                            want.iter().map(|b| f64::from_bits(*b)).collect::<Vec<_>>(),
                            got.iter().map(|b| f64::from_bits(*b)).collect::<Vec<_>>()
                        ));
                    }
                }
            }
        }
    }
    assert_ok(failures, what);
    // And the values are right, not just repeatable.
    let oracle = Oracle::new(frame);
    let plain: Vec<Expr> = exprs
        .iter()
        .map(|e| match e {
            Expr::Alias(inner, _) => (**inner).clone(),
            other => other.clone(),
        })
        .collect();
    assert_ok(check_exprs(frame, &oracle, &plain), what);
}

#[test]
fn fused_maps_are_bit_identical_across_threads_and_isas() {
    let mut rng = Rng::for_test("determinism-maps");
    let n = 140_000;
    let frame = Frame::new([
        ("a", Column::from(gen_f32(&mut rng, n, Flavor::Wild))),
        ("b", Column::from(gen_f32(&mut rng, n, Flavor::Wild))),
        ("c", Column::from(gen_f64(&mut rng, n, Flavor::Wild))),
    ])
    .unwrap();
    let exprs = vec![
        (col("a") * col("b") + col("c")).sqrt().alias("m1"),
        (col("a") * col("b") + col("a")).alias("m2"),
        (col("a").sin() * col("b").exp() - col("a").mean()).alias("m3"),
        col("c").sum().alias("s"),
    ];
    let mut reference = None;
    for (name, opts) in configs() {
        let fp = fingerprint(&frame.select_with(exprs.clone(), &opts).unwrap());
        match &reference {
            None => reference = Some((name, fp)),
            Some((ref_name, ref_fp)) => {
                for ((col_name, want), (_, got)) in ref_fp.iter().zip(&fp) {
                    let diff = want.iter().zip(got).position(|(x, y)| x != y);
                    if let Some(row) = diff {
                        let bits = |v: &[u64]| v.get(row).map(|b| f64::from_bits(*b));
                        panic!(
                            "{col_name}: {ref_name} and {name} differ first at row {row} \
                             ({:?} vs {:?}; bits {:x?} vs {:x?}) [inputs: {}]",
                            bits(want),
                            bits(got),
                            want.get(row),
                            got.get(row),
                            row_context(&frame, row)
                        );
                    }
                }
            }
        }
    }
}
