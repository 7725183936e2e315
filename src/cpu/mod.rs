//! The CPU backend: runs a kernel over fixed-size chunks of rows, serially on the calling
//! thread when the work is small, else on swath's rayon pool. Chunk results are combined in
//! chunk order, so the answer is bit-identical for any thread count.

pub(crate) mod block;
pub(crate) mod buffers;
mod costs;
mod engine;
mod fuse;
pub mod isa;
#[cfg(target_arch = "x86_64")]
pub(crate) mod jit;
#[cfg(not(target_arch = "x86_64"))]
#[path = "jit/none.rs"]
pub(crate) mod jit;
mod loops;
pub(crate) mod pool;
mod reduce;

use crate::column::{Column, ColumnData};
use crate::dtype::Scalar;
use crate::error::{Error, Result};
use crate::isa::Isa;
use crate::plan::ir::Kernel;
use buffers::{Buf, OutSlice};

/// Rows per chunk, the unit of parallel work: large enough that scheduling is noise, small
/// enough to balance over a few threads. Fixed, because results depend on it.
pub const CHUNK: usize = 64 * 1024;

pub use crate::backend::KernelOutput;
pub use costs::CpuCosts;
pub use engine::{CallingThread, Pool};

/// How a kernel will run on the CPU: the cost model's choice
/// ([`Choice::schedule`](crate::cost::Choice::schedule)), or one written by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// The instruction set whose kernels run the chunks.
    pub isa: Isa,
    /// Threads used: 1 means on the calling thread.
    pub threads: usize,
    /// Chunks of [`CHUNK`] rows the pass splits into (the last may be shorter).
    pub chunks: usize,
}

/// Runs `kernel` over `columns` (one per kernel input, in order) with `params` (one per
/// `Param` slot) exactly as `plan` says. Columns that live only on the GPU are downloaded
/// first.
///
/// Errors: [`Error::Internal`] for inputs of the wrong length; [`Error::Gpu`] when a
/// download fails.
pub fn run_scheduled(
    kernel: &Kernel,
    columns: &[&Column],
    params: &[Scalar],
    plan: &Schedule,
) -> Result<KernelOutput> {
    // Columns a GPU pass left on the device are downloaded here (once; the column keeps it).
    let data: Vec<&ColumnData> = columns.iter().map(|c| c.data()).collect::<Result<_>>()?;
    if data.iter().any(|d| d.len() != kernel.rows) {
        return Err(Error::Internal("kernel input of the wrong length".into()));
    }
    kernel.validate()?;
    // A hand-built schedule must cut the rows into exactly the chunks the kernel has.
    if plan.chunks != kernel.rows.div_ceil(CHUNK) {
        return Err(Error::InvalidSetting {
            setting: "schedule.chunks".into(),
            message: format!(
                "{} rows make {} chunks of {CHUNK}, not {}",
                kernel.rows,
                kernel.rows.div_ceil(CHUNK),
                plan.chunks
            ),
        });
    }
    let program = &kernel.program;
    let bits: Vec<Option<&crate::column::Bitmap>> =
        columns.iter().map(|c| c.packed_bits()).collect();
    let input = block::ChunkInput::new(kernel, &data, &bits, params, plan.isa);
    // A compiled pass writes every row of its outputs (`jit/run.rs`), so they are not
    // zeroed first: zeroing a reused 1M-row column was about a quarter of a compiled map.
    let dtypes = kernel.stores.iter().map(|&s| program.dtype(s));
    let (mut zeroed, mut unwritten): (Vec<Buf>, Vec<buffers::UninitColumn>) = if input.jit.is_some()
    {
        let columns = dtypes.map(|d| buffers::UninitColumn::new(d, kernel.rows));
        let columns = columns.collect::<Option<_>>();
        (
            Vec::new(),
            columns.ok_or_else(|| Error::Internal("a compiled pass stores a non-float".into()))?,
        )
    } else {
        (
            dtypes.map(|d| Buf::zeroed(d, kernel.rows)).collect(),
            Vec::new(),
        )
    };
    // Hand each chunk its own window of every output column.
    let mut windows: Vec<Vec<OutSlice<'_>>> = (0..plan.chunks).map(|_| Vec::new()).collect();
    let zeroed_windows = zeroed.iter_mut().map(|b| b.chunks_mut(CHUNK));
    let unwritten_windows = unwritten.iter_mut().map(|c| c.chunks_mut(CHUNK));
    for column in zeroed_windows.chain(unwritten_windows) {
        for (chunk, window) in column.into_iter().enumerate() {
            windows[chunk].push(window);
        }
    }
    let rows_of = |chunk: usize| chunk * CHUNK..((chunk + 1) * CHUNK).min(kernel.rows);
    let run = |chunk: usize, mut outs: Vec<OutSlice<'_>>| {
        isa::run_chunk_with(plan.isa, &input, rows_of(chunk), &mut outs)
    };
    let partials: Vec<Vec<reduce::Partial>> = pool::map_items(plan.threads, windows, run)?
        .into_iter()
        .collect::<Result<_>>()?;
    let reductions = kernel
        .reductions
        .iter()
        .enumerate()
        .map(|(r, red)| {
            let parts: Vec<reduce::Partial> = partials.iter().map(|p| p[r]).collect();
            red.op.combine(&parts, red.dtype)
        })
        .collect();
    let written = unwritten.into_iter().map(|column| {
        // SAFETY: the pass is compiled, so every chunk ran `jit::run_chunk` (`isa.rs` sends
        // every chunk of a pass with compiled code there), and each returned Ok
        // (checked above), which it does only after writing every row of its windows.
        unsafe { column.assume_written() }
    });
    let stores = zeroed
        .into_iter()
        .chain(written)
        .map(|b| Column::from_data(b.into_column_data()))
        .collect();
    Ok(KernelOutput { stores, reductions })
}

/// The examples of this file's items, run as unit tests: the items are crate-private, so
/// a doctest could not reach them.
#[cfg(test)]
mod examples {
    #[test]
    fn chunk_example() {
        use crate::cpu::CHUNK;
        assert_eq!(CHUNK, 65_536);
        assert_eq!(100_000usize.div_ceil(CHUNK), 2); // a pass over 100,000 rows has two chunks
    }

    #[test]
    fn schedule_example() -> crate::Result<()> {
        use crate::prelude::*;
        let schema = |name: &str| (name == "x").then_some(DType::F32);
        let plan = crate::plan::lower(&[col("x").sum()], 100_000, &schema, &|| "x".to_string())?;
        let cpu1 = ExecOptions::new().backend(Backend::Cpu1);
        let choice =
            crate::cost::choose(&plan.kernels[0], 0.0, &cpu1, &crate::calibrate::costs()?)?;
        assert_eq!(choice.schedule.threads, 1);
        assert_eq!(choice.schedule.chunks, 2);
        assert_eq!(choice.schedule.isa, cpu1.resolved_isa()?);
        Ok::<(), crate::Error>(())
    }

    #[test]
    fn run_scheduled_example() -> crate::Result<()> {
        use crate::cpu::{CHUNK, Schedule, run_scheduled};
        use crate::prelude::*;
        let x = Column::from(vec![3i32, 1, 2]);
        let schema = |name: &str| (name == "x").then_some(DType::I32);
        let plan = crate::plan::lower(&[col("x").sum()], 3, &schema, &|| "x".to_string())?;
        let kernel = &plan.kernels[0];
        let schedule = Schedule {
            isa: Isa::detect(),
            threads: 1,
            chunks: kernel.rows.div_ceil(CHUNK),
        };
        let out = run_scheduled(kernel, &[&x], &[], &schedule)?;
        assert_eq!(out.reductions, [Scalar::I64(6)]); // integer sums are i64
        let short = Column::from(vec![1i32]);
        assert!(run_scheduled(kernel, &[&short], &[], &schedule).is_err());
        let wrong = Schedule {
            chunks: 0,
            ..schedule
        };
        assert!(run_scheduled(kernel, &[&x], &[], &wrong).is_err()); // an error, not a panic
        Ok::<(), crate::Error>(())
    }
}
