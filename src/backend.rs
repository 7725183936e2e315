//! What the backends have in common: the [`Engine`] trait each implements (estimate a pass,
//! say whether it can run it, run it) and the types a pass's result comes in. A layer below
//! the backends (ARCHITECTURE.md, "Layers"): the CPU and GPU backends both name it and
//! neither names the other.

use crate::column::Column;
use crate::dtype::Scalar;
use crate::error::Error;
use crate::plan::Work;
use crate::plan::ir::Kernel;

/// What a kernel produced: what the CPU's [`run_scheduled`](crate::cpu::run_scheduled) and
/// the GPU's [`run_kernel`](crate::gpu::run_kernel) return.
#[derive(Debug)]
pub struct KernelOutput {
    /// One full-length column per store of the kernel, in order.
    pub stores: Vec<Column>,
    /// One value per reduction of the kernel, in order (null where there is no value, as
    /// for `min` or `mean` over no rows).
    pub reductions: Vec<Scalar>,
}

/// The examples of this file's items, run as unit tests: the items are crate-private, so
/// a doctest could not reach them.
#[cfg(test)]
mod examples {
    #[test]
    fn kernel_output_example() -> crate::Result<()> {
        use crate::cpu::{CHUNK, Schedule, run_scheduled};
        use crate::prelude::*;
        let x = Column::from(vec![1.0f64, 2.0, 3.0]);
        let exprs = [
            (col("x") * lit(2.0)).alias("y"),
            col("x").max().alias("top"),
        ];
        let schema = |name: &str| (name == "x").then_some(DType::F64);
        let plan = crate::plan::lower(&exprs, 3, &schema, &|| "x".to_string())?;
        let schedule = Schedule {
            isa: Isa::Base,
            threads: 1,
            chunks: 3usize.div_ceil(CHUNK),
        };
        let out = run_scheduled(&plan.kernels[0], &[&x], &[], &schedule)?;
        assert_eq!(out.stores[0].to_vec::<f64>()?, [2.0, 4.0, 6.0]);
        assert_eq!(out.reductions, [Scalar::F64(3.0)]);
        Ok::<(), crate::Error>(())
    }
}

/// A way to run a pass: what [`Engine::way`] answers, what `ExecOptions::backend` forces and
/// what `explain` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// The CPU, on the calling thread.
    Cpu1,
    /// The CPU, on swath's pool.
    CpuPool,
    /// The GPU.
    Gpu,
}

impl std::fmt::Display for Way {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Way::Cpu1 => "calling thread",
            Way::CpuPool => "pool",
            Way::Gpu => "GPU",
        })
    }
}

/// What became of a pass handed to an [`Engine`].
#[derive(Debug)]
pub enum Outcome {
    /// It ran: its stores and reductions.
    Ran(KernelOutput),
    /// This backend cannot run the pass here (the reason says why); nothing ran.
    Unsupported(String),
    /// It failed while running, or the backend is not there at all
    /// ([`Error::BackendUnavailable`]).
    Failed(Error),
}

/// A backend as the chooser (`crate::cost`) and the execution layer (`crate::exec`) see it:
/// what a pass would cost here, whether it can run it, and running it. Each backend folder
/// implements it (`cpu/engine.rs`: the calling thread and the pool; `gpu/engine.rs`: wgpu),
/// and `cost::Engines` lists them once (ARCHITECTURE.md, "Adding a backend").
pub trait Engine {
    /// Which way this is.
    fn way(&self) -> Way;
    /// Its name among `explain`'s estimates ("cpu1", "cpu x8", "gpu").
    fn label(&self) -> String;
    /// Whether it is a way to run this pass at all (the pool is not, for one chunk or one
    /// thread). A forced backend takes the first of its ways that applies.
    fn applies(&self) -> bool;
    /// The estimated ns of a pass doing `work`, with `resident` bytes per row of its inputs
    /// already on the GPU, from this machine's calibration; `None` without figures (no GPU,
    /// or the chooser did not ask for them).
    fn estimate_ns(&self, work: &Work, resident: f64) -> Option<f64>;
    /// How much faster than the best way before it in the list it must be to be chosen (1:
    /// any amount).
    fn margin(&self) -> f64 {
        1.0
    }
    /// Whether it runs every valid pass (the CPU's ways): only such a way is a fallback.
    fn runs_everything(&self) -> bool {
        false
    }
    /// Whether it can run `kernel` here, or why not, without running it (`explain` asks;
    /// running finds out by itself).
    fn support(&self, kernel: &Kernel) -> std::result::Result<(), String> {
        let _ = kernel;
        Ok(())
    }
    /// Runs the pass over `columns` (one per kernel input) with `params` (one per `Param`
    /// slot). Never panics.
    fn run(&self, kernel: &Kernel, columns: &[&Column], params: &[Scalar]) -> Outcome;
}
