//! Bad input gives a `swath::Error` that names the column or expression at fault, never a
//! panic (DESIGN.md).

mod common;

use common::no_panic;
use swath::prelude::*;

fn frame() -> Frame {
    Frame::new([
        ("x", Column::from(vec![1.0f64, 2.0, 3.0])),
        ("y", Column::from(vec![0.5f32, -1.0, 4.0])),
        ("k", Column::from(vec![1i32, 2, 3])),
        ("flag", Column::from(vec![true, false, true])),
    ])
    .unwrap()
}

/// Runs `f`, which must return `Err` without panicking; gives the error.
fn error_of<T: std::fmt::Debug>(what: &str, f: impl FnOnce() -> Result<T, Error>) -> Error {
    match no_panic(f) {
        Err(p) => panic!("{what}: panicked: {p}"),
        Ok(Ok(v)) => panic!("{what}: succeeded with {v:?}, expected an error"),
        Ok(Err(e)) => e,
    }
}

fn select_error(df: &Frame, e: Expr) -> Error {
    let text = e.to_string();
    error_of(&text, || df.select([e]))
}

#[test]
fn unknown_column_names_it() {
    let df = frame();
    for e in [
        col("nope"),
        col("x") + col("nope"),
        (col("nope") * 2.0).sqrt().sum(),
        when(col("flag")).then(col("x")).otherwise(col("nope")),
        col("x") - col("nope").mean(),
    ] {
        let err = select_error(&df, e);
        assert!(
            matches!(err, Error::ColumnNotFound { ref name, .. } if name == "nope"),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(msg.contains("nope"), "{msg}");
        // It lists what the frame does have.
        assert!(msg.contains('x') && msg.contains("flag"), "{msg}");
    }
    let err = error_of("column", || df.column("nope"));
    assert!(err.to_string().contains("nope"));
    let err = error_of("values", || df.values::<f64>("nope"));
    assert!(err.to_string().contains("nope"));
    let err = error_of("filter", || df.filter(col("nope").gt(1)));
    assert!(err.to_string().contains("nope"));
    let err = error_of("with_columns", || df.with_columns([col("nope").alias("z")]));
    assert!(err.to_string().contains("nope"));
    let err = error_of("explain", || df.explain([col("nope").sum()]));
    assert!(err.to_string().contains("nope"));
}

#[test]
fn length_mismatch_names_the_column() {
    let err = error_of("Frame::new", || {
        Frame::new([
            ("a", Column::from(vec![1.0f64, 2.0, 3.0])),
            ("short", Column::from(vec![1i32, 2])),
        ])
    });
    assert!(
        matches!(err, Error::LengthMismatch { ref name, len: 2, expected: 3 } if name == "short"),
        "{err:?}"
    );
    assert!(err.to_string().contains("short"), "{err}");
    // An empty column after a full one, too.
    let err = error_of("Frame::new", || {
        Frame::new([
            ("a", Column::from(vec![1u32])),
            ("e", Column::from(Vec::<u32>::new())),
        ])
    });
    assert!(err.to_string().contains('e'), "{err}");
}

#[test]
fn duplicate_names_are_errors() {
    let err = error_of("Frame::new", || {
        Frame::new([
            ("a", Column::from(vec![1.0f64])),
            ("a", Column::from(vec![2.0f64])),
        ])
    });
    assert!(
        matches!(err, Error::DuplicateColumn(ref n) if n == "a"),
        "{err:?}"
    );
    assert!(err.to_string().contains('a'));
    // Two outputs of one select with one name.
    let df = frame();
    let err = error_of("select", || {
        df.select([col("x").alias("o"), col("k").alias("o")])
    });
    assert!(err.to_string().contains('o'), "{err}");
    let err = error_of("select", || df.select([col("x"), col("x").sqrt()]));
    assert!(err.to_string().contains('x'), "{err}");
}

#[test]
fn bad_dtypes_name_the_expression() {
    let df = frame();
    let cases = [
        (col("flag").sqrt(), "col(\"flag\").sqrt()"),
        (col("x").and(col("flag")), "col(\"x\")"),
        (col("x").or(col("y")), "col(\"y\")"),
        (col("k").xor(col("k")), "col(\"k\")"),
        (col("x").not(), "col(\"x\")"),
        (-col("flag"), "col(\"flag\")"),
        (col("flag").abs(), "col(\"flag\")"),
        (col("flag") + col("x"), "col(\"flag\")"),
        (col("k") * lit(true), "col(\"k\")"),
        (col("flag").and(lit(1)), "col(\"flag\")"),
        (col("flag").is_nan(), "col(\"flag\")"),
        (col("flag").pow(2), "col(\"flag\")"),
        (col("x").any(), "col(\"x\")"),
        (col("k").all(), "col(\"k\")"),
        (when(col("x")).then(col("x")).otherwise(lit(0.0)), "when"),
        (
            when(col("flag")).then(col("x")).otherwise(col("flag")),
            "when",
        ),
        (col("x").fill_nan(lit(true)), "col(\"x\")"),
        (col("flag").clamp(lit(0), lit(1)), "col(\"flag\")"),
        (lit(Scalar::Null) + col("x"), "null"),
        ((col("x") + col("flag")).sum() * 2.0, "col(\"flag\")"),
    ];
    for (e, needle) in cases {
        let text = e.to_string();
        let err = select_error(&df, e);
        assert!(matches!(err, Error::InvalidType { .. }), "{text}: {err:?}");
        let msg = err.to_string();
        assert!(
            msg.contains(needle),
            "`{text}`: message `{msg}` does not name `{needle}`"
        );
    }
}

#[test]
fn typed_access_checks_dtype_and_bounds() {
    let df = frame();
    let x = df.column("x").unwrap();
    let err = error_of("to_vec", || x.to_vec::<f32>());
    assert!(matches!(
        err,
        Error::DTypeMismatch {
            found: DType::F64,
            requested: DType::F32,
            ..
        }
    ));
    assert!(
        error_of("as_slice", || x.as_slice::<i64>())
            .to_string()
            .contains("f64")
    );
    // Through the frame, the message names the column.
    let err = error_of("values", || df.values::<i32>("y"));
    assert!(
        err.to_string().contains('y') && err.to_string().contains("f32"),
        "{err}"
    );
    // Out of range.
    let err = error_of("get", || x.get(3));
    assert!(
        matches!(err, Error::OutOfBounds { row: 3, len: 3, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains('3'));
    error_of("get", || x.get(usize::MAX));
    error_of("get", || Column::from(Vec::<bool>::new()).get(0));
    assert_eq!(x.get(2).unwrap(), Scalar::F64(3.0));
}

#[test]
fn null_results_refuse_to_vec() {
    let df = Frame::new([("x", Column::from(Vec::<f64>::new()))]).unwrap();
    let out = df
        .select([col("x").mean().alias("m"), col("x").max().alias("hi")])
        .unwrap();
    for name in ["m", "hi"] {
        let c = out.column(name).unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c.get(0).unwrap(), Scalar::Null);
        let err = error_of("to_vec", || c.to_vec::<f64>());
        assert!(matches!(err, Error::NullValue { row: 0, .. }), "{err:?}");
        assert!(err.to_string().contains("null"), "{err}");
        let err = error_of("values", || out.values::<f64>(name));
        assert!(err.to_string().contains(name), "{err}");
    }
    // Display shows null.
    assert!(format!("{out}").contains("null"), "{out}");
    // to_vec of the wrong dtype is still a dtype error.
    assert!(matches!(
        error_of("to_vec", || out.column("m").unwrap().to_vec::<i32>()),
        Error::DTypeMismatch { .. }
    ));
}

#[test]
fn filter_needs_a_bool_predicate() {
    let df = frame();
    for e in [col("x"), col("k") + 1, col("x").sum(), lit(1.0)] {
        let text = e.to_string();
        let err = error_of(&text, || df.filter(e));
        assert!(matches!(err, Error::InvalidType { .. }), "{text}: {err:?}");
        assert!(
            err.to_string().contains(&text),
            "`{err}` should name `{text}`"
        );
    }
    // A bool predicate of one value (a reduction) filters all rows or none.
    assert_eq!(df.filter(col("x").sum().gt(0.0)).unwrap().height(), 3);
    assert_eq!(df.filter(col("x").sum().lt(0.0)).unwrap().height(), 0);
    assert_eq!(df.filter(lit(true)).unwrap().height(), 3);
}

#[test]
fn bad_settings_are_errors() {
    let df = frame();
    let err = error_of("threads 0", || {
        df.select_with([col("x").sum()], &ExecOptions::new().threads(0))
    });
    assert!(matches!(err, Error::InvalidSetting { .. }), "{err:?}");
    for isa in Isa::ALL {
        let r = no_panic(|| df.select_with([col("x").sum()], &ExecOptions::new().isa(isa)))
            .expect("no panic");
        assert_eq!(r.is_ok(), isa.is_supported(), "{isa}: {r:?}");
    }
}
