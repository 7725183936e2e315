//! Short probes that measure the cost model's constants with swath's own kernels, so the
//! model describes what swath really does on this machine. The whole run is well under a
//! second (most of it generating 64 MiB of random input).

use std::time::{Duration, Instant};

use crate::backend::KernelOutput;
use crate::column::Column;
use crate::cost::{Calibration, CpuCosts, GpuCosts, Work, fingerprint};
use crate::cpu::{self, CHUNK, Schedule};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::expr::{Expr, col};
use crate::options::{Backend, ExecOptions};
use crate::plan::ir::Kernel;

/// A debug build's kernels are tens of times slower and only tests use its figures: probe
/// with less data there so the test suite's first select does not wait seconds.
const SCALE: usize = if cfg!(debug_assertions) { 16 } else { 1 };
/// Rows of the bandwidth probe: 64 MiB of f32, larger than most last-level caches.
const STREAM_ROWS: usize = (16 << 20) / SCALE;
/// Rows of the compute probes: 1 MiB of f32, in cache, so they time arithmetic, not memory.
const COMPUTE_ROWS: usize = (256 << 10) / SCALE;

/// Runs every probe and returns the measured constants (the CPU's only: the GPU is
/// [`measure_gpu`]'s). Nothing is cached; [`calibration`](super::calibration) does that. The
/// probes run the CPU backend directly (`cpu::run_scheduled`), never through the execution
/// layer, which reads the calibration.
pub fn measure() -> Result<Calibration> {
    let options = ExecOptions::default();
    let threads = options.resolved_threads()?;
    let isa = options.resolved_isa()?;

    let tiny = probe(1);
    let call_ns = time_pass(&tiny, col("x").sum(), isa, 1, 301)?.1;

    // The pool's compute speedup, on a compute-bound pass of eight chunks per thread (one in
    // a debug build), enough that waking the workers is a small part: below `threads` where
    // threads share cores or clocks drop. On a 16-vCPU VM the model assumed 16x and sent
    // mid-sized maps to the pool at a third of the estimated speed. Timed before the
    // hand-off probe, whose pauses left the 2-vCPU dev VM running both threads on one core
    // for the next milliseconds in most processes; the best of three tries.
    let per_thread = if cfg!(debug_assertions) { 1 } else { 8 };
    let wide = probe((per_thread * threads * CHUNK).min(16 << 20));
    let heavy = || col("x").sin().sum();
    let mut compute_times = Vec::new();
    for _ in 0..3 {
        let (_, serial) = time_pass(&wide, heavy(), isa, 1, 3)?;
        let (_, pooled) = time_pass(&wide, heavy(), isa, threads, 5)?;
        compute_times.push((serial, pooled));
    }

    // Streaming, also before the hand-off probe (after it, one sweep calibrated the pool at
    // 24.7 GB/s where it streams 36-38). A plain sum is memory-bound: its time is the
    // streaming rate (the model takes the larger of memory and arithmetic, so nothing is
    // subtracted).
    let stream = probe(STREAM_ROWS);
    let bytes = (STREAM_ROWS * 4) as f64;
    let (_, t1) = time_pass(&stream, col("x").sum(), isa, 1, 5)?;
    let (_, tp) = time_pass(&stream, col("x").sum(), isa, threads, 5)?;

    // The hand-off is timed with the pool's workers asleep (a pause before each run), as
    // they are when a pass follows other work: timed back to back, a worker still awake from
    // the previous run made it look ~10x cheaper than it is, and 2-chunk passes went to the
    // pool at 0.75x the calling thread's speed.
    // The probe has two chunks, so two threads run it, each one chunk: what is left of the
    // pooled time after half the serial work is the hand-off. (Subtracting 1/threads of it, as
    // until session 6, charged a 16-thread host's hand-off with 7/16 of the pass.)
    let small = probe(2 * CHUNK);
    let (_, small_serial) = time_pass(&small, col("x").sum(), isa, 1, 51)?;
    let (_, small_pool) = time_pass_after(&small, col("x").sum(), isa, threads, 31, PAUSE)?;
    let busy = threads.min(2) as f64;
    let pool_ns = (small_pool - call_ns - (small_serial - call_ns) / busy).max(0.0);

    let pool_compute_speedup = compute_times
        .iter()
        .map(|(serial, pooled)| {
            ((serial - call_ns) / (pooled - call_ns - pool_ns).max(1.0)).clamp(1.0, threads as f64)
        })
        .fold(1.0, f64::max);

    let compute = probe(COMPUTE_ROWS);
    // The evaluator's cheap ops, and the same kernel as compiled code (where the ISA allows;
    // elsewhere the two figures are the same measurement).
    let cheap = || (col("x") * col("x") + col("x")).sum();
    let (w, t) = crate::cpu::jit::with_interpreter(|| time_pass(&compute, cheap(), isa, 1, 21))?;
    let cheap_op_ns = ((t - call_ns) / w.rows / w.cheap_ops).max(1e-3);
    let (w, t) = time_pass(&compute, cheap(), isa, 1, 21)?;
    let compiled_op_ns = ((t - call_ns) / w.rows / w.cheap_ops).clamp(1e-3, cheap_op_ns);
    let (w, t) = time_pass(&compute, col("x").sin().sum(), isa, 1, 11)?;
    let heavy_op_ns =
        (((t - call_ns) / w.rows - w.cheap_ops * cheap_op_ns) / w.heavy_ops).max(1e-3);
    // Library calls: an f64 sin and an f64 exp per row (a slow one and a fast one).
    let x64 = || col("x").cast(crate::DType::F64);
    let (w, t) = time_pass(&compute, (x64().sin() + x64().exp()).sum(), isa, 1, 11)?;
    let libm_op_ns =
        (((t - call_ns) / w.rows - w.cheap_ops * cheap_op_ns) / w.libm_ops).max(heavy_op_ns);

    let read_bytes_per_ns = bytes / (t1 - call_ns).max(1.0);
    let pool_read_bytes_per_ns = bytes / (tp - call_ns - pool_ns).max(1.0);

    // The calling core's cache: a sum over half of it, repeated, reads from cache.
    let cache_bytes = l2_bytes();
    let cached = probe((cache_bytes / 8.0) as usize);
    let (w, tc) = time_pass(&cached, col("x").sum(), isa, 1, 51)?;
    let cached_read_bytes_per_ns =
        (w.rows * w.bytes_in / (tc - call_ns).max(1.0)).max(read_bytes_per_ns);

    Ok(Calibration {
        fingerprint: fingerprint(),
        gpu: None,
        gpu_probed: false,
        cpu: CpuCosts {
            call_ns,
            pool_ns,
            threads,
            read_bytes_per_ns,
            pool_read_bytes_per_ns: pool_read_bytes_per_ns.max(read_bytes_per_ns),
            cached_read_bytes_per_ns,
            cache_bytes,
            cheap_op_ns,
            compiled_op_ns,
            heavy_op_ns,
            libm_op_ns,
            pool_compute_speedup,
        },
    })
}

/// Bytes of one core's L2 cache (Linux sysfs), 1 MiB where it cannot be read.
fn l2_bytes() -> f64 {
    let text = std::fs::read_to_string("/sys/devices/system/cpu/cpu0/cache/index2/size");
    let parsed = text.ok().and_then(|t| {
        let t = t.trim();
        let (digits, scale) = match t.strip_suffix('K') {
            Some(d) => (d, 1024.0),
            None => match t.strip_suffix('M') {
                Some(d) => (d, 1024.0 * 1024.0),
                None => (t, 1.0),
            },
        };
        digits.parse::<f64>().ok().map(|v| v * scale)
    });
    parsed
        .filter(|b| *b >= 64.0 * 1024.0)
        .unwrap_or(1024.0 * 1024.0)
}

/// One f32 column `x` of pseudo-random values in [-1, 1): the probes' input.
struct Probe {
    x: Column,
    rows: usize,
}

impl Probe {
    /// The single pass of `expr` over `x`.
    fn kernel(&self, expr: Expr) -> Result<Kernel> {
        let schema = |name: &str| (name == "x").then_some(DType::F32);
        let plan = crate::plan::lower(&[expr], self.rows, &schema, &|| "x".to_string())?;
        plan.kernels
            .into_iter()
            .next()
            .ok_or_else(|| Error::Internal("calibration probe has no pass".into()))
    }

    /// `expr`'s pass run on the GPU (it must have one pass reading `x`).
    fn on_gpu(&self, expr: Expr, options: &ExecOptions) -> Result<KernelOutput> {
        let kernel = self.kernel(expr)?;
        crate::gpu::run_kernel(&kernel, &[&self.x], &[], options)
    }
}

/// A probe of `rows` rows.
fn probe(rows: usize) -> Probe {
    let mut state = 0x5EED_u64;
    let values: Vec<f32> = (0..rows)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect();
    Probe {
        x: Column::from(values),
        rows,
    }
}

/// The work of `expr`'s single pass over the probe and its fastest time in ns: the minimum,
/// not the median, because other work on the machine only ever adds time.
fn time_pass(
    probe: &Probe,
    expr: Expr,
    isa: crate::Isa,
    threads: usize,
    reps: usize,
) -> Result<(Work, f64)> {
    time_pass_after(probe, expr, isa, threads, reps, Duration::ZERO)
}

/// How long the pool's workers are left idle before a hand-off is timed: long enough for
/// rayon's to stop spinning and sleep.
const PAUSE: Duration = Duration::from_millis(1);

/// [`time_pass`], sleeping `pause` before each run.
fn time_pass_after(
    probe: &Probe,
    expr: Expr,
    isa: crate::Isa,
    threads: usize,
    reps: usize,
    pause: Duration,
) -> Result<(Work, f64)> {
    let kernel = &probe.kernel(expr)?;
    let columns: Vec<&Column> = kernel.inputs.iter().map(|_| &probe.x).collect();
    let schedule = Schedule {
        isa,
        threads,
        chunks: kernel.rows.div_ceil(CHUNK),
    };
    let mut times = Vec::with_capacity(reps);
    for _ in 0..reps + 1 {
        if !pause.is_zero() {
            std::thread::sleep(pause);
        }
        let start = Instant::now();
        cpu::run_scheduled(kernel, &columns, &[], &schedule)?;
        times.push(start.elapsed().as_nanos() as f64);
    }
    times.remove(0); // warm-up
    let fastest = times.iter().copied().fold(f64::INFINITY, f64::min);
    Ok((Work::of(kernel), fastest))
}

/// Rows of the GPU probes: 16 MiB of f32, enough to see bandwidth past the round trip.
const GPU_ROWS: usize = (4 << 20) / SCALE;

/// Measures the GPU's constants; `None` without a usable GPU.
pub fn measure_gpu() -> Result<Option<GpuCosts>> {
    let Some(info) = crate::gpu::adapter_info() else {
        return Ok(None);
    };
    let gpu = ExecOptions::new().backend(Backend::Gpu);
    // The fastest of `reps` runs of `f`, in ns.
    let fastest = |reps: usize, f: &mut dyn FnMut() -> Result<()>| -> Result<f64> {
        f()?;
        let mut best = f64::INFINITY;
        for _ in 0..reps {
            let start = Instant::now();
            f()?;
            best = best.min(start.elapsed().as_nanos() as f64);
        }
        Ok(best)
    };
    // Planned inside the timing, as a select plans its pass.
    let select = |probe: &Probe, e: Expr| probe.on_gpu(e, &gpu).map(drop);

    let tiny = probe(1);
    // Back to back, for taking the fixed cost out of the timings below.
    let warm_roundtrip = fastest(11, &mut || select(&tiny, col("x").sum()))?;
    // The model's fixed cost: the median after a pause, as a pass that follows other work
    // finds the GPU (an idle discrete GPU lowers its clocks; on the H200 passes timed between
    // CPU work took ~1.5x their back-to-back time).
    let mut cold = Vec::with_capacity(11);
    for _ in 0..11 {
        std::thread::sleep(PAUSE);
        let start = Instant::now();
        select(&tiny, col("x").sum())?;
        cold.push(start.elapsed().as_nanos() as f64);
    }
    cold.sort_by(f64::total_cmp);
    let roundtrip_ns = cold[cold.len() / 2].max(warm_roundtrip);
    let big = probe(GPU_ROWS);
    let rows = GPU_ROWS as f64;
    let bytes = rows * 4.0;
    // Resident: the same columns again (a GPU that keeps inputs moves nothing the second time).
    let resident = fastest(5, &mut || select(&big, col("x").sum()))?;
    // The upload itself, timed on its own: a fresh column every run, until its copy is done.
    // (Timing a pass over host data and subtracting the resident pass left the upload inside
    // the noise where the pass is slow, and read it as free.)
    let host_values = big.x.to_vec::<f32>()?;
    let mut upload_ns = f64::INFINITY;
    for _ in 0..5 {
        let fresh = Column::from(host_values.clone());
        let start = Instant::now();
        fresh.upload()?;
        crate::gpu::synchronize()?;
        upload_ns = upload_ns.min(start.elapsed().as_nanos() as f64);
    }
    let read_bytes_per_ns = bytes / (resident - warm_roundtrip).max(1.0);
    let upload_bytes_per_ns = bytes / upload_ns.max(1.0);
    // The read-back, timed on its own too: a map over resident data leaves its result on the
    // device, and reading it is the download.
    let mut download_ns = f64::INFINITY;
    for _ in 0..3 {
        let out = big.on_gpu(col("x") * 2.0, &gpu)?;
        let y = out
            .stores
            .first()
            .ok_or_else(|| Error::Internal("the map probe stores nothing".into()))?;
        crate::gpu::synchronize()?;
        let start = Instant::now();
        y.as_slice::<f32>()?;
        download_ns = download_ns.min(start.elapsed().as_nanos() as f64);
    }
    let download_bytes_per_ns = bytes / download_ns.max(1.0);
    // Arithmetic: chains long enough that the pass is compute-bound (one op per element
    // hides behind the memory read, which measured ~0 and made loop kernels look free).
    let cheap = fastest(3, &mut || select(&big, cheap_chain().sum()))?;
    let cheap_op_ns = ((cheap - resident) / rows / CHEAP_CHAIN as f64).max(1e-4);
    // One timed run after the warm-up: a software adapter takes ~7 ns per sine. (Fewer rows
    // would be quicker but measure another thing: lavapipe spreads small dispatches over
    // fewer threads, 12 ns per sine at 512K rows.)
    let heavy = fastest(1, &mut || select(&big, heavy_chain().sum()))?;
    let heavy_op_ns = ((heavy - resident) / rows / HEAVY_CHAIN as f64).max(1e-4);
    Ok(Some(GpuCosts {
        adapter: gpu_identity(&info),
        software: info.is_software(),
        roundtrip_ns,
        upload_bytes_per_ns,
        download_bytes_per_ns,
        read_bytes_per_ns,
        cheap_op_ns,
        heavy_op_ns,
    }))
}

/// Multiply-adds in [`cheap_chain`].
const CHEAP_CHAIN: usize = 64;
/// Sines in [`heavy_chain`].
const HEAVY_CHAIN: usize = 2;

/// A Horner polynomial in `x` of `CHEAP_CHAIN / 2` steps: `CHEAP_CHAIN` dependent cheap ops
/// per row, with distinct coefficients so nothing folds or is shared.
fn cheap_chain() -> Expr {
    (0..CHEAP_CHAIN / 2).fold(col("x"), |acc, i| {
        acc * col("x") + crate::expr::lit(1.0 / (i as f64 + 2.0))
    })
}

/// `sin` applied `HEAVY_CHAIN` times: transcendental ops that no cache can hide.
fn heavy_chain() -> Expr {
    (0..HEAVY_CHAIN).fold(col("x"), |acc, _| acc.sin())
}

/// What identifies a GPU's figures: adapter, backend and driver.
pub fn gpu_identity(info: &crate::gpu::GpuInfo) -> String {
    format!(
        "{} ({}, {}, {} {})",
        info.name, info.backend, info.device_type, info.driver, info.driver_info
    )
}

/// The examples of this file's items, run as unit tests: the items are crate-private, so
/// a doctest could not reach them.
#[cfg(test)]
mod examples {
    #[test]
    fn measure_example() -> crate::Result<()> {
        let c = crate::calibrate::measure()?;
        assert_eq!(c.fingerprint, crate::cost::fingerprint());
        assert!(c.cpu.read_bytes_per_ns > 0.0 && c.cpu.cheap_op_ns > 0.0);
        assert!(c.gpu.is_none() && !c.gpu_probed);
        Ok::<(), crate::Error>(())
    }

    #[test]
    fn measure_gpu_example() -> crate::Result<()> {
        match crate::calibrate::measure_gpu()? {
            Some(gpu) => {
                assert!(gpu.roundtrip_ns > 0.0);
                // Transfers are timed, never inferred as free: no bus moves 10 TB/s.
                assert!(gpu.upload_bytes_per_ns < 1e4 && gpu.download_bytes_per_ns < 1e4);
                assert_eq!(
                    gpu.software,
                    crate::gpu::adapter_info().unwrap().is_software()
                );
            }
            None => assert!(crate::gpu::adapter_info().is_none()),
        }
        Ok::<(), crate::Error>(())
    }
}
