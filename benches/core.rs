//! Core CPU benchmarks, each beside the hand-written Rust loop that is its practical limit.
//!
//! cargo bench --bench core
//!
//! Groups: `sum_64m` (select sum vs a 16-accumulator loop), `fused_16m` ((a*b+c).sqrt().sum()
//! vs a fused loop), `heavy_16m` (sin(x)*exp(-x*x) summed, 1 vs 2 threads), `small_1000`
//! (one sum over 1,000 rows vs a plain loop: the fixed cost of a call), and `gpu_16m` (the sum
//! and the fused sum forced onto the GPU, inputs on the device and on the host; skipped
//! without an adapter; on lavapipe these only show the path works).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use swath::prelude::*;

#[path = "data.rs"]
mod data;

fn sum_64m(cr: &mut Criterion) {
    let n = 64 << 20;
    let x = data::random_f32(n, 1, -1.0, 1.0);
    let df = Frame::new([("x", Column::from(x.clone()))]).unwrap();
    let mut g = cr.benchmark_group("sum_64m");
    g.sample_size(10)
        .throughput(Throughput::Bytes((n * 4) as u64));
    g.bench_function("hand_loop_1t", |b| b.iter(|| data::sum16(black_box(&x))));
    g.bench_function("swath", |b| b.iter(|| df.select([col("x").sum()]).unwrap()));
    let one = ExecOptions::new().threads(1);
    g.bench_function("swath_1t", |b| {
        b.iter(|| df.select_with([col("x").sum()], &one).unwrap())
    });
    g.finish();
}

fn fused_16m(cr: &mut Criterion) {
    let n = 16 << 20;
    let (a, b, c) = (
        data::random_f32(n, 2, 0.0, 2.0),
        data::random_f32(n, 3, 0.0, 2.0),
        data::random_f32(n, 4, 0.0, 2.0),
    );
    let df = Frame::new([
        ("a", Column::from(a.clone())),
        ("b", Column::from(b.clone())),
        ("c", Column::from(c.clone())),
    ])
    .unwrap();
    let e = || (col("a") * col("b") + col("c")).sqrt().sum();
    let mut g = cr.benchmark_group("fused_16m");
    g.sample_size(10)
        .throughput(Throughput::Bytes((n * 12) as u64));
    g.bench_function("hand_loop_1t", |bch| {
        bch.iter(|| data::fused16(black_box(&a), &b, &c))
    });
    g.bench_function("swath", |bch| bch.iter(|| df.select([e()]).unwrap()));
    let one = ExecOptions::new().threads(1);
    g.bench_function("swath_1t", |bch| {
        bch.iter(|| df.select_with([e()], &one).unwrap())
    });
    g.finish();
}

fn heavy_16m(cr: &mut Criterion) {
    let n = 16 << 20;
    let x = data::random_f32(n, 5, -2.0, 2.0);
    let df = Frame::new([("x", Column::from(x))]).unwrap();
    let e = || (col("x").sin() * (-(col("x") * col("x"))).exp()).sum();
    let mut g = cr.benchmark_group("heavy_16m");
    g.sample_size(10)
        .throughput(Throughput::Bytes((n * 4) as u64));
    for threads in [1, 2] {
        let opts = ExecOptions::new().threads(threads);
        g.bench_function(format!("swath_{threads}t"), |b| {
            b.iter(|| df.select_with([e()], &opts).unwrap())
        });
    }
    g.finish();
}

fn small_1000(cr: &mut Criterion) {
    let x = data::random_f32(1000, 6, -1.0, 1.0);
    let df = Frame::new([("x", Column::from(x.clone()))]).unwrap();
    let mut g = cr.benchmark_group("small_1000");
    g.bench_function("hand_loop", |b| b.iter(|| data::sum16(black_box(&x))));
    g.bench_function("swath", |b| b.iter(|| df.select([col("x").sum()]).unwrap()));
    g.finish();
}

fn gpu_16m(cr: &mut Criterion) {
    if !swath::gpu::available() {
        eprintln!("gpu_16m: skipped, no GPU adapter");
        return;
    }
    let n = 16 << 20;
    let df = Frame::new([
        ("a", Column::from(data::random_f32(n, 2, 0.0, 2.0))),
        ("b", Column::from(data::random_f32(n, 3, 0.0, 2.0))),
        ("c", Column::from(data::random_f32(n, 4, 0.0, 2.0))),
    ])
    .unwrap();
    let gpu = ExecOptions::new().backend(swath::options::Backend::Gpu);
    let fused = || (col("a") * col("b") + col("c")).sqrt().sum();
    let mut g = cr.benchmark_group("gpu_16m");
    g.sample_size(10)
        .throughput(Throughput::Bytes((n * 12) as u64));
    // Resident: the first call leaves the inputs on the device, later ones reuse them.
    g.bench_function("fused_resident", |b| {
        b.iter(|| df.select_with([fused()], &gpu).unwrap())
    });
    g.bench_function("fused_from_host", |b| {
        b.iter_batched(
            // New columns each time: nothing of them is on the device yet.
            || {
                Frame::new(["a", "b", "c"].map(|n| (n, Column::from(df.values::<f32>(n).unwrap()))))
                    .unwrap()
            },
            |fresh| fresh.select_with([fused()], &gpu).unwrap(),
            criterion::BatchSize::PerIteration,
        )
    });
    g.bench_function("fused_cpu", |b| b.iter(|| df.select([fused()]).unwrap()));
    g.finish();
}

criterion_group!(benches, sum_64m, fused_16m, heavy_16m, small_1000, gpu_16m);
criterion_main!(benches);
