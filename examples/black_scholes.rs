//! Prices European calls and puts with the Black-Scholes formula over 10M random options in one
//! fused pass, then checks put-call parity (C - P = S - K e^(-rT)) on every option and one
//! price against its textbook value.
//!
//!     cargo run --release --example black_scholes
//!     SWATH_EXAMPLE_ROWS=100000 cargo run --example black_scholes   # the reduced size CI runs

use swath::prelude::*;

/// Standard normal CDF, Abramowitz & Stegun 26.2.17 (absolute error < 7.5e-8), written as a
/// swath expression. It is exactly symmetric (Φ(x) + Φ(-x) = 1), as parity needs.
fn normal_cdf(x: Expr) -> Expr {
    let z = x.clone().abs();
    let t = lit(1.0) / (lit(1.0) + lit(0.2316419) * z.clone());
    let poly = t.clone()
        * (lit(0.319381530)
            + t.clone()
                * (lit(-0.356563782)
                    + t.clone()
                        * (lit(1.781477937)
                            + t.clone() * (lit(-1.821255978) + t * lit(1.330274429)))));
    let tail = lit(0.3989422804014327) * (-(z.clone() * z) * lit(0.5)).exp() * poly;
    when(x.gt_eq(lit(0.0)))
        .then(lit(1.0) - tail.clone())
        .otherwise(tail)
}

/// `rows` values in [lo, hi) from swath's counter-based generator, stream `stream` of 5 (the
/// key of row i is 5i + stream, so the columns are independent).
fn uniform(rows: usize, stream: u32, lo: f64, hi: f64) -> Result<Vec<f64>, Error> {
    let key = row_index() * lit(5u32) + lit(stream);
    let u = key.uniform().cast(DType::F64) * lit(hi - lo) + lit(lo);
    Frame::with_rows(rows).select([u.alias("u")])?.values("u")
}

fn main() -> Result<(), Error> {
    let rows: usize = std::env::var("SWATH_EXAMPLE_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    // Row 0 is the textbook case S = K = 100, T = 1, r = 5%, sigma = 20%.
    let mut columns = [
        ("s", uniform(rows, 0, 50.0, 150.0)?),
        ("k", uniform(rows, 1, 50.0, 150.0)?),
        ("t", uniform(rows, 2, 0.1, 2.0)?),
        ("r", uniform(rows, 3, 0.01, 0.08)?),
        ("sigma", uniform(rows, 4, 0.1, 0.6)?),
    ];
    for ((_, values), textbook) in columns.iter_mut().zip([100.0, 100.0, 1.0, 0.05, 0.2]) {
        values[0] = textbook;
    }
    let df = Frame::new(columns.map(|(n, v)| (n, Column::from(v))))?;

    let (s, k, t, r, sigma) = (col("s"), col("k"), col("t"), col("r"), col("sigma"));
    let sqrt_t = t.clone().sqrt();
    let d1 = ((s.clone() / k.clone()).ln()
        + (r.clone() + sigma.clone() * sigma.clone() * lit(0.5)) * t.clone())
        / (sigma.clone() * sqrt_t.clone());
    let d2 = d1.clone() - sigma * sqrt_t;
    let discount = k.clone() * (-(r * t)).exp();
    let call = s.clone() * normal_cdf(d1.clone()) - discount.clone() * normal_cdf(d2.clone());
    let put = discount.clone() * normal_cdf(-d2) - s.clone() * normal_cdf(-d1);
    let parity_error = (call.clone() - put.clone() - (s - discount)).abs().max();

    let started = std::time::Instant::now();
    let priced = df.with_columns([call.clone().alias("call"), put.clone().alias("put")])?;
    let check = df.select([
        parity_error.alias("parity_error"),
        call.clone().mean().alias("mean_call"),
    ])?;
    let elapsed = started.elapsed();

    let first_call = priced.column("call")?.get(0)?.as_f64().unwrap_or(f64::NAN);
    let first_put = priced.column("put")?.get(0)?.as_f64().unwrap_or(f64::NAN);
    let parity = check
        .column("parity_error")?
        .get(0)?
        .as_f64()
        .unwrap_or(f64::NAN);
    println!("priced {rows} options (calls, puts and the parity check) in {elapsed:.2?}");
    println!(
        "textbook option: call {first_call:.4} (expected 10.4506), put {first_put:.4} (expected 5.5735)"
    );
    println!("largest put-call parity error: {parity:.3e}");
    println!("mean call price: {}", check.column("mean_call")?.get(0)?);
    println!("how it ran:");
    for line in df
        .explain([call.alias("call"), put.alias("put")])?
        .lines()
        .filter(|l| l.starts_with("plan") || l.contains("choice"))
    {
        println!("  {}", line.trim());
    }
    let ok =
        (first_call - 10.4506).abs() < 1e-3 && (first_put - 5.5735).abs() < 1e-3 && parity < 1e-9;
    if !ok {
        eprintln!("CHECK FAILED");
        std::process::exit(1);
    }
    println!("check: textbook prices and put-call parity hold");
    Ok(())
}
