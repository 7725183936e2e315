//! The frame API as the issue shows it: build a frame, run fused expressions, filter,
//! replace a column with `with_columns`, broadcast reductions.

use swath::prelude::*;

fn df() -> Frame {
    Frame::new([
        ("a", Column::from(vec![1.0f32, 2.0, 3.0, 4.0])),
        ("b", Column::from(ndarray::arr1(&[4.0f32, 3.0, 2.0, 1.0]))),
        ("k", Column::from(vec![1i32, 2, 3, 4])),
    ])
    .unwrap()
}

#[test]
fn issue_example() -> Result<(), Error> {
    let df = df();
    assert_eq!((df.height(), df.width()), (4, 3));
    let out = df.select([
        (col("a") * col("b") + lit(1.0)).sqrt().sum().alias("s"),
        col("a").mean().alias("mean_a"),
        col("k").max().alias("max_k"),
    ])?;
    assert_eq!((out.height(), out.width()), (1, 3));
    let s: Vec<f32> = out.column("s")?.to_vec()?;
    let want = (5f64.sqrt() + 7f64.sqrt() + 7f64.sqrt() + 5f64.sqrt()) as f32;
    assert!(
        (s[0] - want).abs() <= 2.0 * f32::EPSILON * want,
        "{s:?} vs {want}"
    );
    assert_eq!(out.column("mean_a")?.get(0)?, Scalar::F32(2.5));
    assert_eq!(out.values::<i32>("max_k")?, vec![4]);
    assert!(!format!("{out}").is_empty());
    assert!(!df.explain([col("a").sum()])?.is_empty());
    Ok(())
}

#[test]
fn filter_keeps_matching_rows_of_every_column() -> Result<(), Error> {
    let df = df();
    let kept = df.filter(col("a").gt(lit(1.5)))?;
    assert_eq!((kept.height(), kept.width()), (3, 3));
    assert_eq!(kept.values::<f32>("a")?, vec![2.0, 3.0, 4.0]);
    assert_eq!(kept.values::<f32>("b")?, vec![3.0, 2.0, 1.0]);
    assert_eq!(kept.values::<i32>("k")?, vec![2, 3, 4]);
    // Predicates that use reductions and several columns.
    let kept = df.filter(col("a").gt(col("a").mean()).and(col("k").neq(lit(4))))?;
    assert_eq!(kept.values::<i32>("k")?, vec![3]);
    let none = df.filter(col("a").gt(10))?;
    assert_eq!((none.height(), none.width()), (0, 3));
    assert_eq!(none.values::<f32>("b")?, Vec::<f32>::new());
    // Chained.
    let twice = df.filter(col("k").gt(1))?.filter(col("b").lt(3.0))?;
    assert_eq!(twice.values::<i32>("k")?, vec![3, 4]);
    Ok(())
}

#[test]
fn with_columns_replaces_and_adds() -> Result<(), Error> {
    let df = df();
    let out = df.with_columns([
        (col("a") * 2.0).alias("a"),
        (col("k") + col("a")).alias("ka"),
        col("b").sum().alias("total"),
    ])?;
    assert_eq!(out.names(), vec!["a", "b", "k", "ka", "total"]);
    assert_eq!(out.height(), 4);
    assert_eq!(out.values::<f32>("a")?, vec![2.0, 4.0, 6.0, 8.0]);
    assert_eq!(out.column("a")?.dtype(), DType::F32);
    // Expressions see the original columns, not the replaced ones.
    assert_eq!(out.values::<f32>("ka")?, vec![2.0, 4.0, 6.0, 8.0]);
    // A reduction broadcasts to the frame height.
    assert_eq!(out.values::<f32>("total")?, vec![10.0; 4]);
    // The original frame is unchanged.
    assert_eq!(df.values::<f32>("a")?, vec![1.0, 2.0, 3.0, 4.0]);
    // Replacing with a different dtype.
    let cast = df.with_columns([col("k").cast(DType::F64).alias("k")])?;
    assert_eq!(cast.column("k")?.dtype(), DType::F64);
    assert_eq!(cast.names(), vec!["a", "b", "k"]);
    Ok(())
}

#[test]
fn reductions_broadcast_among_full_columns() -> Result<(), Error> {
    let df = df();
    let centered = df.select([(col("a") - col("a").mean()).alias("c"), col("k")])?;
    assert_eq!(centered.height(), 4);
    assert_eq!(centered.values::<f32>("c")?, vec![-1.5, -0.5, 0.5, 1.5]);
    assert_eq!(centered.names(), vec!["c", "k"]);
    let mixed = df.select([
        col("a"),
        col("k").sum().alias("ksum"),
        lit(7).alias("seven"),
    ])?;
    assert_eq!(mixed.height(), 4);
    assert_eq!(mixed.values::<i64>("ksum")?, vec![10; 4]);
    assert_eq!(mixed.values::<i32>("seven")?, vec![7; 4]);
    let only_scalars = df.select([col("k").sum().alias("ksum"), col("a").min().alias("lo")])?;
    assert_eq!(only_scalars.height(), 1);
    assert_eq!(only_scalars.values::<f32>("lo")?, vec![1.0]);
    // z-score in one call: two passes (mean and std first, then the map).
    let z = df.select([((col("a") - col("a").mean()) / col("a").std(1)).alias("z")])?;
    let z: Vec<f32> = z.values("z")?;
    let sd = (5.0f32 / 3.0).sqrt();
    for (got, want) in z.iter().zip([-1.5 / sd, -0.5 / sd, 0.5 / sd, 1.5 / sd]) {
        assert!((got - want).abs() < 1e-6, "{z:?}");
    }
    // Output names: the alias, else the first column an expression reads.
    let named = df.select([col("a").sqrt(), (lit(1) + col("k")).alias("k1")])?;
    assert_eq!(named.names(), vec!["a", "k1"]);
    Ok(())
}

#[test]
fn columns_round_trip() -> Result<(), Error> {
    let c = Column::from(vec![1u32, 2, 3]);
    assert_eq!((c.len(), c.dtype()), (3, DType::U32));
    assert_eq!(c.as_slice::<u32>()?, &[1, 2, 3]);
    assert_eq!(c.to_vec::<u32>()?, vec![1, 2, 3]);
    assert_eq!(c.get(1)?, Scalar::U32(2));
    for d in DType::ALL {
        assert!(!d.name().is_empty());
    }
    let df = Frame::new([("b", Column::from(vec![true, false]))])?;
    assert_eq!(df.values::<bool>("b")?, vec![true, false]);
    let empty = Frame::new(Vec::<(String, Column)>::new())?;
    assert_eq!((empty.height(), empty.width()), (0, 0));
    Ok(())
}

/// Columns built from ndarray arrays hold exactly the array's elements, whatever its layout
/// (a sliced owned array keeps its whole buffer and an offset into it).
#[test]
fn columns_from_ndarray_hold_exactly_the_array() {
    use ndarray::{Array1, arr1, s};
    let base = || arr1(&[0.0f64, 1.0, 2.0, 3.0, 4.0, 5.0]);
    let sliced = |f: &dyn Fn(&mut Array1<f64>)| {
        let mut a = base();
        f(&mut a);
        a
    };
    let cases: Vec<(&str, Array1<f64>)> = vec![
        ("whole", base()),
        ("head ..4", sliced(&|a| a.slice_collapse(s![..4]))),
        ("middle 2..4", sliced(&|a| a.slice_collapse(s![2..4]))),
        ("tail 2..", sliced(&|a| a.slice_collapse(s![2..]))),
        ("reversed", sliced(&|a| a.slice_collapse(s![..;-1]))),
        ("every other", sliced(&|a| a.slice_collapse(s![1..;2]))),
        ("empty 3..3", sliced(&|a| a.slice_collapse(s![3..3]))),
    ];
    for (what, array) in cases {
        let want = array.to_vec();
        let column = Column::from(array);
        assert_eq!(column.len(), want.len(), "{what}");
        assert_eq!(column.to_vec::<f64>().unwrap(), want, "{what}");
    }
    // Views copy.
    let a = arr1(&[1u32, 2, 3, 4]);
    assert_eq!(
        Column::from(a.slice(s![1..3])).to_vec::<u32>().unwrap(),
        vec![2, 3]
    );
    // And back out.
    let c = Column::from(vec![1.5f32, 2.5]);
    assert_eq!(c.to_ndarray::<f32>().unwrap(), arr1(&[1.5f32, 2.5]));
    assert_eq!(c.view::<f32>().unwrap(), arr1(&[1.5f32, 2.5]).view());
}
