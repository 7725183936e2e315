//! The README's first example: build a frame, run fused expressions, print the plan.
//!
//! cargo run --release --example quickstart

use swath::prelude::*;

fn main() -> Result<(), swath::Error> {
    let df = Frame::new([
        ("a", Column::from(vec![1.0f32, 2.0, 3.0, 4.0])),
        ("b", Column::from(ndarray::arr1(&[4.0f32, 3.0, 2.0, 1.0]))),
        ("k", Column::from(vec![1i32, 2, 3, 4])),
    ])?;
    let out = df.select([
        (col("a") * col("b") + lit(1.0)).sqrt().sum().alias("s"),
        col("a").mean().alias("mean_a"),
        col("k").max().alias("max_k"),
    ])?;
    println!("{out}");
    let centered = df.select([(col("a") - col("a").mean()).alias("c"), col("k")])?;
    println!("{centered}");
    println!("{}", df.filter(col("a").gt(lit(1.5)))?);
    println!(
        "{}",
        df.explain([
            (col("a") * col("b") + lit(1.0)).sqrt().sum().alias("s"),
            col("a").min(),
            (col("a") - col("a").mean()).alias("c")
        ])?
    );
    Ok(())
}
