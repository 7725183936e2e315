//! Columns larger than one storage binding run in windows: each window bound at an offset
//! that is a multiple of the device's offset alignment, one dispatch per window, partials
//! combined in row order.
//!
//! `swath::unstable::faults::set_max_binding` lowers the binding limit for this thread's passes, so small
//! data crosses many windows; those results are checked against the oracle (every op family
//! a window can get wrong: maps, every reduction, argmin/argmax rows, bool and 8-byte columns).
//! One test runs a real 160 MiB f32 column (more than lavapipe's 128 MiB binding limit).
//! Skips visibly without an adapter unless `SWATH_REQUIRE_GPU=1`.

mod common;

use common::*;
use swath::gpu;
use swath::prelude::*;
use swath::unstable::faults::set_max_binding;

fn gpu_opts() -> ExecOptions {
    ExecOptions::new().backend(Backend::Gpu)
}

/// Resets the binding limit when the test ends, even by a panic.
struct Limit;
impl Limit {
    fn set(bytes: u64) -> Limit {
        set_max_binding(Some(bytes));
        Limit
    }
}
impl Drop for Limit {
    fn drop(&mut self) {
        set_max_binding(None);
    }
}

#[test]
fn small_windows_agree_with_the_oracle() {
    if !gpu_present() {
        return;
    }
    let _limit = Limit::set(4096);
    let wide = gpu::adapter_info().is_some_and(|i| i.f64 && i.i64);
    let mut rng = Rng::for_test("windows");
    let mut failures = Vec::new();
    for (len, flavor) in [
        (1025usize, Flavor::Wild),
        (4096, Flavor::Tame),
        (20_001, Flavor::Wild),
        (70_003, Flavor::Tame),
        (9_000, Flavor::NearOne),
    ] {
        // 4-byte columns: 1024 rows per window; 8-byte: 512.
        let window = swath::unstable::gpu_window_rows(len, 8).expect("gpu");
        assert!(
            window < len && window.is_multiple_of(64),
            "{len}: window {window}"
        );
        let frame = random_frame(&mut rng, len, 2, flavor);
        let oracle = Oracle::new(&frame);
        let mut dtypes = vec![DType::F32, DType::I32, DType::U32, DType::Bool];
        if wide {
            dtypes.extend([DType::F64, DType::I64]);
        }
        let mut exprs: Vec<Expr> = Vec::new();
        for &d in &dtypes {
            let a = col(cname(d, 0));
            let b = col(cname(d, 1));
            // Integer and bool sums accumulate in i64, variances in f64: only on wide devices
            // (elsewhere the whole fused pass would run on the CPU).
            let int_sums = wide || d == DType::F32;
            if d == DType::Bool {
                exprs.extend([
                    a.clone().any(),
                    a.clone().all(),
                    a.clone().and(b.clone()),
                    a.clone().arg_max(),
                ]);
                if wide {
                    exprs.push(a.clone().sum());
                }
                continue;
            }
            exprs.extend([
                a.clone() + b.clone(),
                a.clone().minimum(b.clone()),
                a.clone().min(),
                a.clone().max(),
                a.clone().arg_min(),
                a.clone().arg_max(),
                a.clone().gt(b.clone()),
                a.clone().cast(DType::F32).sum(),
            ]);
            if int_sums {
                exprs.extend([
                    a.clone().sum(),
                    a.clone().mean(),
                    a.clone() - a.clone().mean(),
                ]);
            }
            if wide {
                exprs.push(a.clone().var(1));
            }
            if flavor == Flavor::NearOne && int_sums {
                exprs.push(a.clone().prod());
            }
        }
        gpu::reset_thread_stats();
        failures.extend(check_exprs(&frame, &oracle, &exprs));
        let stats = gpu::thread_stats();
        assert!(stats.gpu_passes > 0, "{stats:?}");
        assert_eq!(stats.failed, 0, "{stats:?}");
    }
    assert_ok(failures, "windowed passes");
}

#[test]
fn windowed_results_equal_unwindowed_ones() {
    if !gpu_present() {
        return;
    }
    let n = 50_000usize;
    let x: Vec<f32> = (0..n)
        .map(|i| ((i * 7919) % 10_007) as f32 * 0.5 - 2000.0)
        .collect();
    let mut planted = x.clone();
    planted[n - 3] = -1e9; // argmin in the last window
    planted[4097] = 1e9; // argmax in a middle window
    let df = Frame::new([("x", Column::from(planted))]).expect("frame");
    let exprs = || {
        [
            (col("x") * lit(3.0) + lit(1.0)).alias("m"),
            col("x").arg_min().alias("lo"),
            col("x").arg_max().alias("hi"),
            col("x").min().alias("min"),
            col("x").count().alias("n"),
        ]
    };
    let whole = df.select_with(exprs(), &gpu_opts()).expect("whole");
    let windowed = {
        let _limit = Limit::set(1024);
        assert!(swath::unstable::gpu_window_rows(n, 4).expect("gpu") <= 256);
        df.select_with(exprs(), &gpu_opts()).expect("windowed")
    };
    // Reductions are broadcast to the height of the map.
    let first = |name: &str| windowed.column(name).expect(name).get(0).expect(name);
    assert_eq!(first("lo"), Scalar::I64((n - 3) as i64));
    assert_eq!(first("hi"), Scalar::I64(4097));
    assert_eq!(first("min"), Scalar::F32(-1e9));
    assert_eq!(first("n"), Scalar::I64(n as i64));
    let (a, b) = (
        whole.values::<f32>("m").expect("m"),
        windowed.values::<f32>("m").expect("m"),
    );
    assert!(a.iter().zip(&b).all(|(p, q)| p.to_bits() == q.to_bits()));
}

#[test]
fn a_160_mib_column_runs_in_windows() {
    if !gpu_present() {
        return;
    }
    // 160 MiB of f32: more than lavapipe's (and WebGPU's default) 128 MiB per binding. On a
    // device with larger bindings, lower the limit to 128 MiB so this still crosses windows.
    let _limit = Limit::set(128 << 20);
    let n = (160usize << 20) / 4;
    assert!(swath::unstable::gpu_window_rows(n, 4).expect("gpu") < n);
    let start = std::time::Instant::now();
    let x: Vec<f32> = (0..n).map(|i| (i % 4096) as f32 * 0.25 - 512.0).collect();
    // Exact in f64: every value is a multiple of 1/4 below 2^10.
    let want_sum: f64 = x.iter().map(|&v| v as f64).sum();
    let sum_abs: f64 = x.iter().map(|&v| v.abs() as f64).sum();
    let df = Frame::new([("x", Column::from(x))]).expect("frame");
    gpu::reset_thread_stats();
    let out = df
        .select_with(
            [
                col("x").sum().alias("s"),
                (col("x") * lit(2.0) - lit(1.0)).alias("m"),
                col("x").arg_max().alias("hi"),
            ],
            &gpu_opts(),
        )
        .expect("select");
    assert_eq!(
        gpu::thread_stats().gpu_passes,
        1,
        "{:?}",
        gpu::thread_stats()
    );
    let s = match out.column("s").expect("s").get(0).expect("s") {
        Scalar::F32(v) => v as f64,
        other => panic!("sum is {other:?}"),
    };
    assert!((s - want_sum).abs() <= 1e-5 * sum_abs, "{s} vs {want_sum}");
    assert_eq!(
        out.column("hi").expect("hi").get(0).expect("hi"),
        Scalar::I64(4095)
    );
    let m = out.column("m").expect("m");
    assert!(m.is_on_device() && !m.is_on_host());
    let m: Vec<f32> = m.to_vec().expect("m values");
    let x = df.column("x").expect("x").as_slice::<f32>().expect("x");
    let bad = m
        .iter()
        .zip(x)
        .position(|(&got, &v)| got.to_bits() != (v * 2.0 - 1.0).to_bits());
    assert_eq!(bad, None, "first wrong row");
    eprintln!("160 MiB column: {:?}", start.elapsed());
}
