//! Columns in GPU memory: the device copy a [`Column`] remembers, uploads through the staging
//! pool, downloads on first host access, and the counters of bytes moved each way.
//!
//! A device copy is one buffer holding the whole column in the shader's layout (bools widened
//! to u32 words); passes bind it whole or in windows. Uploads happen under the column's device
//! lock and are submitted at once (without waiting), so any pass that finds the copy is
//! submitted after the copy that fills it.

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::context::{self, Gpu, lock};
use super::pool::{self, STAGING_CHUNK};
use crate::column::{Column, ColumnData};
use crate::dtype::DType;
use crate::error::{Error, Result};

/// Usage of every column buffer: bound as storage, filled by copies, read back by copies.
pub const COLUMN_USAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE
    .union(wgpu::BufferUsages::COPY_DST)
    .union(wgpu::BufferUsages::COPY_SRC);
/// Largest piece a download maps at once.
const DOWNLOAD_CHUNK: u64 = 64 << 20;

/// Bytes one element of `dtype` takes in a device buffer (bools are u32).
pub fn device_size(dtype: DType) -> u64 {
    dtype.size_of().max(4) as u64
}

/// A column's copy in GPU memory. Its buffer returns to the pool when the last column that
/// shares it drops.
///
/// Only swath creates these, and a [`Column`] keeps its own private; from outside, ask the
/// column instead ([`Column::is_on_device`]).
pub struct DeviceColumn {
    buffer: Option<wgpu::Buffer>,
    dtype: DType,
    rows: usize,
}

impl std::fmt::Debug for DeviceColumn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceColumn")
            .field("dtype", &self.dtype)
            .field("rows", &self.rows)
            .field("bytes", &self.bytes())
            .finish()
    }
}

impl DeviceColumn {
    pub(crate) fn new(buffer: wgpu::Buffer, dtype: DType, rows: usize) -> Self {
        DeviceColumn {
            buffer: Some(buffer),
            dtype,
            rows,
        }
    }
    /// The dtype of the values (bools are stored as u32 words, but keep dtype bool).
    pub fn dtype(&self) -> DType {
        self.dtype
    }
    /// Bytes of values (the buffer may be larger: size classes): rows times 4 for bool, i32,
    /// u32 and f32, times 8 for i64 and f64.
    pub fn bytes(&self) -> u64 {
        self.rows as u64 * device_size(self.dtype)
    }
    pub(crate) fn buffer(&self) -> Result<&wgpu::Buffer> {
        self.buffer
            .as_ref()
            .ok_or_else(|| Error::Internal("device column without a buffer".into()))
    }
    /// Whether the device holding it still works.
    pub fn is_usable(&self) -> bool {
        context::get().is_ok_and(|g| !g.is_lost())
    }
}

impl crate::column::DeviceCopy for DeviceColumn {
    fn dtype(&self) -> DType {
        self.dtype
    }
    fn len(&self) -> usize {
        self.rows
    }
    fn is_usable(&self) -> bool {
        DeviceColumn::is_usable(self)
    }
    fn download(&self) -> Result<ColumnData> {
        download(self)
    }
}

/// `column`'s device copy as the GPU's own type (it is the only backend that makes them).
fn gpu_copy(copy: Arc<dyn crate::column::DeviceCopy>) -> Result<Arc<DeviceColumn>> {
    let any: Arc<dyn std::any::Any + Send + Sync> = copy;
    any.downcast::<DeviceColumn>()
        .map_err(|_| Error::Internal("a device copy the GPU did not make".into()))
}

impl Drop for DeviceColumn {
    fn drop(&mut self) {
        if let (Some(buffer), Ok(gpu)) = (self.buffer.take(), context::get())
            && !gpu.is_lost()
        {
            lock(&gpu.pool).give(buffer);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Transfer counters

/// Bytes moved between host and GPU memory (see [`transfer_stats`]).
///
/// ```
/// use swath::gpu::TransferStats;
/// let t = TransferStats::default();
/// assert_eq!((t.to_device, t.to_host, t.uploads, t.downloads), (0, 0, 0, 0));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TransferStats {
    /// Column values uploaded (the few bytes of per-pass constants are not counted).
    pub to_device: u64,
    /// Column values downloaded plus reductions' per-workgroup partials read back.
    pub to_host: u64,
    /// Columns uploaded.
    pub uploads: u64,
    /// Columns downloaded, and passes whose partials were read back.
    pub downloads: u64,
}

thread_local! {
    static THREAD: Cell<TransferStats> = const { Cell::new(TransferStats {
        to_device: 0, to_host: 0, uploads: 0, downloads: 0,
    }) };
}
static TO_DEVICE: AtomicU64 = AtomicU64::new(0);
static TO_HOST: AtomicU64 = AtomicU64::new(0);
static UPLOADS: AtomicU64 = AtomicU64::new(0);
static DOWNLOADS: AtomicU64 = AtomicU64::new(0);

pub(crate) fn count_to_device(bytes: u64) {
    THREAD.with(|t| {
        let mut s = t.get();
        s.to_device += bytes;
        s.uploads += 1;
        t.set(s);
    });
    TO_DEVICE.fetch_add(bytes, Ordering::Relaxed);
    UPLOADS.fetch_add(1, Ordering::Relaxed);
}

pub(crate) fn count_to_host(bytes: u64) {
    THREAD.with(|t| {
        let mut s = t.get();
        s.to_host += bytes;
        s.downloads += 1;
        t.set(s);
    });
    TO_HOST.fetch_add(bytes, Ordering::Relaxed);
    DOWNLOADS.fetch_add(1, Ordering::Relaxed);
}

/// Bytes this thread moved since its last [`reset_transfer_stats`]. Per thread, so parallel
/// tests do not see each other's traffic: passes run, and host copies download, on the thread
/// that asks for them.
///
/// ```
/// use swath::gpu::{reset_transfer_stats, thread_stats, transfer_stats};
/// use swath::prelude::*;
/// let df = Frame::new([("x", Column::from(vec![1.0f32; 1000]))])?;
/// let gpu = ExecOptions::new().backend(Backend::Gpu);
/// reset_transfer_stats();
/// swath::gpu::reset_thread_stats();
/// if df.select_with([col("x").sum()], &gpu).is_ok() && thread_stats().gpu_passes == 1 {
///     let first = transfer_stats();
///     assert_eq!((first.uploads, first.to_device), (1, 4000)); // x went up once
///     df.select_with([col("x").max()], &gpu)?;
///     assert_eq!(transfer_stats().to_device, 4000); // and stayed there
/// }
/// # Ok::<(), swath::Error>(())
/// ```
pub fn transfer_stats() -> TransferStats {
    THREAD.with(Cell::get)
}

/// Sets this thread's [`transfer_stats`] back to zero (the process-wide
/// [`global_transfer_stats`] keep counting).
///
/// ```
/// use swath::gpu::{TransferStats, reset_transfer_stats, transfer_stats};
/// reset_transfer_stats();
/// assert_eq!(transfer_stats(), TransferStats::default());
/// ```
pub fn reset_transfer_stats() {
    THREAD.with(|t| t.set(TransferStats::default()));
}

/// Bytes the whole process moved since it started (for `explain` and benchmarks), whatever
/// thread moved them.
///
/// ```
/// use swath::gpu::{global_transfer_stats, thread_stats};
/// use swath::prelude::*;
/// let before = global_transfer_stats();
/// let df = Frame::new([("x", Column::from(vec![2.0f32; 100]))])?;
/// swath::gpu::reset_thread_stats();
/// let gpu = ExecOptions::new().backend(Backend::Gpu);
/// if df.select_with([col("x").sum()], &gpu).is_ok() && thread_stats().gpu_passes == 1 {
///     let after = global_transfer_stats();
///     assert!(after.uploads > before.uploads);
///     assert!(after.to_device >= before.to_device + 400);
/// }
/// # Ok::<(), swath::Error>(())
/// ```
pub fn global_transfer_stats() -> TransferStats {
    TransferStats {
        to_device: TO_DEVICE.load(Ordering::Relaxed),
        to_host: TO_HOST.load(Ordering::Relaxed),
        uploads: UPLOADS.load(Ordering::Relaxed),
        downloads: DOWNLOADS.load(Ordering::Relaxed),
    }
}

// ---------------------------------------------------------------------------------------------
// Upload

/// Column values as device bytes, `range` of them (bools widened to u32 words).
fn device_bytes(data: &ColumnData, range: std::ops::Range<usize>) -> std::borrow::Cow<'_, [u8]> {
    use std::borrow::Cow;
    fn bytes<'a, T: bytemuck::Pod>(v: &'a [T], range: std::ops::Range<usize>) -> Cow<'a, [u8]> {
        Cow::Borrowed(&bytemuck::cast_slice::<T, u8>(v)[range])
    }
    match data {
        ColumnData::Bool(v) => {
            let (first, last) = (range.start / 4, range.end.div_ceil(4));
            let words: Vec<u32> = v[first..last].iter().map(|&b| b as u32).collect();
            Cow::Owned(bytemuck::cast_slice(&words).to_vec())
        }
        ColumnData::I32(v) => bytes(v.as_slice(), range),
        ColumnData::I64(v) => bytes(v.as_slice(), range),
        ColumnData::U32(v) => bytes(v.as_slice(), range),
        ColumnData::F32(v) => bytes(v.as_slice(), range),
        ColumnData::F64(v) => bytes(v.as_slice(), range),
    }
}

/// The device copy of `column`, uploaded now if it has none.
pub fn ensure(gpu: &Gpu, column: &Column) -> Result<Arc<DeviceColumn>> {
    let mut slot = column.device_slot();
    if let Some(dev) = slot.as_ref() {
        return gpu_copy(dev.clone());
    }
    let data = column.data()?;
    let dtype = data.dtype();
    let rows = data.len();
    let total = rows as u64 * device_size(dtype);
    let buffer = pool::acquire(gpu, COLUMN_USAGE, total, "swath column")?;
    let mut offset = 0u64;
    while offset < total {
        let n = (total - offset).min(STAGING_CHUNK);
        let staging = pool::staging(gpu, n)?;
        {
            let mut view = staging
                .buffer
                .slice(..n)
                .get_mapped_range_mut()
                .map_err(|e| Error::Gpu(format!("mapping a staging buffer: {e}")))?;
            view.copy_from_slice(&device_bytes(data, offset as usize..(offset + n) as usize));
        }
        staging.buffer.unmap();
        let mut encoder = gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("swath upload"),
            });
        encoder.copy_buffer_to_buffer(&staging.buffer, 0, &buffer, offset, n);
        gpu.queue.submit([encoder.finish()]);
        super::note_unwaited();
        staging.remap(gpu);
        offset += n;
    }
    count_to_device(total);
    let dev = Arc::new(DeviceColumn::new(buffer, dtype, rows));
    *slot = Some(dev.clone() as Arc<dyn crate::column::DeviceCopy>);
    Ok(dev)
}

// ---------------------------------------------------------------------------------------------
// Download

/// Copies `bytes` (any alignment) into `out`'s bytes at `at`.
fn put_bytes<T: bytemuck::Pod>(out: &mut [T], at: usize, bytes: &[u8]) {
    let dst: &mut [u8] = bytemuck::cast_slice_mut(out);
    dst[at..at + bytes.len()].copy_from_slice(bytes);
}

/// The host values of `dev`, read back now. Never panics: a lost device, a failed map or a
/// panic inside wgpu is an [`Error::Gpu`].
pub fn download(dev: &DeviceColumn) -> Result<ColumnData> {
    let gpu = context::get().map_err(Error::Gpu)?;
    if gpu.is_lost() {
        return Err(Error::Gpu(
            "the column's values were only on the GPU, and the GPU device was lost".into(),
        ));
    }
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _exclusive = gpu.exclusive();
        download_on(&gpu, dev)
    }));
    result.unwrap_or_else(|panic| Err(super::panic_error(panic)))
}

fn download_on(gpu: &Gpu, dev: &DeviceColumn) -> Result<ColumnData> {
    let rows = dev.rows;
    let total = dev.bytes();
    macro_rules! read {
        ($t:ty) => {{
            let mut out: Vec<$t> = vec![<$t>::default(); rows];
            read_into(gpu, dev, total, |at, bytes| put_bytes(&mut out, at, bytes))?;
            out
        }};
    }
    let data = match dev.dtype {
        DType::Bool => {
            let words = read!(u32);
            ColumnData::Bool(crate::column::Values::new(
                words.into_iter().map(|w| w != 0).collect(),
            ))
        }
        DType::I32 => ColumnData::I32(crate::column::Values::new(read!(i32))),
        DType::I64 => ColumnData::I64(crate::column::Values::new(read!(i64))),
        DType::U32 | DType::Categorical => ColumnData::U32(crate::column::Values::new(read!(u32))),
        DType::F32 => ColumnData::F32(crate::column::Values::new(read!(f32))),
        DType::F64 => ColumnData::F64(crate::column::Values::new(read!(f64))),
    };
    count_to_host(total);
    Ok(data)
}

/// Reads `total` bytes of `dev` through a pooled readback buffer, piece by piece, handing
/// each piece to `sink(offset, bytes)`.
fn read_into(
    gpu: &Gpu,
    dev: &DeviceColumn,
    total: u64,
    mut sink: impl FnMut(usize, &[u8]),
) -> Result<()> {
    use wgpu::BufferUsages as U;
    let source = dev.buffer()?;
    let chunk = total.clamp(4, DOWNLOAD_CHUNK);
    let readback = pool::acquire(gpu, U::MAP_READ | U::COPY_DST, chunk, "swath readback")?;
    let mut offset = 0u64;
    let mut result = Ok(());
    while offset < total {
        let n = (total - offset).min(chunk);
        let mut encoder = gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("swath download"),
            });
        encoder.copy_buffer_to_buffer(source, offset, &readback, 0, n);
        let index = gpu.queue.submit([encoder.finish()]);
        result = super::run::map_read(gpu, &readback, n, index, |bytes| {
            sink(offset as usize, bytes)
        });
        if result.is_err() {
            break;
        }
        offset += n;
    }
    if result.is_ok() {
        lock(&gpu.pool).give(readback);
    }
    result
}
