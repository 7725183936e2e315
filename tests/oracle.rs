//! Every op against the scalar oracle in `common`: each unary and binary op, comparison,
//! logic op, `when`, cast (every dtype pair), `clamp`, `fill_nan` and reduction, for every
//! dtype (dtypes an op refuses must give `Err`, never a panic), at lengths around swath's
//! block (4096) and chunk (65536) sizes, on every backend in `common::backends()`.
//!
//! Lengths up to 65 run every expression. Above that the lengths come in bands
//! (1023/1025, 4095/4096/4097, 65535/65536/65537/131073) and each expression runs at one
//! length of each band, chosen round-robin, which keeps the debug-build suite fast while
//! every op still crosses a block and a chunk boundary.

mod common;

use std::sync::Arc;

use common::*;
use swath::ops::{BinaryOp, ReduceOp, UnaryOp};
use swath::prelude::*;

const LENGTHS: [usize; 17] = [
    0, 1, 7, 8, 9, 63, 64, 65, 1023, 1025, 4095, 4096, 4097, 65535, 65536, 65537, 131073,
];

/// Lengths where every expression runs (extras included).
const SMALL_MAX: usize = 65;
/// Up to this length, the extra expressions a test asks for also run.
const EXTRAS_MAX: usize = 4097;

const BANDS: [&[usize]; 3] = [
    &[1023, 1025],
    &[4095, 4096, 4097],
    &[65535, 65536, 65537, 131073],
];

/// The expressions that run at `len` (see the module docs).
fn pick(exprs: Vec<Expr>, len: usize) -> Vec<Expr> {
    if len <= SMALL_MAX {
        return exprs;
    }
    let band = BANDS
        .iter()
        .find(|b| b.contains(&len))
        .expect("length in a band");
    let slot = band.iter().position(|&l| l == len).unwrap();
    exprs
        .into_iter()
        .enumerate()
        .filter(|(k, _)| k % band.len() == slot)
        .map(|(_, e)| e)
        .collect()
}

/// Runs `make`'s expressions over a fresh random frame at every length and checks them.
/// `make` returns (expressions for every length, extras for lengths up to 4097).
fn run(test: &str, flavor: Flavor, make: impl Fn(&mut Rng, usize) -> (Vec<Expr>, Vec<Expr>)) {
    let mut rng = Rng::for_test(test);
    let mut failures = Vec::new();
    for len in LENGTHS {
        let frame = random_frame(&mut rng, len, 2, flavor);
        let oracle = Oracle::new(&frame);
        let (mut exprs, extras) = make(&mut rng, len);
        if len <= EXTRAS_MAX {
            exprs.extend(extras);
        }
        failures.extend(check_exprs(&frame, &oracle, &pick(exprs, len)));
    }
    assert_ok(failures, test);
}

/// First random column of dtype `d`.
fn a(d: DType) -> Expr {
    col(cname(d, 0))
}
/// Second, independent random column of dtype `d`.
fn b(d: DType) -> Expr {
    col(cname(d, 1))
}
fn un(op: UnaryOp, e: Expr) -> Expr {
    Expr::Unary(op, Arc::new(e))
}
fn bin(op: BinaryOp, x: Expr, y: Expr) -> Expr {
    Expr::Binary(op, Arc::new(x), Arc::new(y))
}
fn red(op: ReduceOp, e: Expr) -> Expr {
    Expr::Reduce(op, Arc::new(e))
}
fn rlit(rng: &mut Rng, d: DType) -> Expr {
    lit(gen_scalar(rng, d))
}

/// `op` over every pair of column dtypes, plus (as extras) column-literal and
/// literal-column for every literal dtype, and a literal-literal pair.
fn binary_family(ops: &[BinaryOp], rng: &mut Rng) -> (Vec<Expr>, Vec<Expr>) {
    let mut exprs = Vec::new();
    let mut extras = Vec::new();
    for &op in ops {
        for x in DType::ALL {
            for y in DType::ALL {
                exprs.push(bin(op, a(x), b(y)));
                extras.push(bin(op, a(x), rlit(rng, y)));
                extras.push(bin(op, rlit(rng, y), a(x)));
            }
            extras.push(bin(op, rlit(rng, x), rlit(rng, x)));
        }
    }
    (exprs, extras)
}

/// The oracle of a device that flushes f32 subnormals (which the GPU's rows may also match)
/// reads them as zeros of their sign, flushes subnormal f32 results, and leaves other types
/// and normal values alone; a result compared against it is flushed the same way.
#[test]
fn the_flushing_oracle_reads_f32_subnormals_as_zeros() {
    let tiny = f32::from_bits(1); // 1.4e-45
    let df = Frame::new([
        ("x", Column::from(vec![tiny, -tiny, 1.5, 1e-38])),
        ("y", Column::from(vec![0.0f32, 0.0, 2.0, 0.25])),
        ("d", Column::from(vec![1e-310f64, 0.0, 1.0, 2.0])),
    ])
    .unwrap();
    let plain = Oracle::new(&df);
    let flushing = plain.with_tol(Tol {
        flush_f32_subnormals: true,
        ..plain.tol
    });
    let floats = |o: &Oracle, e: Expr| -> Vec<f64> {
        o.eval(&e)
            .unwrap()
            .vals
            .iter()
            .map(|v| match v {
                V::F(x, 0.0) => *x,
                other => panic!("`{e}`: {other:?}"),
            })
            .collect()
    };
    let sum = col("x") + col("y");
    assert_eq!(
        floats(&plain, sum.clone()),
        [tiny as f64, -tiny as f64, 3.5, 0.25]
    );
    let flushed = floats(&flushing, sum);
    assert_eq!(flushed, [0.0, 0.0, 3.5, 0.25]);
    let x = floats(&flushing, col("x"));
    assert!(
        x[1] == 0.0 && x[1].is_sign_negative(),
        "a flushed -tiny is -0"
    );
    // 1e-38 * 0.25 is subnormal: flushed as a result, kept by the plain oracle.
    let product = col("x") * col("y");
    assert_eq!(floats(&plain, product.clone())[3], (1e-38f32 * 0.25) as f64);
    assert_eq!(floats(&flushing, product.clone())[3], 0.0);
    // f64 subnormals are not touched.
    assert_eq!(floats(&flushing, col("d"))[0], 1e-310);
    // compare_either: zeros where the plain oracle wants subnormals pass only against the
    // flushing oracle.
    let got = Column::from(vec![0.0f32, 0.0, 3.0, 0.0]);
    let want = plain.eval(&product).unwrap();
    let want_flushed = flushing.eval(&product).unwrap();
    assert!(compare(&got, &want, 4).is_err());
    assert!(compare_either(&got, &want, Some(&want_flushed), 4).is_ok());
    // A wrong normal value fails against both.
    let wrong = Column::from(vec![0.0f32, 0.0, 3.5, 0.0]);
    assert!(compare_either(&wrong, &want, Some(&want_flushed), 4).is_err());
}

#[test]
fn unary_ops_every_dtype() {
    run("unary", Flavor::Wild, |rng, _| {
        let mut exprs = Vec::new();
        let mut extras = Vec::new();
        for &op in UnaryOp::ALL {
            for d in DType::ALL {
                exprs.push(un(op, a(d)));
                extras.push(un(op, rlit(rng, d)));
            }
        }
        // The operator spellings build the same nodes.
        extras.push(-a(DType::F32));
        extras.push(-a(DType::I32));
        extras.push(!a(DType::Bool));
        (exprs, extras)
    });
}

#[test]
fn binary_arithmetic_every_dtype_pair() {
    use BinaryOp::*;
    run("arith", Flavor::Wild, |rng, _| {
        let (exprs, mut extras) = binary_family(
            &[Add, Sub, Mul, Div, FloorDiv, Rem, Fmod, Minimum, Maximum],
            rng,
        );
        // Operator spellings.
        let (x, y) = (a(DType::F64), b(DType::F64));
        extras.push(x.clone() + y.clone());
        extras.push(x.clone() - y.clone());
        extras.push(x.clone() * y.clone());
        extras.push(x.clone() / y.clone());
        extras.push(x.clone() % y.clone());
        extras.push(x.floor_div(y));
        // A bool in arithmetic is 0 or 1 of the other operand's type (numpy).
        extras.push(lit(0.25) * a(DType::F32).lt(lit(5.0)));
        extras.push(a(DType::Bool) + a(DType::I32));
        extras.push(a(DType::I32) * 3);
        extras.push(a(DType::F32) * 2.5);
        extras.push(a(DType::U32) - 1u32);
        (exprs, extras)
    });
}

#[test]
fn binary_float_math_every_dtype_pair() {
    run("floatmath", Flavor::Wild, |rng, _| {
        use BinaryOp::*;
        let (exprs, mut extras) = binary_family(&[Pow, Atan2, Hypot, Copysign, Nextafter], rng);
        // numpy computes `x ** 0.5` as sqrt(x): NaN at -inf.
        extras.push(a(DType::F64).pow(lit(0.5)));
        extras.push((a(DType::F32) + lit(1.0)).pow(lit(0.5)));
        (exprs, extras)
    });
}

#[test]
fn comparisons_every_dtype_pair() {
    use BinaryOp::*;
    run("compare", Flavor::Wild, |rng, _| {
        binary_family(&[Eq, Ne, Lt, Le, Gt, Ge], rng)
    });
}

#[test]
fn logic_ops_every_dtype_pair() {
    use BinaryOp::*;
    run("logic", Flavor::Wild, |rng, _| {
        let (mut exprs, extras) = binary_family(&[And, Or, Xor], rng);
        let p = a(DType::Bool);
        let q = b(DType::Bool);
        exprs.push(p.clone().and(q.clone()).or(p.clone().xor(q.clone())).not());
        exprs.push(
            a(DType::F64)
                .gt(b(DType::F64))
                .and(a(DType::I32).lt_eq(lit(0))),
        );
        exprs.push(a(DType::F32).is_nan().or(a(DType::F32).is_finite().not()));
        (exprs, extras)
    });
}

#[test]
fn shifts_every_dtype_pair() {
    use BinaryOp::*;
    run("shift", Flavor::Wild, |rng, len| {
        let (mut exprs, extras) = binary_family(&[Shl, Shr], rng);
        // Amounts in range, as well as the random ones (mostly past the width).
        for d in [DType::I32, DType::I64, DType::U32] {
            let amount = lit((len % 70) as i32 - 3);
            exprs.push(a(d) << amount.clone());
            exprs.push(a(d) >> amount);
        }
        (exprs, extras)
    });
}

#[test]
fn when_then_otherwise() {
    run("when", Flavor::Wild, |rng, _| {
        let mut exprs = Vec::new();
        let mut extras = Vec::new();
        let cond = a(DType::Bool);
        for t in DType::ALL {
            for o in DType::ALL {
                exprs.push(when(cond.clone()).then(a(t)).otherwise(b(o)));
                extras.push(when(cond.clone()).then(a(t)).otherwise(rlit(rng, o)));
                extras.push(when(cond.clone()).then(rlit(rng, t)).otherwise(b(o)));
            }
            // A condition that is not bool is an error.
            exprs.push(when(a(t)).then(a(DType::F64)).otherwise(b(DType::F64)));
            // Chained conditions: the first that holds wins.
            exprs.push(
                when(a(t).gt(b(t)))
                    .then(a(t))
                    .when(b(DType::Bool))
                    .then(b(t))
                    .otherwise(rlit(rng, t)),
            );
            // A single-value condition broadcasts.
            extras.push(when(lit(rng.chance(0.5))).then(a(t)).otherwise(b(t)));
            extras.push(
                when(rlit(rng, t).gt(rlit(rng, t)))
                    .then(rlit(rng, t))
                    .otherwise(a(t)),
            );
        }
        (exprs, extras)
    });
}

#[test]
fn casts_every_dtype_pair() {
    run("cast", Flavor::Wild, |rng, _| {
        let mut exprs = Vec::new();
        let mut extras = Vec::new();
        for from in DType::ALL {
            for to in DType::ALL {
                exprs.push(a(from).cast(to));
                exprs.push(a(from).cast(to).cast(from));
                extras.push(rlit(rng, from).cast(to));
                // A cast literal is strongly typed: it no longer adopts the other side's type.
                extras.push(a(to) + rlit(rng, from).cast(from));
            }
        }
        (exprs, extras)
    });
}

#[test]
fn clamp_and_fill_nan() {
    run("clamp", Flavor::Wild, |rng, _| {
        let mut exprs = Vec::new();
        let mut extras = Vec::new();
        for d in DType::ALL {
            let (lo, hi) = match (gen_scalar(rng, d), gen_scalar(rng, d)) {
                (x, y) if x.as_f64() <= y.as_f64() => (x, y),
                (x, y) => (y, x),
            };
            exprs.push(a(d).clamp(lit(lo), lit(hi)));
            exprs.push(a(d).clamp(b(d).minimum(lit(lo)), b(d).maximum(lit(hi))));
            exprs.push(a(d).fill_nan(b(d)));
            exprs.push(a(d).fill_nan(lit(0.0)));
            extras.push(a(d).fill_nan(rlit(rng, d)));
            extras.push(a(d).clamp(rlit(rng, DType::F64), rlit(rng, DType::I32)));
            extras.push(a(d).clamp(a(DType::F32), a(DType::F32) + 1.0f32));
        }
        (exprs, extras)
    });
}

fn reductions() -> Vec<ReduceOp> {
    use ReduceOp::*;
    vec![
        Sum,
        Prod,
        Mean,
        Min,
        Max,
        Count,
        Var(0),
        Var(1),
        Var(2),
        Std(0),
        Std(1),
        Std(5),
        ArgMin,
        ArgMax,
        Any,
        All,
    ]
}

fn reduction_family(rng: &mut Rng) -> (Vec<Expr>, Vec<Expr>) {
    let mut exprs = Vec::new();
    let mut extras = Vec::new();
    for op in reductions() {
        for d in DType::ALL {
            exprs.push(red(op, a(d)));
            // A reduction of a single value (a literal).
            extras.push(red(op, rlit(rng, d)));
        }
    }
    // The builder spellings.
    let x = a(DType::F64);
    extras.extend([
        x.clone().sum(),
        x.clone().product(),
        x.clone().prod(),
        x.clone().mean(),
        x.clone().min(),
        x.clone().max(),
        x.clone().count(),
        x.clone().var(1),
        x.clone().std(0),
        x.clone().arg_min(),
        x.arg_max(),
        a(DType::Bool).any(),
        a(DType::Bool).all(),
    ]);
    (exprs, extras)
}

#[test]
fn reductions_wild_data() {
    run("reduce-wild", Flavor::Wild, |rng, _| reduction_family(rng));
}

#[test]
fn reductions_tame_data() {
    run("reduce-tame", Flavor::Tame, |rng, _| reduction_family(rng));
}

#[test]
fn reductions_products_near_one() {
    run("reduce-prod", Flavor::NearOne, |_, _| {
        let exprs = DType::ALL
            .into_iter()
            .flat_map(|d| {
                [
                    a(d).product(),
                    (a(d) * b(d)).product(),
                    a(d).sum(),
                    a(d).mean(),
                ]
            })
            .collect();
        (exprs, Vec::new())
    });
}

/// Tame data with one NaN, +inf or -inf planted at a random row (often in a later chunk):
/// reductions must notice it wherever it is.
#[test]
fn reductions_find_one_planted_special() {
    let mut rng = Rng::for_test("planted");
    let mut failures = Vec::new();
    for len in [1usize, 9, 4097, 65537, 131073] {
        for special in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let mut f64s = gen_f64(&mut rng, len, Flavor::Tame);
            let mut f32s = gen_f32(&mut rng, len, Flavor::Tame);
            let at = if rng.chance(0.3) {
                len - 1
            } else {
                rng.below(len as u64) as usize
            };
            f64s[at] = special;
            f32s[rng.below(len as u64) as usize] = special as f32;
            let frame = Frame::new([("x", Column::from(f64s)), ("y", Column::from(f32s))]).unwrap();
            let oracle = Oracle::new(&frame);
            let mut exprs = Vec::new();
            for name in ["x", "y"] {
                for op in reductions() {
                    if !matches!(op, ReduceOp::Any | ReduceOp::All) {
                        exprs.push(red(op, col(name)));
                    }
                }
            }
            failures.extend(check_exprs(&frame, &oracle, &exprs));
        }
    }
    assert_ok(failures, "planted specials");
}

/// Reductions inside maps (broadcast), maps inside reductions, and reductions of reductions.
#[test]
fn reductions_nested_in_maps() {
    run("nested", Flavor::Tame, |rng, _| {
        let mut exprs = Vec::new();
        for d in DType::ALL {
            let x = a(d);
            let y = b(d);
            exprs.extend([
                x.clone() - x.clone().mean(),
                (x.clone() - x.clone().mean()) / x.clone().std(1),
                x.clone().gt(x.clone().mean()),
                x.clone() / x.clone().sum(),
                x.clone().cast(DType::F64) - x.clone().max().cast(DType::F64),
                when(x.clone().gt(x.clone().mean()))
                    .then(x.clone())
                    .otherwise(x.clone().min()),
                (x.clone() * y.clone()).sum(),
                (x.clone() - x.clone().mean()).pow(lit(2)).mean(),
                x.clone().sum() + y.clone().max(),
                x.clone().mean().sqrt() * x.clone().count(),
                (x.clone() - x.clone().min()).max() - (x.clone().max() - x.clone().min()),
                x.clone().eq(x.clone().max()).any(),
                (x.clone() * rlit(rng, d)).sum().sum(),
                x.clone().arg_max().cast(DType::F64) + x.clone().arg_min(),
            ]);
        }
        (exprs, Vec::new())
    });
}

/// Fused selects: many outputs over shared inputs in one call, scalars broadcast among
/// full-length outputs, on the wild data.
#[test]
fn mixed_select_broadcasts_scalars() {
    let mut rng = Rng::for_test("mixed");
    let mut failures = Vec::new();
    for len in [0usize, 1, 5, 4096, 65537] {
        let frame = random_frame(&mut rng, len, 2, Flavor::Wild);
        let oracle = Oracle::new(&frame);
        let x = a(DType::F32);
        let y = b(DType::F32);
        let exprs = vec![
            (x.clone() * y.clone() + a(DType::F64)).sqrt(),
            (x.clone() * y.clone() + a(DType::F64)).sqrt().sum(),
            x.clone().min(),
            x.clone().max(),
            (x.clone() * y.clone()).max(),
            a(DType::I32).sum(),
            lit(1.5f64),
            lit(2) + lit(3),
            x.clone() * 2.0,
            a(DType::I64).count(),
        ];
        failures.extend(check_exprs(&frame, &oracle, &exprs));
    }
    assert_ok(failures, "mixed select");
}

// ---------------------------------------------------------------------------------------------
// Hand-written expectations: these do not rely on the oracle, so a mistake shared by the oracle
// and swath still shows.
// ---------------------------------------------------------------------------------------------

fn eval1(frame: &Frame, e: Expr) -> Column {
    frame
        .select([e.alias("out")])
        .unwrap()
        .column("out")
        .unwrap()
        .clone()
}

#[test]
fn dtype_rules_by_hand() {
    let f = Frame::new([
        ("b", Column::from(vec![true, false])),
        ("i", Column::from(vec![1i32, -2])),
        ("l", Column::from(vec![3i64, 4])),
        ("u", Column::from(vec![5u32, 6])),
        ("f", Column::from(vec![1.5f32, -2.5])),
        ("d", Column::from(vec![0.25f64, 8.0])),
    ])
    .unwrap();
    let dt = |e: Expr| eval1(&f, e).dtype();
    use DType::*;
    for b in backends() {
        // The whole table of strong promotions.
        let cases = [
            (col("i") + col("l"), I64),
            (col("i") + col("u"), I64),
            (col("u") + col("l"), I64),
            (col("l") + col("f"), F32),
            (col("i") + col("f"), F32),
            (col("f") + col("d"), F64),
            (col("u") * col("d"), F64),
            // Weak literals.
            (col("f") * lit(2.0), F32),
            (col("i") * lit(2.5), F64),
            (col("i") + lit(2i64), I32),
            (col("u") + lit(1i32), U32),
            (col("f") + lit(1i64), F32),
            (col("d") + lit(1.0f32), F64),
            (col("f") * (lit(1) + lit(0.5)), F32),
            (col("i") * lit(1.0f32), F64),
            (col("b").and(lit(true)), Bool),
            (lit(1) + lit(2i64), I64),
            (lit(1.0f32) + lit(2.0), F64),
            (lit(2i64).cast(I64) + col("i"), I64),
            // Float math: f32 stays, others f64.
            (col("f").sqrt(), F32),
            (col("i").sqrt(), F64),
            (col("u").pow(col("i")), F64),
            (col("f").atan2(col("i")), F32),
            // Reductions.
            (col("i").sum(), I64),
            (col("u").sum(), I64),
            (col("b").sum(), I64),
            (col("f").sum(), F32),
            (col("i").product(), I64),
            (col("f").mean(), F32),
            (col("i").mean(), F64),
            (col("f").var(1), F32),
            (col("l").std(1), F64),
            (col("u").min(), U32),
            (col("f").max(), F32),
            (col("f").arg_min(), I64),
            (col("b").count(), I64),
            (col("b").all(), Bool),
            (col("f").is_nan(), Bool),
            (col("i").lt(col("d")), Bool),
        ];
        for (e, want) in cases {
            let text = e.to_string();
            let got = f.select_with([e.alias("o")], &b.opts).unwrap();
            assert_eq!(got.column("o").unwrap().dtype(), want, "[{b}] {text}");
        }
        let _ = dt;
    }
}

#[test]
fn edge_values_by_hand() {
    let f = Frame::new([
        (
            "x",
            Column::from(vec![0.5f64, 1.5, 2.5, -2.5, -0.0, f64::NAN, -0.4, 3.0]),
        ),
        (
            "i",
            Column::from(vec![i32::MIN, i32::MAX, -7, 7, 0, -1, 1, 5]),
        ),
        ("j", Column::from(vec![-1i32, 1, 2, 0, 0, 3, 0, -3])),
        ("u", Column::from(vec![0u32, u32::MAX, 3, 7, 1, 2, 9, 4])),
        (
            "g",
            Column::from(vec![
                f32::NAN,
                1e10,
                -1e10,
                -1.0,
                0.9,
                f32::INFINITY,
                -0.0,
                1e-40,
            ]),
        ),
    ])
    .unwrap();
    for b in backends() {
        let get = |e: Expr| {
            f.select_with([e.alias("o")], &b.opts)
                .unwrap()
                .column("o")
                .unwrap()
                .clone()
        };
        let f64s = |e: Expr| get(e).to_vec::<f64>().unwrap();
        let bits = |v: Vec<f64>| v.into_iter().map(f64::to_bits).collect::<Vec<_>>();
        // Round half to even; -0.4 rounds to -0.0.
        assert_eq!(
            bits(f64s(col("x").round())),
            bits(vec![0.0, 2.0, 2.0, -2.0, -0.0, f64::NAN, -0.0, 3.0]),
            "[{b}] round"
        );
        // sign: a zero keeps itself, NaN stays NaN.
        assert_eq!(
            bits(f64s(col("x").sign())),
            bits(vec![1.0, 1.0, 1.0, -1.0, -0.0, f64::NAN, -1.0, 1.0]),
            "[{b}] sign"
        );
        assert_eq!(
            f64s(-col("x"))[4].to_bits(),
            0.0f64.to_bits(),
            "[{b}] -(-0.0)"
        );
        assert_eq!(
            f64s(col("x").abs())[4].to_bits(),
            0.0f64.to_bits(),
            "[{b}] abs(-0.0)"
        );
        // Integer wrapping, division and remainder.
        let i32s = |e: Expr| get(e).to_vec::<i32>().unwrap();
        assert_eq!(i32s(-col("i"))[..2], [i32::MIN, -i32::MAX], "[{b}] neg");
        assert_eq!(
            i32s(col("i").abs())[..3],
            [i32::MIN, i32::MAX, 7],
            "[{b}] abs"
        );
        // Division by zero is null: a zero divisor row is None below.
        let opts = |e: Expr| get(e).to_options::<i32>().unwrap();
        let by_zero: Vec<bool> = get(col("j").eq(lit(0))).to_vec::<bool>().unwrap();
        let expect = |v: Vec<i32>| -> Vec<Option<i32>> {
            v.into_iter()
                .zip(&by_zero)
                .map(|(x, &z)| (!z).then_some(x))
                .collect()
        };
        assert_eq!(
            opts(col("i").floor_div(col("j"))),
            expect(vec![i32::MIN, i32::MAX, -4, 0, 0, -1, 0, -2]),
            "[{b}] // (MIN // -1 wraps, x // 0 is null, rounds toward -inf)"
        );
        assert_eq!(
            opts(col("i") % col("j")),
            expect(vec![0, 0, 1, 0, 0, 2, 0, -1]),
            "[{b}] % (divisor's sign, x % 0 is null)"
        );
        assert_eq!(
            opts(col("i").fmod(col("j"))),
            expect(vec![0, 0, -1, 0, 0, -1, 0, 2]),
            "[{b}] fmod (dividend's sign, fmod(x, 0) is null)"
        );
        let true_div = get(col("i") / col("j")).to_vec::<f64>().unwrap();
        assert_eq!(true_div[2], -3.5, "[{b}] / is true division");
        assert_eq!(true_div[3], f64::INFINITY, "[{b}] 7 / 0");
        assert_eq!(i32s(col("i") + lit(1))[1], i32::MIN, "[{b}] MAX + 1 wraps");
        assert_eq!(
            get(col("u") - lit(1u32)).to_vec::<u32>().unwrap()[0],
            u32::MAX,
            "[{b}] u32"
        );
        assert_eq!(
            get(-col("u")).to_vec::<u32>().unwrap()[..3],
            [0, 1, u32::MAX - 2],
            "[{b}]"
        );
        // Casts: saturate, NaN -> 0, number -> bool is != 0 (NaN is true).
        assert_eq!(
            get(col("g").cast(DType::I32)).to_vec::<i32>().unwrap(),
            vec![0, i32::MAX, i32::MIN, -1, 0, i32::MAX, 0, 0],
            "[{b}] f32 -> i32"
        );
        assert_eq!(
            get(col("g").cast(DType::U32)).to_vec::<u32>().unwrap(),
            vec![0, u32::MAX, 0, 0, 0, u32::MAX, 0, 0],
            "[{b}] f32 -> u32"
        );
        assert_eq!(
            get(col("g").cast(DType::Bool)).to_vec::<bool>().unwrap(),
            vec![true, true, true, true, true, true, false, true],
            "[{b}] f32 -> bool"
        );
        assert_eq!(
            get(col("i").cast(DType::U32)).to_vec::<u32>().unwrap()[..3],
            [1 << 31, i32::MAX as u32, (-7i32) as u32],
            "[{b}] i32 -> u32"
        );
        // NaN propagates through minimum/maximum and min/max/argmin.
        let m = f64s(col("x").minimum(lit(0.0)));
        assert!(
            m[5].is_nan() && m[2] == 0.0 && m[3] == -2.5,
            "[{b}] minimum {m:?}"
        );
        assert!(f64s(col("x").max())[0].is_nan(), "[{b}] max with NaN");
        assert_eq!(
            get(col("x").arg_min()).to_vec::<i64>().unwrap(),
            vec![5],
            "[{b}] argmin"
        );
        assert_eq!(
            get(col("g").arg_max()).to_vec::<i64>().unwrap(),
            vec![0],
            "[{b}] argmax"
        );
        // Integer x // 0 is null also when both sides are literals (folded).
        let folded = get(lit(7).floor_div(lit(0)) + col("j"));
        assert_eq!(folded.null_count(), folded.len(), "[{b}] folded 7 // 0");
        // fmod keeps the dividend's sign.
        assert_eq!(
            f64s(lit(-7.5).fmod(col("x")))[..2],
            [-0.0, -0.0],
            "[{b}] fmod"
        );
    }
}

#[test]
fn empty_reductions_give_null() {
    let f = Frame::new([
        ("x", Column::from(Vec::<f32>::new())),
        ("i", Column::from(Vec::<i32>::new())),
    ])
    .unwrap();
    for b in backends() {
        let out = f
            .select_with(
                [
                    col("x").sum().alias("sum"),
                    col("x").product().alias("prod"),
                    col("i").count().alias("count"),
                    col("x").mean().alias("mean"),
                    col("x").var(1).alias("var"),
                    col("x").std(0).alias("std"),
                    col("x").min().alias("min"),
                    col("i").max().alias("max"),
                    col("x").arg_min().alias("argmin"),
                    col("i").arg_max().alias("argmax"),
                    col("i").gt(0).any().alias("any"),
                    col("i").gt(0).all().alias("all"),
                ],
                &b.opts,
            )
            .unwrap();
        assert_eq!(out.height(), 1, "[{b}]");
        let get = |n: &str| out.column(n).unwrap().get(0).unwrap();
        assert_eq!(get("sum"), Scalar::F32(0.0), "[{b}]");
        assert_eq!(get("prod"), Scalar::F32(1.0), "[{b}]");
        assert_eq!(get("count"), Scalar::I64(0), "[{b}]");
        assert_eq!(get("any"), Scalar::Bool(false), "[{b}]");
        assert_eq!(get("all"), Scalar::Bool(true), "[{b}]");
        for n in ["mean", "var", "std", "min", "max", "argmin", "argmax"] {
            assert_eq!(get(n), Scalar::Null, "[{b}] {n}");
            assert!(
                out.column(n).unwrap().to_vec::<f32>().is_err(),
                "[{b}] {n} to_vec"
            );
        }
    }
}

/// Several reductions that each need a scalar from an earlier pass (`(x - x.mean())...sum()`),
/// in one select: each needs its own first-pass result.
#[test]
fn several_second_pass_reductions_in_one_select() {
    let f = Frame::new([
        ("x", Column::from(vec![1.0f64, 2.0, 4.0])),
        ("y", Column::from(vec![1.0f64, 5.0, 3.0])),
    ])
    .unwrap();
    for b in backends() {
        let out = no_panic(|| {
            f.select_with(
                [
                    (col("x") - col("x").mean()).pow(lit(2)).sum().alias("a"),
                    (col("y") - col("y").mean()).pow(lit(2)).sum().alias("b"),
                ],
                &b.opts,
            )
        });
        let out = match out {
            Ok(Ok(out)) => out,
            Ok(Err(e)) => panic!("[{b}] select failed: {e}"),
            Err(p) => panic!("[{b}] select panicked: {p}"),
        };
        let a = out.values::<f64>("a").unwrap()[0];
        let bv = out.values::<f64>("b").unwrap()[0];
        assert!((a - 42.0 / 9.0).abs() < 1e-12, "[{b}] a = {a}");
        assert!((bv - 8.0).abs() < 1e-12, "[{b}] b = {bv}");
    }
    let mut rng = Rng::for_test("second-pass");
    let mut failures = Vec::new();
    for len in [0usize, 1, 9, 4097, 65537] {
        let frame = random_frame(&mut rng, len, 2, Flavor::Tame);
        let oracle = Oracle::new(&frame);
        let exprs: Vec<Expr> = [DType::F32, DType::F64, DType::I32]
            .into_iter()
            .flat_map(|d| {
                [
                    (a(d) - a(d).mean()).abs().sum(),
                    (b(d) - b(d).min()).max(),
                    a(d) - b(d).max(),
                    (a(d) * b(d).sum()).mean(),
                ]
            })
            .collect();
        failures.extend(check_exprs(&frame, &oracle, &exprs));
    }
    assert_ok(failures, "second-pass reductions");
}
