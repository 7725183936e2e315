//! Choosing how to run each pass: the estimated time of every way present, the cheapest wins,
//! an explicit setting wins over all. The choice and its reason are logged at debug level and
//! shown by `explain`.
//!
//! [`decide`] is the pure rule (tests drive it with synthetic calibrations); [`choose`] feeds
//! it this machine's calibration, the options, and where the inputs live.

use super::{Costs, CpuCosts, GpuCosts, Work};
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

/// A decision for one pass: what [`choose`] and [`choose_explained`] return.
#[derive(Debug, Clone)]
pub struct Choice {
    /// Where the pass runs.
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
    /// What the pass does per row, and over how many rows.
    pub work: Work,
    /// Bytes per row of the inputs already on the GPU.
    pub resident: f64,
    /// Chunks of [`CHUNK`] rows the pass splits into.
    pub chunks: usize,
    /// Threads the pool would use.
    pub threads: usize,
    /// The backend asked for: anything but [`Backend::Auto`] forces the way.
    pub backend: Backend,
    /// The CPU's figures.
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
/// pool (several threads and chunks) and the GPU. A software GPU adapter (lavapipe) gets no
/// special rule: its measured figures, ~10x slower than the CPU here, keep `auto` off it
/// unless it really is faster, and forcing it still works. Whether the GPU can run this
/// particular kernel is checked by the caller, which falls back to the best CPU way. No
/// strings here: this runs for every pass, however small.
fn rule(s: &Situation<'_>) -> (Way, Estimates) {
    let e = Estimates {
        serial: s.cpu.serial_ns(&s.work),
        pool: (s.threads > 1 && s.chunks > 1).then(|| s.cpu.pool_ns(&s.work, s.threads)),
        gpu: s.gpu.map(|g| g.ns(&s.work, s.resident)),
    };
    let way = match s.backend {
        Backend::Cpu1 => Way::Cpu1,
        // One chunk has nothing to share out: the pool would run it on the calling thread.
        Backend::Cpu if s.threads > 1 && s.chunks > 1 => Way::CpuPool,
        Backend::Cpu => Way::Cpu1,
        Backend::Gpu => Way::Gpu,
        Backend::Auto => {
            let (cpu_way, cpu_ns) = best_cpu(&e);
            match e.gpu {
                Some(g) if g < cpu_ns => Way::Gpu,
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

/// The decision for `s` (forced ways win; otherwise the smallest estimate among the calling
/// thread, the pool, which must win clearly, and the GPU), with its estimates in ns by
/// name and a sentence saying why, for `explain` and logs. Pure: tests drive it with
/// synthetic figures.
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
        (Backend::Cpu, _) if s.threads > 1 => {
            "forced: backend cpu; one chunk, so on the calling thread".to_string()
        }
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
                (Some(g), Some(t)) => {
                    format!(
                        "{cpu}; the {}GPU would take {} (round trip {})",
                        if g.software { "software " } else { "" },
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

/// The choice for `kernel`, with `resident` bytes per row of its inputs already on the GPU:
/// the options and the constants in `costs` (this machine's are
/// [`calibrate::costs`](crate::calibrate::costs)) fed to [`decide`]. The estimates and the reason are left empty unless debug logging is on
/// (see [`choose_explained`]).
///
/// Errors: [`Error::InvalidSetting`](crate::Error::InvalidSetting) for options (or
/// environment settings) that cannot be honoured.
pub fn choose(
    kernel: &Kernel,
    resident: f64,
    options: &ExecOptions,
    costs: &Costs,
) -> Result<Choice> {
    choose_among(
        kernel,
        resident,
        options,
        costs,
        log::log_enabled!(log::Level::Debug),
    )
}

/// [`choose`] with the estimates and the reason filled in, for `explain`.
pub fn choose_explained(
    kernel: &Kernel,
    resident: f64,
    options: &ExecOptions,
    costs: &Costs,
) -> Result<Choice> {
    choose_among(kernel, resident, options, costs, true)
}

fn choose_among(
    kernel: &Kernel,
    resident: f64,
    options: &ExecOptions,
    costs: &Costs,
    explain: bool,
) -> Result<Choice> {
    let isa = options.resolved_isa()?;
    let threads = options.resolved_threads()?;
    let backend = options.resolved_backend()?;
    let chunks = kernel.rows.div_ceil(CHUNK);
    let work = Work::of(kernel);
    let cpu = costs.cpu;
    // Only ask about the GPU (which starts and may measure it) when its estimate could
    // matter: `auto` and a pass big enough that even a fast GPU's round trip could pay off.
    // A forced GPU needs no estimate (and the GPU probes themselves run forced).
    let worth_asking = backend == Backend::Auto && cpu.serial_ns(&work) > GPU_WORTH_ASKING_NS;
    let gpu = if worth_asking { (costs.gpu)()? } else { None };
    let mut situation = Situation {
        work,
        resident,
        chunks,
        threads,
        backend,
        cpu,
        gpu,
    };
    let settle = |s: &Situation<'_>| {
        if explain {
            decide(s)
        } else {
            (rule(s).0, Vec::new(), String::new())
        }
    };
    let (mut way, mut estimates, mut reason) = settle(&situation);
    // The CPU way a GPU pass falls back to, should the device not run it: the better CPU
    // way by the same rule.
    let cpu_only = Situation {
        gpu: None,
        backend: Backend::Auto,
        ..situation.clone()
    };
    let fallback = rule(&cpu_only).0;
    // `explain` asks whether the device can run the pass once the GPU wins (it generates
    // the shader): one it cannot (f64 transcendentals, which Vulkan lacks; f64 or i64 on a
    // device without them) is shown decided among the CPU ways, as it will run. Execution
    // skips the question: the GPU attempt finds out by itself and runs `fallback`, the
    // same way, without generating the shader twice.
    if explain
        && way == Way::Gpu
        && backend == Backend::Auto
        && let Err(why) = crate::gpu::support(kernel)
    {
        situation.gpu = None;
        (way, estimates, reason) = settle(&situation);
        reason = format!("{reason}; not the GPU: {why}");
    }
    let cpu_threads = match (way, fallback) {
        (Way::CpuPool, _) | (Way::Gpu, Way::CpuPool) => threads,
        _ => 1,
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

/// Threads for CPU work that is not a kernel (a filter's gather): the calling thread or the
/// pool, by the same rule and calibration as a pass's CPU ways. A forced GPU backend counts as
/// `auto` here, since this work only runs on the CPU.
pub(crate) fn cpu_threads_for(work: Work, options: &ExecOptions, cpu: &CpuCosts) -> Result<usize> {
    let threads = options.resolved_threads()?;
    let backend = match options.resolved_backend()? {
        Backend::Gpu => Backend::Auto,
        other => other,
    };
    let situation = Situation {
        work,
        resident: 0.0,
        chunks: (work.rows as usize).div_ceil(CHUNK),
        threads,
        backend,
        cpu,
        gpu: None,
    };
    Ok(match rule(&situation).0 {
        Way::CpuPool => threads,
        _ => 1,
    })
}

/// How much faster the pool's estimate must be than the calling thread's to be chosen.
const POOL_MARGIN: f64 = 0.8;

/// Below this estimated CPU time no GPU can win (a round trip alone is ~20-100 µs).
const GPU_WORTH_ASKING_NS: f64 = 20_000.0;

/// Nanoseconds as a short human figure: microseconds below a millisecond, else milliseconds.
pub fn us(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.1} µs", ns / 1e3)
    }
}

/// The examples of this file's items, run as unit tests: the items are crate-private, so
/// a doctest could not reach them.
#[cfg(test)]
mod examples {
    #[test]
    fn way_example() -> crate::Result<()> {
        use crate::cost::{Way, choose};
        use crate::prelude::*;
        let schema = |name: &str| (name == "x").then_some(DType::F32);
        let plan = crate::plan::lower(&[col("x").sum()], 1_000_000, &schema, &|| "x".to_string())?;
        let cpu = |threads| ExecOptions::new().backend(Backend::Cpu).threads(threads);
        assert_eq!(
            choose(&plan.kernels[0], 0.0, &cpu(1), &crate::calibrate::costs()?)?.way,
            Way::Cpu1
        );
        assert_eq!(
            choose(&plan.kernels[0], 0.0, &cpu(2), &crate::calibrate::costs()?)?.way,
            Way::CpuPool
        );
        Ok::<(), crate::Error>(())
    }

    #[test]
    fn choice_example() -> crate::Result<()> {
        use crate::cost::{Way, choose_explained};
        use crate::prelude::*;
        let schema = |name: &str| (name == "x").then_some(DType::F64);
        let plan = crate::plan::lower(&[col("x").max()], 10, &schema, &|| "x".to_string())?;
        let cpu1 = ExecOptions::new().backend(Backend::Cpu1);
        let choice = choose_explained(&plan.kernels[0], 0.0, &cpu1, &crate::calibrate::costs()?)?;
        assert_eq!(choice.way, Way::Cpu1);
        assert_eq!((choice.schedule.threads, choice.schedule.chunks), (1, 1));
        assert_eq!(choice.estimates[0].0, "cpu1");
        assert_eq!(choice.reason, "forced: backend cpu1");
        Ok::<(), crate::Error>(())
    }

    #[test]
    fn situation_example() -> crate::Result<()> {
        use crate::Backend;
        use crate::cost::{CpuCosts, Situation, Way, Work, decide};
        let cpu = CpuCosts {
            call_ns: 1_000.0,
            pool_ns: 20_000.0,
            threads: 8,
            read_bytes_per_ns: 10.0,
            pool_read_bytes_per_ns: 40.0,
            cached_read_bytes_per_ns: 30.0,
            cache_bytes: 1e6,
            pool_compute_speedup: 8.0,
            cheap_op_ns: 0.5,
            heavy_op_ns: 5.0,
            libm_op_ns: 20.0,
        };
        let small = Situation {
            work: Work {
                rows: 1_000.0,
                bytes_in: 4.0,
                cheap_ops: 1.0,
                ..Work::default()
            },
            resident: 0.0,
            chunks: 1,
            threads: 8,
            backend: Backend::Auto,
            cpu: &cpu,
            gpu: None,
        };
        assert_eq!(decide(&small).0, Way::Cpu1); // one chunk: nothing to share out
        Ok::<(), crate::Error>(())
    }

    #[test]
    fn decide_example() {
        use crate::Backend;
        use crate::cost::{CpuCosts, Situation, Way, Work, decide};
        let cpu = CpuCosts {
            call_ns: 1_000.0,
            pool_ns: 20_000.0,
            threads: 8,
            read_bytes_per_ns: 10.0,
            pool_read_bytes_per_ns: 40.0,
            cached_read_bytes_per_ns: 30.0,
            cache_bytes: 1e6,
            pool_compute_speedup: 8.0,
            cheap_op_ns: 0.5,
            heavy_op_ns: 5.0,
            libm_op_ns: 20.0,
        };
        let big = Situation {
            work: Work {
                rows: 1e8,
                bytes_in: 4.0,
                cheap_ops: 1.0,
                ..Work::default()
            },
            resident: 0.0,
            chunks: 1526,
            threads: 8,
            backend: Backend::Auto,
            cpu: &cpu,
            gpu: None,
        };
        let (way, estimates, reason) = decide(&big);
        assert_eq!(way, Way::CpuPool);
        assert_eq!(estimates[0].0, "cpu1");
        assert_eq!(estimates[1].0, "cpu x8");
        assert!(estimates[1].1 < estimates[0].1);
        assert!(reason.starts_with("pool of 8: est."));
        let forced = Situation {
            backend: Backend::Cpu1,
            ..big
        };
        assert_eq!(decide(&forced).0, Way::Cpu1);
        assert_eq!(decide(&forced).2, "forced: backend cpu1");
    }

    #[test]
    fn choose_example() -> crate::Result<()> {
        use crate::cost::{Way, choose};
        use crate::prelude::*;
        let schema = |name: &str| (name == "x").then_some(DType::F32);
        let plan = crate::plan::lower(&[col("x").sum()], 200_000, &schema, &|| "x".to_string())?;
        let pool = ExecOptions::new().backend(Backend::Cpu).threads(3);
        let choice = choose(&plan.kernels[0], 0.0, &pool, &crate::calibrate::costs()?)?;
        assert_eq!(choice.way, Way::CpuPool);
        assert_eq!((choice.schedule.threads, choice.schedule.chunks), (3, 4));
        assert!(
            choose(
                &plan.kernels[0],
                0.0,
                &ExecOptions::new().threads(0),
                &crate::calibrate::costs()?
            )
            .is_err()
        );
        Ok::<(), crate::Error>(())
    }

    #[test]
    fn choose_explained_example() -> crate::Result<()> {
        use crate::cost::choose_explained;
        use crate::prelude::*;
        let schema = |name: &str| (name == "x").then_some(DType::F32);
        let plan = crate::plan::lower(&[col("x").sum()], 200_000, &schema, &|| "x".to_string())?;
        let options = ExecOptions::new().backend(Backend::Cpu).threads(2);
        let choice =
            choose_explained(&plan.kernels[0], 0.0, &options, &crate::calibrate::costs()?)?;
        assert_eq!(choice.reason, "forced: backend cpu (pool of 2)");
        let names: Vec<&str> = choice
            .estimates
            .iter()
            .map(|(way, _)| way.as_str())
            .collect();
        assert_eq!(names, ["cpu1", "cpu x2"]);
        Ok::<(), crate::Error>(())
    }

    #[test]
    fn us_example() {
        use crate::cost::us;
        assert_eq!(us(1_500.0), "1.5 µs");
        assert_eq!(us(2_500_000.0), "2.50 ms");
    }
}
