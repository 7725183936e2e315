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

/// Where a point's input columns are when each timed select starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Placement {
    /// On the host only: a GPU pass uploads them, and its output columns are read back to the
    /// host inside the timing (host data wants host results).
    #[default]
    Host,
    /// Already on the GPU (uploaded before the timing): outputs stay where their pass ran,
    /// as in a chain of GPU work.
    Device,
}

impl Placement {
    pub const ALL: [Placement; 2] = [Placement::Host, Placement::Device];

    pub fn name(self) -> &'static str {
        match self {
            Placement::Host => "host",
            Placement::Device => "device",
        }
    }

    /// Puts every column of `frame` where this placement says (untimed).
    fn place(self, frame: &Frame) -> Result<(), Error> {
        for (_, column) in frame.columns() {
            match self {
                Placement::Host => column.release_device()?,
                Placement::Device => column.upload()?,
            }
        }
        Ok(())
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
    /// Where the inputs are (device placements are skipped without a GPU).
    pub placements: Vec<Placement>,
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
    /// Where the inputs were (results saved before placements existed were all on the host).
    #[serde(default)]
    pub data: Placement,
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
    /// Every point where auto and at least one forced way ran; computed from `points` (so
    /// a saved report is read without it and gets it recomputed).
    #[serde(default, skip_deserializing)]
    pub regret: Vec<Regret>,
}

/// time(auto) / min(time forced) at one point.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Regret {
    pub shape: Shape,
    pub rows: usize,
    pub data: Placement,
    pub value: f64,
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
    let placements: Vec<Placement> = config
        .placements
        .iter()
        .copied()
        .filter(|p| *p == Placement::Host || gpu.is_some())
        .collect();
    let total = (config.sizes.len() * config.shapes.len() * placements.len() * ways.len()) as u64;
    let bar = ProgressBar::new(total).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut points = Vec::new();
    // The ways are timed in turns (one run of each, round after round), so a
    // burst of load from a neighbour on this shared machine slows them all alike instead of
    // whichever happened to be running: regret compares them, so they must be measured alike.
    // A hardware GPU's way is timed in turns with the others too: an idle discrete GPU lowers
    // its clocks, so timed back to back it looked faster than auto's GPU passes, which run
    // between CPU ones (up to 3x on an H200). A software adapter's is timed apart: its worker
    // threads spin on after a pass and would slow the CPU ways timed next on the same cores.
    let software = swath::gpu::adapter_info().is_some_and(|i| i.is_software());
    let (apart, in_turns): (Vec<Way>, Vec<Way>) =
        ways.iter().partition(|w| **w == Way::Gpu && software);
    for &rows in &config.sizes {
        let frame = data(rows)?;
        for &shape in &config.shapes {
            for &data in &placements {
                bar.set_message(format!(
                    "{} {rows} rows, data on the {}",
                    shape.name(),
                    data.name()
                ));
                let mut timed =
                    time_in_turns(&frame, shape, data, &in_turns, config.seconds_per_point)?;
                for &way in &apart {
                    timed.push((
                        way,
                        time(&frame, shape, data, way, config.seconds_per_point)?,
                    ));
                    // A software adapter's worker threads spin on after its last pass and
                    // would slow whatever is timed next on the same cores.
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                for (way, ns) in timed {
                    let bytes = (rows * shape.bytes_per_row()) as f64;
                    points.push(Point {
                        shape,
                        rows,
                        data,
                        way,
                        median_ns: ns,
                        gb_per_s: bytes / ns,
                        rows_per_s: rows as f64 / ns * 1e9,
                    });
                    bar.inc(1);
                }
            }
        }
    }
    bar.finish_and_clear();
    let regret = regret(&points);
    Ok(Report {
        machine: swath::unstable::fingerprint(),
        gpu,
        points,
        regret,
    })
}

/// The regret at every point of `points` where auto and some forced way ran.
pub fn regret(points: &[Point]) -> Vec<Regret> {
    let mut out = Vec::new();
    for p in points.iter().filter(|p| p.way == Way::Auto) {
        let best = points
            .iter()
            .filter(|q| {
                q.shape == p.shape && q.rows == p.rows && q.data == p.data && q.way != Way::Auto
            })
            .map(|q| q.median_ns)
            .fold(f64::INFINITY, f64::min);
        if best.is_finite() {
            out.push(Regret {
                shape: p.shape,
                rows: p.rows,
                data: p.data,
                value: p.median_ns / best,
            });
        }
    }
    out
}

/// Columns a, b, c of `rows` random f32 in [0, 2) (fresh data, never constants), made by
/// swath's own counter-based generator on the CPU: one stream per column.
fn data(rows: usize) -> Result<Frame, Error> {
    let column = |stream: u32| {
        let key = swath::row_index() * lit(3u32) + lit(stream);
        (key.uniform() * lit(2.0f32)).alias(["a", "b", "c"][stream as usize])
    };
    let cpu = ExecOptions::new().backend(Backend::Cpu);
    Frame::with_rows(rows).select_with([column(0), column(1), column(2)], &cpu)
}

/// Ns of one select of `exprs` run with `options`, its inputs first put where `data` says
/// (untimed). With host data the outputs are brought to the host inside the timing; either
/// way the GPU has finished the work when the timing stops.
fn time_once(
    frame: &Frame,
    exprs: &[Expr],
    options: &ExecOptions,
    data: Placement,
) -> Result<f64, Error> {
    data.place(frame)?;
    let start = Instant::now();
    let out = frame.select_with(exprs.to_vec(), options)?;
    if data == Placement::Host {
        for (_, column) in out.columns() {
            column.fetch()?;
        }
    }
    // A GPU pass whose results stay on the device returns once queued: wait for it to run.
    swath::gpu::synchronize()?;
    let ns = start.elapsed().as_nanos() as f64;
    std::hint::black_box(out);
    Ok(ns)
}

fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times.get(times.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Median ns of one select, repeated for about `seconds` (at least 3 runs, after a warm-up).
fn time(
    frame: &Frame,
    shape: Shape,
    data: Placement,
    way: Way,
    seconds: f64,
) -> Result<f64, Error> {
    let (options, exprs) = (way.options(), shape.exprs());
    let first = time_once(frame, &exprs, &options, data)?;
    let runs = ((seconds * 1e9 / first.max(1.0)) as usize).clamp(3, 2001);
    let times = (0..runs)
        .map(|_| time_once(frame, &exprs, &options, data))
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
    data: Placement,
    ways: &[Way],
    seconds: f64,
) -> Result<Vec<(Way, f64)>, Error> {
    let exprs = shape.exprs();
    let options: Vec<ExecOptions> = ways.iter().map(|w| w.options()).collect();
    let mut slowest: f64 = 1.0;
    for o in &options {
        slowest = slowest.max(time_once(frame, &exprs, o, data)?);
    }
    let rounds = ((seconds * 1e9 / slowest) as usize).clamp(3, 2001);
    let mut times = vec![Vec::with_capacity(rounds); ways.len()];
    let mut order: Vec<usize> = (0..ways.len()).collect();
    let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
    for _ in 0..rounds {
        shuffle(&mut order, &mut seed);
        for &w in &order {
            times[w].push(time_once(frame, &exprs, &options[w], data)?);
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

/// The report as a readable table: throughput per way, then regret, for each shape and
/// placement of the data.
pub fn table(report: &Report, ways: &[Way]) -> String {
    let mut out = String::new();
    let ways: Vec<Way> = ways
        .iter()
        .copied()
        .filter(|w| report.points.iter().any(|p| p.way == *w))
        .collect();
    for (data, shape) in panels(report) {
        out.push_str(&format!(
            "\n{} — data on the {} — GB/s (Mrows/s)\n",
            shape_title(shape),
            data.name()
        ));
        out.push_str(&format!("{:>10}", "rows"));
        for w in &ways {
            out.push_str(&format!("{:>20}", w.name()));
        }
        out.push_str(&format!("{:>9}\n", "regret"));
        let at = |p: &Point| p.shape == shape && p.data == data;
        let mut rows: Vec<usize> = report
            .points
            .iter()
            .filter(|p| at(p))
            .map(|p| p.rows)
            .collect();
        rows.dedup();
        for n in rows {
            out.push_str(&format!("{n:>10}"));
            for w in &ways {
                match report
                    .points
                    .iter()
                    .find(|p| at(p) && p.rows == n && p.way == *w)
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
                .find(|r| r.shape == shape && r.data == data && r.rows == n)
            {
                Some(r) => out.push_str(&format!("{:>9.2}\n", r.value)),
                None => out.push_str(&format!("{:>9}\n", "-")),
            }
        }
    }
    if !report.regret.is_empty() {
        out.push_str(&format!(
            "\nregret time(auto)/min(time forced): {}\n",
            regret_summary(report.regret.iter())
        ));
        let placements: Vec<Placement> = Placement::ALL
            .into_iter()
            .filter(|d| report.regret.iter().any(|r| r.data == *d))
            .collect();
        if placements.len() > 1 {
            for d in placements {
                out.push_str(&format!(
                    "  data on the {}: {}\n",
                    d.name(),
                    regret_summary(report.regret.iter().filter(|r| r.data == d))
                ));
            }
        }
    }
    out
}

/// "max M, median D over N points" of some regrets (at least one).
fn regret_summary<'a>(regrets: impl Iterator<Item = &'a Regret>) -> String {
    let mut values: Vec<f64> = regrets.map(|r| r.value).collect();
    values.sort_by(f64::total_cmp);
    match values.last() {
        Some(max) => format!(
            "max {max:.2}, median {:.2} over {} points",
            values[values.len() / 2],
            values.len()
        ),
        None => "no points".to_string(),
    }
}

/// The (placement, shape) pairs the report has points for, in table and chart order.
pub fn panels(report: &Report) -> Vec<(Placement, Shape)> {
    Placement::ALL
        .into_iter()
        .flat_map(|d| Shape::ALL.into_iter().map(move |s| (d, s)))
        .filter(|&(d, s)| report.points.iter().any(|p| p.shape == s && p.data == d))
        .collect()
}

pub fn shape_title(shape: Shape) -> &'static str {
    match shape {
        Shape::Sum => "sum(a)",
        Shape::Fused => "sum(sqrt(a*b+c))",
        Shape::Map => "y = sin(a)*cos(b) + sqrt(a*b)",
        Shape::Multi => "sum/min/max/mean of a, b, c",
    }
}
