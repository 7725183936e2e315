//! Per-row loops (`iterate`, `state`) against the oracle in `common`, which runs each row's
//! loop as a plain scalar `while` and types loops by the documented rules on its own, on every
//! backend in `common::backends()` (the GPU skips visibly without an adapter, unless
//! `SWATH_REQUIRE_GPU=1`).
//!
//! Covered: Collatz step counts (i64, u32, exact), Newton's square root (f32, f64), halving
//! until below 1, fixed-count loops (no `while_`), `max_iter` 0 and 1, a state without an
//! update, simultaneous updates (a swap, Fibonacci), weak literal initial values adopting
//! their update's type, lengths around the loop block (256 rows), the SIMD block (4096) and
//! the chunk (65536), loop outputs next to other expressions and reductions in one select, a
//! loop as a filter predicate, reductions in initial values and bodies, nested loops, loops
//! over literals only (full-length results), every error case (`Err`, never a panic), and
//! bit-identical CPU results across threads and instruction sets.

mod common;

use common::*;
use swath::prelude::*;

/// Around the CPU's 256-row loop blocks and its 4096-row blocks. The 65536-row chunks are
/// crossed by [`across_chunks`] (65537 rows) with fewer, cheaper loops: the oracle is a
/// scalar loop per row in a debug build.
const LENGTHS: [usize; 7] = [0, 1, 255, 256, 257, 4095, 4097];
/// Above this length only the cheaper loops run.
const CHEAP_ABOVE: usize = 257;

/// Checks `exprs` (a loop's outputs, and whatever else) on every backend against the oracle.
fn check(frame: &Frame, exprs: &[Expr], failures: &mut Vec<String>) {
    let oracle = Oracle::new(frame);
    failures.extend(check_exprs(frame, &oracle, exprs));
}

/// A frame of `len` rows with the columns every test here draws on:
///
/// - `n64` (i64) and `n32` (u32): Collatz starting values (0, 1, small, and up to 10^9 and
///   100000: every trajectory from there fits its type);
/// - `a32`, `a64`: positive values over many magnitudes (and a few zeros) for square roots;
/// - `x32`, `x64`: anything (NaN, ±inf, ±0, huge, subnormal, negative);
/// - `i32`: moderate integers; `m`: i64 in 0..=6; `b`: bool; `t64`: tame f64.
fn frame(rng: &mut Rng, len: usize) -> Frame {
    let n64: Vec<i64> = (0..len)
        .map(|i| match i % 7 {
            0 => i as i64 % 5,
            1 => -(i as i64 % 3),
            2 | 3 => rng.int_in(1, 1000),
            _ => rng.int_in(1, 1_000_000_000),
        })
        .collect();
    let n32: Vec<u32> = (0..len)
        .map(|i| {
            if i % 5 == 0 {
                (i % 3) as u32
            } else {
                rng.int_in(1, 100_000) as u32
            }
        })
        .collect();
    let a64: Vec<f64> = (0..len)
        .map(|i| {
            if i % 50 == 0 {
                0.0
            } else {
                10f64.powf(rng.uniform(-6.0, 9.0))
            }
        })
        .collect();
    let a32: Vec<f32> = a64.iter().map(|&x| (x as f32).max(0.0)).collect();
    Frame::new([
        ("n64", Column::from(n64)),
        ("n32", Column::from(n32)),
        ("a32", Column::from(a32)),
        ("a64", Column::from(a64)),
        ("x32", Column::from(gen_f32(rng, len, Flavor::Wild))),
        ("x64", Column::from(gen_f64(rng, len, Flavor::Wild))),
        ("i32", gen_column(rng, DType::I32, len, Flavor::Tame)),
        (
            "m",
            Column::from((0..len).map(|_| rng.int_in(0, 6)).collect::<Vec<i64>>()),
        ),
        ("b", gen_column(rng, DType::Bool, len, Flavor::Wild)),
        ("t64", Column::from(gen_f64(rng, len, Flavor::Tame))),
    ])
    .expect("frame")
}

/// Runs `make`'s expressions at every length (`make` gets the length, to leave the costly
/// loops out of the longest frames) and checks them.
fn run(test: &str, make: impl Fn(usize) -> Vec<Expr>) {
    let mut rng = Rng::for_test(test);
    let mut failures = Vec::new();
    for len in LENGTHS {
        let frame = frame(&mut rng, len);
        check(&frame, &make(len), &mut failures);
    }
    assert_ok(failures, test);
}

/// `n -> n / 2` if even, else `3n + 1`, until 1; at most `max_iter` steps.
fn collatz(column: &str, max_iter: u32) -> swath::expr::Iterate {
    let n = state("n");
    iterate(max_iter)
        .state("n", col(column))
        .while_(n.clone().gt(lit(1)))
        .update(
            "n",
            when((n.clone() % lit(2)).eq(lit(0)))
                .then(n.clone().floor_div(lit(2)))
                .otherwise(n * lit(3) + lit(1)),
        )
}

fn newton_sqrt(column: &str, max_iter: u32, rel: f64) -> swath::expr::Iterate {
    let (x, a) = (state("x"), col(column));
    iterate(max_iter)
        .state("x", (a.clone() + lit(1)) * lit(0.5))
        .while_(
            (x.clone() * x.clone() - a.clone())
                .abs()
                .gt(a.clone() * lit(rel)),
        )
        .update("x", (x.clone() + a / x) * lit(0.5))
}

/// Halves `column` until it is below 1 (the doc example). The integer columns (`n..`, `i..`)
/// halve by floor division: `/` is true division, whose f64 would not fit their state.
fn halving(column: &str, max_iter: u32) -> swath::expr::Iterate {
    let v = state("v");
    let half = if column.starts_with('n') || column.starts_with('i') {
        v.floor_div(lit(2))
    } else {
        v / lit(2)
    };
    iterate(max_iter)
        .state("v", col(column))
        .while_(state("v").gt_eq(lit(1)))
        .update("v", half)
}

/// Every backend's result of one select, or a failure message.
fn select_on(frame: &Frame, exprs: &[Expr], b: &TestBackend) -> Result<Frame, String> {
    match try_select(frame, exprs, &b.opts) {
        Ok(Ok(out)) => Ok(out),
        Ok(Err(e)) => Err(format!("[{b}] failed: {e}")),
        Err(p) => Err(format!("[{b}] panicked: {p}")),
    }
}

// ---------------------------------------------------------------------------------------------
// The oracle itself, on cases worked out by hand
// ---------------------------------------------------------------------------------------------

#[test]
fn the_oracle_runs_loops_as_documented() {
    let df = Frame::new([
        ("n", Column::from(vec![27i64, 97, 871, 1, 0, 6])),
        ("x", Column::from(vec![0.5f64, 3.0, 40.0, 1.0, 2.0, -1.0])),
    ])
    .unwrap();
    let oracle = Oracle::new(&df);
    let ints = |e: Expr| -> Vec<i128> {
        let c = oracle.eval(&e).unwrap();
        assert!(!c.scalar, "`{e}`: a loop gives full-length rows");
        c.vals
            .iter()
            .map(|v| match v {
                V::I(i) => *i,
                other => panic!("`{e}`: {other:?}"),
            })
            .collect()
    };
    // Collatz: 27 takes 111 steps, 97 takes 118, 871 takes 178 (OEIS A006577).
    let c = collatz("n", 1000);
    assert_eq!(ints(c.iterations()), [111, 118, 178, 0, 0, 8]);
    assert_eq!(ints(c.get("n")), [1, 1, 1, 1, 0, 1]);
    // The cap stops it.
    assert_eq!(
        ints(collatz("n", 100).iterations()),
        [100, 100, 100, 0, 0, 8]
    );
    // The doc example.
    let h = halving("x", 100);
    assert_eq!(ints(h.iterations()), [0, 2, 6, 1, 2, 0]);
    let v = oracle.eval(&h.get("v")).unwrap();
    assert_eq!(v.dtype, DType::F64);
    assert_eq!(
        v.vals[..3],
        [V::F(0.5, 0.0), V::F(0.75, 0.0), V::F(0.625, 0.0)]
    );
    // A swap: three steps swap once for good.
    let swap = iterate(3)
        .state("a", col("n"))
        .state("b", lit(5i64))
        .update("a", state("b"))
        .update("b", state("a"));
    assert_eq!(ints(swap.get("a")), [5; 6]);
    assert_eq!(ints(swap.get("b")), [27, 97, 871, 1, 0, 6]);
    // Weak literal states take their update's type.
    let z = iterate(2)
        .state("z", lit(0.0))
        .update("z", state("z") + col("x").cast(DType::F32));
    assert_eq!(oracle.eval(&z.get("z")).unwrap().dtype, DType::F32);
    // Errors.
    for bad in [
        state("v"),
        iterate(1)
            .state("v", col("x"))
            .state("v", col("x"))
            .get("v"),
        iterate(1).update("v", col("x")).iterations(),
        iterate(1).state("v", col("x")).get("w"),
        iterate(1)
            .state("v", col("x"))
            .while_(state("v"))
            .iterations(),
        iterate(1)
            .state("v", col("x"))
            .update("v", col("n"))
            .iterations(),
    ] {
        assert!(oracle.eval(&bad).is_err(), "`{bad}` must be refused");
    }
}

// ---------------------------------------------------------------------------------------------
// Loops against the oracle
// ---------------------------------------------------------------------------------------------

#[test]
fn collatz_step_counts_i64_and_u32() {
    run("collatz", |len| {
        let mut exprs = Vec::new();
        // Short caps (some rows stop mid-way) run everywhere, the full one up to 257 rows.
        let caps: &[u32] = if len > CHEAP_ABOVE {
            &[3, 40]
        } else {
            &[3, 40, 1000]
        };
        for &cap in caps {
            for column in ["n64", "n32"] {
                let c = collatz(column, cap);
                exprs.push(c.iterations());
                exprs.push(c.get("n"));
            }
        }
        exprs
    });
}

#[test]
fn collatz_known_counts_on_every_backend() {
    let starts: Vec<u64> = vec![27, 97, 871, 1, 0, 6, 77031, 837799];
    let want = [111u32, 118, 178, 0, 0, 8, 350, 524];
    // Spread over several loop blocks so that each lands in another one.
    let rows = 3000;
    let column = |i: usize| starts[i % starts.len()];
    let df = Frame::new([
        (
            "n64",
            Column::from((0..rows).map(|i| column(i) as i64).collect::<Vec<i64>>()),
        ),
        (
            "n32",
            Column::from((0..rows).map(|i| column(i) as u32).collect::<Vec<u32>>()),
        ),
    ])
    .unwrap();
    let mut failures = Vec::new();
    for b in backends() {
        let exprs = [
            collatz("n64", 1000).iterations().alias("i64"),
            collatz("n32", 1000).iterations().alias("u32"),
        ];
        match select_on(&df, &exprs, &b) {
            Ok(out) => {
                for name in ["i64", "u32"] {
                    let got = out.column(name).unwrap().to_vec::<u32>().unwrap();
                    for (i, g) in got.iter().enumerate() {
                        if *g != want[i % want.len()] {
                            failures.push(format!(
                                "[{b}] {name} row {i} (n = {}): {g} steps, not {}",
                                column(i),
                                want[i % want.len()]
                            ));
                            break;
                        }
                    }
                }
            }
            Err(e) => failures.push(e),
        }
    }
    assert_ok(failures, "collatz known counts");
}

#[test]
fn newton_square_roots_f32_and_f64() {
    run("newton", |len| {
        let mut exprs = Vec::new();
        if len > CHEAP_ABOVE {
            let (n32, n64) = (newton_sqrt("a32", 60, 1e-6), newton_sqrt("a64", 60, 1e-14));
            return vec![
                n32.iterations(),
                n32.get("x"),
                n64.iterations(),
                n64.get("x"),
            ];
        }
        for (column, rel) in [("a32", 1e-6), ("a64", 1e-14), ("a64", 1e-6)] {
            let n = newton_sqrt(column, 60, rel);
            exprs.push(n.iterations());
            exprs.push(n.get("x"));
        }
        // Until the iterate stops moving (f32 may settle on a two-cycle: then max_iter).
        for column in ["a32", "a64"] {
            let (x, a) = (state("x"), col(column));
            let settle = iterate(80)
                .state("x", a.clone())
                .state("prev", lit(-1.0))
                .while_(x.clone().neq(state("prev")))
                .update("prev", x.clone())
                .update("x", (x.clone() + a / x) * lit(0.5));
            exprs.push(settle.iterations());
            exprs.push(settle.get("x"));
            exprs.push(settle.get("prev"));
        }
        exprs
    });
}

#[test]
fn newton_square_roots_are_close_to_sqrt() {
    let mut rng = Rng::for_test("newton-close");
    let df = frame(&mut rng, 2000);
    let a64 = df.column("a64").unwrap().to_vec::<f64>().unwrap();
    let a32 = df.column("a32").unwrap().to_vec::<f32>().unwrap();
    let mut failures = Vec::new();
    for b in backends() {
        let exprs = [
            newton_sqrt("a64", 60, 1e-14).get("x").alias("x64"),
            newton_sqrt("a32", 60, 1e-6).get("x").alias("x32"),
        ];
        let out = match select_on(&df, &exprs, &b) {
            Ok(out) => out,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        let x64 = out.column("x64").unwrap().to_vec::<f64>().unwrap();
        let x32 = out.column("x32").unwrap().to_vec::<f32>().unwrap();
        for i in 0..a64.len() {
            let (want64, want32) = (a64[i].sqrt(), (a32[i] as f64).sqrt());
            // (a = 0 halves from 0.5 until the cap: 0.5 / 2^60.)
            if (x64[i] - want64).abs() > 1e-7 * want64 + 1e-15 {
                failures.push(format!("[{b}] sqrt({}) = {} (f64)", a64[i], x64[i]));
            }
            if (x32[i] as f64 - want32).abs() > 1e-6 * want32 + 1e-15 {
                failures.push(format!("[{b}] sqrt({}) = {} (f32)", a32[i], x32[i]));
            }
        }
    }
    assert_ok(failures, "newton close to sqrt");
}

#[test]
fn halving_until_below_one() {
    run("halving", |_| {
        let mut exprs = Vec::new();
        for column in ["x64", "x32", "a64", "a32"] {
            let h = halving(column, 100);
            exprs.push(h.iterations());
            exprs.push(h.get("v"));
        }
        // Integers halve by integer division.
        for column in ["n64", "n32", "i32"] {
            let h = halving(column, 64);
            exprs.push(h.iterations());
            exprs.push(h.get("v"));
        }
        exprs
    });
}

#[test]
fn the_doc_example_on_every_backend() {
    let df = Frame::new([("x", Column::from(vec![0.5f64, 3.0, 40.0]))]).unwrap();
    let h = halving("x", 100);
    for b in backends() {
        let out = select_on(&df, &[h.iterations().alias("n"), h.get("v").alias("v")], &b)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(out.column("n").unwrap().to_vec::<u32>().unwrap(), [0, 2, 6]);
        assert_eq!(
            out.column("v").unwrap().to_vec::<f64>().unwrap(),
            [0.5, 0.75, 0.625],
            "[{b}]"
        );
    }
}

#[test]
fn fixed_count_loops_without_while() {
    run("fixed-count", |_| {
        let mut exprs = Vec::new();
        // i32 wraps, f64 stays exact (times 1/2 plus 1), f32 too.
        let wrap = iterate(7)
            .state("v", col("i32"))
            .update("v", state("v") * lit(1000) + lit(1));
        exprs.extend([wrap.iterations(), wrap.get("v")]);
        for column in ["x64", "x32", "t64"] {
            let affine = iterate(9)
                .state("v", col(column))
                .update("v", state("v") * lit(0.5) + lit(1));
            exprs.extend([affine.iterations(), affine.get("v")]);
        }
        // No states at all: just the count.
        exprs.push(iterate(5).iterations());
        // A condition that reads no state: all steps or none.
        exprs.push(iterate(4).while_(col("b")).iterations());
        // Math functions inside: bounded error, compared within the oracle's bound.
        let sines = iterate(6)
            .state("v", col("t64") * lit(1e-3))
            .update("v", state("v").sin() + lit(0.25));
        exprs.push(sines.get("v"));
        let sines32 = iterate(6)
            .state("v", col("a32").sqrt())
            .update("v", state("v").cos() * lit(2));
        exprs.push(sines32.get("v"));
        exprs
    });
}

#[test]
fn zero_and_one_step_limits() {
    run("max-iter-0-1", |_| {
        let mut exprs = Vec::new();
        for max in [0, 1] {
            for column in ["x64", "x32", "n64", "n32", "i32"] {
                let h = halving(column, max);
                exprs.extend([h.iterations(), h.get("v")]);
            }
            let fixed = iterate(max)
                .state("v", col("i32"))
                .update("v", state("v") + lit(1));
            exprs.extend([fixed.iterations(), fixed.get("v")]);
            // A weak initial value that adopts f32, never updated at max 0.
            let z = iterate(max)
                .state("z", lit(0.1))
                .update("z", state("z") + col("x32"));
            exprs.push(z.get("z"));
        }
        exprs
    });
}

#[test]
fn a_state_without_update_keeps_its_initial_value() {
    run("no-update", |_| {
        let c = iterate(10)
            .state("c", col("x64"))
            .state("k", lit(0))
            .while_(state("k").lt(lit(5)))
            .update("k", state("k") + lit(1));
        let d = iterate(3)
            .state("keep", col("n32"))
            .state("v", col("t64"))
            .while_(state("keep").gt(lit(50_000)))
            .update("v", state("v") + lit(1));
        vec![
            c.iterations(),
            c.get("c"),
            c.get("k"),
            d.iterations(),
            d.get("keep"),
            d.get("v"),
        ]
    });
}

#[test]
fn updates_are_simultaneous() {
    run("simultaneous", |_| {
        let swap = |steps: u32| {
            iterate(steps)
                .state("a", col("n64"))
                .state("b", col("m"))
                .update("a", state("b"))
                .update("b", state("a"))
        };
        let float_swap = iterate(5)
            .state("a", col("x64"))
            .state("b", col("t64"))
            .update("a", state("b"))
            .update("b", state("a"));
        // Fibonacci: (a, b) -> (b, a + b), from (0, 1), `m` + 1 steps.
        let fib = iterate(40)
            .state("a", lit(0i64))
            .state("b", lit(1i64))
            .state("k", col("m"))
            .while_(state("k").gt_eq(lit(0)))
            .update("a", state("b"))
            .update("b", state("a") + state("b"))
            .update("k", state("k") - lit(1));
        vec![
            swap(0).get("a"),
            swap(1).get("a"),
            swap(1).get("b"),
            swap(2).get("a"),
            swap(7).get("b"),
            float_swap.get("a"),
            float_swap.get("b"),
            fib.get("a"),
            fib.get("b"),
            fib.iterations(),
        ]
    });
}

#[test]
fn swap_and_fibonacci_values() {
    let df = Frame::new([
        ("x", Column::from((0..300).collect::<Vec<i64>>())),
        (
            "m",
            Column::from((0..300).map(|i| i % 20).collect::<Vec<i64>>()),
        ),
    ])
    .unwrap();
    let swap = iterate(3)
        .state("a", col("x"))
        .state("b", lit(-1i64))
        .update("a", state("b"))
        .update("b", state("a"));
    let fib = iterate(40)
        .state("a", lit(0i64))
        .state("b", lit(1i64))
        .state("k", col("m"))
        .while_(state("k").gt(lit(0)))
        .update("a", state("b"))
        .update("b", state("a") + state("b"))
        .update("k", state("k") - lit(1));
    let mut fibs = vec![0i64, 1];
    while fibs.len() < 25 {
        fibs.push(fibs[fibs.len() - 1] + fibs[fibs.len() - 2]);
    }
    for b in backends() {
        let out = select_on(
            &df,
            &[
                swap.get("a").alias("a"),
                swap.get("b").alias("b"),
                fib.get("a").alias("f"),
            ],
            &b,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let a = out.column("a").unwrap().to_vec::<i64>().unwrap();
        let bb = out.column("b").unwrap().to_vec::<i64>().unwrap();
        let f = out.column("f").unwrap().to_vec::<i64>().unwrap();
        for i in 0..300 {
            assert_eq!((a[i], bb[i]), (-1, i as i64), "[{b}] swap row {i}");
            assert_eq!(f[i], fibs[i % 20], "[{b}] fib({})", i % 20);
        }
    }
}

#[test]
fn weak_literal_initial_values_adopt_their_updates_type() {
    let mut rng = Rng::for_test("weak-init-types");
    let df = frame(&mut rng, 300);
    let cases: Vec<(Expr, DType)> = vec![
        // A float literal updated with f32 columns is f32 (mandelbrot's z).
        (
            iterate(3)
                .state("z", lit(0.0))
                .update("z", state("z") * state("z") + col("x32"))
                .get("z"),
            DType::F32,
        ),
        // An int literal updated with an i64 column is i64.
        (
            iterate(3)
                .state("s", lit(0))
                .update("s", state("s") + col("n64"))
                .get("s"),
            DType::I64,
        ),
        // ... and with u32, u32.
        (
            iterate(3)
                .state("s", lit(1))
                .update("s", state("s") * col("n32"))
                .get("s"),
            DType::U32,
        ),
        // A weak update keeps the literal's own type.
        (
            iterate(3)
                .state("c", lit(0))
                .update("c", state("c") + lit(1))
                .get("c"),
            DType::I32,
        ),
        (
            iterate(3)
                .state("c", lit(2.0) * lit(3.0))
                .update("c", state("c") / lit(2))
                .get("c"),
            DType::F64,
        ),
        // A float literal meeting an integer column makes f64.
        (
            iterate(3)
                .state("h", lit(0.5))
                .update("h", state("h") + col("i32"))
                .get("h"),
            DType::F64,
        ),
        // A strong initial value keeps its type; weak updates adopt it.
        (
            iterate(3)
                .state("v", col("x32"))
                .update("v", lit(1.5))
                .get("v"),
            DType::F32,
        ),
        (
            iterate(3)
                .state("v", col("n32"))
                .update("v", lit(7))
                .get("v"),
            DType::U32,
        ),
        // Without an update the literal's type stays.
        (iterate(3).state("v", lit(2.5)).get("v"), DType::F64),
        // Another (strong) state's type decides.
        (
            iterate(3)
                .state("z", lit(0.0))
                .state("t", col("x32"))
                .update("z", state("z") + state("t"))
                .get("z"),
            DType::F32,
        ),
    ];
    let oracle = Oracle::new(&df);
    let mut failures = Vec::new();
    for (e, want) in &cases {
        match oracle.eval(e) {
            Ok(c) if c.dtype == *want => {}
            other => failures.push(format!("oracle: `{e}` gives {other:?}, want {want}")),
        }
        for b in backends() {
            match select_on(&df, std::slice::from_ref(e), &b) {
                Ok(out) => {
                    let got = out.columns().next().unwrap().1.dtype();
                    if got != *want {
                        failures.push(format!("[{b}] `{e}` is {got}, want {want}"));
                    }
                }
                Err(err) => failures.push(format!("`{e}`: {err}")),
            }
        }
    }
    let exprs: Vec<Expr> = cases.into_iter().map(|(e, _)| e).collect();
    check(&df, &exprs, &mut failures);
    assert_ok(failures, "weak initial values");
}

#[test]
fn loop_outputs_next_to_other_expressions_and_reductions() {
    run("mixed-select", |len| {
        let h = halving("a64", 100);
        let c = collatz("n32", if len > CHEAP_ABOVE { 40 } else { 200 });
        // Exprs batch into one select (up to common::BATCH): the loops fuse with these.
        vec![
            h.iterations(),
            h.get("v"),
            h.iterations().sum(),
            col("a64") - h.get("v").mean(),
            h.get("v") * lit(2) + col("t64"),
            h.iterations().cast(DType::F64) + col("a64").mean(),
            col("x32") * lit(3),
            col("t64").sum(),
            c.iterations(),
            c.get("n").max(),
            c.iterations().max() - c.iterations(),
            (c.iterations().cast(DType::I64) - col("n64")).abs(),
            when(c.iterations().gt(lit(10)))
                .then(h.get("v"))
                .otherwise(col("a64")),
            h.iterations().eq(c.iterations()).any(),
        ]
    });
}

/// 65537 rows: a chunk (65536 rows) and one more, with the cheaper loops of the tests above
/// (all in one select: batches of `common::BATCH`).
#[test]
fn across_chunks() {
    let mut rng = Rng::for_test("across-chunks");
    let df = frame(&mut rng, 65_537);
    let wild = halving("x32", 100);
    let tame = halving("t64", 100);
    let ints = halving("n32", 64);
    let c = collatz("n64", 3);
    let fixed = iterate(3)
        .state("v", col("i32"))
        .update("v", state("v") * lit(1000) + lit(1));
    let swap = iterate(1)
        .state("a", col("n64"))
        .state("b", col("m"))
        .update("a", state("b"))
        .update("b", state("a"));
    let pow3 = iterate(4)
        .state("v", lit(1))
        .update("v", state("v") * lit(3));
    let from_mean = iterate(20)
        .state("v", col("t64").mean())
        .while_(state("v").lt(col("t64")))
        .update("v", state("v") + lit(100));
    let inner = iterate(30)
        .state("w", state("x"))
        .while_(state("w").abs().gt_eq(lit(1)))
        .update("w", state("w") / lit(2));
    let nested = iterate(2)
        .state("x", col("t64") * lit(3))
        .update("x", inner.get("w") + state("x"));
    let exprs = vec![
        wild.iterations(),
        wild.get("v"),
        tame.iterations().sum(),
        col("x64") - tame.get("v").mean(),
        ints.iterations(),
        ints.get("v"),
        c.iterations(),
        c.get("n"),
        fixed.get("v"),
        swap.get("a"),
        swap.get("b"),
        pow3.get("v"),
        iterate(0).state("v", col("x32")).get("v"),
        from_mean.iterations(),
        from_mean.get("v"),
        nested.get("x"),
    ];
    let mut failures = Vec::new();
    check(&df, &exprs, &mut failures);
    assert_ok(failures, "across chunks");
}

#[test]
fn a_loop_as_a_filter_predicate() {
    let mut rng = Rng::for_test("filter");
    let mut failures = Vec::new();
    for len in [0, 1, 257, 4097] {
        let df = frame(&mut rng, len);
        let predicates = [
            halving("a64", 100).iterations().gt(lit(3)),
            collatz("n32", 100).iterations().lt_eq(lit(20)),
            halving("x32", 50).get("v").lt(lit(0.75)),
        ];
        let oracle = Oracle::new(&df);
        for p in &predicates {
            let mask = oracle.eval(p).expect("the oracle evaluates the predicate");
            let keep: Vec<usize> = (0..len)
                .filter(|&i| match mask.at(i) {
                    V::B(k) => k,
                    other => panic!("the oracle cannot decide row {i} of `{p}`: {other}"),
                })
                .collect();
            for b in backends() {
                let out = match no_panic(|| df.filter_with(p.clone(), &b.opts)) {
                    Ok(Ok(out)) => out,
                    Ok(Err(e)) => {
                        failures.push(format!("[{b}] filter `{p}` ({len} rows) failed: {e}"));
                        continue;
                    }
                    Err(e) => {
                        failures.push(format!("[{b}] filter `{p}` ({len} rows) panicked: {e}"));
                        continue;
                    }
                };
                if out.height() != keep.len() {
                    failures.push(format!(
                        "[{b}] filter `{p}` ({len} rows) kept {}, expected {}",
                        out.height(),
                        keep.len()
                    ));
                    continue;
                }
                for (name, c) in df.columns() {
                    let all = column_values(c);
                    let want: Vec<V> = keep.iter().map(|&i| all[i]).collect();
                    let got = column_values(out.column(name).unwrap());
                    let same = want.iter().zip(&got).all(|(w, g)| match (w, g) {
                        (V::F(x, _), V::F(y, _)) => x.to_bits() == y.to_bits(),
                        _ => w == g,
                    });
                    if !same {
                        failures.push(format!("[{b}] filter `{p}` ({len} rows): `{name}` differs"));
                    }
                }
            }
        }
    }
    assert_ok(failures, "filter");
}

#[test]
fn reductions_in_initial_values_and_bodies() {
    run("reductions", |_| {
        let mut exprs = Vec::new();
        // Distance from the mean, halved until below the (exact) mean absolute value... of
        // integers: every reduction here is exact.
        let spread = iterate(80)
            .state("v", (col("i32") - col("i32").min()).cast(DType::I64))
            .while_(state("v").gt(col("i32").max().cast(DType::I64).floor_div(lit(64))))
            .update("v", state("v").floor_div(lit(2)));
        exprs.extend([spread.iterations(), spread.get("v")]);
        // A float mean in the initial value (its error bound travels through the loop).
        let centred = iterate(30)
            .state("v", col("t64") - col("t64").mean())
            .while_(state("v").abs().gt_eq(lit(1)))
            .update("v", state("v") / lit(2));
        exprs.extend([centred.iterations(), centred.get("v")]);
        // The doc's case: the initial value is `col("a").mean()` itself (same for every row).
        let from_mean = iterate(60)
            .state("v", col("a64").mean())
            .while_(state("v").gt_eq(col("a64")))
            .update("v", state("v") * lit(0.5));
        exprs.extend([from_mean.iterations(), from_mean.get("v")]);
        // Reductions in the condition and the update, and a count.
        let steps = iterate(20)
            .state("k", lit(0i64))
            .while_(state("k").lt(col("m").max()))
            .update(
                "k",
                state("k") + col("b").count() / col("b").count().maximum(lit(1)),
            );
        exprs.extend([steps.iterations(), steps.get("k")]);
        exprs
    });
}

#[test]
fn nested_loops() {
    run("nested", |_| {
        // Inner: s = 1 + 2 + ... + k for the outer state k; outer: acc = sum of those for
        // k = 0..m (each update reads the old k), i.e. (m-1)m(m+1)/6.
        let inner = iterate(100)
            .state("j", lit(0i64))
            .state("s", lit(0i64))
            .while_(state("j").lt(state("k")))
            .update("j", state("j") + lit(1))
            .update("s", state("s") + state("j") + lit(1));
        let outer = iterate(10)
            .state("k", lit(0i64))
            .state("acc", lit(0i64))
            .while_(state("k").lt(col("m")))
            .update("k", state("k") + lit(1))
            .update("acc", state("acc") + inner.get("s"));
        // The inner loop's initial value reads an outer state, and the inner loop shadows
        // the outer `v`.
        let shadow_inner = iterate(50)
            .state("v", state("v") * lit(2))
            .while_(state("v").lt(lit(100)))
            .update("v", state("v") + lit(7));
        let shadow = iterate(4)
            .state("v", col("m"))
            .update("v", shadow_inner.get("v") - lit(100) + state("v"));
        // An inner loop that reads nothing of the outer one, and a float one.
        let halving_inside = iterate(3)
            .state("total", lit(0))
            .update("total", state("total") + halving("a64", 40).iterations());
        let float_inner = iterate(20)
            .state("w", state("x"))
            .while_(state("w").gt_eq(lit(1)))
            .update("w", state("w") * lit(0.5));
        let float_outer = iterate(5)
            .state("x", col("a32"))
            .update("x", float_inner.get("w") + state("x") * lit(0.25));
        vec![
            outer.iterations(),
            outer.get("acc"),
            outer.get("k"),
            shadow.get("v"),
            halving_inside.get("total"),
            float_outer.get("x"),
        ]
    });
}

/// Parts of a body that read none of its loop's states are computed once, before the loop
/// (src/plan/hoist.rs): the values stay right, including a part of an inner loop's body that
/// reads an outer state (moved to just before the inner loop, inside the outer body). That
/// the lowered loop body no longer holds the row-index arithmetic is checked beside the
/// planner (src/plan/hoist.rs).
#[test]
fn parts_that_read_no_state_run_before_the_loop() {
    let inner = iterate(40)
        .state("t", lit(0i64))
        .while_(state("t").lt(state("k") * lit(3) + col("m")))
        .update("t", state("t") + (state("k") + lit(1)) * lit(2));
    let outer = iterate(6)
        .state("k", lit(0i64))
        .state("acc", lit(0i64))
        .update("k", state("k") + lit(1))
        .update("acc", state("acc") + inner.get("t"));
    let stepped = iterate(30)
        .state("v", lit(0.0f32))
        .while_(state("v").lt(col("a32").abs().sqrt().minimum(lit(50.0))))
        .update(
            "v",
            state("v") + (row_index() % lit(7u32)).cast(DType::F32) + lit(0.5),
        );
    run("invariant-parts", |_| {
        vec![
            outer.get("acc"),
            outer.get("k"),
            stepped.get("v"),
            stepped.iterations(),
        ]
    });
}

#[test]
fn nested_loop_values() {
    let m: Vec<i64> = (0..600).map(|i| i % 9).collect();
    let df = Frame::new([("m", Column::from(m.clone()))]).unwrap();
    let inner = iterate(100)
        .state("j", lit(0i64))
        .state("s", lit(0i64))
        .while_(state("j").lt(state("k")))
        .update("j", state("j") + lit(1))
        .update("s", state("s") + state("j") + lit(1));
    let outer = iterate(10)
        .state("k", lit(0i64))
        .state("acc", lit(0i64))
        .while_(state("k").lt(col("m")))
        .update("k", state("k") + lit(1))
        .update("acc", state("acc") + inner.get("s"));
    for b in backends() {
        let out =
            select_on(&df, &[outer.get("acc").alias("acc")], &b).unwrap_or_else(|e| panic!("{e}"));
        let acc = out.column("acc").unwrap().to_vec::<i64>().unwrap();
        for (i, &mi) in m.iter().enumerate() {
            // Each step adds the inner sum for the old k: 0 + 1 + 3 + ... for k = 0..m.
            assert_eq!(acc[i], (mi - 1) * mi * (mi + 1) / 6, "[{b}] row {i}");
        }
    }
}

#[test]
fn loops_over_literals_give_full_length_rows() {
    run("literals-only", |_| {
        let pow3 = iterate(4)
            .state("v", lit(1))
            .update("v", state("v") * lit(3));
        let halve = iterate(100)
            .state("v", lit(1000.0))
            .while_(state("v").gt_eq(lit(1)))
            .update("v", state("v") / lit(2));
        vec![
            pow3.get("v"),
            pow3.iterations(),
            halve.get("v"),
            halve.iterations(),
            iterate(0).iterations(),
            iterate(3)
                .state("t", lit(true))
                .update("t", state("t").not())
                .get("t"),
            // A literal-only loop next to a reduction: still full length.
            pow3.get("v") + col("i32").sum().cast(DType::I32),
        ]
    });
}

#[test]
fn every_dtype_as_a_state() {
    let mut rng = Rng::for_test("every-dtype");
    let mut failures = Vec::new();
    for len in [0, 1, 255, 257, 4097] {
        let df = random_frame(&mut rng, len, 2, Flavor::Wild);
        let mut exprs = Vec::new();
        for d in DType::ALL {
            let (a, b) = (col(cname(d, 0)), col(cname(d, 1)));
            if d == DType::Bool {
                let flip = iterate(5)
                    .state("p", a.clone())
                    .while_(state("p").or(b.clone()))
                    .update("p", state("p").xor(b));
                exprs.extend([flip.iterations(), flip.get("p")]);
                continue;
            }
            // Wrapping integers, exact float adds (NaN, inf and all).
            let climb = iterate(12)
                .state("v", a.clone())
                .while_(state("v").lt(b.clone()))
                .update("v", state("v") + a.clone().abs() + lit(1));
            exprs.extend([climb.iterations(), climb.get("v")]);
            let mixed = iterate(6)
                .state("v", a.clone())
                .state("w", b.clone())
                .update("v", (state("v") * lit(3)) % lit(7))
                .update("w", state("w").minimum(state("v")) - lit(1));
            exprs.extend([mixed.get("v"), mixed.get("w")]);
            let cast = iterate(4)
                .state("v", a.clone())
                .update("v", (state("v").cast(DType::F32) * lit(0.5)).cast(d));
            exprs.push(cast.get("v"));
        }
        check(&df, &exprs, &mut failures);
    }
    assert_ok(failures, "every dtype");
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// Expressions swath must refuse (and the oracle too), each with why.
fn bad_loops() -> Vec<(&'static str, Expr)> {
    let ok = || iterate(5).state("v", col("t64"));
    vec![
        ("state outside a loop", state("v")),
        ("state outside a loop, in an op", state("v") + col("t64")),
        ("state outside a loop, reduced", state("v").sum() + lit(1.0)),
        (
            "a loop's own state in its initial value",
            iterate(3).state("v", state("v")).iterations(),
        ),
        (
            "another loop's state",
            iterate(3)
                .state("a", col("t64"))
                .update("a", state("v"))
                .get("a"),
        ),
        (
            "state declared twice",
            ok().state("v", col("t64")).iterations(),
        ),
        (
            "state declared twice, read",
            ok().state("v", lit(1.0)).get("v"),
        ),
        (
            "update of an undeclared state",
            ok().update("w", lit(1.0)).iterations(),
        ),
        (
            "update of an undeclared state, read",
            iterate(2).update("w", col("t64")).get("w"),
        ),
        (
            "declared after its update",
            iterate(2)
                .update("w", col("t64"))
                .state("w", col("t64"))
                .get("w"),
        ),
        ("get of an unknown state", ok().get("nope")),
        ("get of a state on a loop without any", iterate(2).get("v")),
        (
            "non-bool condition (f64)",
            ok().while_(state("v")).iterations(),
        ),
        ("non-bool condition (literal)", ok().while_(lit(1)).get("v")),
        (
            "non-bool condition (column)",
            ok().while_(col("m")).iterations(),
        ),
        (
            "update dtype mismatch (f32 into f64)",
            ok().update("v", col("x32")).get("v"),
        ),
        (
            "update dtype mismatch (i64 into f64)",
            ok().update("v", col("m")).iterations(),
        ),
        (
            "update dtype mismatch (float literal into i32)",
            iterate(2)
                .state("k", col("i32"))
                .update("k", state("k") + lit(0.5))
                .get("k"),
        ),
        (
            "update dtype mismatch (bool)",
            iterate(2).state("p", col("b")).update("p", lit(1)).get("p"),
        ),
        (
            "update dtype mismatch (u32 state, i64 update)",
            iterate(2)
                .state("n", col("n32"))
                .update("n", state("n") + col("m"))
                .get("n"),
        ),
        (
            "update dtype mismatch in an inner loop",
            iterate(2)
                .state("a", col("t64"))
                .update(
                    "a",
                    iterate(2)
                        .state("b", state("a"))
                        .update("b", col("x32"))
                        .get("b"),
                )
                .get("a"),
        ),
        (
            "a bad body in the condition (bool + bool)",
            ok().while_((col("b") + col("b")).gt(lit(0))).iterations(),
        ),
        (
            "an unknown column in the body",
            ok().update("v", col("nope")).iterations(),
        ),
        (
            "an unknown column in the initial value",
            iterate(2).state("v", col("nope")).get("v"),
        ),
    ]
}

#[test]
fn loop_errors_are_errors_not_panics() {
    let mut rng = Rng::for_test("errors");
    let mut failures = Vec::new();
    for len in [0, 1, 300] {
        let df = frame(&mut rng, len);
        let oracle = Oracle::new(&df);
        for (why, e) in bad_loops() {
            if oracle.eval(&e).is_ok() {
                failures.push(format!("the oracle accepts `{e}` ({why})"));
            }
            for b in backends() {
                match try_select(&df, std::slice::from_ref(&e), &b.opts) {
                    Ok(Err(_)) => {}
                    Ok(Ok(_)) => failures.push(format!("[{b}] `{e}` ({why}) gave a result")),
                    Err(p) => failures.push(format!("[{b}] `{e}` ({why}) panicked: {p}")),
                }
                // Next to a good expression, and as a filter.
                let pair = [col("t64").alias("ok"), e.clone().alias("bad")];
                match try_select(&df, &pair, &b.opts) {
                    Ok(Err(_)) => {}
                    Ok(Ok(_)) => failures.push(format!("[{b}] `{e}` ({why}) in a pair worked")),
                    Err(p) => failures.push(format!("[{b}] `{e}` ({why}) in a pair panicked: {p}")),
                }
                match no_panic(|| df.filter_with(e.clone().gt(lit(0)), &b.opts)) {
                    Ok(Err(_)) => {}
                    Ok(Ok(_)) => failures.push(format!("[{b}] filter by `{e}` ({why}) worked")),
                    Err(p) => failures.push(format!("[{b}] filter by `{e}` ({why}) panicked: {p}")),
                }
            }
            // explain must not panic either.
            if let Err(p) = no_panic(|| df.explain([e.clone()])) {
                failures.push(format!("explain `{e}` ({why}) panicked: {p}"));
            }
        }
    }
    assert_ok(failures, "loop errors");
}

#[test]
fn update_type_errors_name_the_state() {
    let mut rng = Rng::for_test("error-names");
    let df = frame(&mut rng, 10);
    let e = iterate(2)
        .state("velocity", col("t64"))
        .update("velocity", col("x32"))
        .get("velocity");
    match no_panic(|| df.select([e])) {
        Ok(Err(Error::InvalidType { expr, message })) => assert!(
            message.contains("velocity") || expr.contains("velocity"),
            "{expr}: {message}"
        ),
        other => panic!("expected InvalidType naming the state, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Determinism
// ---------------------------------------------------------------------------------------------

#[test]
fn loops_are_bit_identical_across_threads_and_isas() {
    let mut rng = Rng::for_test("loop-determinism");
    let df = frame(&mut rng, 70_001);
    let (zr, zi) = (state("zr"), state("zi"));
    let cx = (col("t64") * lit(2e-3)).cast(DType::F32);
    let cy = (col("a32").sqrt() * lit(1e-3)).minimum(lit(1.2)) - lit(0.6);
    let mandel = iterate(64)
        .state("zr", lit(0.0))
        .state("zi", lit(0.0))
        .while_((zr.clone() * zr.clone() + zi.clone() * zi.clone()).lt_eq(lit(4.0)))
        .update("zr", zr.clone() * zr.clone() - zi.clone() * zi.clone() + cx)
        .update("zi", lit(2.0) * zr * zi + cy);
    let newton = newton_sqrt("a32", 60, 1e-6);
    let exprs = vec![
        mandel.iterations().alias("m_n"),
        mandel.get("zr").alias("m_zr"),
        newton.get("x").alias("nx"),
        newton.iterations().sum().alias("n_sum"),
        (col("t64") - halving("a64", 100).get("v").mean()).alias("centred"),
    ];
    let mut reference: Option<(String, Vec<Vec<u64>>)> = None;
    let mut failures = Vec::new();
    for isa in supported_isas() {
        for threads in [1, 2, 7] {
            let name = format!("{isa}/{threads}t");
            let opts = ExecOptions::new()
                .backend(Backend::Cpu)
                .threads(threads)
                .isa(isa);
            let out = df.select_with(exprs.clone(), &opts).unwrap();
            let bits: Vec<Vec<u64>> = out
                .columns()
                .map(|(_, c)| {
                    column_values(c)
                        .into_iter()
                        .map(|v| match v {
                            V::F(x, _) => x.to_bits(),
                            V::I(i) => i as u64,
                            V::B(b) => b as u64,
                            _ => u64::MAX,
                        })
                        .collect()
                })
                .collect();
            match &reference {
                None => reference = Some((name, bits)),
                Some((ref_name, want)) => {
                    for (k, (w, g)) in want.iter().zip(&bits).enumerate() {
                        if let Some(row) = w.iter().zip(g).position(|(x, y)| x != y) {
                            failures.push(format!(
                                "output {k}: {ref_name} and {name} differ first at row {row}"
                            ));
                        }
                    }
                }
            }
        }
    }
    assert_ok(failures, "loop determinism");
}

// ---------------------------------------------------------------------------------------------
// The GPU runs loops itself
// ---------------------------------------------------------------------------------------------

/// A GPU pass that fails falls back to the CPU with a warning, which would let every check
/// above pass on the CPU's results: here each kind of loop must run as a GPU pass.
#[test]
fn the_gpu_runs_loops_itself() {
    if !gpu_present() {
        return;
    }
    let mut rng = Rng::for_test("gpu-passes");
    let df = frame(&mut rng, 5000);
    let inner = iterate(100)
        .state("j", lit(0i64))
        .state("s", lit(0i64))
        .while_(state("j").lt(state("k")))
        .update("j", state("j") + lit(1))
        .update("s", state("s") + state("j") + lit(1));
    let nested = iterate(10)
        .state("k", lit(0i64))
        .state("acc", lit(0i64))
        .while_(state("k").lt(col("m")))
        .update("k", state("k") + lit(1))
        .update("acc", state("acc") + inner.get("s"));
    let (zr, zi) = (state("zr"), state("zi"));
    let mandel = iterate(64)
        .state("zr", lit(0.0))
        .state("zi", lit(0.0))
        .while_((zr.clone() * zr.clone() + zi.clone() * zi.clone()).lt_eq(lit(4.0)))
        .update(
            "zr",
            zr.clone() * zr.clone() - zi.clone() * zi.clone() + col("x32") * lit(1e-3),
        )
        .update("zi", lit(2.0) * zr * zi + col("a32") * lit(1e-9));
    let sets: Vec<(&str, Vec<Expr>)> = vec![
        (
            "collatz i64",
            vec![
                collatz("n64", 1000).iterations(),
                collatz("n64", 9).get("n"),
            ],
        ),
        ("collatz u32", vec![collatz("n32", 1000).iterations()]),
        ("newton f32", vec![newton_sqrt("a32", 60, 1e-6).get("x")]),
        ("newton f64", vec![newton_sqrt("a64", 60, 1e-14).get("x")]),
        (
            "halving",
            vec![
                halving("x32", 100).iterations(),
                halving("t64", 100).get("v"),
            ],
        ),
        ("nested", vec![nested.get("acc")]),
        ("mandelbrot", vec![mandel.iterations(), mandel.get("zr")]),
        (
            "with reductions",
            vec![
                halving("a32", 100).iterations().sum(),
                col("t64") - halving("t64", 100).get("v").mean(),
            ],
        ),
        (
            "literals only",
            vec![
                iterate(4)
                    .state("v", lit(1))
                    .update("v", state("v") * lit(3))
                    .get("v"),
            ],
        ),
    ];
    let opts = ExecOptions::new().backend(Backend::Gpu);
    let mut failures = Vec::new();
    for (what, exprs) in sets {
        swath::gpu::reset_thread_stats();
        let named: Vec<Expr> = exprs
            .into_iter()
            .enumerate()
            .map(|(k, e)| e.alias(format!("o{k}")))
            .collect();
        if let Err(e) = select_on(
            &df,
            &named,
            &TestBackend {
                name: "gpu",
                opts,
                loosen: None,
                may_flush_f32: true,
            },
        ) {
            failures.push(format!("{what}: {e}"));
            continue;
        }
        let s = swath::gpu::thread_stats();
        if s.failed > 0 || s.gpu_passes == 0 {
            failures.push(format!(
                "{what}: {} GPU passes, {} failed, {} unsupported (see the log)",
                s.gpu_passes, s.failed, s.unsupported
            ));
        }
    }
    assert_ok(failures, "loops on the GPU");
}

/// Loop outputs in initial values, in reductions and in `when`; reductions of loop outputs
/// in a body; row numbers, casts and bool states in loops; literal-only initial values whose
/// weak update makes a type error (`lit(0)` plus `lit(0.5)` is f64, the state i32).
#[test]
fn edge_cases() {
    let mut rng = Rng::for_test("edge-cases");
    let mut failures = Vec::new();
    for len in [0, 1, 300] {
        let df = frame(&mut rng, len);
        let h = halving("t64", 100);
        let v = || state("v");
        let exprs = vec![
            iterate(3)
                .state("v", h.get("v"))
                .update("v", v() * lit(2))
                .get("v"),
            h.get("v").sum() + h.get("v"),
            h.iterations().max() + h.iterations(),
            iterate(3)
                .state("v", h.get("v").mean())
                .update("v", v() + h.get("v"))
                .get("v"),
            iterate(4)
                .state("p", lit(true))
                .update("p", state("p").xor(col("b")))
                .get("p"),
            iterate(4)
                .state("k", lit(0))
                .update("k", state("k") + lit(0.5))
                .get("k"),
            iterate(4)
                .state("k", lit(0))
                .update("k", state("k") + lit(1i64))
                .get("k"),
            iterate(4)
                .state("k", lit(0u32))
                .update("k", state("k") - lit(1))
                .get("k"),
            iterate(2)
                .state("v", col("t64"))
                .update(
                    "v",
                    iterate(3)
                        .state("w", v())
                        .update("w", state("w") + v())
                        .get("w"),
                )
                .get("v"),
            iterate(5)
                .state("v", row_index())
                .update("v", v() + row_index())
                .get("v"),
            iterate(5)
                .state("v", lit(1.0))
                .update("v", v() + col("t64").mean())
                .get("v"),
            iterate(5)
                .state("v", col("t64"))
                .update("v", v().cast(DType::F32).cast(DType::F64))
                .get("v"),
            iterate(2)
                .state("v", col("i32"))
                .while_(v().gt(lit(0)).and(col("b")))
                .update("v", v() - lit(1))
                .get("v"),
            iterate(1)
                .state("a", col("x32"))
                .state("b", col("x64"))
                .update("a", state("b").cast(DType::F32))
                .update("b", state("a").cast(DType::F64))
                .get("b"),
            when(col("b")).then(h.iterations()).otherwise(lit(7)),
        ];
        failures.extend(check_exprs(&df, &Oracle::new(&df), &exprs));
        for e in &exprs {
            if let Err(p) = no_panic(|| df.explain([e.clone()])) {
                failures.push(format!("explain `{e}` panicked: {p}"));
            }
        }
    }
    assert_ok(failures, "edge cases");
}

/// A reduction whose argument reads a loop state (`state("v").mean()` in the body) has no
/// documented meaning; the oracle refuses it (a state is a value per row and step, not a
/// column). swath must at least not panic.
#[test]
fn a_reduction_of_a_loop_state_is_an_error_not_a_panic() {
    let df = Frame::new([("x", Column::from(vec![1.0f64, 2.0, 4.0]))]).unwrap();
    let v = || state("v");
    let bad = [
        iterate(3)
            .state("v", col("x"))
            .update("v", v() - v().mean())
            .get("v"),
        iterate(3)
            .state("v", col("x"))
            .while_(v().lt(v().max()))
            .update("v", v() + lit(1.0))
            .iterations(),
        // An outer state reduced inside an inner loop's body.
        iterate(2)
            .state("v", col("x"))
            .update(
                "v",
                iterate(3)
                    .state("w", v())
                    .update("w", state("w") + v().sum())
                    .get("w"),
            )
            .get("v"),
    ];
    let oracle = Oracle::new(&df);
    let mut failures = Vec::new();
    for e in &bad {
        if oracle.eval(e).is_ok() {
            failures.push(format!("the oracle accepts `{e}`"));
        }
        for b in backends() {
            match try_select(&df, std::slice::from_ref(e), &b.opts) {
                Ok(Err(_)) => {}
                Ok(Ok(_)) => failures.push(format!("[{b}] `{e}` gave a result")),
                Err(p) => failures.push(format!("[{b}] `{e}` panicked: {p}")),
            }
        }
        if let Err(p) = no_panic(|| df.explain([e.clone()])) {
            failures.push(format!("explain `{e}` panicked: {p}"));
        }
    }
    assert_ok(failures, "reductions of loop states");
}
