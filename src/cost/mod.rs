//! The cost model: estimated time of one pass on each way swath can run it, from what the pass
//! does per row ([`Work`]) and constants measured on this machine ([`Calibration`]).
//!
//! time = fixed overhead + max(bytes moved / bandwidth, ops / rate) on the CPU, where a
//! streaming pass overlaps the two (adding them double-counted and sent mid-sized passes to
//! the pool); the GPU adds its transfers, which do not overlap the pass.

mod choose;

use serde::{Deserialize, Serialize};

pub use crate::backend::Way;
pub(crate) use choose::cpu_threads_for;
pub use choose::{Situation, choose, choose_explained, decide, us};

pub use crate::cpu::CpuCosts;
pub use crate::gpu::GpuCosts;
pub use crate::plan::Work;

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
            compiled_op_ns: 0.0,
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
            compiled_op_ns: 0.0,
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
