//! Where there is no kernel compiler (not x86-64): every pass runs on the tile evaluator.

use std::ops::Range;

use crate::cpu::block::ChunkInput;
use crate::cpu::buffers::OutSlice;
use crate::cpu::reduce::Partial;
use crate::error::Result;
use crate::isa::Isa;
use crate::plan::ir::Kernel;

#[path = "stats.rs"]
mod stats;
pub use stats::CompileStats;

/// Never made: no kernel is compiled here.
pub enum JitPass {}

pub fn prepare(_kernel: &Kernel, _isa: Isa, _packed: &[bool]) -> Option<JitPass> {
    None
}

pub fn run_chunk(
    _input: &ChunkInput<'_>,
    pass: &JitPass,
    _rows: Range<usize>,
    _outs: &mut [OutSlice<'_>],
) -> Result<Vec<Partial>> {
    match *pass {}
}

pub fn with_interpreter<R>(f: impl FnOnce() -> R) -> R {
    f()
}

pub fn compile_stats() -> CompileStats {
    CompileStats::default()
}

pub fn describe(_kernel: &Kernel, _isa: Isa) -> String {
    "tile evaluator (no kernel compiler for this architecture)".into()
}

pub fn covers(_kernel: &Kernel, _isa: Isa) -> bool {
    false
}
