//! Bad input gives a `swath::Error` that names the column or expression at fault, never a
//! panic (ARCHITECTURE.md, "Semantics").

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
        (col("x").xor(col("x")), "col(\"x\")"),
        (col("y") << lit(1), "col(\"y\")"),
        (col("flag") >> col("flag"), "col(\"flag\")"),
        (col("k") << lit(1.5), "col(\"k\")"),
        (col("flag") + col("flag"), "col(\"flag\")"),
        (col("flag").floor_div(col("flag")), "col(\"flag\")"),
        (col("flag") % col("flag"), "col(\"flag\")"),
        (col("flag").hypot(col("flag")), "col(\"flag\")"),
        (col("flag").erf(), "col(\"flag\")"),
        (col("flag").asinh(), "col(\"flag\")"),
        (col("flag").is_inf(), "col(\"flag\")"),
        (col("flag").signbit(), "col(\"flag\")"),
        (
            col("flag").copysign(col("x")) + col("flag").nextafter(lit(true)),
            "col(\"flag\")",
        ),
        (col("x").not(), "col(\"x\")"),
        (-col("flag"), "col(\"flag\")"),
        (col("flag").abs(), "col(\"flag\")"),
        (col("flag").and(lit(1)), "col(\"flag\")"),
        (col("flag").is_nan(), "col(\"flag\")"),
        (col("x").any(), "col(\"x\")"),
        (col("k").all(), "col(\"k\")"),
        (when(col("x")).then(col("x")).otherwise(lit(0.0)), "when"),
        (
            when(col("flag")).then(col("x")).otherwise(col("flag")),
            "when",
        ),
        (col("x").fill_nan(lit(true)), "col(\"x\")"),
        (lit(Scalar::Null) + col("x"), "null"),
        ((col("x") & col("flag")).sum() * 2.0, "col(\"flag\")"),
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

/// The new integer ops at their edges give numpy's values on every backend, never a panic or
/// an error: shifts by the width, past it and by negative amounts; `//`, `%` and `fmod` by
/// zero (0 until nulls exist) and of the most negative value by -1 (wrapping).
#[test]
fn integer_edges_give_numpy_values() {
    let df = Frame::new([
        ("k", Column::from(vec![1i32, -8, i32::MIN, 7])),
        ("w", Column::from(vec![32i32, 28, -1, 3])),
        ("l", Column::from(vec![1i64, -8, i64::MIN, 7])),
        ("u", Column::from(vec![1u32, 8, u32::MAX, 7])),
    ])
    .unwrap();
    for b in common::backends() {
        let out = no_panic(|| {
            df.select_with(
                [
                    (col("k") << col("w")).alias("shl"),
                    (col("k") >> col("w")).alias("shr"),
                    (col("l") << lit(64i64)).alias("shl64"),
                    (col("l") >> lit(-1i64)).alias("shr64"),
                    (col("u") << lit(32u32)).alias("shlu"),
                    col("k").floor_div(lit(0)).alias("fdiv0"),
                    (col("k") % lit(0)).alias("rem0"),
                    col("k").fmod(lit(0)).alias("fmod0"),
                    col("k").floor_div(lit(-1)).alias("fdiv_m1"),
                    (col("l") % lit(-3i64)).alias("rem_m3"),
                    (col("k") / lit(0)).alias("div0"),
                ],
                &b.opts,
            )
        })
        .unwrap_or_else(|p| panic!("[{b}] panicked: {p}"))
        .unwrap_or_else(|e| panic!("[{b}] {e}"));
        let i32s = |name: &str| out.values::<i32>(name).unwrap();
        assert_eq!(i32s("shl"), [0, i32::MIN, 0, 56], "[{b}] <<");
        assert_eq!(i32s("shr"), [0, -1, -1, 0], "[{b}] >>");
        assert_eq!(out.values::<i64>("shl64").unwrap(), [0; 4], "[{b}] << 64");
        assert_eq!(
            out.values::<i64>("shr64").unwrap(),
            [0, -1, -1, 0],
            "[{b}] >> -1"
        );
        assert_eq!(
            out.values::<u32>("shlu").unwrap(),
            [0; 4],
            "[{b}] u32 << 32"
        );
        assert_eq!(i32s("fdiv0"), [0; 4], "[{b}] // 0");
        assert_eq!(i32s("rem0"), [0; 4], "[{b}] % 0");
        assert_eq!(i32s("fmod0"), [0; 4], "[{b}] fmod 0");
        assert_eq!(i32s("fdiv_m1"), [-1, 8, i32::MIN, -7], "[{b}] // -1");
        assert_eq!(
            out.values::<i64>("rem_m3").unwrap(),
            [-2, -2, -2, -2],
            "[{b}] % -3"
        );
        // Integer `/` is true division: f64, with IEEE's answers at 0.
        let div0 = out.values::<f64>("div0").unwrap();
        assert_eq!(div0[..2], [f64::INFINITY, f64::NEG_INFINITY], "[{b}] / 0");
    }
}

/// Kernels built by hand (the IR is public) that the planner would never make are errors on
/// both backends, never a panic: an operand that does not precede its user, a load or param
/// past its slots, a store past the program, a loop end without its start, a wrong schedule.
#[test]
fn malformed_kernels_are_errors_not_panics() {
    use swath::cpu::{CHUNK, Schedule, run_scheduled};
    use swath::ops::UnaryOp;
    use swath::plan::ir::{Instr, Kernel};

    let x = Column::from(vec![1.0f32, 4.0, 9.0]);
    let base = || {
        let mut k = Kernel {
            rows: 3,
            inputs: vec!["x".into()],
            ..Kernel::default()
        };
        let v = k.program.push(Instr::Load(0), DType::F32);
        (k, v)
    };
    let mut cases: Vec<(&str, Kernel)> = Vec::new();
    let (mut k, _) = base();
    let s = k.program.push(Instr::Unary(UnaryOp::Sqrt, 7), DType::F32);
    k.stores.push(s);
    cases.push(("an operand after its user", k));
    let (mut k, _) = base();
    let s = k.program.push(Instr::Load(3), DType::F32);
    k.stores.push(s);
    cases.push(("a load past the inputs", k));
    let (mut k, _) = base();
    let s = k.program.push(Instr::Param(0), DType::F32);
    k.stores.push(s);
    cases.push(("a param past the params", k));
    let (mut k, _) = base();
    k.stores.push(42);
    cases.push(("a store past the program", k));
    let (mut k, v) = base();
    let t = k
        .program
        .push(Instr::Const(Scalar::Bool(true)), DType::Bool);
    let end = k.program.push(
        Instr::LoopEnd {
            begin: v,
            max_iter: 3,
            cond: t,
            updates: vec![],
        },
        DType::U32,
    );
    k.stores.push(end);
    cases.push(("a loop end without its start", k));

    let schedule = Schedule {
        isa: Isa::Base,
        threads: 1,
        chunks: 3usize.div_ceil(CHUNK),
    };
    for (what, kernel) in cases {
        let cpu = no_panic(|| run_scheduled(&kernel, &[&x], &[], &schedule))
            .unwrap_or_else(|p| panic!("cpu, {what}: panicked: {p}"));
        assert!(cpu.is_err(), "cpu, {what}: {cpu:?}");
        let gpu = no_panic(|| {
            swath::gpu::run_kernel(
                &kernel,
                &[&x],
                &[],
                &ExecOptions::new().backend(Backend::Gpu),
            )
        })
        .unwrap_or_else(|p| panic!("gpu, {what}: panicked: {p}"));
        assert!(gpu.is_err(), "gpu, {what}: {gpu:?}");
    }
}
