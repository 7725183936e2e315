//! Columns remember their device copy: chained GPU work on resident data moves no input bytes,
//! GPU results stay on the device until read on the host, and each transfer happens once.
//!
//! Byte counts come from `gpu::transfer_stats()`, which counts this thread's transfers only
//! (so tests running in parallel do not disturb each other). Skips visibly without an adapter
//! unless `SWATH_REQUIRE_GPU=1`.

mod common;

use swath::gpu;
use swath::prelude::*;

fn gpu_opts() -> ExecOptions {
    ExecOptions::new().backend(Backend::Gpu)
}

#[test]
fn chained_selects_move_no_input_bytes_the_second_time() {
    if !common::gpu_present() {
        return;
    }
    let n = 100_000usize;
    let a: Vec<f32> = (0..n).map(|i| (i % 1000) as f32 * 0.5).collect();
    let df = Frame::new([("a", Column::from(a.clone()))]).expect("frame");
    let input = df.column("a").expect("a");
    assert!(input.is_on_host() && !input.is_on_device());

    // First select: `a` goes up once; `x` is produced on the device and stays there.
    gpu::reset_transfer_stats();
    gpu::reset_thread_stats();
    let df2 = df
        .select_with([(col("a") * lit(2.0)).alias("x")], &gpu_opts())
        .expect("first select");
    let first = gpu::transfer_stats();
    assert_eq!(
        gpu::thread_stats().gpu_passes,
        1,
        "{:?}",
        gpu::thread_stats()
    );
    assert_eq!(first.to_device, (n * 4) as u64, "{first:?}");
    assert_eq!(first.uploads, 1, "{first:?}");
    assert_eq!(first.to_host, 0, "a map reads nothing back: {first:?}");
    assert!(
        df.column("a").expect("a").is_on_device(),
        "the upload is remembered"
    );
    let x = df2.column("x").expect("x");
    assert!(x.is_on_device() && !x.is_on_host(), "{x:?}");

    // Second select over the GPU-resident result: nothing goes up, only partials come back.
    gpu::reset_transfer_stats();
    let out = df2
        .select_with([col("x").sum().alias("s")], &gpu_opts())
        .expect("second select");
    let second = gpu::transfer_stats();
    assert_eq!(second.to_device, 0, "{second:?}");
    assert_eq!(second.uploads, 0, "{second:?}");
    // One 4-byte partial per workgroup of 256 threads, whatever the column length beyond that.
    let workgroups = n
        .div_ceil(256)
        .min(swath::unstable::GPU_MAX_WORKGROUPS as usize) as u64;
    assert_eq!(second.to_host, workgroups * 4, "{second:?}");
    let s = out.column("s").expect("s").get(0).expect("s");
    let want: f64 = a.iter().map(|&v| 2.0 * v as f64).sum();
    match s {
        Scalar::F32(v) => assert!((v as f64 - want).abs() <= want * 1e-6, "{v} vs {want}"),
        other => panic!("sum of f32 is {other:?}"),
    }
    // Running the first select again uploads nothing either.
    gpu::reset_transfer_stats();
    df.select_with([(col("a") + lit(1.0)).alias("y")], &gpu_opts())
        .expect("again");
    assert_eq!(gpu::transfer_stats().to_device, 0);

    // Reading `x` on the host downloads it once; later reads are free.
    gpu::reset_transfer_stats();
    let xs: Vec<f32> = x.to_vec().expect("x values");
    assert_eq!(gpu::transfer_stats().to_host, (n * 4) as u64);
    assert!(x.is_on_host() && x.is_on_device());
    assert_eq!(x.get(7).expect("row 7"), Scalar::F32(a[7] * 2.0));
    assert_eq!(gpu::transfer_stats().downloads, 1);
    for (i, (&got, &v)) in xs.iter().zip(&a).enumerate() {
        assert_eq!(got.to_bits(), (v * 2.0).to_bits(), "row {i}");
    }
}

#[test]
fn every_dtype_round_trips_through_the_device() {
    if !common::gpu_present() {
        return;
    }
    let info = gpu::adapter_info().expect("adapter");
    let n = 1027;
    let mut cols = vec![
        (
            "b",
            Column::from((0..n).map(|i| i % 3 == 0).collect::<Vec<_>>()),
        ),
        (
            "i",
            Column::from((0..n).map(|i| i as i32 - 500).collect::<Vec<_>>()),
        ),
        (
            "u",
            Column::from((0..n).map(|i| i as u32 * 7).collect::<Vec<_>>()),
        ),
        (
            "f",
            Column::from((0..n).map(|i| i as f32 * 0.25).collect::<Vec<_>>()),
        ),
    ];
    if info.i64 && info.f64 {
        cols.push((
            "l",
            Column::from((0..n).map(|i| (i as i64) << 33).collect::<Vec<_>>()),
        ));
        cols.push((
            "d",
            Column::from((0..n).map(|i| i as f64 * 0.125).collect::<Vec<_>>()),
        ));
    }
    let df = Frame::new(cols).expect("frame");
    // Identity-like maps: the outputs live on the device, the same values as the inputs.
    let exprs: Vec<Expr> = df
        .names()
        .iter()
        .map(|&name| match df.column(name).expect("col").dtype() {
            DType::Bool => (!!col(name)).alias(name),
            _ => (col(name) + lit(0)).alias(name),
        })
        .collect();
    let out = df.select_with(exprs, &gpu_opts()).expect("select");
    for name in df.names() {
        let (a, b) = (df.column(name).expect("in"), out.column(name).expect("out"));
        assert!(b.is_on_device() && !b.is_on_host(), "{name}");
        assert_eq!(b.dtype(), a.dtype(), "{name}");
        assert_eq!(b.len(), a.len(), "{name}");
        for r in 0..n {
            assert_eq!(
                b.get(r).expect("get"),
                a.get(r).expect("get"),
                "{name} row {r}"
            );
        }
    }
    // A CPU pass over device-only columns downloads them (and gives the same answers).
    let fresh = df
        .select_with([(col("f") * lit(3.0)).alias("t")], &gpu_opts())
        .expect("gpu");
    let t = fresh.column("t").expect("t");
    assert!(!t.is_on_host());
    let cpu = fresh
        .select_with(
            [col("t").sum().alias("s")],
            &ExecOptions::new().backend(Backend::Cpu),
        )
        .expect("cpu over device data");
    assert!(t.is_on_host());
    let want: f32 = (0..n).map(|i| i as f32 * 0.25 * 3.0).sum();
    let got: f32 = cpu.values::<f32>("s").expect("s")[0];
    assert!((got - want).abs() <= want * 1e-6, "{got} vs {want}");
}

#[test]
fn filter_and_display_read_device_columns() {
    if !common::gpu_present() {
        return;
    }
    let df = Frame::new([(
        "x",
        Column::from((0..20).map(|i| i as f32).collect::<Vec<_>>()),
    )])
    .expect("frame");
    let on_gpu = df
        .select_with(
            [
                (col("x") * lit(2.0)).alias("y"),
                col("x").gt(lit(9.5)).alias("big"),
            ],
            &gpu_opts(),
        )
        .expect("gpu");
    let text = format!("{on_gpu}");
    assert!(text.contains("38.0") || text.contains("38"), "{text}");
    let kept = on_gpu.filter(col("big")).expect("filter");
    assert_eq!(kept.height(), 10);
    assert_eq!(kept.values::<f32>("y").expect("y")[0], 20.0);
}

/// `Column::upload` and `Column::release_device` move a column on purpose, and `explain` sees
/// where its inputs are: the GPU's estimate drops by the upload once the column is resident.
#[test]
fn upload_and_release_move_a_column_and_explain_sees_it() {
    if !common::gpu_present() {
        return;
    }
    let n = 1 << 20;
    let df = Frame::new([("a", Column::from(vec![1.5f32; n]))]).expect("frame");
    let a = df.column("a").expect("a");
    let gpu_estimate = |df: &Frame| -> f64 {
        let text = df.explain([col("a").sum()]).expect("explain");
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with("estimates:"))
            .unwrap_or_else(|| panic!("no estimates in {text}"));
        let gpu = line
            .split(", ")
            // "estimates: cpu1 1.2 ms, cpu x2 0.7 ms, gpu 3.4 ms"
            .find_map(|part| part.strip_prefix("gpu "))
            .unwrap_or_else(|| panic!("no gpu estimate in {line}"));
        let (value, unit) = gpu.split_at(gpu.find(' ').expect("a unit"));
        let value: f64 = value.parse().expect("a number");
        match unit.trim() {
            "ms" => value * 1e3,
            "µs" => value,
            "s" => value * 1e6,
            other => panic!("unit {other} in {line}"),
        }
    };
    let on_host = gpu_estimate(&df);

    gpu::reset_transfer_stats();
    a.upload().expect("upload");
    assert!(a.is_on_device() && a.is_on_host());
    assert_eq!(gpu::transfer_stats().to_device, (n * 4) as u64);
    a.upload().expect("a second upload is a no-op");
    assert_eq!(gpu::transfer_stats().uploads, 1);
    let resident = gpu_estimate(&df);
    assert!(
        resident < on_host,
        "explain must see the resident column: {resident} µs vs {on_host} µs on the host"
    );
    // A GPU pass now reads the copy without moving the column again.
    gpu::reset_transfer_stats();
    let sum = df.select_with([col("a").sum()], &gpu_opts()).expect("sum");
    assert_eq!(gpu::transfer_stats().to_device, 0);
    assert_eq!(
        sum.column("a").expect("a").to_vec::<f32>().expect("f32"),
        [1.5 * n as f32]
    );

    a.release_device().expect("release");
    assert!(!a.is_on_device() && a.is_on_host());
    assert_eq!(gpu_estimate(&df), on_host);

    // A GPU result exists only on the device: releasing it downloads it first.
    let doubled = df
        .select_with([(col("a") * lit(2.0)).alias("b")], &gpu_opts())
        .expect("map");
    let b = doubled.column("b").expect("b");
    if b.is_on_device() && !b.is_on_host() {
        gpu::reset_transfer_stats();
        b.release_device().expect("release a device-only column");
        assert_eq!(gpu::transfer_stats().to_host, (n * 4) as u64);
        assert!(b.is_on_host() && !b.is_on_device());
        assert!(b.to_vec::<f32>().expect("f32").iter().all(|&v| v == 3.0));
    }
}
