//! Runs one kernel on the GPU: make sure every column it reads is on the device (uploading the
//! ones that are not), one dispatch per window of rows in one submit, stores left on the
//! device, reductions' per-workgroup partials read back and combined on the host.
//!
//! Windows: a storage binding holds at most `max_storage_buffer_binding_size` bytes (128 MiB
//! on lavapipe), so a pass over longer columns binds each column in windows of `window` rows,
//! at offsets that are multiples of `min_storage_buffer_offset_alignment`, one bind group and
//! one dispatch per window, all in one compute pass. Each window gets its own constants (its
//! row count and first row, for argmin/argmax) and its own region of the partials buffer; the
//! host combines the records of all windows in row order, as it does those of one.

use std::num::NonZeroU64;
use std::sync::{Arc, mpsc};

use super::codegen::{self, Shader};
use super::combine;
use super::context::{Gpu, POLL_TIMEOUT, Pipeline, lock};
use super::pool::{acquire, size_class};
use super::resident::{self, COLUMN_USAGE, DeviceColumn, device_size};
use crate::backend::KernelOutput;
use crate::column::Column;
use crate::dtype::{DType, Scalar};
use crate::error::{Error, Result};
use crate::plan::ir::Kernel;

/// Most workgroups one dispatch uses: the grid-stride loop covers the rest. ~1-2K keep every
/// GPU busy without making the host combine of partials costly.
pub const MAX_WORKGROUPS: u32 = 2048;
/// Rows one pass may have: row indices are u32 and `i + stride` must not overflow. A
/// longer pass runs on the CPU.
pub const MAX_ROWS: usize = i32::MAX as usize;

fn gpu_err(what: impl std::fmt::Display) -> Error {
    Error::Gpu(what.to_string())
}

fn align_up(x: u64, align: u64) -> u64 {
    x.div_ceil(align) * align
}

/// Device bytes of every column `kernel` binds: its inputs (as the shader reads them) and its
/// stores.
fn column_sizes(kernel: &Kernel, shader: &Shader) -> Vec<u64> {
    let program = &kernel.program;
    let mut sizes: Vec<u64> = Vec::new();
    for &k in &shader.inputs {
        if let Some(id) = program
            .instrs()
            .iter()
            .position(|i| *i == crate::plan::ir::Instr::Load(k))
        {
            sizes.push(device_size(program.dtype(id)));
        }
    }
    for &s in &kernel.stores {
        sizes.push(device_size(program.dtype(s)));
    }
    sizes
}

/// Why `kernel` (already compiled to `shader`) cannot run on `gpu`, if it cannot. Columns
/// longer than one storage binding are fine (windows); each must fit one buffer.
pub fn check_size(kernel: &Kernel, shader: &Shader, gpu: &Gpu) -> std::result::Result<(), String> {
    if kernel.rows > MAX_ROWS {
        return Err(format!(
            "{} rows exceed the GPU pass limit of {MAX_ROWS}",
            kernel.rows
        ));
    }
    for elem in column_sizes(kernel, shader) {
        let bytes = kernel.rows as u64 * elem;
        if size_class(bytes) > gpu.caps.max_buffer_size {
            return Err(format!(
                "a column of {bytes} bytes exceeds this GPU's largest buffer ({} bytes)",
                gpu.caps.max_buffer_size
            ));
        }
    }
    Ok(())
}

/// Rows per window for a pass over `rows` rows whose widest column element is `elem` bytes:
/// as many as one binding holds, a multiple of the offset alignment (in rows of 4 bytes, so
/// 8-byte columns are aligned too).
pub fn window_rows(gpu: &Gpu, rows: usize, elem: u64) -> usize {
    let align_rows = (gpu.offset_alignment / 4).max(1);
    let fit = gpu.max_binding() / elem.max(1);
    let window = (fit - fit % align_rows).max(align_rows);
    (window.min(rows as u64) as usize).max(1)
}

/// The compiled pipeline for `shader`, from the cache or built now (inside an error scope, so
/// a shader the driver rejects is an error, not a panic).
fn pipeline(gpu: &Gpu, shader: &Shader) -> Result<Arc<Pipeline>> {
    let broken = super::faults::take_shader_fault();
    if !broken && let Some(p) = gpu.cached_pipeline(&shader.wgsl) {
        return Ok(p);
    }
    let device = &gpu.device;
    let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
    let text = if broken {
        format!("{}\nfn injected_fault( {{", shader.wgsl)
    } else {
        shader.wgsl.clone()
    };
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some("swath kernel"),
        source: wgpu::ShaderSource::Wgsl(text.into()),
    });
    let storage = |binding: u32, read_only: bool| wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Storage { read_only },
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    };
    let mut entries = vec![storage(0, true)];
    if shader.has_partials() {
        entries.push(storage(1, false));
    }
    let first = shader.first_input_binding();
    let n_inputs = shader.inputs.len() as u32;
    for b in 0..n_inputs {
        entries.push(storage(first + b, true));
    }
    for b in 0..shader.stores as u32 {
        entries.push(storage(first + n_inputs + b, false));
    }
    let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some("swath kernel"),
        entries: &entries,
    });
    let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some("swath kernel"),
        bind_group_layouts: &[Some(&layout)],
        immediate_size: 0,
    });
    let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some("swath kernel"),
        layout: Some(&pipeline_layout),
        module: &module,
        entry_point: Some("main"),
        compilation_options: wgpu::PipelineCompilationOptions::default(),
        cache: None,
    });
    if let Some(e) = pollster::block_on(scope.pop()) {
        log::debug!("rejected WGSL:\n{}", shader.wgsl);
        return Err(gpu_err(format!("the GPU rejected a generated shader: {e}")));
    }
    let p = Arc::new(Pipeline { pipeline, layout });
    gpu.cache_pipeline(shader.wgsl.clone(), p.clone());
    Ok(p)
}

/// Copies `bytes` (any alignment) into a new `Vec<T>`.
fn read_vec<T: bytemuck::Pod + Default>(bytes: &[u8]) -> Vec<T> {
    let n = bytes.len() / std::mem::size_of::<T>();
    let mut v: Vec<T> = crate::hugepages::zeroed_vec(n);
    bytemuck::cast_slice_mut::<T, u8>(&mut v)
        .copy_from_slice(&bytes[..n * std::mem::size_of::<T>()]);
    v
}

/// An empty column of `dtype`.
fn empty_column(dtype: DType) -> Column {
    match dtype {
        DType::Bool => Column::from(Vec::<bool>::new()),
        DType::I32 => Column::from(Vec::<i32>::new()),
        DType::I64 => Column::from(Vec::<i64>::new()),
        DType::U32 | DType::Categorical => Column::from(Vec::<u32>::new()),
        DType::F32 => Column::from(Vec::<f32>::new()),
        DType::F64 => Column::from(Vec::<f64>::new()),
    }
}

/// What a kernel gives over zero rows, without touching the device.
pub fn empty_output(kernel: &Kernel) -> KernelOutput {
    let program = &kernel.program;
    KernelOutput {
        stores: kernel
            .stores
            .iter()
            .map(|&s| empty_column(program.dtype(s)))
            .collect(),
        reductions: kernel
            .reductions
            .iter()
            .map(|r| r.op.empty(r.dtype))
            .collect(),
    }
}

/// Waits (polling the device, up to [`POLL_TIMEOUT`]) until `done()`. A map callback runs
/// inside some thread's poll: usually ours, but with several threads polling it may be
/// another's, still running when ours returns; so after a blocking wait, keep polling briefly.
pub fn wait_for(gpu: &Gpu, done: impl Fn() -> bool, what: &str) -> Result<()> {
    if done() {
        return Ok(());
    }
    let deadline = std::time::Instant::now() + POLL_TIMEOUT;
    gpu.device
        .poll(wgpu::PollType::Wait {
            submission_index: None,
            timeout: Some(POLL_TIMEOUT),
        })
        .map_err(|e| gpu_err(format!("waiting for {what}: {e}")))?;
    while !done() {
        if gpu.is_lost() {
            return Err(gpu_err(format!(
                "the GPU device was lost waiting for {what}"
            )));
        }
        if std::time::Instant::now() > deadline {
            return Err(gpu_err(format!("{what} never became ready")));
        }
        std::thread::sleep(std::time::Duration::from_micros(200));
        gpu.device
            .poll(wgpu::PollType::Poll)
            .map_err(|e| gpu_err(format!("waiting for {what}: {e}")))?;
    }
    Ok(())
}

/// Maps the first `bytes` of `readback` (filled by submission `index`), hands them to `read`,
/// and unmaps.
pub fn map_read(
    gpu: &Gpu,
    readback: &wgpu::Buffer,
    bytes: u64,
    index: wgpu::SubmissionIndex,
    read: impl FnOnce(&[u8]),
) -> Result<()> {
    let (tx, rx) = mpsc::channel();
    readback
        .slice(..bytes)
        .map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
    gpu.device
        .poll(wgpu::PollType::Wait {
            submission_index: Some(index),
            timeout: Some(POLL_TIMEOUT),
        })
        .map_err(|e| gpu_err(format!("waiting for the GPU: {e}")))?;
    let deadline = std::time::Instant::now() + POLL_TIMEOUT;
    let mapped = loop {
        match rx.recv_timeout(std::time::Duration::from_millis(1)) {
            Ok(r) => break r,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(gpu_err("the readback was dropped"));
            }
            Err(mpsc::RecvTimeoutError::Timeout) if std::time::Instant::now() > deadline => {
                return Err(gpu_err("the readback never completed"));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if gpu.is_lost() {
                    return Err(gpu_err("the GPU device was lost during a readback"));
                }
                gpu.device
                    .poll(wgpu::PollType::Poll)
                    .map_err(|e| gpu_err(format!("waiting for the readback: {e}")))?;
            }
        }
    };
    mapped.map_err(|e| gpu_err(format!("reading results back: {e}")))?;
    {
        let view = readback
            .slice(..bytes)
            .get_mapped_range()
            .map_err(|e| gpu_err(format!("reading results back: {e}")))?;
        read(&view);
    }
    readback.unmap();
    Ok(())
}

/// One window of a pass: rows `first..first + rows`, its workgroups and its region of the
/// partials buffer.
struct Window {
    first: u64,
    rows: u64,
    workgroups: u32,
    partials_at: u64,
}

/// Runs `kernel`, compiled to `shader`, on `gpu`. The caller has checked that the device can
/// (`codegen::generate` and [`check_size`] succeeded) and that there are rows.
pub fn run(
    gpu: &Gpu,
    kernel: &Kernel,
    shader: &Shader,
    columns: &[&Column],
    params: &[Scalar],
) -> Result<KernelOutput> {
    let device_work = !kernel.stores.is_empty() || shader.has_partials();
    if !device_work {
        // Only counts: the row count answers them.
        return Ok(KernelOutput {
            stores: Vec::new(),
            reductions: combine::finish(kernel, shader, &[], 0),
        });
    }
    let errors_before = gpu.error_count();
    let pipeline = pipeline(gpu, shader)?;
    let device = &gpu.device;
    let validation = device.push_error_scope(wgpu::ErrorFilter::Validation);
    let oom = device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
    let result = run_scoped(gpu, kernel, shader, columns, params, &pipeline);
    let oom_error = pollster::block_on(oom.pop());
    let validation_error = pollster::block_on(validation.pop());
    if let Some(e) = oom_error.or(validation_error) {
        return Err(gpu_err(e));
    }
    let out = result?;
    if gpu.error_count() != errors_before {
        return Err(gpu_err(
            "the GPU reported an error during the pass (see the log)",
        ));
    }
    if gpu.is_lost() {
        return Err(gpu_err("the GPU device was lost"));
    }
    Ok(out)
}

fn run_scoped(
    gpu: &Gpu,
    kernel: &Kernel,
    shader: &Shader,
    columns: &[&Column],
    params: &[Scalar],
    pipeline: &Pipeline,
) -> Result<KernelOutput> {
    use wgpu::BufferUsages as U;
    let rows = kernel.rows;
    let program = &kernel.program;
    let device = &gpu.device;
    let align = gpu.offset_alignment;

    // Inputs, on the device (uploaded now unless the column already has a device copy).
    let inputs: Vec<Arc<DeviceColumn>> = shader
        .inputs
        .iter()
        .map(|&k| {
            let column = columns
                .get(k)
                .ok_or_else(|| Error::Internal("missing kernel input".into()))?;
            resident::ensure(gpu, column)
        })
        .collect::<Result<_>>()?;
    let input_elems: Vec<u64> = inputs.iter().map(|d| device_size(d.dtype())).collect();
    let store_elems: Vec<u64> = kernel
        .stores
        .iter()
        .map(|&s| device_size(program.dtype(s)))
        .collect();

    // Windows of rows.
    let widest = input_elems
        .iter()
        .chain(&store_elems)
        .copied()
        .max()
        .unwrap_or(4);
    let window = window_rows(gpu, rows, widest) as u64;
    let record_bytes = (shader.partial_words * 4) as u64;
    let mut windows: Vec<Window> = Vec::new();
    let mut partials_total = 0u64;
    let mut first = 0u64;
    while first < rows as u64 {
        let n = window.min(rows as u64 - first);
        let workgroups = (n.div_ceil(shader.workgroup_size as u64) as u32).clamp(1, MAX_WORKGROUPS);
        windows.push(Window {
            first,
            rows: n,
            workgroups,
            partials_at: partials_total,
        });
        partials_total += align_up(workgroups as u64 * record_bytes, align);
        first += n;
    }

    // Constants, one aligned block per window: rows, NaN and infinity bits, first row, slots.
    let slot_words: Vec<[u32; 2]> = shader
        .slots
        .iter()
        .map(|slot| {
            let value = match *slot {
                codegen::SlotValue::Const(v) => v,
                codegen::SlotValue::Param(k) => *params
                    .get(k)
                    .ok_or_else(|| Error::Internal("missing kernel param".into()))?,
            };
            Ok(codegen::slot_words(value))
        })
        .collect::<Result<_>>()?;
    let consts_len = codegen::SLOT_BASE + 2 * slot_words.len();
    let consts_bytes = (consts_len * 4) as u64;
    let consts_stride = align_up(consts_bytes, align);
    let mut consts: Vec<u32> = vec![0; (consts_stride / 4) as usize * windows.len()];
    for (w, win) in windows.iter().enumerate() {
        let block = &mut consts[w * (consts_stride / 4) as usize..];
        block[0] = win.rows as u32;
        block[1] = f32::NAN.to_bits();
        block[2] = f32::INFINITY.to_bits();
        block[3] = win.first as u32;
        for (s, [lo, hi]) in slot_words.iter().enumerate() {
            block[codegen::SLOT_BASE + 2 * s] = *lo;
            block[codegen::SLOT_BASE + 2 * s + 1] = *hi;
        }
    }
    let consts_buf = acquire(
        gpu,
        U::STORAGE | U::COPY_DST,
        consts.len() as u64 * 4,
        "swath consts",
    )?;
    gpu.queue
        .write_buffer(&consts_buf, 0, bytemuck::cast_slice(&consts));

    let partials = if shader.has_partials() {
        Some(acquire(
            gpu,
            U::STORAGE | U::COPY_SRC,
            partials_total,
            "swath partials",
        )?)
    } else {
        None
    };
    let outputs: Vec<wgpu::Buffer> = store_elems
        .iter()
        .map(|&elem| acquire(gpu, COLUMN_USAGE, rows as u64 * elem, "swath column"))
        .collect::<Result<_>>()?;
    let input_buffers: Vec<&wgpu::Buffer> =
        inputs.iter().map(|d| d.buffer()).collect::<Result<_>>()?;

    // One bind group per window.
    fn binding(buffer: &wgpu::Buffer, offset: u64, size: u64) -> wgpu::BindingResource<'_> {
        wgpu::BindingResource::Buffer(wgpu::BufferBinding {
            buffer,
            offset,
            size: NonZeroU64::new(size),
        })
    }
    let bind_groups: Vec<wgpu::BindGroup> = windows
        .iter()
        .enumerate()
        .map(|(w, win)| {
            let mut resources = vec![binding(&consts_buf, w as u64 * consts_stride, consts_bytes)];
            if let Some(p) = &partials {
                resources.push(binding(
                    p,
                    win.partials_at,
                    win.workgroups as u64 * record_bytes,
                ));
            }
            for (buffer, &elem) in input_buffers.iter().zip(&input_elems) {
                resources.push(binding(buffer, win.first * elem, win.rows * elem));
            }
            for (buffer, &elem) in outputs.iter().zip(&store_elems) {
                resources.push(binding(buffer, win.first * elem, win.rows * elem));
            }
            let entries: Vec<wgpu::BindGroupEntry<'_>> = resources
                .into_iter()
                .enumerate()
                .map(|(b, resource)| wgpu::BindGroupEntry {
                    binding: b as u32,
                    resource,
                })
                .collect();
            device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("swath kernel"),
                layout: &pipeline.layout,
                entries: &entries,
            })
        })
        .collect();

    let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
        label: Some("swath kernel"),
    });
    {
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("swath kernel"),
            timestamp_writes: None,
        });
        pass.set_pipeline(&pipeline.pipeline);
        for (group, win) in bind_groups.iter().zip(&windows) {
            pass.set_bind_group(0, group, &[]);
            pass.dispatch_workgroups(win.workgroups, 1, 1);
        }
    }
    // Partials of every window, packed in row order, into one readback buffer.
    let records: u32 = windows.iter().map(|w| w.workgroups).sum();
    let packed = records as u64 * record_bytes;
    let readback = match &partials {
        Some(p) => {
            let readback = acquire(gpu, U::MAP_READ | U::COPY_DST, packed, "swath readback")?;
            let mut at = 0u64;
            for win in &windows {
                let n = win.workgroups as u64 * record_bytes;
                encoder.copy_buffer_to_buffer(p, win.partials_at, &readback, at, n);
                at += n;
            }
            Some(readback)
        }
        None => None,
    };
    let index = gpu.queue.submit([encoder.finish()]);

    // Stores stay on the device; only partials come back (and only they are waited for).
    let reductions = match &readback {
        Some(readback) => {
            let mut words: Vec<u32> = Vec::new();
            map_read(gpu, readback, packed, index, |bytes| {
                words = read_vec::<u32>(bytes);
            })?;
            resident::count_to_host(packed);
            combine::finish(kernel, shader, &words, records as usize)
        }
        None => {
            // Nothing to wait for; a non-blocking poll still frees what finished work held.
            super::note_unwaited();
            let _ = gpu.device.poll(wgpu::PollType::Poll);
            combine::finish(kernel, shader, &[], 0)
        }
    };
    let stores = outputs
        .into_iter()
        .zip(&kernel.stores)
        .map(|(buffer, &s)| {
            Column::from_device(Arc::new(DeviceColumn::new(buffer, program.dtype(s), rows)))
        })
        .collect();
    {
        let mut pool = lock(&gpu.pool);
        pool.give(consts_buf);
        if let Some(p) = partials {
            pool.give(p);
        }
        if let Some(r) = readback {
            pool.give(r);
        }
    }
    Ok(KernelOutput { stores, reductions })
}

/// The examples of this file's items, run as unit tests: the items are crate-private, so
/// a doctest could not reach them.
#[cfg(test)]
mod examples {
    #[test]
    fn max_workgroups_example() {
        assert_eq!(crate::gpu::MAX_WORKGROUPS, 2048);
    }

    #[test]
    fn max_rows_example() {
        assert_eq!(crate::gpu::run::MAX_ROWS, i32::MAX as usize);
    }
}
