//! The GPU backend: WGSL compute shaders generated from the same kernel IR the CPU runs,
//! through wgpu (Vulkan, Metal, DX12, GL). See `README.md` beside this file for the design.
//!
//! - [`context`]: the one shared device, adapter choice, error handling;
//! - [`codegen`]: kernel to WGSL, and what this device can run;
//! - `run`: windows, bind groups, dispatch, readback; `combine`: the host half of reductions;
//! - `resident`: columns in GPU memory, uploads, downloads, transfer counters;
//! - `pool`: buffers and staging buffers reused across passes;
//! - [`faults`]: failures injected on demand, for tests.
//!
//! Nothing here panics into the caller: a missing adapter is [`available`]` == false`, a
//! kernel the device cannot run is [`support`]` == Err(reason)`, and a failure while running
//! is an [`Error::Gpu`] (the planner then runs the pass on the CPU).

pub mod codegen;
mod combine;
pub mod context;
#[doc(hidden)]
pub mod faults;
mod pool;
mod resident;
mod run;

use std::cell::Cell;

pub use context::GpuInfo;
pub(crate) use resident::download;
pub use resident::{
    DeviceColumn, TransferStats, global_transfer_stats, reset_transfer_stats, transfer_stats,
};
pub use run::{MAX_ROWS, MAX_WORKGROUPS};

use crate::column::Column;
use crate::cpu::KernelOutput;
use crate::dtype::Scalar;
use crate::error::{Error, Result};
use crate::options::ExecOptions;
use crate::plan::ir::Kernel;

/// Whether a usable GPU adapter exists (creating the shared context on first call).
pub fn available() -> bool {
    context::get().is_ok_and(|g| !g.is_lost())
}

/// The adapter swath uses, if any.
pub fn adapter_info() -> Option<GpuInfo> {
    context::get().ok().map(|g| g.info.clone())
}

/// Why there is no GPU, if there is none.
pub fn unavailable_reason() -> Option<String> {
    match context::get() {
        Ok(g) if g.is_lost() => Some("the GPU device was lost".into()),
        Ok(_) => None,
        Err(e) => Some(e),
    }
}

/// Whether this device can run `kernel`, or why not.
pub fn support(kernel: &Kernel) -> std::result::Result<(), String> {
    let gpu = context::get()?;
    if kernel.rows == 0 {
        return Ok(());
    }
    let shader = codegen::generate(kernel, &gpu.caps)?;
    run::check_size(kernel, &shader, &gpu)
}

/// Whether this device can run `kernel`.
pub fn supports(kernel: &Kernel) -> bool {
    support(kernel).is_ok()
}

/// The WGSL generated for `kernel` on this device (for `explain` and debugging).
pub fn wgsl(kernel: &Kernel) -> std::result::Result<String, String> {
    let gpu = context::get()?;
    codegen::generate(kernel, &gpu.caps).map(|s| s.wgsl)
}

/// The outcome of trying a pass on the GPU.
pub enum Attempt {
    Ran(KernelOutput),
    /// This device cannot run the pass (the reason says why); nothing was sent to it.
    Unsupported(String),
    /// The GPU failed while running the pass ([`Error::Gpu`]), or there is no GPU at all
    /// ([`Error::BackendUnavailable`]).
    Failed(Error),
}

/// Tries `kernel` over `columns` (one per kernel input) with `params` on the GPU. Never
/// panics: a panic inside wgpu or a driver is caught and returned as [`Attempt::Failed`].
pub fn attempt(kernel: &Kernel, columns: &[&Column], params: &[Scalar]) -> Attempt {
    let gpu = match context::get() {
        Ok(g) if !g.is_lost() => g,
        Ok(_) => {
            return Attempt::Failed(Error::Gpu("the GPU device was lost".into()));
        }
        Err(e) => return Attempt::Failed(Error::BackendUnavailable(e)),
    };
    if columns.len() != kernel.inputs.len() || columns.iter().any(|c| c.len() != kernel.rows) {
        return Attempt::Failed(Error::Internal("kernel input of the wrong length".into()));
    }
    if kernel.rows == 0 {
        return Attempt::Ran(run::empty_output(kernel));
    }
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _exclusive = gpu.exclusive();
        let shader = match codegen::generate(kernel, &gpu.caps) {
            Ok(s) => s,
            Err(why) => return Attempt::Unsupported(why),
        };
        if let Err(why) = run::check_size(kernel, &shader, &gpu) {
            return Attempt::Unsupported(why);
        }
        match run::run(&gpu, kernel, &shader, columns, params) {
            Ok(out) => Attempt::Ran(out),
            Err(e) => Attempt::Failed(e),
        }
    }));
    result.unwrap_or_else(|panic| Attempt::Failed(panic_error(panic)))
}

/// A panic caught inside the GPU backend, as an error.
pub(crate) fn panic_error(panic: Box<dyn std::any::Any + Send>) -> Error {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    Error::Gpu(format!("panic in the GPU backend: {message}"))
}

/// Bytes a GPU pass over `columns` would upload first: the columns without a device copy
/// (for the cost model: resident data costs no transfer).
pub fn upload_bytes(columns: &[&Column]) -> u64 {
    columns
        .iter()
        .filter(|c| !c.is_on_device())
        .map(|c| c.len() as u64 * resident::device_size(c.dtype()))
        .sum()
}

/// Bytes a CPU pass over `columns` would download first: the columns that live only on the
/// GPU (the results of earlier GPU passes, not read on the host yet).
pub fn download_bytes(columns: &[&Column]) -> u64 {
    columns
        .iter()
        .filter(|c| !c.is_on_host())
        .map(|c| c.len() as u64 * resident::device_size(c.dtype()))
        .sum()
}

/// Rows per window a pass over `rows` rows with columns of `elem_bytes` per element would use
/// on this thread (all of them when one binding holds the column): for `explain` and tests.
pub fn window_rows(rows: usize, elem_bytes: u64) -> Option<usize> {
    let gpu = context::get().ok()?;
    Some(run::window_rows(&gpu, rows, elem_bytes))
}

/// Runs `kernel` over `columns` (one per kernel input) with `params` on the GPU.
///
/// Errors: [`Error::BackendUnavailable`] without a GPU; [`Error::Gpu`] when the device cannot
/// run the kernel or fails while running it. Never panics.
pub fn run_kernel(
    kernel: &Kernel,
    columns: &[&Column],
    params: &[Scalar],
    _options: &ExecOptions,
) -> Result<KernelOutput> {
    match attempt(kernel, columns, params) {
        Attempt::Ran(out) => Ok(out),
        Attempt::Unsupported(why) => {
            Err(Error::Gpu(format!("this GPU cannot run the pass: {why}")))
        }
        Attempt::Failed(e) => Err(e),
    }
}

/// What happened to the passes this thread asked the GPU to run (see [`thread_stats`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GpuStats {
    /// Passes run on the GPU.
    pub gpu_passes: u64,
    /// Passes sent to the CPU because the GPU cannot run them (f64 without the feature ...).
    pub unsupported: u64,
    /// Passes sent to the CPU because the GPU failed while running them.
    pub failed: u64,
}

thread_local! {
    static STATS: Cell<GpuStats> = const { Cell::new(GpuStats { gpu_passes: 0, unsupported: 0, failed: 0 }) };
}

/// Counts of this thread's GPU passes and fallbacks since the last [`reset_thread_stats`]:
/// tests use them to check a forced-GPU call really ran on the GPU.
pub fn thread_stats() -> GpuStats {
    STATS.with(Cell::get)
}

pub fn reset_thread_stats() {
    STATS.with(|s| s.set(GpuStats::default()));
}

pub(crate) fn record(f: impl FnOnce(&mut GpuStats)) {
    STATS.with(|s| {
        let mut v = s.get();
        f(&mut v);
        s.set(v);
    });
}
