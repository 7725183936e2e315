//! The GPU as the chooser and the execution layer see a backend (`crate::backend::Engine`):
//! its estimate from the adapter's calibration, whether this device can run a pass, and the
//! pass run through [`attempt`](super::attempt), counted in the thread's `GpuStats`.

use crate::backend::{Engine, Outcome, Way};
use crate::column::Column;
use crate::dtype::Scalar;
use crate::error::Error;
use crate::plan::Work;
use crate::plan::ir::Kernel;

use super::{Attempt, GpuCosts, attempt, record, support};

/// The GPU through wgpu.
#[derive(Debug, Clone, Copy)]
pub struct Wgpu<'a> {
    /// The adapter's figures: `None` without a GPU, or when the chooser did not ask (a pass
    /// too small for any GPU to win, or a forced backend).
    pub costs: Option<&'a GpuCosts>,
}

impl Engine for Wgpu<'_> {
    fn way(&self) -> Way {
        Way::Gpu
    }
    fn label(&self) -> String {
        "gpu".into()
    }
    fn applies(&self) -> bool {
        true
    }
    fn estimate_ns(&self, work: &Work, resident: f64) -> Option<f64> {
        self.costs.map(|g| g.ns(work, resident))
    }
    fn support(&self, kernel: &Kernel) -> Result<(), String> {
        support(kernel)
    }
    fn run(&self, kernel: &Kernel, columns: &[&Column], params: &[Scalar]) -> Outcome {
        match attempt(kernel, columns, params) {
            Attempt::Ran(out) => {
                record(|s| s.gpu_passes += 1);
                Outcome::Ran(out)
            }
            Attempt::Unsupported(why) => {
                record(|s| s.unsupported += 1);
                Outcome::Unsupported(why)
            }
            // No GPU at all: nothing ran, so nothing failed.
            Attempt::Failed(e @ Error::BackendUnavailable(_)) => Outcome::Failed(e),
            Attempt::Failed(e) => {
                record(|s| s.failed += 1);
                Outcome::Failed(e)
            }
        }
    }
}
