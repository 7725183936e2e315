//! The CPU backend: runs a kernel over fixed-size chunks of rows, serially on the calling
//! thread when the work is small, else on swath's rayon pool. Chunk results are combined in
//! chunk order, so the answer is bit-identical for any thread count.

mod block;
pub(crate) mod buffers;
pub mod isa;
mod loops;
mod pool;
mod reduce;

pub(crate) use reduce::Moments;

use rayon::prelude::*;

use crate::column::{Column, ColumnData};
use crate::dtype::Scalar;
use crate::error::{Error, Result};
use crate::plan::ir::Kernel;
use buffers::{Buf, OutSlice};
use isa::Isa;

/// Rows per chunk, the unit of parallel work: large enough that scheduling is noise, small
/// enough to balance over a few threads. Fixed, because results depend on it.
pub const CHUNK: usize = 64 * 1024;

/// What a kernel produced.
#[derive(Debug)]
pub struct KernelOutput {
    pub stores: Vec<Column>,
    pub reductions: Vec<Scalar>,
}

/// How a kernel will run on the CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub isa: Isa,
    /// Threads used: 1 means on the calling thread.
    pub threads: usize,
    pub chunks: usize,
}

/// Runs `kernel` exactly as `plan` says.
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
    let program = &kernel.program;
    let mut buffers: Vec<Buf> = kernel
        .stores
        .iter()
        .map(|&s| Buf::zeroed(program.dtype(s), kernel.rows))
        .collect();
    // Hand each chunk its own window of every output column.
    let mut windows: Vec<Vec<OutSlice<'_>>> = (0..plan.chunks).map(|_| Vec::new()).collect();
    for buffer in &mut buffers {
        for (chunk, window) in buffer.chunks_mut(CHUNK).into_iter().enumerate() {
            windows[chunk].push(window);
        }
    }
    let input = block::ChunkInput {
        kernel,
        columns: &data,
        params,
    };
    let rows_of = |chunk: usize| chunk * CHUNK..((chunk + 1) * CHUNK).min(kernel.rows);
    let run = |(chunk, mut outs): (usize, Vec<OutSlice<'_>>)| {
        isa::run_chunk_with(plan.isa, &input, rows_of(chunk), &mut outs)
    };
    let partials: Vec<Vec<reduce::Partial>> = if plan.threads > 1 {
        pool::pool(plan.threads)?.install(|| {
            windows
                .into_par_iter()
                .enumerate()
                .map(run)
                .collect::<Result<_>>()
        })?
    } else {
        windows
            .into_iter()
            .enumerate()
            .map(run)
            .collect::<Result<_>>()?
    };
    let reductions = kernel
        .reductions
        .iter()
        .enumerate()
        .map(|(r, red)| {
            let parts: Vec<reduce::Partial> = partials.iter().map(|p| p[r]).collect();
            reduce::combine(red.op, &parts, program.dtype(red.value), red.dtype)
        })
        .collect();
    let stores = buffers
        .into_iter()
        .map(|b| Column::from_data(b.into_column_data()))
        .collect();
    Ok(KernelOutput { stores, reductions })
}
