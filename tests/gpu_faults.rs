//! Injected GPU failures end as a logged CPU fallback (for a pass) or a `swath::Error` (for a
//! download), never a panic, and the GPU keeps working afterwards. Faults are armed per
//! thread (`swath::unstable::faults`), so these tests run in parallel with each other safely.
//! Device loss, which is process-wide, is in `gpu_device_lost.rs`. Skips visibly without an
//! adapter unless `SWATH_REQUIRE_GPU=1`.

mod common;

use std::sync::Mutex;

use swath::gpu;
use swath::prelude::*;
use swath::unstable::faults::{Fault, inject};

/// Keeps every warning and error swath logs, so tests can check a fallback was logged.
struct Recorder;
static RECORDS: Mutex<Vec<String>> = Mutex::new(Vec::new());
impl log::Log for Recorder {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        m.level() <= log::Level::Warn
    }
    fn log(&self, r: &log::Record<'_>) {
        if self.enabled(r.metadata()) {
            let line = format!("[{}] {}", r.level(), r.args());
            RECORDS.lock().unwrap_or_else(|e| e.into_inner()).push(line);
        }
    }
    fn flush(&self) {}
}
static RECORDER: Recorder = Recorder;

fn ready() -> bool {
    if log::set_logger(&RECORDER).is_ok() {
        log::set_max_level(log::LevelFilter::Warn);
    }
    common::gpu_present()
}

fn logged(needle: &str) -> bool {
    RECORDS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .any(|l| l.contains(needle))
}

fn frame(n: usize, scale: f32) -> Frame {
    Frame::new([(
        "x",
        Column::from((0..n).map(|i| i as f32 * scale).collect::<Vec<_>>()),
    )])
    .expect("frame")
}

fn gpu_opts() -> ExecOptions {
    ExecOptions::new().backend(Backend::Gpu)
}

/// `(x * 2 + 1)` and `sum(x)` on the forced GPU: checks the values, returns the stats.
fn run_and_check(df: &Frame) -> gpu::GpuStats {
    gpu::reset_thread_stats();
    let out = df
        .select_with(
            [
                (col("x") * lit(2.0) + lit(1.0)).alias("m"),
                col("x").sum().alias("s"),
            ],
            &gpu_opts(),
        )
        .expect("a failed GPU pass falls back to the CPU");
    let stats = gpu::thread_stats();
    let x: Vec<f32> = df.values("x").expect("x");
    let m: Vec<f32> = out.values("m").expect("m");
    for (i, (&a, &b)) in x.iter().zip(&m).enumerate() {
        assert_eq!(b, a * 2.0 + 1.0, "row {i}");
    }
    let want: f64 = x.iter().map(|&v| v as f64).sum();
    let got = out.values::<f32>("s").expect("s")[0] as f64;
    assert!((got - want).abs() <= want.abs() * 1e-6, "{got} vs {want}");
    stats
}

#[test]
fn a_shader_the_driver_rejects_falls_back_to_the_cpu() {
    if !ready() {
        return;
    }
    let df = frame(3000, 0.5);
    inject(Fault::ShaderValidation);
    let stats = run_and_check(&df);
    assert_eq!((stats.gpu_passes, stats.failed), (0, 1), "{stats:?}");
    assert!(
        logged("rejected a generated shader"),
        "the fallback is logged"
    );
    // The fault fired once; the same kernel then compiles and runs on the GPU (the broken
    // pipeline was not cached).
    let stats = run_and_check(&df);
    assert_eq!((stats.gpu_passes, stats.failed), (1, 0), "{stats:?}");
}

#[test]
fn out_of_memory_in_an_upload_falls_back_to_the_cpu() {
    if !ready() {
        return;
    }
    let df = frame(5000, 0.25);
    inject(Fault::OutOfMemory);
    let stats = run_and_check(&df);
    assert_eq!((stats.gpu_passes, stats.failed), (0, 1), "{stats:?}");
    assert!(logged("out of memory"), "the fallback is logged");
    assert!(
        !df.column("x").expect("x").is_on_device(),
        "no half-made device copy"
    );
    let stats = run_and_check(&df);
    assert_eq!((stats.gpu_passes, stats.failed), (1, 0), "{stats:?}");
    assert!(df.column("x").expect("x").is_on_device());
}

#[test]
fn out_of_memory_in_a_pass_over_resident_data_falls_back_to_the_cpu() {
    if !ready() {
        return;
    }
    let df = frame(4000, 1.5);
    run_and_check(&df); // x is on the device now
    assert!(df.column("x").expect("x").is_on_device());
    inject(Fault::OutOfMemory);
    let stats = run_and_check(&df);
    assert_eq!((stats.gpu_passes, stats.failed), (0, 1), "{stats:?}");
}

#[test]
fn out_of_memory_in_a_download_is_an_error_and_a_retry_works() {
    if !ready() {
        return;
    }
    let df = frame(2000, 2.0);
    let out = df
        .select_with([(col("x") + lit(1.0)).alias("y")], &gpu_opts())
        .expect("select");
    let y = out.column("y").expect("y");
    assert!(!y.is_on_host());
    inject(Fault::OutOfMemory);
    match y.to_vec::<f32>() {
        Err(Error::Gpu(message)) => assert!(message.contains("out of memory"), "{message}"),
        other => panic!("expected a GPU error, got {other:?}"),
    }
    assert!(!y.is_on_host());
    let values: Vec<f32> = y.to_vec().expect("the retry downloads");
    assert_eq!(values[1999], 1999.0 * 2.0 + 1.0);
}

#[test]
fn out_of_memory_with_idle_buffers_pooled_drops_them_and_retries() {
    if !ready() {
        return;
    }
    // Leave an idle buffer in the pool: a GPU result of a size no other test uses, dropped.
    // The pass below needs a buffer of another such size, so it must allocate one.
    let filler = frame(90_001, 1.0);
    drop(
        filler
            .select_with([(col("x") * 3.0).alias("y")], &gpu_opts())
            .expect("select"),
    );
    let df = frame(70_001, 0.5);
    inject(Fault::OutOfMemoryWhilePooling);
    let stats = run_and_check(&df);
    assert_eq!(
        (stats.gpu_passes, stats.failed),
        (1, 0),
        "the retry after dropping the idle buffers ran on the GPU: {stats:?}"
    );
    assert!(logged("dropped the idle buffers"), "the retry is logged");
}
