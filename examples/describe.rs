//! Per-column count, mean, std, min and max of a CSV file, all columns in one fused pass.
//!
//!     cargo run --release --example describe [-- path/to/file.csv]
//!
//! With no argument it describes `examples/data/wine.csv` (the UCI Wine data set) and checks
//! the figures against the summary statistics published with that data set.

use swath::prelude::*;

/// (column, min, max, mean, std, decimals) as published with the UCI Wine data set.
const PUBLISHED: [(&str, f64, f64, f64, f64, i32); 13] = [
    ("alcohol", 11.0, 14.8, 13.0, 0.8, 1),
    ("malic_acid", 0.74, 5.80, 2.34, 1.12, 2),
    ("ash", 1.36, 3.23, 2.36, 0.27, 2),
    ("alcalinity_of_ash", 10.6, 30.0, 19.5, 3.3, 1),
    ("magnesium", 70.0, 162.0, 99.7, 14.3, 1),
    ("total_phenols", 0.98, 3.88, 2.29, 0.63, 2),
    ("flavanoids", 0.34, 5.08, 2.03, 1.00, 2),
    ("nonflavanoid_phenols", 0.13, 0.66, 0.36, 0.12, 2),
    ("proanthocyanins", 0.41, 3.58, 1.59, 0.57, 2),
    ("color_intensity", 1.3, 13.0, 5.1, 2.3, 1),
    ("hue", 0.48, 1.71, 0.96, 0.23, 2),
    ("od280_od315", 1.27, 4.00, 2.61, 0.71, 2),
    ("proline", 278.0, 1680.0, 746.0, 315.0, 0),
];

fn main() -> Result<(), Error> {
    let default = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/wine.csv");
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| default.to_string());
    let df = swath::io::read_csv(&path)?;
    let stats = ["count", "mean", "std", "min", "max"];
    let mut exprs = Vec::new();
    for name in df.names() {
        let c = || col(name).cast(DType::F64);
        exprs.push(c().count().alias(format!("{name}/count")));
        exprs.push(c().mean().alias(format!("{name}/mean")));
        exprs.push(c().std(1).alias(format!("{name}/std")));
        exprs.push(c().min().alias(format!("{name}/min")));
        exprs.push(c().max().alias(format!("{name}/max")));
    }
    let plan = df.explain(exprs.clone())?;
    let out = df.select(exprs)?;

    println!("{path}: {} rows, {} columns", df.height(), df.width());
    println!(
        "{:<22}{:>8}{:>12}{:>12}{:>12}{:>12}",
        "column", stats[0], stats[1], stats[2], stats[3], stats[4]
    );
    let value = |name: &str, stat: &str| -> Result<f64, Error> {
        let v = out.column(&format!("{name}/{stat}"))?.get(0)?;
        Ok(v.as_f64().unwrap_or(f64::NAN))
    };
    for name in df.names() {
        let row: Vec<f64> = stats
            .iter()
            .map(|s| value(name, s))
            .collect::<Result<_, _>>()?;
        println!(
            "{name:<22}{:>8}{:>12.4}{:>12.4}{:>12.4}{:>12.4}",
            row[0], row[1], row[2], row[3], row[4]
        );
    }
    println!("\nhow it ran (one pass over every column):");
    for line in plan
        .lines()
        .filter(|l| l.starts_with("plan") || l.contains("choice"))
    {
        println!("  {}", line.trim());
    }

    if path == default {
        for (name, min, max, mean, std, decimals) in PUBLISHED {
            // The published figures are cut (not rounded) to their last digit.
            let tolerance = 10f64.powi(-decimals);
            for (stat, published) in [("min", min), ("max", max), ("mean", mean), ("std", std)] {
                let got = value(name, stat)?;
                if (got - published).abs() > tolerance {
                    eprintln!("MISMATCH {name} {stat}: computed {got}, published {published}");
                    std::process::exit(1);
                }
            }
        }
        println!(
            "check: min, max, mean and std of all 13 measurements match the published summary"
        );
    }
    Ok(())
}
