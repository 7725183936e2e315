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
        // Integer division by zero is null (Polars).
        for name in ["fdiv0", "rem0", "fmod0"] {
            let c = out.column(name).unwrap();
            assert_eq!(c.to_options::<i32>().unwrap(), [None; 4], "[{b}] {name}");
        }
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

/// Expressions nested past `MAX_DEPTH` are refused with `Error::TooDeep` (the planner and the
/// printer recurse once per level, about 8 KiB each in a debug build), while `MAX_DEPTH`
/// itself plans and runs, here on a test thread's 2 MiB stack (the walks grow it as needed).
/// Built, printed and dropped, a chain of any length neither panics nor overflows the
/// stack.
#[test]
fn deep_expressions_are_errors_not_stack_overflows() {
    use swath::expr::MAX_DEPTH;
    let df = frame();
    let chain = |levels: usize| {
        let mut e = col("x");
        for _ in 1..levels {
            e = e + lit(1.0);
        }
        e
    };
    // `chain(n)` is n deep; the sum and the alias add two levels. At the limit it runs, and
    // agrees with the f64 reference: x = 1, 2, 3, each plus n - 1.
    let at_limit = chain(MAX_DEPTH - 1).sum().alias("s");
    assert_eq!(at_limit.depth(), MAX_DEPTH + 1);
    let ok = chain(MAX_DEPTH - 2).sum().alias("s");
    assert_eq!(ok.depth(), MAX_DEPTH);
    let want = 6.0 + 3.0 * (MAX_DEPTH - 3) as f64;
    assert_eq!(
        df.select([ok])
            .expect("at the limit")
            .values::<f64>("s")
            .unwrap(),
        [want]
    );
    match select_error(&df, at_limit) {
        Error::TooDeep {
            index,
            depth,
            limit,
        } => {
            assert_eq!((index, depth, limit), (0, MAX_DEPTH + 1, MAX_DEPTH))
        }
        other => panic!("expected TooDeep, got {other:?}"),
    }
    // Far past it: refused by select, filter and explain; printed as a placeholder; dropped.
    let deep = chain(200_000);
    assert_eq!(deep.depth(), 200_000);
    let err = error_of("select", || df.select([col("k"), deep.clone()]));
    assert!(matches!(err, Error::TooDeep { index: 1, .. }), "{err:?}");
    assert!(err.to_string().contains("200000 levels deep"), "{err}");
    let err = error_of("filter", || df.filter(deep.clone().gt(lit(0.0))));
    assert!(matches!(err, Error::TooDeep { .. }), "{err:?}");
    let err = error_of("explain", || df.explain([deep.clone()]));
    assert!(matches!(err, Error::TooDeep { .. }), "{err:?}");
    assert_eq!(
        deep.to_string(),
        "<an expression nested 200000 levels deep>"
    );
    // Compared and debug-printed on a test thread's 2 MiB stack.
    let twin = chain(200_000);
    assert!(deep == twin);
    assert!(deep != chain(199_999));
    assert!(format!("{deep:?}").starts_with("Binary(Add, Binary(Add, "));
    drop(deep);
    drop(twin);
    // A shared operand counts once: 64 doublings are 65 levels, not 2^64 nodes.
    let mut shared = col("x");
    for _ in 0..64 {
        shared = shared.clone() + shared;
    }
    assert_eq!(shared.depth(), 65);
}

/// `parse` refuses brackets, calls and prefix operators nested past its limit with
/// `Error::Parse`; a long flat chain parses, and the planner then refuses it as too deep.
#[test]
fn deeply_nested_text_is_a_parse_error() {
    for text in [
        format!("{}a{}", "(".repeat(100_000), ")".repeat(100_000)),
        format!("{}a", "-".repeat(100_000)),
        format!("{}a", "~".repeat(100_000)),
        format!("{}a", "not ".repeat(100_000)),
        format!("{}a{}", "sqrt(".repeat(100_000), ")".repeat(100_000)),
        format!("a{}", "**a".repeat(100_000)),
    ] {
        let err = error_of(&text[..20], || swath::parse(&text));
        assert!(matches!(err, Error::Parse { .. }), "{err:?}");
        assert!(err.to_string().contains("levels deep"), "{err}");
    }
    // Nesting within the limit parses, on a test thread's 2 MiB stack.
    let e = swath::parse(&format!("{}x{}", "(".repeat(5000), ")".repeat(5000))).expect("parses");
    assert_eq!(e, col("x"));
    let e = swath::parse(&format!("{}x", "-".repeat(5000))).expect("parses");
    assert_eq!(e.depth(), 5001);
    let e = e.sum();
    assert!(e.to_string().starts_with("(-(-(-"));
    let df = Frame::new([("x", Column::from(vec![1i64, 2]))]).unwrap();
    assert_eq!(df.select([e]).unwrap().values::<i64>("x").unwrap(), [3]);
    let flat = swath::parse(&format!("x{}", " + x".repeat(100_000))).expect("a flat chain parses");
    let err = error_of("select", || frame().select([flat]));
    assert!(matches!(err, Error::TooDeep { .. }), "{err:?}");
    // An error after a long chain drops the partial tree without overflowing the stack.
    let err = error_of("trailing +", || {
        swath::parse(&format!("x{} +", " + x".repeat(100_000)))
    });
    assert!(matches!(err, Error::Parse { .. }), "{err:?}");
}

#[test]
fn absurd_thread_counts_are_setting_errors() {
    let df = frame();
    for threads in [0, swath::options::MAX_THREADS + 1, 60_000] {
        let options = ExecOptions::new().backend(Backend::Cpu).threads(threads);
        let err = error_of("threads", || df.select_with([col("x").sum()], &options));
        assert!(
            matches!(&err, Error::InvalidSetting { setting, .. } if setting == "threads"),
            "{threads}: {err:?}"
        );
    }
}
