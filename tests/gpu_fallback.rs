//! `Backend::Gpu` with kernels this device cannot run: here f64 and i64 are switched off with
//! `SWATH_GPU_DISABLE` (read when the GPU context starts, so this binary holds one test). Such
//! passes run on the CPU, with the same answers, counted as unsupported (the reason the device
//! gives is checked in `src/gpu/codegen.rs`'s unit tests). Skips (visibly) without an adapter unless `SWATH_REQUIRE_GPU=1`.

use swath::gpu;
use swath::prelude::*;

#[test]
fn kernels_the_gpu_cannot_run_fall_back_to_the_cpu() {
    // SAFETY: the only test of this binary, run before anything else reads the environment.
    unsafe { std::env::set_var("SWATH_GPU_DISABLE", "f64,i64") };
    if !gpu::available() {
        let reason = gpu::unavailable_reason().unwrap_or_default();
        assert!(
            std::env::var("SWATH_REQUIRE_GPU").map_or(true, |v| v != "1"),
            "SWATH_REQUIRE_GPU=1 but there is no usable GPU: {reason}"
        );
        eprintln!("skipping GPU tests: no adapter ({reason})");
        return;
    }
    let info = gpu::adapter_info().expect("adapter info");
    assert!(
        !info.f64 && !info.i64,
        "SWATH_GPU_DISABLE was not honoured: {info:?}"
    );

    let n: usize = 1000;
    let df = Frame::new([
        (
            "x",
            Column::from((0..n).map(|i| i as f32 * 0.25).collect::<Vec<_>>()),
        ),
        (
            "d",
            Column::from((0..n).map(|i| i as f64 * 0.5).collect::<Vec<_>>()),
        ),
        (
            "k",
            Column::from((0..n).map(|i| i as i32 - 300).collect::<Vec<_>>()),
        ),
    ])
    .expect("frame");
    let gpu_opts = ExecOptions::new().backend(Backend::Gpu);
    let cpu_opts = ExecOptions::new().backend(Backend::Cpu);
    let cases: Vec<(Vec<Expr>, bool)> = vec![
        (
            vec![
                col("x").sum().alias("s"),
                (col("x") * lit(2.0f32)).alias("m"),
            ],
            true,
        ),
        (vec![col("d").sum().alias("s")], false),
        // i32 sums accumulate in i64; variance in f64.
        (vec![col("k").sum().alias("s")], false),
        (vec![col("x").var(1).alias("v")], false),
        (vec![col("k").sqrt().alias("r")], false),
        (vec![col("k").cast(DType::I64).alias("c")], false),
    ];
    for (exprs, on_gpu) in cases {
        gpu::reset_thread_stats();
        let g = df
            .select_with(exprs.clone(), &gpu_opts)
            .expect("gpu select");
        let stats = gpu::thread_stats();
        let c = df
            .select_with(exprs.clone(), &cpu_opts)
            .expect("cpu select");
        for name in c.names() {
            let (gc, cc) = (g.column(name).expect("gpu"), c.column(name).expect("cpu"));
            assert_eq!(gc.len(), cc.len());
            for r in 0..cc.len() {
                // Debug text: NaN equals NaN, -0.0 differs from 0.0.
                let (gv, cv) = (gc.get(r).expect("g"), cc.get(r).expect("c"));
                assert_eq!(format!("{gv:?}"), format!("{cv:?}"), "{exprs:?} row {r}");
            }
        }
        assert_eq!(stats.failed, 0, "{exprs:?}: {stats:?}");
        if on_gpu {
            assert_eq!(
                (stats.gpu_passes, stats.unsupported),
                (1, 0),
                "{exprs:?}: {stats:?}"
            );
        } else {
            assert_eq!(
                (stats.gpu_passes, stats.unsupported),
                (0, 1),
                "{exprs:?}: {stats:?}"
            );
        }
    }
}
