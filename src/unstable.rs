//! What the CLI, the benches and the tests use of the engine's insides, and no stability
//! promise: these names change with the engine. The engine itself (the planner and its IR,
//! the backends, the cost model, the calibration) is crate-private, so nothing here accepts a
//! plan, a kernel or a schedule: a user cannot hand the engine a malformed one. Every function
//! returns `Err` on bad input rather than panicking.
//!
//! - the calibration and the cost model's figures (`swath info`, `swath calibrate`);
//! - the chooser's pure rule, [`decide`], to drive it with a synthetic machine;
//! - per-pass views of a select: the work the model counts ([`pass_work`]) and the way the
//!   chooser picks ([`pass_choices`]);
//! - the GPU's limits and its fault injection, for tests.

use crate::dtype::DType;
use crate::error::Result;
use crate::expr::Expr;
use crate::options::ExecOptions;

pub use crate::calibrate::{cache_path, calibration, gpu_costs, load_or_measure, recalibrate};
pub use crate::cost::{Calibration, CpuCosts, GpuCosts, Situation, Way, Work, decide, fingerprint};
pub use crate::cpu::CHUNK;
pub use crate::cpu::block::{BLOCK as CPU_BLOCK, TILE as CPU_TILE};

/// Runs `f` with the tiles of the CPU passes it starts on this thread set to `rows` (rounded
/// to a multiple of 64 that divides [`CPU_BLOCK`]; the default is [`CPU_TILE`]), all their
/// chunks included, on whichever thread they run. Results do not depend on the tile size (`tests/properties.rs` checks it bit for bit).
///
/// ```
/// use swath::prelude::*;
/// use swath::unstable::with_cpu_tile_rows;
/// let df = Frame::new([("x", Column::from(vec![1.5f32; 10_000]))])?;
/// let one = ExecOptions::new().backend(Backend::Cpu1);
/// let tiles = df.select_with([col("x").sum()], &one)?;
/// let small = with_cpu_tile_rows(64, || df.select_with([col("x").sum()], &one))?;
/// assert_eq!(tiles.values::<f32>("x")?, small.values::<f32>("x")?);
/// # Ok::<(), swath::Error>(())
/// ```
pub fn with_cpu_tile_rows<R>(rows: usize, f: impl FnOnce() -> R) -> R {
    crate::cpu::block::with_tile_rows(rows, f)
}

/// Runs `f` with the CPU passes it starts on this thread (all their chunks) on the reference
/// evaluator: every instruction in its own loop over whole [`CPU_BLOCK`]s, nothing fused
/// (the evaluator before issue 13's tiles and fusion). The differential test in
/// `tests/properties.rs` runs random expression trees through both and compares the bits.
pub fn with_cpu_reference_evaluator<R>(f: impl FnOnce() -> R) -> R {
    crate::cpu::block::with_reference_evaluator(f)
}

/// Runs `f` with the CPU passes it starts on this thread on the tile evaluator even where
/// the kernel could be compiled to machine code (AVX-512 only): for measuring the compiled
/// kernels against the evaluator, which the differential test also compares them with.
pub fn with_cpu_interpreter<R>(f: impl FnOnce() -> R) -> R {
    crate::cpu::jit::with_interpreter(f)
}

pub use crate::cpu::jit::CompileStats;

/// What the CPU kernel compiler has done in this process so far: shapes compiled (each
/// once, then taken from a cache), the time that took, and the passes started on this thread
/// that ran compiled code.
pub fn cpu_compile_stats() -> CompileStats {
    crate::cpu::jit::compile_stats()
}

/// Failures the GPU backend fakes on demand, so tests can check that each falls back to the
/// CPU or reports an error: [`inject`](faults::inject) a [`Fault`](faults::Fault), or shrink
/// the largest binding with [`set_max_binding`](faults::set_max_binding) to force windows.
pub mod faults {
    pub use crate::gpu::faults::{Fault, clear, inject, lose_device, set_max_binding};
}

/// The most workgroups one GPU dispatch launches (a reduction leaves one partial each).
pub const GPU_MAX_WORKGROUPS: u32 = crate::gpu::MAX_WORKGROUPS;

/// Rows per window a GPU pass over `rows` rows with columns of `elem_bytes` per element would
/// use on this thread (all of them when one binding holds the column); `None` without a GPU.
pub fn gpu_window_rows(rows: usize, elem_bytes: u64) -> Option<usize> {
    crate::gpu::window_rows(rows, elem_bytes)
}

/// The work the cost model counts for each pass of `exprs` over `rows` rows whose columns
/// have the dtypes `schema` gives.
///
/// ```
/// use swath::prelude::*;
/// use swath::unstable::pass_work;
/// let schema = |name: &str| (name == "x").then_some(DType::F64);
/// let work = pass_work(&[col("x").sin().sum()], 1000, &schema)?;
/// assert_eq!((work[0].rows, work[0].bytes_in), (1000.0, 8.0));
/// assert_eq!(work[0].libm_ops, 1.0); // f64 sin: one library call per row
/// assert!(pass_work(&[col("nope").sum()], 10, &schema).is_err());
/// # Ok::<(), swath::Error>(())
/// ```
pub fn pass_work(
    exprs: &[Expr],
    rows: usize,
    schema: &dyn Fn(&str) -> Option<DType>,
) -> Result<Vec<Work>> {
    let names = || "(the schema's columns)".to_string();
    let plan = crate::plan::lower(exprs, rows, schema, &names)?;
    Ok(plan.kernels.iter().map(Work::of).collect())
}

/// Where each pass of `exprs` over `rows` rows whose columns have the dtypes `schema` gives
/// would run with `options` and this machine's calibration, inputs on the host, and the
/// chooser's reason for each ([`Frame::explain`](crate::Frame::explain) says the same in
/// prose, for a frame's columns where they are).
///
/// ```
/// use swath::prelude::*;
/// use swath::unstable::{Way, pass_choices};
/// let schema = |name: &str| (name == "x").then_some(DType::F32);
/// let forced = ExecOptions::new().backend(Backend::Cpu1);
/// let choices = pass_choices(&[col("x") - col("x").mean()], 10, &schema, &forced)?;
/// assert_eq!(choices.len(), 2);
/// assert_eq!(choices[0], (Way::Cpu1, "forced: backend cpu1".to_string()));
/// let pool = ExecOptions::new().backend(Backend::Cpu).threads(2);
/// let choices = pass_choices(&[col("x").sum()], 1 << 20, &schema, &pool)?;
/// assert_eq!(choices[0].0, Way::CpuPool);
/// assert!(pass_choices(&[col("x").sum()], 10, &schema, &ExecOptions::new().threads(0)).is_err());
/// # Ok::<(), swath::Error>(())
/// ```
pub fn pass_choices(
    exprs: &[Expr],
    rows: usize,
    schema: &dyn Fn(&str) -> Option<DType>,
    options: &ExecOptions,
) -> Result<Vec<(Way, String)>> {
    let names = || "(the schema's columns)".to_string();
    let plan = crate::plan::lower(exprs, rows, schema, &names)?;
    let costs = crate::calibrate::costs()?;
    plan.kernels
        .iter()
        .map(|kernel| {
            let choice = crate::cost::choose_explained(kernel, 0.0, options, &costs)?;
            Ok((choice.way, choice.reason))
        })
        .collect()
}
