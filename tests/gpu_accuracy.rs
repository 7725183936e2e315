//! Dense sweeps of every f32 transcendental on the GPU against the CPU (Rust's libm calls), to
//! catch what random data misses: a driver builtin that is poor near 1 (lavapipe's log was
//! 35 000 ulps off there), a reduction that loses bits, a compiler folding away a rounding
//! trick. `SWATH_GPU_ACCURACY=print` prints the worst case per op and range.
//! Skips (visibly) without an adapter unless `SWATH_REQUIRE_GPU=1`.

use std::sync::Arc;

use swath::gpu;
use swath::ops::{BinaryOp, UnaryKind, UnaryOp};
use swath::prelude::*;

fn ordered(x: f32) -> i64 {
    let b = x.to_bits() as i32 as i64;
    if b < 0 { i32::MIN as i64 - b } else { b }
}

/// Largest ulp distance between the GPU's and the CPU's answers for `expr` over `df`, with the
/// row where it happens.
fn worst(df: &Frame, expr: Expr) -> (i64, usize, f32, f32) {
    let run = |backend| {
        df.select_with(
            [expr.clone().alias("y")],
            &ExecOptions::new().backend(backend),
        )
        .expect("select")
        .column("y")
        .expect("y")
        .to_vec::<f32>()
        .expect("f32")
    };
    gpu::reset_thread_stats();
    let g = run(Backend::Gpu);
    let stats = gpu::thread_stats();
    assert_eq!(
        (stats.unsupported, stats.failed),
        (0, 0),
        "{expr}: {stats:?}"
    );
    let c = run(Backend::Cpu);
    let mut w = (0, 0, 0.0, 0.0);
    for (k, (&a, &b)) in g.iter().zip(&c).enumerate() {
        // A device may flush subnormal results to zero (GL on llvmpipe does).
        let flushed = b.abs() < f32::MIN_POSITIVE && a.abs() <= f32::MIN_POSITIVE;
        if (a.is_nan() && b.is_nan()) || a == b || flushed {
            continue;
        }
        let d = (ordered(a) - ordered(b)).abs();
        if d > w.0 {
            w = (d, k, a, b);
        }
    }
    w
}

fn sweep(lo: f32, hi: f32, n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| lo + (hi - lo) * (i as f32 / (n - 1) as f32))
        .collect()
}

fn ready() -> bool {
    if gpu::available() {
        return true;
    }
    let reason = gpu::unavailable_reason().unwrap_or_default();
    assert!(
        std::env::var("SWATH_REQUIRE_GPU").map_or(true, |v| v != "1"),
        "SWATH_REQUIRE_GPU=1 but there is no usable GPU: {reason}"
    );
    eprintln!("skipping GPU tests: no adapter ({reason})");
    false
}

/// The promise in shaders/math_f32.wgsl: a few ulps (sin, cos, tan for |x| <= 8192).
const MAX_ULPS: i64 = 6;

#[test]
fn transcendentals_are_within_a_few_ulps() {
    if !ready() {
        return;
    }
    let print = std::env::var("SWATH_GPU_ACCURACY").is_ok_and(|v| v == "print");
    let ranges: [(f32, f32); 12] = [
        (-1e-3, 1e-3),
        (-0.5, 0.5),
        (-1.0, 1.0),
        (0.5, 2.0),
        (-10.0, 10.0),
        (-100.0, 100.0),
        (-88.0, 88.0),
        (0.0, 256.0),
        (10.0, 30.0),
        (0.0, 8192.0),
        (-1e6, 1e6),
        (1e30, 1e35),
    ];
    let mut failures = Vec::new();
    for op in UnaryOp::ALL
        .iter()
        .copied()
        .filter(|op| op.kind() == UnaryKind::Float)
    {
        for (lo, hi) in ranges {
            let x = sweep(lo, hi, 100_001);
            let df = Frame::new([("x", Column::from(x.clone()))]).expect("frame");
            let (ulps, row, g, c) = worst(&df, Expr::Unary(op, Arc::new(col("x"))));
            if print {
                eprintln!(
                    "{:6} [{lo}, {hi}]: {ulps} ulps at x = {:e} (gpu {g:e}, cpu {c:e})",
                    op.name(),
                    x[row]
                );
            }
            if ulps > MAX_ULPS {
                failures.push(format!(
                    "{} at x = {:e}: {ulps} ulps (gpu {g:e}, cpu {c:e})",
                    op.name(),
                    x[row]
                ));
            }
        }
    }
    // atan2 over the plane; pow where |y log2 x| stays small (its error grows with it).
    let (a, b): (Vec<f32>, Vec<f32>) = (0..100_001)
        .map(|i| {
            let t = i as f32 * 0.618034;
            ((t.sin() * 10.0), (t * 1.3).cos() * 10.0)
        })
        .unzip();
    let df = Frame::new([
        ("a", Column::from(a.clone())),
        ("b", Column::from(b.clone())),
        (
            "pa",
            Column::from(a.iter().map(|v| v.abs() + 0.5).collect::<Vec<_>>()),
        ),
        (
            "pb",
            Column::from(b.iter().map(|v| v * 0.2).collect::<Vec<_>>()),
        ),
    ])
    .expect("frame");
    for (name, expr, bound) in [
        (
            "atan2",
            Expr::Binary(BinaryOp::Atan2, Arc::new(col("a")), Arc::new(col("b"))),
            MAX_ULPS,
        ),
        (
            "pow",
            Expr::Binary(BinaryOp::Pow, Arc::new(col("pa")), Arc::new(col("pb"))),
            16,
        ),
    ] {
        let (ulps, row, g, c) = worst(&df, expr);
        if print {
            eprintln!("{name}: {ulps} ulps at row {row} (gpu {g:e}, cpu {c:e})");
        }
        if ulps > bound {
            failures.push(format!(
                "{name} at row {row}: {ulps} ulps (gpu {g:e}, cpu {c:e})"
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
