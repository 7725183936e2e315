//! `swath bench`: the CPU-vs-GPU comparison. Sweeps sizes and kernel shapes on every way of
//! running a pass (calling thread, pool, GPU where present) and on `auto`, and reports
//! throughput and the chooser's regret, time(auto) / min(time of every forced way).

use std::path::PathBuf;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use swath::options::Backend;
use swath::prelude::*;

/// One kernel shape of the sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Shape {
    /// Memory-bound: `sum(a)`.
    Sum,
    /// `sum(sqrt(a*b+c))`: three inputs, one fused pass.
    Fused,
    /// Arithmetic-heavy map written to a new column: `sin(a)*cos(b) + sqrt(a*b)`.
    Map,
    /// Multi-output select: sum, min, max and mean of a, b and c in one pass.
    Multi,
}

impl Shape {
    pub const ALL: [Shape; 4] = [Shape::Sum, Shape::Fused, Shape::Map, Shape::Multi];

    pub fn name(self) -> &'static str {
        match self {
            Shape::Sum => "sum",
            Shape::Fused => "fused",
            Shape::Map => "map",
            Shape::Multi => "multi",
        }
    }

    fn exprs(self) -> Vec<Expr> {
        let (a, b, c) = (col("a"), col("b"), col("c"));
        match self {
            Shape::Sum => vec![a.sum()],
            Shape::Fused => vec![(a * b + c).sqrt().sum()],
            Shape::Map => vec![(a.clone().sin() * b.clone().cos() + (a * b).sqrt()).alias("y")],
            Shape::Multi => ["a", "b", "c"]
                .iter()
                .flat_map(|n| {
                    [
                        col(*n).sum().alias(format!("sum_{n}")),
                        col(*n).min().alias(format!("min_{n}")),
                        col(*n).max().alias(format!("max_{n}")),
                        col(*n).mean().alias(format!("mean_{n}")),
                    ]
                })
                .collect(),
        }
    }

    /// Bytes read and written per row.
    fn bytes_per_row(self) -> usize {
        match self {
            Shape::Sum => 4,
            Shape::Fused | Shape::Multi => 12,
            Shape::Map => 12,
        }
    }
}

/// A way to run the passes: forced, or left to the chooser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Way {
    /// CPU, on the calling thread.
    Cpu1,
    /// CPU, on swath's thread pool.
    Cpu,
    /// The GPU (skipped when there is none).
    Gpu,
    /// swath's own choice per pass.
    Auto,
}

impl Way {
    /// Every way, in the order tables list them.
    pub const ALL: [Way; 4] = [Way::Auto, Way::Cpu1, Way::Cpu, Way::Gpu];

    pub fn name(self) -> &'static str {
        match self {
            Way::Cpu1 => "cpu1",
            Way::Cpu => "cpu",
            Way::Gpu => "gpu",
            Way::Auto => "auto",
        }
    }
    fn options(self) -> ExecOptions {
        ExecOptions::new().backend(match self {
            Way::Cpu1 => Backend::Cpu1,
            Way::Cpu => Backend::Cpu,
            Way::Gpu => Backend::Gpu,
            Way::Auto => Backend::Auto,
        })
    }
}

/// What to sweep and where to write.
pub struct Config {
    pub sizes: Vec<usize>,
    pub shapes: Vec<Shape>,
    pub ways: Vec<Way>,
    pub json: PathBuf,
    pub chart: PathBuf,
    /// Seconds to spend timing each (point, way), at least three runs.
    pub seconds_per_point: f64,
}

/// One measured point.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Point {
    pub shape: Shape,
    pub rows: usize,
    pub way: Way,
    pub median_ns: f64,
    pub gb_per_s: f64,
    pub rows_per_s: f64,
}

/// The sweep's results.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub machine: String,
    pub gpu: Option<String>,
    pub points: Vec<Point>,
    /// (shape, rows, regret) for every size where auto and at least one forced way ran.
    pub regret: Vec<(Shape, usize, f64)>,
}

/// The default sizes: 100 rows up to `max`, about x4 apart.
pub fn sizes_up_to(max: usize) -> Vec<usize> {
    let mut sizes = vec![];
    let mut n = 100usize;
    while n <= max {
        sizes.push(n);
        n = n.saturating_mul(4);
    }
    if sizes.last() != Some(&max) {
        sizes.push(max);
    }
    sizes
}

pub fn run(config: &Config) -> Result<Report, Error> {
    let gpu = swath::gpu::adapter_info()
        .map(|i| format!("{} ({}, {})", i.name, i.backend, i.device_type));
    let ways: Vec<Way> = config
        .ways
        .iter()
        .copied()
        .filter(|w| *w != Way::Gpu || gpu.is_some())
        .collect();
    let total = (config.sizes.len() * config.shapes.len() * ways.len()) as u64;
    let bar = ProgressBar::new(total).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut points = Vec::new();
    // The CPU ways and auto are timed in turns (one run of each, round after round), so a
    // burst of load from a neighbour on this shared machine slows them all alike instead of
    // whichever happened to be running: regret compares them, so they must be measured alike.
    let (gpu_ways, cpu_ways): (Vec<Way>, Vec<Way>) = ways.iter().partition(|w| **w == Way::Gpu);
    for &rows in &config.sizes {
        let frame = data(rows)?;
        for &shape in &config.shapes {
            bar.set_message(format!("{} {rows} rows", shape.name()));
            let mut timed = time_in_turns(&frame, shape, &cpu_ways, config.seconds_per_point)?;
            for &way in &gpu_ways {
                timed.push((way, time(&frame, shape, way, config.seconds_per_point)?));
                // A software adapter's worker threads spin on after its last pass and would
                // slow whatever is timed next on the same cores.
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            for (way, ns) in timed {
                let bytes = (rows * shape.bytes_per_row()) as f64;
                points.push(Point {
                    shape,
                    rows,
                    way,
                    median_ns: ns,
                    gb_per_s: bytes / ns,
                    rows_per_s: rows as f64 / ns * 1e9,
                });
                bar.inc(1);
            }
        }
    }
    bar.finish_and_clear();
    let regret = regret(&points);
    Ok(Report {
        machine: swath::cost::fingerprint(),
        gpu,
        points,
        regret,
    })
}

fn regret(points: &[Point]) -> Vec<(Shape, usize, f64)> {
    let mut out = Vec::new();
    for p in points.iter().filter(|p| p.way == Way::Auto) {
        let best = points
            .iter()
            .filter(|q| q.shape == p.shape && q.rows == p.rows && q.way != Way::Auto)
            .map(|q| q.median_ns)
            .fold(f64::INFINITY, f64::min);
        if best.is_finite() {
            out.push((p.shape, p.rows, p.median_ns / best));
        }
    }
    out
}

/// Columns a, b, c of `rows` random f32 (fresh data, never constants).
fn data(rows: usize) -> Result<Frame, Error> {
    let column = |seed: u64| {
        let mut state = seed;
        let values: Vec<f32> = (0..rows)
            .map(|_| {
                state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = state;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^= z >> 31;
                2.0 * ((z >> 40) as f32 / (1u64 << 24) as f32)
            })
            .collect();
        Column::from(values)
    };
    Frame::new([("a", column(2)), ("b", column(3)), ("c", column(4))])
}

/// Ns of one select of `shape` run `way`.
fn time_once(frame: &Frame, exprs: &[Expr], options: &ExecOptions) -> Result<f64, Error> {
    let start = Instant::now();
    let out = frame.select_with(exprs.to_vec(), options)?;
    std::hint::black_box(out);
    Ok(start.elapsed().as_nanos() as f64)
}

fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times.get(times.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Median ns of one select, repeated for about `seconds` (at least 3 runs, after a warm-up).
fn time(frame: &Frame, shape: Shape, way: Way, seconds: f64) -> Result<f64, Error> {
    let (options, exprs) = (way.options(), shape.exprs());
    let first = time_once(frame, &exprs, &options)?;
    let runs = ((seconds * 1e9 / first.max(1.0)) as usize).clamp(3, 2001);
    let times = (0..runs)
        .map(|_| time_once(frame, &exprs, &options))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(median(times))
}

/// Median ns of each of `ways`, timed in turns: a warm-up of each, then rounds of one run of
/// each, for about `seconds` per way (at least 3 rounds). Each round takes the ways in a fresh
/// pseudo-random order: a run is affected by the one before it (a pool worker is awake after a
/// pool pass and asleep after a serial one), and a fixed order gave one way that predecessor
/// every time.
fn time_in_turns(
    frame: &Frame,
    shape: Shape,
    ways: &[Way],
    seconds: f64,
) -> Result<Vec<(Way, f64)>, Error> {
    let exprs = shape.exprs();
    let options: Vec<ExecOptions> = ways.iter().map(|w| w.options()).collect();
    let mut slowest: f64 = 1.0;
    for o in &options {
        slowest = slowest.max(time_once(frame, &exprs, o)?);
    }
    let rounds = ((seconds * 1e9 / slowest) as usize).clamp(3, 2001);
    let mut times = vec![Vec::with_capacity(rounds); ways.len()];
    let mut order: Vec<usize> = (0..ways.len()).collect();
    let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
    for _ in 0..rounds {
        shuffle(&mut order, &mut seed);
        for &w in &order {
            times[w].push(time_once(frame, &exprs, &options[w])?);
        }
    }
    Ok(ways
        .iter()
        .copied()
        .zip(times.into_iter().map(median))
        .collect())
}

/// Fisher-Yates with a 64-bit LCG: the bench needs a varied order, not statistical quality.
fn shuffle(order: &mut [usize], seed: &mut u64) {
    for i in (1..order.len()).rev() {
        *seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let j = ((*seed >> 33) % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
}

/// The report as a readable table: throughput per way, then regret.
pub fn table(report: &Report, ways: &[Way]) -> String {
    let mut out = String::new();
    let ways: Vec<Way> = ways
        .iter()
        .copied()
        .filter(|w| report.points.iter().any(|p| p.way == *w))
        .collect();
    let shapes: Vec<Shape> = Shape::ALL
        .into_iter()
        .filter(|s| report.points.iter().any(|p| p.shape == *s))
        .collect();
    for shape in shapes {
        out.push_str(&format!("\n{} — GB/s (Mrows/s)\n", shape_title(shape)));
        out.push_str(&format!("{:>10}", "rows"));
        for w in &ways {
            out.push_str(&format!("{:>20}", w.name()));
        }
        out.push_str(&format!("{:>9}\n", "regret"));
        let mut rows: Vec<usize> = report
            .points
            .iter()
            .filter(|p| p.shape == shape)
            .map(|p| p.rows)
            .collect();
        rows.dedup();
        for n in rows {
            out.push_str(&format!("{n:>10}"));
            for w in &ways {
                match report
                    .points
                    .iter()
                    .find(|p| p.shape == shape && p.rows == n && p.way == *w)
                {
                    Some(p) => out.push_str(&format!(
                        "{:>20}",
                        format!("{:.2} ({:.1})", p.gb_per_s, p.rows_per_s / 1e6)
                    )),
                    None => out.push_str(&format!("{:>20}", "-")),
                }
            }
            match report
                .regret
                .iter()
                .find(|(s, r, _)| *s == shape && *r == n)
            {
                Some((_, _, g)) => out.push_str(&format!("{g:>9.2}\n")),
                None => out.push_str(&format!("{:>9}\n", "-")),
            }
        }
    }
    if !report.regret.is_empty() {
        let mut values: Vec<f64> = report.regret.iter().map(|r| r.2).collect();
        values.sort_by(f64::total_cmp);
        out.push_str(&format!(
            "\nregret time(auto)/min(time forced): max {:.2}, median {:.2} over {} points\n",
            values[values.len() - 1],
            values[values.len() / 2],
            values.len()
        ));
    }
    out
}

pub fn shape_title(shape: Shape) -> &'static str {
    match shape {
        Shape::Sum => "sum(a)",
        Shape::Fused => "sum(sqrt(a*b+c))",
        Shape::Map => "y = sin(a)*cos(b) + sqrt(a*b)",
        Shape::Multi => "sum/min/max/mean of a, b, c",
    }
}
