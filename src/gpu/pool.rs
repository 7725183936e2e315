//! Buffers reused across passes, by usage and power-of-two size class: creating a buffer costs
//! a driver allocation, reusing one costs a hash lookup. The pool holds at most
//! [`MAX_POOLED_BYTES`]; beyond that, returned buffers are dropped (freed on the next poll).

use std::collections::HashMap;

/// Bytes of idle buffers the pool keeps.
pub const MAX_POOLED_BYTES: u64 = 256 << 20;
/// Smallest size class.
const MIN_CLASS: u64 = 256;

#[derive(Default)]
pub struct Pool {
    free: HashMap<(u32, u64), Vec<wgpu::Buffer>>,
    bytes: u64,
}

/// The size class `bytes` falls in.
pub fn size_class(bytes: u64) -> u64 {
    bytes.max(MIN_CLASS).next_power_of_two()
}

impl Pool {
    /// An idle buffer of at least `bytes` with exactly `usage`, if one is pooled.
    pub fn take(&mut self, usage: wgpu::BufferUsages, bytes: u64) -> Option<wgpu::Buffer> {
        let class = size_class(bytes);
        let buffer = self.free.get_mut(&(usage.bits(), class))?.pop()?;
        self.bytes -= class;
        Some(buffer)
    }

    /// Returns `buffer` (unmapped, not in use by pending work the caller cares about).
    pub fn give(&mut self, buffer: wgpu::Buffer) {
        let class = buffer.size();
        if class != size_class(class) || self.bytes + class > MAX_POOLED_BYTES {
            return; // dropped
        }
        self.bytes += class;
        self.free
            .entry((buffer.usage().bits(), class))
            .or_default()
            .push(buffer);
    }

    pub fn pooled_bytes(&self) -> u64 {
        self.bytes
    }
}

/// A buffer of at least `bytes` with `usage`: from the pool, else new.
pub fn acquire(
    gpu: &super::context::Gpu,
    usage: wgpu::BufferUsages,
    bytes: u64,
    label: &str,
) -> wgpu::Buffer {
    if let Some(b) = super::context::lock(&gpu.pool).take(usage, bytes) {
        return b;
    }
    gpu.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size: size_class(bytes),
        usage,
        mapped_at_creation: false,
    })
}
