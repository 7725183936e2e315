//! The backend chooser's rule, driven by synthetic calibrations (a fast GPU, a slow GPU, a
//! software GPU, no GPU, data already on the device), and the calibration cache's defences.

mod common;

use swath::options::Backend;
use swath::prelude::{DType, Expr, col};
use swath::unstable::{CpuCosts, GpuCosts, Situation, Way, Work, decide};

/// Figures like the 2-core dev machine's.
fn cpu() -> CpuCosts {
    CpuCosts {
        call_ns: 300.0,
        pool_ns: 15_000.0,
        threads: 2,
        read_bytes_per_ns: 30.0,
        pool_read_bytes_per_ns: 45.0,
        cached_read_bytes_per_ns: 60.0,
        cache_bytes: 2.0 * 1024.0 * 1024.0,
        cheap_op_ns: 0.1,
        compiled_op_ns: 0.0,
        heavy_op_ns: 5.0,
        libm_op_ns: 40.0,
        pool_compute_speedup: 2.0,
    }
}

/// A discrete GPU behind PCIe: big round trip, fast device memory.
fn fast_gpu() -> GpuCosts {
    GpuCosts {
        adapter: "synthetic fast".into(),
        software: false,
        roundtrip_ns: 60_000.0,
        upload_bytes_per_ns: 20.0,
        download_bytes_per_ns: 20.0,
        read_bytes_per_ns: 2_000.0,
        cheap_op_ns: 0.001,
        heavy_op_ns: 0.01,
    }
}

/// A weak integrated GPU: slower than the CPU at everything.
fn slow_gpu() -> GpuCosts {
    GpuCosts {
        adapter: "synthetic slow".into(),
        software: false,
        roundtrip_ns: 100_000.0,
        upload_bytes_per_ns: 5.0,
        download_bytes_per_ns: 5.0,
        read_bytes_per_ns: 10.0,
        cheap_op_ns: 0.5,
        heavy_op_ns: 10.0,
    }
}

fn sum_work(rows: f64) -> Work {
    Work {
        rows,
        bytes_in: 4.0,
        bytes_out: 0.0,
        cheap_ops: 1.0,
        heavy_ops: 0.0,
        libm_ops: 0.0,
        compiled: false,
    }
}

fn heavy_work(rows: f64) -> Work {
    Work {
        rows,
        bytes_in: 4.0,
        bytes_out: 4.0,
        cheap_ops: 2.0,
        heavy_ops: 2.0,
        libm_ops: 0.0,
        compiled: false,
    }
}

fn way(work: Work, resident: f64, gpu: Option<&GpuCosts>, backend: Backend) -> Way {
    let cpu = cpu();
    let situation = Situation {
        work,
        resident,
        chunks: (work.rows as usize).div_ceil(swath::unstable::CHUNK),
        threads: 2,
        backend,
        cpu: &cpu,
        gpu,
    };
    decide(&situation).0
}

#[test]
fn small_passes_stay_on_the_calling_thread_whatever_the_hardware() {
    let (fast, slow) = (fast_gpu(), slow_gpu());
    for gpu in [None, Some(&fast), Some(&slow)] {
        for rows in [1.0, 100.0, 1_000.0, 10_000.0] {
            for resident in [0.0, 4.0] {
                assert_eq!(way(sum_work(rows), resident, gpu, Backend::Auto), Way::Cpu1);
                assert_eq!(
                    way(heavy_work(rows / 10.0), resident, gpu, Backend::Auto),
                    Way::Cpu1
                );
            }
        }
    }
}

#[test]
fn a_fast_gpu_takes_large_passes_on_resident_data() {
    let fast = fast_gpu();
    assert_eq!(
        way(sum_work(64e6), 4.0, Some(&fast), Backend::Auto),
        Way::Gpu
    );
    assert_eq!(
        way(heavy_work(16e6), 4.0, Some(&fast), Backend::Auto),
        Way::Gpu
    );
    // Heavy arithmetic pays for the upload too.
    assert_eq!(
        way(heavy_work(16e6), 0.0, Some(&fast), Backend::Auto),
        Way::Gpu
    );
}

/// Results stay where their inputs live: a map over resident inputs leaves its output on the
/// device (a chain's next pass reads it there), so no read-back is counted; a map over host
/// data is counted as bringing its output back.
#[test]
fn a_map_over_resident_inputs_counts_no_read_back() {
    let fast = fast_gpu();
    // A cheap map: 4 bytes in, 4 out, one op a row, 64M rows.
    let map = Work {
        rows: 64e6,
        bytes_in: 4.0,
        bytes_out: 4.0,
        cheap_ops: 1.0,
        heavy_ops: 0.0,
        libm_ops: 0.0,
        compiled: false,
    };
    let read_back = 64e6 * 4.0 / fast.download_bytes_per_ns;
    let upload = 64e6 * 4.0 / fast.upload_bytes_per_ns;
    let (host, device) = (fast.ns(&map, 0.0), fast.ns(&map, 4.0));
    assert!(
        (host - device - upload - read_back).abs() < 1.0,
        "host {host} device {device}"
    );
    // So the same map goes to the GPU on resident data and stays on the CPU from the host.
    assert_eq!(way(map, 4.0, Some(&fast), Backend::Auto), Way::Gpu);
    assert_ne!(way(map, 0.0, Some(&fast), Backend::Auto), Way::Gpu);
    // A pass with no inputs (row numbers only) has nothing resident: its output comes back.
    let generated = Work {
        bytes_in: 0.0,
        ..map
    };
    assert!(fast.ns(&generated, 0.0) >= read_back);
}

#[test]
fn a_memory_bound_pass_on_host_data_stays_on_the_cpu_when_the_bus_is_slower() {
    // Uploading 4 bytes a row at 20 GB/s is slower than summing them at 45 GB/s on the CPU.
    let fast = fast_gpu();
    assert_ne!(
        way(sum_work(64e6), 0.0, Some(&fast), Backend::Auto),
        Way::Gpu
    );
}

#[test]
fn a_slow_gpu_or_none_leaves_everything_on_the_cpu() {
    let slow = slow_gpu();
    for rows in [1e3, 1e5, 1e7, 1e8] {
        for resident in [0.0, 4.0] {
            assert_ne!(
                way(sum_work(rows), resident, Some(&slow), Backend::Auto),
                Way::Gpu
            );
            assert_ne!(
                way(heavy_work(rows), resident, Some(&slow), Backend::Auto),
                Way::Gpu
            );
            assert_ne!(
                way(heavy_work(rows), resident, None, Backend::Auto),
                Way::Gpu
            );
        }
    }
}

#[test]
fn large_cpu_passes_use_the_pool_small_ones_do_not() {
    assert_eq!(way(heavy_work(1e7), 0.0, None, Backend::Auto), Way::CpuPool);
    assert_eq!(way(sum_work(5e3), 0.0, None, Backend::Auto), Way::Cpu1);
}

/// A software adapter with figures like lavapipe's on the dev machine (`swath calibrate`):
/// a slow round trip, ~1 GB/s through its "device" memory, transcendentals ~10x the CPU's.
fn lavapipe_like() -> GpuCosts {
    GpuCosts {
        adapter: "synthetic lavapipe".into(),
        software: true,
        roundtrip_ns: 145_000.0,
        upload_bytes_per_ns: 2.9,
        download_bytes_per_ns: 1000.0,
        read_bytes_per_ns: 1.0,
        cheap_op_ns: 0.0001,
        heavy_op_ns: 6.2,
    }
}

#[test]
fn a_software_gpu_that_measures_slower_is_never_chosen_by_auto_but_can_be_forced() {
    let lavapipe = lavapipe_like();
    let mut rows = 100.0;
    while rows <= 64e6 {
        for work in [sum_work(rows), heavy_work(rows)] {
            for resident in [0.0, 4.0] {
                let auto = way(work, resident, Some(&lavapipe), Backend::Auto);
                assert_ne!(auto, Way::Gpu, "{rows} rows, resident {resident}");
                let forced = way(work, resident, Some(&lavapipe), Backend::Gpu);
                assert_eq!(forced, Way::Gpu);
            }
        }
        rows *= 4.0;
    }
}

#[test]
fn a_software_gpu_is_judged_by_its_figures_like_any_other() {
    // No rule against software adapters: one that really measured faster would be used.
    let fast_software = GpuCosts {
        software: true,
        ..fast_gpu()
    };
    assert_eq!(
        way(heavy_work(1e8), 4.0, Some(&fast_software), Backend::Auto),
        Way::Gpu
    );
    let (_, _, reason) = decide(&Situation {
        work: sum_work(1e6),
        resident: 0.0,
        chunks: 16,
        threads: 2,
        backend: Backend::Auto,
        cpu: &cpu(),
        gpu: Some(&lavapipe_like()),
    });
    assert!(reason.contains("the software GPU would take"), "{reason}");
}

/// The real adapter, measured: where it is a software one (lavapipe in CI), `auto` keeps every
/// shape of the regret benchmark on the CPU at every size from 100 to 64M rows, in a release
/// build (`cargo test --release --test chooser`). A debug build's CPU kernels are unoptimized
/// (its calibration measures ~13 ns per cheap op on an EPYC Zen 3) while lavapipe's shaders
/// are compiled by LLVM either way: there its measured estimate for the sin/cos shape can
/// honestly beat the CPU's (288 ms vs 291 ms at 1.6M rows, session 8), so the claim holds
/// only for release.
#[test]
fn the_measured_software_adapter_is_never_chosen_by_auto() {
    use swath::prelude::*;
    if cfg!(debug_assertions) {
        eprintln!("skipping: a debug build's CPU kernels are not what auto is tuned for");
        return;
    }
    if !common::gpu_present() {
        return;
    }
    let info = swath::gpu::adapter_info().expect("an adapter");
    if !info.is_software() {
        eprintln!("skipping: {} is a hardware adapter", info.name);
        return;
    }
    let schema = |name: &str| matches!(name, "a" | "b" | "c").then_some(DType::F32);
    let (a, b, c) = (col("a"), col("b"), col("c"));
    let shapes = [
        vec![a.clone().sum()],
        vec![(a.clone() * b.clone() + c.clone()).sqrt().sum()],
        vec![(a.clone().sin() * b.clone().cos() + (a.clone() * b.clone()).sqrt()).alias("y")],
        vec![
            a.clone().sum().alias("sa"),
            a.clone().min().alias("ma"),
            b.clone().max().alias("mb"),
            c.mean().alias("mc"),
        ],
    ];
    let auto = swath::ExecOptions::new().backend(Backend::Auto);
    let mut rows = 100;
    while rows <= 64 << 20 {
        for exprs in &shapes {
            let choices =
                swath::unstable::pass_choices(exprs, rows, &schema, &auto).expect("chooses");
            for (way, reason) in choices {
                assert_ne!(way, Way::Gpu, "{rows} rows: {reason}");
            }
        }
        rows *= 4;
    }
}

#[test]
fn forced_ways_win_over_estimates() {
    let fast = fast_gpu();
    assert_eq!(
        way(sum_work(64e6), 4.0, Some(&fast), Backend::Cpu1),
        Way::Cpu1
    );
    assert_eq!(
        way(sum_work(1e6), 0.0, Some(&fast), Backend::Cpu),
        Way::CpuPool
    );
    // Forcing the pool onto one chunk runs it where the pool would: on the calling thread.
    assert_eq!(
        way(sum_work(10.0), 0.0, Some(&fast), Backend::Cpu),
        Way::Cpu1
    );
    assert_eq!(way(sum_work(10.0), 0.0, None, Backend::Gpu), Way::Gpu);
}

#[test]
fn estimates_and_reason_name_every_way_considered() {
    let (cpu, fast) = (cpu(), fast_gpu());
    let situation = Situation {
        work: sum_work(64e6),
        resident: 4.0,
        chunks: 1024,
        threads: 2,
        backend: Backend::Auto,
        cpu: &cpu,
        gpu: Some(&fast),
    };
    let (way, estimates, reason) = decide(&situation);
    assert_eq!(way, Way::Gpu);
    let names: Vec<&str> = estimates.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["cpu1", "cpu x2", "gpu"]);
    assert!(estimates.iter().all(|(_, ns)| ns.is_finite() && *ns > 0.0));
    assert!(
        reason.contains("gpu") && reason.contains("already on the device"),
        "{reason}"
    );
}

mod cache {
    use std::fs;

    use swath::unstable::fingerprint;
    use swath::unstable::load_or_measure;

    fn temp_cache(content: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("calibration.json");
        fs::write(&path, content).expect("write cache");
        (dir, path)
    }

    #[test]
    fn a_corrupt_or_foreign_cache_is_measured_again_and_replaced() {
        let good = load_or_measure(&std::env::temp_dir().join("swath-test-none/calibration.json"))
            .expect("measuring works");
        let foreign = serde_json::to_string(&swath::unstable::Calibration {
            fingerprint: "swath 0.0.0; cpu Some Other CPU; 64 cores; avx2".into(),
            ..good.clone()
        })
        .expect("serialize");
        let impossible = serde_json::to_string(&swath::unstable::Calibration {
            cpu: swath::unstable::CpuCosts {
                read_bytes_per_ns: -1.0,
                ..good.cpu
            },
            ..good.clone()
        })
        .expect("serialize");
        for content in [
            "",
            "{not json",
            "[1, 2, 3]",
            "{\"fingerprint\": 5}",
            &foreign,
            &impossible,
        ] {
            let (_dir, path) = temp_cache(content);
            let c = load_or_measure(&path).expect("a bad cache is redone, not an error");
            assert_eq!(c.fingerprint, fingerprint());
            assert!(c.cpu.read_bytes_per_ns > 0.0);
            let rewritten = fs::read_to_string(&path).expect("cache rewritten");
            assert!(
                rewritten.contains(&fingerprint()),
                "cache not replaced for {content:?}"
            );
        }
    }

    #[test]
    fn a_valid_cache_is_reused_as_is() {
        let (_dir, path) = temp_cache("");
        let first = load_or_measure(&path).expect("measure");
        // Mark the cached figures so a re-measurement would show.
        let marked = swath::unstable::Calibration {
            cpu: swath::unstable::CpuCosts {
                call_ns: 123_456.0,
                ..first.cpu
            },
            ..first
        };
        fs::write(&path, serde_json::to_string(&marked).expect("serialize")).expect("write");
        let again = load_or_measure(&path).expect("load");
        assert_eq!(again.cpu.call_ns, 123_456.0);
    }
}

/// Transcendentals the CPU computes by a library call per element (every f64 one, and f32 ones
/// without a vector polynomial) are costed at their own measured rate: the f64 pass of the
/// Black-Scholes example was estimated 10x too fast when they counted as f32 sines.
#[test]
fn library_call_transcendentals_cost_their_own_rate() {
    let work = |e: Expr, dtype: DType| {
        let schema = move |name: &str| (name == "x").then_some(dtype);
        swath::unstable::pass_work(&[e], 100_000, &schema).expect("plan")[0]
    };
    let sin32 = work(col("x").sin(), DType::F32);
    let sin64 = work(col("x").sin(), DType::F64);
    let tan32 = work(col("x").tan(), DType::F32);
    let pow64 = work(col("x").pow(col("x")), DType::F64);
    assert_eq!((sin32.heavy_ops, sin32.libm_ops), (1.0, 0.0));
    assert_eq!((sin64.heavy_ops, sin64.libm_ops), (0.0, 1.0));
    assert_eq!((tan32.heavy_ops, tan32.libm_ops), (0.0, 1.0));
    assert_eq!((pow64.heavy_ops, pow64.libm_ops), (0.0, 1.0));
    let cpu = cpu();
    let (f32_ns, f64_ns) = (cpu.serial_ns(&sin32), cpu.serial_ns(&sin64));
    assert!(
        f64_ns > 5.0 * f32_ns,
        "f64 sin {f64_ns} ns vs f32 sin {f32_ns} ns with libm ops 8x the vector ones"
    );
    // A calibration from before the figure existed (0) costs them as vector ones.
    let old = CpuCosts {
        libm_op_ns: 0.0,
        ..cpu
    };
    let as_vector = Work {
        heavy_ops: 1.0,
        libm_ops: 0.0,
        compiled: false,
        ..sin64
    };
    assert_eq!(old.serial_ns(&sin64), old.serial_ns(&as_vector));
    assert!(old.serial_ns(&sin64) * 5.0 < cpu.serial_ns(&sin64));
}

/// A pass the GPU wins on its estimate but cannot run (an f64 sine: Vulkan has no f64
/// transcendentals) is decided among the CPU ways, and `explain` says why. The same loop
/// without the sine shows the GPU would have won (on lavapipe `auto` sends per-row loops
/// to the GPU, whose compiled shader beats the CPU's interpreter).
#[test]
fn a_pass_the_gpu_cannot_run_is_not_chosen_for_it() {
    use swath::prelude::*;
    if !common::gpu_present() {
        return;
    }
    let halvings = iterate(200)
        .state("v", row_index().cast(DType::F64) + lit(1.0))
        .while_(state("v").gt_eq(lit(1.0)))
        .update("v", state("v") * lit(0.5) - lit(0.25))
        .get("v");
    let frame = Frame::with_rows(300_000);
    let choice = |e: Expr| -> String {
        let text = frame.explain([e]).expect("explain");
        let line = text.lines().find(|l| l.contains("choice:")).unwrap_or("");
        line.to_string()
    };
    let runnable = choice(halvings.clone().alias("v"));
    assert!(
        runnable.contains("choice: gpu"),
        "the control must go to the GPU: {runnable}"
    );
    let not_runnable = choice(halvings.sin().alias("v"));
    assert!(
        !not_runnable.contains("choice: gpu") && not_runnable.contains("not the GPU"),
        "{not_runnable}"
    );
}

/// A pass with fewer chunks than the pool has threads keeps only that many busy, and each
/// streams at one thread's rate until they reach the whole pool's measured bandwidth. A
/// 16-thread host whose pool saturates memory at four threads' worth: a 2-chunk pass
/// streams at two threads' rate, not 2/16 of the pool's.
#[test]
fn a_partly_busy_pool_streams_at_its_busy_threads_rate() {
    let cpu = CpuCosts {
        threads: 16,
        read_bytes_per_ns: 10.0,
        pool_read_bytes_per_ns: 40.0,
        pool_compute_speedup: 16.0,
        ..cpu()
    };
    let sum = |rows: f64| Work {
        rows,
        bytes_in: 4.0,
        cheap_ops: 1.0,
        ..Work::default()
    };
    // Two full chunks: one per busy thread, each at 10 bytes/ns.
    let two = sum(2.0 * 65_536.0);
    let expected = cpu.call_ns + cpu.pool_ns + 65_536.0 * 4.0 / 10.0;
    let got = cpu.pool_ns(&two, 16);
    assert!((got - expected).abs() < 1.0, "{got} vs {expected}");
    // 64 chunks on 16 threads: four each, and all together at the pool's 40 bytes/ns.
    let many = sum(64.0 * 65_536.0);
    let expected = cpu.call_ns + cpu.pool_ns + many.rows * 4.0 / 40.0;
    let got = cpu.pool_ns(&many, 16);
    assert!((got - expected).abs() < 1.0, "{got} vs {expected}");
    // A pool asked for two threads on that host streams at two threads' rate too.
    let expected = cpu.call_ns + cpu.pool_ns + many.rows * 4.0 / 20.0;
    let got = cpu.pool_ns(&many, 2);
    assert!((got - expected).abs() < 1.0, "{got} vs {expected}");
}

/// The pool's estimate follows the busiest thread, which takes whole chunks: at 102,400 rows
/// (one full 65,536-row chunk and one partial) on two threads, 64% of the rows, not half.
#[test]
fn the_pool_estimate_follows_the_thread_with_the_full_chunk() {
    let cpu = cpu();
    let rows = 102_400.0;
    let compute_bound = Work {
        rows,
        cheap_ops: 100.0,
        ..Work::default()
    };
    let compute = rows * 100.0 * cpu.cheap_op_ns;
    let expected = cpu.call_ns + cpu.pool_ns + 65_536.0 / rows * compute;
    let got = cpu.pool_ns(&compute_bound, 2);
    assert!((got - expected).abs() < 1.0, "{got} vs {expected}");
    // Four equal chunks on two threads: exactly half each.
    let even = Work {
        rows: 4.0 * 65_536.0,
        ..compute_bound
    };
    let half = cpu.call_ns + cpu.pool_ns + 0.5 * even.rows * 100.0 * cpu.cheap_op_ns;
    assert!((cpu.pool_ns(&even, 2) - half).abs() < 1.0);
}

/// The rule as it was written before it was restated over the backends' `Engine` list
/// (session 7): forced ways win (`cpu` is the pool when there are threads and chunks to share
/// out); otherwise the pool if it beats the calling thread by the margin, and the GPU if it
/// beats the better CPU way. `decide` must agree with it everywhere.
fn reference_way(s: &Situation<'_>) -> Way {
    let serial = s.cpu.serial_ns(&s.work);
    let pool = (s.threads > 1 && s.chunks > 1).then(|| s.cpu.pool_ns(&s.work, s.threads));
    let gpu = s.gpu.map(|g| g.ns(&s.work, s.resident));
    match s.backend {
        Backend::Cpu1 => Way::Cpu1,
        Backend::Cpu if pool.is_some() => Way::CpuPool,
        Backend::Cpu => Way::Cpu1,
        Backend::Gpu => Way::Gpu,
        Backend::Auto => {
            let (cpu_way, cpu_ns) = match pool {
                Some(p) if p < 0.8 * serial => (Way::CpuPool, p),
                _ => (Way::Cpu1, serial),
            };
            match gpu {
                Some(g) if g < cpu_ns => Way::Gpu,
                _ => cpu_way,
            }
        }
    }
}

#[test]
fn the_engine_list_decides_as_the_written_rule_did() {
    let cpu = cpu();
    let gpus = [None, Some(fast_gpu()), Some(slow_gpu())];
    let shapes = [
        sum_work(1.0),
        Work {
            bytes_in: 12.0,
            bytes_out: 4.0,
            cheap_ops: 4.0,
            heavy_ops: 2.0,
            ..sum_work(1.0)
        },
        Work {
            bytes_in: 8.0,
            libm_ops: 3.0,
            compiled: false,
            ..sum_work(1.0)
        },
    ];
    let mut checked = 0;
    for gpu in &gpus {
        for shape in shapes {
            let mut rows = 1.0;
            while rows <= 1e9 {
                for threads in [1, 2, 8] {
                    for resident in [0.0, shape.bytes_in] {
                        for backend in [Backend::Auto, Backend::Cpu, Backend::Cpu1, Backend::Gpu] {
                            let s = Situation {
                                work: Work { rows, ..shape },
                                resident,
                                chunks: (rows as usize).div_ceil(65_536),
                                threads,
                                backend,
                                cpu: &cpu,
                                gpu: gpu.as_ref(),
                            };
                            assert_eq!(decide(&s).0, reference_way(&s), "{s:?}");
                            checked += 1;
                        }
                    }
                }
                rows *= 3.0;
            }
        }
    }
    assert!(checked > 3000, "{checked}");
}
