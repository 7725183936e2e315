//! Choosing how to run each pass: the estimated time of every way present, the cheapest wins,
//! an explicit setting wins over all. The choice and its reason are logged at debug level and
//! shown by `explain`.

use super::{Work, calibration};
use crate::cpu::{CHUNK, Schedule};
use crate::error::Result;
use crate::options::{Backend, ExecOptions};
use crate::plan::ir::Kernel;

/// A decision for one pass.
#[derive(Debug, Clone)]
pub struct Choice {
    pub schedule: Schedule,
    /// (way, estimated ns) for every way considered.
    pub estimates: Vec<(String, f64)>,
    /// One line saying what was chosen and why.
    pub reason: String,
}

/// Calling thread or pool, for a pass on the CPU.
pub fn choose_cpu(kernel: &Kernel, options: &ExecOptions) -> Result<Choice> {
    let isa = options.resolved_isa()?;
    let threads = options.resolved_threads()?;
    let chunks = kernel.rows.div_ceil(CHUNK);
    let work = Work::of(kernel);
    let costs = &calibration()?.cpu;
    let serial = costs.serial_ns(&work);
    let mut estimates = vec![("cpu1".to_string(), serial)];
    let pooled = (threads > 1 && chunks > 1).then(|| costs.pool_ns(&work, threads));
    if let Some(p) = pooled {
        estimates.push((format!("cpu x{threads}"), p));
    }
    let forced = match options.resolved_backend()? {
        Backend::Cpu1 => Some((false, "calling thread: forced (backend cpu1)".to_string())),
        Backend::Cpu if threads > 1 => {
            Some((true, format!("pool of {threads}: forced (backend cpu)")))
        }
        _ => None,
    };
    let (use_pool, reason) = forced.unwrap_or_else(|| match pooled {
        None if threads == 1 => (false, "calling thread: one thread configured".to_string()),
        None => (
            false,
            format!("calling thread: {} rows fit in one chunk", kernel.rows),
        ),
        Some(p) if p < serial => (
            true,
            format!(
                "pool of {threads}: est. {} vs {} on the calling thread",
                us(p),
                us(serial)
            ),
        ),
        Some(p) => (
            false,
            format!(
                "calling thread: est. {} vs {} on the pool (hand-off {})",
                us(serial),
                us(p),
                us(costs.pool_ns)
            ),
        ),
    });
    let schedule = Schedule {
        isa,
        threads: if use_pool { threads } else { 1 },
        chunks,
    };
    Ok(Choice {
        schedule,
        estimates,
        reason,
    })
}

/// Nanoseconds as a short human figure.
pub fn us(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.1} µs", ns / 1e3)
    }
}
