//! pandas' `describe()` of a CSV file: count, mean, std, min, quartiles and max of every
//! numeric column (nulls skipped), and the count and distinct values of every text column.
//! Counts, means, stds, minima and maxima of all columns come from one fused select (one
//! pass, or two where nulls make `std` center on the valid rows' mean first).
//!
//!     cargo run --release --example describe [-- path/to/file.csv]
//!
//! With no argument (or `SWATH_EXAMPLE_CSV` unset) it describes `examples/data/penguins.csv`
//! (the Palmer penguins: three text columns, `NA` for missing values) and checks every figure
//! against pandas' own `describe()` of that file (`examples/data/penguins_describe.json`,
//! made by `penguins_describe.py`). Given `examples/data/wine.csv`, it checks against the
//! statistics published with the UCI Wine data set.

use swath::io::CsvOptions;
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

const STATS: [&str; 8] = ["count", "mean", "std", "min", "25%", "50%", "75%", "max"];

fn main() -> Result<(), Error> {
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data");
    let path = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("SWATH_EXAMPLE_CSV").ok())
        .unwrap_or_else(|| format!("{data}/penguins.csv"));
    // pandas reads both an empty cell and `NA` as missing.
    let options = CsvOptions::new().null_values(["", "NA"]);
    let df = swath::io::read_csv_with(&path, &options)?;
    let numeric: Vec<&str> = df
        .columns()
        .filter(|(_, c)| c.dtype().is_numeric())
        .map(|(n, _)| n)
        .collect();
    let mut exprs = Vec::new();
    for &name in &numeric {
        let c = || col(name).cast(DType::F64);
        exprs.push(c().count().alias(format!("{name}/count")));
        exprs.push(c().mean().alias(format!("{name}/mean")));
        exprs.push(c().std(1).alias(format!("{name}/std")));
        exprs.push(c().min().alias(format!("{name}/min")));
        exprs.push(c().max().alias(format!("{name}/max")));
    }
    let plan = df.explain(exprs.clone())?;
    let out = df.select(exprs)?;
    let value = |name: &str, stat: &str| -> Result<f64, Error> {
        if let Some(q) = quartile(stat) {
            return quantile(df.column(name)?, q);
        }
        let v = out.column(&format!("{name}/{stat}"))?.get(0)?;
        Ok(v.as_f64().unwrap_or(f64::NAN))
    };

    println!("{path}: {} rows, {} columns", df.height(), df.width());
    print!("{:<20}", "");
    for name in &numeric {
        print!("{name:>18}");
    }
    println!();
    for stat in STATS {
        print!("{stat:<20}");
        for name in &numeric {
            print!("{:>18.6}", value(name, stat)?);
        }
        println!();
    }
    for (name, c) in df.columns().filter(|(_, c)| c.categories().is_some()) {
        let values = c.to_strings()?;
        let present = values.iter().filter(|v| v.is_some()).count();
        let mut distinct: Vec<&str> = values.iter().flatten().map(String::as_str).collect();
        distinct.sort_unstable();
        distinct.dedup();
        println!(
            "{name} (text): count {present}, {} distinct: {}",
            distinct.len(),
            distinct.join(", ")
        );
    }
    println!("\nhow it ran (every column in the same passes):");
    for line in plan
        .lines()
        .filter(|l| l.starts_with("plan") || l.contains("choice"))
    {
        println!("  {}", line.trim());
    }

    if path.ends_with("penguins.csv") {
        // pandas' figures, to 1e-9 relative (its std and quantiles use the same formulas).
        let reference = std::fs::read_to_string(format!("{data}/penguins_describe.json"))
            .map_err(|e| Error::Internal(format!("the pandas reference: {e}")))?;
        let reference: serde_json::Value = serde_json::from_str(&reference)
            .map_err(|e| Error::Internal(format!("the pandas reference: {e}")))?;
        let mut checked = 0;
        for &name in &numeric {
            for stat in STATS {
                let want = reference[name][stat].as_f64().unwrap_or(f64::NAN);
                let got = value(name, stat)?;
                if (got - want).abs() > 1e-9 * want.abs().max(1.0) {
                    eprintln!("MISMATCH {name} {stat}: computed {got}, pandas {want}");
                    std::process::exit(1);
                }
                checked += 1;
            }
        }
        println!("check: all {checked} figures match pandas' describe()");
    }
    if path.ends_with("wine.csv") {
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

/// The quantile a `describe` row names (`25%` is 0.25), if it names one.
fn quartile(stat: &str) -> Option<f64> {
    stat.strip_suffix('%')?
        .parse::<f64>()
        .ok()
        .map(|p| p / 100.0)
}

/// The `q` quantile of a column's values, nulls skipped, interpolated linearly between the
/// two nearest ranks (pandas' and numpy's default). swath has no sort yet (issue 17), so the
/// example sorts on the host.
fn quantile(c: &Column, q: f64) -> Result<f64, Error> {
    let as_f64 = |s: Scalar| s.as_f64();
    let mut values: Vec<f64> = (0..c.len())
        .map(|row| c.get(row).map(as_f64))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect();
    if values.is_empty() {
        return Ok(f64::NAN);
    }
    values.sort_by(f64::total_cmp);
    let position = q * (values.len() - 1) as f64;
    let (below, above) = (position.floor() as usize, position.ceil() as usize);
    let fraction = position - below as f64;
    Ok(values[below] + (values[above] - values[below]) * fraction)
}
