//! Runs one kernel on the GPU: upload the columns it reads, one dispatch, read back stores and
//! per-workgroup partials in one submit, combine the partials on the host.

use std::num::NonZeroU64;
use std::sync::{Arc, mpsc};

use super::codegen::{self, Shader};
use super::combine;
use super::context::{Gpu, POLL_TIMEOUT, Pipeline};
use super::pool::{acquire, size_class};
use crate::column::{Column, ColumnData};
use crate::cpu::KernelOutput;
use crate::dtype::{DType, Scalar};
use crate::error::{Error, Result};
use crate::plan::ir::Kernel;

/// Most workgroups one dispatch uses: the grid-stride loop covers the rest. ~1-2K keep every
/// GPU busy without making the host combine of partials costly.
pub const MAX_WORKGROUPS: u32 = 2048;
/// Rows one pass may have: row indices are u32 and `i + stride` must not overflow.
pub const MAX_ROWS: usize = i32::MAX as usize;
/// Offsets of the sections of the readback buffer are multiples of this.
const SECTION_ALIGN: u64 = 256;

fn gpu_err(what: impl std::fmt::Display) -> Error {
    Error::Gpu(what.to_string())
}

/// Bytes one element of `dtype` takes in a device buffer (bools are u32).
fn device_size(dtype: DType) -> u64 {
    dtype.size_of().max(4) as u64
}

/// Why `kernel` (already compiled to `shader`) cannot run on `gpu`, if it cannot.
pub fn check_size(kernel: &Kernel, shader: &Shader, gpu: &Gpu) -> std::result::Result<(), String> {
    if kernel.rows > MAX_ROWS {
        return Err(format!(
            "{} rows exceed the GPU pass limit of {MAX_ROWS}",
            kernel.rows
        ));
    }
    let program = &kernel.program;
    let mut sizes: Vec<u64> = Vec::new();
    for &k in &shader.inputs {
        if let Some(id) = program
            .instrs()
            .iter()
            .position(|i| *i == crate::plan::ir::Instr::Load(k))
        {
            sizes.push(kernel.rows as u64 * device_size(program.dtype(id)));
        }
    }
    for &s in &kernel.stores {
        sizes.push(kernel.rows as u64 * device_size(program.dtype(s)));
    }
    let caps = &gpu.caps;
    for bytes in sizes {
        if bytes > caps.max_binding_size || size_class(bytes) > caps.max_buffer_size {
            return Err(format!(
                "a column of {bytes} bytes exceeds this GPU's storage binding limit of {} \
                 (windowing is not implemented yet)",
                caps.max_binding_size
            ));
        }
    }
    Ok(())
}

/// The compiled pipeline for `shader`, from the cache or built now (inside an error scope, so
/// a shader the driver rejects is an error, not a panic).
fn pipeline(gpu: &Gpu, shader: &Shader) -> Result<Arc<Pipeline>> {
    if let Some(p) = gpu.cached_pipeline(&shader.wgsl) {
        return Ok(p);
    }
    let device = &gpu.device;
    let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some("swath kernel"),
        source: wgpu::ShaderSource::Wgsl(shader.wgsl.as_str().into()),
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

/// Column values as the bytes of a device buffer (bools widened to u32).
fn column_bytes(data: &ColumnData) -> std::borrow::Cow<'_, [u8]> {
    use std::borrow::Cow;
    match data {
        ColumnData::Bool(v) => {
            let words: Vec<u32> = v.iter().map(|&b| b as u32).collect();
            Cow::Owned(bytemuck::cast_slice(&words).to_vec())
        }
        ColumnData::I32(v) => Cow::Borrowed(bytemuck::cast_slice(v.as_slice())),
        ColumnData::I64(v) => Cow::Borrowed(bytemuck::cast_slice(v.as_slice())),
        ColumnData::U32(v) => Cow::Borrowed(bytemuck::cast_slice(v.as_slice())),
        ColumnData::F32(v) => Cow::Borrowed(bytemuck::cast_slice(v.as_slice())),
        ColumnData::F64(v) => Cow::Borrowed(bytemuck::cast_slice(v.as_slice())),
    }
}

/// Copies `bytes` (any alignment) into a new `Vec<T>`.
fn read_vec<T: bytemuck::Pod + Default>(bytes: &[u8]) -> Vec<T> {
    let n = bytes.len() / std::mem::size_of::<T>();
    let mut v = vec![T::default(); n];
    bytemuck::cast_slice_mut::<T, u8>(&mut v)
        .copy_from_slice(&bytes[..n * std::mem::size_of::<T>()]);
    v
}

/// A store read back into a column.
fn store_column(dtype: DType, bytes: &[u8]) -> Column {
    match dtype {
        DType::Bool => Column::from(
            read_vec::<u32>(bytes)
                .into_iter()
                .map(|w| w != 0)
                .collect::<Vec<bool>>(),
        ),
        DType::I32 => Column::from(read_vec::<i32>(bytes)),
        DType::I64 => Column::from(read_vec::<i64>(bytes)),
        DType::U32 => Column::from(read_vec::<u32>(bytes)),
        DType::F32 => Column::from(read_vec::<f32>(bytes)),
        DType::F64 => Column::from(read_vec::<f64>(bytes)),
    }
}

/// What a kernel gives over zero rows, without touching the device.
pub fn empty_output(kernel: &Kernel) -> KernelOutput {
    let program = &kernel.program;
    KernelOutput {
        stores: kernel
            .stores
            .iter()
            .map(|&s| store_column(program.dtype(s), &[]))
            .collect(),
        reductions: kernel
            .reductions
            .iter()
            .map(|r| combine::empty(r.op, program.dtype(r.value)))
            .collect(),
    }
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
    let rows = kernel.rows;
    let program = &kernel.program;
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
    let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
    let oom = device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);

    let workgroups =
        (rows.div_ceil(shader.workgroup_size as usize) as u32).clamp(1, MAX_WORKGROUPS);
    use wgpu::BufferUsages as U;
    let mut held: Vec<wgpu::Buffer> = Vec::new();

    // Constants: rows, NaN and infinity bits, then the slots.
    let mut consts: Vec<u32> = vec![0; codegen::SLOT_BASE + 2 * shader.slots.len()];
    consts[0] = rows as u32;
    consts[1] = f32::NAN.to_bits();
    consts[2] = f32::INFINITY.to_bits();
    for (s, slot) in shader.slots.iter().enumerate() {
        let value = match *slot {
            codegen::SlotValue::Const(v) => v,
            codegen::SlotValue::Param(k) => *params
                .get(k)
                .ok_or_else(|| Error::Internal("missing kernel param".into()))?,
        };
        let [lo, hi] = codegen::slot_words(value);
        consts[codegen::SLOT_BASE + 2 * s] = lo;
        consts[codegen::SLOT_BASE + 2 * s + 1] = hi;
    }
    let consts_bytes: &[u8] = bytemuck::cast_slice(&consts);
    let consts_buf = acquire(
        gpu,
        U::STORAGE | U::COPY_DST,
        consts_bytes.len() as u64,
        "swath consts",
    );
    gpu.queue.write_buffer(&consts_buf, 0, consts_bytes);
    let mut bindings: Vec<(usize, u64)> = vec![(held.len(), consts_bytes.len() as u64)];
    held.push(consts_buf);

    let partial_bytes = (workgroups as usize * shader.partial_words * 4) as u64;
    let partials_at = if shader.has_partials() {
        let b = acquire(
            gpu,
            U::STORAGE | U::COPY_SRC,
            partial_bytes,
            "swath partials",
        );
        bindings.push((held.len(), partial_bytes));
        held.push(b);
        Some(held.len() - 1)
    } else {
        None
    };
    for &k in &shader.inputs {
        let data = columns[k].data();
        let bytes = column_bytes(data);
        let b = acquire(
            gpu,
            U::STORAGE | U::COPY_DST,
            bytes.len() as u64,
            "swath input",
        );
        gpu.queue.write_buffer(&b, 0, &bytes);
        bindings.push((held.len(), bytes.len() as u64));
        held.push(b);
    }
    let mut outputs: Vec<(usize, u64)> = Vec::new();
    for &s in &kernel.stores {
        let bytes = rows as u64 * device_size(program.dtype(s));
        let b = acquire(gpu, U::STORAGE | U::COPY_SRC, bytes, "swath output");
        outputs.push((held.len(), bytes));
        bindings.push((held.len(), bytes));
        held.push(b);
    }

    let entries: Vec<wgpu::BindGroupEntry<'_>> = bindings
        .iter()
        .enumerate()
        .map(|(binding, &(buf, bytes))| wgpu::BindGroupEntry {
            binding: binding as u32,
            resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                buffer: &held[buf],
                offset: 0,
                size: NonZeroU64::new(bytes),
            }),
        })
        .collect();
    let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some("swath kernel"),
        layout: &pipeline.layout,
        entries: &entries,
    });

    // Readback: stores, then partials, each section aligned.
    let mut sections: Vec<(usize, u64, u64)> = Vec::new(); // (buffer, offset, bytes)
    let mut total = 0u64;
    for &(buf, bytes) in outputs
        .iter()
        .chain(partials_at.map(|p| (p, partial_bytes)).iter())
    {
        sections.push((buf, total, bytes));
        total = (total + bytes).div_ceil(SECTION_ALIGN) * SECTION_ALIGN;
    }
    let readback = acquire(gpu, U::MAP_READ | U::COPY_DST, total, "swath readback");

    let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
        label: Some("swath kernel"),
    });
    {
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("swath kernel"),
            timestamp_writes: None,
        });
        pass.set_pipeline(&pipeline.pipeline);
        pass.set_bind_group(0, &bind_group, &[]);
        pass.dispatch_workgroups(workgroups, 1, 1);
    }
    for &(buf, offset, bytes) in &sections {
        encoder.copy_buffer_to_buffer(&held[buf], 0, &readback, offset, bytes);
    }
    let index = gpu.queue.submit([encoder.finish()]);
    let (tx, rx) = mpsc::channel();
    readback
        .slice(..total)
        .map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
    let polled = device.poll(wgpu::PollType::Wait {
        submission_index: Some(index),
        timeout: Some(POLL_TIMEOUT),
    });
    let oom_error = pollster::block_on(oom.pop());
    let validation_error = pollster::block_on(scope.pop());
    if let Some(e) = oom_error.or(validation_error) {
        return Err(gpu_err(e));
    }
    polled.map_err(|e| gpu_err(format!("waiting for the GPU: {e}")))?;
    // The map callback runs inside some thread's poll: usually the wait above, but with
    // several threads polling it may be another's, still running when ours returns. Wait for
    // it, polling, up to the timeout.
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
                device
                    .poll(wgpu::PollType::Poll)
                    .map_err(|e| gpu_err(format!("waiting for the readback: {e}")))?;
            }
        }
    };
    mapped.map_err(|e| gpu_err(format!("reading results back: {e}")))?;
    if gpu.error_count() != errors_before {
        return Err(gpu_err(
            "the GPU reported an error during the pass (see the log)",
        ));
    }
    if gpu.is_lost() {
        return Err(gpu_err("the GPU device was lost"));
    }

    let (stores, reductions) = {
        let view = readback
            .slice(..total)
            .get_mapped_range()
            .map_err(|e| gpu_err(format!("reading results back: {e}")))?;
        let bytes: &[u8] = &view;
        let stores = kernel
            .stores
            .iter()
            .zip(&sections)
            .map(|(&s, &(_, offset, len))| {
                store_column(
                    program.dtype(s),
                    &bytes[offset as usize..(offset + len) as usize],
                )
            })
            .collect::<Vec<Column>>();
        let partials: Vec<u32> = match sections.last() {
            Some(&(_, offset, len)) if shader.has_partials() => {
                read_vec::<u32>(&bytes[offset as usize..(offset + len) as usize])
            }
            _ => Vec::new(),
        };
        let reductions = combine::finish(kernel, shader, &partials, workgroups as usize);
        (stores, reductions)
    };
    readback.unmap();
    {
        let mut pool = super::context::lock(&gpu.pool);
        for b in held {
            pool.give(b);
        }
        pool.give(readback);
    }
    Ok(KernelOutput { stores, reductions })
}
