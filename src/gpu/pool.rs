//! Buffers reused across passes: creating a buffer costs a driver allocation (and, for big
//! ones, zeroing the memory), reusing one costs a hash lookup.
//!
//! - Device buffers (columns, constants, partials) and readback buffers are kept by usage and
//!   size class. Classes are powers of two up to 64 KiB, then eighths of the next power of
//!   two (less than 25% slack, usually much less: a 160 MiB column takes a 160 MiB buffer, not
//!   256 MiB).
//! - Upload staging buffers (`MAP_WRITE | COPY_SRC`) are kept mapped or mapping: after its copy
//!   is submitted a staging buffer asks to be mapped again, and the next upload that takes it
//!   finds it ready (or waits for that one copy). This is wgpu's "staging belt" idea; it is
//!   ~4x faster than `queue.write_buffer` on lavapipe (measured; see src/gpu/README.md).
//!
//! WebGPU orders everything on one queue, so a buffer may go back to the pool while work that
//! uses it is still in flight: whatever the next user writes into it is ordered after.
//!
//! The pool holds at most [`MAX_POOLED_BYTES`] of idle buffers, dropping the longest idle to
//! make room for one just returned, and [`MAX_STAGING_BYTES`] of staging (beyond that a
//! returned staging buffer is dropped). Dropped buffers are freed on the next poll. An
//! allocation that runs out of device memory drops every idle buffer and tries again.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use super::context::{Gpu, lock};
use super::idle::Idle;
use crate::error::{Error, Result};

/// Bytes of idle buffers the pool keeps.
pub const MAX_POOLED_BYTES: u64 = 512 << 20;
/// Bytes of idle staging buffers kept.
pub const MAX_STAGING_BYTES: u64 = 128 << 20;
/// Largest staging buffer: bigger uploads go through it in pieces.
pub const STAGING_CHUNK: u64 = 32 << 20;
/// Smallest size class.
const MIN_CLASS: u64 = 256;

/// The size class `bytes` falls in (idempotent: a class is its own class).
pub fn size_class(bytes: u64) -> u64 {
    let b = bytes.max(MIN_CLASS);
    let p = b.next_power_of_two();
    if p <= 64 << 10 {
        return p;
    }
    let step = p / 8;
    b.div_ceil(step) * step
}

/// A staging buffer's mapping: requested, done, or failed.
const MAPPING: u8 = 0;
const MAPPED: u8 = 1;
const MAP_FAILED: u8 = 2;

/// An upload staging buffer and the state of its mapping.
pub struct Staging {
    pub buffer: wgpu::Buffer,
    state: Arc<AtomicU8>,
}

impl Staging {
    /// Asks for the buffer to be mapped again once the copies that read it are done (call
    /// after the submit that holds them).
    pub fn remap(self, gpu: &Gpu) {
        let state = self.state.clone();
        state.store(MAPPING, Ordering::SeqCst);
        self.buffer
            .slice(..)
            .map_async(wgpu::MapMode::Write, move |r| {
                state.store(
                    if r.is_ok() { MAPPED } else { MAP_FAILED },
                    Ordering::SeqCst,
                );
            });
        let mut pool = lock(&gpu.pool);
        if pool.staging_bytes + self.buffer.size() <= MAX_STAGING_BYTES {
            pool.staging_bytes += self.buffer.size();
            pool.staging.push(self);
        }
    }
}

pub struct Pool {
    idle: Idle<wgpu::Buffer>,
    staging: Vec<Staging>,
    staging_bytes: u64,
}

impl Default for Pool {
    fn default() -> Self {
        Pool {
            idle: Idle::new(MAX_POOLED_BYTES),
            staging: Vec::new(),
            staging_bytes: 0,
        }
    }
}

impl Pool {
    /// An idle buffer of the class of `bytes` with exactly `usage`, if one is pooled.
    pub fn take(&mut self, usage: wgpu::BufferUsages, bytes: u64) -> Option<wgpu::Buffer> {
        self.idle.take(usage.bits(), bytes)
    }

    /// Returns `buffer` (unmapped; pending work may still use it, see the module docs).
    pub fn give(&mut self, buffer: wgpu::Buffer) {
        self.idle.give(buffer);
    }

    pub fn pooled_bytes(&self) -> u64 {
        self.idle.bytes()
    }

    /// Forgets every idle buffer (after the device is lost they are useless, and before an
    /// allocation is retried they are in the way); returns how many were dropped.
    pub fn clear(&mut self) -> usize {
        let n = self.idle.clear() + self.staging.len();
        self.staging.clear();
        self.staging_bytes = 0;
        n
    }

    /// The smallest idle staging buffer of at least `bytes`, preferring one already mapped.
    fn take_staging(&mut self, bytes: u64) -> Option<Staging> {
        let fits = |s: &Staging| s.buffer.size() >= bytes;
        let best = |ready: bool| {
            self.staging
                .iter()
                .enumerate()
                .filter(|(_, s)| fits(s) && (!ready || s.state.load(Ordering::SeqCst) == MAPPED))
                .min_by_key(|(_, s)| s.buffer.size())
                .map(|(k, _)| k)
        };
        let k = best(true).or_else(|| best(false))?;
        let s = self.staging.swap_remove(k);
        self.staging_bytes -= s.buffer.size();
        Some(s)
    }
}

/// Creates a buffer inside an out-of-memory and a validation error scope, so a failed
/// allocation is an error here rather than a log line later. Out of memory with idle buffers
/// pooled, it drops them and tries once more, as CuPy's memory pool does: memory the pool
/// keeps for reuse must never be why an allocation fails.
fn create(gpu: &Gpu, desc: &wgpu::BufferDescriptor<'_>) -> Result<wgpu::Buffer> {
    match try_create(gpu, desc) {
        Err((true, _)) if lock(&gpu.pool).clear() > 0 => {
            log::warn!(
                "out of GPU memory allocating {} bytes: dropped the idle buffers, trying again",
                desc.size
            );
            // Dropped buffers are freed once the work that used them is done.
            let _ = super::wait_all(gpu);
            try_create(gpu, desc).map_err(|(_, e)| e)
        }
        result => result.map_err(|(_, e)| e),
    }
}

/// One allocation; the error says whether it was out of memory.
fn try_create(
    gpu: &Gpu,
    desc: &wgpu::BufferDescriptor<'_>,
) -> std::result::Result<wgpu::Buffer, (bool, Error)> {
    if super::faults::oom_while_pooling(|| lock(&gpu.pool).pooled_bytes()) {
        let e = format!(
            "out of memory allocating a GPU buffer of {} bytes (injected)",
            desc.size
        );
        return Err((true, Error::Gpu(e)));
    }
    let device = &gpu.device;
    let validation = device.push_error_scope(wgpu::ErrorFilter::Validation);
    let oom = device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
    let buffer = device.create_buffer(desc);
    let oom_error = pollster::block_on(oom.pop());
    let validation_error = pollster::block_on(validation.pop());
    let failed = |e: wgpu::Error| {
        Error::Gpu(format!(
            "allocating a GPU buffer of {} bytes: {e}",
            desc.size
        ))
    };
    match (oom_error, validation_error) {
        (Some(e), _) => Err((true, failed(e))),
        (None, Some(e)) => Err((false, failed(e))),
        (None, None) => Ok(buffer),
    }
}

/// A buffer of at least `bytes` with `usage`: from the pool, else new.
pub fn acquire(
    gpu: &Gpu,
    usage: wgpu::BufferUsages,
    bytes: u64,
    label: &str,
) -> Result<wgpu::Buffer> {
    super::faults::check_alloc(bytes)?;
    if let Some(b) = lock(&gpu.pool).take(usage, bytes) {
        return Ok(b);
    }
    create(
        gpu,
        &wgpu::BufferDescriptor {
            label: Some(label),
            size: size_class(bytes),
            usage,
            mapped_at_creation: false,
        },
    )
}

/// A mapped staging buffer of at least `bytes` (at most [`STAGING_CHUNK`] are asked for): a
/// pooled one (waiting for its mapping if it is still in flight) or a new one mapped at
/// creation.
pub fn staging(gpu: &Gpu, bytes: u64) -> Result<Staging> {
    super::faults::check_alloc(bytes)?;
    let pooled = lock(&gpu.pool).take_staging(bytes);
    if let Some(s) = pooled {
        let state = s.state.clone();
        super::run::wait_for(
            gpu,
            || state.load(Ordering::SeqCst) != MAPPING,
            "a staging buffer",
        )?;
        if s.state.load(Ordering::SeqCst) == MAPPED {
            return Ok(s);
        }
        // The mapping failed: drop this one and make a new one.
    }
    let buffer = create(
        gpu,
        &wgpu::BufferDescriptor {
            label: Some("swath staging"),
            size: size_class(bytes),
            usage: wgpu::BufferUsages::MAP_WRITE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: true,
        },
    )?;
    Ok(Staging {
        buffer,
        state: Arc::new(AtomicU8::new(MAPPED)),
    })
}

#[cfg(test)]
mod tests {
    use super::size_class;

    #[test]
    fn size_classes_are_idempotent_and_tight() {
        for bytes in [
            0u64,
            1,
            255,
            256,
            257,
            4096,
            65535,
            65536,
            65537,
            100_000,
            1 << 20,
            (1 << 20) + 1,
            160 << 20,
            (160 << 20) + 3,
            3 << 30,
        ] {
            let c = size_class(bytes);
            assert!(c >= bytes && c >= 256, "{bytes} -> {c}");
            assert_eq!(size_class(c), c, "{bytes} -> {c}");
            if bytes > 65536 {
                assert!(c - bytes < bytes / 4, "{bytes} -> {c}");
            }
        }
        assert_eq!(size_class(160 << 20), 160 << 20);
    }
}
