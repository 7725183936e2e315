//! The CPU's two ways to run a pass, as the chooser and the execution layer see a backend
//! (`crate::backend::Engine`): on the calling thread, and on swath's pool. Both run every
//! valid pass, so they are the fallbacks when a chosen way cannot.

use crate::backend::{Engine, Outcome, Way};
use crate::column::Column;
use crate::dtype::Scalar;
use crate::isa::Isa;
use crate::plan::Work;
use crate::plan::ir::Kernel;

use super::{CpuCosts, Schedule, run_scheduled};

/// The pass on the calling thread: no hand-off, one core's speed.
#[derive(Debug, Clone, Copy)]
pub struct CallingThread<'a> {
    /// This machine's CPU figures.
    pub costs: &'a CpuCosts,
    /// The instruction set its kernels use.
    pub isa: Isa,
    /// Chunks of `CHUNK` rows the pass splits into.
    pub chunks: usize,
}

/// The pass shared out over `threads` threads of the pool, a chunk at a time.
#[derive(Debug, Clone, Copy)]
pub struct Pool<'a> {
    /// This machine's CPU figures.
    pub costs: &'a CpuCosts,
    /// The instruction set its kernels use.
    pub isa: Isa,
    /// Threads asked for.
    pub threads: usize,
    /// Chunks of `CHUNK` rows the pass splits into.
    pub chunks: usize,
}

/// The pool must beat the calling thread clearly: near the crossover the estimates are least
/// certain, and a mid-sized input is still in the calling core's cache, which the model does
/// not see.
const POOL_MARGIN: f64 = 0.8;

fn run_on(kernel: &Kernel, columns: &[&Column], params: &[Scalar], plan: Schedule) -> Outcome {
    match run_scheduled(kernel, columns, params, &plan) {
        Ok(out) => Outcome::Ran(out),
        Err(e) => Outcome::Failed(e),
    }
}

impl Engine for CallingThread<'_> {
    fn way(&self) -> Way {
        Way::Cpu1
    }
    fn label(&self) -> String {
        "cpu1".into()
    }
    fn applies(&self) -> bool {
        true
    }
    fn estimate_ns(&self, work: &Work, _resident: f64) -> Option<f64> {
        Some(self.costs.serial_ns(work))
    }
    fn runs_everything(&self) -> bool {
        true
    }
    fn run(&self, kernel: &Kernel, columns: &[&Column], params: &[Scalar]) -> Outcome {
        let plan = Schedule {
            isa: self.isa,
            threads: 1,
            chunks: self.chunks,
        };
        run_on(kernel, columns, params, plan)
    }
}

impl Engine for Pool<'_> {
    fn way(&self) -> Way {
        Way::CpuPool
    }
    fn label(&self) -> String {
        format!("cpu x{}", self.threads)
    }
    /// One thread, or one chunk, has nothing to share out: the pool would run it on the
    /// calling thread.
    fn applies(&self) -> bool {
        self.threads > 1 && self.chunks > 1
    }
    fn estimate_ns(&self, work: &Work, _resident: f64) -> Option<f64> {
        Some(self.costs.pool_ns(work, self.threads))
    }
    fn margin(&self) -> f64 {
        POOL_MARGIN
    }
    fn runs_everything(&self) -> bool {
        true
    }
    fn run(&self, kernel: &Kernel, columns: &[&Column], params: &[Scalar]) -> Outcome {
        let plan = Schedule {
            isa: self.isa,
            threads: self.threads,
            chunks: self.chunks,
        };
        run_on(kernel, columns, params, plan)
    }
}
