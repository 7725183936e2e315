//! A chain of maps on device-resident data: `z = a*x + y`, then `w = a*z + x`, then `sum(w)`.
//! The inputs go to the GPU once; `z` and `w` are born there and never cross the bus; only
//! the sum comes back. Prints the bytes each step moved and the bytes it did not have to.
//!
//!     cargo run --release --example saxpy_chain
//!     SWATH_EXAMPLE_ROWS=100000 cargo run --example saxpy_chain   # the reduced size CI runs
//!
//! Without a GPU adapter it runs the chain on the CPU and says so.

use swath::prelude::*;

fn main() -> Result<(), Error> {
    let rows: usize = std::env::var("SWATH_EXAMPLE_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(16 << 20);
    let x: Vec<f32> = (0..rows).map(|i| ((i % 1000) as f32) * 1e-3).collect();
    let y: Vec<f32> = (0..rows).map(|i| ((i % 777) as f32) * 2e-3).collect();
    let frame = Frame::new([("x", Column::from(x)), ("y", Column::from(y))])?;
    let a = 0.5f32;

    let on_gpu = swath::gpu::available();
    let options = if on_gpu {
        ExecOptions::new().backend(Backend::Gpu)
    } else {
        println!("no GPU adapter: running the chain on the CPU (nothing to keep resident)");
        ExecOptions::new()
    };
    let bytes = (rows * 4) as u64;
    swath::gpu::reset_transfer_stats();
    let step = |name: &str, would_move: u64, run: &mut dyn FnMut() -> Result<Frame, Error>| {
        let before = swath::gpu::transfer_stats();
        let out = run()?;
        let after = swath::gpu::transfer_stats();
        let (up, down) = (
            after.to_device - before.to_device,
            after.to_host - before.to_host,
        );
        println!(
            "{name:<24} moved {:>10} B to the device, {:>8} B back; without residency: {:>10} B",
            up, down, would_move
        );
        Ok::<_, Error>(out)
    };

    // z = a*x + y: x and y go up once; z stays on the device.
    let with_z = step("z = a*x + y", 3 * bytes, &mut || {
        frame.with_columns_with([(lit(a) * col("x") + col("y")).alias("z")], &options)
    })?;
    // w = a*z + x: x and z are already there.
    let with_w = step("w = a*z + x", 3 * bytes, &mut || {
        with_z.with_columns_with([(lit(a) * col("z") + col("x")).alias("w")], &options)
    })?;
    // sum(w): only the partial sums come back.
    let total = step("sum(w)", bytes, &mut || {
        with_w.select_with([col("w").sum()], &options)
    })?;
    let got = total.column("w")?.get(0)?.as_f64().unwrap_or(f64::NAN);

    if on_gpu {
        let z = with_w.column("z")?;
        println!(
            "z is on the device: {}, on the host: {}",
            z.is_on_device(),
            z.is_on_host()
        );
    }
    let cpu = ExecOptions::new().backend(Backend::Cpu1);
    let check = frame.select_with(
        [(lit(a) * (lit(a) * col("x") + col("y")) + col("x"))
            .sum()
            .alias("w")],
        &cpu,
    )?;
    let want = check.column("w")?.get(0)?.as_f64().unwrap_or(f64::NAN);
    println!(
        "sum(w) = {got} ({}), the CPU in one fused pass says {want}",
        if on_gpu { "GPU" } else { "CPU" }
    );
    if (got - want).abs() > 1e-5 * want.abs() {
        eprintln!("CHECK FAILED: the chain and the fused CPU pass disagree");
        std::process::exit(1);
    }
    println!("check: the chain matches the fused CPU pass (relative 1e-5)");
    Ok(())
}
