//! The `swath` command line: `info`, `eval`.
//!
//! Every failure prints one `error: ...` line on stderr and exits with status 1; nothing panics.

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
    /// Show the CPU, the instruction set and threads swath uses.
    Info,
    /// Measure this machine's costs again and replace the cached calibration.
    Calibrate,
    /// Evaluate expressions over the columns of a CSV file, e.g. `sum(sqrt(a*b+c))`.
    Eval {
        /// One or more expressions (numexpr-like syntax; see `swath::parse`).
        #[arg(required = true)]
        exprs: Vec<String>,
        /// The CSV file whose columns the expressions read (first row: names).
        #[arg(long)]
        csv: PathBuf,
        /// Print the plan (passes, fused ops, threads) instead of evaluating.
        #[arg(long)]
        explain: bool,
        /// Threads for the CPU pool (1 = the calling thread only).
        #[arg(long)]
        threads: Option<usize>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Info => info(),
        Command::Calibrate => calibrate(),
        Command::Eval {
            exprs,
            csv,
            explain,
            threads,
        } => eval(&exprs, &csv, explain, threads),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn info() -> Result<(), Error> {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let options = ExecOptions::default();
    println!("cpu:      {model}");
    println!(
        "isa:      {} (supported: {})",
        options.resolved_isa()?,
        supported_isas()
    );
    println!("threads:  {}", options.resolved_threads()?);
    Ok(())
}

fn calibrate() -> Result<(), Error> {
    let c = swath::cost::recalibrate()?;
    let path = swath::cost::cache_path().map_or("(not cached)".into(), |p| p.display().to_string());
    println!("calibration for {}", c.fingerprint);
    println!("{}", calibration_table(&c));
    println!("saved to {path}");
    Ok(())
}

fn calibration_table(c: &swath::cost::Calibration) -> String {
    let cpu = &c.cpu;
    [
        format!(
            "  pass on the calling thread: {:.1} µs fixed",
            cpu.call_ns / 1e3
        ),
        format!(
            "  pool hand-off ({} threads): {:.1} µs",
            cpu.threads,
            cpu.pool_ns / 1e3
        ),
        format!(
            "  streaming read: {:.1} GB/s on one thread, {:.1} GB/s on the pool",
            cpu.read_bytes_per_ns, cpu.pool_read_bytes_per_ns
        ),
        format!(
            "  cheap op: {:.3} ns/element, transcendental: {:.2} ns/element",
            cpu.cheap_op_ns, cpu.heavy_op_ns
        ),
    ]
    .join("\n")
}

fn supported_isas() -> String {
    let names: Vec<&str> = Isa::ALL
        .iter()
        .filter(|i| i.is_supported())
        .map(|i| i.name())
        .collect();
    names.join(", ")
}

fn eval(
    texts: &[String],
    csv: &PathBuf,
    explain: bool,
    threads: Option<usize>,
) -> Result<(), Error> {
    let exprs = texts
        .iter()
        .map(|t| swath::parse(t))
        .collect::<Result<Vec<_>, _>>()?;
    let df = swath::io::read_csv(csv)?;
    // Unnamed expressions are named by their text, so each output is recognisable.
    let exprs: Vec<Expr> = exprs
        .into_iter()
        .zip(texts)
        .map(|(e, t)| {
            if matches!(e, Expr::Alias(..)) {
                e
            } else {
                e.alias(t.trim())
            }
        })
        .collect();
    if explain {
        print!("{}", df.explain(exprs)?);
        return Ok(());
    }
    let mut options = ExecOptions::default();
    if let Some(t) = threads {
        options = options.threads(t);
    }
    let out = df.select_with(exprs, &options)?;
    println!("{out}");
    Ok(())
}
