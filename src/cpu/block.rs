//! The tile evaluator: runs a kernel over one chunk of rows, a tile ([`TILE`] rows) at a
//! time, so every intermediate value lives in a small scratch buffer that stays in L1 and
//! never reaches main memory (numexpr's idea). Each instruction is one tight loop over the
//! tile with its op fixed, which the compiler vectorizes for the ISA the caller was compiled for
//! (see `isa.rs`): everything here is `#[inline(always)]` so it is compiled into each ISA's
//! entry point rather than once at baseline.

use std::ops::Range;

use super::buffers::{Buf, CpuElem, OutSlice};
use super::fuse::{Feed, Fusion, Pair};
use super::reduce::{Accumulator, Partial};
use crate::column::ColumnData;
use crate::dtype::DType;
use crate::dtype::Scalar;
use crate::error::{Error, Result};
use crate::ops::elem::{CastTo, Elem};
use crate::ops::{BinaryKind, BinaryOp, UnaryKind, UnaryOp};
use crate::plan::ir::{Instr, Kernel};

/// Rows per block: the unit a reduction's partial covers (64 lanes folded as a fixed tree,
/// then blocks pairwise). Fixed, because the order of float summation depends on it and
/// results must not depend on the machine.
pub const BLOCK: usize = 4096;

/// Rows per tile: the evaluator runs every instruction over one tile before the next, so a
/// tile's registers (1 KiB each for f32) stay in L1 however long the program, and every input
/// stream advances together. With 4096-row tiles (the block) the scratch registers spilled to
/// L2 and the stores into them were a third of a fused pass (perf, session 9). Smaller tiles
/// pay the per-instruction dispatch more often. A multiple of 64 that divides [`BLOCK`], so
/// tiles feed the reductions' lanes exactly as whole blocks would: changing it changes no bit.
pub const TILE: usize = 1024;

/// Rows per block in kernels with a per-row loop. The block steps through the loop together
/// and leaves it when its last row is done, so smaller blocks waste fewer steps on rows that
/// have finished, and the body's registers stay in L1 across the many steps. Fixed for the
/// same reason as [`BLOCK`]; such a block is also one tile.
pub const LOOP_BLOCK: usize = 256;

thread_local! {
    /// Tile rows forced on this thread (0: [`TILE`]); see [`with_tile_rows`].
    static FORCED_TILE: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    /// Whether this thread runs the reference evaluator; see [`with_reference_evaluator`].
    static REFERENCE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with the CPU passes it starts on this thread (all their chunks, on any thread)
/// on the evaluator the tiles and fusion replaced: every instruction in its own loop over
/// whole blocks. The differential test runs it against today's evaluator, bit for bit.
pub fn with_reference_evaluator<R>(f: impl FnOnce() -> R) -> R {
    let _restore = Restore::new(&REFERENCE, true);
    with_tile_rows(BLOCK, f)
}

/// Sets a thread-local flag and puts its old value back when dropped, so a panic inside
/// `f` (a property test catches it and goes on shrinking on this thread) leaves no flag set.
struct Restore<T: Copy + 'static> {
    key: &'static std::thread::LocalKey<std::cell::Cell<T>>,
    before: T,
}

impl<T: Copy + 'static> Restore<T> {
    fn new(key: &'static std::thread::LocalKey<std::cell::Cell<T>>, value: T) -> Restore<T> {
        let before = key.with(|cell| cell.replace(value));
        Restore { key, before }
    }
}

impl<T: Copy + 'static> Drop for Restore<T> {
    fn drop(&mut self) {
        self.key.with(|cell| cell.set(self.before));
    }
}

/// Runs `f` with the tiles of the CPU passes it starts on this thread set to `rows` (rounded
/// to a multiple of 64 that divides [`BLOCK`]), for measuring tile sizes and testing that
/// they change no bit.
pub fn with_tile_rows<R>(rows: usize, f: impl FnOnce() -> R) -> R {
    let rows = rows.clamp(64, BLOCK) / 64 * 64;
    let rows = (rows..=BLOCK)
        .find(|r| BLOCK.is_multiple_of(*r))
        .unwrap_or(BLOCK);
    let _restore = Restore::new(&FORCED_TILE, rows);
    f()
}

/// `with_dtype!` for the float dtypes only; `$other` for the rest.
macro_rules! with_float {
    ($dtype:expr, $t:ident => $body:expr, $other:expr) => {
        match $dtype {
            DType::F32 => {
                type $t = f32;
                $body
            }
            DType::F64 => {
                type $t = f64;
                $body
            }
            _ => $other,
        }
    };
}

/// What a chunk needs besides its rows and output windows: the same for every chunk of a
/// pass, so it is worked out once per pass.
pub struct ChunkInput<'a> {
    pub kernel: &'a Kernel,
    pub columns: &'a [&'a ColumnData],
    /// For each column, its values packed a bit per row where it has them (a validity's
    /// bools: `Column::packed_bits`), for compiled kernels.
    pub bits: &'a [Option<&'a crate::column::Bitmap>],
    pub params: &'a [Scalar],
    /// What the evaluator fuses (`fuse.rs`).
    fusion: Fusion,
    /// Rows per tile in kernels without per-row loops.
    tile: usize,
    /// The kernel compiled to machine code, where the pass's ISA and the kernel allow
    /// (`jit/`); the tile evaluator runs it otherwise.
    pub jit: Option<super::jit::JitPass>,
}

impl<'a> ChunkInput<'a> {
    /// The pass's input for chunks run on `isa`, compiled where it can be, with its fusions
    /// planned and its tile size read from this thread's settings ([`with_tile_rows`],
    /// [`with_reference_evaluator`]; either one also keeps the pass on the evaluator).
    pub fn new(
        kernel: &'a Kernel,
        columns: &'a [&'a ColumnData],
        bits: &'a [Option<&'a crate::column::Bitmap>],
        params: &'a [Scalar],
        isa: crate::isa::Isa,
    ) -> ChunkInput<'a> {
        let reference = REFERENCE.with(std::cell::Cell::get);
        let forced = FORCED_TILE.with(std::cell::Cell::get);
        let fusion = if reference {
            Fusion::none(kernel)
        } else {
            super::fuse::plan(kernel)
        };
        let tile = match forced {
            0 => TILE,
            forced => forced,
        };
        let jit = if reference || forced != 0 {
            None
        } else {
            let packed: Vec<bool> = bits.iter().map(Option::is_some).collect();
            super::jit::prepare(kernel, isa, &packed)
        };
        ChunkInput {
            kernel,
            columns,
            bits,
            params,
            fusion,
            tile,
            jit,
        }
    }
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
    let (block_len, tile_len) = if program.instrs().contains(&Instr::LoopBegin) {
        (LOOP_BLOCK, LOOP_BLOCK)
    } else {
        (BLOCK, input.tile)
    };
    let tile = tile_len.min(rows.len()).max(1);
    // One register per instruction; loads read the input column in place, constants and
    // params are filled once per chunk.
    let mut regs: Vec<Buf> = Vec::with_capacity(program.len());
    for (instr, &dtype) in program.instrs().iter().zip(program.dtypes()) {
        regs.push(match *instr {
            Instr::Load(_) => Buf::zeroed(dtype, 0),
            Instr::Const(value) => Buf::filled(dtype, value, tile),
            Instr::Param(k) => {
                let value = input
                    .params
                    .get(k)
                    .ok_or_else(|| internal("missing param"))?;
                Buf::filled(dtype, *value, tile)
            }
            _ => Buf::zeroed(dtype, tile),
        });
    }
    let mut accs: Vec<Accumulator> = kernel
        .reductions
        .iter()
        .map(|r| Accumulator::new(r.op, program.dtype(r.value)))
        .collect();
    let mut loops = super::loops::loop_runs(program, tile);
    let fusion = &input.fusion;

    let mut block_start = rows.start;
    while block_start < rows.end {
        let block_end = (block_start + block_len).min(rows.end);
        let mut start = block_start;
        while start < block_end {
            let end = (start + tile_len).min(block_end);
            let tile_rows = start..end;
            if loops.is_empty() {
                for (i, (&skip, pair)) in fusion.skip.iter().zip(&fusion.pairs).enumerate() {
                    match pair {
                        _ if skip => {}
                        Some(pair) => eval_pair(input, &mut regs, i, *pair, &tile_rows)?,
                        None => eval_instr(input, &mut regs, i, &tile_rows)?,
                    }
                }
            } else {
                run_with_loops(input, &mut regs, &mut loops, &tile_rows)?;
            }
            let offset = start - rows.start;
            for (out, &value) in outs.iter_mut().zip(&kernel.stores) {
                store(input, &regs, value, &tile_rows, out, offset)?;
            }
            for ((acc, red), &feed) in accs.iter_mut().zip(&kernel.reductions).zip(&fusion.feeds) {
                feed_reduction(input, &regs, acc, red.value, feed, &tile_rows)?;
            }
            start = end;
        }
        for (acc, red) in accs.iter_mut().zip(&kernel.reductions) {
            crate::with_dtype!(program.dtype(red.value), T => acc.end_block::<T>(block_start)?);
        }
        block_start = block_end;
    }
    Ok(accs.into_iter().map(Accumulator::finish).collect())
}

/// Feeds one tile of reduction value `value` to its accumulator, as `feed` says.
#[inline(always)]
fn feed_reduction(
    input: &ChunkInput<'_>,
    regs: &[Buf],
    acc: &mut Accumulator,
    value: usize,
    feed: Feed,
    rows: &Range<usize>,
) -> Result<()> {
    let dtype = |id| input.kernel.program.dtype(id);
    match feed {
        Feed::Direct => crate::with_dtype!(dtype(value), T => {
            acc.feed(operand::<T>(input, regs, value, rows)?)
        }),
        Feed::WidenToI64 { from } => match dtype(from) {
            DType::Bool => acc.feed_mapped(operand::<bool>(input, regs, from, rows)?, i64::from),
            DType::I32 => acc.feed_mapped(operand::<i32>(input, regs, from, rows)?, i64::from),
            DType::U32 => acc.feed_mapped(operand::<u32>(input, regs, from, rows)?, i64::from),
            _ => Err(internal("widening feed of an unexpected dtype")),
        },
        Feed::Unary { op, from } => with_float!(dtype(from), T => {
            let x = operand::<T>(input, regs, from, rows)?;
            match op {
                UnaryOp::Sqrt => acc.feed_mapped(x, |v| T::unary(UnaryOp::Sqrt, v)),
                UnaryOp::Abs => acc.feed_mapped(x, |v| T::unary(UnaryOp::Abs, v)),
                _ => Err(internal("lane op")),
            }
        }, Err(internal("lane op on a non-float"))),
    }
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

/// Computes instruction `i`, a float `op(inner, other)` (or `op(other, inner)`), and its
/// operand `inner = op1(a, b)` in one loop, rounding after each op (see `fuse.rs`).
#[inline(always)]
fn eval_pair(
    input: &ChunkInput<'_>,
    regs: &mut [Buf],
    i: usize,
    pair: Pair,
    rows: &Range<usize>,
) -> Result<()> {
    let program = &input.kernel.program;
    let instrs = program.instrs();
    let (Some(&Instr::Binary(op, x, y)), Some(&Instr::Binary(op1, a, b))) =
        (instrs.get(i), instrs.get(pair.inner))
    else {
        return Err(internal("fused pair"));
    };
    let other = if pair.inner_right { x } else { y };
    let (before, rest) = regs.split_at_mut(i);
    let out = rest.first_mut().ok_or_else(|| internal("register"))?;
    with_float!(program.dtype(i), T => {
        let a = operand::<T>(input, before, a, rows)?;
        let b = operand::<T>(input, before, b, rows)?;
        let c = operand::<T>(input, before, other, rows)?;
        let out = T::buf_mut(out)
            .and_then(|o| o.get_mut(..rows.len()))
            .ok_or_else(|| internal("result register"))?;
        paired(op1, op, pair.inner_right, a, b, c, out);
    }, return Err(internal("fused pair of a non-float")));
    Ok(())
}

/// `op(op1(a, b), c)`, or `op(c, op1(a, b))` when `right`, for `+ - *`: one loop per
/// combination, so each vectorizes with its ops fixed.
#[inline(always)]
fn paired<T: Elem>(
    op1: BinaryOp,
    op: BinaryOp,
    right: bool,
    a: &[T],
    b: &[T],
    c: &[T],
    out: &mut [T],
) {
    macro_rules! fixed {
        ($o1:expr, $o:expr, $right:expr) => {
            for (((o, &a), &b), &c) in out.iter_mut().zip(a).zip(b).zip(c) {
                let inner = T::binary($o1, a, b);
                *o = if $right {
                    T::binary($o, c, inner)
                } else {
                    T::binary($o, inner, c)
                };
            }
        };
    }
    macro_rules! by_op {
        ($o1:expr, $right:expr) => {
            match op {
                BinaryOp::Add => fixed!($o1, BinaryOp::Add, $right),
                BinaryOp::Sub => fixed!($o1, BinaryOp::Sub, $right),
                _ => fixed!($o1, BinaryOp::Mul, $right),
            }
        };
    }
    macro_rules! by_side {
        ($o1:expr) => {
            if right {
                by_op!($o1, true)
            } else {
                by_op!($o1, false)
            }
        };
    }
    match op1 {
        BinaryOp::Add => by_side!(BinaryOp::Add),
        BinaryOp::Sub => by_side!(BinaryOp::Sub),
        _ => by_side!(BinaryOp::Mul),
    }
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
