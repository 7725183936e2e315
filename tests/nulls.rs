//! Nulls against the oracle in `common` (which skips nulls in reductions, propagates them
//! through every op, and applies Kleene logic): every op and reduction on every dtype, with
//! nulls at the first, last, every third and random rows, in all-null and no-null columns,
//! on every backend in `common::backends()` (the GPU on lavapipe under SWATH_REQUIRE_GPU=1).

mod common;

use std::sync::Arc;

use common::*;
use swath::ops::{BinaryOp, ReduceOp, UnaryOp};
use swath::prelude::*;

const LENGTHS: [usize; 9] = [0, 1, 2, 7, 64, 65, 4097, 65537, 70001];

/// Runs `make`'s expressions over random frames with nulls, at every length and with the
/// patterns rotated across columns, and checks them against the oracle.
fn run(test: &str, flavor: Flavor, make: impl Fn(&mut Rng) -> Vec<Expr>) {
    let mut rng = Rng::for_test(test);
    let mut failures = Vec::new();
    for (k, len) in LENGTHS.into_iter().enumerate() {
        let mut patterns = NullRows::ALL.to_vec();
        patterns.rotate_left(k % NullRows::ALL.len());
        let frame = random_null_frame(&mut rng, len, 2, flavor, &patterns);
        let oracle = Oracle::new(&frame);
        let exprs = make(&mut rng);
        failures.extend(check_exprs(&frame, &oracle, &exprs));
    }
    assert_ok(failures, test);
}

fn a(d: DType) -> Expr {
    col(cname(d, 0))
}
fn b(d: DType) -> Expr {
    col(cname(d, 1))
}

#[test]
fn unary_ops_propagate_nulls() {
    run("unary_ops_propagate_nulls", Flavor::Wild, |_| {
        let mut exprs = Vec::new();
        for &op in UnaryOp::ALL {
            for d in DType::ALL {
                exprs.push(Expr::Unary(op, Arc::new(a(d))));
            }
        }
        exprs
    });
}

#[test]
fn binary_ops_propagate_nulls() {
    run("binary_ops_propagate_nulls", Flavor::Wild, |rng| {
        let mut exprs = Vec::new();
        for &op in BinaryOp::ALL {
            for d in DType::ALL {
                exprs.push(Expr::Binary(op, Arc::new(a(d)), Arc::new(b(d))));
                let s = gen_scalar(rng, d);
                exprs.push(Expr::Binary(op, Arc::new(a(d)), Arc::new(lit(s))));
            }
        }
        exprs
    });
}

#[test]
fn kleene_logic_and_when() {
    run("kleene_logic_and_when", Flavor::Wild, |_| {
        let (p, q) = (a(DType::Bool), b(DType::Bool));
        let mut exprs = vec![
            p.clone() & q.clone(),
            p.clone() | q.clone(),
            p.clone() ^ q.clone(),
            p.clone() & lit(false),
            p.clone() | lit(true),
            !p.clone(),
            (p.clone() & q.clone()) | !p.clone(),
        ];
        for d in DType::ALL {
            exprs.push(when(p.clone()).then(a(d)).otherwise(b(d)));
            exprs.push(when(a(d).gt(b(d))).then(a(d)).otherwise(lit(0)));
            exprs.push(when(p.clone()).then(lit(1)).otherwise(lit(2)).cast(d));
            exprs.push(a(d).cast(DType::F64));
            exprs.push(a(d).cast(DType::I32));
            exprs.push(a(d).cast(DType::Bool));
        }
        exprs
    });
}

#[test]
fn reductions_skip_nulls() {
    run("reductions_skip_nulls", Flavor::Tame, |_| {
        let mut exprs = Vec::new();
        for op in ReduceOp::ALL {
            for d in DType::ALL {
                exprs.push(Expr::Reduce(op, Arc::new(a(d))));
                exprs.push(Expr::Reduce(op, Arc::new(a(d) + b(d))));
            }
        }
        for d in [DType::F32, DType::F64, DType::I64] {
            // Reductions feeding a map: two passes, nulls in both.
            exprs.push(a(d) - a(d).mean());
            exprs.push((a(d) - a(d).min()).max());
        }
        exprs
    });
}

#[test]
fn null_questions_and_fill_null() {
    run("null_questions_and_fill_null", Flavor::Tame, |rng| {
        let mut exprs = Vec::new();
        for d in DType::ALL {
            let s = gen_scalar(rng, d);
            exprs.extend([
                a(d).is_null(),
                a(d).is_not_null(),
                a(d).null_count(),
                a(d).len(),
                a(d).count(),
                (a(d) + b(d)).null_count(),
                a(d).fill_null(lit(s)),
                a(d).fill_null(b(d)),
                a(d).fill_null(b(d)).is_null(),
                a(d).sum().is_null(),
                a(d).min().is_null(),
                a(d).min().fill_null(lit(s)),
                a(d).fill_null(lit(s)).sum(),
            ]);
        }
        exprs
    });
}

#[test]
fn integer_division_by_zero_is_null() {
    let df = Frame::new([
        ("a", Column::from(vec![7i32, -7, 7, 9])),
        ("b", Column::from(vec![2i32, 0, -2, 0])),
    ])
    .unwrap();
    let out = df
        .select([
            col("a").floor_div(col("b")).alias("q"),
            (col("a") % col("b")).alias("r"),
            col("a").fmod(col("b")).alias("f"),
            (col("a") / col("b")).alias("t"),
        ])
        .unwrap();
    let q = out.column("q").unwrap().to_options::<i32>().unwrap();
    assert_eq!(q, [Some(3), None, Some(-4), None]);
    let r = out.column("r").unwrap().to_options::<i32>().unwrap();
    assert_eq!(r, [Some(1), None, Some(-1), None]);
    let f = out.column("f").unwrap().to_options::<i32>().unwrap();
    assert_eq!(f, [Some(1), None, Some(1), None]);
    // True division gives floats: inf, not null.
    assert_eq!(out.column("t").unwrap().null_count(), 0);
}

#[test]
fn columns_from_options_round_trip() {
    let values = vec![Some(1.5f32), None, Some(-2.0), None];
    let c = Column::from(values.clone());
    assert_eq!((c.len(), c.null_count()), (4, 2));
    assert_eq!(c.to_options::<f32>().unwrap(), values);
    assert_eq!(c.get(1).unwrap(), Scalar::Null);
    assert_eq!(c.get(2).unwrap(), Scalar::F32(-2.0));
    // No `None`: no bitmap at all, and typed access works.
    let plain = Column::from(vec![Some(1u32), Some(2)]);
    assert!(plain.validity().is_none());
    assert_eq!(plain.to_vec::<u32>().unwrap(), [1, 2]);
    // Typed access to a column with nulls names the column.
    let df = Frame::new([("x", c)]).unwrap();
    let err = df.values::<f32>("x").unwrap_err();
    assert!(err.to_string().contains("`x`"), "{err}");
}

#[test]
fn filter_drops_null_predicates_and_keeps_validity() {
    let df = Frame::new([
        (
            "x",
            Column::from(vec![Some(1i64), None, Some(3), Some(4), None]),
        ),
        (
            "k",
            Column::from(vec![Some(true), Some(true), None, Some(false), Some(true)]),
        ),
    ])
    .unwrap();
    let kept = df.filter(col("k")).unwrap();
    assert_eq!(
        kept.column("x").unwrap().to_options::<i64>().unwrap(),
        [Some(1), None, None]
    );
    let kept = df.filter(col("x").gt(lit(2))).unwrap();
    assert_eq!(
        kept.column("k").unwrap().to_options::<bool>().unwrap(),
        [None, Some(false)]
    );
}

#[test]
fn drop_nulls_keeps_complete_rows() {
    let df = Frame::new([
        (
            "x",
            Column::from(vec![Some(1.0f64), None, Some(3.0), Some(4.0)]),
        ),
        ("k", Column::from(vec![Some(1i32), Some(2), None, Some(4)])),
        ("z", Column::from(vec![1u32, 2, 3, 4])),
    ])
    .unwrap();
    let all = df.drop_nulls(None).unwrap();
    assert_eq!(all.values::<u32>("z").unwrap(), [1, 4]);
    assert_eq!(all.values::<f64>("x").unwrap(), [1.0, 4.0]);
    let only_x = df.drop_nulls(Some(&["x"])).unwrap();
    assert_eq!(only_x.values::<u32>("z").unwrap(), [1, 3, 4]);
    assert!(df.drop_nulls(Some(&["nope"])).is_err());
}

#[test]
fn loops_refuse_columns_with_nulls() {
    let df = Frame::new([("x", Column::from(vec![Some(1.0f64), None]))]).unwrap();
    let looped = iterate(10)
        .state("z", col("x"))
        .update("z", state("z") * lit(0.5))
        .get("z");
    let err = df.select([looped]).unwrap_err();
    assert!(err.to_string().contains("fill_null"), "{err}");
}

#[test]
fn names_with_a_nul_byte_are_refused() {
    // The rewrites name their inputs with a NUL byte, so no user column may hold one.
    let err = Frame::new([("\0valid(x)", Column::from(vec![true]))]).unwrap_err();
    assert!(matches!(err, Error::InvalidName(_)), "{err}");
}
