//! The GPU's measured constants and its estimate of a pass, transfers included.

use serde::{Deserialize, Serialize};

use crate::plan::Work;

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
