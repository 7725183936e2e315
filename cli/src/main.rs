//! The `swath` command line: `bench`, `info`, `calibrate`, `eval`.
//!
//! Every failure prints one `error: ...` line on stderr and exits with status 1; nothing panics.

mod bench;
mod chart;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use swath::prelude::*;

#[derive(Parser)]
#[command(
    name = "swath",
    version,
    about = "Data-parallel numeric work over named columns"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compare the ways of running passes (calling thread, pool, GPU, auto) over sizes and
    /// kernel shapes: a throughput table, the chooser's regret, JSON and a chart.
    Bench {
        /// Largest size of the default sweep (sizes go from 100 rows up, about x4 apart).
        #[arg(long, default_value_t = 4 << 20)]
        max_rows: usize,
        /// Sweep up to 64M rows (the full regret benchmark; minutes, not seconds).
        #[arg(long)]
        full: bool,
        /// Exact sizes instead of the default sweep, e.g. `--sizes 1000,1000000`.
        #[arg(long, value_delimiter = ',')]
        sizes: Option<Vec<usize>>,
        /// Kernel shapes to run.
        #[arg(long, value_delimiter = ',', value_enum, default_values_t = bench::Shape::ALL)]
        shapes: Vec<bench::Shape>,
        /// Ways to run them (gpu is skipped without an adapter).
        #[arg(long, value_delimiter = ',', value_enum, default_values_t = bench::Way::ALL)]
        backends: Vec<bench::Way>,
        /// Where the input columns are: on the host (a GPU pass uploads them and results come
        /// back to the host) or already on the GPU (device placements need a GPU).
        #[arg(long, value_delimiter = ',', value_enum, default_values_t = bench::Placement::ALL)]
        data: Vec<bench::Placement>,
        /// Where to write the results as JSON.
        #[arg(long, default_value = "target/swath-bench/bench.json")]
        json: PathBuf,
        /// Where to write the chart (`.svg` and `.png` are added).
        #[arg(long, default_value = "target/swath-bench/bench")]
        chart: PathBuf,
        /// Seconds of timing per point and backend (at least three runs each).
        #[arg(long, default_value_t = 0.05)]
        seconds: f64,
    },
    /// Redraw the chart (and print the table) of results saved by `swath bench`.
    Chart {
        /// The JSON that `swath bench` wrote.
        json: PathBuf,
        /// Where to write the chart (`.svg` and `.png` are added).
        #[arg(long, default_value = "target/swath-bench/bench")]
        chart: PathBuf,
    },
    /// Show the CPU, the instruction set and threads swath uses.
    Info,
    /// Measure this machine's costs again and replace the cached calibration.
    Calibrate,
    /// Evaluate expressions over the columns of a CSV file, e.g. `sum(sqrt(a*b+c))`.
    Eval(EvalArgs),
}

#[derive(clap::Args)]
struct EvalArgs {
    /// One or more expressions (numexpr-like syntax; see `swath::parse`). Put `--` before an
    /// expression that starts with `-`: `swath eval --csv f.csv -- -a`.
    #[arg(required = true)]
    exprs: Vec<String>,
    /// The CSV file whose columns the expressions read (first row: names). Only the columns
    /// the expressions name are parsed; an empty cell is null.
    #[arg(long, required_unless_present = "parquet", conflicts_with = "parquet")]
    csv: Option<PathBuf>,
    /// A Parquet file to read instead of a CSV (only the columns the expressions name).
    #[arg(long)]
    parquet: Option<PathBuf>,
    /// A cell text that means null (repeatable; default: the empty cell only).
    #[arg(long = "null-value")]
    null_values: Vec<String>,
    /// Group by these columns (comma-separated): one row per group, in the order of each
    /// group's first row, each expression a reduction per group (`sum(v1)`, `mean(v3)`).
    #[arg(long, value_delimiter = ',')]
    by: Vec<String>,
    /// Print the plan (passes, fused ops, estimates, choice; with --by, the keys' slots, the
    /// groups and the keyed passes) instead of evaluating.
    #[arg(long)]
    explain: bool,
    /// Force a backend: cpu (pool), cpu1 (calling thread), gpu, or auto.
    #[arg(long)]
    backend: Option<swath::options::Backend>,
    /// Threads for the CPU pool.
    #[arg(long)]
    threads: Option<usize>,
    /// How to print the result.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// A readable table.
    Table,
    /// JSON: {"columns": [{"name", "dtype", "values"}]}; NaN and infinities as strings.
    Json,
}

fn main() -> ExitCode {
    quiet_wayland_probe();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Bench {
            max_rows,
            full,
            sizes,
            shapes,
            backends,
            data,
            json,
            chart,
            seconds,
        } => {
            let sizes =
                sizes.unwrap_or_else(|| bench::sizes_up_to(if full { 64 << 20 } else { max_rows }));
            let config = bench::Config {
                sizes,
                shapes,
                ways: backends.clone(),
                placements: data,
                json,
                chart,
                seconds_per_point: seconds,
            };
            run_bench(&config, &backends)
        }
        Command::Chart { json, chart } => redraw(&json, &chart),
        Command::Info => info(),
        Command::Calibrate => calibrate(),
        Command::Eval(args) => eval(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Mesa's Vulkan loader prints "error: XDG_RUNTIME_DIR is invalid" when it probes for a
/// Wayland display without that variable, which would read as a failure of swath. Point it at
/// a private directory when it is unset.
fn quiet_wayland_probe() {
    if std::env::var_os("XDG_RUNTIME_DIR").is_some() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("swath-runtime-{}", std::process::id()));
    if std::fs::create_dir_all(&dir).is_ok() {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
        }
        // SAFETY: called first thing in `main`, before any other thread exists, so nothing can
        // read the environment concurrently.
        unsafe { std::env::set_var("XDG_RUNTIME_DIR", &dir) };
    }
}

fn run_bench(config: &bench::Config, ways: &[bench::Way]) -> Result<(), Error> {
    if config.sizes.is_empty() || config.sizes.contains(&0) {
        return Err(Error::InvalidSetting {
            setting: "--sizes".into(),
            message: "sizes must be at least 1 row".into(),
        });
    }
    let report = bench::run(config)?;
    print_report(&report, ways);
    if let Some(dir) = config.json.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| io(&config.json, e.to_string()))?;
    }
    let text =
        serde_json::to_string_pretty(&report).map_err(|e| io(&config.json, e.to_string()))?;
    std::fs::write(&config.json, text).map_err(|e| io(&config.json, e.to_string()))?;
    chart::write(&report, &config.chart).map_err(|m| io(&config.chart, m))?;
    println!(
        "\nwrote {}, {}.svg and {}.png",
        config.json.display(),
        config.chart.display(),
        config.chart.display()
    );
    Ok(())
}

/// `swath chart`: the table and chart of a saved sweep, without measuring again.
fn redraw(json: &std::path::Path, stem: &std::path::Path) -> Result<(), Error> {
    let text = std::fs::read_to_string(json).map_err(|e| io(json, e.to_string()))?;
    let mut report: bench::Report = serde_json::from_str(&text)
        .map_err(|e| io(json, format!("not a swath bench result: {e}")))?;
    report.regret = bench::regret(&report.points);
    print_report(&report, &bench::Way::ALL);
    chart::write(&report, stem).map_err(|m| io(stem, m))?;
    println!("\nwrote {}.svg and {}.png", stem.display(), stem.display());
    Ok(())
}

fn io(path: &std::path::Path, message: String) -> Error {
    Error::Io {
        path: path.display().to_string(),
        message,
    }
}

fn print_report(report: &bench::Report, ways: &[bench::Way]) {
    println!("swath bench on {}", report.machine);
    match &report.gpu {
        Some(gpu) => println!("gpu: {gpu}"),
        None => println!("gpu: none found (GPU columns skipped)"),
    }
    print!("{}", bench::table(report, ways));
}

fn info() -> Result<(), Error> {
    let model = swath::unstable::fingerprint();
    let options = ExecOptions::default();
    println!("machine:  {model}");
    println!(
        "isa:      {} (supported: {})",
        options.resolved_isa()?,
        supported_isas()
    );
    println!("threads:  {}", options.resolved_threads()?);
    match swath::gpu::adapter_info() {
        Some(g) => {
            println!(
                "gpu:      {} ({}, {}; driver {} {})",
                g.name, g.backend, g.device_type, g.driver, g.driver_info
            );
            let features = [
                ("f64", g.f64),
                ("i64", g.i64),
                ("f16", g.f16),
                ("subgroups", g.subgroups),
                ("timestamps", g.timestamps),
            ];
            let on: Vec<&str> = features.iter().filter(|f| f.1).map(|f| f.0).collect();
            println!(
                "          features: {}",
                if on.is_empty() {
                    "none".into()
                } else {
                    on.join(", ")
                }
            );
            println!(
                "          limits: storage binding {} MiB, buffer {} MiB",
                g.max_storage_buffer_binding_size >> 20,
                g.max_buffer_size >> 20
            );
            for a in &g.adapters {
                println!("          adapter found: {a}");
            }
        }
        None => println!(
            "gpu:      none ({})",
            swath::gpu::unavailable_reason().unwrap_or_else(|| "no adapter".into())
        ),
    }
    let calibration = swath::unstable::calibration()?;
    let gpu = swath::unstable::gpu_costs()?;
    let mut shown = calibration.clone();
    shown.gpu = gpu.cloned();
    println!(
        "calibration ({}):",
        swath::unstable::cache_path().map_or("not cached".into(), |p| p.display().to_string())
    );
    println!("{}", calibration_table(&shown));
    println!("what auto picks for sum(x) over f32 / sum(sin(x)):");
    for rows in [1_000usize, 100_000, 10_000_000, 100_000_000] {
        let pick = |cheap: f64, heavy: f64| {
            let work = swath::unstable::Work {
                rows: rows as f64,
                bytes_in: 4.0,
                bytes_out: 0.0,
                cheap_ops: cheap,
                heavy_ops: heavy,
                libm_ops: 0.0,
                compiled: false,
            };
            let situation = swath::unstable::Situation {
                work,
                resident: 0.0,
                chunks: rows.div_ceil(swath::unstable::CHUNK),
                threads: calibration.cpu.threads,
                backend: swath::options::Backend::Auto,
                cpu: &calibration.cpu,
                gpu,
            };
            let (way, _, _) = swath::unstable::decide(&situation);
            format!("{way:?}")
        };
        println!(
            "  {rows:>11} rows: {:<8} / {}",
            pick(1.0, 0.0),
            pick(1.0, 1.0)
        );
    }
    Ok(())
}

fn calibrate() -> Result<(), Error> {
    let c = swath::unstable::recalibrate()?;
    let path =
        swath::unstable::cache_path().map_or("(not cached)".into(), |p| p.display().to_string());
    println!("calibration for {}", c.fingerprint);
    println!("{}", calibration_table(&c));
    println!("saved to {path}");
    Ok(())
}

fn calibration_table(c: &swath::unstable::Calibration) -> String {
    let cpu = &c.cpu;
    let mut lines = vec![
        format!(
            "  cpu pass on the calling thread: {:.1} µs fixed",
            cpu.call_ns / 1e3
        ),
        format!(
            "  cpu pool hand-off ({} threads): {:.1} µs",
            cpu.threads,
            cpu.pool_ns / 1e3
        ),
        format!(
            "  cpu streaming read: {:.1} GB/s on one thread, {:.1} GB/s on the pool",
            cpu.read_bytes_per_ns, cpu.pool_read_bytes_per_ns
        ),
        format!(
            "  cpu cache read: {:.1} GB/s for passes under {} KiB",
            cpu.cached_read_bytes_per_ns,
            (cpu.cache_bytes / 1024.0) as u64
        ),
        format!(
            "  cpu cheap op: {:.3} ns/element, transcendental: {:.2} ns/element vectorized \
             (f32 exp, ln, sin, cos), {:.2} as a library call (the rest, and every f64 one)",
            cpu.cheap_op_ns, cpu.heavy_op_ns, cpu.libm_op_ns
        ),
        if cpu.compiled_op_ns > 0.0 && cpu.compiled_op_ns < cpu.cheap_op_ns {
            format!(
                "  cpu cheap op in compiled kernels (AVX-512 float chains): {:.3} ns/element",
                cpu.compiled_op_ns
            )
        } else {
            "  cpu compiled kernels: none on this machine (they need AVX-512)".to_string()
        },
        format!(
            "  cpu pool computes {:.1}x as fast as one thread ({} threads)",
            cpu.pool_compute_speedup, cpu.threads
        ),
    ];
    match &c.gpu {
        Some(g) => lines.extend([
            format!(
                "  gpu: {}{}",
                g.adapter,
                if g.software {
                    " — software (runs on the CPU cores; auto picks it only where it measures faster)"
                } else {
                    ""
                }
            ),
            format!("  gpu round trip: {:.1} µs", g.roundtrip_ns / 1e3),
            format!(
                "  gpu upload {:.1} GB/s, download {:.1} GB/s, device read {:.1} GB/s",
                g.upload_bytes_per_ns, g.download_bytes_per_ns, g.read_bytes_per_ns
            ),
            format!(
                "  gpu cheap op: {:.3} ns/element, transcendental: {:.2} ns/element",
                g.cheap_op_ns, g.heavy_op_ns
            ),
        ]),
        None => lines.push("  gpu: none measured (no adapter, or not needed yet)".into()),
    }
    lines.join("\n")
}

fn supported_isas() -> String {
    let names: Vec<&str> = Isa::ALL
        .iter()
        .filter(|i| i.is_supported())
        .map(|i| i.name())
        .collect();
    names.join(", ")
}

fn eval(args: &EvalArgs) -> Result<(), Error> {
    let exprs = args
        .exprs
        .iter()
        .map(|t| swath::parse(t))
        .collect::<Result<Vec<_>, _>>()?;
    // Only the columns the expressions read are parsed: a text column elsewhere in the file
    // costs nothing.
    let mut names = names_read(&exprs);
    for key in &args.by {
        if !names.contains(key) {
            names.push(key.clone());
        }
    }
    let df = match (&args.csv, &args.parquet) {
        (_, Some(parquet)) => {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            swath::io::read_parquet(parquet, Some(&names))?
        }
        (Some(csv), None) => {
            let mut read = swath::io::CsvOptions::new().columns(names);
            if !args.null_values.is_empty() {
                read = read.null_values(args.null_values.iter().cloned());
            }
            swath::io::read_csv_with(csv, &read)?
        }
        (None, None) => {
            return Err(Error::Internal("no input: give --csv or --parquet".into()));
        }
    };
    // Unnamed expressions are named by their text, so each output is recognisable.
    let exprs: Vec<Expr> = exprs
        .into_iter()
        .zip(&args.exprs)
        .map(|(e, t)| {
            if matches!(e, Expr::Alias(..)) {
                e
            } else {
                e.alias(t.trim())
            }
        })
        .collect();
    let mut options = ExecOptions::default();
    if let Some(t) = args.threads {
        options = options.threads(t);
    }
    if let Some(b) = args.backend {
        options = options.backend(b);
    }
    // Settings are checked up front, not only when a pass happens to need them.
    options.resolved_threads()?;
    options.resolved_isa()?;
    options.resolved_backend()?;
    if args.explain {
        let plan = if args.by.is_empty() {
            df.explain_with(exprs, &options)?
        } else {
            df.group_by(args.by.iter().map(swath::col))
                .explain_with(exprs, &options)?
        };
        print!("{plan}");
        return Ok(());
    }
    let out = if args.by.is_empty() {
        df.select_with(exprs, &options)?
    } else {
        df.group_by(args.by.iter().map(swath::col))
            .agg_with(exprs, &options)?
    };
    match args.format {
        Format::Table => println!("{out}"),
        Format::Json => println!("{}", to_json(&out)?),
    }
    Ok(())
}

/// Every column name the expressions read, each once, in order of first use.
fn names_read(exprs: &[Expr]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for name in exprs.iter().flat_map(Expr::column_names) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

fn to_json(frame: &Frame) -> Result<String, Error> {
    let mut columns = Vec::new();
    for (name, column) in frame.columns() {
        let mut values = Vec::with_capacity(column.len());
        if column.categories().is_some() {
            // Text: strings, null where null.
            for row in 0..column.len() {
                values.push(match column.str_value(row)? {
                    Some(text) => serde_json::Value::String(text.to_string()),
                    None => serde_json::Value::Null,
                });
            }
        }
        for row in (0..column.len()).filter(|_| column.categories().is_none()) {
            let value = column.get(row)?;
            values.push(match value {
                Scalar::Null => serde_json::Value::Null,
                Scalar::Bool(b) => b.into(),
                Scalar::I32(v) => v.into(),
                Scalar::I64(v) => v.into(),
                Scalar::U32(v) => v.into(),
                Scalar::F32(_) | Scalar::F64(_) => {
                    let v = value.as_f64().unwrap_or(f64::NAN);
                    if v.is_finite() {
                        // f32 values print by their f64 expansion, which parses back exactly.
                        v.into()
                    } else {
                        serde_json::Value::String(format!("{v}"))
                    }
                }
            });
        }
        columns.push(serde_json::json!({
            "name": name,
            "dtype": column.dtype().name(),
            "values": values,
        }));
    }
    Ok(serde_json::json!({ "columns": columns }).to_string())
}
