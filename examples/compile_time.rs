//! How long the CPU kernel compiler takes (issue 13's target: at most 1 ms for a 10-op
//! kernel): eight distinct kernels of ten float ops and a sum, each compiled on its first
//! select, timed by `unstable::cpu_compile_stats`. Needs an AVX-512 CPU; elsewhere nothing
//! is compiled and it says so.
//!
//!     cargo run --release --example compile_time

use swath::prelude::*;

fn main() -> Result<(), swath::Error> {
    let rows = 1 << 16;
    let column = |seed: u32| -> Column {
        let values: Vec<f32> = (0..rows as u32)
            .map(|i| ((i.wrapping_mul(2_654_435_761) ^ seed) % 1000) as f32 / 500.0)
            .collect();
        Column::from(values)
    };
    let df = Frame::new([("a", column(1)), ("b", column(2)), ("c", column(3))])?;
    let one = ExecOptions::new().backend(Backend::Cpu1);
    // The first select calibrates, and the first kernel compiled in a process also pays
    // for the assembler's tables: both happen here.
    let first = swath::unstable::cpu_compile_stats();
    df.select_with([(col("a") * col("b")).sum()], &one)?;
    let after_first = swath::unstable::cpu_compile_stats();
    if after_first.kernels == first.kernels {
        println!("no kernel was compiled: this CPU has no AVX-512, or the pass is too small");
        return Ok(());
    }
    println!(
        "first kernels of the process (calibration included): {} in {:.1} us",
        after_first.kernels - first.kernels,
        (after_first.nanos - first.nanos) as f64 / 1e3
    );
    for k in 0..8u32 {
        // a*b+c, then eight more ops chosen by k's bits, then sqrt: eleven ops and a sum.
        let mut e = col("a") * col("b") + col("c");
        for i in 0..8 {
            e = if (k >> (i % 3)) & 1 == 1 {
                e * col("b")
            } else {
                e - col("c")
            };
        }
        let before = swath::unstable::cpu_compile_stats();
        df.select_with([e.sqrt().sum()], &one)?;
        let after = swath::unstable::cpu_compile_stats();
        println!(
            "kernel {k}: {} compiled in {:.1} us",
            after.kernels - before.kernels,
            (after.nanos - before.nanos) as f64 / 1e3
        );
    }
    Ok(())
}
