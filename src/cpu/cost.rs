//! A first cost model for the CPU: enough to keep small passes on the calling thread. The
//! constants are conservative figures from the 2-core dev machine (DESIGN.md); the backend
//! chooser will replace them with calibrated ones.

use crate::ops::UnaryKind;
use crate::plan::ir::{Instr, Kernel};

/// Bytes per nanosecond one core streams from memory (~36 GB/s measured; 20 is conservative).
const BYTES_PER_NS: f64 = 20.0;
/// Nanoseconds per element for one unit of op cost (an add, vectorized).
const NS_PER_OP_UNIT: f64 = 0.1;
/// Below this much estimated serial work, handing off to the pool (10-30 µs measured) is not
/// worth it.
pub const POOL_MIN_NS: f64 = 150_000.0;

/// Estimated nanoseconds to run `kernel` on one core.
pub fn serial_ns(kernel: &Kernel) -> f64 {
    let program = &kernel.program;
    let mut bytes_per_row = 0.0;
    let mut ops_per_row = 0.0;
    for (id, instr) in program.instrs().iter().enumerate() {
        let size = program.dtype(id).size_of() as f64;
        match instr {
            Instr::Load(_) => bytes_per_row += size,
            Instr::Unary(op, _) => {
                ops_per_row += match op.kind() {
                    UnaryKind::Float => 2.0 * op.cost(),
                    _ => op.cost(),
                }
            }
            Instr::Binary(op, _, _) => ops_per_row += op.cost(),
            Instr::Select(..) | Instr::Cast(..) => ops_per_row += 1.0,
            _ => {}
        }
    }
    for &store in &kernel.stores {
        bytes_per_row += program.dtype(store).size_of() as f64;
    }
    ops_per_row += kernel.reductions.len() as f64;
    kernel.rows as f64 * (bytes_per_row / BYTES_PER_NS + ops_per_row * NS_PER_OP_UNIT)
}
