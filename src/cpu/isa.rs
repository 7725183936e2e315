//! The CPU kernels compiled for each instruction set: the evaluator is written once (in
//! `block.rs`, all `#[inline(always)]`) and compiled three times here, each copy inside a
//! function with its own `#[target_feature]`, so the compiler vectorizes each copy for its
//! vector width. Because reductions use a fixed lane count and no fused multiply-add, every
//! copy computes bit-identical results.

use std::ops::Range;

use super::block::{ChunkInput, run_chunk};
use super::buffers::OutSlice;
use super::reduce::Partial;
use crate::error::Result;
pub use crate::isa::Isa;

/// Runs one chunk with the kernels compiled for `isa`, which the caller has checked is
/// supported.
///
/// Hidden from the docs: its argument and result types are private to swath, so it cannot be
/// called from outside the crate. [`crate::cpu::run_scheduled`] is the public way to run a
/// kernel on the CPU.
#[doc(hidden)]
pub fn run_chunk_with(
    isa: Isa,
    input: &ChunkInput<'_>,
    rows: Range<usize>,
    outs: &mut [OutSlice<'_>],
) -> Result<Vec<Partial>> {
    // A compiled kernel was prepared for this pass's ISA, AVX-512, on a CPU that has it
    // (`jit::prepare`). Every chunk of such a pass runs it: `run_scheduled` relies on that
    // to skip zeroing the outputs.
    if let Some(pass) = &input.jit {
        return super::jit::run_chunk(input, pass, rows, outs);
    }
    match isa {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 if Isa::Avx512.is_supported() => {
            // SAFETY: the CPU supports every feature `run_chunk_avx512` enables (checked just
            // above; `is_x86_feature_detected!` caches its answer).
            unsafe { run_chunk_avx512(input, rows, outs) }
        }
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 if Isa::Avx2.is_supported() => {
            // SAFETY: as above, for the AVX2 feature set.
            unsafe { run_chunk_avx2(input, rows, outs) }
        }
        _ => run_chunk(input, rows, outs),
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,bmi1,bmi2,lzcnt,popcnt")]
fn run_chunk_avx512(
    input: &ChunkInput<'_>,
    rows: Range<usize>,
    outs: &mut [OutSlice<'_>],
) -> Result<Vec<Partial>> {
    run_chunk(input, rows, outs)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,bmi1,bmi2,lzcnt,popcnt")]
fn run_chunk_avx2(
    input: &ChunkInput<'_>,
    rows: Range<usize>,
    outs: &mut [OutSlice<'_>],
) -> Result<Vec<Partial>> {
    run_chunk(input, rows, outs)
}
