//! Reductions on the CPU, deterministic by construction.
//!
//! A block is reduced with 64 independent lane accumulators (enough to hide add latency at any
//! vector width, and the same lanes whatever the ISA, so the rounding is identical everywhere),
//! then block partials are combined pairwise within a chunk, then chunk partials pairwise in
//! chunk order. Chunk and block sizes are fixed, so the result does not depend on the thread
//! count or the ISA, and float sums have pairwise error growth (O(log n), like numpy).
//! Variance merges per-block (count, mean, M2) with Chan's formula. A chunk's partial is the
//! shared `ops::reduce::Partial`, combined across chunks by the reduction's own rule
//! (`ReduceOp::combine`), as the GPU's workgroup partials are.

use std::any::Any;

use super::buffers::CpuElem;
use crate::dtype::{DType, Scalar};
use crate::error::{Error, Result};
use crate::ops::ReduceOp;
use crate::ops::elem::{Elem, nan_max, nan_min};
use crate::ops::moments::Moments;
pub use crate::ops::reduce::Partial;

pub const LANES: usize = 64;

/// The 64 lanes, held as four arrays of 16 while a loop runs: one 64-element array stayed on
/// the stack (LLVM does not promote it to registers), a load and a store for every vector
/// added, and the f32 sum ran at half a hand loop's speed (session 9, EPYC Zen 3).
type Quarters<T> = [[T; 16]; 4];

#[inline(always)]
fn quarters<T: Copy>(acc: &[T; LANES]) -> Quarters<T> {
    let mut q = [[acc[0]; 16]; 4];
    for (part, src) in q.iter_mut().zip(acc.chunks_exact(16)) {
        part.copy_from_slice(src);
    }
    q
}

#[inline(always)]
fn unquarter<T: Copy>(q: &Quarters<T>, acc: &mut [T; LANES]) {
    for (part, dst) in q.iter().zip(acc.chunks_exact_mut(16)) {
        dst.copy_from_slice(part);
    }
}

/// A 64-value row cut into the four 16-value pieces the quarters take.
#[inline(always)]
fn quarter_row<T>(row: &[T]) -> [&[T]; 4] {
    let (r01, r23) = row.split_at(32);
    let (r0, r1) = r01.split_at(16);
    let (r2, r3) = r23.split_at(16);
    [r0, r1, r2, r3]
}

/// Folds `x` into the lanes: lane j takes x[j], x[j + 64], ... in order. A block fed in
/// pieces whose lengths are multiples of 64 (the evaluator's tiles) gets exactly the lanes
/// one call over the whole block would, so tiling does not change a single bit.
#[inline(always)]
fn feed_lanes<T: Elem>(acc: &mut [T; LANES], x: &[T], f: impl Fn(T, T) -> T) {
    feed_lanes_mapped(acc, x, |v| v, f);
}

/// `feed_lanes` of `map` of each value: a widening sum converts as it adds, in one loop.
#[inline(always)]
fn feed_lanes_mapped<S: Copy, T: Elem>(
    acc: &mut [T; LANES],
    x: &[S],
    map: impl Fn(S) -> T,
    f: impl Fn(T, T) -> T,
) {
    if !T::DTYPE.is_float() {
        // Integer and bool lanes wrap (or are bitwise), so their order changes no bit: one
        // plain fold, which LLVM vectorizes as a reduction of its own. In the quarters'
        // loop it vectorized the loop over rows instead, gathering each lane's column
        // (`vpgatherdq`, 1.8 GB/s for an i32 sum on an AVX-512 EPYC Zen 4).
        acc[0] = x.iter().fold(acc[0], |a, &v| f(a, map(v)));
        return;
    }
    let [mut q0, mut q1, mut q2, mut q3] = quarters(acc);
    let mut rows = x.chunks_exact(LANES);
    for row in &mut rows {
        let [r0, r1, r2, r3] = quarter_row(row);
        for (a, &v) in q0.iter_mut().zip(r0) {
            *a = f(*a, map(v));
        }
        for (a, &v) in q1.iter_mut().zip(r1) {
            *a = f(*a, map(v));
        }
        for (a, &v) in q2.iter_mut().zip(r2) {
            *a = f(*a, map(v));
        }
        for (a, &v) in q3.iter_mut().zip(r3) {
            *a = f(*a, map(v));
        }
    }
    unquarter(&[q0, q1, q2, q3], acc);
    for (a, &v) in acc.iter_mut().zip(rows.remainder()) {
        *a = f(*a, map(v));
    }
}

/// Reduces `x` with `f` over 64 lanes, then folds the lanes as a fixed tree.
#[inline(always)]
fn lanes<T: Elem>(x: &[T], identity: T, f: impl Fn(T, T) -> T) -> T {
    let mut acc = [identity; LANES];
    feed_lanes(&mut acc, x, &f);
    fold_lanes(acc, f)
}

/// Folds the 64 lanes as a fixed tree (halving the width each step), so every ISA rounds
/// the same way.
#[inline(always)]
fn fold_lanes<T: Copy>(mut acc: [T; LANES], f: impl Fn(T, T) -> T) -> T {
    let mut width = LANES;
    while width > 1 {
        width /= 2;
        for j in 0..width {
            acc[j] = f(acc[j], acc[j + width]);
        }
    }
    acc[0]
}

/// The choice of `min` (or max) between a lane's value and a new one: a plain `<` (or `>`),
/// which skips NaN (tracked apart) and vectorizes.
#[inline(always)]
fn pick<T: Elem>(min: bool) -> impl Fn(T, T) -> T {
    move |a: T, b: T| {
        if (min && b < a) || (!min && b > a) {
            b
        } else {
            a
        }
    }
}

/// Folds `x` into min (or max) lanes, as `feed_lanes` does; returns whether `x` holds a NaN.
#[inline(always)]
fn feed_extreme<T: Elem>(acc: &mut [T; LANES], x: &[T], min: bool) -> bool {
    let pick = pick::<T>(min);
    if !T::DTYPE.is_float() {
        // As in `feed_lanes_mapped`: an integer minimum does not depend on the order.
        acc[0] = x.iter().fold(acc[0], |a, &v| pick(a, v));
        return false;
    }
    let mut nan = [false; 16];
    let [mut q0, mut q1, mut q2, mut q3] = quarters(acc);
    let mut rows = x.chunks_exact(LANES);
    for row in &mut rows {
        let [r0, r1, r2, r3] = quarter_row(row);
        for ((((a0, a1), (a2, a3)), n), (((&v0, &v1), &v2), &v3)) in q0
            .iter_mut()
            .zip(q1.iter_mut())
            .zip(q2.iter_mut().zip(q3.iter_mut()))
            .zip(nan.iter_mut())
            .zip(r0.iter().zip(r1).zip(r2).zip(r3))
        {
            *a0 = pick(*a0, v0);
            *a1 = pick(*a1, v1);
            *a2 = pick(*a2, v2);
            *a3 = pick(*a3, v3);
            *n |= v0.is_nan() | v1.is_nan() | v2.is_nan() | v3.is_nan();
        }
    }
    unquarter(&[q0, q1, q2, q3], acc);
    let mut tail_nan = false;
    for (a, &v) in acc.iter_mut().zip(rows.remainder()) {
        *a = pick(*a, v);
        tail_nan |= v.is_nan();
    }
    tail_nan || nan.iter().any(|&n| n)
}

/// Smallest (`min`) or largest value; NaN (the first one) if any value is NaN. NaN is tracked
/// in its own lanes (a plain `<` skips it), which vectorizes, and vanishes for integers.
#[inline(always)]
fn lane_extreme<T: Elem>(x: &[T], min: bool) -> T {
    let identity = if min {
        T::MIN_IDENTITY
    } else {
        T::MAX_IDENTITY
    };
    let mut acc = [identity; LANES];
    if feed_extreme(&mut acc, x, min)
        && let Some(&first) = x.iter().find(|v| v.is_nan())
    {
        return first;
    }
    fold_lanes(acc, pick(min))
}

#[inline(always)]
fn lane_min<T: Elem>(x: &[T]) -> T {
    lane_extreme(x, true)
}

#[inline(always)]
fn lane_max<T: Elem>(x: &[T]) -> T {
    lane_extreme(x, false)
}

/// Combines `xs` pairwise (adjacent pairs, level by level): a fixed tree for a given length.
fn pairwise<T: Copy>(mut xs: Vec<T>, f: impl Fn(T, T) -> T) -> Option<T> {
    while xs.len() > 1 {
        xs = xs
            .chunks(2)
            .map(|p| if p.len() == 2 { f(p[0], p[1]) } else { p[0] })
            .collect();
    }
    xs.pop()
}

/// The moments of one block, over the fixed lanes (so every ISA gets the same bits).
#[inline(always)]
fn moments_of_block<T: Elem>(x: &[T]) -> Moments {
    let n = x.len() as f64;
    let mut acc = [0.0f64; LANES];
    let mut blocks = x.chunks_exact(LANES);
    for block in &mut blocks {
        for j in 0..LANES {
            acc[j] += block[j].to_f64();
        }
    }
    for (j, v) in blocks.remainder().iter().enumerate() {
        acc[j] += v.to_f64();
    }
    let mean = lanes(&acc, 0.0, |a, b| a + b) / n;
    let mut dev = [0.0f64; LANES];
    let mut blocks = x.chunks_exact(LANES);
    for block in &mut blocks {
        for j in 0..LANES {
            let d = block[j].to_f64() - mean;
            dev[j] += d * d;
        }
    }
    for (j, v) in blocks.remainder().iter().enumerate() {
        let d = v.to_f64() - mean;
        dev[j] += d * d;
    }
    Moments {
        n,
        mean,
        m2: lanes(&dev, 0.0, |a, b| a + b),
    }
}

struct TypedAcc<T> {
    op: ReduceOp,
    partials: Vec<T>,
    best: Option<(T, usize)>,
    moments: Moments,
    rows: usize,
    flag: bool,
    /// The current block's lanes (sums, products, minima, maxima), fed tile by tile.
    lanes: [T; LANES],
    /// The current block's first NaN, for min and max.
    first_nan: Option<T>,
    /// The current block's values, for the reductions that need the whole block at once
    /// (argmin/argmax search it for the extreme's row, variance takes two passes).
    block: Vec<T>,
    /// Rows fed since the block began.
    block_rows: usize,
}

/// One reduction's running state within a chunk. The evaluator feeds it one tile of values
/// at a time ([`Accumulator::feed`]) and closes each block ([`Accumulator::end_block`]); a
/// block's partial is the same whatever the tiles, so the tile size is free to change while
/// the block size (which fixes the rounding) stays a constant.
pub struct Accumulator {
    state: Box<dyn Any + Send>,
    finish: fn(Box<dyn Any + Send>) -> Partial,
}

/// Whether `new` should replace `old` as the argmin (`min`) or argmax: NaN wins, ties keep the
/// earlier row.
#[inline(always)]
fn better<T: Elem>(new: T, old: T, min: bool) -> bool {
    if old.is_nan() {
        false
    } else if new.is_nan() {
        true
    } else if min {
        new < old
    } else {
        new > old
    }
}

/// The identity the lanes of `op` start from.
fn lane_identity<T: Elem>(op: ReduceOp) -> T {
    match op {
        ReduceOp::Prod => T::ONE,
        ReduceOp::Min | ReduceOp::ArgMin => T::MIN_IDENTITY,
        ReduceOp::Max | ReduceOp::ArgMax => T::MAX_IDENTITY,
        _ => T::SUM_IDENTITY,
    }
}

impl Accumulator {
    pub fn new(op: ReduceOp, dtype: DType) -> Accumulator {
        fn make<T: CpuElem>(op: ReduceOp) -> Accumulator {
            let state = TypedAcc::<T> {
                op,
                partials: Vec::new(),
                best: None,
                moments: Moments::default(),
                rows: 0,
                flag: op == ReduceOp::All,
                lanes: [lane_identity(op); LANES],
                first_nan: None,
                block: Vec::new(),
                block_rows: 0,
            };
            Accumulator {
                state: Box::new(state),
                finish: finish::<T>,
            }
        }
        crate::with_dtype!(dtype, T => make::<T>(op))
    }

    /// Folds in the next tile of the current block: a multiple of 64 rows, except the last
    /// tile of a chunk.
    #[inline(always)]
    pub fn feed<T: CpuElem>(&mut self, x: &[T]) -> Result<()> {
        let acc = self
            .state
            .downcast_mut::<TypedAcc<T>>()
            .ok_or_else(|| Error::Internal("accumulator of unexpected type".into()))?;
        acc.rows += x.len();
        acc.block_rows += x.len();
        match acc.op {
            ReduceOp::Sum | ReduceOp::Mean => feed_lanes(&mut acc.lanes, x, T::add),
            ReduceOp::Prod => feed_lanes(&mut acc.lanes, x, T::mul),
            ReduceOp::Min | ReduceOp::Max => {
                let nan = feed_extreme(&mut acc.lanes, x, acc.op == ReduceOp::Min);
                if nan && acc.first_nan.is_none() {
                    acc.first_nan = x.iter().copied().find(|v| v.is_nan());
                }
            }
            ReduceOp::ArgMin | ReduceOp::ArgMax | ReduceOp::Var(_) | ReduceOp::Std(_) => {
                acc.block.extend_from_slice(x);
            }
            ReduceOp::Count => {}
            ReduceOp::Any => acc.flag |= x.iter().any(|v| *v != T::ZERO),
            ReduceOp::All => acc.flag &= x.iter().all(|v| *v != T::ZERO),
        }
        Ok(())
    }

    /// Folds in the next tile of a sum (or mean) of `map` of `x`, `map` applied in the
    /// lanes' loop (see `fuse.rs`: widening integers, sqrt): the same bits as feeding the
    /// mapped values.
    #[inline(always)]
    pub fn feed_mapped<S: Copy, T: CpuElem>(
        &mut self,
        x: &[S],
        map: impl Fn(S) -> T,
    ) -> Result<()> {
        let acc = self
            .state
            .downcast_mut::<TypedAcc<T>>()
            .filter(|acc| matches!(acc.op, ReduceOp::Sum | ReduceOp::Mean))
            .ok_or_else(|| Error::Internal("mapped feed of an unexpected reduction".into()))?;
        acc.rows += x.len();
        acc.block_rows += x.len();
        feed_lanes_mapped(&mut acc.lanes, x, map, T::add);
        Ok(())
    }

    /// The current block's 64 sum (or mean) lanes, for compiled code that adds `rows` more
    /// rows of the block to them in the evaluator's lane order (`jit/`).
    // Used by the kernel compiler, which exists on x86-64 only.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    pub fn sum_lanes<T: CpuElem>(&mut self, rows: usize) -> Result<&mut [T; LANES]> {
        let acc = self
            .state
            .downcast_mut::<TypedAcc<T>>()
            .filter(|acc| matches!(acc.op, ReduceOp::Sum | ReduceOp::Mean))
            .ok_or_else(|| Error::Internal("lanes of an unexpected reduction".into()))?;
        acc.rows += rows;
        acc.block_rows += rows;
        Ok(&mut acc.lanes)
    }

    /// Adds the partials of whole blocks that compiled code summed and folded itself (by
    /// `fold_lanes`' tree), `rows` rows in all; no block may be open.
    // Used by the kernel compiler, which exists on x86-64 only.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    pub fn add_block_sums<T: CpuElem>(
        &mut self,
        sums: impl Iterator<Item = T>,
        rows: usize,
    ) -> Result<()> {
        let acc = self
            .state
            .downcast_mut::<TypedAcc<T>>()
            .filter(|acc| matches!(acc.op, ReduceOp::Sum | ReduceOp::Mean) && acc.block_rows == 0)
            .ok_or_else(|| Error::Internal("block sums for an unexpected reduction".into()))?;
        acc.rows += rows;
        acc.partials.extend(sums);
        Ok(())
    }

    /// Closes the current block, whose first row is `first_row`. Generic and inlined like
    /// [`Accumulator::feed`], so the argmin search and the variance's passes are compiled for
    /// the evaluator's ISA.
    #[inline(always)]
    pub fn end_block<T: CpuElem>(&mut self, first_row: usize) -> Result<()> {
        let acc = self
            .state
            .downcast_mut::<TypedAcc<T>>()
            .ok_or_else(|| Error::Internal("accumulator of unexpected type".into()))?;
        close_block(acc, first_row);
        Ok(())
    }

    pub fn finish(self) -> Partial {
        (self.finish)(self.state)
    }
}

#[inline(always)]
fn close_block<T: CpuElem>(acc: &mut TypedAcc<T>, first_row: usize) {
    if acc.block_rows == 0 {
        return;
    }
    acc.block_rows = 0;
    let lanes = std::mem::replace(&mut acc.lanes, [lane_identity(acc.op); LANES]);
    match acc.op {
        ReduceOp::Sum | ReduceOp::Mean => acc.partials.push(fold_lanes(lanes, T::add)),
        ReduceOp::Prod => acc.partials.push(fold_lanes(lanes, T::mul)),
        ReduceOp::Min | ReduceOp::Max => {
            let min = acc.op == ReduceOp::Min;
            let m = acc
                .first_nan
                .take()
                .unwrap_or_else(|| fold_lanes(lanes, pick(min)));
            let best = acc.best.map(|(b, _)| b);
            let merged = match best {
                Some(b) if min => nan_min(b, m),
                Some(b) => nan_max(b, m),
                None => m,
            };
            acc.best = Some((merged, 0));
        }
        ReduceOp::ArgMin | ReduceOp::ArgMax => {
            let x = &acc.block;
            let min = acc.op == ReduceOp::ArgMin;
            let m = if min { lane_min(x) } else { lane_max(x) };
            let at = if m.is_nan() {
                x.iter().position(|v| v.is_nan())
            } else {
                x.iter().position(|v| *v == m)
            };
            let row = first_row + at.unwrap_or(0);
            if acc.best.is_none_or(|(old, _)| better(m, old, min)) {
                acc.best = Some((m, row));
            }
            acc.block.clear();
        }
        ReduceOp::Var(_) | ReduceOp::Std(_) => {
            acc.moments = acc.moments.merge(moments_of_block(&acc.block));
            acc.block.clear();
        }
        ReduceOp::Count | ReduceOp::Any | ReduceOp::All => {}
    }
}

fn finish<T: CpuElem>(state: Box<dyn Any + Send>) -> Partial {
    let Ok(acc) = state.downcast::<TypedAcc<T>>() else {
        return Partial::EMPTY;
    };
    let value = match acc.op {
        ReduceOp::Prod => pairwise(acc.partials, T::mul),
        _ if !acc.partials.is_empty() => pairwise(acc.partials, T::add),
        _ => acc.best.map(|(v, _)| v),
    };
    Partial {
        rows: acc.rows,
        value: value.map_or(Scalar::Null, T::to_scalar),
        index: acc.best.map_or(0, |(_, i)| i),
        moments: acc.moments,
        flag: acc.flag,
    }
}
