//! Fault injection for tests: the failures a real GPU produces rarely and at random, made to
//! happen on demand so the tests can check each ends as a `swath::Error` or a logged CPU
//! fallback, never a panic.
//!
//! Faults are armed per thread (a GPU pass runs on the thread that asked for it, so parallel
//! tests do not see each other's faults) and fire once:
//!
//! - [`Fault::ShaderValidation`]: the next pipeline this thread builds gets WGSL the compiler
//!   rejects (a real validation error from wgpu, caught by the error scope);
//! - [`Fault::OutOfMemory`]: the next GPU buffer this thread asks for (a new one or a pooled
//!   one) fails as out of memory, whether for an upload, a pass or a download (wgpu cannot be
//!   made to run out on demand, so this one is simulated where wgpu's error would surface);
//! - [`Fault::OutOfMemoryWhilePooling`]: the next new GPU buffer this thread creates while
//!   the buffer pool holds idle buffers fails as out of memory (a device whose memory the
//!   pool has filled), so the pool's drop-and-retry is exercised;
//!
//! and, process-wide, [`lose_device`] destroys the shared device for real (`Device::destroy`,
//! which wgpu reports as a lost device): from then on every pass runs on the CPU, and columns
//! whose only copy was on the device give `Error::Gpu` when read.
//!
//! [`set_max_binding`] lowers the storage binding size this thread's passes assume, so tests
//! exercise windowing on small data (`SWATH_GPU_MAX_BINDING=<bytes>` does it process-wide).

use std::cell::Cell;

use crate::error::{Error, Result};

/// A failure to inject into this thread's next GPU work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    ShaderValidation,
    OutOfMemory,
    OutOfMemoryWhilePooling,
}

thread_local! {
    static SHADER: Cell<bool> = const { Cell::new(false) };
    static OOM: Cell<bool> = const { Cell::new(false) };
    static OOM_WHILE_POOLING: Cell<bool> = const { Cell::new(false) };
    static MAX_BINDING: Cell<Option<u64>> = const { Cell::new(None) };
}

/// Arms `fault` for this thread's next GPU work (see the module docs).
pub fn inject(fault: Fault) {
    match fault {
        Fault::ShaderValidation => SHADER.with(|c| c.set(true)),
        Fault::OutOfMemory => OOM.with(|c| c.set(true)),
        Fault::OutOfMemoryWhilePooling => OOM_WHILE_POOLING.with(|c| c.set(true)),
    }
}

/// Disarms every fault armed on this thread.
pub fn clear() {
    SHADER.with(|c| c.set(false));
    OOM.with(|c| c.set(false));
    OOM_WHILE_POOLING.with(|c| c.set(false));
}

/// Whether a shader fault is armed (and disarms it).
pub(crate) fn take_shader_fault() -> bool {
    SHADER.with(|c| c.replace(false))
}

/// Fails a buffer allocation if an out-of-memory fault is armed (and disarms it).
pub(crate) fn check_alloc(bytes: u64) -> Result<()> {
    if OOM.with(|c| c.replace(false)) {
        return Err(Error::Gpu(format!(
            "out of memory allocating a GPU buffer of {bytes} bytes (injected)"
        )));
    }
    Ok(())
}

/// Whether a new buffer must fail as out of memory, `pooled` giving the pool's idle bytes
/// (asked only while the fault is armed: it takes the pool's lock); disarms the fault when
/// it fires.
pub(crate) fn oom_while_pooling(pooled: impl FnOnce() -> u64) -> bool {
    OOM_WHILE_POOLING.with(|c| c.get() && pooled() > 0 && c.replace(false))
}

/// Destroys the shared GPU device, as a driver reset or an unplugged GPU would: wgpu reports it
/// lost, swath marks it so, and every later pass runs on the CPU. Returns false when there is
/// no GPU. Irreversible for the process: tests that call it live in their own binary.
pub fn lose_device() -> bool {
    match super::context::get() {
        Ok(gpu) => {
            gpu.device.destroy();
            gpu.mark_lost("destroyed by swath::gpu::faults::lose_device");
            true
        }
        Err(_) => false,
    }
}

/// Makes this thread's GPU passes assume storage bindings of at most `bytes` (`None`: the
/// device's limit, or `SWATH_GPU_MAX_BINDING`), so columns larger than that are processed in
/// windows. Values below the device's offset alignment act as one alignment unit.
pub fn set_max_binding(bytes: Option<u64>) {
    MAX_BINDING.with(|c| c.set(bytes));
}

pub(crate) fn max_binding() -> Option<u64> {
    MAX_BINDING.with(Cell::get)
}
