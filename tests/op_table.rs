//! Walks the op table (`src/ops/table.rs`): every elementwise op must parse by every one of its
//! names, print as its method, fold a constant to what a kernel computes, and agree with the
//! oracle on every dtype, with the special values of `common` (NaN, infinities, zeros,
//! subnormals, integer extremes), on every CPU ISA and every backend; every reduction must
//! parse by its names. An op added to the table but not to the parser, the printer, a backend
//! or the oracle fails here.

mod common;

use std::sync::Arc;

use common::*;
use swath::ops::{BinaryOp, ReduceOp, UnaryOp};
use swath::prelude::*;

/// Lengths that cross the 8-row groups and a 4096-row block.
const LENGTHS: [usize; 4] = [1, 9, 67, 4099];

fn un(op: UnaryOp, e: Expr) -> Expr {
    Expr::Unary(op, Arc::new(e))
}
fn bin(op: BinaryOp, x: Expr, y: Expr) -> Expr {
    Expr::Binary(op, Arc::new(x), Arc::new(y))
}

#[test]
fn every_op_parses_by_every_name() {
    for &op in UnaryOp::ALL {
        for name in std::iter::once(op.name()).chain(op.aliases().iter().copied()) {
            let text = format!("{name}(x)");
            let parsed = swath::parse(&text).unwrap_or_else(|e| panic!("`{text}`: {e}"));
            assert_eq!(parsed, un(op, col("x")), "`{text}`");
        }
    }
    for &op in BinaryOp::ALL {
        let mut spellings: Vec<String> = op
            .aliases()
            .iter()
            .map(|alias| format!("{alias}(x, y)"))
            .collect();
        match op.symbol() {
            Some(symbol) => spellings.push(format!("x {symbol} y")),
            None => spellings.push(format!("{}(x, y)", op.method())),
        }
        for text in spellings {
            let parsed = swath::parse(&text).unwrap_or_else(|e| panic!("`{text}`: {e}"));
            assert_eq!(parsed, bin(op, col("x"), col("y")), "`{text}`");
        }
    }
    for op in ReduceOp::ALL {
        for name in std::iter::once(op.name()).chain(op.aliases().iter().copied()) {
            let text = format!("{name}(x)");
            let parsed = swath::parse(&text).unwrap_or_else(|e| panic!("`{text}`: {e}"));
            assert_eq!(parsed, Expr::Reduce(op, Arc::new(col("x"))), "`{text}`");
            // One argument only (min and max of two are minimum and maximum; var and std
            // take a ddof).
            if !matches!(
                op,
                ReduceOp::Min | ReduceOp::Max | ReduceOp::Var(_) | ReduceOp::Std(_)
            ) {
                assert!(
                    swath::parse(&format!("{name}(x, y)")).is_err(),
                    "{name}(x, y)"
                );
            }
        }
    }
    // Python's precedence: shifts below + and -, `//` with `*`, `~` as tight as unary minus.
    assert_eq!(
        swath::parse("a << b + 1").unwrap(),
        col("a") << (col("b") + lit(1))
    );
    assert_eq!(
        swath::parse("a + b // c").unwrap(),
        col("a") + col("b").floor_div(col("c"))
    );
    assert_eq!(swath::parse("~a + 1").unwrap(), col("a").not() + lit(1));
}

#[test]
fn every_op_prints_as_its_method() {
    for &op in UnaryOp::ALL {
        let printed = un(op, col("x")).to_string();
        let want = if op == UnaryOp::Neg {
            "(-col(\"x\"))".to_string()
        } else {
            format!("col(\"x\").{}()", op.name())
        };
        assert_eq!(printed, want);
    }
    for &op in BinaryOp::ALL {
        let printed = bin(op, col("x"), col("y")).to_string();
        let want = if op.is_infix() {
            format!("(col(\"x\") {} col(\"y\"))", op.name())
        } else {
            format!("col(\"x\").{}(col(\"y\"))", op.method())
        };
        assert_eq!(printed, want);
    }
}

/// A value of every dtype from the Wild specials, as a literal and as a one-row column: the
/// folded literal must equal the kernel's result bit for bit (both call `ops::elem`).
#[test]
fn every_op_folds_to_what_a_kernel_computes() {
    let mut rng = Rng::for_test("fold");
    let mut failures = Vec::new();
    for _ in 0..40 {
        let values: Vec<(DType, Scalar)> = DType::ALL
            .into_iter()
            .map(|d| (d, gen_scalar(&mut rng, d)))
            .collect();
        let columns: Vec<(String, Column)> = values
            .iter()
            .map(|&(d, v)| (format!("c_{d}"), Column::full(v, 1, d)))
            .collect();
        let df = Frame::new(columns).unwrap();
        let mut pairs = Vec::new();
        for &(d, v) in &values {
            for &op in UnaryOp::ALL {
                pairs.push((un(op, lit(v)), un(op, col(format!("c_{d}")))));
            }
            for &(e, w) in &values {
                for &op in BinaryOp::ALL {
                    pairs.push((
                        bin(op, lit(v).cast(d), lit(w).cast(e)),
                        bin(op, col(format!("c_{d}")), col(format!("c_{e}"))),
                    ));
                }
            }
        }
        for (folded, kernel) in pairs {
            let opts = ExecOptions::new().backend(Backend::Cpu1);
            let f = df.select_with([folded.clone().alias("v")], &opts);
            let k = df.select_with([kernel.clone().alias("v")], &opts);
            match (f, k) {
                (Ok(f), Ok(k)) => {
                    let f = f.column("v").unwrap().get(0).ok();
                    let k = k.column("v").unwrap().get(0).ok();
                    let same = match (f, k) {
                        (Some(Scalar::F32(a)), Some(Scalar::F32(b))) => a.to_bits() == b.to_bits(),
                        (Some(Scalar::F64(a)), Some(Scalar::F64(b))) => a.to_bits() == b.to_bits(),
                        (a, b) => a == b,
                    };
                    if !same {
                        failures.push(format!("`{folded}` folds to {f:?}; the kernel gives {k:?}"));
                    }
                }
                (Err(_), Err(_)) => {}
                (f, k) => failures.push(format!("`{folded}`: {f:?} but `{kernel}`: {k:?}")),
            }
        }
    }
    assert_ok(failures, "folding");
}

/// Every op over every dtype (pair), checked against the oracle on every backend of
/// `common::backends()` (the CPU with one and two threads, the GPU when present) and, on the
/// calling thread, with every ISA this CPU has.
#[test]
fn every_op_matches_the_oracle_on_every_backend_and_isa() {
    let mut rng = Rng::for_test("op_table");
    let mut failures = Vec::new();
    for len in LENGTHS {
        let frame = random_frame(&mut rng, len, 2, Flavor::Wild);
        let oracle = Oracle::new(&frame);
        let mut exprs = Vec::new();
        for d in DType::ALL {
            let x = col(cname(d, 0));
            for &op in UnaryOp::ALL {
                exprs.push(un(op, x.clone()));
            }
            for e in DType::ALL {
                let y = col(cname(e, 1));
                for &op in BinaryOp::ALL {
                    exprs.push(bin(op, x.clone(), y.clone()));
                }
            }
        }
        failures.extend(check_exprs(&frame, &oracle, &exprs));
        for isa in supported_isas() {
            let opts = ExecOptions::new().backend(Backend::Cpu1).isa(isa);
            for e in &exprs {
                let Ok(want) = oracle.eval(e) else { continue };
                match frame.select_with([e.clone().alias("v")], &opts) {
                    Ok(out) => {
                        if let Err(why) = compare(out.column("v").unwrap(), &want, len) {
                            failures.push(format!("[{isa}] `{e}` at {len} rows: {why}"));
                        }
                    }
                    Err(err) => failures.push(format!("[{isa}] `{e}`: {err}")),
                }
            }
        }
    }
    assert_ok(failures, "op table");
}
