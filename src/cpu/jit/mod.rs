//! Kernels compiled to AVX-512 machine code at run time: the whole elementwise chain runs in
//! registers, every input stream advancing together, as in a hand-written loop. Kernels the
//! compiler does not cover run on the tile evaluator (`block.rs`), which stays the reference.
//! Why it looks like this: `README.md` beside this file.

mod emit;
mod lower;
mod run;
mod stats;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rustc_hash::FxHashMap;

use crate::isa::Isa;
use crate::plan::ir::Kernel;
pub use lower::Lowered;
pub use run::run_chunk;
pub use stats::CompileStats;

/// Distinct kernel shapes kept compiled; past this the cache starts again (a program that
/// makes this many shapes is generating them, and each costs only microseconds).
const CACHE_CAPACITY: usize = 1024;

/// Passes over fewer rows run on the evaluator: preparing compiled code (lowering, the cache
/// lookup, the call) costs more than it saves there. A 1000-row f32 sum took 2.3 us compiled
/// against 1.7 us on the evaluator (EPYC Zen 4, session 11); at 64K rows compiled code saved
/// 1.2 us on a sum and 7 us on a fused pass.
pub const MIN_ROWS: usize = crate::cpu::block::BLOCK;

/// The entry point: one pointer to the argument words (`emit.rs`).
type Entry = unsafe extern "sysv64" fn(*const u64);

/// One kernel shape's machine code.
pub struct Compiled {
    /// Keeps the executable pages mapped while `entry` may run.
    _code: memmap2::Mmap,
    entry: Entry,
    /// How long compiling it took.
    nanos: u64,
}

/// A pass's compiled kernel and what it hands the code.
pub struct JitPass {
    compiled: Arc<Compiled>,
    lowered: Lowered,
}

static CACHE: Mutex<Option<FxHashMap<lower::Body, Arc<Compiled>>>> = Mutex::new(None);
static COMPILES: AtomicU64 = AtomicU64::new(0);
static COMPILE_NANOS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Whether the CPU passes started on this thread skip the compiler ([`with_interpreter`]).
    static INTERPRETER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// CPU passes started on this thread that ran compiled code.
    static COMPILED_PASSES: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Runs `f` with the CPU passes it starts on this thread on the tile evaluator even where a
/// kernel could be compiled: for measuring one against the other, and for the differential
/// test.
pub fn with_interpreter<R>(f: impl FnOnce() -> R) -> R {
    let before = INTERPRETER.with(|c| c.replace(true));
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            INTERPRETER.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(before);
    f()
}

pub fn compile_stats() -> CompileStats {
    CompileStats {
        kernels: COMPILES.load(Ordering::Relaxed),
        nanos: COMPILE_NANOS.load(Ordering::Relaxed),
        passes: COMPILED_PASSES.with(std::cell::Cell::get),
    }
}

/// The compiled form of `kernel` for a pass on `isa`, compiling it on first sight of its
/// shape; `None` where the evaluator runs it (another ISA, a kernel the compiler does not
/// cover, or a failure to compile, logged).
pub fn prepare(kernel: &Kernel, isa: Isa, packed: &[bool]) -> Option<JitPass> {
    if kernel.rows < MIN_ROWS
        || isa != Isa::Avx512
        || !Isa::Avx512.is_supported()
        || INTERPRETER.with(|c| c.get())
    {
        return None;
    }
    let lowered = lower::lower(kernel, packed)?;
    let mut cache = CACHE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let cache = cache.get_or_insert_with(FxHashMap::default);
    COMPILED_PASSES.with(|c| c.set(c.get() + 1));
    if let Some(compiled) = cache.get(&lowered.body) {
        return Some(JitPass {
            compiled: Arc::clone(compiled),
            lowered,
        });
    }
    let started = Instant::now();
    let compiled = match compile(&lowered.body, started) {
        Ok(compiled) => Arc::new(compiled),
        Err(why) => {
            log::warn!("swath: compiling a CPU kernel failed ({why}); the evaluator runs it");
            return None;
        }
    };
    COMPILES.fetch_add(1, Ordering::Relaxed);
    COMPILE_NANOS.fetch_add(compiled.nanos, Ordering::Relaxed);
    if cache.len() >= CACHE_CAPACITY {
        cache.clear();
    }
    cache.insert(lowered.body.clone(), Arc::clone(&compiled));
    COMPILED_PASSES.with(|c| c.set(c.get() + 1));
    Some(JitPass { compiled, lowered })
}

/// Whether a pass of `kernel` on `isa` runs compiled code (for the cost model).
pub fn covers(kernel: &Kernel, isa: Isa) -> bool {
    kernel.rows >= MIN_ROWS
        && isa == Isa::Avx512
        && Isa::Avx512.is_supported()
        && lower::lower(kernel, &[]).is_some()
}

/// How a pass of `kernel` on `isa` runs its rows, for `explain`: compiled code (and what
/// compiling it cost, or that it will compile on first use) or the evaluator, and why.
pub fn describe(kernel: &Kernel, isa: Isa) -> String {
    if isa != Isa::Avx512 || !Isa::Avx512.is_supported() {
        return "tile evaluator (compiled kernels need AVX-512)".into();
    }
    if kernel.rows < MIN_ROWS {
        return format!("tile evaluator (under {MIN_ROWS} rows its fixed cost is lower)");
    }
    let Some(lowered) = lower::lower(kernel, &[]) else {
        return "tile evaluator (an op, dtype or reduction the compiler does not cover)".into();
    };
    let ops = lowered.body.ops.len();
    let cache = CACHE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    match cache.as_ref().and_then(|c| c.get(&lowered.body)) {
        Some(compiled) => format!(
            "compiled, {ops} ops per vector (cached; compiling took {:.1} us)",
            compiled.nanos as f64 / 1e3
        ),
        None => format!("compiled, {ops} ops per vector (compiles on first run, once)"),
    }
}

fn compile(body: &lower::Body, started: Instant) -> Result<Compiled, String> {
    let bytes = emit::emit(body).map_err(|e| e.to_string())?;
    let mut pages = memmap2::MmapMut::map_anon(bytes.len()).map_err(|e| e.to_string())?;
    pages.copy_from_slice(&bytes);
    // Writable, then executable, never both.
    let code = pages.make_exec().map_err(|e| e.to_string())?;
    // SAFETY: `code` holds the complete function `emit` assembled for this calling
    // convention (position-independent: its only jumps are relative and inside it), and
    // stays mapped as long as the returned `Compiled` lives, which every caller of `entry`
    // holds (`JitPass` keeps an `Arc`).
    let entry = unsafe { std::mem::transmute::<*const u8, Entry>(code.as_ptr()) };
    let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
    Ok(Compiled {
        _code: code,
        entry,
        nanos,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    /// `explain`'s line: compiled once a shape has run, on the evaluator below `MIN_ROWS`,
    /// on other ISAs and for ops the compiler does not cover.
    #[test]
    fn describe_says_how_a_pass_runs() -> crate::Result<()> {
        let schema = |name: &str| (name == "x").then_some(DType::F32);
        let kernel = |e: Expr, rows: usize| -> crate::Result<Kernel> {
            let plan = crate::plan::lower(&[e], rows, &schema, &|| "x".to_string())?;
            Ok(plan.kernels[0].clone())
        };
        let fused = kernel((col("x") * 3.0 + 1.0).sqrt().sum(), 10_000)?;
        assert!(describe(&fused, Isa::Base).contains("need AVX-512"));
        let small = kernel((col("x") * 3.0 + 1.0).sqrt().sum(), 100)?;
        assert!(describe(&small, Isa::Avx512).starts_with("tile evaluator"));
        let sine = kernel(col("x").sin().sum(), 10_000)?;
        assert!(describe(&sine, Isa::Avx512).starts_with("tile evaluator"));
        if Isa::Avx512.is_supported() {
            assert!(prepare(&fused, Isa::Avx512, &[]).is_some());
            let text = describe(&fused, Isa::Avx512);
            assert!(
                text.starts_with("compiled") && text.contains("cached"),
                "{text}"
            );
        }
        Ok(())
    }
}
