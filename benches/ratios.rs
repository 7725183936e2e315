//! The core benchmark figures as ratios measured in one run (BENCHMARKS.md, top): swath beside
//! the hand-written Rust loop that is its practical limit, on the same random data.
//!
//!     cargo bench --bench ratios              # table
//!     cargo bench --bench ratios -- --json    # one JSON object per line (benches/peers reads it)
//!     cargo bench --bench ratios -- rss-inputs | rss-fused   # for /usr/bin/time -v (peak RSS)
//!
//! Medians of several runs each; the machine's name belongs beside the figures.

use std::hint::black_box;
use std::time::Instant;

use swath::prelude::*;

#[path = "data.rs"]
mod data;

const SUM_ROWS: usize = 64 << 20;
const FUSED_ROWS: usize = 16 << 20;

/// The same loop split over two scoped threads: the practical two-core limit.
fn fused16_2t(a: &[f32], b: &[f32], c: &[f32]) -> f32 {
    let h = a.len() / 2;
    std::thread::scope(|s| {
        let left = s.spawn(|| data::fused16(&a[..h], &b[..h], &c[..h]));
        let right = data::fused16(&a[h..], &b[h..], &c[h..]);
        left.join().unwrap_or(f32::NAN) + right
    })
}

fn sum16_2t(x: &[f32]) -> f32 {
    let h = x.len() / 2;
    std::thread::scope(|s| {
        let left = s.spawn(|| data::sum16(&x[..h]));
        let right = data::sum16(&x[h..]);
        left.join().unwrap_or(f32::NAN) + right
    })
}

/// The Mandelbrot grid of the loop benchmark: 1536 x 1024 pixels over [-2.25, 0.75] x
/// [-1.25, 1.25], at most 256 steps.
const MANDEL_W: u32 = 1536;
const MANDEL_H: u32 = 1024;
const MANDEL_MAX: u32 = 256;

fn mandel_point(p: u32) -> (f32, f32) {
    let (dx, dy) = (3.0 / MANDEL_W as f32, 2.5 / MANDEL_H as f32);
    let (column, line) = ((p % MANDEL_W) as f32, (p / MANDEL_W) as f32);
    ((column + 0.5) * dx - 2.25, 1.25 - (line + 0.5) * dy)
}

/// Escape-time steps of pixels `pixels`, summed: the hand-written scalar loop.
fn mandel_hand(pixels: std::ops::Range<u32>) -> u64 {
    let mut total = 0u64;
    for p in pixels {
        let (cx, cy) = mandel_point(p);
        let (mut zr, mut zi, mut n) = (0.0f32, 0.0f32, 0u32);
        while n < MANDEL_MAX && zr * zr + zi * zi <= 4.0 {
            (zr, zi) = (zr * zr - zi * zi + cx, 2.0 * zr * zi + cy);
            n += 1;
        }
        total += u64::from(n);
    }
    total
}

/// The same over two threads: the top and bottom halves (the set is symmetric, so they are
/// equal work).
fn mandel_hand_2t() -> u64 {
    let h = MANDEL_W * MANDEL_H / 2;
    std::thread::scope(|s| {
        let top = s.spawn(|| mandel_hand(0..h));
        mandel_hand(h..2 * h) + top.join().unwrap_or(0)
    })
}

/// The same steps summed by swath's per-row loop.
fn mandel_swath() -> Expr {
    let i = row_index();
    let column = (i.clone() % lit(MANDEL_W)).cast(DType::F32);
    let line = i.floor_div(lit(MANDEL_W)).cast(DType::F32);
    let cx = (column + lit(0.5)) * lit(3.0 / MANDEL_W as f32) - lit(2.25);
    let cy = lit(1.25) - (line + lit(0.5)) * lit(2.5 / MANDEL_H as f32);
    let (zr, zi) = (state("zr"), state("zi"));
    iterate(MANDEL_MAX)
        .state("zr", lit(0.0))
        .state("zi", lit(0.0))
        .while_((zr.clone() * zr.clone() + zi.clone() * zi.clone()).lt_eq(lit(4.0)))
        .update("zr", zr.clone() * zr.clone() - zi.clone() * zi.clone() + cx)
        .update("zi", lit(2.0) * zr * zi + cy)
        .iterations()
        .cast(DType::I64)
        .sum()
        .alias("steps")
}

/// Median wall time of `runs` calls, after one warm-up call.
fn median_ns(runs: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_nanos() as f64
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

struct Row {
    group: &'static str,
    name: String,
    ns: f64,
    bytes: usize,
}

fn frame3(n: usize) -> Frame {
    Frame::new([
        ("a", Column::from(data::random_f32(n, 2, 0.0, 2.0))),
        ("b", Column::from(data::random_f32(n, 3, 0.0, 2.0))),
        ("c", Column::from(data::random_f32(n, 4, 0.0, 2.0))),
    ])
    .expect("equal lengths")
}

fn fused() -> Expr {
    (col("a") * col("b") + col("c")).sqrt().sum()
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if args.iter().any(|a| a == "rss-inputs") {
        let df = frame3(FUSED_ROWS);
        println!("inputs only: {} rows", black_box(&df).height());
        return;
    }
    if args.iter().any(|a| a == "rss-fused") {
        let df = frame3(FUSED_ROWS);
        let out = df.select([fused()]).expect("fused select");
        println!(
            "fused: {}",
            out.column("a").and_then(|c| c.get(0)).expect("result")
        );
        return;
    }
    let json = args.iter().any(|a| a == "--json");
    let one = ExecOptions::new().threads(1);
    let two = ExecOptions::new().threads(2);
    let mut rows = Vec::new();
    let mut add = |group, name: &str, ns, bytes| {
        rows.push(Row {
            group,
            name: name.to_string(),
            ns,
            bytes,
        });
    };

    let x = data::random_f32(SUM_ROWS, 1, -1.0, 1.0);
    let df = Frame::new([("x", Column::from(x.clone()))]).expect("one column");
    let bytes = SUM_ROWS * 4;
    add(
        "sum_64m",
        "hand_loop_1t",
        median_ns(15, || {
            black_box(data::sum16(black_box(&x)));
        }),
        bytes,
    );
    add(
        "sum_64m",
        "hand_loop_2t",
        median_ns(15, || {
            black_box(sum16_2t(black_box(&x)));
        }),
        bytes,
    );
    add(
        "sum_64m",
        "swath_1t",
        median_ns(15, || {
            let _ = black_box(df.select_with([col("x").sum()], &one));
        }),
        bytes,
    );
    add(
        "sum_64m",
        "swath_2t",
        median_ns(15, || {
            let _ = black_box(df.select_with([col("x").sum()], &two));
        }),
        bytes,
    );
    drop((x, df));

    let df = frame3(FUSED_ROWS);
    let slice = |n: &str| {
        df.column(n)
            .and_then(|c| c.as_slice::<f32>())
            .expect("f32 column")
    };
    let (a, b, c) = (slice("a"), slice("b"), slice("c"));
    let bytes = FUSED_ROWS * 12;
    add(
        "fused_16m",
        "hand_loop_1t",
        median_ns(15, || {
            black_box(data::fused16(a, b, c));
        }),
        bytes,
    );
    add(
        "fused_16m",
        "hand_loop_2t",
        median_ns(15, || {
            black_box(fused16_2t(a, b, c));
        }),
        bytes,
    );
    add(
        "fused_16m",
        "swath_1t",
        median_ns(15, || {
            let _ = black_box(df.select_with([fused()], &one));
        }),
        bytes,
    );
    add(
        "fused_16m",
        "swath_2t",
        median_ns(15, || {
            let _ = black_box(df.select_with([fused()], &two));
        }),
        bytes,
    );

    let heavy = || (col("a").sin() * (-(col("a") * col("a"))).exp()).sum();
    let bytes = FUSED_ROWS * 4;
    add(
        "heavy_16m",
        "swath_1t",
        median_ns(7, || {
            let _ = black_box(df.select_with([heavy()], &one));
        }),
        bytes,
    );
    add(
        "heavy_16m",
        "swath_2t",
        median_ns(7, || {
            let _ = black_box(df.select_with([heavy()], &two));
        }),
        bytes,
    );

    // A map into a new column: the hand loop collects into a fresh Vec, as Rust code would, so
    // both pay for first touching the output's pages (swath advises huge pages for it).
    let map = || (col("a") * col("b") + col("c")).alias("y");
    let bytes = FUSED_ROWS * 16;
    add(
        "map_16m",
        "hand_loop_1t",
        median_ns(15, || {
            let y: Vec<f32> = a
                .iter()
                .zip(b)
                .zip(c)
                .map(|((&a, &b), &c)| a * b + c)
                .collect();
            black_box(y);
        }),
        bytes,
    );
    add(
        "map_16m",
        "swath_1t",
        median_ns(15, || {
            let _ = black_box(df.select_with([map()], &one));
        }),
        bytes,
    );
    add(
        "map_16m",
        "swath_2t",
        median_ns(15, || {
            let _ = black_box(df.select_with([map()], &two));
        }),
        bytes,
    );

    // Filters keeping about half and about 1% of the rows (`a` is uniform on [0, 2)) of all
    // three columns. The hand loop is what Rust code would write: a mask, then each column
    // collected through it.
    for (group, below) in [("filter_half_16m", 1.0f32), ("filter_1pct_16m", 0.02)] {
        let bytes = FUSED_ROWS * 12;
        add(
            group,
            "hand_loop_1t",
            median_ns(9, || {
                let keep: Vec<bool> = a.iter().map(|&x| x < below).collect();
                let kept: Vec<Vec<f32>> = [a, b, c]
                    .iter()
                    .map(|v| v.iter().zip(&keep).filter(|p| *p.1).map(|p| *p.0).collect())
                    .collect();
                black_box(kept);
            }),
            bytes,
        );
        for (name, options) in [("swath_1t", &one), ("swath_2t", &two)] {
            add(
                group,
                name,
                median_ns(9, || {
                    let _ = black_box(df.filter_with(col("a").lt(lit(below)), options));
                }),
                bytes,
            );
        }
    }

    // Per-row loops: swath steps blocks of rows together (masked, like SIMD lanes); the
    // hand loop runs each pixel alone. Both must count the same steps, so swath is forced onto
    // the CPU: `auto` may pick a GPU (lavapipe wins this one), whose f32 rounding differs.
    let pixels = Frame::with_rows((MANDEL_W * MANDEL_H) as usize);
    let two_cpu = ExecOptions::new().threads(2).backend(Backend::Cpu);
    let steps = pixels
        .select_with([mandel_swath()], &two_cpu)
        .expect("mandelbrot");
    let swath_steps = steps.column("steps").and_then(|c| c.get(0)).expect("steps");
    assert_eq!(
        swath_steps.as_f64(),
        Some(mandel_hand_2t() as f64),
        "swath and the hand loop count different steps"
    );
    let bytes = 0;
    add(
        "mandel_1.5m",
        "hand_loop_2t",
        median_ns(5, || {
            black_box(mandel_hand_2t());
        }),
        bytes,
    );
    add(
        "mandel_1.5m",
        "swath_2t",
        median_ns(5, || {
            let _ = black_box(pixels.select_with([mandel_swath()], &two_cpu));
        }),
        bytes,
    );
    if swath::gpu::available() {
        let gpu = ExecOptions::new().backend(Backend::Gpu);
        add(
            "mandel_1.5m",
            "swath_gpu",
            median_ns(5, || {
                let _ = black_box(pixels.select_with([mandel_swath()], &gpu));
            }),
            bytes,
        );
    }

    let small = data::random_f32(1000, 6, -1.0, 1.0);
    let df = Frame::new([("x", Column::from(small.clone()))]).expect("one column");
    add(
        "small_1000",
        "hand_loop",
        median_ns(20001, || {
            black_box(data::sum16(black_box(&small)));
        }),
        4000,
    );
    add(
        "small_1000",
        "swath",
        median_ns(20001, || {
            let _ = black_box(df.select([col("x").sum()]));
        }),
        4000,
    );

    if json {
        for r in &rows {
            println!(
                "{{\"group\":\"{}\",\"name\":\"{}\",\"median_ns\":{:.0},\"bytes\":{}}}",
                r.group, r.name, r.ns, r.bytes
            );
        }
        return;
    }
    println!(
        "{:<12} {:<14} {:>12} {:>10} {:>14}",
        "group", "name", "median", "GB/s", "vs first row"
    );
    for r in &rows {
        let base = rows
            .iter()
            .find(|b| b.group == r.group)
            .map_or(r.ns, |b| b.ns);
        println!(
            "{:<12} {:<14} {:>10.3}ms {:>10.2} {:>13.2}x",
            r.group,
            r.name,
            r.ns / 1e6,
            r.bytes as f64 / r.ns,
            base / r.ns
        );
    }
}
