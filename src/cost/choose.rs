//! Choosing how to run each pass: the estimated time of every way present, the cheapest wins,
//! an explicit setting wins over all. The choice and its reason are logged at debug level and
//! shown by `explain`.
//!
//! [`decide`] is the pure rule (tests drive it with synthetic calibrations); [`choose`] feeds
//! it this machine's calibration, the options, and where the inputs live.

use super::{CpuCosts, GpuCosts, Work, calibration, gpu_costs};
use crate::cpu::{CHUNK, Schedule};
use crate::error::Result;
use crate::options::{Backend, ExecOptions};
use crate::plan::ir::Kernel;

/// A way to run a pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// The CPU, on the calling thread.
    Cpu1,
    /// The CPU, on swath's pool.
    CpuPool,
    /// The GPU.
    Gpu,
}

/// A decision for one pass.
#[derive(Debug, Clone)]
pub struct Choice {
    pub way: Way,
    /// How the CPU runs the pass: the choice itself for a CPU way, the fallback for the GPU.
    pub schedule: Schedule,
    /// (way, estimated ns) for every way considered (empty unless explained).
    pub estimates: Vec<(String, f64)>,
    /// One line saying what was chosen and why (empty unless explained or debug logging is
    /// on: formatting it costs more than a small pass).
    pub reason: String,
}

/// What [`decide`] is given about a pass and the machine.
#[derive(Debug, Clone)]
pub struct Situation<'a> {
    pub work: Work,
    /// Bytes per row of the inputs already on the GPU.
    pub resident: f64,
    pub chunks: usize,
    pub threads: usize,
    pub backend: Backend,
    pub cpu: &'a CpuCosts,
    /// The GPU's figures, if there is a GPU.
    pub gpu: Option<&'a GpuCosts>,
}

/// The estimates behind a decision, in ns (`None`: that way is not available).
#[derive(Debug, Clone, Copy)]
struct Estimates {
    serial: f64,
    pool: Option<f64>,
    gpu: Option<f64>,
}

/// The rule: forced ways win; otherwise the smallest estimate among the calling thread, the
/// pool (several threads and chunks) and a hardware GPU. A software GPU adapter runs on the
/// same cores as the CPU backend, so `auto` never picks it (forcing it still works). Whether
/// the GPU can run this particular kernel is checked by the caller, which falls back to the
/// best CPU way. No strings here: this runs for every pass, however small.
fn rule(s: &Situation<'_>) -> (Way, Estimates) {
    let e = Estimates {
        serial: s.cpu.serial_ns(&s.work),
        pool: (s.threads > 1 && s.chunks > 1).then(|| s.cpu.pool_ns(&s.work, s.threads)),
        gpu: s.gpu.map(|g| g.ns(&s.work, s.resident)),
    };
    let way = match s.backend {
        Backend::Cpu1 => Way::Cpu1,
        Backend::Cpu if s.threads > 1 => Way::CpuPool,
        Backend::Cpu => Way::Cpu1,
        Backend::Gpu => Way::Gpu,
        Backend::Auto => {
            let (cpu_way, cpu_ns) = best_cpu(&e);
            let gpu_usable = s.gpu.is_some_and(|g| !g.software);
            match e.gpu {
                Some(g) if gpu_usable && g < cpu_ns => Way::Gpu,
                _ => cpu_way,
            }
        }
    };
    (way, e)
}

/// The better CPU way. The pool must win clearly: near the crossover the estimates are least
/// certain, and a mid-sized input is still in the calling core's cache, which the model does
/// not see.
fn best_cpu(e: &Estimates) -> (Way, f64) {
    match e.pool {
        Some(p) if p < POOL_MARGIN * e.serial => (Way::CpuPool, p),
        _ => (Way::Cpu1, e.serial),
    }
}

/// [`rule`] with its estimates by name and a sentence saying why, for `explain` and logs.
pub fn decide(s: &Situation<'_>) -> (Way, Vec<(String, f64)>, String) {
    let (way, e) = rule(s);
    let mut estimates = vec![("cpu1".to_string(), e.serial)];
    if let Some(p) = e.pool {
        estimates.push((format!("cpu x{}", s.threads), p));
    }
    if let Some(g) = e.gpu {
        estimates.push(("gpu".to_string(), g));
    }
    let (cpu_way, cpu_ns) = best_cpu(&e);
    let reason = match (s.backend, way) {
        (Backend::Cpu1, _) => "forced: backend cpu1".to_string(),
        (Backend::Cpu, Way::CpuPool) => format!("forced: backend cpu (pool of {})", s.threads),
        (Backend::Cpu, _) => "forced: backend cpu, one thread".to_string(),
        (Backend::Gpu, _) => "forced: backend gpu".to_string(),
        (Backend::Auto, Way::Gpu) => format!(
            "gpu: est. {} vs {} on the CPU{}",
            us(e.gpu.unwrap_or(f64::NAN)),
            us(cpu_ns),
            if s.resident > 0.0 {
                " (inputs already on the device)"
            } else {
                ""
            }
        ),
        (Backend::Auto, _) => {
            let cpu = cpu_reason(cpu_way, e.serial, e.pool, s);
            match (s.gpu, e.gpu) {
                (Some(g), _) if g.software => format!(
                    "{cpu}; the GPU adapter is software (it runs on these same cores), never chosen for speed"
                ),
                (Some(g), Some(t)) => {
                    format!(
                        "{cpu}; the GPU would take {} (round trip {})",
                        us(t),
                        us(g.roundtrip_ns)
                    )
                }
                _ => cpu,
            }
        }
    };
    (way, estimates, reason)
}

fn cpu_reason(way: Way, serial: f64, pool: Option<f64>, s: &Situation<'_>) -> String {
    match (way, pool) {
        (Way::CpuPool, Some(p)) => {
            format!(
                "pool of {}: est. {} vs {} on the calling thread",
                s.threads,
                us(p),
                us(serial)
            )
        }
        (_, Some(p)) => format!(
            "calling thread: est. {} vs {} on the pool (hand-off {})",
            us(serial),
            us(p),
            us(s.cpu.pool_ns)
        ),
        (_, None) if s.threads == 1 => format!("calling thread: est. {}, one thread", us(serial)),
        (_, None) => format!(
            "calling thread: est. {}, {} rows fit one chunk",
            us(serial),
            s.work.rows
        ),
    }
}

/// The choice for `kernel` on this machine, with `resident` bytes per row of its inputs
/// already on the GPU.
pub fn choose(kernel: &Kernel, resident: f64, options: &ExecOptions) -> Result<Choice> {
    choose_among(
        kernel,
        resident,
        options,
        true,
        log::log_enabled!(log::Level::Debug),
    )
}

/// [`choose`] with the estimates and the reason filled in, for `explain`.
pub fn choose_explained(kernel: &Kernel, resident: f64, options: &ExecOptions) -> Result<Choice> {
    choose_among(kernel, resident, options, true, true)
}

fn choose_among(
    kernel: &Kernel,
    resident: f64,
    options: &ExecOptions,
    consider_gpu: bool,
    explain: bool,
) -> Result<Choice> {
    let isa = options.resolved_isa()?;
    let threads = options.resolved_threads()?;
    let backend = options.resolved_backend()?;
    let chunks = kernel.rows.div_ceil(CHUNK);
    let work = Work::of(kernel);
    let cpu = &calibration()?.cpu;
    // Only ask about the GPU (which starts and may measure it) when its estimate could
    // matter: `auto` and a pass big enough that even a fast GPU's round trip could pay off.
    // A forced GPU needs no estimate (and the GPU probes themselves run forced).
    let worth_asking =
        consider_gpu && backend == Backend::Auto && cpu.serial_ns(&work) > GPU_WORTH_ASKING_NS;
    let gpu = if worth_asking { gpu_costs()? } else { None };
    let situation = Situation {
        work,
        resident,
        chunks,
        threads,
        backend,
        cpu,
        gpu,
    };
    let (way, estimates, reason) = if explain {
        decide(&situation)
    } else {
        (rule(&situation).0, Vec::new(), String::new())
    };
    let cpu_threads = match way {
        Way::CpuPool => threads,
        Way::Cpu1 => 1,
        // The fallback should the GPU not run the pass: the better CPU way.
        Way::Gpu => {
            let pool = (threads > 1 && chunks > 1).then(|| cpu.pool_ns(&work, threads));
            if pool.is_some_and(|p| p < cpu.serial_ns(&work)) {
                threads
            } else {
                1
            }
        }
    };
    let schedule = Schedule {
        isa,
        threads: cpu_threads,
        chunks,
    };
    Ok(Choice {
        way,
        schedule,
        estimates,
        reason,
    })
}

/// How much faster the pool's estimate must be than the calling thread's to be chosen.
const POOL_MARGIN: f64 = 0.8;

/// Below this estimated CPU time no GPU can win (a round trip alone is ~20-100 µs).
const GPU_WORTH_ASKING_NS: f64 = 20_000.0;

/// Nanoseconds as a short human figure.
pub fn us(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.1} µs", ns / 1e3)
    }
}
