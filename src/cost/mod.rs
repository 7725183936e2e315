//! The cost model: estimated time of one pass on each way swath can run it, from what the pass
//! does per row ([`Work`]) and constants measured on this machine ([`Calibration`]).
//!
//! time = fixed overhead + max(bytes moved / bandwidth, ops / rate) on the CPU, where a
//! streaming pass overlaps the two (adding them double-counted and sent mid-sized passes to
//! the pool); the GPU adds its transfers, which do not overlap the pass.

mod choose;

use serde::{Deserialize, Serialize};

pub(crate) use choose::cpu_threads_for;
pub use choose::{Situation, Way, choose, choose_explained, decide, us};

use crate::ops::CostClass;
use crate::plan::ir::{Instr, Kernel};

/// The calibrated constants a choice reads: the CPU's, and the GPU's on demand (asking may
/// start the GPU and measure it, so the chooser asks only when the GPU's estimate could
/// matter). `crate::calibrate::costs` gives this machine's; tests may give their own.
#[derive(Clone, Copy)]
pub struct Costs {
    /// The CPU's constants.
    pub cpu: &'static CpuCosts,
    /// The GPU's constants, when a GPU is present (measured on first use).
    pub gpu: fn() -> crate::error::Result<Option<&'static GpuCosts>>,
}

/// What one pass does per row, independent of the backend.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Work {
    /// Rows the pass runs over.
    pub rows: f64,
    /// Bytes of input columns read per row.
    pub bytes_in: f64,
    /// Bytes of output columns written per row.
    pub bytes_out: f64,
    /// Cheap ops per row (arithmetic, comparisons, casts, selects, reduction steps).
    pub cheap_ops: f64,
    /// Vectorized transcendental ops per row: f32 exp, ln, sin and cos (swath's own
    /// polynomials, several per instruction on the CPU).
    pub heavy_ops: f64,
    /// Transcendental ops per row that the CPU computes by a library call per element: every
    /// f64 one, the other f32 ones (tan, pow, cbrt ...). An f64 sin costs ~10x an f32 one;
    /// counted with the f32 ones, the Black-Scholes example's f64 pass was estimated 10x too
    /// fast.
    pub libm_ops: f64,
}

impl Work {
    /// Counts `times` ops of cost class `class`.
    fn add(&mut self, class: CostClass, times: f64) {
        match class {
            CostClass::Cheap => self.cheap_ops += times,
            CostClass::Sqrt => self.cheap_ops += 2.0 * times,
            CostClass::Vector => self.heavy_ops += times,
            CostClass::Libm => self.libm_ops += times,
        }
    }

    /// The work of `kernel`: each column it loads counts once; ops in a loop body count
    /// `max_iter` times (the worst case).
    pub fn of(kernel: &Kernel) -> Work {
        let program = &kernel.program;
        let mut w = Work {
            rows: kernel.rows as f64,
            ..Work::default()
        };
        let mut loaded = Vec::new();
        // Ops in a loop body count once per step, and a row may take up to `max_iter` steps:
        // the estimate assumes the worst, which errs towards parallel backends for loops.
        let mut repeats: Vec<(usize, f64)> = Vec::new();
        for (id, instr) in program.instrs().iter().enumerate() {
            while repeats.last().is_some_and(|&(end, _)| id > end) {
                repeats.pop();
            }
            let times = repeats.last().map_or(1.0, |&(_, t)| t);
            match instr {
                // A column loaded again after a loop is still read from memory once.
                Instr::Load(k) if !loaded.contains(k) => {
                    loaded.push(*k);
                    w.bytes_in += program.dtype(id).size_of() as f64;
                }
                // Each op's class comes from its row of the op table (ops/table.rs): sqrt is
                // a vector instruction, f32 exp, ln, sin and cos are vectorized polynomials,
                // the other math functions are library calls.
                Instr::Unary(op, a) => w.add(op.cost_class(program.dtype(*a)), times),
                Instr::Binary(op, a, _) => w.add(op.cost_class(program.dtype(*a)), times),
                Instr::Select(..) | Instr::Cast(..) | Instr::RowIndex => w.cheap_ops += times,
                Instr::LoopBegin => {
                    if let Some(end) = program.loop_end(id)
                        && let Some(Instr::LoopEnd { max_iter, .. }) = program.instrs().get(end)
                    {
                        repeats.push((end, times * f64::from((*max_iter).max(1))));
                    }
                }
                Instr::LoopEnd { updates, .. } => {
                    // The step itself: a compare, a count and a masked copy per state.
                    w.cheap_ops += (2 + updates.len()) as f64 * times
                }
                _ => {}
            }
        }
        for &s in &kernel.stores {
            w.bytes_out += program.dtype(s).size_of() as f64;
        }
        w.cheap_ops += kernel.reductions.len() as f64;
        w
    }
}

/// Constants of the CPU backend measured on this machine.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CpuCosts {
    /// Fixed cost of running a pass on the calling thread, ns.
    pub call_ns: f64,
    /// Extra fixed cost of handing a pass to the pool and waiting for it, ns.
    pub pool_ns: f64,
    /// Threads in the pool the figures below were measured with.
    pub threads: usize,
    /// Bytes per ns one thread streams through a pass.
    pub read_bytes_per_ns: f64,
    /// Bytes per ns the whole pool streams.
    pub pool_read_bytes_per_ns: f64,
    /// Bytes per ns one thread reads from its own cache, for passes whose data fits it.
    #[serde(default)]
    pub cached_read_bytes_per_ns: f64,
    /// Bytes of data that fit the calling core's cache (its L2).
    #[serde(default)]
    pub cache_bytes: f64,
    /// ns per element of one cheap op on one thread.
    pub cheap_op_ns: f64,
    /// ns per element of one vectorized transcendental op ([`Work::heavy_ops`]) on one thread.
    pub heavy_op_ns: f64,
    /// ns per element of one transcendental computed by a library call ([`Work::libm_ops`])
    /// on one thread (0: not measured, taken as `heavy_op_ns`).
    #[serde(default)]
    pub libm_op_ns: f64,
    /// How many times faster the whole pool computes than one thread: below `threads` where
    /// threads share cores (SMT) or clocks drop as more cores work (0: not measured, taken
    /// as `threads`).
    #[serde(default)]
    pub pool_compute_speedup: f64,
}

impl CpuCosts {
    fn compute_ns(&self, w: &Work) -> f64 {
        let libm_op_ns = if self.libm_op_ns > 0.0 {
            self.libm_op_ns
        } else {
            self.heavy_op_ns
        };
        w.rows
            * (w.cheap_ops * self.cheap_op_ns
                + w.heavy_ops * self.heavy_op_ns
                + w.libm_ops * libm_op_ns)
    }

    /// Estimated ns on the calling thread.
    pub fn serial_ns(&self, w: &Work) -> f64 {
        // A streaming pass overlaps memory and arithmetic: it takes the longer of the two.
        // Data that fits the calling core's cache (the usual case for mid-sized inputs it has
        // just written or read) streams at cache speed; the pool's threads must fetch it.
        let bytes = w.rows * (w.bytes_in + w.bytes_out);
        let bw = if bytes <= self.cache_bytes {
            self.cached_read_bytes_per_ns.max(self.read_bytes_per_ns)
        } else {
            self.read_bytes_per_ns
        };
        self.call_ns + (bytes / bw).max(self.compute_ns(w))
    }

    /// Estimated ns on a pool of `threads` threads.
    pub fn pool_ns(&self, w: &Work, threads: usize) -> f64 {
        let threads = threads.max(1) as f64;
        let chunks = (w.rows / crate::cpu::CHUNK as f64).ceil().max(1.0);
        // Only threads with a chunk to run are busy. Each streams at up to one thread's rate,
        // and together they cannot pass what the whole pool measured. (Until session 6 the
        // pool's figure was scaled by requested/calibrated threads and every requested thread
        // was charged a share: a 2-chunk pass on a 16-thread host got 2/16 of the pool's
        // bandwidth where it gets two threads' worth, and `auto` kept such passes on the
        // calling thread at 1.3x the pool's time.)
        let busy = threads.min(chunks);
        let bw = (self.read_bytes_per_ns * busy)
            .min(self.pool_read_bytes_per_ns)
            .max(self.read_bytes_per_ns);
        // Compute splits over the threads, but only in whole chunks: the busiest thread's share
        // of the rows is whole chunks, the last one partial (at 102,400 rows on two threads
        // one thread takes 65,536 of them, not half). It streams at its share of `bw`.
        let chunk = crate::cpu::CHUNK as f64;
        let busiest = ((chunks / threads).ceil() * chunk).min(w.rows) / w.rows.max(1.0);
        let memory = busiest * busy * w.rows * (w.bytes_in + w.bytes_out) / bw;
        // Each busy thread computes at one thread's speed until more threads are busy than
        // the measured speedup allows (shared cores, lower clocks); then they slow alike.
        let speedup = if self.pool_compute_speedup > 0.0 {
            self.pool_compute_speedup
        } else {
            threads
        };
        let slowdown = (threads.min(chunks) / speedup).max(1.0);
        self.call_ns + self.pool_ns + memory.max(busiest * slowdown * self.compute_ns(w))
    }
}

/// Constants of the GPU backend measured on this machine's adapter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GpuCosts {
    /// The adapter and driver measured; figures for another adapter are not used.
    pub adapter: String,
    /// A software adapter (lavapipe, llvmpipe, WARP), which runs on the CPU's own cores. It
    /// is chosen like any other, by its measured figures: on the dev VM only for per-row
    /// loops, where its compiled shader beats the CPU's interpreter.
    pub software: bool,
    /// Submit, wait and read back a tiny pass, ns.
    pub roundtrip_ns: f64,
    /// Host-to-device bytes per ns (for inputs not already on the device).
    pub upload_bytes_per_ns: f64,
    /// Device-to-host bytes per ns (for output columns).
    pub download_bytes_per_ns: f64,
    /// Bytes per ns a pass streams from device memory.
    pub read_bytes_per_ns: f64,
    /// ns per element of one cheap op.
    pub cheap_op_ns: f64,
    /// ns per element of one transcendental op.
    pub heavy_op_ns: f64,
}

impl GpuCosts {
    /// Estimated ns for a pass whose inputs have `resident` bytes per row already on the
    /// device. Results stay where their inputs live: a
    /// pass over inputs that are all on the device leaves its output columns there (the
    /// next pass of a chain reads them), so no read-back is counted; otherwise the output
    /// columns are counted as read back to the host.
    pub fn ns(&self, w: &Work, resident: f64) -> f64 {
        let upload = (w.bytes_in - resident).max(0.0);
        let chained = w.bytes_in > 0.0 && upload == 0.0;
        let download = if chained { 0.0 } else { w.bytes_out };
        self.roundtrip_ns
            + w.rows * upload / self.upload_bytes_per_ns
            + w.rows * download / self.download_bytes_per_ns
            + w.rows * (w.bytes_in + w.bytes_out) / self.read_bytes_per_ns
            // On a GPU every f32 transcendental is a native instruction or a short polynomial
            // (f64 ones it cannot run at all: the chooser checks before it picks the GPU).
            + w.rows
                * (w.cheap_ops * self.cheap_op_ns
                    + (w.heavy_ops + w.libm_ops) * self.heavy_op_ns)
    }
}

/// Everything the chooser knows about this machine: loaded from the cache, measured on first
/// use, or built by hand to see what the chooser would do elsewhere.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// What the figures were measured on; a cache with another fingerprint is not used.
    pub fingerprint: String,
    /// The CPU's figures.
    pub cpu: CpuCosts,
    /// The GPU's figures, measured the first time a pass could go to a GPU (`None` until
    /// then, or without a GPU).
    #[serde(default)]
    pub gpu: Option<GpuCosts>,
    /// Whether the GPU was looked for: with `gpu` `None` it means there is none.
    #[serde(default)]
    pub gpu_probed: bool,
}

/// Identifies this machine and build: CPU model, cores, ISA, swath's version and a hash of its
/// sources (a rebuilt kernel may run at another speed).
pub fn fingerprint() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let isa = crate::isa::Isa::detect();
    // A debug build runs kernels many times slower: its figures must not leak into release.
    let build = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    // The sources' hash (build.rs): a rebuilt kernel may run at another speed, so a cache
    // measured by other code is measured again.
    format!(
        "swath {} {build} {}; cpu {model}; {cores} cores; {isa}",
        env!("CARGO_PKG_VERSION"),
        env!("SWATH_SOURCE_HASH")
    )
}

/// The examples of this file's items, run as unit tests: the items are crate-private, so
/// a doctest could not reach them.
#[cfg(test)]
mod examples {
    #[test]
    fn costs_example() -> crate::Result<()> {
        use crate::cost::{Costs, choose};
        use crate::prelude::*;
        let costs: Costs = crate::calibrate::costs()?;
        assert!(costs.cpu.read_bytes_per_ns > 0.0);
        let schema = |name: &str| (name == "x").then_some(DType::F32);
        let plan = crate::plan::lower(&[col("x").sum()], 10, &schema, &|| "x".to_string())?;
        assert!(choose(&plan.kernels[0], 0.0, &ExecOptions::new(), &costs).is_ok());
        Ok::<(), crate::Error>(())
    }

    #[test]
    fn work_example() -> crate::Result<()> {
        use crate::cost::Work;
        use crate::prelude::*;
        let schema = |name: &str| matches!(name, "a" | "b").then_some(DType::F32);
        let names = || "a, b".to_string();
        let plan = crate::plan::lower(&[(col("a") * col("b")).sin().sum()], 1000, &schema, &names)?;
        let w = Work::of(&plan.kernels[0]);
        assert_eq!((w.rows, w.bytes_in, w.bytes_out), (1000.0, 8.0, 0.0));
        assert_eq!(w.heavy_ops, 1.0); // the sin: f32 sin is a vectorized polynomial
        assert!(w.cheap_ops >= 2.0); // the multiply and the sum's step
        let f64s = |name: &str| (name == "x").then_some(DType::F64);
        let plan = crate::plan::lower(&[col("x").sin().sum()], 1000, &f64s, &|| "x".into())?;
        let w = Work::of(&plan.kernels[0]);
        assert_eq!((w.heavy_ops, w.libm_ops), (0.0, 1.0)); // f64 sin: one library call per row
        Ok::<(), crate::Error>(())
    }

    #[test]
    fn cpu_costs_example() {
        use crate::cost::{CpuCosts, Work};
        let cpu = CpuCosts {
            call_ns: 300.0,
            pool_ns: 10_000.0,
            threads: 2,
            read_bytes_per_ns: 10.0,
            pool_read_bytes_per_ns: 18.0,
            cached_read_bytes_per_ns: 30.0,
            cache_bytes: 2.0 * 1024.0 * 1024.0,
            cheap_op_ns: 0.1,
            heavy_op_ns: 0.7,
            libm_op_ns: 7.0,
            pool_compute_speedup: 2.0,
        };
        let sum = |rows: f64| Work {
            rows,
            bytes_in: 4.0,
            cheap_ops: 1.0,
            ..Work::default()
        };
        // 1,000 rows: the pool's hand-off costs more than the whole pass.
        assert!(cpu.serial_ns(&sum(1e3)) < cpu.pool_ns(&sum(1e3), 2));
        // 64M rows: two threads stream faster than one.
        assert!(cpu.pool_ns(&sum(64e6), 2) < cpu.serial_ns(&sum(64e6)));
    }

    #[test]
    fn gpu_costs_example() {
        use crate::cost::{GpuCosts, Work};
        let gpu = GpuCosts {
            adapter: "a discrete GPU".into(),
            software: false,
            roundtrip_ns: 50_000.0,
            upload_bytes_per_ns: 20.0,
            download_bytes_per_ns: 20.0,
            read_bytes_per_ns: 2000.0,
            cheap_op_ns: 0.001,
            heavy_op_ns: 0.004,
        };
        let sum = Work {
            rows: 64e6,
            bytes_in: 4.0,
            cheap_ops: 1.0,
            ..Work::default()
        };
        // Data already on the device skips the upload, which dominates from the host.
        assert!(gpu.ns(&sum, 4.0) * 5.0 < gpu.ns(&sum, 0.0));
    }

    #[test]
    fn calibration_example() {
        use crate::cost::{Calibration, CpuCosts};
        let cpu = CpuCosts {
            call_ns: 300.0,
            pool_ns: 10_000.0,
            threads: 2,
            read_bytes_per_ns: 10.0,
            pool_read_bytes_per_ns: 18.0,
            cached_read_bytes_per_ns: 30.0,
            cache_bytes: 2097152.0,
            cheap_op_ns: 0.1,
            heavy_op_ns: 0.7,
            libm_op_ns: 7.0,
            pool_compute_speedup: 2.0,
        };
        // A machine that was looked at for a GPU and has none.
        let cal = Calibration {
            fingerprint: crate::cost::fingerprint(),
            cpu,
            gpu: None,
            gpu_probed: true,
        };
        let json = serde_json::to_string(&cal).unwrap();
        assert_eq!(serde_json::from_str::<Calibration>(&json).unwrap(), cal);
    }

    #[test]
    fn fingerprint_example() {
        let id = crate::cost::fingerprint();
        assert!(id.starts_with("swath ") && id.contains(" cores; "));
    }
}
