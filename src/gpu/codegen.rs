//! Kernel IR to WGSL: one compute shader per kernel.
//!
//! The shader is a grid-stride loop over rows. Each live instruction becomes one `let` (SSA
//! maps onto WGSL directly); constants and params are read once, before the loop, from the
//! constants buffer, so the WGSL text depends only on the kernel's shape and a pipeline
//! compiled for `x * 2` serves `x * 3`. Stores write their row; reductions fold the row into
//! per-thread accumulators, which a shared-memory tree combines into one partial per
//! workgroup (combined on the host, see `combine.rs`).
//!
//! Bindings, all in group 0: `consts` (read), then `partials` (if any reduction runs on the
//! device), then one per input column read, then one per store.
//!
//! Constants buffer (u32 words): `[0]` rows of this window, `[1]` f32 NaN bits, `[2]` f32 +inf
//! bits, `[3]` the window's first row (argmin/argmax report global rows), then two words
//! (low, high) per constant or param slot.

use std::fmt::Write as _;

use crate::dtype::{DType, Scalar};
use crate::ops::{BinaryKind, BinaryOp, ReduceOp, UnaryKind, UnaryOp};
use crate::plan::ir::{Instr, Kernel};

const COMMON: &str = include_str!("../../shaders/common.wgsl");
const MATH_F32: &str = include_str!("../../shaders/math_f32.wgsl");
const INT64: &str = include_str!("../../shaders/int64.wgsl");
const FLOAT64: &str = include_str!("../../shaders/float64.wgsl");

/// First word of the constant slots in the constants buffer: slot `s` is words
/// `SLOT_BASE + 2 * s` (low) and `SLOT_BASE + 2 * s + 1` (high), see [`slot_words`].
pub const SLOT_BASE: usize = 4;
/// Largest workgroup tried; smaller ones when the reductions' shared memory does not fit.
const MAX_WORKGROUP: u32 = 256;
/// "No row seen" in an argmin/argmax partial: the row word of a workgroup that saw no row.
pub const NO_ROW: u32 = u32::MAX;

/// What the device can do, as far as code generation (and the runner) cares. The shared
/// context fills it from the device's features and limits
/// ([`Gpu::caps`](crate::gpu::context::Gpu::caps)); code generation needs no device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    /// Whether shaders may use f64 (`SHADER_F64`); f64 work also needs [`Caps::i64`].
    pub f64: bool,
    /// Whether shaders may use i64 (`SHADER_INT64`).
    pub i64: bool,
    /// Storage buffers one shader may bind: the constants, the partials (if any reduction
    /// runs on the device), one per input column read and one per store must fit.
    pub max_storage_buffers: u32,
    /// Bytes of workgroup memory: the reductions' trees must fit, which bounds the
    /// workgroup size.
    pub max_workgroup_storage: u32,
    /// Invocations one workgroup may have (and its largest x size): caps the workgroup size.
    pub max_invocations: u32,
    /// The largest storage binding in bytes: longer columns run in windows (used by the
    /// runner, not by [`generate`]).
    pub max_binding_size: u64,
    /// The largest buffer in bytes: every column of a pass must fit one (used by the runner,
    /// not by [`generate`]).
    pub max_buffer_size: u64,
}

/// Where a constant slot's value comes from. The WGSL reads slots, not literals, so one
/// compiled pipeline serves every value of its constants and params.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SlotValue {
    /// A constant of the kernel's program.
    Const(Scalar),
    /// `params[k]` of the kernel run.
    Param(usize),
}

/// One reduction the shader computes: its partials' place in each workgroup's record.
/// A partial takes [`words`] of its dtype, argmin/argmax one more word (the row, or
/// [`NO_ROW`]), and var/std six (count, mean and sum of squared deviations, as f64).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeviceReduction {
    /// Index into `kernel.reductions`.
    pub index: usize,
    /// The reduction computed.
    pub op: ReduceOp,
    /// The dtype the value is accumulated in.
    pub dtype: DType,
    /// Word offset within a workgroup's record.
    pub offset: usize,
}

/// A generated shader and what its bindings hold.
#[derive(Debug, Clone)]
pub struct Shader {
    /// The WGSL source: bindings, the helper functions it calls, and `main`.
    pub wgsl: String,
    /// Invocations per workgroup (`@workgroup_size`), at most 256.
    pub workgroup_size: u32,
    /// Kernel input index of each input binding, in binding order.
    pub inputs: Vec<usize>,
    /// Output bindings (one per kernel store, in order) follow the inputs.
    pub stores: usize,
    /// Constant slots, in slot order.
    pub slots: Vec<SlotValue>,
    /// Reductions run on the device (`count` is answered on the host from the row count).
    pub reductions: Vec<DeviceReduction>,
    /// Words of each workgroup's partials record.
    pub partial_words: usize,
}

impl Shader {
    /// Whether some reduction runs on the device, so the shader binds a partials buffer
    /// (binding 1).
    pub fn has_partials(&self) -> bool {
        !self.reductions.is_empty()
    }
    /// Binding number of the first input column: 1 after the constants, 2 after the
    /// partials too. Inputs, then stores, take the bindings from there in order.
    pub fn first_input_binding(&self) -> u32 {
        if self.has_partials() { 2 } else { 1 }
    }
}

/// Why a kernel cannot run on this device: a message for people (the pass then runs on the
/// CPU).
pub type Unsupported = String;

/// Whether a reduction needs the device (count does not: it is the row count).
pub fn on_device(op: ReduceOp) -> bool {
    op != ReduceOp::Count
}

/// The WGSL type of a register of `dtype`.
fn reg_type(dtype: DType) -> &'static str {
    match dtype {
        DType::Bool => "bool",
        DType::I32 => "i32",
        DType::I64 => "i64",
        DType::U32 | DType::Categorical => "u32",
        DType::F32 => "f32",
        DType::F64 => "f64",
    }
}

/// The WGSL element type of a buffer of `dtype`: bools are stored as u32 0/1.
fn buf_type(dtype: DType) -> &'static str {
    match dtype {
        DType::Bool => "u32",
        other => reg_type(other),
    }
}

/// Words (u32) a value of `dtype` takes in the partials buffer: 2 for 8-byte dtypes, else 1
/// (bools take a word).
pub fn words(dtype: DType) -> usize {
    if dtype.size_of() == 8 { 2 } else { 1 }
}

fn unsupported_dtype(dtype: DType, caps: &Caps) -> Option<Unsupported> {
    match dtype {
        DType::F64 if !(caps.f64 && caps.i64) => Some(
            "f64 needs the device features SHADER_F64 and SHADER_INT64, which this GPU lacks"
                .into(),
        ),
        DType::I64 if !caps.i64 => {
            Some("i64 needs the device feature SHADER_INT64, which this GPU lacks".into())
        }
        _ => None,
    }
}

/// Which instructions the kernel's device work needs.
fn live_set(kernel: &Kernel) -> Vec<bool> {
    let program = &kernel.program;
    let mut live = vec![false; program.len()];
    let mut stack: Vec<usize> = kernel.stores.clone();
    stack.extend(
        kernel
            .reductions
            .iter()
            .filter(|r| on_device(r.op))
            .map(|r| r.value),
    );
    while let Some(id) = stack.pop() {
        if id >= live.len() || live[id] {
            continue;
        }
        live[id] = true;
        match program.instrs()[id] {
            Instr::Unary(_, a) | Instr::Cast(_, a) => stack.push(a),
            Instr::Binary(_, a, b) => stack.extend([a, b]),
            Instr::Select(c, a, b) => stack.extend([c, a, b]),
            // A loop is needed whole: its begin, every state, the condition and the updates.
            Instr::LoopBegin => stack.extend(program.loop_end(id)),
            Instr::LoopState { begin, init } => stack.extend([begin, init]),
            Instr::LoopEnd {
                begin,
                cond,
                ref updates,
                ..
            } => {
                stack.extend([begin, cond]);
                stack.extend(updates);
                stack.extend(program.loop_states(begin));
            }
            _ => {}
        }
    }
    live
}

/// Generates the shader for `kernel`, or says why this device cannot run it. Pure: it needs
/// no GPU, only the device's [`Caps`]. Only the instructions the stores and device
/// reductions need are emitted, and only the helper functions they call.
pub fn generate(kernel: &Kernel, caps: &Caps) -> Result<Shader, Unsupported> {
    let program = &kernel.program;
    let live = live_set(kernel);
    let instrs = program.instrs();
    for (id, instr) in instrs.iter().enumerate() {
        if !live[id] {
            continue;
        }
        let dtype = program.dtype(id);
        if let Some(why) = unsupported_dtype(dtype, caps) {
            return Err(why);
        }
        if let Instr::Unary(_, a) | Instr::Binary(_, a, _) | Instr::Cast(_, a) = instr
            && let Some(why) = unsupported_dtype(program.dtype(*a), caps)
        {
            return Err(why);
        }
        match instr {
            Instr::KernelResult { .. } | Instr::ReduceScalar(..) => {
                return Err("scalar instruction in a kernel".into());
            }
            Instr::Load(k) if *k >= kernel.inputs.len() => {
                return Err("load of a missing input".into());
            }
            _ => {}
        }
    }

    // Reductions run on the device, and each one's place in a workgroup's partial record.
    let mut reductions = Vec::new();
    let mut partial_words = 0;
    for (index, red) in kernel.reductions.iter().enumerate() {
        if !on_device(red.op) {
            continue;
        }
        let dtype = program.dtype(red.value);
        if let Some(why) = unsupported_dtype(dtype, caps) {
            return Err(why);
        }
        let size = match red.op {
            ReduceOp::ArgMin | ReduceOp::ArgMax => words(dtype) + 1,
            ReduceOp::Var(_) | ReduceOp::Std(_) => {
                if dtype != DType::F64 {
                    return Err(format!("variance accumulated in {dtype}"));
                }
                6
            }
            ReduceOp::Any | ReduceOp::All if dtype != DType::Bool => {
                return Err(format!("any/all of {dtype}"));
            }
            _ => words(dtype),
        };
        reductions.push(DeviceReduction {
            index,
            op: red.op,
            dtype,
            offset: partial_words,
        });
        partial_words += size;
    }

    // Workgroup size: as large as the reductions' shared memory allows.
    let per_thread: usize = reductions.iter().map(shared_bytes_per_thread).sum();
    let mut workgroup_size = MAX_WORKGROUP.min(caps.max_invocations.max(1));
    while workgroup_size > 32
        && per_thread * workgroup_size as usize > caps.max_workgroup_storage as usize
    {
        workgroup_size /= 2;
    }
    if per_thread * workgroup_size as usize > caps.max_workgroup_storage as usize {
        return Err("too many reductions for the GPU's workgroup memory".into());
    }

    // Bindings.
    let inputs: Vec<usize> = {
        let mut used: Vec<usize> = instrs
            .iter()
            .enumerate()
            .filter_map(|(id, instr)| match instr {
                Instr::Load(k) if live[id] => Some(*k),
                _ => None,
            })
            .collect();
        used.sort_unstable();
        used.dedup();
        used
    };
    let bindings = 1 + usize::from(!reductions.is_empty()) + inputs.len() + kernel.stores.len();
    if bindings > caps.max_storage_buffers as usize {
        return Err(format!(
            "the kernel needs {bindings} storage buffers; this GPU allows {} per shader",
            caps.max_storage_buffers
        ));
    }

    let mut generator = Gen {
        kernel,
        wide_div: caps.f64,
        out: String::new(),
        slots: Vec::new(),
        inputs: &inputs,
    };
    let mut shader = Shader {
        wgsl: String::new(),
        workgroup_size,
        inputs: inputs.clone(),
        stores: kernel.stores.len(),
        slots: Vec::new(),
        reductions,
        partial_words,
    };
    let body = generator.main(&live, &shader)?;
    shader.slots = generator.slots;

    let mut wgsl = String::with_capacity(body.len() + COMMON.len() + 4096);
    wgsl.push_str("// generated by swath::gpu::codegen\n");
    let _ = writeln!(
        wgsl,
        "@group(0) @binding(0) var<storage, read> consts: array<u32>;"
    );
    if shader.has_partials() {
        let _ = writeln!(
            wgsl,
            "@group(0) @binding(1) var<storage, read_write> partials: array<u32>;"
        );
    }
    let mut binding = shader.first_input_binding();
    for &k in &inputs {
        let dtype = input_dtype(kernel, k).ok_or("load of a missing input")?;
        let _ = writeln!(
            wgsl,
            "@group(0) @binding({binding}) var<storage, read> in{k}: array<{}>;",
            buf_type(dtype)
        );
        binding += 1;
    }
    for (j, &s) in kernel.stores.iter().enumerate() {
        let _ = writeln!(
            wgsl,
            "@group(0) @binding({binding}) var<storage, read_write> out{j}: array<{}>;",
            buf_type(program.dtype(s))
        );
        binding += 1;
    }
    let decls = reduction_decls(&shader);
    // Only the helpers the kernel calls (directly or through other helpers): the shader
    // compiler's time grows with the text, and the whole library is ~30 KiB.
    wgsl.push_str(&helpers_for(&[&decls, &body]));
    wgsl.push_str(&decls);
    wgsl.push_str(&body);
    shader.wgsl = wgsl;
    Ok(shader)
}

/// One top-level declaration of the hand-written helper libraries (with the comment lines
/// just above it).
struct Helper {
    name: &'static str,
    text: &'static str,
}

/// The helper libraries split into their top-level declarations, in library order (WGSL
/// module-scope declarations may come in any order, so a subset keeps working).
fn helpers() -> &'static [Helper] {
    static HELPERS: std::sync::OnceLock<Vec<Helper>> = std::sync::OnceLock::new();
    HELPERS.get_or_init(|| {
        let mut out = Vec::new();
        for lib in [COMMON, MATH_F32, INT64, FLOAT64] {
            split_helpers(lib, &mut out);
        }
        out
    })
}

/// Splits `lib` at its top-level declarations (`fn`, `const`, `var<...>`, `struct`, `alias`
/// at the start of a line); comment and blank lines go with the declaration below them.
fn split_helpers(lib: &'static str, out: &mut Vec<Helper>) {
    let mut start = 0; // start of the pending item (its comments included)
    let mut name: Option<&'static str> = None;
    let mut offset = 0;
    for line in lib.split_inclusive('\n') {
        let decl = declared_name(line);
        if let Some(n) = decl {
            if let Some(prev) = name.take() {
                // The previous item ends where this one's leading comments begin.
                let end = leading_comments_start(lib, start, offset);
                out.push(Helper {
                    name: prev,
                    text: &lib[start..end],
                });
                start = end;
            }
            name = Some(n);
        }
        offset += line.len();
    }
    if let Some(prev) = name {
        out.push(Helper {
            name: prev,
            text: &lib[start..],
        });
    }
}

/// Where the run of comment and blank lines that ends at `end` begins (not before `floor`).
fn leading_comments_start(lib: &str, floor: usize, end: usize) -> usize {
    let mut at = end;
    while at > floor {
        let line_start = lib[floor..at - 1]
            .rfind('\n')
            .map_or(floor, |p| floor + p + 1);
        let line = lib[line_start..at].trim();
        if line.is_empty() || line.starts_with("//") {
            at = line_start;
        } else {
            break;
        }
    }
    at
}

/// The name a top-level declaration line declares, if it is one.
fn declared_name(line: &str) -> Option<&str> {
    let rest = ["fn ", "const ", "struct ", "alias "]
        .iter()
        .find_map(|k| line.strip_prefix(k))
        .or_else(|| {
            line.strip_prefix("var<")
                .and_then(|r| r.split_once('>'))
                .map(|(_, r)| r)
        })?;
    let rest = rest.trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    (end > 0).then(|| &rest[..end])
}

/// The identifiers in `text`.
fn identifiers(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_'))
}

/// The helper declarations `code` needs, transitively, in library order.
fn helpers_for(code: &[&str]) -> String {
    let all = helpers();
    let mut wanted: std::collections::HashSet<&str> =
        code.iter().flat_map(|c| identifiers(c)).collect();
    let mut used = vec![false; all.len()];
    loop {
        let mut grew = false;
        for (k, h) in all.iter().enumerate() {
            if !used[k] && wanted.contains(h.name) {
                used[k] = true;
                grew = true;
                wanted.extend(identifiers(h.text));
            }
        }
        if !grew {
            break;
        }
    }
    all.iter()
        .zip(&used)
        .filter(|(_, u)| **u)
        .map(|(h, _)| h.text)
        .collect()
}

/// The dtype of kernel input `k`, from its `Load`.
fn input_dtype(kernel: &Kernel, k: usize) -> Option<DType> {
    let program = &kernel.program;
    program
        .instrs()
        .iter()
        .position(|i| *i == Instr::Load(k))
        .map(|id| program.dtype(id))
}

/// Shared memory one thread's share of a reduction's tree takes.
fn shared_bytes_per_thread(r: &DeviceReduction) -> usize {
    let value = r.dtype.size_of().max(4);
    match r.op {
        ReduceOp::ArgMin | ReduceOp::ArgMax => 2 * value,
        ReduceOp::Var(_) | ReduceOp::Std(_) => 24,
        _ => value,
    }
}

/// The register type a reduction accumulates in (bools as u32 for min/max/argmin/argmax).
fn acc_type(r: &DeviceReduction) -> &'static str {
    match r.op {
        ReduceOp::Any | ReduceOp::All => "u32",
        _ => buf_type(r.dtype),
    }
}

/// Structs and workgroup arrays of the reductions, and their tree-combine functions.
fn reduction_decls(shader: &Shader) -> String {
    let wg = shader.workgroup_size;
    let mut s = String::new();
    let mut arg_types: Vec<&str> = Vec::new();
    for r in &shader.reductions {
        if matches!(r.op, ReduceOp::ArgMin | ReduceOp::ArgMax) && !arg_types.contains(&acc_type(r))
        {
            arg_types.push(acc_type(r));
        }
    }
    for t in &arg_types {
        let _ = writeln!(s, "struct Arg_{t} {{ v: {t}, i: u32 }}");
        for (name, lt) in [("min", "<"), ("max", ">")] {
            // Whether (vb, ib) should replace (va, ia): NaN wins, then the smaller (larger)
            // value, then the earlier row.
            let nan = |v: &str| match *t {
                "f32" => format!("isnan_f32({v})"),
                "f64" => format!("isnan_f64({v})"),
                _ => "false".to_string(),
            };
            let _ = writeln!(
                s,
                "fn arg{name}_takes_{t}(vb: {t}, ib: u32, va: {t}, ia: u32) -> bool {{
    if (ib == {NO_ROW}u) {{ return false; }}
    if (ia == {NO_ROW}u) {{ return true; }}
    let na = {na};
    let nb = {nb};
    if (na && nb) {{ return ib < ia; }}
    if (na) {{ return false; }}
    if (nb) {{ return true; }}
    if (vb {lt} va) {{ return true; }}
    if (vb == va) {{ return ib < ia; }}
    return false;
}}",
                na = nan("va"),
                nb = nan("vb"),
            );
        }
    }
    if shader
        .reductions
        .iter()
        .any(|r| matches!(r.op, ReduceOp::Var(_) | ReduceOp::Std(_)))
    {
        s.push_str(
            "struct Moments { n: f64, mean: f64, m2: f64 }
// Chan et al.'s merge of two (count, mean, sum of squared deviations).
fn chan(a: Moments, b: Moments) -> Moments {
    if (a.n == 0.0lf) { return b; }
    if (b.n == 0.0lf) { return a; }
    let n = a.n + b.n;
    let delta = b.mean - a.mean;
    return Moments(n, a.mean + delta * (b.n / n), a.m2 + b.m2 + delta * delta * (a.n * b.n / n));
}
",
        );
    }
    for (r, red) in shader.reductions.iter().enumerate() {
        let t = acc_type(red);
        let elem = match red.op {
            ReduceOp::ArgMin | ReduceOp::ArgMax => format!("Arg_{t}"),
            ReduceOp::Var(_) | ReduceOp::Std(_) => "Moments".to_string(),
            _ => t.to_string(),
        };
        let _ = writeln!(s, "var<workgroup> sh{r}: array<{elem}, {wg}>;");
    }
    s
}

/// WGSL text of a value of `dtype` in the smallest form (the identities of reductions).
fn identity(op: ReduceOp, t: &str) -> String {
    use ReduceOp::*;
    match (op, t) {
        (Sum | Mean, _) => format!("{t}(0)"),
        (Prod, _) => format!("{t}(1)"),
        (Any, _) => "0u".into(),
        (All, _) => "1u".into(),
        (Min, "f32") => "inf_f32()".into(),
        (Min, "f64") => "inf_f64()".into(),
        (Min, "i32") => "2147483647i".into(),
        (Min, "u32") => "4294967295u".into(),
        (Min, "i64") => "9223372036854775807li".into(),
        (Max, "f32") => "-inf_f32()".into(),
        (Max, "f64") => "-inf_f64()".into(),
        (Max, "i32") => "(-2147483647i - 1i)".into(),
        (Max, "u32") => "0u".into(),
        (Max, "i64") => "(-9223372036854775807li - 1li)".into(),
        _ => format!("{t}(0)"),
    }
}

/// `min`/`max` of two accumulators of type `t`, NaN-propagating for floats.
fn minmax(min: bool, t: &str, a: &str, b: &str) -> String {
    let f = if min { "min" } else { "max" };
    match t {
        "f32" | "f64" => format!("n{f}_{t}({a}, {b})"),
        _ => format!("{f}({a}, {b})"),
    }
}

struct Gen<'a> {
    kernel: &'a Kernel,
    /// f32 division through f64 (correctly rounded; the device has f64).
    wide_div: bool,
    out: String,
    slots: Vec<SlotValue>,
    inputs: &'a [usize],
}

impl Gen<'_> {
    /// Opens a per-row loop: the step count and the states as variables (so they outlive
    /// the loop), then a WGSL `loop` that stops after `max_iter` steps.
    fn loop_begin(&mut self, begin: usize, indent: &mut String) -> Result<(), Unsupported> {
        let program = &self.kernel.program;
        let end = program.loop_end(begin).ok_or("a loop without an end")?;
        let Some(Instr::LoopEnd { max_iter, .. }) = program.instrs().get(end) else {
            return Err("a loop without an end".into());
        };
        let _ = writeln!(self.out, "{indent}var v{end}: u32 = 0u;");
        for state in program.loop_states(begin) {
            let Some(Instr::LoopState { init, .. }) = program.instrs().get(state) else {
                return Err("a loop state".into());
            };
            let t = reg_type(program.dtype(state));
            let _ = writeln!(self.out, "{indent}var v{state}: {t} = v{init};");
        }
        let _ = writeln!(self.out, "{indent}loop {{");
        indent.push_str("    ");
        let _ = writeln!(self.out, "{indent}if (v{end} >= {max_iter}u) {{ break; }}");
        Ok(())
    }

    /// Closes a per-row loop: stop where the condition fails, else take every update at once.
    fn loop_end(&mut self, end: usize, indent: &mut String) -> Result<(), Unsupported> {
        let program = &self.kernel.program;
        let Some(Instr::LoopEnd {
            begin,
            cond,
            updates,
            ..
        }) = program.instrs().get(end)
        else {
            return Err("a loop end".into());
        };
        let _ = writeln!(self.out, "{indent}if (!v{cond}) {{ break; }}");
        let states = program.loop_states(*begin);
        for (state, update) in states.clone().zip(updates) {
            let t = reg_type(program.dtype(state));
            let _ = writeln!(self.out, "{indent}let next{state}: {t} = v{update};");
        }
        for state in states {
            let _ = writeln!(self.out, "{indent}v{state} = next{state};");
        }
        let _ = writeln!(self.out, "{indent}v{end} = v{end} + 1u;");
        indent.truncate(indent.len().saturating_sub(4));
        let _ = writeln!(self.out, "{indent}}}");
        Ok(())
    }

    fn main(&mut self, live: &[bool], shader: &Shader) -> Result<String, Unsupported> {
        let kernel = self.kernel;
        let program = &kernel.program;
        let wg = shader.workgroup_size;
        let _ = writeln!(
            self.out,
            "@compute @workgroup_size({wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>,
        @builtin(local_invocation_id) lid3: vec3<u32>,
        @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {{
    let rows = consts[0];
    let lid = lid3.x;
    let stride = nwg.x * {wg}u;"
        );
        // Constants and params, once per thread.
        for (id, instr) in program.instrs().iter().enumerate() {
            if !live[id] {
                continue;
            }
            let value = match *instr {
                Instr::Const(s) => SlotValue::Const(s),
                Instr::Param(k) => SlotValue::Param(k),
                _ => continue,
            };
            let slot = self.slots.len();
            self.slots.push(value);
            let w = SLOT_BASE + 2 * slot;
            let dtype = program.dtype(id);
            let expr = match dtype {
                DType::Bool => format!("consts[{w}] != 0u"),
                DType::I32 => format!("bitcast<i32>(consts[{w}])"),
                DType::U32 | DType::Categorical => format!("consts[{w}]"),
                DType::F32 => format!("bitcast<f32>(consts[{w}])"),
                DType::I64 => format!("i64_from_words(consts[{w}], consts[{}])", w + 1),
                DType::F64 => format!("f64_from_words(consts[{w}], consts[{}])", w + 1),
            };
            let _ = writeln!(self.out, "    let v{id}: {} = {expr};", reg_type(dtype));
        }
        // Accumulators.
        for (r, red) in shader.reductions.iter().enumerate() {
            let t = acc_type(red);
            match red.op {
                ReduceOp::ArgMin | ReduceOp::ArgMax => {
                    let _ = writeln!(
                        self.out,
                        "    var acc{r}: {t} = {t}(0);\n    var idx{r}: u32 = {NO_ROW}u;"
                    );
                }
                ReduceOp::Var(_) | ReduceOp::Std(_) => {
                    let _ = writeln!(self.out, "    var acc{r} = Moments(0.0lf, 0.0lf, 0.0lf);");
                }
                op => {
                    let _ = writeln!(self.out, "    var acc{r}: {t} = {};", identity(op, t));
                }
            }
        }
        // The row loop.
        self.out
            .push_str("    for (var i: u32 = gid.x; i < rows; i = i + stride) {\n");
        let mut indent = "        ".to_string();
        for (id, instr) in program.instrs().iter().enumerate() {
            if !live[id] {
                continue;
            }
            let dtype = program.dtype(id);
            let v = |x: usize| format!("v{x}");
            let expr = match *instr {
                Instr::Const(_) | Instr::Param(_) => continue,
                Instr::LoopBegin => {
                    self.loop_begin(id, &mut indent)?;
                    continue;
                }
                // Declared by their loop's begin.
                Instr::LoopState { .. } => continue,
                Instr::LoopEnd { .. } => {
                    self.loop_end(id, &mut indent)?;
                    continue;
                }
                Instr::Load(k) => {
                    if !self.inputs.contains(&k) {
                        return Err("unbound input".into());
                    }
                    if dtype == DType::Bool {
                        format!("in{k}[i] != 0u")
                    } else {
                        format!("in{k}[i]")
                    }
                }
                // Row numbers are u32 and wrap, as on the CPU; consts[3] is the window's first row.
                Instr::RowIndex => "i + consts[3]".to_string(),
                Instr::Unary(UnaryOp::Uniform, a) => format!("uniform_u32({})", v(a)),
                Instr::Unary(op, a) => unary(op, program.dtype(a), &v(a))?,
                Instr::Binary(BinaryOp::Div, a, b)
                    if self.wide_div && program.dtype(a) == DType::F32 =>
                {
                    format!("div_wide_f32({}, {})", v(a), v(b))
                }
                Instr::Binary(op, a, b) => binary(op, program.dtype(a), &v(a), &v(b))?,
                Instr::Select(c, a, b) => format!("select({}, {}, {})", v(b), v(a), v(c)),
                Instr::Cast(to, a) => cast(program.dtype(a), to, &v(a))?,
                Instr::KernelResult { .. } | Instr::ReduceScalar(..) => {
                    return Err("scalar instruction in a kernel".into());
                }
            };
            let _ = writeln!(self.out, "{indent}let v{id}: {} = {expr};", reg_type(dtype));
        }
        for (j, &s) in kernel.stores.iter().enumerate() {
            let value = if program.dtype(s) == DType::Bool {
                format!("select(0u, 1u, v{s})")
            } else {
                format!("v{s}")
            };
            let _ = writeln!(self.out, "        out{j}[i] = {value};");
        }
        for (r, red) in shader.reductions.iter().enumerate() {
            let value = kernel.reductions[red.index].value;
            let t = acc_type(red);
            let x = if red.dtype == DType::Bool {
                format!("select(0u, 1u, v{value})")
            } else {
                format!("v{value}")
            };
            let update = match red.op {
                ReduceOp::Sum | ReduceOp::Mean => format!("acc{r} = acc{r} + {x};"),
                ReduceOp::Prod => format!("acc{r} = acc{r} * {x};"),
                ReduceOp::Min | ReduceOp::Max => {
                    let m = minmax(red.op == ReduceOp::Min, t, &format!("acc{r}"), &x);
                    format!("acc{r} = {m};")
                }
                ReduceOp::ArgMin | ReduceOp::ArgMax => {
                    let name = if red.op == ReduceOp::ArgMin {
                        "min"
                    } else {
                        "max"
                    };
                    format!(
                        "if (arg{name}_takes_{t}({x}, i + consts[3], acc{r}, idx{r})) {{ acc{r} = {x}; idx{r} = i + consts[3]; }}"
                    )
                }
                ReduceOp::Var(_) | ReduceOp::Std(_) => format!(
                    "{{ let x = {x}; acc{r}.n = acc{r}.n + 1.0lf; let d = x - acc{r}.mean; \
                     acc{r}.mean = acc{r}.mean + d / acc{r}.n; \
                     acc{r}.m2 = acc{r}.m2 + d * (x - acc{r}.mean); }}"
                ),
                ReduceOp::Any => format!("acc{r} = acc{r} | {x};"),
                ReduceOp::All => format!("acc{r} = acc{r} & {x};"),
                ReduceOp::Count => continue,
            };
            let _ = writeln!(self.out, "        {update}");
        }
        self.out.push_str("    }\n");
        if shader.reductions.is_empty() {
            self.out.push_str("}\n");
            return Ok(std::mem::take(&mut self.out));
        }

        // Tree over the workgroup: every thread stores its accumulator, then halves.
        for (r, red) in shader.reductions.iter().enumerate() {
            let line = match red.op {
                ReduceOp::ArgMin | ReduceOp::ArgMax => {
                    format!("sh{r}[lid] = Arg_{}(acc{r}, idx{r});", acc_type(red))
                }
                _ => format!("sh{r}[lid] = acc{r};"),
            };
            let _ = writeln!(self.out, "    {line}");
        }
        self.out.push_str("    workgroupBarrier();\n");
        let _ = writeln!(
            self.out,
            "    for (var s: u32 = {}u; s > 0u; s = s >> 1u) {{\n        if (lid < s) {{",
            wg / 2
        );
        for (r, red) in shader.reductions.iter().enumerate() {
            let t = acc_type(red);
            let (a, b) = (format!("sh{r}[lid]"), format!("sh{r}[lid + s]"));
            let line = match red.op {
                ReduceOp::Sum | ReduceOp::Mean => format!("{a} = {a} + {b};"),
                ReduceOp::Prod => format!("{a} = {a} * {b};"),
                ReduceOp::Min | ReduceOp::Max => {
                    format!("{a} = {};", minmax(red.op == ReduceOp::Min, t, &a, &b))
                }
                ReduceOp::ArgMin | ReduceOp::ArgMax => {
                    let name = if red.op == ReduceOp::ArgMin {
                        "min"
                    } else {
                        "max"
                    };
                    format!(
                        "{{ let o = {b}; let m = {a}; if (arg{name}_takes_{t}(o.v, o.i, m.v, m.i)) {{ {a} = o; }} }}"
                    )
                }
                ReduceOp::Var(_) | ReduceOp::Std(_) => format!("{a} = chan({a}, {b});"),
                ReduceOp::Any => format!("{a} = {a} | {b};"),
                ReduceOp::All => format!("{a} = {a} & {b};"),
                ReduceOp::Count => continue,
            };
            let _ = writeln!(self.out, "            {line}");
        }
        self.out
            .push_str("        }\n        workgroupBarrier();\n    }\n    if (lid == 0u) {\n");
        let _ = writeln!(
            self.out,
            "        let base = wid.x * {}u;",
            shader.partial_words
        );
        for (r, red) in shader.reductions.iter().enumerate() {
            let o = red.offset;
            let put = |out: &mut String, word: usize, expr: String| {
                let _ = writeln!(out, "        partials[base + {}u] = {expr};", o + word);
            };
            let value = |out: &mut String, v: String, at: usize| match acc_type(red) {
                "f32" | "i32" => put(out, at, format!("bitcast<u32>({v})")),
                "u32" => put(out, at, v),
                "i64" => {
                    put(out, at, format!("i64_lo({v})"));
                    put(out, at + 1, format!("i64_hi({v})"));
                }
                _ => {
                    put(out, at, format!("f64_lo({v})"));
                    put(out, at + 1, format!("f64_hi({v})"));
                }
            };
            match red.op {
                ReduceOp::ArgMin | ReduceOp::ArgMax => {
                    value(&mut self.out, format!("sh{r}[0].v"), 0);
                    put(&mut self.out, words(red.dtype), format!("sh{r}[0].i"));
                }
                ReduceOp::Var(_) | ReduceOp::Std(_) => {
                    for (k, field) in ["n", "mean", "m2"].iter().enumerate() {
                        put(&mut self.out, 2 * k, format!("f64_lo(sh{r}[0].{field})"));
                        put(
                            &mut self.out,
                            2 * k + 1,
                            format!("f64_hi(sh{r}[0].{field})"),
                        );
                    }
                }
                _ => value(&mut self.out, format!("sh{r}[0]"), 0),
            }
        }
        self.out.push_str("    }\n}\n");
        Ok(std::mem::take(&mut self.out))
    }
}

/// Float helper name for `dtype` (`_f32` or `_f64`).
fn fsuffix(dtype: DType) -> &'static str {
    if dtype == DType::F64 { "f64" } else { "f32" }
}

/// Why a math op has no WGSL function for `dtype`.
fn no_wgsl(name: &str, dtype: DType) -> Unsupported {
    if dtype == DType::F64 {
        format!("`{name}` of f64 (Vulkan has no f64 transcendentals): runs on the CPU")
    } else {
        format!("`{name}` of {dtype} on the GPU")
    }
}

fn unary(op: UnaryOp, dtype: DType, x: &str) -> Result<String, Unsupported> {
    use UnaryOp::*;
    let t = reg_type(dtype);
    let refuse = || Err(format!("`{}` of {dtype} on the GPU", op.name()));
    // Math ops: the WGSL function their row of the op table names (ops/table.rs).
    if op.kind() == UnaryKind::Float {
        let f = op.wgsl(dtype).ok_or_else(|| no_wgsl(op.name(), dtype))?;
        return Ok(format!("{f}({x})"));
    }
    Ok(match dtype {
        DType::F32 | DType::F64 => {
            let f = fsuffix(dtype);
            match op {
                Neg => format!("(-{x})"),
                Abs => format!("abs({x})"),
                Sign => format!("sign_{f}({x})"),
                // f64 rounds by its bits (lavapipe's f64 builtins are wrong: float64.wgsl).
                Floor | Ceil | Round | Trunc if dtype == DType::F64 => {
                    format!("{}_f64({x})", op.name())
                }
                // Rounding keeps the operand's sign (-0.3 rounds to -0.0), put back by its bit
                // in case a driver's builtin loses it.
                Floor => format!("copysign_f32(floor({x}), {x})"),
                Ceil => format!("copysign_f32(ceil({x}), {x})"),
                Round => format!("copysign_f32(round({x}), {x})"),
                Trunc => format!("copysign_f32(trunc({x}), {x})"),
                IsNan => format!("isnan_{f}({x})"),
                IsFinite => format!("isfinite_{f}({x})"),
                IsInf => format!("isinf_{f}({x})"),
                Signbit => format!("signbit_{f}({x})"),
                _ => return refuse(),
            }
        }
        DType::I32 | DType::I64 => match op {
            Neg => format!("({t}(0) - {x})"),
            Abs => format!("select({x}, {t}(0) - {x}, {x} < {t}(0))"),
            Sign => format!("select(select({t}(0), {t}(-1), {x} < {t}(0)), {t}(1), {x} > {t}(0))"),
            Floor | Ceil | Round | Trunc => x.to_string(),
            Not => format!("(~{x})"),
            IsNan | IsInf => "false".into(),
            IsFinite => "true".into(),
            Signbit => format!("({x} < {t}(0))"),
            _ => return refuse(),
        },
        DType::U32 | DType::Categorical => match op {
            Neg => format!("(0u - {x})"),
            Abs | Floor | Ceil | Round | Trunc => x.to_string(),
            Sign => format!("select(0u, 1u, {x} != 0u)"),
            Not => format!("(~{x})"),
            IsNan | IsInf | Signbit => "false".into(),
            IsFinite => "true".into(),
            _ => return refuse(),
        },
        DType::Bool => match op {
            Not => format!("(!{x})"),
            _ => return refuse(),
        },
    })
}

fn binary(op: BinaryOp, dtype: DType, a: &str, b: &str) -> Result<String, Unsupported> {
    use BinaryOp::*;
    let t = reg_type(dtype);
    let refuse = || Err(format!("`{}` of {dtype} on the GPU", op.name()));
    if op.kind() == BinaryKind::Comparison {
        return Ok(match (dtype, op) {
            // Spelled `!(a == b)` so NaN != NaN is true whatever the compiler does with `!=`.
            (DType::F32 | DType::F64, Ne) => format!("(!({a} == {b}))"),
            (DType::Bool, Lt) => format!("(!{a} && {b})"),
            (DType::Bool, Le) => format!("(!{a} || {b})"),
            (DType::Bool, Gt) => format!("({a} && !{b})"),
            (DType::Bool, Ge) => format!("({a} || !{b})"),
            _ => format!("({a} {} {b})", op.name()),
        });
    }
    // Math ops: the WGSL function their row of the op table names (ops/table.rs).
    if op.kind() == BinaryKind::Float && op != Div {
        let f = op.wgsl(dtype).ok_or_else(|| no_wgsl(op.name(), dtype))?;
        return Ok(format!("{f}({a}, {b})"));
    }
    Ok(match dtype {
        DType::F32 | DType::F64 => {
            let f = fsuffix(dtype);
            match op {
                Add | Sub | Mul => format!("({a} {} {b})", op.name()),
                Div => format!("div_{f}({a}, {b})"),
                FloorDiv => format!("floordiv_{f}({a}, {b})"),
                Rem => format!("remainder_{f}({a}, {b})"),
                Fmod => format!("fmod_{f}({a}, {b})"),
                Minimum => format!("nmin_{f}({a}, {b})"),
                Maximum => format!("nmax_{f}({a}, {b})"),
                _ => return refuse(),
            }
        }
        DType::I32 | DType::I64 | DType::U32 | DType::Categorical => match op {
            Add | Sub | Mul => format!("({a} {} {b})", op.name()),
            // Integer `/` is f64 by the type rules; a hand-built program may still hold it.
            // WGSL (as naga emits it) defines x / 0 = x and MIN / -1 = MIN; Rust's wrapping
            // division agrees on the second, swath says x / 0 = 0.
            Div => format!("select({a} / {b}, {t}(0), {b} == {t}(0))"),
            FloorDiv => format!("floordiv_{t}({a}, {b})"),
            Rem => format!("remainder_{t}({a}, {b})"),
            Fmod => format!("fmod_{t}({a}, {b})"),
            Minimum => format!("min({a}, {b})"),
            Maximum => format!("max({a}, {b})"),
            And => format!("({a} & {b})"),
            Or => format!("({a} | {b})"),
            Xor => format!("({a} ^ {b})"),
            Shl => format!("shl_{t}({a}, {b})"),
            Shr => format!("shr_{t}({a}, {b})"),
            _ => return refuse(),
        },
        DType::Bool => match op {
            And | Minimum => format!("({a} && {b})"),
            Or | Maximum => format!("({a} || {b})"),
            Xor => format!("({a} != {b})"),
            _ => return refuse(),
        },
    })
}

/// Rust's `as` from `from` to `to`.
fn cast(from: DType, to: DType, x: &str) -> Result<String, Unsupported> {
    use DType::*;
    if from == to {
        return Ok(x.to_string());
    }
    let t = reg_type(to);
    Ok(match (from, to) {
        (Bool, _) => format!("select({t}(0), {t}(1), {x})"),
        (F32, Bool) => format!("truthy_f32({x})"),
        (F64, Bool) => format!("truthy_f64({x})"),
        (_, Bool) => format!("({x} != {}(0))", reg_type(from)),
        (I32, U32) | (U32, I32) => format!("bitcast<{t}>({x})"),
        (I32, I64) => format!("i32_to_i64({x})"),
        (U32, I64) => format!("bitcast<i64>(u64({x}))"),
        (I64, U32) => format!("u32(bitcast<u64>({x}) & 0xfffffffflu)"),
        (I64, I32) => format!("bitcast<i32>(u32(bitcast<u64>({x}) & 0xfffffffflu))"),
        (I32 | U32 | I64, F32 | F64) => format!("{t}({x})"),
        (F32, F64) => format!("f64({x})"),
        (F64, F32) => format!("f64_to_f32({x})"),
        (F32, I32) => format!("f32_to_i32({x})"),
        (F32, U32) => format!("f32_to_u32({x})"),
        (F32, I64) => format!("f32_to_i64({x})"),
        (F64, I32) => format!("f64_to_i32({x})"),
        (F64, U32) => format!("f64_to_u32({x})"),
        (F64, I64) => format!("f64_to_i64({x})"),
        _ => return Err(format!("cast from {from} to {to} on the GPU")),
    })
}

/// Encodes a slot value as two words (low, high): the value's bits, zero-extended to 64
/// (a bool is 0 or 1, null is 0).
pub fn slot_words(value: Scalar) -> [u32; 2] {
    let bits: u64 = match value {
        Scalar::Null => 0,
        Scalar::Bool(b) => b as u64,
        Scalar::I32(v) => v as u32 as u64,
        Scalar::U32(v) => v as u64,
        Scalar::F32(v) => v.to_bits() as u64,
        Scalar::I64(v) => v as u64,
        Scalar::F64(v) => v.to_bits(),
    };
    [bits as u32, (bits >> 32) as u32]
}

/// The examples of this file's items, run as unit tests: the items are crate-private, so
/// a doctest could not reach them.
#[cfg(test)]
mod examples {
    #[test]
    fn slot_base_example() -> crate::Result<()> {
        use crate::Scalar;
        use crate::gpu::codegen::Caps;
        use crate::gpu::codegen::{SLOT_BASE, SlotValue, generate};
        use crate::prelude::*;
        let caps = Caps {
            f64: true,
            i64: true,
            max_storage_buffers: 8,
            max_workgroup_storage: 16384,
            max_invocations: 256,
            max_binding_size: 1 << 27,
            max_buffer_size: 1 << 28,
        };
        let schema = |name: &str| (name == "x").then_some(DType::F32);
        let plan = crate::plan::lower(&[col("x") * lit(2.0) + lit(1.0)], 8, &schema, &|| {
            "x".into()
        })?;
        let shader = generate(&plan.kernels[0], &caps).unwrap();
        let slots = [
            SlotValue::Const(Scalar::F32(2.0)),
            SlotValue::Const(Scalar::F32(1.0)),
        ];
        assert_eq!(shader.slots, slots);
        // Slot 1 (the 1.0) is read from word SLOT_BASE + 2.
        assert!(
            shader
                .wgsl
                .contains(&format!("bitcast<f32>(consts[{}])", SLOT_BASE + 2))
        );
        Ok::<(), crate::Error>(())
    }

    #[test]
    fn no_row_example() -> crate::Result<()> {
        use crate::gpu::codegen::Caps;
        use crate::gpu::codegen::{NO_ROW, generate};
        use crate::prelude::*;
        let caps = Caps {
            f64: true,
            i64: true,
            max_storage_buffers: 8,
            max_workgroup_storage: 16384,
            max_invocations: 256,
            max_binding_size: 1 << 27,
            max_buffer_size: 1 << 28,
        };
        let schema = |name: &str| (name == "x").then_some(DType::F32);
        let plan = crate::plan::lower(&[col("x").arg_max()], 8, &schema, &|| "x".into())?;
        let shader = generate(&plan.kernels[0], &caps).unwrap();
        assert!(shader.wgsl.contains(&format!("var idx0: u32 = {NO_ROW}u;")));
        Ok::<(), crate::Error>(())
    }

    #[test]
    fn caps_example() -> crate::Result<()> {
        use crate::gpu::codegen::{Caps, generate};
        use crate::prelude::*;
        let caps = Caps {
            f64: false,
            i64: false,
            max_storage_buffers: 8,
            max_workgroup_storage: 16384,
            max_invocations: 256,
            max_binding_size: 1 << 27,
            max_buffer_size: 1 << 28,
        };
        let schema = |name: &str| match name {
            "f" => Some(DType::F32),
            "d" => Some(DType::F64),
            _ => None,
        };
        let names = || "f, d".to_string();
        let plan = crate::plan::lower(&[col("f").sum()], 8, &schema, &names)?;
        assert_eq!(
            generate(&plan.kernels[0], &caps).unwrap().workgroup_size,
            256
        );
        let plan = crate::plan::lower(&[col("d").sum()], 8, &schema, &names)?;
        assert!(
            generate(&plan.kernels[0], &caps)
                .unwrap_err()
                .contains("SHADER_F64")
        );
        // Less workgroup memory: smaller workgroups for the reduction's tree (4 bytes a thread).
        let small = Caps {
            max_workgroup_storage: 256,
            ..caps
        };
        let plan = crate::plan::lower(&[col("f").sum()], 8, &schema, &names)?;
        assert_eq!(
            generate(&plan.kernels[0], &small).unwrap().workgroup_size,
            64
        );
        Ok::<(), crate::Error>(())
    }

    #[test]
    fn slot_value_example() -> crate::Result<()> {
        use crate::gpu::codegen::Caps;
        use crate::gpu::codegen::{SlotValue, generate};
        use crate::prelude::*;
        let caps = Caps {
            f64: true,
            i64: true,
            max_storage_buffers: 8,
            max_workgroup_storage: 16384,
            max_invocations: 256,
            max_binding_size: 1 << 27,
            max_buffer_size: 1 << 28,
        };
        let schema = |name: &str| (name == "x").then_some(DType::F64);
        let plan = crate::plan::lower(&[col("x") - col("x").mean()], 8, &schema, &|| "x".into())?;
        // Pass 1 subtracts the mean, which pass 0 computed: params[0] of the run.
        let shader = generate(&plan.kernels[1], &caps).unwrap();
        assert_eq!(shader.slots, [SlotValue::Param(0)]);
        // The same shader text for another constant.
        let times = |c: f64| {
            let plan = crate::plan::lower(&[col("x") * lit(c)], 8, &schema, &|| "x".into())?;
            Ok::<_, crate::Error>(generate(&plan.kernels[0], &caps).unwrap())
        };
        let (two, three) = (times(2.0)?, times(3.0)?);
        assert_eq!(two.wgsl, three.wgsl);
        assert_eq!(three.slots, [SlotValue::Const(Scalar::F64(3.0))]);
        Ok::<(), crate::Error>(())
    }

    #[test]
    fn device_reduction_example() -> crate::Result<()> {
        use crate::gpu::codegen::Caps;
        use crate::gpu::codegen::generate;
        use crate::prelude::*;
        let caps = Caps {
            f64: true,
            i64: true,
            max_storage_buffers: 8,
            max_workgroup_storage: 16384,
            max_invocations: 256,
            max_binding_size: 1 << 27,
            max_buffer_size: 1 << 28,
        };
        let schema = |name: &str| match name {
            "x" => Some(DType::F32),
            "k" => Some(DType::I32),
            _ => None,
        };
        let exprs = [
            col("x").arg_min(),
            col("x").count().alias("n"),
            col("x").var(1).alias("v"),
            col("k").sum(),
        ];
        let plan = crate::plan::lower(&exprs, 8, &schema, &|| "x, k".into())?;
        let shader = generate(&plan.kernels[0], &caps).unwrap();
        // (index in kernel.reductions, accumulator dtype, word offset); count needs no device.
        let places: Vec<_> = shader
            .reductions
            .iter()
            .map(|r| (r.index, r.dtype, r.offset))
            .collect();
        assert_eq!(
            places,
            [(0, DType::F32, 0), (2, DType::F64, 2), (3, DType::I64, 8)]
        );
        assert_eq!(shader.partial_words, 10);
        Ok::<(), crate::Error>(())
    }

    #[test]
    fn shader_example() -> crate::Result<()> {
        use crate::gpu::codegen::Caps;
        use crate::gpu::codegen::generate;
        use crate::prelude::*;
        let caps = Caps {
            f64: true,
            i64: true,
            max_storage_buffers: 8,
            max_workgroup_storage: 16384,
            max_invocations: 256,
            max_binding_size: 1 << 27,
            max_buffer_size: 1 << 28,
        };
        let schema = |name: &str| ["a", "b"].contains(&name).then_some(DType::F32);
        let exprs = [(col("b") * lit(2.0)).alias("y"), col("b").max().alias("m")];
        let plan = crate::plan::lower(&exprs, 8, &schema, &|| "a, b".into())?;
        let shader = generate(&plan.kernels[0], &caps).unwrap();
        assert_eq!(shader.workgroup_size, 256);
        assert_eq!(shader.inputs, [0]); // binds column "b" (kernel input 0)
        assert_eq!(shader.stores, 1);
        assert_eq!((shader.reductions.len(), shader.partial_words), (1, 1));
        assert!(
            shader
                .wgsl
                .contains("@group(0) @binding(2) var<storage, read> in0: array<f32>;")
        );
        assert!(
            shader
                .wgsl
                .contains("@binding(3) var<storage, read_write> out0: array<f32>;")
        );
        assert!(shader.wgsl.contains("@compute @workgroup_size(256)"));
        Ok::<(), crate::Error>(())
    }

    #[test]
    fn has_partials_example() -> crate::Result<()> {
        use crate::gpu::codegen::Caps;
        use crate::gpu::codegen::generate;
        use crate::prelude::*;
        let caps = Caps {
            f64: true,
            i64: true,
            max_storage_buffers: 8,
            max_workgroup_storage: 16384,
            max_invocations: 256,
            max_binding_size: 1 << 27,
            max_buffer_size: 1 << 28,
        };
        let schema = |name: &str| (name == "x").then_some(DType::F32);
        let names = || "x".to_string();
        let map = crate::plan::lower(&[col("x").sqrt()], 8, &schema, &names)?;
        assert!(!generate(&map.kernels[0], &caps).unwrap().has_partials());
        let sum = crate::plan::lower(&[col("x").sum()], 8, &schema, &names)?;
        assert!(generate(&sum.kernels[0], &caps).unwrap().has_partials());
        let count = crate::plan::lower(&[col("x").count()], 8, &schema, &names)?;
        assert!(!generate(&count.kernels[0], &caps).unwrap().has_partials()); // the host counts
        Ok::<(), crate::Error>(())
    }

    #[test]
    fn first_input_binding_example() -> crate::Result<()> {
        use crate::gpu::codegen::Caps;
        use crate::gpu::codegen::generate;
        use crate::prelude::*;
        let caps = Caps {
            f64: true,
            i64: true,
            max_storage_buffers: 8,
            max_workgroup_storage: 16384,
            max_invocations: 256,
            max_binding_size: 1 << 27,
            max_buffer_size: 1 << 28,
        };
        let schema = |name: &str| (name == "x").then_some(DType::F32);
        let names = || "x".to_string();
        let map = crate::plan::lower(&[col("x").sqrt()], 8, &schema, &names)?;
        let shader = generate(&map.kernels[0], &caps).unwrap();
        assert_eq!(shader.first_input_binding(), 1);
        assert!(shader.wgsl.contains("@binding(1) var<storage, read> in0"));
        let sum = crate::plan::lower(&[col("x").sum()], 8, &schema, &names)?;
        assert_eq!(
            generate(&sum.kernels[0], &caps)
                .unwrap()
                .first_input_binding(),
            2
        );
        Ok::<(), crate::Error>(())
    }

    #[test]
    fn unsupported_example() -> crate::Result<()> {
        use crate::gpu::codegen::{Caps, Unsupported, generate};
        use crate::prelude::*;
        let caps = Caps {
            f64: true,
            i64: true,
            max_storage_buffers: 8,
            max_workgroup_storage: 16384,
            max_invocations: 256,
            max_binding_size: 1 << 27,
            max_buffer_size: 1 << 28,
        };
        let schema = |name: &str| (name == "k").then_some(DType::I64);
        let plan = crate::plan::lower(&[col("k") + lit(1)], 8, &schema, &|| "k".into())?;
        let no_i64 = Caps { i64: false, ..caps };
        let why: Unsupported = generate(&plan.kernels[0], &no_i64).unwrap_err();
        assert_eq!(
            why,
            "i64 needs the device feature SHADER_INT64, which this GPU lacks"
        );
        let two = Caps {
            max_storage_buffers: 2,
            ..caps
        }; // consts, input, output: 3
        let why = generate(&plan.kernels[0], &two).unwrap_err();
        assert_eq!(
            why,
            "the kernel needs 3 storage buffers; this GPU allows 2 per shader"
        );
        Ok::<(), crate::Error>(())
    }

    #[test]
    fn on_device_example() {
        use crate::gpu::codegen::on_device;
        use crate::ops::ReduceOp;
        assert!(on_device(ReduceOp::Sum));
        assert!(on_device(ReduceOp::ArgMin));
        assert!(!on_device(ReduceOp::Count));
    }

    #[test]
    fn words_example() {
        use crate::DType;
        use crate::gpu::codegen::words;
        assert_eq!(words(DType::F64), 2);
        assert_eq!(words(DType::I64), 2);
        assert_eq!(words(DType::F32), 1);
        assert_eq!(words(DType::Bool), 1);
    }

    #[test]
    fn generate_example() -> crate::Result<()> {
        use crate::gpu::codegen::Caps;
        use crate::gpu::codegen::generate;
        use crate::prelude::*;
        let caps = Caps {
            f64: true,
            i64: true,
            max_storage_buffers: 8,
            max_workgroup_storage: 16384,
            max_invocations: 256,
            max_binding_size: 1 << 27,
            max_buffer_size: 1 << 28,
        };
        let schema = |name: &str| (name == "x").then_some(DType::F32);
        let e = when(col("x").gt(lit(0.0)))
            .then(col("x").sqrt())
            .otherwise(lit(0.0));
        let plan = crate::plan::lower(&[e], 1000, &schema, &|| "x".into())?;
        let shader = generate(&plan.kernels[0], &caps).unwrap();
        let wgsl = &shader.wgsl;
        assert!(wgsl.starts_with("// generated by swath::gpu::codegen\n"));
        assert!(wgsl.contains("for (var i: u32 = gid.x; i < rows; i = i + stride)"));
        assert!(wgsl.contains("let v0: f32 = in0[i];"));
        assert!(wgsl.contains("let v2: bool = (v0 > v1);"));
        assert!(wgsl.contains("let v3: f32 = sqrt_f32(v0);"));
        assert!(wgsl.contains("let v4: f32 = select(v1, v3, v2);")); // WGSL's select(false, true, cond)
        assert!(wgsl.contains("out0[i] = v4;"));
        assert!(wgsl.contains("fn sqrt_f32("));
        assert!(!wgsl.contains("fn sin_f32(")); // helpers it does not call are left out
        Ok::<(), crate::Error>(())
    }

    #[test]
    fn slot_words_example() {
        use crate::Scalar;
        use crate::gpu::codegen::slot_words;
        assert_eq!(slot_words(Scalar::F32(1.0)), [0x3f80_0000, 0]);
        assert_eq!(slot_words(Scalar::F64(1.0)), [0, 0x3ff0_0000]);
        assert_eq!(slot_words(Scalar::I32(-1)), [u32::MAX, 0]);
        assert_eq!(slot_words(Scalar::I64(-1)), [u32::MAX, u32::MAX]);
        assert_eq!(slot_words(Scalar::Bool(true)), [1, 0]);
    }
}
