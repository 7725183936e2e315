//! Choosing how to run each pass: every backend (`crate::backend::Engine`, listed once in
//! [`Engines`]) estimates it from its calibration, the cheapest wins (a later way must beat
//! the best before it by its margin), an explicit setting wins over all. The choice and its
//! reason are logged at debug level and shown by `explain`.
//!
//! [`decide`] is the pure rule (tests drive it with synthetic calibrations); [`choose`] feeds
//! it this machine's calibration, the options, and where the inputs live.

use super::{Costs, CpuCosts, GpuCosts, Work};
use crate::backend::{Engine, Way};
use crate::cpu::{CHUNK, CallingThread, Pool, Schedule};
use crate::error::Result;
use crate::gpu::Wgpu;
use crate::isa::Isa;
use crate::options::{Backend, ExecOptions};
use crate::plan::ir::Kernel;

/// The backends, set up for one pass: the one list the chooser estimates and the execution
/// layer runs. Adding a backend is a field here and its entry in [`Engines::list`] (after
/// the calling thread, which the rule starts from).
#[derive(Debug, Clone, Copy)]
pub struct Engines<'a> {
    calling: CallingThread<'a>,
    pool: Pool<'a>,
    gpu: Wgpu<'a>,
}

/// How many backends [`Engines::list`] holds.
const ENGINES: usize = 3;

impl<'a> Engines<'a> {
    fn new(
        cpu: &'a CpuCosts,
        gpu: Option<&'a GpuCosts>,
        isa: Isa,
        threads: usize,
        chunks: usize,
    ) -> Self {
        Engines {
            calling: CallingThread {
                costs: cpu,
                isa,
                chunks,
            },
            pool: Pool {
                costs: cpu,
                isa,
                threads,
                chunks,
            },
            gpu: Wgpu { costs: gpu },
        }
    }

    /// Every backend, the calling thread first.
    pub fn list(&self) -> [&dyn Engine; ENGINES] {
        [&self.calling, &self.pool, &self.gpu]
    }
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
    /// The backends, set up for this pass.
    pub engines: Engines<'static>,
    /// The chosen one's place in `engines.list()`.
    pub chosen: usize,
    /// The way that runs the pass should the chosen one not run it: the better CPU way.
    pub fallback: usize,
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

impl<'a> Situation<'a> {
    fn engines(&self, isa: Isa) -> Engines<'a> {
        Engines::new(self.cpu, self.gpu, isa, self.threads, self.chunks)
    }
}

/// Each backend's estimate, in list order (`None`: it is no way to run this pass, or has no
/// figures).
type Estimates = [Option<f64>; ENGINES];

fn estimates(list: &[&dyn Engine; ENGINES], s: &Situation<'_>) -> Estimates {
    list.map(|e| {
        e.applies()
            .then(|| e.estimate_ns(&s.work, s.resident))
            .flatten()
    })
}

/// The cheapest way by the estimates: from the calling thread (first, always estimated), each
/// later way wins if its estimate is below its margin times the best so far. With
/// `fallbacks_only`, only ways that run every pass count.
fn cheapest(list: &[&dyn Engine; ENGINES], e: &Estimates, fallbacks_only: bool) -> usize {
    let mut best = 0;
    for (i, engine) in list.iter().enumerate().skip(1) {
        if fallbacks_only && !engine.runs_everything() {
            continue;
        }
        if let (Some(ns), Some(best_ns)) = (e[i], e[best])
            && ns < engine.margin() * best_ns
        {
            best = i;
        }
    }
    best
}

/// The way a forced backend names: the first of its ways that applies to this pass (`cpu`
/// is the pool, or the calling thread where one chunk has nothing to share out).
fn forced(list: &[&dyn Engine; ENGINES], backend: Backend) -> Option<usize> {
    let ways: &[Way] = match backend {
        Backend::Auto => return None,
        Backend::Cpu1 => &[Way::Cpu1],
        Backend::Cpu => &[Way::CpuPool, Way::Cpu1],
        Backend::Gpu => &[Way::Gpu],
    };
    ways.iter()
        .find_map(|&way| list.iter().position(|e| e.way() == way && e.applies()))
}

/// The rule: forced ways win; otherwise the cheapest way. A software GPU adapter (lavapipe)
/// gets no special rule: its measured figures, ~10x slower than the CPU here, keep `auto`
/// off it unless it really is faster, and forcing it still works. Whether the GPU can run
/// this particular kernel is checked by the caller, which falls back to the best CPU way. No
/// strings here: this runs for every pass, however small.
fn rule(list: &[&dyn Engine; ENGINES], s: &Situation<'_>) -> (usize, Estimates) {
    let e = estimates(list, s);
    let chosen = forced(list, s.backend).unwrap_or_else(|| cheapest(list, &e, false));
    (chosen, e)
}

/// The decision for `s` (forced ways win; otherwise the smallest estimate among the calling
/// thread, the pool, which must win clearly, and the GPU), with its estimates in ns by
/// name and a sentence saying why, for `explain` and logs. Pure: tests drive it with
/// synthetic figures.
pub fn decide(s: &Situation<'_>) -> (Way, Vec<(String, f64)>, String) {
    let engines = s.engines(Isa::Base);
    let list = engines.list();
    let (chosen, e) = rule(&list, s);
    let estimates = list
        .iter()
        .zip(e)
        .filter_map(|(engine, ns)| Some((engine.label(), ns?)))
        .collect();
    let way = list[chosen].way();
    let cpu_way = cheapest(&list, &e, true);
    let (serial, pool, gpu) = (e[0].unwrap_or(f64::NAN), e[1], e[2]);
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
            us(gpu.unwrap_or(f64::NAN)),
            us(e[cpu_way].unwrap_or(f64::NAN)),
            if s.resident > 0.0 {
                " (inputs already on the device)"
            } else {
                ""
            }
        ),
        (Backend::Auto, _) => {
            let cpu = cpu_reason(list[cpu_way].way(), serial, pool, s);
            match (s.gpu, gpu) {
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
/// [`calibrate::costs`](crate::calibrate::costs)) fed to the rule. The estimates and the
/// reason are left empty unless debug logging is on (see [`choose_explained`]).
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
    let work = Work {
        compiled: crate::cpu::jit::covers(kernel, isa),
        ..Work::of(kernel)
    };
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
    let mut engines = situation.engines(isa);
    let (mut chosen, e) = rule(&engines.list(), &situation);
    let fallback = cheapest(&engines.list(), &e, true);
    let (mut estimates, mut reason) = if explain {
        let (_, estimates, reason) = decide(&situation);
        (estimates, reason)
    } else {
        (Vec::new(), String::new())
    };
    // `explain` asks whether the chosen way can run the pass when `auto` picked a way that
    // may not (the GPU: it generates the shader). One it cannot (f64 transcendentals, which
    // Vulkan lacks; f64 or i64 on a device without them) is shown decided without the GPU,
    // as it will run. Execution skips the question: the GPU attempt finds out by itself and
    // runs `fallback`, the same way, without generating the shader twice.
    if explain
        && backend == Backend::Auto
        && let Err(why) = engines.list()[chosen].support(kernel)
    {
        situation.gpu = None;
        engines = situation.engines(isa);
        chosen = rule(&engines.list(), &situation).0;
        let (_, again, because) = decide(&situation);
        estimates = again;
        reason = format!("{because}; not the {}: {why}", Way::Gpu);
    }
    let list = engines.list();
    let cpu_threads = match (list[chosen].way(), list[fallback].way()) {
        (Way::CpuPool, _) | (Way::Gpu, Way::CpuPool) => threads,
        _ => 1,
    };
    let schedule = Schedule {
        isa,
        threads: cpu_threads,
        chunks,
    };
    Ok(Choice {
        way: list[chosen].way(),
        schedule,
        estimates,
        reason,
        engines,
        chosen,
        fallback,
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
    let engines = situation.engines(Isa::Base);
    let list = engines.list();
    Ok(match list[rule(&list, &situation).0].way() {
        Way::CpuPool => threads,
        _ => 1,
    })
}

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
            compiled_op_ns: 0.0,
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
            compiled_op_ns: 0.0,
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

    /// The rule is written over any list of engines: a later way wins by beating the best so
    /// far by its margin, a forced backend takes the first of its ways that applies, and only
    /// ways that run everything are fallbacks.
    #[test]
    fn the_rule_is_the_same_for_any_engine() {
        use crate::backend::{Engine, Outcome, Way};
        use crate::column::Column;
        use crate::dtype::Scalar;
        use crate::options::Backend;
        use crate::plan::Work;
        use crate::plan::ir::Kernel;
        struct Fake {
            way: Way,
            ns: Option<f64>,
            margin: f64,
            applies: bool,
            everything: bool,
        }
        impl Engine for Fake {
            fn way(&self) -> Way {
                self.way
            }
            fn label(&self) -> String {
                format!("{}", self.way)
            }
            fn applies(&self) -> bool {
                self.applies
            }
            fn estimate_ns(&self, _: &Work, _: f64) -> Option<f64> {
                self.ns
            }
            fn margin(&self) -> f64 {
                self.margin
            }
            fn runs_everything(&self) -> bool {
                self.everything
            }
            fn run(&self, _: &Kernel, _: &[&Column], _: &[Scalar]) -> Outcome {
                Outcome::Unsupported("a fake".into())
            }
        }
        let fake = |way, ns, margin, applies, everything| Fake {
            way,
            ns,
            margin,
            applies,
            everything,
        };
        let cpu = super::CpuCosts {
            call_ns: 0.0,
            pool_ns: 0.0,
            threads: 2,
            read_bytes_per_ns: 1.0,
            pool_read_bytes_per_ns: 1.0,
            cached_read_bytes_per_ns: 1.0,
            cache_bytes: 0.0,
            cheap_op_ns: 1.0,
            compiled_op_ns: 0.0,
            heavy_op_ns: 1.0,
            libm_op_ns: 1.0,
            pool_compute_speedup: 1.0,
        };
        let s = super::Situation {
            work: Work::default(),
            resident: 0.0,
            chunks: 4,
            threads: 2,
            backend: Backend::Auto,
            cpu: &cpu,
            gpu: None,
        };
        let serial = fake(Way::Cpu1, Some(100.0), 1.0, true, true);
        // The pool at 85 misses its 0.8 margin; the GPU at 90 beats the best so far (100).
        let pool = fake(Way::CpuPool, Some(85.0), 0.8, true, true);
        let gpu = fake(Way::Gpu, Some(90.0), 1.0, true, false);
        let list: [&dyn Engine; super::ENGINES] = [&serial, &pool, &gpu];
        let (chosen, e) = super::rule(&list, &s);
        assert_eq!((chosen, super::cheapest(&list, &e, true)), (2, 0));
        // At 70 the pool wins, and the GPU must now beat 70.
        let pool = fake(Way::CpuPool, Some(70.0), 0.8, true, true);
        let list: [&dyn Engine; super::ENGINES] = [&serial, &pool, &gpu];
        let (chosen, e) = super::rule(&list, &s);
        assert_eq!((chosen, super::cheapest(&list, &e, true)), (1, 1));
        // A way that does not apply is neither estimated nor forced: `cpu` falls to cpu1.
        let idle_pool = fake(Way::CpuPool, Some(1.0), 0.8, false, true);
        let list: [&dyn Engine; super::ENGINES] = [&serial, &idle_pool, &gpu];
        assert_eq!(super::estimates(&list, &s)[1], None);
        assert_eq!(super::forced(&list, Backend::Cpu), Some(0));
        assert_eq!(super::forced(&list, Backend::Gpu), Some(2));
        assert_eq!(super::forced(&list, Backend::Auto), None);
        // A way without figures never wins `auto`, whatever its place.
        let blind = fake(Way::Gpu, None, 1.0, true, false);
        let list: [&dyn Engine; super::ENGINES] = [&serial, &pool, &blind];
        assert_eq!(super::rule(&list, &s).0, 1);
    }
}
