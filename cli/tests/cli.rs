//! The `swath` command line, run as a process:
//!
//! - `swath eval` over a random CSV agrees with the oracle in `common` for every op the
//!   expression syntax has (each function name and alias, every operator, `where`, casts,
//!   every reduction, compound expressions), on the default, `cpu1` and `cpu` backends, read
//!   back through `--format json`; expressions the oracle refuses fail cleanly;
//! - bad input (unknown column or function, malformed expression, missing or unreadable CSV,
//!   wrong dtype, bad options) prints one `error: ...` line, exits non-zero, never panics;
//! - `swath info`, `swath eval --explain` and a small `swath bench` run and write what they
//!   promise.

// The oracle the library's tests use (the CLI is a package of its own in the workspace).
#[path = "../../tests/common/mod.rs"]
mod common;

use std::fmt::Write as _;
use std::path::Path;

use assert_cmd::Command;
use common::{Flavor, Got, OCol, Oracle, Rng, gen_f64, matches};
use predicates::prelude::*;
use serde_json::Value;
use swath::prelude::*;

fn swath() -> Command {
    let mut command =
        Command::cargo_bin("swath").expect("the swath binary is built by `cargo test`");
    // The backend each check asks for (or swath's own default), not the caller's.
    command.env_remove("SWATH_BACKEND");
    command
}

/// Runs `command`, which must succeed, and returns its standard output.
fn stdout_of(command: &mut Command) -> String {
    let out = command.assert().success().get_output().stdout.clone();
    String::from_utf8_lossy(&out).into_owned()
}

// ---------------------------------------------------------------------------------------------
// Random data, as a CSV file and as the frame the oracle reads
// ---------------------------------------------------------------------------------------------

const ROWS: usize = 1000;

enum Data {
    F(Vec<f64>),
    /// f64 values, NaN standing for a null, written as an empty cell (which the reader reads
    /// as null).
    Gappy(Vec<f64>),
    I(Vec<i64>),
    B(Vec<bool>),
}

impl Data {
    fn cell(&self, row: usize) -> String {
        match self {
            // `{:?}` prints the shortest text that reads back as exactly this value, and always
            // with a `.` or an exponent, so the reader never takes the column for integers.
            Data::F(v) => format!("{:?}", v[row]),
            Data::Gappy(v) if v[row].is_nan() => String::new(),
            Data::Gappy(v) => format!("{:?}", v[row]),
            Data::I(v) => v[row].to_string(),
            Data::B(v) => v[row].to_string(),
        }
    }

    fn column(&self) -> Column {
        match self {
            Data::F(v) => Column::from(v.clone()),
            Data::Gappy(v) => Column::from(
                v.iter()
                    .map(|x| (!x.is_nan()).then_some(*x))
                    .collect::<Vec<_>>(),
            ),
            Data::I(v) => Column::from(v.clone()),
            Data::B(v) => Column::from(v.clone()),
        }
    }
}

/// The test data: float columns `a b c` (moderate, signed, with zeros and rounding ties),
/// `p` (positive), `u` (in (-1, 1)), `q` (near 1, for products), `n` (signed, ~10% null,
/// written as empty cells); integer columns `k` (-1000..=1000) and `m` (-5..=5, zeros
/// included); bool columns `flag` and `g`.
fn random_data(rng: &mut Rng) -> Vec<(&'static str, Data)> {
    let n = (0..ROWS)
        .map(|_| {
            if rng.chance(0.1) {
                f64::NAN
            } else {
                rng.uniform(-50.0, 50.0)
            }
        })
        .collect();
    let p = (0..ROWS).map(|_| rng.uniform(0.01, 20.0)).collect();
    let u = (0..ROWS).map(|_| rng.uniform(-0.999, 0.999)).collect();
    let k = (0..ROWS).map(|_| rng.int_in(-1000, 1000)).collect();
    let m = (0..ROWS).map(|_| rng.int_in(-5, 5)).collect();
    let flag = (0..ROWS).map(|_| rng.chance(0.5)).collect();
    let g = (0..ROWS).map(|_| rng.chance(0.3)).collect();
    vec![
        ("a", Data::F(gen_f64(rng, ROWS, Flavor::Tame))),
        ("b", Data::F(gen_f64(rng, ROWS, Flavor::Tame))),
        ("c", Data::F(gen_f64(rng, ROWS, Flavor::Tame))),
        ("p", Data::F(p)),
        ("u", Data::F(u)),
        ("q", Data::F(gen_f64(rng, ROWS, Flavor::NearOne))),
        ("n", Data::Gappy(n)),
        ("k", Data::I(k)),
        ("m", Data::I(m)),
        ("flag", Data::B(flag)),
        ("g", Data::B(g)),
    ]
}

fn write_csv(path: &Path, data: &[(&str, Data)]) {
    let mut text = data.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(",");
    text.push('\n');
    for row in 0..ROWS {
        let cells: Vec<String> = data.iter().map(|(_, d)| d.cell(row)).collect();
        writeln!(text, "{}", cells.join(",")).unwrap();
    }
    std::fs::write(path, text).expect("write the CSV");
}

// ---------------------------------------------------------------------------------------------
// The expressions: every op of `swath::parse`
// ---------------------------------------------------------------------------------------------

/// Every unary function name (aliases included) and the column whose values suit it.
const UNARY: [(&str, &str); 38] = [
    ("abs", "a"),
    ("sign", "a"),
    ("floor", "a"),
    ("ceil", "a"),
    ("round", "a"),
    ("trunc", "a"),
    ("sqrt", "p"),
    ("cbrt", "a"),
    ("exp", "u"),
    ("exp2", "u"),
    ("log", "p"),
    ("ln", "p"),
    ("log2", "p"),
    ("log10", "p"),
    ("log1p", "u"),
    ("expm1", "u"),
    ("sin", "a"),
    ("cos", "a"),
    ("tan", "a"),
    ("asin", "u"),
    ("arcsin", "u"),
    ("acos", "u"),
    ("arccos", "u"),
    ("atan", "a"),
    ("arctan", "a"),
    ("sinh", "u"),
    ("cosh", "u"),
    ("tanh", "a"),
    ("isnan", "n"),
    ("is_nan", "n"),
    ("isfinite", "n"),
    ("is_finite", "n"),
    ("not", "flag"),
    ("sum", "a"),
    ("prod", "q"),
    ("product", "q"),
    ("mean", "a"),
    ("count", "n"),
];

/// Reductions (besides those in [`UNARY`]), each over several columns.
const REDUCTIONS: [&str; 12] = [
    "sum", "prod", "mean", "min", "max", "count", "var", "std", "argmin", "argmax", "any", "all",
];

fn expressions() -> Vec<String> {
    let mut exprs: Vec<String> = Vec::new();
    let mut add = |e: &str| {
        let e = e.to_string();
        if !exprs.contains(&e) {
            exprs.push(e);
        }
    };
    for (f, x) in UNARY {
        add(&format!("{f}({x})"));
        // Outside their comfortable domain (NaN, overflow), and on integers (which the float
        // functions widen to f64) and bools (which only logical functions take).
        add(&format!("{f}(a)"));
        add(&format!("{f}(n)"));
        add(&format!("{f}(k)"));
        add(&format!("{f}(flag)"));
    }
    for r in REDUCTIONS {
        for x in ["a", "b", "n", "k", "m", "flag", "a * b", "sqrt(p) + k"] {
            add(&format!("{r}({x})"));
        }
    }
    for e in [
        // Reductions with options and aliases.
        "var(a, 0)",
        "var(k, 0)",
        "std(b, 0)",
        "std(a, 1)",
        "var(a, 2)",
        "arg_min(b)",
        "arg_max(n)",
        "min(q)",
        "max(q)",
        "any(flag)",
        "all(flag)",
        "any(g)",
        "all(p > 0)",
        "any(a > 1000)",
        "all(a < 0)",
        "any(k)",
        "prod(a)",
        "prod(m)",
        // Arithmetic, on every mix of dtypes.
        "a + b",
        "a - b",
        "a * b",
        "a / b",
        "a % b",
        "a / 0",
        "a % 0.0",
        "p ** u",
        "a ** 2",
        "u ** 3",
        "a ** b",
        "2 ** u",
        "k + m",
        "k - m",
        "k * m",
        "k / m",
        "k % m",
        "k ** 2",
        "m ** 3",
        "k / 0",
        "k % 0",
        "k ** m",
        "m ** k",
        "2 ** m",
        "m ** -1",
        "k * 9223372036854775807",
        "k - 9223372036854775807 - 2",
        "-k % 7",
        "k / -3",
        "a + k",
        "k * a",
        "k / 2.5",
        "a * 2",
        "k + 1",
        "k * 3000000000",
        "1e3 + a",
        ".5 * a",
        "-a",
        "-k",
        "- -a",
        "+a",
        "-a ** 2",
        "a - -1.5",
        "(a + b) * c",
        "a + b * c",
        "a * b + c / p - k % 7",
        "flag + 1",
        "flag + g",
        "flag * a",
        // Comparisons.
        "a < b",
        "a <= b",
        "a > 0",
        "a >= b",
        "a == a",
        "n == n",
        "a != b",
        "n != n",
        "k == 3",
        "k < m",
        "k >= a",
        "k <= 0.5",
        "flag == g",
        "flag != true",
        "flag < g",
        // Logic.
        "flag & g",
        "flag | g",
        "flag ^ g",
        "~flag",
        "not flag",
        "flag and g",
        "flag or g",
        "not a > 1 or g",
        "(a > 0) & (k < 0)",
        "(a > 0) | (k < 0) ^ g",
        "~(a < b)",
        "flag & true",
        "false | g",
        "a & b",
        "k | m",
        "~k",
        "~k + 1",
        "k & m ^ k",
        // Shifts, floor division, numpy's remainder and fmod, bool arithmetic.
        "k << 3",
        "k >> m",
        "m << k",
        "k // 7",
        "a // b",
        "k // 0",
        "a % b",
        "k % m",
        "fmod(a, b)",
        "fmod(k, m)",
        "remainder(k, 3)",
        "floor_divide(a, 2)",
        "0.25 * (a < 5)",
        "flag * 2",
        "k / 2",
        "(a + 1) ** 0.5",
        // numpy's names.
        "arcsinh(a)",
        "arccosh(a)",
        "arctanh(b)",
        "arcsin(b)",
        "arctan2(a, b)",
        "hypot(a, b)",
        "copysign(a, b)",
        "nextafter(a, b)",
        "isinf(a)",
        "signbit(b)",
        "erf(a)",
        "log(p)",
        "isnan(a) | isfinite(b)",
        // where, minimum/maximum, clamp, pow, atan2, fill_nan, cast.
        "where(a > 0, a, -a)",
        "where(flag, k, m)",
        "where(flag, a, k)",
        "where(flag, 1, 0)",
        "where(flag, 1.5, k)",
        "where(n > 0, n, 0)",
        "where(flag, g, true)",
        "where(a, a, b)",
        "where(flag, a, g)",
        "minimum(a, b)",
        "maximum(a, b)",
        "minimum(n, 0)",
        "maximum(k, m)",
        "min(a, 2)",
        "max(k, m)",
        "min(a, k)",
        "minimum(flag, g)",
        "clamp(a, -1, 1)",
        "clip(k, -10, 10)",
        "clamp(n, -0.5, 0.5)",
        "clamp(a, b, c)",
        "clamp(flag, 0, 1)",
        "pow(p, 0.5)",
        "power(a, 2)",
        "pow(k, 2)",
        "pow(u, b)",
        "atan2(a, b)",
        "arctan2(u, k)",
        "atan2(k, m)",
        "fill_nan(n, 0)",
        "fill_nan(sqrt(a), -1)",
        "fill_nan(n, a)",
        "fill_nan(k, 0)",
        "cast(a, i64)",
        "cast(a, i32)",
        "cast(a, u32)",
        "cast(a, f32)",
        "cast(a, bool)",
        "cast(n, i64)",
        "cast(k, f32)",
        "cast(k, f64)",
        "cast(k, i32)",
        "cast(k, u32)",
        "cast(k, bool)",
        "astype(flag, i32)",
        "cast(flag, f64)",
        "cast(k, f32) * 1.5",
        "`a` + \"b\"",
        // Compound expressions: reductions inside maps and maps of reductions.
        "mean(a) - min(b)",
        "sum(sqrt(a*b+c))",
        "sum(sqrt(p*q+p))",
        "a - mean(a)",
        "(a - mean(a)) / std(a)",
        "sum(where(flag, a, 0))",
        "max(abs(a - b))",
        "sum(a*a) / count(a)",
        "mean(k) * 2 + max(m)",
        "k - sum(m)",
        "where(a > mean(a), 1, 0)",
        "sum(a > mean(a))",
        "count(fill_nan(n, 0)) - count(n)",
        "std(a - mean(a))",
        "argmax(a - b) + argmin(c)",
        "mean(exp(u) - expm1(u))",
        "any(isnan(n)) & all(isfinite(a))",
    ] {
        add(e);
    }
    exprs
}

// ---------------------------------------------------------------------------------------------
// Reading `--format json` back
// ---------------------------------------------------------------------------------------------

/// One output column: (name, dtype name, values).
type JsonColumn = (String, String, Vec<Got>);

fn read_value(v: &Value, dtype: &str) -> Result<Got, String> {
    Ok(match v {
        Value::Null => Got::Null,
        Value::Bool(b) => Got::B(*b),
        Value::Number(x) if matches!(dtype, "f32" | "f64") => {
            Got::F(x.as_f64().ok_or_else(|| format!("{x} is not a float"))?)
        }
        Value::Number(x) => Got::I(
            x.as_i64()
                .map(i128::from)
                .or_else(|| x.as_u64().map(i128::from))
                .ok_or_else(|| format!("{x} is not an integer"))?,
        ),
        Value::String(s) if matches!(dtype, "f32" | "f64") => match s.as_str() {
            "NaN" => Got::F(f64::NAN),
            "inf" => Got::F(f64::INFINITY),
            "-inf" => Got::F(f64::NEG_INFINITY),
            _ => return Err(format!("unexpected string {s:?}")),
        },
        other => return Err(format!("unexpected JSON value {other} for {dtype}")),
    })
}

fn read_json(stdout: &[u8]) -> Result<Vec<JsonColumn>, String> {
    let text = std::str::from_utf8(stdout).map_err(|e| e.to_string())?;
    let json: Value = serde_json::from_str(text.trim()).map_err(|e| format!("{e}: {text}"))?;
    let columns = json["columns"]
        .as_array()
        .ok_or_else(|| format!("no `columns` array: {text}"))?;
    columns
        .iter()
        .map(|c| {
            let name = c["name"].as_str().ok_or("a column without a name")?;
            let dtype = c["dtype"].as_str().ok_or("a column without a dtype")?;
            let values = c["values"]
                .as_array()
                .ok_or("a column without values")?
                .iter()
                .map(|v| read_value(v, dtype))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((name.to_string(), dtype.to_string(), values))
        })
        .collect()
}

/// Compares one output column with the oracle's (a scalar broadcast to `rows`).
fn compare(col: &JsonColumn, want: &OCol, rows: usize) -> Result<(), String> {
    let (_, dtype, values) = col;
    if dtype != want.dtype.name() {
        return Err(format!("dtype {dtype} but the oracle says {}", want.dtype));
    }
    if values.len() != rows {
        return Err(format!("{} rows, expected {rows}", values.len()));
    }
    let bad: Vec<String> = (0..rows)
        .filter(|&i| !matches(want.at(i), values[i]))
        .map(|i| format!("row {i}: expected {}, got {}", want.at(i), values[i]))
        .collect();
    if bad.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} of {rows} rows differ; {}",
            bad.len(),
            bad[..bad.len().min(4)].join("; ")
        ))
    }
}

/// Runs `swath eval` on `exprs` (all valid) and compares every output with the oracle.
fn check_batch(csv: &Path, extra: &[&str], batch: &[(String, OCol)], failures: &mut Vec<String>) {
    let what = format!("swath eval {} ({} exprs)", extra.join(" "), batch.len());
    // Options first, then `--`: expressions such as `-a` would otherwise read as options.
    let out = swath()
        .arg("eval")
        .arg("--csv")
        .arg(csv)
        .args(["--format", "json"])
        .args(extra)
        .arg("--")
        .args(batch.iter().map(|(e, _)| e))
        .output()
        .expect("run swath");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        failures.push(format!("{what} failed ({}): {stderr}", out.status));
        if batch.len() > 1 {
            for one in batch.chunks(1) {
                check_batch(csv, extra, one, failures);
            }
        }
        return;
    }
    let columns = match read_json(&out.stdout) {
        Ok(c) => c,
        Err(e) => return failures.push(format!("{what}: bad JSON: {e}")),
    };
    if columns.len() != batch.len() {
        return failures.push(format!(
            "{what}: {} columns for {} exprs",
            columns.len(),
            batch.len()
        ));
    }
    let rows = if batch.iter().all(|(_, w)| w.scalar) {
        1
    } else {
        ROWS
    };
    for ((text, want), col) in batch.iter().zip(&columns) {
        if col.0 != text.trim() {
            failures.push(format!("{what}: `{text}` came back named `{}`", col.0));
        }
        if let Err(e) = compare(col, want, rows) {
            failures.push(format!("{what}: `{text}`: {e}"));
        }
    }
}

/// Runs `swath eval EXPR` for an expression the oracle refuses: it must fail cleanly.
fn check_refused(csv: &Path, text: &str, why: &str, failures: &mut Vec<String>) {
    let out = swath()
        .args(["eval", "--csv"])
        .arg(csv)
        .args(["--", text])
        .output()
        .expect("run swath");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.success() {
        failures.push(format!(
            "`{text}` succeeded; the oracle refuses it ({why}): {}",
            String::from_utf8_lossy(&out.stdout)
        ));
    } else if let Err(e) = one_error_line(&stderr) {
        failures.push(format!("`{text}` ({why}): {e}"));
    }
}

#[test]
fn eval_agrees_with_the_oracle_for_every_op() {
    let mut rng = Rng::for_test("cli_eval");
    let data = random_data(&mut rng);
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("data.csv");
    write_csv(&csv, &data);
    let frame = Frame::new(data.iter().map(|(n, d)| (*n, d.column()))).unwrap();
    let oracle = Oracle::new(&frame);

    let mut failures = Vec::new();
    let mut good = Vec::new();
    let mut refused = Vec::new();
    for text in expressions() {
        let expr = match swath::parse(&text) {
            Ok(e) => e,
            Err(e) => {
                failures.push(format!("`{text}` does not parse: {e}"));
                continue;
            }
        };
        match oracle.eval(&expr) {
            Ok(want) => good.push((text, want)),
            Err(why) => refused.push((text, why)),
        }
    }
    // Guard against the oracle quietly refusing most of the list.
    assert!(
        good.len() > 250 && refused.len() < 150,
        "{} valid, {} refused",
        good.len(),
        refused.len()
    );

    // Many expressions per process (fused into few passes), on each way of running them.
    for extra in [
        &[][..],
        &["--backend", "cpu1"][..],
        &["--backend", "cpu", "--threads", "2"][..],
    ] {
        for batch in good.chunks(60) {
            check_batch(&csv, extra, batch, &mut failures);
        }
    }
    // A select of reductions only gives one row.
    let scalars: Vec<_> = good.iter().filter(|g| g.1.scalar).cloned().collect();
    assert!(scalars.len() > 40);
    check_batch(&csv, &[], &scalars, &mut failures);

    for (text, why) in &refused {
        check_refused(&csv, text, why, &mut failures);
    }
    common::assert_ok(failures, "swath eval vs the oracle");
}

#[test]
fn eval_json_writes_non_finite_values_as_strings_and_empty_results_as_null() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("t.csv");
    std::fs::write(&csv, "x,k\n1.5,1\n-2.0,2\n,3\ninf,4\n").unwrap();
    let out = swath()
        .args(["eval", "x", "x / 0", "k", "--csv"])
        .arg(&csv)
        .args(["--format", "json"])
        .assert()
        .success();
    let json: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"columns": [
            {"name": "x", "dtype": "f64", "values": [1.5, -2.0, null, "inf"]},
            {"name": "x / 0", "dtype": "f64", "values": ["inf", "-inf", null, "inf"]},
            {"name": "k", "dtype": "i64", "values": [1, 2, 3, 4]},
        ]})
    );

    // A CSV with no rows: min and mean of nothing are null; sum and count are 0.
    std::fs::write(&csv, "x,k\n").unwrap();
    let out = swath()
        .args([
            "eval",
            "min(cast(x, f64))",
            "mean(cast(k, f64))",
            "sum(cast(x, f64))",
        ])
        .args(["count(cast(k, f64))", "--csv"])
        .arg(&csv)
        .args(["--format", "json"])
        .assert()
        .success();
    let json: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let values: Vec<&Value> = json["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["values"][0])
        .collect();
    assert_eq!(
        values,
        [
            &Value::Null,
            &Value::Null,
            &serde_json::json!(0.0),
            &serde_json::json!(0)
        ],
        "{json}"
    );
}

#[test]
fn eval_skips_unread_text_columns_and_reads_empty_cells_as_null() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("t.csv");
    std::fs::write(&csv, "name,b,k\nada,2.5,1\nbob,,NA\ncy,4.5,3\n").unwrap();
    let json = |extra: &[&str]| -> Value {
        let out = swath()
            .args([
                "eval",
                "mean(b)",
                "count(b)",
                "len(b)",
                "null_count(k)",
                "--csv",
            ])
            .arg(&csv)
            .args(extra)
            .args(["--format", "json"])
            .assert()
            .success();
        serde_json::from_slice(&out.get_output().stdout).unwrap()
    };
    let values = |json: &Value| -> Vec<Value> {
        json["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["values"][0].clone())
            .collect()
    };
    // pandas and Polars: mean 3.5 over the two values, count 2, three rows.
    let with_na = json(&["--null-value", "", "--null-value", "NA"]);
    assert_eq!(
        values(&with_na),
        [
            serde_json::json!(3.5),
            serde_json::json!(2),
            serde_json::json!(3),
            serde_json::json!(1)
        ],
        "{with_na}"
    );
    // Without `NA` as a null string, `k` is text: counted, compared, never summed.
    let out = swath()
        .args(["eval", "null_count(k)", "k == 'NA'", "--csv"])
        .arg(&csv)
        .args(["--format", "json"])
        .assert()
        .success();
    let json: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(
        json["columns"][0]["values"],
        serde_json::json!([0, 0, 0]),
        "{json}"
    );
    assert_eq!(
        json["columns"][1]["values"],
        serde_json::json!([false, true, false]),
        "{json}"
    );
    let out = swath()
        .args(["eval", "name", "--csv"])
        .arg(&csv)
        .args(["--format", "json"])
        .assert()
        .success();
    let json: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(
        json["columns"][0],
        serde_json::json!({"name": "name", "dtype": "cat", "values": ["ada", "bob", "cy"]}),
        "{json}"
    );
    let out = swath()
        .args(["eval", "sum(k)", "--csv"])
        .arg(&csv)
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        stderr.contains("`k`") && stderr.contains("text"),
        "{stderr}"
    );
}

#[test]
fn eval_by_groups_rows_in_order_of_first_row() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("g.csv");
    std::fs::write(&csv, "k,j,v\nb,1,1.5\na,2,2.0\nb,1,\nb,2,4.0\na,2,8.0\n").unwrap();
    let out = swath()
        .args(["eval", "sum(v)", "len(v)", "--by", "k,j", "--csv"])
        .arg(&csv)
        .args(["--format", "json"])
        .assert()
        .success();
    let json: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let column = |i: usize| json["columns"][i]["values"].clone();
    // Groups (b,1), (a,2), (b,2), by first row; the empty cell is null, skipped by the sum.
    assert_eq!(column(0), serde_json::json!(["b", "a", "b"]), "{json}");
    assert_eq!(column(1), serde_json::json!([1, 2, 2]), "{json}");
    assert_eq!(column(2), serde_json::json!([1.5, 10.0, 4.0]), "{json}");
    assert_eq!(column(3), serde_json::json!([2, 2, 1]), "{json}");
    let out = swath()
        .args(["eval", "sum(v)", "--by", "k", "--explain", "--csv"])
        .arg(&csv)
        .assert()
        .success();
    let plan = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(
        plan.contains("2 groups") && plan.contains("key `k`: text codes"),
        "{plan}"
    );
    let out = swath()
        .args(["eval", "v", "--by", "k", "--csv"])
        .arg(&csv)
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(stderr.contains("must be reduced"), "{stderr}");
}

#[test]
fn eval_reads_parquet_files() {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/pyarrow.parquet");
    let out = swath()
        .args([
            "eval",
            "count(f64)",
            "sum(species == 'Gentoo')",
            "--parquet",
            file,
        ])
        .args(["--format", "json"])
        .assert()
        .success();
    let json: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    // pyarrow.json: 50 rows, every row i with i % 7 == 3 null; Gentoo where i % 3 == 1.
    let count = (0..50).filter(|i| i % 7 != 3).count();
    let gentoo = (0..50).filter(|i| i % 7 != 3 && i % 3 == 1).count();
    assert_eq!(
        json["columns"][0]["values"],
        serde_json::json!([count]),
        "{json}"
    );
    assert_eq!(
        json["columns"][1]["values"],
        serde_json::json!([gentoo]),
        "{json}"
    );
}

// ---------------------------------------------------------------------------------------------
// Bad input
// ---------------------------------------------------------------------------------------------

/// libwayland prints this on stderr when wgpu looks for a GPU where `XDG_RUNTIME_DIR` is unset
/// (it is not swath's error line).
const WAYLAND_NOISE: &str = "error: XDG_RUNTIME_DIR is invalid or not set in the environment.";

/// `stderr` is one `error: ...` line (from swath, not a panic). Gives that line.
fn one_error_line(stderr: &str) -> Result<String, String> {
    if stderr.contains("panicked") || stderr.contains("RUST_BACKTRACE") {
        return Err(format!("panicked: {stderr}"));
    }
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.trim() != WAYLAND_NOISE)
        .collect();
    match lines.as_slice() {
        [line] if line.starts_with("error: ") && line.len() > "error: ".len() => {
            Ok(line.to_string())
        }
        _ => Err(format!(
            "expected one `error: ...` line on stderr, got {stderr:?}"
        )),
    }
}

/// Runs swath with `args`, which must fail with one error line; gives that line.
fn fails(args: &[&str]) -> String {
    let out = swath().args(args).output().expect("run swath");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "swath {args:?} succeeded: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(out.status.code(), Some(1), "swath {args:?}: {stderr}");
    match one_error_line(&stderr) {
        Ok(line) => line,
        Err(e) => panic!("swath {args:?}: {e}"),
    }
}

#[test]
fn bad_input_prints_one_error_line_and_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let good = path("good.csv");
    std::fs::write(&good, "a,b,k,flag\n1.5,-2.25,3,true\n0.5,4.0,-7,false\n").unwrap();

    let line = fails(&["eval", "a + nope", "--csv", &good]);
    assert!(
        line.contains("`nope`") && line.contains("not found"),
        "{line}"
    );

    for (text, position) in [
        ("sqrt(a", 6),
        ("a + ", 4),
        ("a $ b", 2),
        ("a b", 2),
        ("a = b", 2),
    ] {
        let line = fails(&["eval", "a", text, "--csv", &good]);
        assert!(
            line.contains(text.trim()) && line.contains(&format!("position {position}")),
            "`{text}`: {line}"
        );
    }
    // An empty expression is a parse error, not an empty result.
    let line = fails(&["eval", "", "--csv", &good]);
    assert!(line.contains("position 0"), "{line}");

    let line = fails(&["eval", "frobnicate(a)", "--csv", &good]);
    assert!(line.contains("unknown function `frobnicate`"), "{line}");
    let line = fails(&["eval", "sqrt(a, b)", "--csv", &good]);
    assert!(line.contains("`sqrt` takes 1 argument"), "{line}");
    let line = fails(&["eval", "cast(a, f16)", "--csv", &good]);
    assert!(line.contains("f16"), "{line}");

    let missing = path("missing.csv");
    let line = fails(&["eval", "a", "--csv", &missing]);
    assert!(line.contains("missing.csv"), "{line}");

    // A text column fails only when an expression reads it.
    let text = path("text.csv");
    std::fs::write(&text, "a,name\n1.0,x\n2.0,y\n").unwrap();
    let line = fails(&["eval", "a + name", "--csv", &text]);
    assert!(line.contains("`name`") && line.contains("text"), "{line}");

    let ragged = path("ragged.csv");
    std::fs::write(&ragged, "a,b\n1.0,2.0\n3.0\n").unwrap();
    let line = fails(&["eval", "a", "--csv", &ragged]);
    assert!(line.contains("ragged.csv"), "{line}");

    let line = fails(&["eval", "sqrt(flag)", "--csv", &good]);
    assert!(line.contains("sqrt") && line.contains("bool"), "{line}");
    let line = fails(&["eval", "flag << flag", "--csv", &good]);
    assert!(line.contains("bool"), "{line}");
    let line = fails(&["eval", "a << 1", "--csv", &good]);
    assert!(line.contains("<<") && line.contains("f"), "{line}");
    let line = fails(&["eval", "where(a, a, b)", "--csv", &good]);
    assert!(line.contains("error: "), "{line}");

    // One bad expression among good ones fails the whole command.
    fails(&["eval", "a", "sum(b)", "nope", "--csv", &good]);
    let line = fails(&["eval", "sum(a)", "--csv", &good, "--threads", "0"]);
    assert!(line.contains("threads"), "{line}");
    fails(&["bench", "--sizes", "0"]);
    fails(&["bench", "--sizes", "1000,0"]);
}

#[test]
fn usage_errors_exit_non_zero_without_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.csv");
    std::fs::write(&good, "a\n1.5\n").unwrap();
    for args in [
        &["eval", "a", "--csv", "GOOD", "--backend", "nonsense"][..],
        &["eval", "a", "--csv", "GOOD", "--format", "xml"][..],
        &["eval", "a", "--csv", "GOOD", "--threads", "many"][..],
        &["eval", "--csv", "GOOD"][..],
        &["eval", "a"][..],
        &["bench", "--sizes", "ten"][..],
        &["bench", "--shapes", "nonsense"][..],
        &["bench", "--backends", "tpu"][..],
        &["frobnicate"][..],
        &[][..],
    ] {
        let args: Vec<&str> = args
            .iter()
            .map(|a| {
                if *a == "GOOD" {
                    good.to_str().unwrap()
                } else {
                    a
                }
            })
            .collect();
        let out = swath().args(&args).output().expect("run swath");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "swath {args:?} succeeded");
        assert!(!stderr.contains("panicked"), "swath {args:?}: {stderr}");
        // clap's own message (an error line and a pointer to --help), or the help itself
        // when no command is given.
        assert!(
            stderr.starts_with("error: ") || stderr.contains("Usage: swath"),
            "swath {args:?}: {stderr}"
        );
    }
    let out = swath()
        .args(["eval", "a", "--csv"])
        .arg(&good)
        .args(["--backend", "nonsense"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr);
    assert!(stderr.contains("nonsense"), "{stderr}");
}

/// A GPU may or may not be here: `--backend gpu` either works (and gives the exact answers
/// these values have) or fails with one clean error line (and must work when
/// `SWATH_REQUIRE_GPU=1`, as in CI).
#[test]
fn eval_on_the_gpu_backend_works_or_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("t.csv");
    std::fs::write(&csv, "a,k\n1.5,3\n-2.0,4\n0.25,-5\n").unwrap();
    let out = swath()
        .args(["eval", "a * 2 + 1", "k + 1", "sum(k)", "--csv"])
        .arg(&csv)
        .args(["--format", "json", "--backend", "gpu"])
        .output()
        .expect("run swath");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        if let Err(e) = one_error_line(&stderr) {
            panic!("--backend gpu: {e}");
        }
        assert!(
            std::env::var("SWATH_REQUIRE_GPU").map_or(true, |v| v != "1"),
            "SWATH_REQUIRE_GPU=1 but `--backend gpu` failed: {stderr}"
        );
        eprintln!("--backend gpu is unavailable here: {}", stderr.trim());
        return;
    }
    let columns = read_json(&out.stdout).unwrap();
    let values: Vec<&Vec<Got>> = columns.iter().map(|c| &c.2).collect();
    assert_eq!(
        values,
        [
            &vec![Got::F(4.0), Got::F(-3.0), Got::F(1.5)],
            &vec![Got::I(4), Got::I(5), Got::I(-4)],
            &vec![Got::I(2), Got::I(2), Got::I(2)],
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// info, explain, bench
// ---------------------------------------------------------------------------------------------

#[test]
fn info_prints_cpu_isa_and_threads() {
    swath()
        .arg("info")
        .assert()
        .success()
        // The CPU: a `cpu:` line, or a `machine:` line that names it.
        .stdout(predicate::str::is_match(r"(?m)^(cpu:\s+\S|machine:\s+.*\bcpu\b)").unwrap())
        .stdout(
            predicate::str::is_match(r"(?m)^isa:\s+(base|avx2|avx512) \(supported: base").unwrap(),
        )
        .stdout(predicate::str::is_match(r"(?m)^threads:\s+[1-9][0-9]*$").unwrap());
}

#[test]
fn explain_prints_the_plan() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("t.csv");
    std::fs::write(&csv, "a,b,c\n1.0,2.0,3.0\n4.0,5.0,6.0\n").unwrap();
    swath()
        .args([
            "eval",
            "sum(sqrt(a*b+c))",
            "a - mean(a)",
            "--explain",
            "--csv",
        ])
        .arg(&csv)
        .assert()
        .success()
        .stdout(predicate::str::contains("plan: 2 pass(es) over 2 rows"))
        .stdout(predicate::str::contains("pass 0:"))
        .stdout(predicate::str::contains("pass 1:"))
        .stdout(predicate::str::contains("sqrt"))
        .stdout(predicate::str::contains("choice:"))
        // The plan only: nothing is evaluated or printed as a table.
        .stdout(predicate::str::contains("shape:").not());
    // The plan honours a forced backend.
    swath()
        .args(["eval", "sum(a)", "--explain", "--backend", "cpu1", "--csv"])
        .arg(&csv)
        .assert()
        .success()
        .stdout(predicate::str::contains("pass 0:"))
        .stdout(predicate::str::is_match(r"(?m)^\s*choice: .*(cpu1|calling thread)").unwrap());
}

#[test]
fn eval_prints_a_table_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("t.csv");
    std::fs::write(&csv, "a,b\n1.0,2.0\n4.0,5.0\n").unwrap();
    swath()
        .args(["eval", "a + b", "sum(a)", "--csv"])
        .arg(&csv)
        .assert()
        .success()
        .stdout(predicate::str::contains("shape: (2, 2)"))
        .stdout(predicate::str::contains("a + b"))
        .stdout(predicate::str::contains("9.0"))
        .stdout(predicate::str::contains("5.0"));
}

#[test]
fn bench_writes_json_and_charts() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("b.json");
    let chart = dir.path().join("b");
    swath()
        .args(["bench", "--sizes", "1000,5000", "--shapes", "sum,fused"])
        .args([
            "--data",
            "host",
            "--backends",
            "cpu1,cpu,auto",
            "--seconds",
            "0.001",
            "--json",
        ])
        .arg(&json)
        .arg("--chart")
        .arg(&chart)
        .assert()
        .success()
        .stdout(predicate::str::contains("regret"))
        .stdout(predicate::str::contains("wrote"));

    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert!(report["machine"].as_str().is_some_and(|m| !m.is_empty()));
    let points = report["points"].as_array().expect("points");
    assert_eq!(points.len(), 2 * 2 * 3, "{report}");
    for shape in ["sum", "fused"] {
        for rows in [1000, 5000] {
            for way in ["cpu1", "cpu", "auto"] {
                let hits: Vec<&Value> = points
                    .iter()
                    .filter(|p| p["shape"] == shape && p["rows"] == rows && p["way"] == way)
                    .collect();
                assert_eq!(hits.len(), 1, "({shape}, {rows}, {way}): {report}");
                for field in ["median_ns", "gb_per_s", "rows_per_s"] {
                    let v = hits[0][field].as_f64();
                    assert!(
                        v.is_some_and(|v| v.is_finite() && v > 0.0),
                        "({shape}, {rows}, {way}) {field}: {}",
                        hits[0]
                    );
                }
            }
            let regret: Vec<&Value> = report["regret"]
                .as_array()
                .expect("regret")
                .iter()
                .filter(|r| r["shape"] == shape && r["rows"] == rows && r["data"] == "host")
                .collect();
            assert_eq!(regret.len(), 1, "regret ({shape}, {rows}): {report}");
            assert!(
                regret[0]["value"]
                    .as_f64()
                    .is_some_and(|r| r.is_finite() && r > 0.0),
                "{report}"
            );
        }
    }
    for ext in ["svg", "png"] {
        let file = dir.path().join(format!("b.{ext}"));
        let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert!(
            bytes.len() > 100,
            "{} is {} bytes",
            file.display(),
            bytes.len()
        );
        if ext == "svg" {
            assert!(String::from_utf8_lossy(&bytes).contains("<svg"));
        } else {
            assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        }
    }

    // `swath chart` redraws the saved results without measuring again: the same table, and
    // a chart at the new path.
    let redrawn = dir.path().join("again");
    let out = stdout_of(swath().arg("chart").arg(&json).arg("--chart").arg(&redrawn));
    assert!(out.contains("regret time(auto)"), "{out}");
    for ext in ["svg", "png"] {
        assert!(dir.path().join(format!("again.{ext}")).exists());
    }
    // Something that is not a saved sweep: one error line, non-zero.
    let bogus = dir.path().join("bogus.json");
    std::fs::write(&bogus, "{}").unwrap();
    swath()
        .arg("chart")
        .arg(&bogus)
        .assert()
        .failure()
        .stderr(predicate::str::contains("not a swath bench result"));
}

/// With a GPU, `swath bench` times each point twice: inputs on the host (a GPU pass uploads
/// them and its results come back) and inputs already on the device; regret is per placement.
/// Without one, device placements are left out. (Skips the device half visibly without a
/// GPU, unless `SWATH_REQUIRE_GPU=1`.)
#[test]
fn bench_times_host_and_device_data_apart() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("p.json");
    let out = stdout_of(
        swath()
            .args(["bench", "--sizes", "20000", "--shapes", "sum,map"])
            .args(["--backends", "cpu1,gpu,auto", "--seconds", "0.001"])
            .arg("--json")
            .arg(&json)
            .arg("--chart")
            .arg(dir.path().join("p")),
    );
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let points = report["points"].as_array().expect("points");
    let gpu = report["gpu"].is_string();
    if !gpu {
        assert!(
            std::env::var("SWATH_REQUIRE_GPU").map_or(true, |v| v != "1"),
            "SWATH_REQUIRE_GPU=1 but the bench found no GPU"
        );
        eprintln!("no GPU: only host placements are timed");
    }
    let placements: &[&str] = if gpu { &["host", "device"] } else { &["host"] };
    let ways: &[&str] = if gpu {
        &["cpu1", "gpu", "auto"]
    } else {
        &["cpu1", "auto"]
    };
    assert_eq!(points.len(), 2 * placements.len() * ways.len(), "{report}");
    for data in placements {
        assert!(out.contains(&format!("data on the {data}")), "{out}");
        for shape in ["sum", "map"] {
            for way in ways {
                let hits = points
                    .iter()
                    .filter(|p| p["shape"] == shape && p["data"] == *data && p["way"] == *way)
                    .count();
                assert_eq!(hits, 1, "({shape}, {data}, {way}): {report}");
            }
            let regrets = report["regret"]
                .as_array()
                .expect("regret")
                .iter()
                .filter(|r| r["shape"] == shape && r["data"] == *data)
                .count();
            assert_eq!(regrets, 1, "regret ({shape}, {data}): {report}");
        }
    }
}

/// Results saved before placements existed (session 3's recorded sweep had this form) still
/// redraw: their points count as host data and their regret is recomputed.
#[test]
fn chart_reads_results_saved_before_placements() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("old.json");
    let point = |way: &str, ns: f64| {
        format!(
            r#"{{"shape":"sum","rows":1000,"way":"{way}","median_ns":{ns},"gb_per_s":{},"rows_per_s":{}}}"#,
            4000.0 / ns,
            1000.0 / ns * 1e9
        )
    };
    let old = format!(
        r#"{{"machine":"an older build","gpu":null,"points":[{},{},{}],"regret":[["sum",1000,9.99]]}}"#,
        point("cpu1", 800.0),
        point("cpu", 900.0),
        point("auto", 1000.0)
    );
    std::fs::write(&saved, old).unwrap();
    let out = stdout_of(
        swath()
            .arg("chart")
            .arg(&saved)
            .arg("--chart")
            .arg(dir.path().join("old")),
    );
    assert!(out.contains("data on the host"), "{out}");
    assert!(!out.contains("data on the device"), "{out}");
    // Recomputed from the points (1000 / 800), not read from the old regret list.
    assert!(out.contains("max 1.25, median 1.25 over 1 points"), "{out}");
    assert!(dir.path().join("old.png").exists());
}
