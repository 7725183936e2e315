//! The one GPU context of the process: created on first use, shared by every thread.
//!
//! Adapter choice: discrete, then integrated, then virtual, then other, then software (a
//! `DeviceType::Cpu` adapter such as lavapipe); among equals, a native API (Vulkan, Metal,
//! DX12) before GL, which lacks f64 and subgroups. `SWATH_ADAPTER=<substring>` keeps only the
//! adapters whose name contains it (case-insensitive). `SWATH_GPU_DISABLE=f64,i64,subgroups`
//! leaves those features off even when the adapter has them (tests use it to exercise the CPU
//! fallback).
//!
//! No adapter (or a failed device request) is not an error for the library: [`get`] returns
//! the reason and every pass runs on the CPU.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use super::codegen::Caps;
use super::pool::Pool;

/// What `swath info` shows about the GPU swath uses: see [`crate::gpu::adapter_info`].
///
/// ```
/// if let Some(info) = swath::gpu::adapter_info() {
///     // The chosen adapter heads the list, as "name (backend, type)".
///     let listed = format!("{} ({}, {})", info.name, info.backend, info.device_type);
///     assert_eq!(info.adapters[0], listed);
///     println!("{} via {}; f64 in shaders: {}", info.name, info.backend, info.f64);
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpuInfo {
    /// The adapter's name (`"NVIDIA GeForce RTX 4090"`, `"llvmpipe (LLVM 15.0.6, 256 bits)"`).
    pub name: String,
    /// Vulkan, Metal, Dx12, Gl ...
    pub backend: String,
    /// DiscreteGpu, IntegratedGpu, VirtualGpu, Cpu, Other.
    pub device_type: String,
    /// PCI vendor id (0 where the backend does not say).
    pub vendor: u32,
    /// PCI device id (0 where the backend does not say).
    pub device: u32,
    /// The driver's name.
    pub driver: String,
    /// The driver's version and other details.
    pub driver_info: String,
    /// Device features swath turned on: f64 in shaders.
    pub f64: bool,
    /// i64 in shaders.
    pub i64: bool,
    /// f16 in shaders.
    pub f16: bool,
    /// Subgroup operations.
    pub subgroups: bool,
    /// Timestamp queries.
    pub timestamps: bool,
    /// The largest storage buffer binding, bytes (longer columns are bound in windows).
    pub max_storage_buffer_binding_size: u64,
    /// The largest buffer, bytes.
    pub max_buffer_size: u64,
    /// Every adapter found, as "name (backend, type)", the chosen one first.
    pub adapters: Vec<String>,
}

impl GpuInfo {
    /// Whether this is a software rasterizer running on the CPU (lavapipe, llvmpipe, WARP).
    /// It shares the CPU's cores; `auto` judges it by its measured figures like any adapter.
    ///
    /// ```
    /// if let Some(info) = swath::gpu::adapter_info() {
    ///     assert_eq!(info.is_software(), info.device_type == "Cpu");
    /// }
    /// ```
    pub fn is_software(&self) -> bool {
        self.device_type == "Cpu"
    }
}

/// A compiled pipeline and its bind group layout, as [`Gpu`] caches them.
pub struct Pipeline {
    /// The compute pipeline.
    pub pipeline: wgpu::ComputePipeline,
    /// The layout of its bind group 0.
    pub layout: wgpu::BindGroupLayout,
}

/// The shared GPU context: the device and queue every pass uses, what they can do, the
/// pipeline cache and the buffer pool. There is one per process, from [`get`].
pub struct Gpu {
    // Kept alive for the device's sake.
    _instance: wgpu::Instance,
    _adapter: wgpu::Adapter,
    /// The wgpu device.
    pub device: wgpu::Device,
    /// Its queue.
    pub queue: wgpu::Queue,
    /// The adapter, as [`crate::gpu::adapter_info`] reports it.
    pub info: GpuInfo,
    /// The features and limits generated shaders must respect.
    pub caps: Caps,
    /// Pipelines keyed by their WGSL text (wgpu does not cache them).
    pipelines: Mutex<HashMap<String, Arc<Pipeline>>>,
    /// Column and staging buffers reused across passes (its type is private to swath).
    pub pool: Mutex<Pool>,
    /// Errors the uncaptured-error handler saw (a nonzero change fails the pass that saw it).
    errors: Arc<AtomicU64>,
    lost: Arc<AtomicBool>,
    /// Storage bindings at offsets are multiples of this (`min_storage_buffer_offset_alignment`).
    pub offset_alignment: u64,
    /// `SWATH_GPU_MAX_BINDING`, if set: a lower binding limit, so windowing can be tested.
    max_binding_env: Option<u64>,
    /// Held for a whole pass where the API cannot take concurrent use: a GL context is
    /// single-threaded, and wgpu's GLES backend panics (sometimes inside a destructor, which
    /// aborts) when a thread waits over a second for it.
    exclusive: Option<Mutex<()>>,
}

/// Waits longer than this for the GPU are treated as a failure (lavapipe has hung).
pub const POLL_TIMEOUT: Duration = Duration::from_secs(60);

impl Gpu {
    /// How many errors the device reported outside error scopes so far.
    pub fn error_count(&self) -> u64 {
        self.errors.load(Ordering::SeqCst)
    }
    /// Whether the device was lost (then every pass runs on the CPU).
    pub fn is_lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }
    /// Marks the device lost (wgpu's callback does it too, but only from inside a poll) and
    /// drops the idle buffers, which are useless now. For the whole process: later passes,
    /// even forced onto the GPU, run on the CPU.
    pub fn mark_lost(&self, why: &str) {
        if !self.lost.swap(true, Ordering::SeqCst) {
            log::error!("GPU device lost: {why}; later passes run on the CPU");
        }
        lock(&self.pool).clear();
    }
    /// The largest storage binding a pass on this thread may use: the device's limit, lowered
    /// by `SWATH_GPU_MAX_BINDING` and by `faults::set_max_binding` (tests).
    pub fn max_binding(&self) -> u64 {
        let mut limit = self.caps.max_binding_size;
        for knob in [self.max_binding_env, super::faults::max_binding()]
            .into_iter()
            .flatten()
        {
            limit = limit.min(knob);
        }
        limit
    }

    /// The pipeline compiled for the shader text `wgsl`, if it is cached. Passes compile each
    /// distinct shader once.
    pub fn cached_pipeline(&self, wgsl: &str) -> Option<Arc<Pipeline>> {
        lock(&self.pipelines).get(wgsl).cloned()
    }
    /// Caches `pipeline` as the one compiled for `wgsl`. The cache holds at most 1024
    /// pipelines: adding one to a full cache empties it first.
    pub fn cache_pipeline(&self, wgsl: String, pipeline: Arc<Pipeline>) {
        let mut cache = lock(&self.pipelines);
        // A bound on memory for programs that generate endless distinct kernels.
        if cache.len() >= 1024 {
            cache.clear();
        }
        cache.insert(wgsl, pipeline);
    }
    #[cfg(test)]
    /// How many pipelines are cached.
    pub fn cached_pipelines(&self) -> usize {
        lock(&self.pipelines).len()
    }
    /// A guard to hold while using the device, where the backend needs one (GL).
    pub fn exclusive(&self) -> Option<MutexGuard<'_, ()>> {
        self.exclusive.as_ref().map(lock)
    }
}

/// Locks `m`, recovering from a poisoned lock (the data behind our locks stays consistent:
/// a cache or a pool, where losing an entry is harmless).
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

static CONTEXT: OnceLock<Result<Arc<Gpu>, String>> = OnceLock::new();

/// The shared context, created on first call; `Err` says why there is no GPU. Never panics:
/// a driver that panics while starting is an `Err` too.
pub fn get() -> Result<Arc<Gpu>, String> {
    CONTEXT
        .get_or_init(|| {
            // wgpu and the drivers below it are large; a panic in them must not reach the
            // caller, and must not leave the OnceLock half-initialised.
            match std::panic::catch_unwind(create) {
                Ok(result) => result.map(Arc::new),
                Err(_) => Err("the GPU driver panicked while starting".into()),
            }
        })
        .clone()
}

/// The shared context if it has been created, without creating it.
pub(crate) fn existing() -> Option<Arc<Gpu>> {
    CONTEXT.get().and_then(|r| r.as_ref().ok().cloned())
}

fn device_type_rank(t: wgpu::DeviceType) -> u8 {
    match t {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Other => 3,
        wgpu::DeviceType::Cpu => 4,
    }
}

fn backend_rank(b: wgpu::Backend) -> u8 {
    match b {
        wgpu::Backend::Vulkan | wgpu::Backend::Metal | wgpu::Backend::Dx12 => 0,
        wgpu::Backend::Gl => 1,
        _ => 2,
    }
}

fn describe(info: &wgpu::AdapterInfo) -> String {
    format!("{} ({:?}, {:?})", info.name, info.backend, info.device_type)
}

/// Features named in `SWATH_GPU_DISABLE` (comma-separated: f64, i64, subgroups, f16,
/// timestamps).
fn disabled_features() -> wgpu::Features {
    let mut off = wgpu::Features::empty();
    if let Ok(list) = std::env::var("SWATH_GPU_DISABLE") {
        for name in list.split(',').map(|s| s.trim().to_ascii_lowercase()) {
            off |= match name.as_str() {
                "f64" => wgpu::Features::SHADER_F64,
                "i64" => wgpu::Features::SHADER_INT64,
                "subgroups" => wgpu::Features::SUBGROUP,
                "f16" => wgpu::Features::SHADER_F16,
                "timestamps" => wgpu::Features::TIMESTAMP_QUERY,
                "" => wgpu::Features::empty(),
                other => {
                    log::warn!("SWATH_GPU_DISABLE: unknown feature `{other}` ignored");
                    wgpu::Features::empty()
                }
            };
        }
    }
    off
}

fn create() -> Result<Gpu, String> {
    let instance =
        wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    let mut adapters = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()));
    if adapters.is_empty() {
        return Err("no GPU adapter found".into());
    }
    let all: Vec<String> = adapters.iter().map(|a| describe(&a.get_info())).collect();
    if let Ok(wanted) = std::env::var("SWATH_ADAPTER") {
        let wanted_lc = wanted.to_ascii_lowercase();
        adapters.retain(|a| a.get_info().name.to_ascii_lowercase().contains(&wanted_lc));
        if adapters.is_empty() {
            return Err(format!(
                "no GPU adapter matches SWATH_ADAPTER={wanted}; found: {}",
                all.join("; ")
            ));
        }
    }
    // Stable: among equals the enumeration order stands.
    adapters.sort_by_key(|a| {
        let info = a.get_info();
        (
            device_type_rank(info.device_type),
            backend_rank(info.backend),
        )
    });
    let mut last_error = String::new();
    for adapter in adapters {
        let info = adapter.get_info();
        match open(&instance, adapter, &all) {
            Ok(gpu) => return Ok(gpu),
            Err(e) => {
                log::warn!("GPU adapter {} unusable: {e}", describe(&info));
                last_error = format!("{}: {e}", describe(&info));
            }
        }
    }
    Err(format!("no usable GPU adapter ({last_error})"))
}

fn open(instance: &wgpu::Instance, adapter: wgpu::Adapter, all: &[String]) -> Result<Gpu, String> {
    let info = adapter.get_info();
    let wanted = wgpu::Features::SUBGROUP
        | wgpu::Features::SHADER_F64
        | wgpu::Features::SHADER_INT64
        | wgpu::Features::TIMESTAMP_QUERY
        | wgpu::Features::SHADER_F16;
    let features = adapter.features() & wanted & !disabled_features();
    let request = |limits: wgpu::Limits| {
        pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("swath"),
            required_features: features,
            required_limits: limits,
            experimental_features: wgpu::ExperimentalFeatures::disabled(),
            memory_hints: wgpu::MemoryHints::Performance,
            trace: wgpu::Trace::Off,
        }))
    };
    let (device, queue) = match request(adapter.limits()) {
        Ok(pair) => pair,
        Err(first) => {
            log::warn!(
                "request_device with the adapter's limits failed ({first}); retrying with defaults"
            );
            request(wgpu::Limits::default()).map_err(|e| e.to_string())?
        }
    };

    // wgpu's default handler panics; log instead and count, so the pass that caused it fails
    // and falls back to the CPU.
    let errors = Arc::new(AtomicU64::new(0));
    let counter = errors.clone();
    device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
        log::error!("GPU error: {e}");
        counter.fetch_add(1, Ordering::SeqCst);
    }));
    let lost = Arc::new(AtomicBool::new(false));
    let flag = lost.clone();
    device.set_device_lost_callback(move |reason, message| {
        log::error!("GPU device lost ({reason:?}): {message}");
        flag.store(true, Ordering::SeqCst);
    });

    let limits = device.limits();
    let enabled = device.features();
    let caps = Caps {
        f64: enabled.contains(wgpu::Features::SHADER_F64),
        i64: enabled.contains(wgpu::Features::SHADER_INT64),
        max_storage_buffers: limits.max_storage_buffers_per_shader_stage,
        max_workgroup_storage: limits.max_compute_workgroup_storage_size,
        max_invocations: limits
            .max_compute_invocations_per_workgroup
            .min(limits.max_compute_workgroup_size_x),
        max_binding_size: limits.max_storage_buffer_binding_size,
        max_buffer_size: limits.max_buffer_size,
    };
    let mut adapters = vec![describe(&info)];
    adapters.extend(all.iter().filter(|a| **a != describe(&info)).cloned());
    let gpu_info = GpuInfo {
        name: info.name.clone(),
        backend: format!("{:?}", info.backend),
        device_type: format!("{:?}", info.device_type),
        vendor: info.vendor,
        device: info.device,
        driver: info.driver.clone(),
        driver_info: info.driver_info.clone(),
        f64: caps.f64,
        i64: caps.i64,
        f16: enabled.contains(wgpu::Features::SHADER_F16),
        subgroups: enabled.contains(wgpu::Features::SUBGROUP),
        timestamps: enabled.contains(wgpu::Features::TIMESTAMP_QUERY),
        max_storage_buffer_binding_size: limits.max_storage_buffer_binding_size,
        max_buffer_size: limits.max_buffer_size,
        adapters,
    };
    log::info!("GPU: {}", describe(&info));
    let max_binding_env = match std::env::var("SWATH_GPU_MAX_BINDING") {
        Ok(text) => match parse_bytes(&text) {
            Some(bytes) => Some(bytes),
            None => {
                log::warn!("SWATH_GPU_MAX_BINDING={text} is not a byte count; ignored");
                None
            }
        },
        Err(_) => None,
    };
    Ok(Gpu {
        _instance: instance.clone(),
        _adapter: adapter,
        device,
        queue,
        info: gpu_info,
        caps,
        pipelines: Mutex::new(HashMap::new()),
        pool: Mutex::new(Pool::default()),
        errors,
        lost,
        offset_alignment: u64::from(limits.min_storage_buffer_offset_alignment.max(4)),
        max_binding_env,
        exclusive: (info.backend == wgpu::Backend::Gl).then(|| Mutex::new(())),
    })
}

/// A byte count: digits with an optional `k`, `m` or `g` (binary) suffix, e.g. `4096`, `64k`.
fn parse_bytes(text: &str) -> Option<u64> {
    let t = text.trim().to_ascii_lowercase();
    let t = t
        .strip_suffix("ib")
        .or_else(|| t.strip_suffix('b'))
        .unwrap_or(&t);
    let (digits, shift) = match t.chars().last()? {
        'k' => (&t[..t.len() - 1], 10),
        'm' => (&t[..t.len() - 1], 20),
        'g' => (&t[..t.len() - 1], 30),
        _ => (t, 0),
    };
    digits.trim().parse::<u64>().ok()?.checked_mul(1 << shift)
}

#[cfg(test)]
mod tests {
    #[test]
    fn byte_counts_parse() {
        use super::parse_bytes;
        assert_eq!(parse_bytes("4096"), Some(4096));
        assert_eq!(parse_bytes("64k"), Some(65536));
        assert_eq!(parse_bytes("2MiB"), Some(2 << 20));
        assert_eq!(parse_bytes("1g"), Some(1 << 30));
        assert_eq!(parse_bytes("x"), None);
        assert_eq!(parse_bytes(""), None);
    }
}

/// The examples of this file's items, run as unit tests: the items are crate-private, so
/// a doctest could not reach them.
#[cfg(test)]
mod examples {
    #[test]
    fn pipeline_example() {
        use crate::gpu::context::{self, Pipeline};
        use std::sync::Arc;
        if let Ok(gpu) = context::get() {
            let device = &gpu.device;
            let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: None,
                source: wgpu::ShaderSource::Wgsl("@compute @workgroup_size(1) fn main() {}".into()),
            });
            let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: None,
                entries: &[],
            });
            let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: None,
                bind_group_layouts: &[Some(&layout)],
                immediate_size: 0,
            });
            let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: None,
                layout: Some(&pipeline_layout),
                module: &module,
                entry_point: Some("main"),
                compilation_options: Default::default(),
                cache: None,
            });
            let noop = Arc::new(Pipeline { pipeline, layout });
            gpu.cache_pipeline("noop".to_string(), noop.clone());
            assert!(Arc::ptr_eq(&gpu.cached_pipeline("noop").unwrap(), &noop));
            assert_eq!(gpu.error_count(), 0); // the device accepted it
        }
    }

    #[test]
    fn gpu_example() {
        if let Ok(gpu) = crate::gpu::context::get() {
            assert_eq!(gpu.info.f64, gpu.caps.f64);
            assert!(gpu.offset_alignment >= 4 && gpu.offset_alignment.is_power_of_two());
            assert!(!gpu.is_lost());
        }
    }

    #[test]
    fn poll_timeout_example() {
        assert_eq!(crate::gpu::context::POLL_TIMEOUT.as_secs(), 60);
    }

    #[test]
    fn error_count_example() {
        if let Ok(gpu) = crate::gpu::context::get() {
            assert_eq!(gpu.error_count(), 0); // nothing has gone wrong in this process
        }
    }

    #[test]
    fn is_lost_example() {
        if let Ok(gpu) = crate::gpu::context::get() {
            assert_eq!(gpu.is_lost(), !crate::gpu::available());
        }
    }

    #[test]
    fn max_binding_example() {
        if let Ok(gpu) = crate::gpu::context::get() {
            let limit = gpu.max_binding();
            assert!(limit > 0 && limit <= gpu.caps.max_binding_size);
        }
    }

    #[test]
    fn cached_pipeline_example() -> crate::Result<()> {
        use crate::prelude::*;
        if let Ok(gpu) = crate::gpu::context::get() {
            let df = Frame::new([("x", Column::from(vec![1.0f32, 2.0]))])?;
            // The context, and its cache, are shared by the tests of this process: another
            // test may have compiled this shader first.
            let exprs = [(col("x") * lit(3.0)).alias("y")];
            let schema = |name: &str| (name == "x").then_some(DType::F32);
            let plan = crate::plan::lower(&exprs, 2, &schema, &|| "x".to_string())?;
            let wgsl = crate::gpu::wgsl(&plan.kernels[0]).expect("f32 runs everywhere");
            crate::gpu::reset_thread_stats();
            df.select_with(exprs, &ExecOptions::new().backend(Backend::Gpu))?;
            if crate::gpu::thread_stats().gpu_passes == 1 {
                assert!(gpu.cached_pipeline(&wgsl).is_some());
            }
        }
        Ok::<(), crate::Error>(())
    }

    #[test]
    fn cache_pipeline_example() {
        use crate::gpu::context::{self, Pipeline};
        use std::sync::Arc;
        if let Ok(gpu) = context::get() {
            let device = &gpu.device;
            let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: None,
                source: wgpu::ShaderSource::Wgsl("@compute @workgroup_size(1) fn main() {}".into()),
            });
            let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: None,
                entries: &[],
            });
            let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: None,
                bind_group_layouts: &[Some(&layout)],
                immediate_size: 0,
            });
            let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: None,
                layout: Some(&pipeline_layout),
                module: &module,
                entry_point: Some("main"),
                compilation_options: Default::default(),
                cache: None,
            });
            let noop = Arc::new(Pipeline { pipeline, layout });
            let before = gpu.cached_pipelines();
            gpu.cache_pipeline("noop".to_string(), noop.clone());
            assert_eq!(gpu.cached_pipelines(), before + 1);
            assert!(Arc::ptr_eq(&gpu.cached_pipeline("noop").unwrap(), &noop));
        }
    }

    #[test]
    fn cached_pipelines_example() -> crate::Result<()> {
        use crate::prelude::*;
        if let Ok(gpu) = crate::gpu::context::get() {
            let df = Frame::new([("x", Column::from(vec![1.0f32, 2.0]))])?;
            let forced = ExecOptions::new().backend(Backend::Gpu);
            crate::gpu::reset_thread_stats();
            df.select_with([col("x").sum()], &forced)?;
            let after_one = gpu.cached_pipelines();
            df.select_with([col("x").sum()], &forced)?; // the same shader again: no new one
            assert_eq!(gpu.cached_pipelines(), after_one);
            if crate::gpu::thread_stats().gpu_passes == 2 {
                assert!(after_one >= 1);
            }
        }
        Ok::<(), crate::Error>(())
    }

    #[test]
    fn exclusive_example() {
        if let Ok(gpu) = crate::gpu::context::get() {
            let guard = gpu.exclusive();
            assert_eq!(guard.is_some(), gpu.info.backend == "Gl");
        }
    }

    #[test]
    fn lock_example() {
        use crate::gpu::context::lock;
        use std::sync::{Arc, Mutex};
        let m = Arc::new(Mutex::new(5));
        let m2 = m.clone();
        let _ = std::thread::spawn(move || {
            let _held = m2.lock().unwrap();
            panic!("poisons the lock");
        })
        .join();
        assert!(m.is_poisoned());
        *lock(&m) += 1; // still usable
        assert_eq!(*lock(&m), 6);
    }

    #[test]
    fn get_example() {
        match crate::gpu::context::get() {
            Ok(gpu) => println!("{} ({})", gpu.info.name, gpu.info.backend),
            Err(why) => println!("no GPU: {why}"),
        }
        assert_eq!(
            crate::gpu::context::get().is_ok(),
            crate::gpu::adapter_info().is_some()
        );
    }
}
