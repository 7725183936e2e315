//! The examples in CI: `describe`, `black_scholes`, `monte_carlo_pi`, `saxpy_chain` and
//! `mandelbrot` check their own answers and exit non-zero on a mismatch; `quickstart` prints
//! its results, checked here. Each runs as a process (the large ones at a reduced size) and
//! must succeed; `mandelbrot` must also write a PNG.
//!
//! The binaries come from `cargo build --examples` run by this test with the cargo that runs
//! it: plain `cargo test` has already built them, so that is a quick no-op, and
//! `cargo test --test examples` (which builds no examples) gets fresh ones instead of stale
//! or missing files. That build finds the target folder as any cargo does (`CARGO_TARGET_DIR`,
//! config); after an outer `cargo test --target-dir D` or `--target T` it builds into the
//! default folder instead, which is slower but still runs the right binaries (their paths
//! come from cargo's JSON messages). Without a cargo to run (the test binary started by
//! hand), the binaries beside this test's (`target/<profile>/examples/`) are used, with a
//! note that they may be stale.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const EXAMPLES: [&str; 6] = [
    "describe",
    "black_scholes",
    "quickstart",
    "monte_carlo_pi",
    "saxpy_chain",
    "mandelbrot",
];

/// The example binaries by name, built once per test process.
fn binaries() -> &'static HashMap<String, PathBuf> {
    static BINARIES: OnceLock<HashMap<String, PathBuf>> = OnceLock::new();
    BINARIES.get_or_init(|| match build_examples() {
        Ok(found) => found,
        Err(why) => {
            eprintln!("note: not building the examples ({why}); using those on disk, maybe stale");
            on_disk()
        }
    })
}

/// The profile's folder this test binary runs from: `target/<profile>/deps/examples-HASH`.
fn profile_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.parent()?.to_path_buf())
}

/// `cargo build --examples` in this test's profile; gives each example's executable, as
/// cargo reports it.
fn build_examples() -> Result<HashMap<String, PathBuf>, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let mut command = Command::new(&cargo);
    command
        .args([
            "build",
            "--examples",
            "--message-format=json",
            "--manifest-path",
        ])
        .arg(&manifest);
    // The same profile as this test, so nothing is built twice: `debug` is the dev profile.
    match profile_dir()
        .as_deref()
        .and_then(Path::file_name)
        .and_then(|n| n.to_str())
    {
        Some("debug") | None => {}
        Some("release") => {
            command.arg("--release");
        }
        Some(other) => {
            command.args(["--profile", other]);
        }
    }
    let out = command
        .output()
        .map_err(|e| format!("cannot run {}: {e}", Path::new(&cargo).display()))?;
    if !out.status.success() {
        // The examples do not build: that is a failure, not a reason to run old binaries.
        panic!(
            "cargo build --examples failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut found = HashMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let is_example = message["target"]["kind"]
            .as_array()
            .is_some_and(|kinds| kinds.iter().any(|k| k == "example"));
        if message["reason"] == "compiler-artifact"
            && is_example
            && let Some(name) = message["target"]["name"].as_str()
            && let Some(exe) = message["executable"].as_str()
        {
            found.insert(name.to_string(), PathBuf::from(exe));
        }
    }
    Ok(found)
}

/// The examples already in `target/<profile>/examples/`.
fn on_disk() -> HashMap<String, PathBuf> {
    let Some(dir) = profile_dir().map(|d| d.join("examples")) else {
        return HashMap::new();
    };
    EXAMPLES
        .iter()
        .map(|name| {
            let exe = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
            (name.to_string(), exe)
        })
        .filter(|(_, exe)| exe.is_file())
        .collect()
}

/// Runs the example `name` with `env` set; it must succeed. Gives its stdout.
fn run_example(name: &str, env: &[(&str, &str)]) -> String {
    run_example_with_args(name, &[], env)
}

/// Runs the example `name` with `args` and `env`; it must succeed. Gives its stdout.
fn run_example_with_args(name: &str, args: &[&OsStr], env: &[(&str, &str)]) -> String {
    let exe = binaries().get(name).unwrap_or_else(|| {
        panic!(
            "no binary for the example `{name}` (have: {:?}); run `cargo build --examples`",
            binaries().keys().collect::<Vec<_>>()
        )
    });
    let out = Command::new(exe)
        .args(args)
        .envs(env.iter().copied())
        // The examples' own defaults, not settings from the caller's environment.
        .env_remove("SWATH_BACKEND")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", exe.display()));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "example {name} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status
    );
    assert!(!stderr.contains("panicked"), "example {name}: {stderr}");
    stdout
}

#[test]
fn describe_matches_pandas_on_penguins_with_text_and_missing_values() {
    let out = run_example("describe", &[]);
    assert!(out.contains("penguins.csv: 344 rows, 8 columns"), "{out}");
    assert!(
        out.contains("check: all 40 figures match pandas' describe()"),
        "{out}"
    );
    assert!(
        out.contains("sex (text): count 333, 2 distinct: female, male"),
        "{out}"
    );
}

#[test]
fn describe_matches_the_published_wine_statistics() {
    let wine = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/wine.csv");
    let out = run_example("describe", &[("SWATH_EXAMPLE_CSV", wine)]);
    assert!(out.contains("wine.csv: 178 rows"), "{out}");
    assert!(
        out.contains("check: min, max, mean and std of all 13 measurements match"),
        "{out}"
    );
}

#[test]
fn black_scholes_prices_hold_parity_at_a_reduced_size() {
    let out = run_example("black_scholes", &[("SWATH_EXAMPLE_ROWS", "20000")]);
    assert!(out.contains("priced 20000 options"), "{out}");
    assert!(
        out.contains("check: textbook prices and put-call parity hold"),
        "{out}"
    );
}

#[test]
fn monte_carlo_pi_lands_within_five_standard_errors() {
    let out = run_example("monte_carlo_pi", &[("SWATH_EXAMPLE_ROWS", "200000")]);
    assert!(out.contains("200000 points"), "{out}");
    assert!(
        out.contains("check: within 5 standard errors of pi"),
        "{out}"
    );
}

#[test]
fn saxpy_chain_matches_the_fused_cpu_pass() {
    let out = run_example("saxpy_chain", &[("SWATH_EXAMPLE_ROWS", "100000")]);
    assert!(
        out.contains("check: the chain matches the fused CPU pass"),
        "{out}"
    );
    if out.contains("(GPU)") {
        // The second map reads only resident columns.
        assert!(
            out.contains("w = a*z + x              moved          0 B to the device"),
            "{out}"
        );
    }
}

#[test]
fn quickstart_prints_the_readme_results() {
    let out = run_example("quickstart", &[]);
    // sum(sqrt(a*b + 1)) over a = 1..4, b = 4..1 (f32), mean(a) and max(k).
    for want in ["9.7636", "2.5", "shape: (1, 3)", "shape: (4, 2)", "plan: "] {
        assert!(out.contains(want), "no `{want}` in:\n{out}");
    }
    // a - mean(a), then the filter a > 1.5 (3 rows).
    for want in ["-1.5", "-0.5", "shape: (3, 3)"] {
        assert!(out.contains(want), "no `{want}` in:\n{out}");
    }
}

#[test]
fn mandelbrot_renders_a_png_and_checks_the_area() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let png = dir.path().join("mandelbrot.png");
    let out = run_example_with_args(
        "mandelbrot",
        &[png.as_os_str()],
        &[("SWATH_EXAMPLE_ROWS", "60000")],
    );
    assert!(out.contains("at most 256 steps each"), "{out}");
    assert!(
        out.contains("check: area and sampled pixels agree"),
        "{out}"
    );
    assert!(out.contains(&format!("wrote {}", png.display())), "{out}");
    let bytes =
        std::fs::read(&png).unwrap_or_else(|e| panic!("no PNG at {}: {e}\n{out}", png.display()));
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{} does not start with the PNG signature",
        png.display()
    );
    // The header's size matches the pixels the example reports ("WxH pixels, ...").
    let size = out.split_whitespace().next().unwrap_or_default();
    let (w, h) = size.split_once('x').expect("WxH first on stdout");
    let (w, h): (u32, u32) = (w.parse().unwrap(), h.parse().unwrap());
    assert!(
        (55_000..=65_000).contains(&(w * h)),
        "{w}x{h} for 60000 rows"
    );
    assert_eq!(&bytes[12..16], b"IHDR");
    assert_eq!(u32::from_be_bytes(bytes[16..20].try_into().unwrap()), w);
    assert_eq!(u32::from_be_bytes(bytes[20..24].try_into().unwrap()), h);
}
