//! The GPU backend: WGSL compute shaders generated from the same kernel IR the CPU runs,
//! through wgpu (Vulkan, Metal, DX12, GL). See `README.md` beside this file for the design.
//!
//! - `context`: the one shared device, adapter choice, error handling;
//! - `codegen`: kernel to WGSL, and what this device can run;
//! - `run`: windows, bind groups, dispatch, readback; `combine`: the host half of reductions;
//! - `resident`: columns in GPU memory, uploads, downloads, transfer counters;
//! - `pool`: buffers and staging buffers reused across passes;
//! - `faults`: failures injected on demand, for tests (lent out by `swath::unstable`).
//!
//! Public: whether there is a GPU ([`available`], [`adapter_info`]), waiting for its work
//! ([`synchronize`]), and its counters ([`thread_stats`], [`transfer_stats`]); the rest is
//! the engine's. Nothing here panics into the caller: a missing adapter is
//! [`available`]` == false`, a kernel the device cannot run is `support == Err(reason)`, and
//! a failure while running is an [`Error::Gpu`] (the execution layer then runs the pass on
//! the CPU).

mod codegen;
mod combine;
mod context;
mod costs;
mod engine;
pub(crate) mod faults;
mod idle;
mod pool;
mod resident;
mod run;

use std::cell::Cell;

pub use context::GpuInfo;
pub use costs::GpuCosts;
pub(crate) use engine::Wgpu;
pub use resident::{TransferStats, global_transfer_stats, reset_transfer_stats, transfer_stats};
pub(crate) use run::MAX_WORKGROUPS;

use crate::backend::KernelOutput;
use crate::column::Column;
use crate::dtype::Scalar;
use crate::error::{Error, Result};
use crate::options::ExecOptions;
use crate::plan::ir::Kernel;

/// Whether a usable GPU adapter exists (creating the shared context on first call).
///
/// ```
/// if swath::gpu::available() {
///     let info = swath::gpu::adapter_info().expect("an adapter");
///     println!("GPU: {} ({})", info.name, info.backend);
///     assert!(swath::gpu::unavailable_reason().is_none());
/// } else {
///     println!("no GPU: {}", swath::gpu::unavailable_reason().unwrap_or_default());
/// }
/// ```
pub fn available() -> bool {
    context::get().is_ok_and(|g| !g.is_lost())
}

/// The adapter swath uses, if any (still `Some` after the device was lost).
///
/// ```
/// match swath::gpu::adapter_info() {
///     Some(info) => assert!(!info.adapters.is_empty()), // the chosen one is listed first
///     None => assert!(!swath::gpu::available()),
/// }
/// ```
pub fn adapter_info() -> Option<GpuInfo> {
    context::get().ok().map(|g| g.info.clone())
}

/// Why there is no GPU, if there is none (no adapter, a failed device request, a lost
/// device).
///
/// ```
/// let reason = swath::gpu::unavailable_reason();
/// assert_eq!(reason.is_none(), swath::gpu::available());
/// ```
pub fn unavailable_reason() -> Option<String> {
    match context::get() {
        Ok(g) if g.is_lost() => Some("the GPU device was lost".into()),
        Ok(_) => None,
        Err(e) => Some(e),
    }
}

/// Whether this device can run `kernel`, or why not (no GPU, f64 or i64 without the device
/// feature, too many columns for its bindings ...). Nothing is sent to the device.
pub(crate) fn support(kernel: &Kernel) -> std::result::Result<(), String> {
    let gpu = context::get()?;
    if kernel.rows == 0 {
        return Ok(());
    }
    let shader = codegen::generate(kernel, &gpu.caps)?;
    run::check_size(kernel, &shader, &gpu)
}

#[cfg(test)]
/// Whether this device can run `kernel`: [`support`] without the reason.
pub(crate) fn supports(kernel: &Kernel) -> bool {
    support(kernel).is_ok()
}

#[cfg(test)]
/// The WGSL generated for `kernel` on this device (for `explain` and debugging); `Err` says
/// why there is none (no GPU, or a kernel this device cannot run).
pub(crate) fn wgsl(kernel: &Kernel) -> std::result::Result<String, String> {
    let gpu = context::get()?;
    codegen::generate(kernel, &gpu.caps).map(|s| s.wgsl)
}

/// The outcome of trying a pass on the GPU: what [`attempt`] returns.
pub(crate) enum Attempt {
    /// The pass ran on the GPU: its stores (left on the device) and reductions.
    Ran(KernelOutput),
    /// This device cannot run the pass (the reason says why); nothing was sent to it.
    Unsupported(String),
    /// The GPU failed while running the pass ([`Error::Gpu`]), or there is no GPU at all
    /// ([`Error::BackendUnavailable`]).
    Failed(Error),
}

/// Tries `kernel` over `columns` (one per kernel input) with `params` on the GPU. Never
/// panics: a panic inside wgpu or a driver is caught and returned as [`Attempt::Failed`].
/// Unlike a select, it does not fall back to the CPU or update [`thread_stats`].
pub(crate) fn attempt(kernel: &Kernel, columns: &[&Column], params: &[Scalar]) -> Attempt {
    if let Err(e) = kernel.validate() {
        return Attempt::Failed(e);
    }
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

// `Column::upload` is written here, beside the GPU it needs: column storage names no
// backend (ARCHITECTURE.md, "Layers").
impl Column {
    /// Copies the values to the GPU now, if they are not there yet (a no-op otherwise): the
    /// counterpart of [`Column::fetch`], to pay for the upload at a chosen moment. Later GPU
    /// passes read the copy without moving bytes, and `auto` counts the column as already on
    /// the device when it chooses where a pass runs. The copy is shared with the column's
    /// clones. It returns once the copy is queued (the GPU runs it before any later pass);
    /// [`gpu::synchronize`](crate::gpu::synchronize) waits for it.
    ///
    /// Errors: [`Error::BackendUnavailable`] without a usable GPU; [`Error::Gpu`] when the
    /// upload fails (out of device memory, say).
    ///
    /// ```
    /// use swath::prelude::*;
    /// let x = Column::from(vec![1.0f32, 2.0, 3.0]);
    /// match x.upload() {
    ///     Ok(()) => assert!(x.is_on_device() && x.is_on_host()),
    ///     Err(e) => assert!(matches!(e, Error::BackendUnavailable(_) | Error::Gpu(_))),
    /// }
    /// x.release_device()?; // and back to the host only
    /// assert!(!x.is_on_device() && x.is_on_host());
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn upload(&self) -> Result<()> {
        upload(self)
    }
}

/// Uploads `column` now unless it already has a device copy ([`Column::upload`]).
pub(crate) fn upload(column: &Column) -> Result<()> {
    let gpu = context::get()
        .map_err(|e| Error::BackendUnavailable(format!("a column cannot be uploaded: {e}")))?;
    if gpu.is_lost() {
        return Err(Error::Gpu("the GPU device was lost".into()));
    }
    if column.is_empty() || column.is_on_device() {
        return Ok(());
    }
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _exclusive = gpu.exclusive();
        resident::ensure(&gpu, column).map(|_| ())
    }));
    result.unwrap_or_else(|panic| Err(panic_error(panic)))
}

/// Whether work was submitted that nothing has waited for (an upload, a pass that leaves its
/// results on the device) since [`synchronize`] last ran.
static UNWAITED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Records a submit that returns without waiting for the GPU, for [`synchronize`].
pub(crate) fn note_unwaited() {
    UNWAITED.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// Blocks until the GPU has finished all work swath gave it, like CuPy's
/// `Device.synchronize()`. A pass whose results stay on the device (a map over resident
/// columns) returns once it is queued, so a timing that stops without this measured only the
/// queuing; a reduction or reading a column back waits by itself. Without a GPU, or before
/// any GPU work, it returns at once.
///
/// ```
/// use swath::prelude::*;
/// let df = Frame::new([("x", Column::from(vec![1.0f32, 2.0, 3.0]))])?;
/// if swath::gpu::available() {
///     df.column("x")?.upload()?;
///     let gpu = ExecOptions::new().backend(Backend::Gpu);
///     let doubled = df.select_with([col("x") * 2.0], &gpu)?; // queued: stays on the device
///     swath::gpu::synchronize()?; // now it has run
///     assert_eq!(doubled.column("x")?.to_vec::<f32>()?, [2.0, 4.0, 6.0]);
/// }
/// swath::gpu::synchronize()?; // always fine to call
/// # Ok::<(), swath::Error>(())
/// ```
pub fn synchronize() -> Result<()> {
    // Nothing queued without a wait since the last call: return at once (a poll costs
    // ~0.3 µs on lavapipe, a fifth of a small select, and the bench calls this every run).
    if !UNWAITED.swap(false, std::sync::atomic::Ordering::SeqCst) {
        return Ok(());
    }
    let Some(gpu) = context::existing() else {
        return Ok(());
    };
    if gpu.is_lost() {
        return Err(Error::Gpu("the GPU device was lost".into()));
    }
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| wait_all(&gpu)));
    result.unwrap_or_else(|panic| Err(panic_error(panic)))
}

/// Waits (up to the poll timeout) for everything submitted to `gpu`.
pub(crate) fn wait_all(gpu: &context::Gpu) -> Result<()> {
    gpu.device
        .poll(wgpu::PollType::Wait {
            submission_index: None,
            timeout: Some(context::POLL_TIMEOUT),
        })
        .map(drop)
        .map_err(|e| Error::Gpu(format!("waiting for the GPU to finish: {e}")))
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

#[cfg(test)]
/// Bytes a GPU pass over `columns` would upload first: the columns without a device copy
/// (for the cost model: resident data costs no transfer). Bools count 4 bytes each, as on
/// the device.
pub(crate) fn upload_bytes(columns: &[&Column]) -> u64 {
    columns
        .iter()
        .filter(|c| !c.is_on_device())
        .map(|c| c.len() as u64 * resident::device_size(c.dtype()))
        .sum()
}

#[cfg(test)]
/// Bytes a CPU pass over `columns` would download first: the columns that live only on the
/// GPU (the results of earlier GPU passes, not read on the host yet).
pub(crate) fn download_bytes(columns: &[&Column]) -> u64 {
    columns
        .iter()
        .filter(|c| !c.is_on_host())
        .map(|c| c.len() as u64 * resident::device_size(c.dtype()))
        .sum()
}

/// Rows per window a pass over `rows` rows with columns of `elem_bytes` per element would use
/// on this thread (all of them when one binding holds the column): for `explain` and tests.
/// `None` without a GPU.
pub(crate) fn window_rows(rows: usize, elem_bytes: u64) -> Option<usize> {
    let gpu = context::get().ok()?;
    Some(run::window_rows(&gpu, rows, elem_bytes))
}

/// Runs `kernel` over `columns` (one per kernel input) with `params` on the GPU.
///
/// Errors: [`Error::BackendUnavailable`] without a GPU; [`Error::Gpu`] when the device cannot
/// run the kernel or fails while running it. Never panics. Unlike a select, it does not fall
/// back to the CPU.
pub(crate) fn run_kernel(
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
///
/// ```
/// use swath::gpu::{GpuStats, reset_thread_stats, thread_stats};
/// use swath::prelude::*;
/// reset_thread_stats();
/// assert_eq!(thread_stats(), GpuStats::default());
/// let df = Frame::new([("x", Column::from(vec![1.0f32, 2.0]))])?;
/// let gpu = ExecOptions::new().backend(Backend::Gpu);
/// if df.select_with([col("x").sum()], &gpu).is_ok() {
///     let s = thread_stats();
///     assert_eq!(s.gpu_passes + s.unsupported + s.failed, 1); // one pass, one outcome
/// }
/// # Ok::<(), swath::Error>(())
/// ```
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
///
/// ```
/// use swath::prelude::*;
/// let df = Frame::new([("x", Column::from(vec![1.0f32, 2.0]))])?;
/// swath::gpu::reset_thread_stats();
/// df.select_with([col("x").sum()], &ExecOptions::new().backend(Backend::Cpu1))?;
/// assert_eq!(swath::gpu::thread_stats().gpu_passes, 0); // a CPU pass does not count
/// let gpu = ExecOptions::new().backend(Backend::Gpu);
/// if df.select_with([col("x").sum()], &gpu).is_ok() && swath::gpu::available() {
///     let s = swath::gpu::thread_stats();
///     assert_eq!(s.gpu_passes + s.failed, 1); // ran there, or failed and fell back
/// }
/// # Ok::<(), swath::Error>(())
/// ```
pub fn thread_stats() -> GpuStats {
    STATS.with(Cell::get)
}

/// Sets this thread's [`thread_stats`] back to zero (other threads' counts are untouched).
///
/// ```
/// use swath::gpu::{GpuStats, reset_thread_stats, thread_stats};
/// reset_thread_stats();
/// assert_eq!(thread_stats(), GpuStats::default());
/// ```
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

/// The examples of this file's items, run as unit tests: the items are crate-private, so
/// a doctest could not reach them.
#[cfg(test)]
mod examples {
    #[test]
    fn support_example() -> crate::Result<()> {
        use crate::prelude::*;
        let schema = |name: &str| (name == "x").then_some(DType::F64);
        let plan = crate::plan::lower(&[col("x").sum()], 1_000, &schema, &|| "x".to_string())?;
        let kernel = &plan.kernels[0];
        match crate::gpu::adapter_info() {
            Some(info) if !info.f64 => assert!(crate::gpu::support(kernel).is_err()),
            Some(_) => println!("f64 pass on the GPU: {:?}", crate::gpu::support(kernel)),
            None => assert!(crate::gpu::support(kernel).is_err()), // no GPU at all
        }
        Ok::<(), crate::Error>(())
    }

    #[test]
    fn supports_example() -> crate::Result<()> {
        use crate::prelude::*;
        let schema = |name: &str| (name == "x").then_some(DType::F32);
        let plan = crate::plan::lower(&[col("x").max()], 1_000, &schema, &|| "x".to_string())?;
        let kernel = &plan.kernels[0];
        assert_eq!(
            crate::gpu::supports(kernel),
            crate::gpu::support(kernel).is_ok()
        );
        if !crate::gpu::available() {
            assert!(!crate::gpu::supports(kernel));
        }
        Ok::<(), crate::Error>(())
    }

    #[test]
    fn wgsl_example() -> crate::Result<()> {
        use crate::prelude::*;
        let schema = |name: &str| (name == "x").then_some(DType::F32);
        let exprs = [(col("x") * lit(2.0)).alias("y")];
        let plan = crate::plan::lower(&exprs, 8, &schema, &|| "x".to_string())?;
        match crate::gpu::wgsl(&plan.kernels[0]) {
            Ok(text) => assert!(text.contains("@compute")),
            Err(why) => println!("no shader: {why}"),
        }
        Ok::<(), crate::Error>(())
    }

    #[test]
    fn attempt_example() -> crate::Result<()> {
        use crate::gpu::{Attempt, attempt};
        use crate::prelude::*;
        let schema = |name: &str| (name == "x").then_some(DType::I32);
        let plan = crate::plan::lower(&[col("x").min()], 3, &schema, &|| "x".to_string())?;
        let x = Column::from(vec![4i32, -2, 9]);
        let min = match attempt(&plan.kernels[0], &[&x], &[]) {
            Attempt::Ran(out) => out.reductions[0],
            // No GPU, a device that cannot run it, or a failure: run it on the CPU instead.
            Attempt::Unsupported(_) | Attempt::Failed(_) => Frame::new([("x", x.clone())])?
                .select([col("x").min()])?
                .column("x")?
                .get(0)?,
        };
        assert_eq!(min, Scalar::I32(-2));
        Ok::<(), crate::Error>(())
    }

    #[test]
    fn attempt_example_2() -> crate::Result<()> {
        use crate::gpu::{Attempt, attempt};
        use crate::prelude::*;
        let schema = |name: &str| (name == "x").then_some(DType::F32);
        let plan = crate::plan::lower(&[col("x").sum()], 3, &schema, &|| "x".to_string())?;
        let x = Column::from(vec![1.0f32, 2.0, 3.0]);
        match attempt(&plan.kernels[0], &[&x], &[]) {
            Attempt::Ran(out) => assert_eq!(out.reductions, [Scalar::F32(6.0)]),
            Attempt::Unsupported(why) => println!("this device cannot run it: {why}"),
            Attempt::Failed(e) => {
                if !crate::gpu::available() {
                    assert!(matches!(e, Error::BackendUnavailable(_)));
                }
            }
        }
        Ok::<(), crate::Error>(())
    }

    #[test]
    fn upload_bytes_example() {
        use crate::Column;
        let x = Column::from(vec![1.0f32; 10]);
        let flags = Column::from(vec![true; 10]);
        assert_eq!(crate::gpu::upload_bytes(&[&x, &flags]), 80);
    }

    #[test]
    fn download_bytes_example() -> crate::Result<()> {
        use crate::prelude::*;
        let df = Frame::new([("x", Column::from(vec![1.0f32, 2.0]))])?;
        assert_eq!(crate::gpu::download_bytes(&[df.column("x")?]), 0); // on the host
        let gpu = ExecOptions::new().backend(Backend::Gpu);
        crate::gpu::reset_thread_stats();
        if let Ok(out) = df.select_with([(col("x") * lit(2.0)).alias("y")], &gpu)
            && crate::gpu::thread_stats().gpu_passes == 1
        {
            assert_eq!(crate::gpu::download_bytes(&[out.column("y")?]), 8); // on the device
        }
        Ok::<(), crate::Error>(())
    }

    #[test]
    fn window_rows_example() {
        match crate::gpu::window_rows(1_000, 4) {
            Some(rows) => assert_eq!(rows, 1_000), // 4,000 bytes fit any storage binding
            None => assert!(crate::gpu::adapter_info().is_none()),
        }
    }

    #[test]
    fn run_kernel_example() -> crate::Result<()> {
        use crate::prelude::*;
        let schema = |name: &str| (name == "x").then_some(DType::F32);
        let plan = crate::plan::lower(&[col("x").max()], 3, &schema, &|| "x".to_string())?;
        let x = Column::from(vec![1.0f32, 7.0, 3.0]);
        match crate::gpu::run_kernel(&plan.kernels[0], &[&x], &[], &ExecOptions::default()) {
            Ok(out) => assert_eq!(out.reductions, [Scalar::F32(7.0)]),
            Err(Error::BackendUnavailable(why)) => println!("no GPU: {why}"),
            Err(e) => println!("the GPU could not run it: {e}"),
        }
        Ok::<(), crate::Error>(())
    }
}
