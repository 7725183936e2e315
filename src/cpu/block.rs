//! The block evaluator: runs a kernel over one chunk of rows, a block (a few thousand rows) at a
//! time, so every intermediate value lives in a small scratch buffer that stays in L1/L2 and
//! never reaches main memory (numexpr's idea). Each instruction is one tight loop over the block
//! with its op fixed, which the compiler vectorizes for the ISA the caller was compiled for
//! (see `isa.rs`): everything here is `#[inline(always)]` so it is compiled into each ISA's
//! entry point rather than once at baseline.

use std::ops::Range;

use super::buffers::{Buf, CpuElem, OutSlice};
use super::reduce::{Accumulator, Partial};
use crate::column::ColumnData;
use crate::dtype::Scalar;
use crate::error::{Error, Result};
use crate::ops::elem::{CastTo, Elem};
use crate::ops::{BinaryKind, BinaryOp, UnaryKind, UnaryOp};
use crate::plan::ir::{Instr, Kernel};

/// Rows per block: 4096 rows of a few f32/f64 registers stay within L1/L2, and the per-block
/// dispatch cost is small against 4096 elements of work. Fixed, because the order of float
/// summation depends on it and results must not depend on the machine.
pub const BLOCK: usize = 4096;

/// Rows per block in kernels with a per-row loop. The block steps through the loop together
/// and leaves it when its last row is done, so smaller blocks waste fewer steps on rows that
/// have finished, and the body's registers stay in L1 across the many steps. Fixed for the
/// same reason as [`BLOCK`].
pub const LOOP_BLOCK: usize = 256;

/// What a chunk needs besides its rows and output windows.
pub struct ChunkInput<'a> {
    pub kernel: &'a Kernel,
    pub columns: &'a [&'a ColumnData],
    pub params: &'a [Scalar],
}

pub(super) fn internal(what: &str) -> Error {
    Error::Internal(format!("cpu evaluator: {what}"))
}

/// Evaluates the kernel over `rows`, writing stores into `outs` (windows of the output columns
/// for exactly these rows) and returning one partial per reduction.
#[inline(always)]
pub fn run_chunk(
    input: &ChunkInput<'_>,
    rows: Range<usize>,
    outs: &mut [OutSlice<'_>],
) -> Result<Vec<Partial>> {
    let kernel = input.kernel;
    let program = &kernel.program;
    let block_len = if program.instrs().contains(&Instr::LoopBegin) {
        LOOP_BLOCK
    } else {
        BLOCK
    };
    let block = block_len.min(rows.len()).max(1);
    // One register per instruction; loads read the input column in place, constants and
    // params are filled once per chunk.
    let mut regs: Vec<Buf> = Vec::with_capacity(program.len());
    for (instr, &dtype) in program.instrs().iter().zip(program.dtypes()) {
        regs.push(match *instr {
            Instr::Load(_) => Buf::zeroed(dtype, 0),
            Instr::Const(value) => Buf::filled(dtype, value, block),
            Instr::Param(k) => {
                let value = input
                    .params
                    .get(k)
                    .ok_or_else(|| internal("missing param"))?;
                Buf::filled(dtype, *value, block)
            }
            _ => Buf::zeroed(dtype, block),
        });
    }
    let mut accs: Vec<Accumulator> = kernel
        .reductions
        .iter()
        .map(|r| Accumulator::new(r.op, program.dtype(r.value)))
        .collect();
    let mut loops = super::loops::loop_runs(program, block);

    let mut start = rows.start;
    while start < rows.end {
        let end = (start + block_len).min(rows.end);
        let block_rows = start..end;
        if loops.is_empty() {
            for i in 0..program.len() {
                eval_instr(input, &mut regs, i, &block_rows)?;
            }
        } else {
            run_with_loops(input, &mut regs, &mut loops, &block_rows)?;
        }
        let offset = start - rows.start;
        for (out, &value) in outs.iter_mut().zip(&kernel.stores) {
            store(input, &regs, value, &block_rows, out, offset)?;
        }
        for (acc, red) in accs.iter_mut().zip(&kernel.reductions) {
            let dtype = program.dtype(red.value);
            crate::with_dtype!(dtype, T => {
                let values = operand::<T>(input, &regs, red.value, &block_rows)?;
                acc.update(values, start)?;
            });
        }
        start = end;
    }
    Ok(accs.into_iter().map(Accumulator::finish).collect())
}

/// One block of a kernel with loops: instructions in order, except that a loop's end jumps
/// back to its body while any row still iterates.
#[inline(always)]
fn run_with_loops(
    input: &ChunkInput<'_>,
    regs: &mut [Buf],
    loops: &mut std::collections::HashMap<usize, super::loops::LoopRun>,
    block_rows: &Range<usize>,
) -> Result<()> {
    let program = &input.kernel.program;
    let mut i = 0;
    while i < program.len() {
        match program.instrs()[i] {
            Instr::LoopBegin => super::loops::enter(loops, regs, i, block_rows.len())?,
            Instr::LoopEnd { .. } => {
                if let Some(first_body) = super::loops::step(input, loops, regs, i, block_rows)? {
                    i = first_body;
                    continue;
                }
            }
            _ => eval_instr(input, regs, i, block_rows)?,
        }
        i += 1;
    }
    Ok(())
}

/// The block's values of instruction `id`: a window of an input column for loads, else the
/// instruction's register.
#[inline(always)]
pub(super) fn operand<'a, T: CpuElem>(
    input: &'a ChunkInput<'_>,
    regs: &'a [Buf],
    id: usize,
    rows: &Range<usize>,
) -> Result<&'a [T]> {
    let values = match input.kernel.program.instrs().get(id) {
        Some(Instr::Load(k)) => {
            let column = input
                .columns
                .get(*k)
                .ok_or_else(|| internal("missing input"))?;
            T::slice(column).and_then(|v| v.get(rows.clone()))
        }
        _ => regs
            .get(id)
            .and_then(T::buf)
            .and_then(|v| v.get(..rows.len())),
    };
    values.ok_or_else(|| internal("operand of unexpected type"))
}

#[inline(always)]
fn store(
    input: &ChunkInput<'_>,
    regs: &[Buf],
    value: usize,
    rows: &Range<usize>,
    out: &mut OutSlice<'_>,
    offset: usize,
) -> Result<()> {
    let dtype = input.kernel.program.dtype(value);
    crate::with_dtype!(dtype, T => {
        let src = operand::<T>(input, regs, value, rows)?;
        let dst = T::out_mut(out)
            .and_then(|o| o.get_mut(offset..offset + src.len()))
            .ok_or_else(|| internal("store window"))?;
        dst.copy_from_slice(src);
    });
    Ok(())
}

/// Computes instruction `i` for one block into its register.
#[inline(always)]
fn eval_instr(
    input: &ChunkInput<'_>,
    regs: &mut [Buf],
    i: usize,
    rows: &Range<usize>,
) -> Result<()> {
    let program = &input.kernel.program;
    let n = rows.len();
    // Operands always precede `i` (SSA order), so they sit in `before`.
    let (before, rest) = regs.split_at_mut(i);
    let out = rest.first_mut().ok_or_else(|| internal("register"))?;
    let out_dtype = program.dtype(i);
    macro_rules! out {
        ($t:ty) => {
            <$t as CpuElem>::buf_mut(out)
                .and_then(|o| o.get_mut(..n))
                .ok_or_else(|| internal("result register"))?
        };
    }
    match program.instrs()[i] {
        Instr::Load(_) | Instr::Const(_) | Instr::Param(_) => {}
        Instr::RowIndex => {
            // Row numbers are u32 by definition: they wrap past 2^32 - 1.
            for (o, row) in out!(u32).iter_mut().zip(rows.clone()) {
                *o = row as u32;
            }
        }
        Instr::Unary(UnaryOp::Uniform, a) => {
            let x = operand::<u32>(input, before, a, rows)?;
            for (o, &key) in out!(f32).iter_mut().zip(x) {
                *o = crate::ops::elem::uniform(key);
            }
        }
        Instr::Unary(op, a) => {
            let in_dtype = program.dtype(a);
            crate::with_dtype!(in_dtype, T => {
                let x = operand::<T>(input, before, a, rows)?;
                if op.kind() == UnaryKind::Predicate {
                    predicate(op, x, out!(bool));
                } else {
                    map_unary(op, x, out!(T));
                }
            });
        }
        Instr::Binary(op, a, b) => {
            let in_dtype = program.dtype(a);
            crate::with_dtype!(in_dtype, T => {
                let x = operand::<T>(input, before, a, rows)?;
                let y = operand::<T>(input, before, b, rows)?;
                if op.kind() == BinaryKind::Comparison {
                    compare(op, x, y, out!(bool));
                } else {
                    map_binary(op, x, y, out!(T));
                }
            });
        }
        Instr::Select(c, a, b) => {
            let cond = operand::<bool>(input, before, c, rows)?;
            crate::with_dtype!(out_dtype, T => {
                let x = operand::<T>(input, before, a, rows)?;
                let y = operand::<T>(input, before, b, rows)?;
                // `if c { x } else { y }` compiled to a select of the two addresses and a
                // scalar load per row (LLVM folds a select of loads into a load of a select):
                // 4.4x slower on random conditions (session 8, EPYC Zen 3). The hint keeps
                // the two loads and a vector blend.
                for (((o, &c), &x), &y) in out!(T).iter_mut().zip(cond).zip(x).zip(y) {
                    *o = std::hint::select_unpredictable(c, x, y);
                }
            });
        }
        Instr::Cast(to, a) => {
            let from = program.dtype(a);
            crate::with_dtype!(from, S => crate::with_dtype!(to, D => {
                let x = operand::<S>(input, before, a, rows)?;
                for (o, &v) in out!(D).iter_mut().zip(x) {
                    *o = <S as CastTo<D>>::cast(v);
                }
            }));
        }
        Instr::LoopState { init, .. } => {
            crate::with_dtype!(out_dtype, T => {
                out!(T).copy_from_slice(operand::<T>(input, before, init, rows)?);
            });
        }
        // Run by `run_chunk` itself: they move between instructions.
        Instr::LoopBegin | Instr::LoopEnd { .. } => {}
        Instr::KernelResult { .. } | Instr::ReduceScalar(..) => {
            return Err(internal("scalar instruction in a kernel"));
        }
    }
    Ok(())
}

#[inline(always)]
fn map_unary<T: Elem>(op: UnaryOp, x: &[T], out: &mut [T]) {
    if T::unary_block(op, x, out) {
        return;
    }
    crate::ops::with_const_unary!(op, OP => {
        for (o, &v) in out.iter_mut().zip(x) {
            *o = T::unary(OP, v);
        }
    })
}

#[inline(always)]
fn predicate<T: Elem>(op: UnaryOp, x: &[T], out: &mut [bool]) {
    crate::ops::with_const_unary!(op, OP => {
        for (o, &v) in out.iter_mut().zip(x) {
            *o = T::predicate(OP, v);
        }
    })
}

#[inline(always)]
fn map_binary<T: Elem>(op: BinaryOp, x: &[T], y: &[T], out: &mut [T]) {
    crate::ops::with_const_binary!(op, OP => {
        for ((o, &a), &b) in out.iter_mut().zip(x).zip(y) {
            *o = T::binary(OP, a, b);
        }
    })
}

#[inline(always)]
fn compare<T: Elem>(op: BinaryOp, x: &[T], y: &[T], out: &mut [bool]) {
    crate::ops::with_const_binary!(op, OP => {
        for ((o, &a), &b) in out.iter_mut().zip(x).zip(y) {
            *o = T::compare(OP, a, b);
        }
    })
}
