//! The library's layers (ARCHITECTURE.md, "Layers"), checked on its sources: every top-level
//! module of `src/` names (`crate::...`) only modules of lower layers, so there is no import
//! circle and reading a layer never means reading the ones above it. A new `use` that climbs
//! a layer, or a new module missing from `LAYERS`, fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Lowest first. A module may use the modules of the layers before its own, never its own
/// layer's or a later one's.
const LAYERS: &[&[&str]] = &[
    // Data types, errors, the op table and the instruction sets: named by everything.
    &["dtype", "hugepages"],
    &["error"],
    &["isa", "ops"],
    // Expressions, column storage (which names no backend) and options.
    &["expr", "column", "options"],
    // The planner (expressions to passes in the kernel IR, and the work each pass does).
    &["plan"],
    // What every backend is to the layers above: the `Engine` trait and what passes return.
    &["backend"],
    // The backends.
    &["cpu", "gpu"],
    // The cost model (pure: a pass's work and measured constants in, a choice out).
    &["cost"],
    // The calibration: runs the backends directly to measure the constants.
    &["calibrate"],
    // The execution layer: runs a plan's passes where the cost model says.
    &["exec"],
    // The user's API and what is built on it.
    &["frame"],
    &["io"],
    // What the CLI, benches and tests borrow of the engine's insides.
    &["unstable"],
];

/// Names the crate root re-exports, and the module each comes from.
const ROOT_NAMES: &[(&str, &str)] = &[
    ("DType", "dtype"),
    ("Scalar", "dtype"),
    ("Error", "error"),
    ("Result", "error"),
    ("Isa", "isa"),
    ("Column", "column"),
    ("Expr", "expr"),
    ("col", "expr"),
    ("lit", "expr"),
    ("parse", "expr"),
    ("Frame", "frame"),
    ("Backend", "options"),
    ("ExecOptions", "options"),
    // `with_dtype!` is defined in ops/elem.rs.
    ("with_dtype", "ops"),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// The code of a source file without comments and without its `#[cfg(test)]` modules (a unit
/// test may use anything).
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]") {
        Some(at) => &text[..at],
        None => text,
    };
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules a piece of code names through `crate::`.
fn named_modules(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let module = ROOT_NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(name.clone(), |(_, m)| m.to_string());
        out.insert(module);
    }
    out
}

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Module -> the modules it names, with one file that names each.
fn module_graph() -> BTreeMap<String, BTreeMap<String, String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(&src).expect("under src");
        let first = rel.components().next().expect("a path");
        let module = first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if module == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("readable source");
        let deps = graph.entry(module.clone()).or_default();
        for named in named_modules(&code(&text)) {
            if named != module {
                deps.entry(named)
                    .or_insert_with(|| rel.display().to_string());
            }
        }
    }
    graph
}

#[test]
fn every_module_uses_only_lower_layers() {
    let graph = module_graph();
    let mut failures = Vec::new();
    for (module, deps) in &graph {
        let Some(own) = layer_of(module) else {
            failures.push(format!("`{module}` is in no layer: add it to LAYERS"));
            continue;
        };
        for (dep, file) in deps {
            match layer_of(dep) {
                None if dep == "prelude" => {
                    failures.push(format!("{file}: `crate::prelude` is for users"))
                }
                None => failures.push(format!("{file}: `crate::{dep}` is in no layer")),
                Some(l) if l >= own => failures.push(format!(
                    "{file}: `{module}` (layer {own}) uses `{dep}` (layer {l})"
                )),
                Some(_) => {}
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The check itself must see real edges: a few that exist today.
#[test]
fn the_graph_sees_known_dependencies() {
    let graph = module_graph();
    let uses = |a: &str, b: &str| graph.get(a).is_some_and(|d| d.contains_key(b));
    assert!(uses("exec", "cost"), "{graph:?}");
    assert!(uses("gpu", "plan"), "{graph:?}");
    assert!(uses("frame", "exec"), "{graph:?}");
    assert!(!uses("column", "gpu"), "column storage names no backend");
    assert_eq!(
        named_modules("use crate::DType; crate::gpu::x(); crate::with_dtype!(d, T => 1)"),
        ["dtype", "gpu", "ops"].map(String::from).into()
    );
    assert!(!code("// crate::gpu\nfn f() {}").contains("gpu"));
    assert!(!code("fn f() {}\n#[cfg(test)]\nmod t { use crate::gpu; }").contains("gpu"));
}
