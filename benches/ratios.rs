//! The core benchmark figures as ratios measured in one run (BENCHMARKS.md, top): swath beside
//! the hand-written Rust loop that is its practical limit, on the same random data.
//!
//!     cargo bench --bench ratios              # table
//!     cargo bench --bench ratios -- --json    # one JSON object per line (benches/peers reads it)
//!     cargo bench --bench ratios -- rss-inputs | rss-fused   # for /usr/bin/time -v (peak RSS)
//!
//! Medians of several runs each; the machine's name belongs beside the figures.

use std::hint::black_box;

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

/// Issue 13's shapes at an L2, an L3 and a main-memory size (64K, 1M, 16M rows), on one and
/// two threads: for each, a plain read of the same bytes, the hand loop (vectorized, compiled
/// for swath's ISA: `data.rs`) and swath. `--kernels` adds them to the table.
fn kernel_rows(add: &mut impl FnMut(&'static str, &str, f64, usize)) {
    // The CPU's kernels, forced: `auto` may send a pass to a GPU (even lavapipe: session 8
    // found it choosing lavapipe for the branchy chain, 30x slower than the CPU).
    let one = ExecOptions::new().threads(1).backend(Backend::Cpu);
    let two = ExecOptions::new().threads(2).backend(Backend::Cpu);
    for (size, rows, runs) in [
        ("64k", 1usize << 16, 1001),
        ("1m", 1 << 20, 101),
        ("16m", 16 << 20, 11),
    ] {
        let group =
            |shape: &str| -> &'static str { Box::leak(format!("{shape}_{size}").into_boxed_str()) };
        let f32s: Vec<Vec<f32>> = (0..3)
            .map(|k| data::random_f32(rows, 10 + k, 0.0, 2.0))
            .collect();
        let f64s: Vec<Vec<f64>> = f32s
            .iter()
            .map(|v| v.iter().map(|&x| f64::from(x)).collect())
            .collect();
        let i32s: Vec<i32> = f32s[0]
            .iter()
            .map(|&x| (x * 1000.0) as i32 - 1000)
            .collect();
        let (a, b, c) = (&f32s[0][..], &f32s[1][..], &f32s[2][..]);
        let (a64, b64, c64) = (&f64s[0][..], &f64s[1][..], &f64s[2][..]);
        let df = Frame::new([
            ("a", Column::from(f32s[0].clone())),
            ("b", Column::from(f32s[1].clone())),
            ("c", Column::from(f32s[2].clone())),
            ("a64", Column::from(f64s[0].clone())),
            ("b64", Column::from(f64s[1].clone())),
            ("c64", Column::from(f64s[2].clone())),
            ("k", Column::from(i32s.clone())),
        ])
        .expect("equal lengths");
        // The bytes of f32 columns `cols`, read plainly, on one and two threads.
        let read = |add: &mut dyn FnMut(&'static str, &str, f64, usize),
                    g: &'static str,
                    cols: &[&[f32]],
                    bytes: usize| {
            add(
                g,
                "read_1t",
                data::median_ns(runs, || {
                    black_box(data::read(black_box(cols)));
                }),
                bytes,
            );
            add(
                g,
                "read_2t",
                data::median_ns(runs, || {
                    black_box(data::two_threads(
                        rows,
                        |r| {
                            let parts: Vec<&[f32]> = cols.iter().map(|c| &c[r.clone()]).collect();
                            data::read(&parts)
                        },
                        |x, y| x ^ y,
                    ));
                }),
                bytes,
            );
        };
        let swath = |add: &mut dyn FnMut(&'static str, &str, f64, usize),
                     g: &'static str,
                     e: &dyn Fn() -> Expr,
                     bytes: usize| {
            add(
                g,
                "swath_1t",
                data::median_ns(runs, || {
                    let _ = black_box(df.select_with([e()], &one));
                }),
                bytes,
            );
            add(
                g,
                "swath_2t",
                data::median_ns(runs, || {
                    let _ = black_box(df.select_with([e()], &two));
                }),
                bytes,
            );
        };
        let mut add = |g: &'static str, name: &str, ns: f64, bytes: usize| add(g, name, ns, bytes);

        // Sums of f32, f64 and i32.
        let g = group("sum_f32");
        read(&mut add, g, &[a], rows * 4);
        add(
            g,
            "hand_1t",
            data::median_ns(runs, || {
                black_box(data::sum16(black_box(a)));
            }),
            rows * 4,
        );
        add(
            g,
            "hand_2t",
            data::median_ns(runs, || {
                black_box(data::two_threads(
                    rows,
                    |r| data::sum16(&a[r]),
                    |x, y| x + y,
                ));
            }),
            rows * 4,
        );
        swath(&mut add, g, &|| col("a").sum(), rows * 4);
        let g = group("sum_f64");
        let a64_as_f32: &[f32] = bytemuck_f32(a64);
        read(&mut add, g, &[a64_as_f32], rows * 8);
        add(
            g,
            "hand_1t",
            data::median_ns(runs, || {
                black_box(data::sum_f64(black_box(a64)));
            }),
            rows * 8,
        );
        add(
            g,
            "hand_2t",
            data::median_ns(runs, || {
                black_box(data::two_threads(
                    rows,
                    |r| data::sum_f64(&a64[r]),
                    |x, y| x + y,
                ));
            }),
            rows * 8,
        );
        swath(&mut add, g, &|| col("a64").sum(), rows * 8);
        let g = group("sum_i32");
        read(&mut add, g, &[a], rows * 4);
        add(
            g,
            "hand_1t",
            data::median_ns(runs, || {
                black_box(data::sum_i32(black_box(&i32s)));
            }),
            rows * 4,
        );
        add(
            g,
            "hand_2t",
            data::median_ns(runs, || {
                black_box(data::two_threads(
                    rows,
                    |r| data::sum_i32(&i32s[r]),
                    |x, y| x + y,
                ));
            }),
            rows * 4,
        );
        swath(&mut add, g, &|| col("k").sum(), rows * 4);

        // The fused pass, f32 and f64.
        let g = group("fused_f32");
        read(&mut add, g, &[a, b, c], rows * 12);
        add(
            g,
            "hand_1t",
            data::median_ns(runs, || {
                black_box(data::fused16(black_box(a), b, c));
            }),
            rows * 12,
        );
        add(
            g,
            "hand_2t",
            data::median_ns(runs, || {
                black_box(data::two_threads(
                    rows,
                    |r| data::fused16(&a[r.clone()], &b[r.clone()], &c[r]),
                    |x, y| x + y,
                ));
            }),
            rows * 12,
        );
        swath(&mut add, g, &fused, rows * 12);
        let g = group("fused_f64");
        let cols64: Vec<&[f32]> = [a64, b64, c64].iter().map(|v| bytemuck_f32(v)).collect();
        read(&mut add, g, &cols64, rows * 24);
        add(
            g,
            "hand_1t",
            data::median_ns(runs, || {
                black_box(data::fused_f64(black_box(a64), b64, c64));
            }),
            rows * 24,
        );
        add(
            g,
            "hand_2t",
            data::median_ns(runs, || {
                black_box(data::two_threads(
                    rows,
                    |r| data::fused_f64(&a64[r.clone()], &b64[r.clone()], &c64[r]),
                    |x, y| x + y,
                ));
            }),
            rows * 24,
        );
        swath(
            &mut add,
            g,
            &|| (col("a64") * col("b64") + col("c64")).sqrt().sum(),
            rows * 24,
        );

        // The map into a new column: the hand loop writes into a buffer allocated once.
        let g = group("map_f32");
        read(&mut add, g, &[a, b, c], rows * 16);
        let mut out = vec![0.0f32; rows];
        add(
            g,
            "hand_1t",
            data::median_ns(runs, || {
                black_box(data::map_into(black_box(a), b, c, &mut out));
            }),
            rows * 16,
        );
        swath(
            &mut add,
            g,
            &|| (col("a") * col("b") + col("c")).alias("y"),
            rows * 16,
        );

        // The branchy chain.
        let g = group("branchy_f32");
        read(&mut add, g, &[a, b, c], rows * 12);
        add(
            g,
            "hand_1t",
            data::median_ns(runs, || {
                black_box(data::branchy16(black_box(a), b, c));
            }),
            rows * 12,
        );
        add(
            g,
            "hand_2t",
            data::median_ns(runs, || {
                black_box(data::two_threads(
                    rows,
                    |r| data::branchy16(&a[r.clone()], &b[r.clone()], &c[r]),
                    |x, y| x + y,
                ));
            }),
            rows * 12,
        );
        swath(
            &mut add,
            g,
            &|| {
                when(col("a").gt(col("b")))
                    .then(col("a") * col("b") - col("c"))
                    .otherwise(col("c").abs())
                    .sum()
            },
            rows * 12,
        );

        // Transcendentals: the hand loop calls the standard library's sin and exp.
        let g = group("heavy_f32");
        add(
            g,
            "hand_1t",
            data::median_ns(runs.min(101), || {
                black_box(data::heavy_std(black_box(a)));
            }),
            rows * 4,
        );
        swath(
            &mut add,
            g,
            &|| (col("a").sin() * (-(col("a") * col("a"))).exp()).sum(),
            rows * 4,
        );
    }
}

/// The bytes of an f64 slice seen as f32s (for the plain read, which only reads bits).
fn bytemuck_f32(x: &[f64]) -> &[f32] {
    bytemuck::cast_slice(x)
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
        data::median_ns(15, || {
            black_box(data::sum16(black_box(&x)));
        }),
        bytes,
    );
    add(
        "sum_64m",
        "hand_loop_2t",
        data::median_ns(15, || {
            black_box(sum16_2t(black_box(&x)));
        }),
        bytes,
    );
    add(
        "sum_64m",
        "swath_1t",
        data::median_ns(15, || {
            let _ = black_box(df.select_with([col("x").sum()], &one));
        }),
        bytes,
    );
    add(
        "sum_64m",
        "swath_2t",
        data::median_ns(15, || {
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
        data::median_ns(15, || {
            black_box(data::fused16(a, b, c));
        }),
        bytes,
    );
    add(
        "fused_16m",
        "hand_loop_2t",
        data::median_ns(15, || {
            black_box(fused16_2t(a, b, c));
        }),
        bytes,
    );
    add(
        "fused_16m",
        "swath_1t",
        data::median_ns(15, || {
            let _ = black_box(df.select_with([fused()], &one));
        }),
        bytes,
    );
    add(
        "fused_16m",
        "swath_2t",
        data::median_ns(15, || {
            let _ = black_box(df.select_with([fused()], &two));
        }),
        bytes,
    );

    let heavy = || (col("a").sin() * (-(col("a") * col("a"))).exp()).sum();
    let bytes = FUSED_ROWS * 4;
    add(
        "heavy_16m",
        "swath_1t",
        data::median_ns(7, || {
            let _ = black_box(df.select_with([heavy()], &one));
        }),
        bytes,
    );
    add(
        "heavy_16m",
        "swath_2t",
        data::median_ns(7, || {
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
        data::median_ns(15, || {
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
        data::median_ns(15, || {
            let _ = black_box(df.select_with([map()], &one));
        }),
        bytes,
    );
    add(
        "map_16m",
        "swath_2t",
        data::median_ns(15, || {
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
            data::median_ns(9, || {
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
                data::median_ns(9, || {
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
        data::median_ns(5, || {
            black_box(mandel_hand_2t());
        }),
        bytes,
    );
    add(
        "mandel_1.5m",
        "swath_2t",
        data::median_ns(5, || {
            let _ = black_box(pixels.select_with([mandel_swath()], &two_cpu));
        }),
        bytes,
    );
    if swath::gpu::available() {
        let gpu = ExecOptions::new().backend(Backend::Gpu);
        add(
            "mandel_1.5m",
            "swath_gpu",
            data::median_ns(5, || {
                let _ = black_box(pixels.select_with([mandel_swath()], &gpu));
            }),
            bytes,
        );
    }

    if args.iter().any(|a| a == "--kernels") {
        kernel_rows(&mut add);
    }

    let small = data::random_f32(1000, 6, -1.0, 1.0);
    let df = Frame::new([("x", Column::from(small.clone()))]).expect("one column");
    add(
        "small_1000",
        "hand_loop",
        data::median_ns(20001, || {
            black_box(data::sum16(black_box(&small)));
        }),
        4000,
    );
    add(
        "small_1000",
        "swath",
        data::median_ns(20001, || {
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
