//! A lost GPU device (here destroyed on purpose with `swath::unstable::faults::lose_device`, as a driver
//! reset would) never panics: later passes run on the CPU (logged), columns with a host copy
//! stay readable, and a column whose only copy was on the device gives `Error::Gpu`. The loss
//! is process-wide, so this binary holds one test. Skips visibly without an adapter unless
//! `SWATH_REQUIRE_GPU=1`.

mod common;

use swath::gpu;
use swath::prelude::*;

#[test]
fn after_the_device_is_lost_work_runs_on_the_cpu() {
    if !common::gpu_present() {
        return;
    }
    let n = 3000usize;
    let df = Frame::new([(
        "x",
        Column::from((0..n).map(|i| i as f32).collect::<Vec<_>>()),
    )])
    .expect("frame");
    let gpu_opts = ExecOptions::new().backend(Backend::Gpu);
    let only_on_device = df
        .select_with([(col("x") * lit(2.0)).alias("y")], &gpu_opts)
        .expect("gpu");
    let fetched = df
        .select_with([(col("x") * lit(3.0)).alias("z")], &gpu_opts)
        .expect("gpu");
    fetched.column("z").expect("z").fetch().expect("download");

    assert!(swath::unstable::faults::lose_device());
    assert!(!gpu::available());
    let reason = gpu::unavailable_reason().unwrap_or_default();
    assert!(reason.contains("lost"), "{reason}");

    // Forced GPU: the pass fails over to the CPU, with the right answer.
    gpu::reset_thread_stats();
    let out = df
        .select_with(
            [col("x").sum().alias("s"), (col("x") + lit(1.0)).alias("p")],
            &gpu_opts,
        )
        .expect("falls back to the CPU");
    let stats = gpu::thread_stats();
    assert_eq!(stats.gpu_passes, 0, "{stats:?}");
    assert_eq!(
        out.column("s").expect("s").get(0).expect("s"),
        Scalar::F32(4498500.0)
    );
    assert_eq!(out.values::<f32>("p").expect("p")[10], 11.0);
    let auto = df
        .select_with([col("x").max().alias("m")], &ExecOptions::new())
        .expect("auto");
    assert_eq!(auto.values::<f32>("m").expect("m"), vec![2999.0]);

    // A column downloaded before the loss is still there.
    assert_eq!(fetched.values::<f32>("z").expect("z")[5], 15.0);
    // One that lived only on the device is gone: an error, not a panic, wherever it is read.
    let y = only_on_device.column("y").expect("y");
    assert!(!y.is_on_device());
    assert!(
        matches!(y.to_vec::<f32>(), Err(Error::Gpu(_))),
        "{:?}",
        y.to_vec::<f32>()
    );
    assert!(matches!(y.get(0), Err(Error::Gpu(_))));
    for opts in [ExecOptions::new(), gpu_opts] {
        let result = common::no_panic(|| only_on_device.select_with([col("y").sum()], &opts));
        assert!(matches!(result, Ok(Err(Error::Gpu(_)))), "{result:?}");
    }
    let shown = format!("{only_on_device}");
    assert!(shown.contains('?'), "{shown}");
    drop(only_on_device); // frees a buffer of the lost device: no panic
}
