//! Estimates pi from 100M random points in the unit square: the fraction inside the quarter
//! circle is pi/4. The points come from swath's counter-based generator (`uniform` of the row
//! number), so no input data exists at all: one pass generates, tests and counts.
//!
//!     cargo run --release --example monte_carlo_pi
//!     SWATH_EXAMPLE_ROWS=1000000 cargo run --example monte_carlo_pi   # the reduced size CI runs

use swath::prelude::*;

fn main() -> Result<(), Error> {
    let points: usize = std::env::var("SWATH_EXAMPLE_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000_000);
    let frame = Frame::with_rows(points);
    // Two independent streams from one counter: even keys for x, odd keys for y.
    let i = row_index();
    let x = (i.clone() * lit(2)).uniform();
    let y = (i * lit(2) + lit(1)).uniform();
    let inside = (x.clone() * x + y.clone() * y).lt_eq(lit(1.0));
    let estimate = (inside.sum().cast(DType::F64) * lit(4.0) / lit(points as f64)).alias("pi");

    let started = std::time::Instant::now();
    let out = frame.select([estimate.clone()])?;
    let elapsed = started.elapsed();
    let pi = out.column("pi")?.get(0)?.as_f64().unwrap_or(f64::NAN);

    // The count of hits is binomial: its standard error in pi's units is 4 sqrt(p(1-p)/n).
    let p = std::f64::consts::FRAC_PI_4;
    let sigma = 4.0 * (p * (1.0 - p) / points as f64).sqrt();
    let error = pi - std::f64::consts::PI;
    println!(
        "{points} points in {elapsed:.2?}: pi ~ {pi:.6} (error {error:+.2e}, {:.1} standard errors)",
        error / sigma
    );
    println!("how it ran:");
    for line in frame
        .explain([estimate])?
        .lines()
        .filter(|l| l.starts_with("plan") || l.contains("choice"))
    {
        println!("  {}", line.trim());
    }
    if error.abs() > 5.0 * sigma {
        eprintln!("CHECK FAILED: the estimate is more than 5 standard errors from pi");
        std::process::exit(1);
    }
    println!("check: within 5 standard errors of pi");
    Ok(())
}
